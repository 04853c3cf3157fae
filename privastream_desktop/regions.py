"""The small value types that flow between pipeline stages.

Kept free of any model or UI dependency so that detectors, the tracker, the
redactor and every front end agree on one vocabulary.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum

import numpy as np


class RegionKind(StrEnum):
    FACE = "face"
    PLATE = "plate"
    TEXT = "text"
    MOUTH = "mouth"


@dataclass(frozen=True, slots=True)
class Box:
    """Axis-aligned box in pixel coordinates, ``x2``/``y2`` exclusive."""

    x1: float
    y1: float
    x2: float
    y2: float

    @property
    def width(self) -> float:
        return max(0.0, self.x2 - self.x1)

    @property
    def height(self) -> float:
        return max(0.0, self.y2 - self.y1)

    @property
    def area(self) -> float:
        return self.width * self.height

    @property
    def center(self) -> tuple[float, float]:
        return ((self.x1 + self.x2) / 2.0, (self.y1 + self.y2) / 2.0)

    def scaled(self, factor: float) -> Box:
        """Grow (or shrink) around the centre; masks use this for padding."""
        cx, cy = self.center
        hw, hh = self.width * factor / 2.0, self.height * factor / 2.0
        return Box(cx - hw, cy - hh, cx + hw, cy + hh)

    def shifted(self, dx: float, dy: float) -> Box:
        return Box(self.x1 + dx, self.y1 + dy, self.x2 + dx, self.y2 + dy)

    def clipped(self, width: int, height: int) -> Box:
        return Box(
            min(max(self.x1, 0.0), width),
            min(max(self.y1, 0.0), height),
            min(max(self.x2, 0.0), width),
            min(max(self.y2, 0.0), height),
        )

    def union(self, other: Box) -> Box:
        return Box(min(self.x1, other.x1), min(self.y1, other.y1), max(self.x2, other.x2), max(self.y2, other.y2))

    def intersection_area(self, other: Box) -> float:
        w = min(self.x2, other.x2) - max(self.x1, other.x1)
        h = min(self.y2, other.y2) - max(self.y1, other.y1)
        return max(0.0, w) * max(0.0, h)

    def iou(self, other: Box) -> float:
        inter = self.intersection_area(other)
        union = self.area + other.area - inter
        return inter / union if union > 0 else 0.0

    def lerp(self, other: Box, alpha: float) -> Box:
        return Box(
            self.x1 + (other.x1 - self.x1) * alpha,
            self.y1 + (other.y1 - self.y1) * alpha,
            self.x2 + (other.x2 - self.x2) * alpha,
            self.y2 + (other.y2 - self.y2) * alpha,
        )

    def as_int(self) -> tuple[int, int, int, int]:
        """Round outwards so a mask never loses a partial pixel."""
        return (int(np.floor(self.x1)), int(np.floor(self.y1)), int(np.ceil(self.x2)), int(np.ceil(self.y2)))


@dataclass(frozen=True, slots=True)
class Region:
    """Something to hide: what it is, where, how sure the detector was."""

    kind: RegionKind
    box: Box
    score: float = 1.0
    track_id: int | None = None
    label: str | None = None  # faces: a whitelisted person's id, "stranger", or None when not checked

    def with_box(self, box: Box) -> Region:
        return replace(self, box=box)


@dataclass(slots=True)
class Frame:
    """A decoded picture with its position in the stream.

    ``t`` is seconds: media time when exporting a file; ``time.monotonic()`` at
    capture for live sources (a looping file included, which keeps its media
    time in ``meta["media_t"]``), because the live delay line runs on that clock.
    """

    index: int
    t: float
    image: np.ndarray
    meta: dict[str, object] = field(default_factory=dict)


@dataclass(slots=True)
class ProtectedFrame:
    """A frame leaving the privacy delay line, with the verdict on it.

    ``fail_closed`` means some detector could not rule on this frame in time
    (it crashed, hung or fell behind); the whole picture must then be hidden.
    """

    frame: Frame
    regions: list[Region]
    fail_closed: bool = False
    reasons: list[str] = field(default_factory=list)
    kept_visible: list[Region] = field(default_factory=list)  # whitelisted faces left unmasked (for mouth blur)
