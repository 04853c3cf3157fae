"""An in-memory pyvirtualcam backend, so tests drive the real ``pyvirtualcam.Camera`` path without a device.

pyvirtualcam calls backends duck-typed (see ``pyvirtualcam.camera.Backend``):
``__init__(*, width, height, fps, fourcc, device, **kw)``, ``send(frame)`` with a
flat C-contiguous uint8 view that the caller may reuse, ``device()``,
``native_fourcc()`` and ``close()`` (exactly once).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyvirtualcam

NAME = "privastream-test"
DEVICE = "PrivaStream Test Camera"


@dataclass
class Opened:
    width: int
    height: int
    fps: float
    fourcc: int
    device: str


FRAMES: list[np.ndarray] = []
"""Every frame received, reshaped to (height, width, 3) and copied."""

OPENED: list[Opened] = []
"""One entry per camera opened, in order; ``OPENED[-1]`` is the latest."""

CLOSED: list[str] = []
"""Device name of every camera closed."""


class MemoryBackend:
    def __init__(self, *, width: int, height: int, fps: float, fourcc: int, device: str | None, **kw: object) -> None:
        if fourcc != pyvirtualcam.util.encode_fourcc(pyvirtualcam.PixelFormat.BGR.value):
            raise RuntimeError("test backend only takes BGR frames")
        self._shape = (height, width, 3)
        self._device = device or DEVICE
        OPENED.append(Opened(width, height, fps, fourcc, self._device))

    def send(self, frame: np.ndarray) -> None:
        FRAMES.append(frame.reshape(self._shape).copy())

    def device(self) -> str:
        return self._device

    def native_fourcc(self) -> int | None:
        return None

    def close(self) -> None:
        CLOSED.append(self._device)


def register() -> str:
    """Register the backend (idempotent) and return the name to pass as ``backend=``."""
    if pyvirtualcam.camera.BACKENDS.get(NAME) is not MemoryBackend:
        pyvirtualcam.register_backend(NAME, MemoryBackend)
    return NAME


def clear() -> None:
    FRAMES.clear()
    OPENED.clear()
    CLOSED.clear()


def unregister() -> None:
    """Remove the backend again: once registered, ``backend=None`` also falls back to it when no real camera exists."""
    pyvirtualcam.camera.BACKENDS.pop(NAME, None)
