"""Video export with speech: the number is bleeped in the output's audio and the visible (whitelisted)
speaker's mouth is blurred over exactly the bleeped interval; the report names kinds and times only."""

import json
import re

import cv2
import numpy as np
import pytest

from privastream_desktop.audio.files import decode_audio
from privastream_desktop.detectors.faces import FaceDetector
from privastream_desktop.engine import ProtectionSettings
from privastream_desktop.identity import FaceEmbedder, check_sample
from privastream_desktop.regions import RegionKind
from privastream_desktop.resources import data_dir
from privastream_desktop.video_export import VideoRedactionJob
from privastream_desktop.whitelist import Whitelist
from tests.audio.speech_helpers import PHONE_SCRIPT, needs_espeak, phone_clip
from tests.media import write_clip

pytestmark = needs_espeak

FPS, W, H, RATE = 15, 480, 360, 48000
SAMPLES = data_dir("assets") / "samples"


def peak_hz(x: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.fft.rfftfreq(len(x), 1 / RATE)[np.argmax(spectrum)])


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("speech_video")
    clip = phone_clip(RATE)
    picture = cv2.imread(str(SAMPLES / "faces" / "barack_obama.jpg"))
    frame = np.full((H, W, 3), 120, np.uint8)
    frame[:, 90 : 90 + picture.shape[1]] = picture[:H]
    n = int(clip.duration * FPS)
    src = write_clip(tmp / "talk.mp4", [frame] * n, fps=FPS, audio=clip.audio, sample_rate=RATE)
    detector, embedder = FaceDetector(), FaceEmbedder()
    samples = []
    for photo in sorted((SAMPLES / "enrol").glob("*.jpg")):
        image = cv2.imread(str(photo))
        samples.append(check_sample(image, detector.detect(image), embedder))
    whitelist = Whitelist(tmp / "w.json")
    whitelist.add("Barack Obama", [s.embedding for s in samples])
    job = VideoRedactionJob(
        src, tmp / "out.mp4", ProtectionSettings(plates=False, whitelist=whitelist), write_report=True
    )
    seen = []
    job.on_protected = seen.append
    report = job.run()
    return clip, frame, job, report, seen


def test_audio_of_the_export_is_bleeped_over_the_number(export):
    clip, _, job, report, _ = export
    ((_, a, b),) = clip.pii
    assert report.speech_redactions, "the number was not found"
    out = decode_audio(job.dst).samples[:, 0]
    original = decode_audio(job.src).samples[:, 0]
    assert abs(peak_hz(out[int((a + 0.1) * RATE) : int((b - 0.1) * RATE)]) - 1000) < 10
    lo, hi = int(clip.benign[0][0] * RATE), int((a - 0.6) * RATE)
    assert abs(peak_hz(out[lo:hi]) - 1000) > 50, "speech before the number keeps its own sound"
    rms = lambda x: float(np.sqrt(np.mean(x**2)))  # noqa: E731
    assert 0.7 < rms(out[lo:hi]) / rms(original[lo:hi]) < 1.3


def test_mouth_is_blurred_over_exactly_the_bleeped_interval(export):
    clip, frame, job, report, seen = export
    ((_, a, b),) = clip.pii
    spans = [(r.t_from, r.t_to) for r in report.speech_redactions]
    covered = sum(max(0.0, min(t1, b) - max(t0, a)) for t0, t1 in spans) / (b - a)
    assert covered >= 0.9, spans
    import av

    with av.open(str(job.dst)) as c:
        out = [f.to_ndarray(format="bgr24") for f in c.decode(video=0)]
    assert len(out) == len(seen)
    mouthed = 0
    for item, image in zip(seen, out, strict=True):
        t = item.frame.t
        speaking = any(t0 < t + 1 / FPS and t1 > t for t0, t1 in spans)
        mouths = [r for r in item.regions if r.kind is RegionKind.MOUTH]
        faces = [r for r in item.kept_visible if r.kind is RegionKind.FACE]
        assert bool(mouths) == (speaking and bool(faces or item.regions)), f"frame at {t:.2f} s"
        if not faces:
            continue  # not yet confirmed as the enrolled person: the whole face is masked anyway
        face = faces[0].box
        x1, y1, x2, y2 = (int(v) for v in (face.x1, face.y1 + 0.7 * face.height, face.x2, face.y2))
        mouth_diff = np.abs(image[y1:y2, x1:x2].astype(int) - frame[y1:y2, x1:x2]).mean()
        top, bottom = face.y1 + 0.2 * face.height, face.y1 + 0.45 * face.height
        ex1, ey1, ex2, ey2 = (int(v) for v in (face.x1, top, face.x2, bottom))
        eyes_diff = np.abs(image[ey1:ey2, ex1:ex2].astype(int) - frame[ey1:ey2, ex1:ex2]).mean()
        assert eyes_diff < 6, f"frame at {t:.2f} s: the enrolled face must stay visible"
        if speaking:
            mouthed += 1
            assert mouth_diff > 12, f"frame at {t:.2f} s: the mouth must be blurred while the number is said"
        else:
            assert mouth_diff < 6, f"frame at {t:.2f} s: the mouth is blurred outside the interval"
    assert mouthed >= 0.8 * (b - a) * FPS, "the enrolled speaker's mouth was not blurred while speaking the number"


def strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return []


def test_report_lists_speech_kinds_and_times_but_no_words(export):
    report = export[3]
    data = json.loads(report.report_path.read_text())
    assert data["speech"] and all(set(s) == {"kind", "start_s", "end_s"} for s in data["speech"])
    assert any(m["id"] == "speech-whisper-tiny-en" for m in data["models"])
    text = " ".join(strings(data)).lower()
    words = {w.strip(",.").lower() for s in PHONE_SCRIPT for w in s.text.split()}
    words.discard("text")  # "so text me tonight": also the name of the on-screen text setting
    leaked = [w for w in words | {"555", "213", "4471"} if len(w) > 2 and re.search(rf"\b{w}\b", text)]
    assert not leaked, f"the report repeats what was said: {leaked}"
