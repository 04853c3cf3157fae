"""`privastream video` on a screen recording: the secrets come out unreadable, the rest readable.

The check is the one an attacker would make: OCR the exported frame and look for PII in what it reads
(the same OCR and recognizers that found it in the input, where it must be found, or the test could
not fail).
"""

from __future__ import annotations

import json

import av
import numpy as np

from privastream_desktop.cli import main
from privastream_desktop.detectors.text import TextPiiDetector, shared_engine
from privastream_desktop.screen_samples import render_screen, write_screen_clip

SECONDS = 2.0  # the notification slides in at 0.5 s; the .env file is printed at 0.5 s


def frame_at(path, index: int) -> np.ndarray:
    with av.open(str(path)) as container:
        for i, frame in enumerate(container.decode(video=0)):
            if i == index:
                return frame.to_ndarray(format="bgr24")
    raise AssertionError(f"{path} has no frame {index}")


def test_exported_screen_recording_has_no_readable_pii(tmp_path):
    src = write_screen_clip(tmp_path / "screen.mp4", "dark_stream", SECONDS)
    dst = tmp_path / "screen_private.mp4"
    code = main(["video", str(src), str(dst), "--no-faces", "--no-plates", "--no-speech", "--quiet", "--report"])
    assert code == 0

    index = 40  # 1.33 s: notification fully in, .env printed, chat and URL token on screen
    truth = {t.kind for t in list(render_screen("dark_stream", seconds=SECONDS))[index].truth if t.is_pii}
    assert {"email", "secret", "url_token", "phone"} <= truth

    engine = shared_engine()
    found_in = {r.label for r in TextPiiDetector(engine=engine).detect(frame_at(src, index))}
    assert {"email", "secret", "url_token", "phone"} <= found_in  # readable before

    after = TextPiiDetector(engine=engine)
    assert after.detect(frame_at(dst, index)) == []  # nothing left to find
    read = " ".join(line.text for line in after.lines)
    for benign in ("New message", "SCORE", "Already up to date", "git pull", "Stream Manager"):
        assert benign in read  # the rest of the screen still reads

    report = json.loads((tmp_path / "screen_private.mp4.report.json").read_text(encoding="utf-8"))
    assert {"text-ppocrv6-det", "text-ppocrv6-rec"} <= {m["id"] for m in report["models"]}
    assert any(span["kind"] == "text" for span in report["hidden"])
    assert "jane.doe" not in json.dumps(report)  # kinds and times only, never the text


def test_no_text_leaves_on_screen_pii_alone(tmp_path):
    src = write_screen_clip(tmp_path / "screen.mp4", "light_shop", 0.5)
    dst = tmp_path / "out.mp4"
    assert main(["video", str(src), str(dst), "--no-faces", "--no-plates", "--no-text", "--no-speech", "--quiet"]) == 1
    assert main(["video", str(src), str(dst), "--no-faces", "--no-plates", "--no-text", "--quiet"]) == 0
    before, after = frame_at(src, 5).astype(int), frame_at(dst, 5).astype(int)
    assert np.abs(before - after).mean() < 3  # re-encoded, nothing masked
