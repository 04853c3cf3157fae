"""The live audio path with the real speech guard: bleeped in what OBS records, muted when stalled, PANIC."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import threading
import time
import wave

import numpy as np
import pytest
from scipy import signal

from privastream_desktop.audio.blocks import AudioBlock, SpeechRedaction
from privastream_desktop.audio.devices import AudioOutput, MicSource, resample
from privastream_desktop.audio.live_audio import (
    BEHIND_REASON,
    PANIC_REASON,
    CollectingSink,
    LiveAudioPipeline,
    PacedBlockSource,
)
from privastream_desktop.audio.speech_guard import StreamingSpeechGuard
from privastream_desktop.audio.virtual_mic import SOURCE_NAME, VirtualMicrophone
from privastream_desktop.engine import ProtectionSettings
from privastream_desktop.live import LivePipeline, open_live_source
from privastream_desktop.pii.recognizers import PiiKind
from privastream_desktop.regions import RegionKind
from privastream_desktop.samples import write_sample_clip
from tests.audio.sound_server import sound_server_for_tests
from tests.audio.test_devices import add_fake_microphone
from tests.audio.test_virtual_mic import Recorder, _best_match, match_windows

RATE = 48000


def speak(text: str) -> np.ndarray:
    """espeak-ng's voice for ``text``, float32 mono at 48 kHz."""
    if shutil.which("espeak-ng") is None:
        pytest.fail("espeak-ng is missing: scripts/setup.sh installs it")
    wav = subprocess.run(
        ["espeak-ng", "-v", "en-us", "-s", "150", "--stdout", text], capture_output=True, check=True, timeout=30
    ).stdout
    with wave.open(io.BytesIO(wav)) as w:
        rate, data = w.getframerate(), np.frombuffer(w.readframes(w.getnframes()), np.int16)
    return resample((data / 32768.0).astype(np.float32)[:, None], rate, RATE)[:, 0]


@pytest.fixture(scope="module")
def phrase():
    """A greeting, then a phone number, then more talk; with the sample span of each part."""
    parts = [
        speak("Hello everyone, welcome back to my channel."),
        np.zeros(round(0.3 * RATE), np.float32),
        speak("My phone number is five five five, two one two, three four five six."),
        np.zeros(RATE, np.float32),  # an utterance of its own: words right after a number could be an address
        speak("Thanks again for watching, everybody."),
        np.zeros(RATE, np.float32),
    ]
    spans, pos = [], 0
    for part in parts:
        spans.append((pos, pos + len(part)))
        pos += len(part)
    audio = np.concatenate(parts)
    return audio, {"greeting": spans[0], "number_sentence": spans[2], "closing": spans[4]}


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    denominator = float(np.linalg.norm(a) * np.linalg.norm(b))
    return float(np.dot(a, b)) / denominator if denominator else 0.0


def dominant_hz(samples: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.fft.rfftfreq(len(samples), 1 / RATE)[np.argmax(spectrum)])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PipeWire is Linux only")
def test_a_spoken_phone_number_is_bleeped_in_what_obs_records(phrase):
    audio, spans = phrase
    delay = 3.0
    with sound_server_for_tests() as sound:
        add_fake_microphone(sound, "voice_sink", "voice", "Streamer Voice")
        with VirtualMicrophone.create() as vmic:
            guard = StreamingSpeechGuard(ProtectionSettings(), delay_s=delay)
            mic, out = MicSource("Streamer Voice"), AudioOutput(vmic.output_device)
            lines: list[list[tuple[float, str]]] = []
            pipeline = LiveAudioPipeline(mic, out, guard=guard, delay_s=delay, on_transcript=lines.append)
            recorder = Recorder(sound, SOURCE_NAME)
            pipeline.start()
            player = sound.player("voice_sink", RATE, latency_ms=100)
            player.stdin.write(audio.tobytes())  # paced by pacat: returns about when the phrase has been played
            player.stdin.close()
            player.wait(60)
            time.sleep(delay + 0.5)
            heard = recorder.stop()
            stats = pipeline.stats()
            pipeline.close()

    window = round(0.1 * RATE)
    anchors = tuple(spans[part][0] // window * window for part in ("greeting", "number_sentence", "closing"))
    best = match_windows(heard, audio, anchors=anchors)  # window start -> similarity of what OBS recorded there

    def windows(span: tuple[int, int]) -> list[int]:
        return [s for s in best if span[0] <= s and s + window <= span[1]]

    # Ordinary talk is heard as said, except where the guard fell behind (silenced, fail closed: counted in stats).
    # Only the greeting: after a number the guard may hide a few more words on purpose (a number's tail).
    talk = windows(spans["greeting"])
    lost = [f"{s / RATE:.1f}" for s in talk if best[s] <= 0.95]
    assert len(lost) < 0.2 * len(talk), f"talk lost at {' '.join(lost)} s; transcript {lines[-1:]}; {stats}"

    # "five five five, two one two, three four five six" is the second half of its sentence: never audible.
    n0, n1 = spans["number_sentence"]
    digits = windows((n0 + (n1 - n0) // 2, n1 - round(0.3 * RATE)))
    for s in digits:
        assert best[s] < 0.5, f"the number is audible at {s / RATE:.2f} s ({stats})"
    _, anywhere = _best_match(heard, audio[digits[0] : digits[-1] + window])
    assert anywhere < 0.3, f"the number can be found in the recording (similarity {anywhere:.2f})"
    lag = int(np.argmax(signal.correlate(heard, audio[:RATE], mode="valid", method="fft")))  # by the greeting
    bleeped = np.mean([dominant_hz(heard[lag + s : lag + s + window]) == pytest.approx(1000, abs=15) for s in digits])
    assert bleeped > 0.6, f"the number should be bleeped, not only silenced: {bleeped:.0%} ({stats})"
    assert stats.redactions >= 1, stats
    assert lines and any("[" in text for _, text in lines[-1]), "the transcript shows no redaction label"
    assert not any("555" in text or "five five" in text.lower() for _, text in lines[-1]), lines[-1]


class StuckRecognizer:
    """A recognizer that never answers, like a hung model."""

    def __init__(self) -> None:
        self.release = threading.Event()

    def transcribe(self, audio: np.ndarray, offset: float = 0.0) -> list:
        self.release.wait(30)
        return []


def run_for(pipeline: LiveAudioPipeline, seconds: float) -> None:
    pipeline.start()
    time.sleep(seconds)
    pipeline.stop()


def test_stalled_recognition_mutes_the_speech_and_says_why(phrase):
    audio, spans = phrase
    stuck = StuckRecognizer()
    guard = StreamingSpeechGuard(ProtectionSettings(), recognizer=stuck, stall_s=1.0)
    sink = CollectingSink()
    g0, g1 = spans["greeting"]
    source = PacedBlockSource(audio[: g1 + RATE // 2], RATE)
    pipeline = LiveAudioPipeline(source, sink, guard=guard, delay_s=0.5)
    try:
        run_for(pipeline, (g1 + RATE // 2) / RATE + 0.8)
    finally:
        stuck.release.set()
        guard.close()
    stats = pipeline.stats()
    out = np.concatenate([b.samples[:, 0] for b in sink.blocks])
    assert len(out) > g1, "the pipeline stopped releasing audio"
    speech = out[g0 + round(0.3 * RATE) : g1]  # from shortly after the first word
    assert np.abs(speech).max() == 0.0, "speech nobody ruled on was played"
    assert stats.silence_reasons.get(BEHIND_REASON, 0) > 0.5
    assert any("stalled" in reason for reason in stats.silence_reasons), stats.silence_reasons
    assert stats.failing_now


def test_panic_in_the_video_pipeline_silences_the_audio(tmp_path):
    tone = (0.3 * np.sin(2 * np.pi * 440 * np.arange(3 * RATE) / RATE)).astype(np.float32)
    sink = CollectingSink()
    audio = LiveAudioPipeline(PacedBlockSource(tone, RATE), sink, guard=None, delay_s=0.2)
    clip = write_sample_clip(tmp_path / "c.mp4", scene="moving_camera", seconds=1, width=320, height=180, fps=30)
    video = LivePipeline(open_live_source(str(clip), 320, 180, 30), ProtectionSettings(plates=False), audio=audio)
    try:
        audio.start()
        time.sleep(0.8)
        video.set_panic(True)
        panic_at = time.monotonic()
        time.sleep(0.8)
        video.set_panic(False)
        calm_at = time.monotonic()
        time.sleep(0.6)
        audio.stop()
    finally:
        video.source.close()
    stats = audio.stats()
    assert stats.silence_reasons.get(PANIC_REASON, 0) == pytest.approx(0.8, abs=0.1)
    for block, arrived in zip(sink.blocks, sink.arrived, strict=True):
        level = np.abs(block.samples).max()
        if panic_at + 0.03 < arrived < calm_at - 0.03:
            assert level == 0.0, "audio played during PANIC"
        elif arrived > calm_at + 0.03 or arrived < panic_at - 0.03:
            assert level > 0.25, "audio stayed silent outside PANIC (speech protection off: it passes unchanged)"


class FixedGuard:
    """Speech redactions at fixed times: drives the video side's mouth blur without a recognizer."""

    failure = None

    def __init__(self, intervals: list[tuple[float, float]]) -> None:
        self.list = [SpeechRedaction(PiiKind.PHONE, a, b, "[PHONE]") for a, b in intervals]

    def feed(self, block: AudioBlock) -> None:
        pass

    def ruled_until(self) -> float:
        return float("inf")

    def redactions(self, t0: float, t1: float) -> list[SpeechRedaction]:
        return [r for r in self.list if r.overlaps(t0, t1)]

    def transcript(self) -> list[tuple[float, str]]:
        return []

    def close(self) -> None:
        pass


def test_mouths_are_hidden_exactly_while_a_secret_is_spoken(tmp_path):
    clip = write_sample_clip(tmp_path / "c.mp4", scene="moving_camera", seconds=2, width=640, height=360, fps=30)
    guard = FixedGuard([])
    audio = LiveAudioPipeline(PacedBlockSource(np.zeros(RATE, np.float32), RATE), CollectingSink(), guard=guard)
    source = open_live_source(str(clip), 640, 360, 30)
    video = LivePipeline(source, ProtectionSettings(plates=False), delay_s=1.0, audio=audio)  # time to detect
    captured: dict[int, float] = {}
    read = source.read

    def read_and_note() -> object:
        frame = read()
        if frame is not None:
            if not captured:  # the secret is spoken from 1.0 s to 2.0 s after the first frame
                guard.list = FixedGuard([(frame.t + 1.0, frame.t + 2.0)]).list
            captured[frame.index] = frame.t
        return frame

    source.read = read_and_note  # type: ignore[method-assign]
    frames = []
    stop = threading.Event()

    def collect(frame) -> None:
        frames.append(frame)
        if len(frames) >= 90:
            stop.set()

    audio.start()
    try:
        video.run(stop, collect)
    finally:
        audio.stop()
        source.close()
    secret = guard.list[0].t_from, guard.list[0].t_to
    inside = outside = 0
    for frame in frames:
        t = captured[frame.index]
        faces = [r for r in frame.regions if r.kind is RegionKind.FACE]
        mouths = [r for r in frame.regions if r.kind is RegionKind.MOUTH]
        if frame.fail_closed or not faces:
            continue
        if secret[0] - 1 / 30 < t < secret[1]:
            assert len(mouths) == len(faces), f"a face's lips show {t - secret[0]:.2f} s into the secret"
            inside += 1
        elif t < secret[0] - 0.05 or t > secret[1] + 0.05:
            assert not mouths, f"mouth hidden {t - secret[0]:.2f} s from the secret, outside it"
            outside += 1
    assert inside >= 8 and outside >= 8, (inside, outside)
