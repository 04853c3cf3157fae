"""Draws the masks: blur, pixelate or solid fill; ellipses for faces.

Blur here is deliberately destructive: the region is shrunk to a handful of
pixels before blurring, so no kernel size leaves eyes and mouth readable and
the cost does not grow with the face size (stackBlur is O(1) per pixel).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import cv2
import numpy as np

from privastream_desktop.regions import ProtectedFrame, Region, RegionKind


class MaskStyle(StrEnum):
    BLUR = "blur"
    PIXELATE = "pixelate"
    FILL = "fill"


_ELLIPSE_KINDS = {RegionKind.FACE}
# Text boxes come with their own measured margin (the secret, not its neighbours): padding would
# scale a 300 px wide email by 1.4 and blur the words beside it.
_UNPADDED_KINDS = {RegionKind.TEXT}
_FILL_BGR = (40, 40, 40)


@dataclass(frozen=True, slots=True)
class RedactionSettings:
    """How masks look. ``strength`` 0..1: 0 still hides identity, 1 leaves a smudge.

    ``padding`` scales each box around its centre (deface's "mask scale");
    1.4 covers the ears, hairline and chin that CenterFace boxes crop off
    """

    style: MaskStyle = MaskStyle.BLUR
    strength: float = 0.8
    padding: float = 1.4


def _touches_edge(region: Region, width: int, height: int, margin: float = 2.0) -> bool:
    """A box cut by the frame border hides the object's true shape; cover it with a rectangle."""
    box = region.box
    return box.x1 <= margin or box.y1 <= margin or box.x2 >= width - margin or box.y2 >= height - margin


def _odd(value: float) -> int:
    n = max(3, int(value))
    return n if n % 2 else n + 1


class Redactor:
    def __init__(self, settings: RedactionSettings | None = None) -> None:
        self.settings = settings or RedactionSettings()

    def render(self, protected: ProtectedFrame) -> np.ndarray:
        """A new image with every region hidden, or all of it if fail-closed."""
        image = protected.frame.image
        if protected.fail_closed:
            return self.cover_all(image)
        out = image.copy()
        for region in protected.regions:
            self._mask_region(out, region)
        return out

    def cover_all(self, image: np.ndarray) -> np.ndarray:
        """Hide the whole picture: what a viewer sees when we cannot vouch for a frame."""
        height, width = image.shape[:2]
        small = cv2.resize(image, (max(1, width // 32), max(1, height // 32)), interpolation=cv2.INTER_AREA)
        small = cv2.stackBlur(small, (5, 5))
        return cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR)

    def _mask_region(self, image: np.ndarray, region: Region) -> None:
        height, width = image.shape[:2]
        padding = 1.0 if region.kind in _UNPADDED_KINDS else self.settings.padding
        x1, y1, x2, y2 = region.box.scaled(padding).clipped(width, height).as_int()
        x2, y2 = min(x2, width), min(y2, height)
        if x2 - x1 < 2 or y2 - y1 < 2:
            return
        roi = image[y1:y2, x1:x2]
        hidden = self._hide(roi)
        if region.kind in _ELLIPSE_KINDS and not _touches_edge(region, width, height):
            mask = self._ellipse_mask(region, (x1, y1, x2, y2), width, height)
            np.copyto(roi, hidden, where=mask[:, :, None].astype(bool))
        else:
            roi[:] = hidden

    def _ellipse_mask(self, region: Region, roi: tuple[int, int, int, int], width: int, height: int) -> np.ndarray:
        """Ellipse of the *unclipped* padded box, so a face at the frame edge keeps its full cover."""
        x1, y1, x2, y2 = roi
        full = region.box.scaled(self.settings.padding)
        cx, cy = full.center
        mask = np.zeros((y2 - y1, x2 - x1), np.uint8)
        axes = (max(1, int(np.ceil(full.width / 2))), max(1, int(np.ceil(full.height / 2))))
        cv2.ellipse(mask, (round(cx - x1), round(cy - y1)), axes, 0, 0, 360, 255, -1)
        return mask

    def _hide(self, roi: np.ndarray) -> np.ndarray:
        h, w = roi.shape[:2]
        strength = float(np.clip(self.settings.strength, 0.0, 1.0))
        style = self.settings.style
        if style is MaskStyle.FILL:
            return np.full_like(roi, _FILL_BGR)
        if style is MaskStyle.PIXELATE:
            blocks = max(3, round(16 - 12 * strength))  # cells across the longer side
            cell = max(h, w) / blocks
            small = cv2.resize(roi, (max(1, round(w / cell)), max(1, round(h / cell))), interpolation=cv2.INTER_AREA)
            return cv2.resize(small, (w, h), interpolation=cv2.INTER_NEAREST)
        # Blur: shrink to a few pixels across, then smooth the enlarged result.
        cells = max(4, round(12 - 8 * strength))
        scale = cells / max(h, w)
        small = cv2.resize(roi, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
        big = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
        return cv2.stackBlur(big, (_odd(w / cells * 1.5), _odd(h / cells * 1.5)))
