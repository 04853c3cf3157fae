"""Exporting a recording from the app, checked with ffprobe as an outside oracle."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess

import av
import numpy as np
import pytest

from privastream_desktop.config import AppConfig
from privastream_desktop.samples import render_scene, write_sample_clip
from privastream_desktop.ui.export import ExportRequest
from privastream_desktop.ui.main_window import MainWindow

W, H, FPS, SECONDS = 640, 360, 30, 2.0


@pytest.fixture(scope="module")
def recording(tmp_path_factory):
    folder = tmp_path_factory.mktemp("rec")
    path = write_sample_clip(folder / "rec.mp4", scene="mixed", seconds=SECONDS, width=W, height=H, fps=FPS)
    truth = [f.truth for f in render_scene("mixed", width=W, height=H, fps=FPS, seconds=SECONDS)]
    return path, truth


@pytest.fixture
def window(qtbot, tmp_path):
    win = MainWindow(AppConfig(source=""), config_path=tmp_path / "settings.json")
    qtbot.addWidget(win)
    win.show()
    yield win
    if win.export_queue is not None:
        win.export_queue.shutdown()


def ffprobe(path) -> dict:
    assert shutil.which("ffprobe"), "ffprobe is missing: scripts/setup.sh installs it (apt package ffmpeg)"
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-count_frames", "-show_streams", "-show_format", "-of", "json", str(path)],
        capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    return json.loads(out.stdout)


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_export_dialog_end_to_end(qtbot, window, recording, tmp_path):
    src_original, truth = recording
    src = tmp_path / "rec.mp4"
    shutil.copy(src_original, src)
    before = sha256(src)

    dialog = window.open_export_dialog()
    dialog.input_edit.setText(str(src))
    assert dialog.output_edit.text() == str(tmp_path / "rec_private.mp4")
    dialog.preview_button.click()
    assert dialog.thumbs.count() == 3, dialog.message.text()
    dialog.export_button.click()
    assert window.export_queue is not None, "accepting the dialog should queue the export"
    (row,) = window.export_queue.rows.values()
    qtbot.waitUntil(lambda: row.status in ("done", "failed"), timeout=120_000)
    assert row.status == "done", row.detail.text()
    assert row.open_button.isVisible()

    out = tmp_path / "rec_private.mp4"
    probe = ffprobe(out)
    streams = {s["codec_type"]: s for s in probe["streams"]}
    assert streams["video"]["codec_name"] == "h264"
    assert (streams["video"]["width"], streams["video"]["height"]) == (W, H)
    assert streams["video"]["r_frame_rate"] == f"{FPS}/1"
    assert int(streams["video"]["nb_read_frames"]) == round(SECONDS * FPS)
    assert streams["audio"]["codec_name"] == "aac"
    assert abs(float(probe["format"]["duration"]) - SECONDS) < 0.1

    with av.open(str(src)) as a, av.open(str(out)) as b:
        raw = [f.to_ndarray(format="bgr24") for f in a.decode(video=0)]
        protected = [f.to_ndarray(format="bgr24") for f in b.decode(video=0)]
    for i in range(0, len(raw), 10):
        for box in truth[i]:
            if box.kind == "face" and box.visible_fraction > 0.6:
                x1, y1, x2, y2 = box.box
                diff = np.abs(raw[i][y1:y2, x1:x2].astype(int) - protected[i][y1:y2, x1:x2].astype(int)).mean()
                assert diff > 10, f"frame {i}: a face came out unprotected"

    report = json.loads((tmp_path / "rec_private.mp4.report.json").read_text())
    assert report["input"] == "rec.mp4" and str(tmp_path) not in json.dumps(report)
    assert {h["kind"] for h in report["hidden"]} >= {"face"}
    assert all(set(h) == {"kind", "track", "start_s", "end_s", "frames"} for h in report["hidden"])
    assert {m["id"] for m in report["models"]} == {
        "face-centerface", "plate-yolov8n", "text-ppocrv6-det", "text-ppocrv6-rec",
        "speech-whisper-tiny-en", "speech-vad-silero", "speech-whisper-base", "speech-whisper-base-part2",
        "speech-align-cmu-en-us",
    }  # fmt: skip
    assert sha256(src) == before, "the input must never be modified"


def test_cancel_leaves_nothing_and_the_queue_goes_on(qtbot, window, recording, tmp_path):
    src, _ = recording
    long_src = write_sample_clip(tmp_path / "long.mp4", scene="mixed", seconds=12, width=1280, height=720)
    settings = window.config.protection()
    first = ExportRequest(long_src, tmp_path / "long_private.mp4", settings)
    second = ExportRequest(src, tmp_path / "short_private.mp4", settings)
    first_id = window.queue_export(first)
    second_id = window.queue_export(second)
    rows = window.export_queue.rows
    qtbot.waitUntil(lambda: rows[first_id].status == "running", timeout=30_000)
    assert rows[second_id].status == "queued", "exports run one after another"
    rows[first_id].cancel_button.click()
    qtbot.waitUntil(lambda: rows[second_id].status == "done", timeout=120_000)
    assert rows[first_id].status == "cancelled"
    assert "nothing was written" in rows[first_id].detail.text()
    names = {p.name for p in tmp_path.iterdir()} - {"settings.json"}
    assert names == {"long.mp4", "short_private.mp4", "short_private.mp4.report.json"}, "no partial file may remain"


def test_dialog_refuses_bad_destinations_with_a_message(qtbot, window, recording, tmp_path):
    src, _ = recording
    dialog = window.open_export_dialog()
    dialog.input_edit.setText(str(src))
    dialog.output_edit.setText(str(src))
    dialog.export_button.click()
    assert dialog.isVisible() and "overwrite the input" in dialog.message.text()
    dialog.output_edit.setText(str(tmp_path / "missing" / "out.mp4"))
    dialog.export_button.click()
    assert dialog.isVisible() and "does not exist" in dialog.message.text()
    dialog.faces_check.setChecked(False)
    dialog.plates_check.setChecked(False)
    dialog.output_edit.setText(str(tmp_path / "out.mp4"))
    dialog.export_button.click()
    assert "Nothing to hide" in dialog.message.text()
    assert window.export_queue is None


def test_export_offers_to_keep_enrolled_people_visible(qtbot, window):
    dialog = window.open_export_dialog()
    assert not dialog.keep_people_check.isEnabled() and dialog.settings().whitelist is None
    dialog.reject()
    window.whitelist.add("Me", [np.zeros(128)])
    dialog = window.open_export_dialog()
    assert dialog.keep_people_check.isChecked() and "Me" in dialog.keep_people_check.text()
    assert dialog.settings().whitelist is window.whitelist
    dialog.keep_people_check.setChecked(False)
    assert dialog.settings().whitelist is None


def test_preview_works_for_a_recording_in_a_read_only_folder(qtbot, window, recording, monkeypatch):
    """Previewing writes nothing, so an unwritable folder must not stop it (tests run as root: ask os.access)."""
    import os

    src, _ = recording
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, m: False if str(p) == str(src.parent) else real_access(p, m))
    dialog = window.open_export_dialog()
    dialog.input_edit.setText(str(src))
    dialog.preview_button.click()
    assert dialog.thumbs.count() == 3, dialog.message.text()
