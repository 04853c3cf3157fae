"""The virtual microphone on a real (private) PipeWire: made, played into, recorded as OBS would, removed."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest

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
             "--latency-msec=10"],
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
            for i in range(0, len(played), 960):  # 20 ms blocks, as the live pipeline writes them
                out.write(AudioBlock(0.0, played[i : i + 960, None], RATE))
                time.sleep(0.02)
            time.sleep(0.3)
        heard = recorder.stop()
    finally:
        mic.close()

    assert len(heard) > len(played), "the recorder got less audio than was played"
    corr = np.correlate(heard, played, mode="valid")
    lag = int(np.argmax(corr))
    segment = heard[lag : lag + len(played)]
    similarity = float(np.dot(segment, played) / (np.linalg.norm(segment) * np.linalg.norm(played)))
    assert similarity > 0.95, f"what OBS records is not what was played (similarity {similarity:.3f})"
    quarter = round(0.25 * RATE)
    heard_hz = [dominant_hz(segment[k * quarter : (k + 1) * quarter]) for k in range(3)]
    assert np.allclose(heard_hz, [440, 880, 1320], atol=10), heard_hz
    assert np.abs(segment).max() == pytest.approx(0.5, abs=0.02), "the level changed on the way"

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
