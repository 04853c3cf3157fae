"""The virtual microphone on a real (private) PipeWire: made, played into, recorded as OBS would, removed."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest
from scipy import signal

from privastream_desktop.audio.blocks import AudioBlock
from privastream_desktop.audio.devices import AudioOutput, list_input_devices
from privastream_desktop.audio.virtual_mic import (
    MIC_NAME,
    SINK_NAME,
    SOURCE_NAME,
    VirtualMicrophone,
    VirtualMicUnavailable,
    virtual_mic_hint,
)
from tests.audio.sound_server import SoundServer, sound_server_for_tests

RATE = 48000

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PipeWire is Linux only")


@pytest.fixture(scope="module")
def sound():
    with sound_server_for_tests() as server:
        yield server


def sources(sound: SoundServer) -> dict[str, tuple[str, str]]:
    """Source name -> (description, media.class) as any PulseAudio client (OBS) lists them."""
    out = {}
    for chunk in sound.pactl("list", "sources").split("Source #")[1:]:
        fields = dict(line.strip().split(": ", 1) for line in chunk.splitlines() if ": " in line and " = " not in line)
        klass = next((line.split(" = ")[1].strip('"') for line in chunk.splitlines() if "media.class" in line), "")
        out[fields["Name"]] = (fields.get("Description", ""), klass)
    return out


def our_modules(sound: SoundServer) -> list[str]:
    return [line for line in sound.pactl("list", "short", "modules").splitlines() if "privastream_mic" in line]


class Recorder:
    """parecord on the virtual source, in its own process: what OBS's Audio Input Capture does."""

    def __init__(self, sound: SoundServer, device: str) -> None:
        self.proc = subprocess.Popen(
            ["parecord", f"--device={device}", "--raw", "--format=float32le", f"--rate={RATE}", "--channels=1",
             "--latency-msec=50"],
            env=sound.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        self.chunks: list[bytes] = []
        # read as it comes: parecord drops what it still buffers when it is stopped
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        deadline = time.monotonic() + 5
        while not self.chunks and time.monotonic() < deadline:
            time.sleep(0.02)

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for chunk in iter(lambda: self.proc.stdout.read1(65536), b""):
            self.chunks.append(chunk)

    def stop(self) -> np.ndarray:
        self.proc.terminate()
        self.proc.wait(5)
        self.reader.join(5)
        data = b"".join(self.chunks)
        return np.frombuffer(data[: len(data) // 4 * 4], dtype=np.float32)


def _best_match(seg: np.ndarray, piece: np.ndarray) -> tuple[int, float]:
    """Offset in ``seg`` where ``piece`` fits best, and the normalised similarity there (silence: 0)."""
    if len(seg) < len(piece):
        return 0, 0.0
    corr = signal.correlate(seg, piece, mode="valid", method="fft")
    power = np.concatenate([[0.0], np.cumsum(seg.astype(np.float64) ** 2)])
    energy = np.sqrt(np.maximum(power[len(piece) :] - power[: -len(piece)], 0.0))[: len(corr)]  # per offset
    norm = float(np.linalg.norm(piece))
    sims = np.where(energy > 0.01 * norm, corr / np.maximum(energy * norm, 1e-12), 0.0)
    k = int(np.argmax(sims))
    return k, float(sims[k])


def match_windows(
    heard: np.ndarray, said: np.ndarray, *, anchors: tuple[int, ...] = (0,), window_s: float = 0.1,
    search_s: float = 0.12,
) -> dict[int, float]:  # fmt: skip
    """For each 100 ms window of ``said`` (not silent), how similar the recording is there (1.0: identical).

    The recording is lined up at each anchor (a sample position in ``said``, searched within 1 s), then window
    by window within ``search_s``: on a busy CPU a player or the sound server fills a late callback with
    silence now and then, which slips the rest.
    """
    window, search = round(window_s * RATE), round(search_s * RATE)
    lag = 0
    best: dict[int, float] = {}
    for start in range(0, len(said) - window + 1, window):
        if start in anchors or start == 0:
            probe = said[start : start + RATE // 2]
            lo = max(0, lag + start - (RATE if start else 0))
            hi = lag + start + len(probe) + RATE if start else len(heard)
            k, sim = _best_match(heard[lo:hi], probe)
            if sim > 0.9 or start == 0:
                lag = lo + k - start
        piece = said[start : start + window]
        if np.abs(piece).max() < 0.02:
            continue
        lo = max(0, lag + start - search)
        k, sim = _best_match(heard[lo : lag + start + window + search], piece)
        best[start] = sim
        if sim > 0.95:
            lag = lo + k - start
    return best


def tone_sequence() -> np.ndarray:
    """440, 880 and 1320 Hz for 0.25 s each, at half scale: easy to find and to tell apart."""
    t = np.arange(round(0.25 * RATE)) / RATE
    return np.concatenate([0.5 * np.sin(2 * np.pi * f * t) for f in (440, 880, 1320)]).astype(np.float32)


def dominant_hz(samples: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.fft.rfftfreq(len(samples), 1 / RATE)[np.argmax(spectrum)])


def test_obs_sees_the_microphone_hears_what_is_played_and_it_goes_away(sound):
    assert SOURCE_NAME not in sources(sound)
    mic = VirtualMicrophone.create()
    try:
        assert mic.name == MIC_NAME and mic.output_device == SINK_NAME
        description, media_class = sources(sound)[SOURCE_NAME]
        assert description == MIC_NAME
        assert media_class == "Audio/Source", "a monitor or a sink would be hidden from microphone lists"
        assert MIC_NAME not in [d.name for d in list_input_devices()], "our own output offered as the microphone"

        recorder = Recorder(sound, SOURCE_NAME)
        played = tone_sequence()
        with AudioOutput(mic.output_device) as out:
            start = time.monotonic()
            for k, i in enumerate(range(0, len(played), 960)):  # 20 ms blocks on schedule, as the pipeline writes
                out.write(AudioBlock(0.0, played[i : i + 960, None], RATE))
                time.sleep(max(0.0, start + (k + 1) * 0.02 - time.monotonic()))
            time.sleep(0.3)
        heard = recorder.stop()
    finally:
        mic.close()

    assert len(heard) > len(played), "the recorder got less audio than was played"
    similar = match_windows(heard, played)
    # all but the worst 100 ms window must be faithful: on a starved CPU (a loaded CI machine) the sound server
    # may drop one period, which is the server's scheduling, not our routing
    assert len(similar) == 7 and sorted(similar.values())[1] > 0.9, f"what OBS records is not what was played {similar}"
    lag = int(np.argmax(signal.correlate(heard, played, mode="valid", method="fft")))
    quarter = round(0.25 * RATE)
    heard_hz = [dominant_hz(heard[lag + k * quarter : lag + (k + 1) * quarter]) for k in range(3)]
    assert np.allclose(heard_hz, [440, 880, 1320], atol=10), heard_hz
    assert np.abs(heard).max() == pytest.approx(0.5, abs=0.02), "the level changed on the way"

    assert SOURCE_NAME not in sources(sound), "the virtual microphone is still there after close"
    assert not our_modules(sound)
    mic.close()  # twice is harmless


def test_a_crashed_runs_leftovers_are_replaced_and_a_running_instance_is_respected(sound):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    props = f"sink_properties=\"device.description='{MIC_NAME}' privastream.pid={dead.pid}\""
    sound.pactl("load-module", "module-null-sink", f"sink_name={SINK_NAME}", props)
    with VirtualMicrophone.create():
        assert len(our_modules(sound)) == 2, "the leftover sink should have been unloaded, ours loaded"
        assert f"privastream.pid={dead.pid}" not in "".join(our_modules(sound))
    assert not our_modules(sound)

    alive = subprocess.Popen(["sleep", "30"])
    try:
        props = f"sink_properties=\"device.description='x' privastream.pid={alive.pid}\""
        module = sound.pactl("load-module", "module-null-sink", f"sink_name={SINK_NAME}", props).strip()
        with pytest.raises(VirtualMicUnavailable, match="Another PrivaStream is already running"):
            VirtualMicrophone.create()
        assert our_modules(sound), "another running instance's microphone must not be pulled away"
        sound.pactl("unload-module", module)
    finally:
        alive.kill()
        alive.wait()


def test_it_is_removed_when_the_program_exits_without_closing(sound):
    script = textwrap.dedent(
        """
        from privastream_desktop.audio.virtual_mic import VirtualMicrophone
        mic = VirtualMicrophone.create()
        print("made", mic.exists, flush=True)
        """
    )
    result = subprocess.run([sys.executable, "-c", script], env=sound.env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "made True" in result.stdout
    assert SOURCE_NAME not in sources(sound), "the exit hook did not remove the virtual microphone"


def test_no_sound_server_gives_the_how_to(sound, monkeypatch, tmp_path):
    monkeypatch.setenv("PULSE_SERVER", f"unix:{tmp_path}/nothing-here")
    with pytest.raises(VirtualMicUnavailable) as error:
        VirtualMicrophone.create()
    assert "pipewire-pulse" in str(error.value) and "Details:" in str(error.value)
    assert "VB-CABLE" in virtual_mic_hint("win32") and "CABLE Output" in virtual_mic_hint("win32")
    assert "BlackHole" in virtual_mic_hint("darwin")
    assert MIC_NAME in virtual_mic_hint("linux") and VirtualMicrophone.hint("linux") == virtual_mic_hint("linux")
