"""The face whitelist on clips with an enrolled person and strangers.

    python benchmarks/bench_whitelist.py [--seconds 8]

Barack Obama is enrolled from two official portraits (assets/samples/enrol/)
and must stay visible in clips made from a *third* shot of him
(assets/samples/faces/barack_obama.jpg), while four other people (strangers)
must stay hidden. Scenes: the sample scenes that contain him, plus "crossing",
where he and a stranger walk through each other (the classic identity swap).

Per scene it prints: the share of his face-frames shown once first shown
(target >= 95 %), the time from his first appearance to being shown (target
< 1 s), and stranger face-frames left visible (target 0). "Shown" means less
than 5 % of the face oval under a mask; a stranger counts as visible when less
than 95 % of it is masked (the rule of bench_quality.py). Faces under 48 px or
less than half in the picture are not counted for him (they are not
identified, by design, and stay blurred).
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import cv2
import numpy as np
from _common import machine_line
from bench_quality import mask_of, object_area

from privastream_desktop.detectors.faces import FaceDetector
from privastream_desktop.engine import ProtectionSettings
from privastream_desktop.identity import FaceEmbedder, check_sample
from privastream_desktop.resources import data_dir
from privastream_desktop.samples import TruthBox, render_scene, write_sample_clip
from privastream_desktop.video_export import VideoRedactionJob
from privastream_desktop.whitelist import Whitelist

ENROLLED = "barack_obama.jpg"
FPS = 30


def enrol(path: Path) -> Whitelist:
    whitelist = Whitelist(path)
    detector, embedder = FaceDetector(), FaceEmbedder()
    samples = []
    for photo in sorted((data_dir("assets") / "samples" / "enrol").glob("*.jpg")):
        image = cv2.imread(str(photo))
        samples.append(check_sample(image, detector.detect(image), embedder).embedding)
    whitelist.add("Barack Obama", samples)
    return whitelist


def crossing_clip(path: Path, seconds: float) -> list[list[TruthBox]]:
    """Him and Joe Biden walking towards each other and through each other, at the same height."""
    folder = data_dir("assets") / "samples" / "faces"
    meta = {e["file"]: e for e in json.loads((folder / "faces.json").read_text())["faces"]}
    rng = np.random.default_rng(5)
    background = cv2.GaussianBlur(rng.integers(60, 200, (720, 1280, 3), dtype=np.uint8), (0, 0), 4)
    people = [(ENROLLED, 1, 150.0, 8.0), ("joe_biden.jpg", 2, 830.0, -8.0)]
    frames, truth = [], []
    for i in range(round(seconds * FPS)):
        image, boxes = background.copy(), []
        for name, object_id, x0, speed in people:
            face = cv2.imread(str(folder / name))
            x, y = round(x0 + speed * i), 180
            h, w = face.shape[:2]
            x_a, x_b = max(0, x), min(1280, x + w)
            if x_b > x_a:
                image[y : y + h, x_a:x_b] = face[:, x_a - x : x_b - x]
            fx1, fy1, fx2, fy2 = meta[name]["face_box"]
            box = (max(0, x + fx1), y + fy1, min(1280, x + fx2), y + fy2)
            if box[2] - box[0] > 8:
                boxes.append(TruthBox("face", box, object_id, 1.0, name))
        frames.append(image)
        truth.append(boxes)
    from tests.media import write_clip

    write_clip(path, frames, fps=FPS, audio_hz=None)
    return truth


def evaluate(name: str, src: Path, truth: list[list[TruthBox]], whitelist: Whitelist, tmp: Path) -> str:
    settings = ProtectionSettings(whitelist=whitelist)
    job = VideoRedactionJob(src, tmp / f"{name}_out.mp4", settings, overwrite=True)
    masks: list[np.ndarray] = []
    job.on_protected = lambda item: masks.append(mask_of(item, settings.redaction.padding))
    report = job.run()
    him_frames, him_shown, first_seen, first_shown, stranger_frames, stranger_visible = 0, 0, None, None, 0, 0
    for index, boxes in enumerate(truth):
        for box in boxes:
            x1, y1, x2, y2 = box.box
            if min(x2 - x1, y2 - y1) < 8:
                continue
            covered = masks[index][y1:y2, x1:x2][object_area("face", y2 - y1, x2 - x1)].mean()
            if box.source == ENROLLED:
                if box.visible_fraction < 0.5 or y2 - y1 < 48:
                    continue
                first_seen = index if first_seen is None else first_seen
                shown = covered < 0.05
                if shown and first_shown is None:
                    first_shown = index
                if first_shown is not None:
                    him_frames += 1
                    him_shown += shown
            elif box.visible_fraction >= 0.25:
                stranger_frames += 1
                stranger_visible += covered < 0.95
    share = f"{100 * him_shown / him_frames:5.1f} % ({him_shown}/{him_frames})" if him_frames else "never shown"
    acquire = f"{(first_shown - first_seen) / FPS:4.2f} s" if first_shown is not None else "   n/a"
    return f"{name:<14} {share:>22} {acquire:>9} {stranger_visible:>6}/{stranger_frames:<6} {report.fps:5.1f} fps"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    args = parser.parse_args()
    print(machine_line())
    print(f"{'scene':<14} {'enrolled shown':>22} {'acquire':>9} {'strangers visible':>14}")
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        whitelist = enrol(tmp / "whitelist.json")
        for scene in ("moving_camera", "mixed", "edge_entry", "small_faces"):
            src = write_sample_clip(tmp / f"{scene}.mp4", scene=scene, seconds=args.seconds, with_audio=False)
            truth = [f.truth for f in render_scene(scene, seconds=args.seconds)]
            print(evaluate(scene, src, truth, whitelist, tmp), flush=True)
        truth = crossing_clip(tmp / "crossing.mp4", args.seconds)
        print(evaluate("crossing", tmp / "crossing.mp4", truth, whitelist, tmp), flush=True)


if __name__ == "__main__":
    main()
