"""Mouth blur: while a spoken secret is bleeped, lips must not give it away.

A frame whose time falls inside a speech redaction gets a ``RegionKind.MOUTH``
rectangle on the lower third of every face in it, visible (whitelisted) faces
included: those are exactly the streamer's, whose lips would otherwise be read.
Faces that are blurred anyway get one too; it costs a little and keeps the rule
simple. The redactor draws MOUTH like any other region (a rectangle, padded).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence

from privastream_desktop.audio.blocks import SpeechRedaction
from privastream_desktop.regions import Box, Region, RegionKind

# Fractions of a face box (CenterFace: hairline to chin, ear to ear) that hold the mouth and chin.
_TOP, _BOTTOM, _SIDE = 0.6, 1.0, 0.18


def mouth_region(face: Region) -> Region:
    """The lower-third rectangle of ``face`` (lips, chin), same track, kind MOUTH."""
    b = face.box
    box = Box(b.x1 + _SIDE * b.width, b.y1 + _TOP * b.height, b.x2 - _SIDE * b.width, b.y1 + _BOTTOM * b.height)
    return Region(RegionKind.MOUTH, box, face.score, face.track_id, "mouth")


def mouth_regions(faces: Iterable[Region]) -> list[Region]:
    """One mouth per face region (other kinds are ignored)."""
    return [mouth_region(face) for face in faces if face.kind is RegionKind.FACE]


class SpeechTimeline:
    """Answers "is a secret being spoken at time t?" quickly, for every video frame of an export."""

    def __init__(self, redactions: Sequence[SpeechRedaction]) -> None:
        merged: list[list[float]] = []
        for r in sorted(redactions, key=lambda r: r.t_from):
            if merged and r.t_from <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], r.t_to)
            elif r.t_to > r.t_from:
                merged.append([r.t_from, r.t_to])
        self._starts = [a for a, _ in merged]
        self._ends = [b for _, b in merged]

    def __bool__(self) -> bool:
        return bool(self._starts)

    def speaking(self, t: float) -> bool:
        """True when ``t`` lies in [t_from, t_to) of some redaction."""
        i = bisect.bisect_right(self._starts, t) - 1
        return i >= 0 and t < self._ends[i]

    def overlaps(self, t0: float, t1: float) -> bool:
        """True when [t0, t1) meets some redaction: a frame shown over that span must hide the mouth."""
        i = bisect.bisect_right(self._ends, t0)  # the first interval still running after t0
        return i < len(self._starts) and self._starts[i] < t1
