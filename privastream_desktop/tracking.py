"""Temporal stabilisation of detections: no flicker, no first-frame leaks.

Detectors run on some frames only (every k-th, or whenever they are free) and
miss objects now and then. A track turns scattered detections into a mask for
*every* frame of its life, and the rules lean towards covering too much:

* between two detections the box is interpolated, so stride and short misses
  leave no gap;
* after the last detection the mask is held for ``hold_frames``, as the union
  of "it stopped where it was" and "it kept moving" so neither guess leaks;
* before the first detection the mask is extended back ``lead_frames`` the
  same way; inside the privacy delay line those frames have not been shown
  yet, which is what removes the classic leak of a face entering the picture.

Association is a Hungarian assignment (scipy) on overlap and centre distance
with a constant-velocity prediction. We wrote this small module instead of
using ByteTrack/SORT packages because they answer "which box is this object
now", while a privacy mask needs "which frames must this object's mask
cover", including frames in the past.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linear_sum_assignment

from privastream_desktop.regions import Box, Region, RegionKind
from privastream_desktop.whitelist import STRANGER

_NO_MATCH = 1e6


@dataclass(slots=True)
class _Observation:
    index: int
    box: Box
    score: float


@dataclass(slots=True)
class _Identity:
    """Votes on who a tracked face is. Visible only after ``confirm`` matches in a row."""

    candidate: str | None = None
    streak: int = 0
    visible_from: int | None = None
    last_match: int | None = None
    last_label: str | None = None
    streak_start: int | None = None
    # Confirmed stretches that a later mismatch closed: (first, last, person). The frames in
    # them were rightly shown; only what follows the last match is in doubt.
    closed: list[tuple[int, int, str]] = field(default_factory=list)

    def observe(self, index: int, label: str | None, confirm: int) -> None:
        if label is None:
            return
        self.last_label = label
        if label == STRANGER or (self.candidate is not None and label != self.candidate):
            self.reset()
            if label != STRANGER:
                self.candidate, self.streak = label, 1
            return
        if self.streak == 0:
            self.streak_start = index
        self.candidate, self.streak, self.last_match = label, self.streak + 1, index
        if self.visible_from is None and self.streak >= confirm:
            # Confirmed by `confirm` matches in a row on one track: the frames since the first of
            # them were this person too (frames still in the delay line show them; none earlier).
            self.visible_from = self.streak_start

    def reset(self) -> None:
        if self.visible_from is not None and self.last_match is not None and self.candidate is not None:
            self.closed.append((self.visible_from, self.last_match, self.candidate))
        self.candidate, self.streak, self.visible_from, self.last_match, self.streak_start = None, 0, None, None, None

    @property
    def status(self) -> str:
        """For the identifying detector's schedule: "confirmed", "stranger" or "unknown"."""
        if self.visible_from is not None:
            return "confirmed"
        return "stranger" if self.last_label == STRANGER else "unknown"

    def visible_person(self, index: int, grace: int) -> str | None:
        for first, last, person in self.closed:
            if first <= index <= last:
                return person
        if self.visible_from is None or self.last_match is None:
            return None
        return self.candidate if self.visible_from <= index <= self.last_match + grace else None


@dataclass(slots=True)
class Track:
    id: int
    observations: list[_Observation] = field(default_factory=list)
    identity: _Identity = field(default_factory=_Identity)

    @property
    def first(self) -> _Observation:
        return self.observations[0]

    @property
    def last(self) -> _Observation:
        return self.observations[-1]

    def velocity(self, at_start: bool = False) -> tuple[float, float]:
        """Centre velocity in px/frame from the two observations at one end."""
        if len(self.observations) < 2:
            return (0.0, 0.0)
        a, b = (
            (self.observations[0], self.observations[1]) if at_start else (self.observations[-2], self.observations[-1])
        )
        steps = b.index - a.index
        (ax, ay), (bx, by) = a.box.center, b.box.center
        return ((bx - ax) / steps, (by - ay) / steps)

    def predict(self, index: int) -> Box:
        vx, vy = self.velocity()
        steps = index - self.last.index
        return self.last.box.shifted(vx * steps, vy * steps)


class TrackStabilizer:
    """Tracks one kind of region and answers "what to mask in frame i"."""

    def __init__(
        self,
        kind: RegionKind,
        *,
        hold_frames: int = 15,
        lead_frames: int = 15,
        growth_per_frame: float = 0.03,
        max_center_distance: float = 1.5,
        is_visible: Callable[[str], bool] | None = None,
        confirm_matches: int = 3,
        identity_grace_frames: int = 12,
    ) -> None:
        self.kind = kind
        self.is_visible = is_visible
        self.confirm_matches = confirm_matches
        self.identity_grace_frames = identity_grace_frames
        self.hold_frames = hold_frames
        self.lead_frames = lead_frames
        self.growth_per_frame = growth_per_frame
        self.max_center_distance = max_center_distance
        self.tracks: list[Track] = []
        self._ids = itertools.count(1)
        # (box, identity status) of the faces seen last; read by detector threads to decide whom
        # to describe next. Replaced whole, never mutated, so readers need no lock.
        self.identity_hints: tuple[tuple[Box, str], ...] = ()

    def update(self, index: int, regions: list[Region]) -> None:
        """Add the detections a detector made on frame ``index``.

        Calls must come in increasing ``index`` order; a detector that ran
        and found nothing should still call this with an empty list.
        """
        live = [t for t in self.tracks if index - t.last.index <= self.hold_frames and t.last.index < index]
        boxes = [r.box for r in regions]
        matched_regions: set[int] = set()
        seen: list[Track] = []
        if live and boxes:
            cost = np.array([[self._cost(t.predict(index), b) for b in boxes] for t in live])
            rows, cols = linear_sum_assignment(cost)
            for r, c in zip(rows, cols, strict=True):
                if cost[r, c] < _NO_MATCH:
                    live[r].observations.append(_Observation(index, boxes[c], regions[c].score))
                    live[r].identity.observe(index, regions[c].label, self.confirm_matches)
                    matched_regions.add(int(c))
                    seen.append(live[r])
        for i, region in enumerate(regions):
            if i not in matched_regions:
                track = Track(next(self._ids), [_Observation(index, region.box, region.score)])
                track.identity.observe(index, region.label, self.confirm_matches)
                self.tracks.append(track)
                seen.append(track)
        if self.is_visible is not None:
            # Faces that touch may have swapped tracks: both must prove who they are again.
            for a, b in itertools.combinations(seen, 2):
                if a.last.box.intersection_area(b.last.box) > 0:
                    a.identity.reset()
                    b.identity.reset()
            self.identity_hints = tuple((t.last.box, t.identity.status) for t in seen)

    def _cost(self, predicted: Box, detected: Box) -> float:
        ratio = detected.area / predicted.area if predicted.area > 0 else 0.0
        if not 0.25 <= ratio <= 4.0:
            return _NO_MATCH
        (px, py), (dx, dy) = predicted.center, detected.center
        scale = max(predicted.width, predicted.height, detected.width, detected.height, 1.0)
        distance = float(np.hypot(px - dx, py - dy)) / scale
        if distance > self.max_center_distance:
            return _NO_MATCH
        return (1.0 - predicted.iou(detected)) + distance

    def regions_at(self, index: int, width: int, height: int) -> list[Region]:
        """Every box to mask in frame ``index``, clipped to the frame."""
        out: list[Region] = []
        for track in self.tracks:
            if self.is_visible is not None:
                person = track.identity.visible_person(index, self.identity_grace_frames)
                if person is not None and self.is_visible(person):
                    continue  # an enrolled person, confirmed on this track and switched on right now
            box = self._box_at(track, index)
            if box is None:
                continue
            box = box.clipped(width, height)
            if box.area > 0:
                out.append(Region(self.kind, box, track.last.score, track.id))
        return out

    def kept_visible_at(self, index: int, width: int, height: int) -> list[Region]:
        """The faces ``regions_at`` leaves unmasked (enrolled, switched on): mouth blur still needs them."""
        out: list[Region] = []
        if self.is_visible is None:
            return out
        for track in self.tracks:
            person = track.identity.visible_person(index, self.identity_grace_frames)
            if person is None or not self.is_visible(person):
                continue
            box = self._box_at(track, index)
            if box is not None and (box := box.clipped(width, height)).area > 0:
                out.append(Region(self.kind, box, track.last.score, track.id, "visible"))
        return out

    def _box_at(self, track: Track, index: int) -> Box | None:
        first, last = track.first, track.last
        if index < first.index:
            steps = first.index - index
            if steps > self.lead_frames:
                return None
            vx, vy = track.velocity(at_start=True)
            return self._drifted(first.box, -vx * steps, -vy * steps, steps)
        if index > last.index:
            steps = index - last.index
            if steps > self.hold_frames:
                return None
            vx, vy = track.velocity()
            return self._drifted(last.box, vx * steps, vy * steps, steps)
        # Inside the track's life: interpolate between the bracketing observations.
        obs = track.observations
        lo, hi = 0, len(obs) - 1
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if obs[mid].index <= index:
                lo = mid
            else:
                hi = mid
        a, b = obs[lo], obs[hi]
        if index == a.index:
            return a.box
        if index == b.index:
            return b.box
        alpha = (index - a.index) / (b.index - a.index)
        uncertainty = min(index - a.index, b.index - index)
        return a.box.lerp(b.box, alpha).scaled(1.0 + self.growth_per_frame * uncertainty)

    def _drifted(self, box: Box, dx: float, dy: float, steps: int) -> Box:
        """Union of the box left in place and moved by (dx, dy), grown with time."""
        grow = 1.0 + self.growth_per_frame * steps
        return box.scaled(grow).union(box.shifted(dx, dy).scaled(grow))

    def forget_before(self, index: int) -> None:
        """Drop tracks that can no longer touch frame ``index`` or later."""
        self.tracks = [t for t in self.tracks if t.last.index + self.hold_frames >= index]
