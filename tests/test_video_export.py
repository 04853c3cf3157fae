"""End to end: a real face photo moving through a clip, through the real models."""

import json
import os

import av
import cv2
import numpy as np
import pytest

from privastream_desktop.detectors.faces import FaceDetector
from privastream_desktop.engine import ProtectionSettings
from privastream_desktop.resources import data_dir
from privastream_desktop.video_export import VideoRedactionJob
from tests.media import write_clip

W, H, N, FPS = 640, 360, 45, 30


def face_clip(tmp_path):
    """Face enters from the left edge and crosses; returns path and per-frame face boxes."""
    faces = data_dir("assets") / "samples" / "faces"
    entry = json.loads((faces / "faces.json").read_text())["faces"][0]
    face = cv2.resize(cv2.imread(str(faces / entry["file"])), None, fx=0.5, fy=0.5)
    fx1, fy1, fx2, fy2 = (v // 2 for v in entry["face_box"])
    rng = np.random.default_rng(3)
    background = cv2.GaussianBlur(rng.integers(0, 255, (H, W, 3), dtype=np.uint8), (0, 0), 2)
    frames, truth = [], []
    fh, fw = face.shape[:2]
    for i in range(N):
        x, y = -fw // 2 + 12 * i, 100
        image = background.copy()
        x0, x1 = max(0, x), min(W, x + fw)
        if x1 > x0:
            image[y : y + fh, x0:x1] = face[:, x0 - x : x1 - x]
        frames.append(image)
        truth.append((max(0, x + fx1), y + fy1, min(W, x + fx2), y + fy2))
    return write_clip(tmp_path / "in.mp4", frames, fps=FPS), frames, truth


def decode(path):
    with av.open(str(path)) as c:
        return [f.to_ndarray(format="bgr24") for f in c.decode(video=0)]


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("e2e")
    src, frames, truth = face_clip(tmp)
    dst = tmp / "out.mp4"
    job = VideoRedactionJob(src, dst, ProtectionSettings(plates=True))
    seen = []
    job.on_protected = seen.append
    report = job.run()
    return src, dst, frames, truth, report, seen


def test_stream_properties_are_kept(exported):
    src, dst, *_, report, _ = exported
    with av.open(str(src)) as a, av.open(str(dst)) as b:
        va, vb = a.streams.video[0], b.streams.video[0]
        assert (vb.codec_context.name, vb.codec_context.width, vb.codec_context.height) == ("h264", W, H)
        assert vb.average_rate == va.average_rate
        assert abs(float(b.duration - a.duration)) / av.time_base < 0.1
        assert len(b.streams.audio) == 1 and b.streams.audio[0].codec_context.name == "aac"
        assert b.streams.audio[0].rate == a.streams.audio[0].rate
    assert len(decode(dst)) == N == report.frames
    umask = os.umask(0)
    os.umask(umask)
    assert dst.stat().st_mode & 0o777 == 0o666 & ~umask, "the export must get the usual file mode, not 0600"
    assert report.audio and report.fail_closed_frames == 0


def test_face_is_hidden_in_every_frame_including_its_entry(exported):
    _, dst, frames, truth, _, seen = exported
    out = decode(dst)
    detector = FaceDetector(threshold=0.25)
    for i, (before, after, box) in enumerate(zip(frames, out, truth, strict=True)):
        x1, y1, x2, y2 = box
        if x2 - x1 < 8:
            continue
        crop_before, crop_after = before[y1:y2, x1:x2], after[y1:y2, x1:x2]
        diff = np.abs(crop_before.astype(int) - crop_after.astype(int)).mean()
        assert diff > 12, f"frame {i}: face region looks unchanged (mean abs diff {diff:.1f})"
        assert seen[i].regions, f"frame {i}: no mask"
    for i in range(10, N, 10):
        assert not detector.detect(out[i]), f"frame {i}: a face is still detectable in the output"


def test_rest_of_the_picture_is_kept(exported):
    _, dst, frames, _, _, seen = exported
    out = decode(dst)
    for i in range(0, N, 5):
        keep = np.ones((H, W), bool)
        for region in seen[i].regions:
            x1, y1, x2, y2 = region.box.scaled(1.4).clipped(W, H).as_int()
            keep[y1:y2, x1:x2] = False
        mse = np.mean((frames[i][keep].astype(float) - out[i][keep].astype(float)) ** 2)
        psnr = 10 * np.log10(255**2 / max(mse, 1e-9))
        assert psnr > 30, f"frame {i}: picture outside masks degraded (PSNR {psnr:.1f} dB)"
