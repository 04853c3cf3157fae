"""Microphones by name, stamped capture and level meter, on a real (private) PipeWire with a stand-in microphone."""

from __future__ import annotations

import contextlib
import sys
import threading
import time

import numpy as np
import pytest

from privastream_desktop.audio.blocks import AudioBlock
from privastream_desktop.audio.devices import (
    SILENCE_DB,
    AudioDeviceError,
    LevelMeter,
    MicSource,
    find_device,
    level_dbfs,
    list_input_devices,
    list_output_devices,
)
from privastream_desktop.audio.virtual_mic import MIC_NAME, VirtualMicrophone
from tests.audio.sound_server import SoundServer, sound_server_for_tests

RATE = 48000
FAKE_MIC = "USB Test Microphone"

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PipeWire is Linux only")


def add_fake_microphone(sound: SoundServer, sink: str, source: str, description: str) -> list[str]:
    """A microphone stand-in: whatever is played into ``sink`` comes out of capture device ``source``."""
    return [
        sound.pactl("load-module", "module-null-sink", f"sink_name={sink}", "channels=1", "rate=48000").strip(),
        sound.pactl(
            "load-module", "module-remap-source", f"master={sink}.monitor", f"source_name={source}",
            f"source_properties=\"device.description='{description}'\"", "channels=1", "rate=48000",
        ).strip(),
    ]  # fmt: skip


@pytest.fixture(scope="module")
def sound():
    if not sys.platform.startswith("linux"):
        pytest.skip("PipeWire is Linux only")
    with sound_server_for_tests() as server:
        modules = add_fake_microphone(server, "test_mic_sink", "test_mic", FAKE_MIC)
        yield server
        for module in reversed(modules):
            server.pactl("unload-module", module)


@linux_only
def test_microphones_are_listed_by_name_without_monitors_or_our_own_output(sound):
    with VirtualMicrophone.create():
        inputs = [d.name for d in list_input_devices()]
        assert FAKE_MIC in inputs
        assert MIC_NAME not in inputs, "our own output offered as a microphone would loop back in"
        assert not any(name.startswith("Monitor of") for name in inputs)
        assert MIC_NAME in [d.name for d in list_input_devices(hide=())]
        assert "privastream_mic_sink" in [d.server_name for d in list_output_devices(hide=())]
    assert find_device(FAKE_MIC, "input").server_name == "test_mic"
    assert find_device("test_mic", "input").name == FAKE_MIC
    with pytest.raises(AudioDeviceError, match='"No Such Mic" is not connected'):
        find_device("No Such Mic", "input")


@linux_only
def test_capture_is_stamped_on_the_video_clock_and_the_meter_reads_the_level(sound):
    # a 1 kHz tone at 0.25 (RMS -15.1 dBFS, peak -12.0 dBFS) played into the stand-in microphone by another client
    tone = (0.25 * np.sin(2 * np.pi * 1000 * np.arange(RATE * 3) / RATE)).astype(np.float32)
    player = sound.player("test_mic_sink", RATE, latency_ms=20)

    # pacat takes its input at the pace it plays: feed it from a thread, or the tone is over before we listen
    def feed() -> None:
        with contextlib.suppress(BrokenPipeError):  # stopped once we have heard enough
            player.stdin.write(tone.tobytes())

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    blocks: list[AudioBlock] = []
    try:
        with MicSource(FAKE_MIC) as mic:
            assert mic.name == FAKE_MIC
            meter = LevelMeter()
            deadline = time.monotonic() + 2.5
            while time.monotonic() < deadline:
                block = mic.read(0.2)
                if block is None:
                    continue
                blocks.append(block)
                assert block.t <= time.monotonic(), "a block stamped in the future"
                assert time.monotonic() - block.t < 0.3, "capture stamp far from the monotonic clock"
                meter.update(block)
                if len(blocks) > 60 and meter.rms_db > -20:
                    break
            assert mic.overflows == 0
    finally:
        player.kill()
        player.wait()
    assert len(blocks) > 60, "the microphone delivered too little"
    assert all(b.samples.shape == (960, 1) and b.samples.dtype == np.float32 and b.rate == RATE for b in blocks)
    gaps = np.diff([b.t for b in blocks]) - 0.02
    assert np.abs(gaps).max() < 0.002, "block stamps should advance by the samples delivered"
    assert meter.rms_db == pytest.approx(-15.05, abs=0.5)
    assert meter.peak_db == pytest.approx(-12.04, abs=0.5)


@linux_only
def test_a_reader_that_falls_behind_loses_blocks_and_they_are_counted(sound):
    with MicSource(FAKE_MIC, max_queue_s=0.1) as mic:
        time.sleep(0.6)
        assert mic.overflows > 0
        assert mic.read(0.1) is not None


def test_level_of_known_signals():
    t = np.arange(RATE) / RATE
    assert level_dbfs(np.sin(2 * np.pi * 440 * t)) == pytest.approx((-3.01, 0.0), abs=0.01)
    assert level_dbfs(0.1 * np.sin(2 * np.pi * 440 * t)) == pytest.approx((-23.01, -20.0), abs=0.01)
    assert level_dbfs(np.zeros(100)) == (SILENCE_DB, SILENCE_DB)
    assert level_dbfs(np.zeros(0)) == (SILENCE_DB, SILENCE_DB)


def test_the_peak_holds_then_falls():
    meter = LevelMeter(hold_s=1.0, fall_db_per_s=20.0)
    loud = np.full((960, 1), 0.5, np.float32)
    quiet = np.zeros((960, 1), np.float32)
    meter.update(AudioBlock(0.0, loud, RATE))
    assert meter.peak_db == pytest.approx(-6.02, abs=0.01)
    meter.update(AudioBlock(0.5, quiet, RATE))
    assert meter.peak_db == pytest.approx(-6.02, abs=0.01), "the peak should hold for a second"
    assert meter.rms_db == SILENCE_DB
    meter.update(AudioBlock(1.5, quiet, RATE))  # 0.5 s past the hold
    assert meter.peak_db == pytest.approx(-16.02, abs=0.1)
    meter.update(AudioBlock(10.0, quiet, RATE))
    assert meter.peak_db == SILENCE_DB
