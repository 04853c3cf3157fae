"""How many faces and plates leave the pipeline unprotected, against exact ground truth.

    python benchmarks/bench_quality.py [--seconds 8] [--scenes moving_camera,edge_entry,...]

Method: each scene from ``privastream_desktop.samples`` (real public-domain face
photos and drawn plates composited into a 1280x720 30 fps clip with a moving
camera, faces entering from the edges, 30-60 px faces and moving cars) is
written to H.264, exported with default settings, and compared with the
renderer's truth boxes:

* the exact mask of each output frame is redrawn from the regions the
  pipeline reported (same padding and ellipse as the redactor; a fail-closed
  frame counts as fully masked);
* a face-frame is *unprotected* when less than 95 % of the face oval (the
  ellipse inscribed in the truth box, hairline to chin and ear to ear, cut to
  the part inside the picture) lies under the mask; a plate-frame when less
  than 95 % of the plate rectangle does; objects with less than 25 % of their
  area in the picture or a visible box under 8 px are not counted;
* runs: the longest streak of consecutive unprotected frames of one object;
* PSNR outside the masks: decoded output against the decoded input, over the
  pixels no mask touched, so it includes our second H.264 generation.
"""

from __future__ import annotations

import argparse
import tempfile
from collections import defaultdict
from pathlib import Path

import av
import cv2
import numpy as np
from _common import machine_line, settings_from

from privastream_desktop.engine import ProtectionSettings
from privastream_desktop.redactor import MaskStyle, RedactionSettings, Redactor
from privastream_desktop.regions import Frame, ProtectedFrame
from privastream_desktop.samples import SCENES, render_scene, write_sample_clip
from privastream_desktop.video_export import VideoRedactionJob

COVERED = 0.95
MIN_VISIBLE = 0.25
MIN_SIDE = 8


def mask_of(item: ProtectedFrame, padding: float) -> np.ndarray:
    """Pixels the redactor hid in this frame."""
    height, width = item.frame.image.shape[:2]
    if item.fail_closed:
        return np.ones((height, width), bool)
    blank = np.zeros((height, width, 3), np.uint8)
    painter = Redactor(RedactionSettings(MaskStyle.FILL, 1.0, padding))
    painted = painter.render(ProtectedFrame(Frame(0, 0.0, blank), item.regions))
    return painted[:, :, 0] > 0


def object_area(kind: str, height: int, width: int) -> np.ndarray:
    """Pixels of the truth box that belong to the object: an oval for faces."""
    if kind != "face":
        return np.ones((height, width), bool)
    oval = np.zeros((height, width), np.uint8)
    cv2.ellipse(oval, (width // 2, height // 2), (max(1, width // 2), max(1, height // 2)), 0, 0, 360, 1, -1)
    return oval.astype(bool)


def decode(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="bgr24") for f in container.decode(video=0)]


def evaluate(scene: str, seconds: float, settings: ProtectionSettings, tmp: Path) -> dict:
    src = write_sample_clip(tmp / f"{scene}.mp4", scene=scene, seconds=seconds, with_audio=False)
    truth = [f.truth for f in render_scene(scene, seconds=seconds)]
    dst = tmp / f"{scene}_out.mp4"
    job = VideoRedactionJob(src, dst, settings, overwrite=True)
    masks: list[np.ndarray] = []
    job.on_protected = lambda item: masks.append(mask_of(item, settings.redaction.padding))
    report = job.run()
    before, after = decode(src), decode(dst)
    stats: dict = defaultdict(int)
    runs: dict[tuple[str, int], int] = defaultdict(int)
    longest: dict[str, int] = defaultdict(int)
    psnrs = []
    for index, boxes in enumerate(truth):
        mask = masks[index]
        for box in boxes:
            x1, y1, x2, y2 = box.box
            if box.visible_fraction < MIN_VISIBLE or min(x2 - x1, y2 - y1) < MIN_SIDE:
                continue
            stats[f"{box.kind}_frames"] += 1
            key = (box.kind, box.object_id)
            area = object_area(box.kind, y2 - y1, x2 - x1)
            if mask[y1:y2, x1:x2][area].mean() < COVERED:
                stats[f"{box.kind}_unprotected"] += 1
                runs[key] += 1
                longest[box.kind] = max(longest[box.kind], runs[key])
            else:
                runs[key] = 0
        keep = ~mask
        if keep.any():
            diff = before[index][keep].astype(np.float64) - after[index][keep].astype(np.float64)
            mse = float(np.mean(diff**2))
            psnrs.append(10 * np.log10(255**2 / max(mse, 1e-9)))
    stats["frames"] = report.frames
    stats["fps"] = report.fps
    stats["fail_closed"] = report.fail_closed_frames
    stats["masked_share"] = float(np.mean([m.mean() for m in masks]))
    stats["psnr_min"] = min(psnrs) if psnrs else float("inf")
    stats["psnr_mean"] = float(np.mean(psnrs)) if psnrs else float("inf")
    for kind in ("face", "plate"):
        stats[f"{kind}_longest_run"] = longest[kind]
    return stats


def pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:5.2f}% ({part}/{whole})" if whole else "   n/a"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--scenes", default=",".join(SCENES))
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a setting")
    args = parser.parse_args()
    settings = settings_from(args.set)
    print(machine_line())
    print(
        f"settings: {', '.join(args.set) or 'defaults'}; {args.seconds:g} s per scene at 1280x720 30 fps; "
        f"unprotected = <{COVERED:.0%} of the object covered"
    )
    header = f"{'scene':<14} {'face-frames unprotected':>26} {'run':>4} {'plate-frames unprotected':>26} {'run':>4}"
    print(header + f" {'PSNR out min/mean':>18} {'masked':>7} {'fps':>5}")
    total: dict = defaultdict(int)
    with tempfile.TemporaryDirectory() as tmp:
        for scene in args.scenes.split(","):
            s = evaluate(scene, args.seconds, settings, Path(tmp))
            for key in ("face_frames", "face_unprotected", "plate_frames", "plate_unprotected"):
                total[key] += s[key]
            for key in ("face_longest_run", "plate_longest_run"):
                total[key] = max(total[key], s[key])
            print(
                f"{scene:<14} {pct(s['face_unprotected'], s['face_frames']):>26} {s['face_longest_run']:>4} "
                f"{pct(s['plate_unprotected'], s['plate_frames']):>26} {s['plate_longest_run']:>4} "
                f"{s['psnr_min']:>8.1f}/{s['psnr_mean']:<8.1f} {s['masked_share']:>6.1%} {s['fps']:>5.1f}"
            )
    print(
        f"{'all':<14} {pct(total['face_unprotected'], total['face_frames']):>26} {total['face_longest_run']:>4} "
        f"{pct(total['plate_unprotected'], total['plate_frames']):>26} {total['plate_longest_run']:>4}"
    )


if __name__ == "__main__":
    main()
