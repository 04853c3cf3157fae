"""Frames per second of a whole `privastream video` run on a 1280x720 30 fps clip.

    python benchmarks/bench_video.py [--seconds 20] [--scene mixed]

Writes a sample clip (faces and plates, with audio), then times the export
with default settings: faces and plates on, H.264 + AAC out. Model loading is
included in the wall time and reported apart.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from _common import machine_line

from privastream_desktop.engine import ProtectionSettings
from privastream_desktop.samples import write_sample_clip
from privastream_desktop.video_export import VideoRedactionJob


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--scene", default="mixed")
    args = parser.parse_args()
    print(machine_line())
    with tempfile.TemporaryDirectory() as tmp:
        src = write_sample_clip(Path(tmp) / "in.mp4", scene=args.scene, seconds=args.seconds)
        for label, settings in (
            ("faces+plates", ProtectionSettings()),
            ("faces only", ProtectionSettings(plates=False)),
        ):
            dst = Path(tmp) / "out.mp4"
            job = VideoRedactionJob(src, dst, settings, overwrite=True)
            started = time.perf_counter()
            report = job.run()
            wall = time.perf_counter() - started
            print(
                f"{label:<13} {report.frames} frames: {report.fps:5.1f} frames/s in the frame loop, "
                f"{report.frames / wall:5.1f} frames/s wall (incl. {wall - report.seconds:.2f} s model load), "
                f"fail-closed frames {report.fail_closed_frames}"
            )


if __name__ == "__main__":
    main()
