"""How exactly the live audio leaves on time: microphone → delay → virtual microphone, on a private PipeWire.

Clicks are played into a stand-in microphone; the live audio pipeline (the
app's, with or without the speech guard) takes them from there and plays them
into "PrivaStream Microphone"; a second capture of that source, as OBS would
record it, stamps when each click arrives. Both captures stamp on the same
monotonic clock, so "arrived - captured - delay" is how far the voice is off
the picture's schedule (the video leaves at capture + delay). Also printed:
the write-to-record latency of the virtual microphone itself, and CPU.

    python benchmarks/bench_voice_loop.py --seconds 20 --delay 2.0 [--speech] [--running-server]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import threading
import time

import numpy as np
import psutil
from _common import machine_line

from privastream_desktop.audio.blocks import AudioBlock
from privastream_desktop.audio.devices import AudioOutput, MicSource
from privastream_desktop.audio.live_audio import LiveAudioPipeline
from privastream_desktop.audio.virtual_mic import SOURCE_NAME, VirtualMicrophone
from privastream_desktop.engine import ProtectionSettings
from tests.audio.sound_server import sound_server_for_tests
from tests.audio.test_devices import add_fake_microphone

RATE = 48000


class RunningServer:
    """The session's own PipeWire/PulseAudio, for measuring on a real desktop (modules are removed after)."""

    def __init__(self) -> None:
        self.env = dict(os.environ)

    def pactl(self, *args: str) -> str:
        return subprocess.run(["pactl", *args], capture_output=True, text=True, check=True, timeout=10).stdout


def onsets(blocks: list[AudioBlock], threshold: float = 0.1, refractory_s: float = 0.2) -> list[float]:
    """Capture times of the clicks (first sample over ``threshold``)."""
    times: list[float] = []
    for block in blocks:
        hits = np.flatnonzero(np.abs(block.samples[:, 0]) > threshold)
        if len(hits):
            t = block.t + hits[0] / block.rate
            if not times or t - times[-1] > refractory_s:
                times.append(t)
    return times


def record(source: MicSource, stop: threading.Event, into: list[AudioBlock]) -> None:
    while not stop.is_set():
        block = source.read(0.1)
        if block is not None:
            into.append(block)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--delay", type=float, default=2.0)
    parser.add_argument("--speech", action="store_true", help="run the real speech guard too")
    parser.add_argument(
        "--running-server", action="store_true", help="use the sound server this session already has (PULSE_SERVER)"
    )
    args = parser.parse_args()
    print(machine_line())
    click = (0.8 * np.sin(2 * np.pi * 2000 * np.arange(240) / RATE)).astype(np.float32)[:, None]
    with contextlib.nullcontext(RunningServer()) if args.running_server else sound_server_for_tests() as sound:
        modules = add_fake_microphone(sound, "bench_mic_sink", "bench_mic", "Bench Microphone")
        with VirtualMicrophone.create() as vmic:
            guard = None
            if args.speech:
                from privastream_desktop.audio.speech_guard import StreamingSpeechGuard

                guard = StreamingSpeechGuard(ProtectionSettings(), delay_s=args.delay)
            out = AudioOutput(vmic.output_device)
            mic = MicSource("Bench Microphone")
            pipeline = LiveAudioPipeline(mic, out, guard=guard, delay_s=args.delay)
            injector = AudioOutput("bench_mic_sink")  # the streamer's voice, here clicks
            heard_mic: list[AudioBlock] = []  # a second capture of the stand-in mic: when each click was said
            heard_obs: list[AudioBlock] = []  # what OBS records
            stop = threading.Event()
            said_src, obs_src = MicSource("Bench Microphone"), MicSource(SOURCE_NAME)
            recorders = [
                threading.Thread(target=record, args=(said_src, stop, heard_mic), daemon=True),
                threading.Thread(target=record, args=(obs_src, stop, heard_obs), daemon=True),
            ]
            for thread in recorders:
                thread.start()
            process = psutil.Process()
            process.cpu_percent()
            pipeline.start()
            start = time.monotonic()
            silence = np.zeros((960, 1), np.float32)
            n = 0
            while time.monotonic() - start < args.seconds:
                chunk = silence.copy()
                if n % 25 == 0:  # a click every 0.5 s
                    chunk[: len(click)] = click
                injector.write(AudioBlock(0.0, chunk, RATE))
                n += 1
                time.sleep(max(0.0, start + n * 0.02 - time.monotonic()))
            time.sleep(args.delay + 0.5)
            cpu = process.cpu_percent() / (psutil.cpu_count() or 1)
            stats = pipeline.stats()
            stop.set()
            for thread in recorders:
                thread.join(2)
            pipeline.close()
            for thing in (injector, said_src, obs_src):
                thing.close()
        for module in reversed(modules):
            sound.pactl("unload-module", module)
    said, arrived = onsets(heard_mic), onsets(heard_obs)
    pairs = []
    for t in said:
        match = [a for a in arrived if abs(a - t - args.delay) < 0.25]
        if match:
            pairs.append((match[0] - t - args.delay) * 1000.0)
    errors = np.array(pairs)
    print(f"delay {args.delay:.1f} s, speech guard {'on' if args.speech else 'off'}, {args.seconds:.0f} s of clicks")
    print(f"clicks said {len(said)}, heard in the virtual microphone {len(pairs)}")
    if len(errors):
        print(
            f"off schedule (heard - said - delay): median {np.median(errors):+.1f} ms, "
            f"p5 {np.percentile(errors, 5):+.1f}, p95 {np.percentile(errors, 95):+.1f}, "
            f"max |{np.abs(errors).max():.1f}| ms"
        )
    print(
        f"pipeline: output latency compensated {out.latency_s * 1000:.0f} ms, underruns {out.underruns}, "
        f"skipped {out.dropped_s * 1000:.0f} ms, mic overflows {mic.overflows}, silenced {stats.silenced_s:.2f} s "
        f"{stats.silence_reasons or ''}"
    )
    print(f"process CPU {cpu:.1f} % of all cores (recorders and injector included)")


if __name__ == "__main__":
    main()
