"""Detectors: plain classes with ``detect(image) -> list[Region]``.

The engine never knows which model sits behind a detector, so a better model
is a new class here, not a change to the pipeline.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from privastream_desktop.regions import Region, RegionKind


class Detector(Protocol):
    kind: RegionKind
    name: str

    def detect(self, image: np.ndarray) -> list[Region]:
        """Find regions in a BGR uint8 image; coordinates in that image's pixels."""
        ...
