"""The live pipeline (what the app's worker runs) on a looping 1280x720 30 fps file, for minutes.

    python benchmarks/bench_live.py [--minutes 10] [--delay 0] [--set KEY=VALUE ...]

Prints, each minute and at the end: output frames/s, added latency (output time
minus capture time) p50/p95/p99 over every frame, frames that failed closed,
and resident memory, whose growth from the end of the first minute to the end
is the leak figure. Faces and plates are on; frames go to a null sink in place
of the virtual camera (a memcpy).
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import numpy as np
import psutil
from _common import machine_line, settings_from

from privastream_desktop.live import LiveFrame, LivePipeline
from privastream_desktop.samples import write_sample_clip
from privastream_desktop.sinks import NullSink
from privastream_desktop.sources import FileLoopSource


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--delay", type=float, default=0.0, help="privacy delay in seconds")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument(
        "--whitelist", action="store_true", help="enrol the sample person (as bench_whitelist.py) and keep them visible"
    )
    args = parser.parse_args()
    print(machine_line())
    process = psutil.Process()
    with tempfile.TemporaryDirectory() as tmp:
        clip = write_sample_clip(Path(tmp) / "loop.mp4", scene="mixed", seconds=20, with_audio=False)
        source = FileLoopSource(clip)
        sink = NullSink()
        settings = settings_from(args.set)
        if args.whitelist:
            from bench_whitelist import enrol

            settings.whitelist = enrol(Path(tmp) / "whitelist.json")
        pipeline = LivePipeline(source, settings, delay_s=args.delay, sinks=[sink])
        latencies: list[float] = []
        closed = [0]

        reasons: Counter[str] = Counter()

        def on_frame(frame: LiveFrame) -> None:
            latencies.append(frame.latency_ms)
            closed[0] += frame.fail_closed
            reasons.update(frame.reasons)

        stop = threading.Event()
        runner = threading.Thread(target=pipeline.run, args=(stop, on_frame))
        started = time.monotonic()
        runner.start()
        baseline_rss = None
        extra = " + whitelist" if args.whitelist else ""
        print(f"delay {args.delay:g} s, {args.minutes:g} min, settings: {', '.join(args.set) or 'defaults'}{extra}")
        for minute in range(1, int(np.ceil(args.minutes)) + 1):
            end = started + min(minute, args.minutes) * 60
            count_before = len(latencies)
            window_start = time.monotonic()
            while time.monotonic() < end:
                time.sleep(0.5)
            rss = process.memory_info().rss / 2**20
            baseline_rss = baseline_rss or rss
            window = np.array(latencies[count_before:]) if len(latencies) > count_before else np.zeros(1)
            print(
                f"minute {minute:>2}: out {(len(latencies) - count_before) / (time.monotonic() - window_start):5.2f} "
                f"fps, latency p50 {np.percentile(window, 50):5.1f} p95 {np.percentile(window, 95):5.1f} ms, "
                f"fail-closed so far {closed[0]}, RSS {rss:6.1f} MiB",
                flush=True,
            )
        stop.set()
        runner.join(10)
        elapsed = time.monotonic() - started
        source.close()
    lat = np.array(latencies)
    print(
        f"total: {len(lat)} frames in {elapsed:.0f} s = {len(lat) / elapsed:.2f} fps out; added latency "
        f"p50 {np.percentile(lat, 50):.1f} / p95 {np.percentile(lat, 95):.1f} / p99 {np.percentile(lat, 99):.1f} ms; "
        f"fail-closed frames {closed[0]} ({100 * closed[0] / max(1, len(lat)):.2f} %); "
        f"memory growth after minute 1: {process.memory_info().rss / 2**20 - baseline_rss:+.1f} MiB"
    )
    for reason, count in reasons.most_common(3):
        print(f"  fail-closed because {reason}: {count} frames")


if __name__ == "__main__":
    main()
