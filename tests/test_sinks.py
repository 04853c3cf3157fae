from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import pyvirtualcam

from privastream_desktop.sinks import (
    FrameSink,
    NullSink,
    VirtualCameraSink,
    VirtualCameraUnavailable,
    virtual_camera_hint,
)
from tests import vcam_backend


@pytest.fixture
def backend() -> Iterator[str]:
    vcam_backend.clear()
    yield vcam_backend.register()
    vcam_backend.clear()


def _frames(n: int, width: int = 64, height: int = 48) -> list[np.ndarray]:
    rng = np.random.default_rng(1)
    return [rng.integers(0, 256, (height, width, 3), np.uint8) for _ in range(n)]


def test_null_sink_counts() -> None:
    sink = NullSink()
    assert isinstance(sink, FrameSink)
    for image in _frames(3):
        sink.send(image)
    sink.close()
    assert sink.frames == 3 and sink.closed


def test_virtual_camera_receives_identical_frames(backend: str) -> None:
    sink = VirtualCameraSink(64, 48, 30.0, backend=backend)
    assert isinstance(sink, FrameSink)
    assert sink.name == vcam_backend.DEVICE
    opened = vcam_backend.OPENED[-1]
    assert (opened.width, opened.height, opened.fps) == (64, 48, 30.0)
    sent = _frames(5)
    for image in sent:
        sink.send(image)
    sink.close()
    sink.close()  # idempotent
    assert len(vcam_backend.FRAMES) == 5
    for got, want in zip(vcam_backend.FRAMES, sent, strict=True):
        np.testing.assert_array_equal(got, want)
    assert vcam_backend.CLOSED == [vcam_backend.DEVICE]


def test_virtual_camera_named_device(backend: str) -> None:
    sink = VirtualCameraSink(64, 48, 25.0, backend=backend, device="Cam 2")
    assert sink.name == "Cam 2"
    sink.close()


def test_virtual_camera_resizes_odd_frames(backend: str) -> None:
    sink = VirtualCameraSink(64, 48, 30.0, backend=backend)
    sink.send(np.full((96, 128, 3), 200, np.uint8))
    sink.send(np.full((24, 32, 3), 50, np.uint8))
    sink.send(np.full((96, 128, 3), 7, np.uint8)[::2, ::2])  # non-contiguous view of the right size
    sink.close()
    assert [f.shape for f in vcam_backend.FRAMES] == [(48, 64, 3)] * 3
    assert [int(f.mean()) for f in vcam_backend.FRAMES] == [200, 50, 7]


def test_unknown_backend_is_unavailable() -> None:
    with pytest.raises(VirtualCameraUnavailable, match="not available here"):
        VirtualCameraSink(64, 48, 30.0, backend="no-such-backend")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="v4l2loopback is the Linux backend")
@pytest.mark.skipif(any(Path("/dev").glob("video*")), reason="this machine has video devices")
@pytest.mark.parametrize("explicit", [True, False])
def test_no_device_gives_linux_hint(explicit: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    # else backend=None would fall back to the in-memory test camera registered by other tests
    monkeypatch.delitem(pyvirtualcam.camera.BACKENDS, vcam_backend.NAME, raising=False)
    with pytest.raises(VirtualCameraUnavailable) as info:
        VirtualCameraSink(64, 48, 30.0, backend="v4l2loopback" if explicit else None)
    message = str(info.value)
    assert 'card_label="PrivaStream"' in message
    assert "v4l2loopback" in info.value.reason
    assert "\n" not in message


@pytest.mark.parametrize(
    ("platform", "words"),
    [
        ("win32", ["OBS Studio", "Unity Capture", "Start Virtual Camera"]),
        ("darwin", ["OBS Studio 30", "Privacy & Security", "camera extension"]),
        (
            "linux",
            ["sudo apt install v4l2loopback-dkms", "modprobe v4l2loopback", "/etc/modules-load.d", "/etc/modprobe.d"],
        ),
    ],
)
def test_hints_name_the_right_tools(platform: str, words: list[str]) -> None:
    hint = virtual_camera_hint(platform)
    for word in words:
        assert word in hint
    assert "preview keeps working" in hint


def test_backend_registration_is_idempotent() -> None:
    assert vcam_backend.register() == vcam_backend.register()
    assert pyvirtualcam.camera.BACKENDS[vcam_backend.NAME] is vcam_backend.MemoryBackend
