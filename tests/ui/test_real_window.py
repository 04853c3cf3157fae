"""The real app in a real (virtual) X server, as a streamer would start it, with a screenshot to look at."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import cv2
import pytest

from privastream_desktop.detectors.faces import FaceDetector
from tests.xvfb import virtual_display

SCREENSHOTS = Path(__file__).resolve().parents[2] / "out" / "screenshots"


@pytest.fixture
def xvfb():
    if not sys.platform.startswith("linux"):
        pytest.skip("Xvfb is a Linux tool")
    with virtual_display() as display:
        assert display, "Xvfb is missing: scripts/setup.sh installs it (apt package xvfb)"
        yield display


def test_app_shows_a_protected_preview_in_a_real_window(xvfb, clip, tmp_path):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot = SCREENSHOTS / "app-xvfb.png"
    shot.unlink(missing_ok=True)
    env = dict(os.environ, DISPLAY=xvfb, QT_QPA_PLATFORM="xcb", PRIVASTREAM_CONFIG_DIR=str(tmp_path))
    result = subprocess.run(
        [sys.executable, "-m", "privastream_desktop", "app", "--source", str(clip[0]),
         "--quit-after", "6", "--screenshot", str(shot)],
        env=env, capture_output=True, text=True, timeout=90,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    image = cv2.imread(str(shot))
    assert image is not None and image.shape[:2] == (800, 1280)
    assert image.std() > 20, "the screen is blank: no window was shown"
    assert not FaceDetector(threshold=0.65).detect(image), "a face is recognisable on screen"  # real ones: 0.79-0.91
    assert (tmp_path / "settings.json").exists(), "closing the app should save its settings"


def test_global_panic_hotkey_reaches_the_app_from_anywhere(xvfb, clip, tmp_path):
    """The hotkey goes to the X server, not to our window: it must work while another app has the focus."""
    assert shutil.which("xdotool"), "xdotool is missing: scripts/setup.sh installs it"
    shot = tmp_path / "panic.png"
    env = dict(os.environ, DISPLAY=xvfb, QT_QPA_PLATFORM="xcb", PRIVASTREAM_CONFIG_DIR=str(tmp_path))
    app = subprocess.Popen(
        [sys.executable, "-m", "privastream_desktop", "app", "--source", str(clip[0]),
         "--quit-after", "9", "--screenshot", str(shot)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    time.sleep(5)
    subprocess.run(["xdotool", "key", "ctrl+shift+p"], env=env, check=True, timeout=10)
    _, stderr = app.communicate(timeout=90)
    assert app.returncode == 0, stderr[-2000:]
    image = cv2.imread(str(shot))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(shot, SCREENSHOTS / "app-xvfb-panic.png")
    banner = image[15:40, 40:600].reshape(-1, 3).mean(axis=0)  # BGR
    assert banner[2] > 150 and banner[1] < 100, f"no red PANIC banner on screen (mean BGR {banner})"
    picture = cv2.cvtColor(image[120:600, 40:880], cv2.COLOR_BGR2GRAY)
    assert cv2.Laplacian(picture, cv2.CV_64F).var() < 5, "the preview still shows detail during PANIC"
