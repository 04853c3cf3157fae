"""Where protected frames go: the virtual camera that OBS / TikTok LIVE Studio read.

The virtual camera depends on something outside our control (OBS installed,
a kernel module loaded), so its absence is an expected condition with a
fix the user can follow, not a crash: :class:`VirtualCameraUnavailable`
carries that fix as its message and the preview keeps running without it.
"""

from __future__ import annotations

import sys
from typing import Protocol, runtime_checkable

import cv2
import numpy as np
import pyvirtualcam

from privastream_desktop.device_hints import DeviceUnavailable, hint_for_platform

_MODPROBE_OPTIONS = 'devices=1 exclusive_caps=1 card_label="PrivaStream"'

_HINTS = {
    "win32": (
        "No virtual camera was found. Install OBS Studio (obsproject.com), which includes the OBS Virtual Camera; "
        'if it still is not found, open OBS once, click "Start Virtual Camera", then "Stop Virtual Camera" and close '
        "OBS. Alternatively install Unity Capture (github.com/schellingb/UnityCapture). Then pick "
        '"OBS Virtual Camera" as the camera in TikTok LIVE Studio or OBS. The preview keeps working meanwhile.'
    ),
    "darwin": (
        "No virtual camera was found. Install OBS Studio 30 or newer into Applications, open it and click "
        '"Start Virtual Camera"; when macOS asks, allow the OBS camera extension in System Settings → '
        "Privacy & Security (on macOS 15: General → Login Items & Extensions → Camera Extensions), then stop "
        'the virtual camera and quit OBS. Then pick "OBS Virtual Camera" as the camera in your streaming app. '
        "The preview keeps working meanwhile."
    ),
    "linux": (
        "No virtual camera was found. Install and load v4l2loopback: "
        f"`sudo apt install v4l2loopback-dkms` then `sudo modprobe v4l2loopback {_MODPROBE_OPTIONS}`. "
        "To load it at every boot: `echo v4l2loopback | sudo tee /etc/modules-load.d/v4l2loopback.conf` and "
        f"`echo 'options v4l2loopback {_MODPROBE_OPTIONS}' | sudo tee /etc/modprobe.d/v4l2loopback.conf`. "
        'If modprobe says "Key was rejected by service", Secure Boot needs the DKMS key enrolled '
        "(`sudo mokutil --import /var/lib/dkms/mok.pub`, then reboot). "
        'Then pick "PrivaStream" as the camera in OBS. The preview keeps working meanwhile.'
    ),
}


def virtual_camera_hint(platform: str = sys.platform) -> str:
    """Exactly what this user has to install or click so a virtual camera exists; ``platform`` as in sys.platform."""
    return hint_for_platform(_HINTS, platform)


class VirtualCameraUnavailable(DeviceUnavailable):
    """No virtual camera could be opened (the reason is pyvirtualcam's own)."""


@runtime_checkable
class FrameSink(Protocol):
    """Where finished frames go; ``send`` takes BGR uint8 frames of one fixed size and never paces."""

    name: str

    def send(self, image: np.ndarray) -> None: ...

    def close(self) -> None: ...


class NullSink:
    """Swallows frames and counts them: lets tests and benchmarks run the pipeline without a virtual camera."""

    def __init__(self, name: str = "null") -> None:
        self.name = name
        self.frames = 0
        self.last: np.ndarray | None = None
        self.closed = False

    def send(self, image: np.ndarray) -> None:
        self.frames += 1
        self.last = image

    def close(self) -> None:
        self.closed = True


def _one_line(text: str) -> str:
    """pyvirtualcam joins one error per backend with newlines; the user gets them as one sentence."""
    parts = [part.strip().rstrip(".") for part in str(text).splitlines() if part.strip()]
    return ("; ".join(parts) + ".") if parts else ""


class VirtualCameraSink:
    """The protected picture as a system camera, through pyvirtualcam.

    It does not pace: the engine already runs on the camera's clock, and a
    second sleep here would only add latency.
    """

    def __init__(
        self,
        width: int,
        height: int,
        fps: float,
        *,
        device: str | None = None,
        backend: str | None = None,
    ) -> None:
        self.width, self.height, self.fps = int(width), int(height), float(fps)
        hint = virtual_camera_hint()
        if backend is not None and backend not in pyvirtualcam.camera.BACKENDS:
            # pyvirtualcam would raise a bare KeyError (and warn from __del__); say which ones exist instead
            known = ", ".join(sorted(pyvirtualcam.camera.BACKENDS)) or "none"
            raise VirtualCameraUnavailable(hint, f"the '{backend}' backend is not available here (available: {known}).")
        try:
            self._camera: pyvirtualcam.Camera | None = pyvirtualcam.Camera(
                self.width,
                self.height,
                self.fps,
                fmt=pyvirtualcam.PixelFormat.BGR,
                device=device,
                backend=backend,
            )
        except RuntimeError as exc:
            raise VirtualCameraUnavailable(hint, _one_line(str(exc))) from None
        self.name: str = self._camera.device
        self.backend: str = self._camera.backend

    @property
    def frames_sent(self) -> int:
        return self._camera.frames_sent if self._camera is not None else 0

    def send(self, image: np.ndarray) -> None:
        if self._camera is None:
            raise RuntimeError("virtual camera is closed")
        if image.shape[:2] != (self.height, self.width):
            # a source that changes mode mid-stream must not kill the output OBS is showing
            shrinking = image.shape[1] > self.width or image.shape[0] > self.height
            interpolation = cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
            image = cv2.resize(image, (self.width, self.height), interpolation=interpolation)
        self._camera.send(np.ascontiguousarray(image))

    def close(self) -> None:
        camera, self._camera = self._camera, None
        if camera is not None:
            camera.close()


__all__ = [
    "FrameSink",
    "NullSink",
    "VirtualCameraSink",
    "VirtualCameraUnavailable",
    "virtual_camera_hint",
]
