"""Enrolling and managing people in the app, and what the preview shows for them."""

from __future__ import annotations

import stat

import cv2
import numpy as np
import pytest
from PySide6.QtCore import Qt

from privastream_desktop.config import AppConfig
from privastream_desktop.resources import data_dir
from privastream_desktop.ui.main_window import MainWindow
from privastream_desktop.ui.people import CameraEnrolDialog
from privastream_desktop.whitelist import Whitelist
from privastream_desktop.whitelist import data_dir as whitelist_dir
from tests.media import write_clip

ENROL = data_dir("assets") / "samples" / "enrol"


@pytest.fixture(scope="module")
def streamer_clip(tmp_path_factory):
    """A 'webcam' of one person (a different shot from the enrolment photos), still, like at a desk."""
    face = cv2.imread(str(data_dir("assets") / "samples" / "faces" / "barack_obama.jpg"))
    face = cv2.resize(face, None, fx=1.6, fy=1.6)
    frame = np.full((720, 1280, 3), 90, np.uint8)
    y, x = 60, 400
    frame[y : y + face.shape[0], x : x + face.shape[1]] = face
    box = (x + round(84 * 1.6), y + round(42 * 1.6), x + round(216 * 1.6), y + round(174 * 1.6))
    path = write_clip(tmp_path_factory.mktemp("cam") / "desk.mp4", [frame] * 30, audio_hz=None)
    return path, box


@pytest.fixture
def window(qtbot, tmp_path, streamer_clip):
    win = MainWindow(AppConfig(source=str(streamer_clip[0]), delay_s=0.0, plates=False, virtual_camera=False),
                     config_path=tmp_path / "settings.json", global_hotkey=False)  # fmt: skip
    qtbot.addWidget(win)
    win.show()
    yield win
    win.stop()


def face_shown(win, box) -> bool:
    frame = win.last_frame
    x1, y1, x2, y2 = box
    return float(np.abs(frame.raw[y1:y2, x1:x2].astype(int) - frame.protected[y1:y2, x1:x2].astype(int)).mean()) < 2


def test_add_from_photos_reports_skipped_files_and_saves_privately(window, tmp_path):
    bad = tmp_path / "not_a_photo.jpg"
    bad.write_text("nope")
    panel = window.people
    samples, problems = panel.samples_from_files([*map(str, sorted(ENROL.glob("*.jpg"))), str(bad)])
    assert len(samples) == 2 and "not_a_photo.jpg" in problems[0]
    assert panel.enrol("Barack", samples, problems)
    assert panel.list.count() == 1 and not panel.list.item(0).icon().isNull()
    assert "Skipped: not_a_photo.jpg" in panel.message.text()
    stored = whitelist_dir() / "whitelist.json"
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert Whitelist.load(stored).names() == ["Barack"]
    assert not panel.enrol("Nobody", [], ["x.jpg: no face found"]) and "Nobody was added" in panel.message.text()


def test_camera_enrolment_then_visible_then_switched_off_then_deleted(qtbot, window, streamer_clip):
    _, box = streamer_clip
    window.start()
    qtbot.waitUntil(lambda: window.last_frame is not None and window.last_frame.index > 5, timeout=20_000)
    assert not face_shown(window, box), "nobody is enrolled yet: the face must be blurred"

    window.people.add_camera_button.click()
    dialog = window.people.findChild(CameraEnrolDialog)
    qtbot.waitUntil(lambda: len(dialog.samples) == 4, timeout=20_000)
    save = dialog.buttons.button(dialog.buttons.StandardButton.Save)
    assert not save.isEnabled(), "saving needs a name"
    dialog.name_edit.setText("Me")
    save.click()
    assert window.whitelist.names() == ["Me"]

    qtbot.waitUntil(lambda: face_shown(window, box), timeout=10_000)  # acquired
    item = window.people.list.item(0)
    item.setCheckState(Qt.CheckState.Unchecked)
    index = window.last_frame.index
    qtbot.waitUntil(lambda: window.last_frame.index > index + 1, timeout=5_000)
    assert not face_shown(window, box), "switched off: blurred from the next frame on"

    item.setCheckState(Qt.CheckState.Checked)
    qtbot.waitUntil(lambda: face_shown(window, box), timeout=10_000)
    window.people.list.setCurrentRow(0)
    window.people.delete_button.click()
    index = window.last_frame.index
    qtbot.waitUntil(lambda: window.last_frame.index > index + 1, timeout=5_000)
    assert not face_shown(window, box), "deleted: blurred from the next frame on"
    assert window.whitelist.names() == [] and window.people.list.count() == 0


def test_export_import_and_dropping_thumbnails(window, tmp_path):
    panel = window.people
    samples, _ = panel.samples_from_files([str(p) for p in sorted(ENROL.glob("*.jpg"))])
    panel.enrol("Barack", samples)
    assert panel.whitelist.people[0].thumbnail_jpeg
    panel.drop_thumbnails()
    assert not panel.whitelist.people[0].thumbnail_jpeg and panel.list.item(0).icon().isNull()
    exported = tmp_path / "moving.json"
    panel.export_file(str(exported))
    assert stat.S_IMODE(exported.stat().st_mode) == 0o600
    panel.whitelist.delete_all()
    panel.import_file(str(exported))
    assert panel.whitelist.names() == ["Barack"] and panel.list.count() == 1
