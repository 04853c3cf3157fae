"""What the virtual camera and the virtual microphone share: a how-to per platform, and the error that carries it.

Kept apart from both so the audio side does not import the camera library (and the other way round).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping


def hint_for_platform(hints: Mapping[str, str], platform: str = sys.platform) -> str:
    """The entry of ``hints`` ("win32", "darwin", "linux") for ``platform`` as in sys.platform."""
    if platform.startswith("win") or platform == "cygwin":
        return hints["win32"]
    if platform == "darwin":
        return hints["darwin"]
    return hints["linux"]


class DeviceUnavailable(RuntimeError):
    """A virtual device is missing; the message is what to do about it, then the technical reason."""

    def __init__(self, hint: str, reason: str = "") -> None:
        self.hint = hint
        self.reason = reason
        super().__init__(f"{hint} Details: {reason}" if reason else hint)
