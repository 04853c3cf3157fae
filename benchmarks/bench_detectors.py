"""Milliseconds per 1280x720 frame for each detector, by input width and thread count.

python benchmarks/bench_detectors.py [--repeats 20]
"""

from __future__ import annotations

import argparse

from _common import machine_line, time_ms

from privastream_desktop.detectors.faces import FaceDetector
from privastream_desktop.detectors.plates import PlateDetector
from privastream_desktop.samples import render_scene


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    frame = next(iter(render_scene("mixed", seconds=1.0))).image
    print(machine_line())
    print(f"frame {frame.shape[1]}x{frame.shape[0]}, median / p90 ms per call")
    print(f"{'detector':<10} {'input':>6} {'threads':>7} {'median':>8} {'p90':>8}")
    for cls in (FaceDetector, PlateDetector):
        for width in (640, 800, 960):
            for threads in (1, 2):
                detector = cls(input_width=width, threads=threads)
                median, p90 = time_ms(lambda d=detector: d.detect(frame), args.repeats)
                print(f"{cls.__name__[:-8].lower():<10} {width:>6} {threads:>7} {median:>8.1f} {p90:>8.1f}")


if __name__ == "__main__":
    main()
