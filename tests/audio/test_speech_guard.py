"""The live speech guard: it rules on audio only once it has really checked it, and fails closed."""

import threading
import time

import numpy as np
import pytest

from privastream_desktop.audio.asr import Word
from privastream_desktop.audio.blocks import AudioBlock
from privastream_desktop.audio.speech_guard import StreamingSpeechGuard
from privastream_desktop.engine import ProtectionSettings
from tests.audio.speech_helpers import covered, needs_espeak, phone_clip

RATE = 48000


class NoPii:
    def find(self, words):
        return []


class StalledRecognizer:
    """Hangs inside recognition until released, like a model stuck on a starved CPU."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.calls = 0

    def transcribe(self, audio, offset=0.0):
        self.calls += 1
        self.release.wait(30)
        return []


class CrashingRecognizer:
    def transcribe(self, audio, offset=0.0):
        raise RuntimeError("CUDA out of memory (simulated)")


class EchoRecognizer:
    """Says one word per second of audio: enough to exercise the watermark without a model."""

    def transcribe(self, audio, offset=0.0):
        n = int(len(audio) / 16000)
        return [Word(" hello", offset + i, offset + i + 0.4, 0.9) for i in range(n)]


def feed(guard: StreamingSpeechGuard, audio: np.ndarray, rate: int, t0: float, *, realtime: bool = False) -> float:
    block = rate // 50  # 20 ms, like a sound card
    start = time.monotonic()
    for i in range(0, len(audio), block):
        if realtime:
            delay = start + i / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        guard.feed(AudioBlock(t0 + i / rate, audio[i : i + block, None], rate))
    return t0 + len(audio) / rate


def wait_for(predicate, timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


@pytest.fixture(scope="module")
def speech():
    clip = phone_clip(RATE)
    return clip


@needs_espeak
@pytest.mark.parametrize("failure", ["stalled", "crashed"])
def test_a_stalled_or_crashed_recognizer_never_rules_on_speech(speech, failure):
    recognizer = StalledRecognizer() if failure == "stalled" else CrashingRecognizer()
    guard = StreamingSpeechGuard(ProtectionSettings(), recognizer=recognizer, finder=NoPii(), stall_s=0.5)
    try:
        t0 = 1000.0
        end = feed(guard, speech.audio, RATE, t0)
        assert wait_for(lambda: guard.failure is not None, 10.0), "the guard must say it cannot vouch for audio"
        assert failure in guard.failure
        first_word = t0 + speech.benign[0][0]
        time.sleep(0.3)
        assert guard.ruled_until() < first_word, "audio with speech must never count as checked"
        assert guard.ruled_until() < end - 1.0
    finally:
        if isinstance(recognizer, StalledRecognizer):
            recognizer.release.set()
        guard.close()


def test_silence_is_ruled_without_recognition_and_speech_waits_for_it():
    recognizer = EchoRecognizer()
    guard = StreamingSpeechGuard(ProtectionSettings(), recognizer=recognizer, finder=NoPii())
    try:
        end = feed(guard, np.zeros(RATE * 3, np.float32), RATE, 50.0)
        assert wait_for(lambda: guard.ruled_until() >= end - 0.6, 10.0), guard.ruled_until()
        assert guard.failure is None and guard.stats.windows == 0, "silence needs no recognition"
        assert guard.redactions(50.0, end) == []
    finally:
        guard.close()


@needs_espeak
def test_live_phone_number_is_redacted_before_it_is_played(speech):
    """Real time, real models: every sample is ruled on within the privacy delay, the number is covered."""
    guard = StreamingSpeechGuard(ProtectionSettings(), delay_s=2.0)
    try:
        t0 = time.monotonic()
        late: list[float] = []
        block = RATE // 50
        for i in range(0, len(speech.audio), block):
            target = t0 + i / RATE
            while time.monotonic() < target:
                time.sleep(0.002)
            guard.feed(AudioBlock(target, speech.audio[i : i + block, None], RATE))
            # The block that should leave now (delay 2 s): has it been ruled on?
            due = time.monotonic() - 2.0 - t0
            if due > 0:
                late.append(guard.ruled_until() - (t0 + due))
        end = t0 + len(speech.audio) / RATE
        # a running microphone keeps sending (silence) after the last word; that is what ends the utterance
        silence = np.zeros((block, 1), np.float32)
        for k in range(75):
            target = end + k * block / RATE
            while time.monotonic() < target:
                time.sleep(0.002)
            guard.feed(AudioBlock(target, silence, RATE))
        assert wait_for(lambda: guard.ruled_until() >= end - 0.7, 30.0), "the guard stopped ruling"
        assert guard.failure is None
        ((_, a, b),) = speech.pii
        mask = np.zeros(len(speech.audio), bool)
        for r in guard.redactions(t0, end):
            mask[max(0, int((r.t_from - t0) * RATE)) : int((r.t_to - t0) * RATE)] = True
        assert covered(mask, RATE, a, b) >= 0.9, guard.redactions(t0, end)
        lines = " ".join(text for _, text in guard.transcript())
        assert "[" in lines and not any(d in lines for d in ("555", "213", "4471")), lines
        # Loaded CI machines vary; most blocks must be ruled on in time (the benchmark measures it properly).
        assert np.mean(np.array(late) >= 0) > 0.8, f"blocks not ruled within the delay: {np.mean(np.array(late) < 0)}"
    finally:
        guard.close()
