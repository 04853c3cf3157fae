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

SCREENSHOTS = Path(__file__).resolve().parents[2] / "out" / "screenshots"


@pytest.fixture
def xvfb():
    if not sys.platform.startswith("linux"):
        pytest.skip("Xvfb is a Linux tool")
    binary = shutil.which("Xvfb")
    assert binary, "Xvfb is missing: scripts/setup.sh installs it (apt package xvfb)"
    for number in range(90, 140):
        if not Path(f"/tmp/.X11-unix/X{number}").exists() and not Path(f"/tmp/.X{number}-lock").exists():
            break
    proc = subprocess.Popen(
        [binary, f":{number}", "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while not Path(f"/tmp/.X11-unix/X{number}").exists():
        assert proc.poll() is None and time.monotonic() < deadline, "Xvfb did not start"
        time.sleep(0.05)
    yield f":{number}"
    proc.terminate()
    proc.wait(5)


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
    assert not FaceDetector(threshold=0.5).detect(image), "a face is recognisable on screen"
    assert (tmp_path / "settings.json").exists(), "closing the app should save its settings"
