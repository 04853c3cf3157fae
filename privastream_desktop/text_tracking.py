"""Text redactions in time: keep a secret covered for as long as the pixels under it stay the same.

OCR looks at a frame now and then (a keyframe) and is slow; faces move, text mostly sits still. So
text masks are not tracked by motion like faces (``tracking.py``) but held by content:

* **hold**: a box found on keyframe ``k`` covers every frame around ``k``, before and after, whose
  pixels inside the box still match frame ``k``'s, contiguously: on a 1/2-size grey copy, an RMS
  difference under ``tolerance`` grey levels (video noise and a blinking caret stay under it; a
  notification leaving, a tab switch or new text go over). Before ``k`` this reaches back into
  frames the delay line still holds, which is what covers a secret from its first frame;
* **follow**: when the pixels no longer match in place, the box is searched for nearby, frame by
  frame (up to 64 px sideways: a notification sliding in; up to 100 px up or down: a chat or
  terminal scrolling by a line or two; on blurred copies, so a move by an odd number of pixels still
  matches) and, if it is there, the mask moves with it, also while partly out of the picture;
* **end**: when it is found nowhere, the hold ends and the next OCR look decides. Live, where frames
  leave before OCR answers, the old box stays on for up to ``grace_frames`` (0.5 s) after the change
  unless a look at a frame at or after the change has ruled by then: a redraw, a hover effect or a
  caret passing over the secret should not uncover it for a frame;
* **bridge**: two consecutive looks that both find a secret of the same kind at the same place
  cover the frames between them even if the pixels changed (text over a moving game scene, an
  animation), so only a look that does *not* find it uncovers the place.

**Unread text** (fail closed, per area): holds only cover what OCR has read. Live, OCR is slower
than the delay on a busy screen, so a frame can leave while part of it shows pixels no look has read
(a notification that just appeared, a new chat line). Such an area is covered too, as a TEXT region
labelled ``unread``, until a look has read it, if it looks like text (dense sharp strokes) and is not
in motion (a game scene or a camera that moves changes nearly every frame; OCR-ing it would not keep
up, and covering it would blur the whole picture). An area of frame ``i`` counts as read when a look
read it and its pixels stayed the same, frame to frame, from that look to ``i`` (a look before ``i``)
or from ``i`` to that look (a look after ``i``: the back-fill of the delay line). What a budgeted look
left for later comes in as ``unread`` regions from the detector (of those, only tiles unread at the
look before or changed since stay unread). In exports every look reads all changes, so only text that
appeared and went away between two looks is covered this way.

Scrolling (a chat gaining a line, a terminal printing) changes every tile of the panel, yet only the
line that came in is new: each frame's changed area is matched against the frame before moved up or
down (``find_scrolls``), and a moved tile carries the read state of the tile it came from, forward and
backward, instead of counting as new.

The tracker needs the pixels of every frame, not only of keyframes: ``DetectorLane`` calls
``observe(frame)`` for each frame pushed into the delay line. It keeps a small grey copy of each
(1/2 size: 230 KB for 720p) while any verdict could still need it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import cv2
import numpy as np

from privastream_desktop.regions import Box, Frame, Region, RegionKind

SIGNATURE_SCALE = 2
UNREAD_LABEL = "unread"  # label of regions that cover pixels no OCR look has read yet
UNREAD_TILE = 8  # signature pixels per side of the unread map's tiles (16 px in the frame)
# Mean |grey difference| in a tile that counts as a change: H.264 noise on screen content stays
# under 1.5, a caret or one 12 px digit changing moves a tile by 6 or more.
UNREAD_LEVEL = 3.0
# Only unread tiles that look like text are covered (a moving person or camera changes everything, and
# OCR there finds nothing to read): a tile is text-like when at least TEXTLIKE_SHARE of its pixels have
# a local contrast (3x3 morphological gradient) of TEXTLIKE_CONTRAST grey levels. Measured on the screen
# scenes (screen_samples.py, DejaVu 12-32 px, dark and light): every PII word has a tile at 0.33 or more;
# 5-8 % of the tiles of the moving-camera sample clip reach 0.15 (edges, texture, its slide text).
TEXTLIKE_CONTRAST = 48
TEXTLIKE_SHARE = 0.15
# ... and that are not in motion: a game scene or a camera that moves changes everywhere nearly every
# frame; text that appears and then sits still (a notification, a chat line, a page) changes once.
MOTION_FRAMES = 15
MOTION_CHANGES = 5
# ... while it moves: a tile that has not changed for STILL_FRAMES frames has stopped (a notification that
# slid in and now sits still is covered at once, not once its slide has left the window of MOTION_FRAMES)
STILL_FRAMES = 2
# A chat or a terminal that scrolls changes every tile it shows, yet only the line that came in is new.
# An area of at least SCROLL_MIN_TILES changed tiles is tested for a vertical move of up to SCROLL_MAX_PX
# frame pixels; tiles whose pixels match the frame before, moved, within SCROLL_LEVEL (on copies blurred
# by SCROLL_BLUR signature pixels, so that a move by an odd number of frame pixels, half a signature
# pixel, matches too) carry the read state of where they came from instead of counting as new. Measured
# on the screen scenes' chat scrolls: moved tiles differ by 0.6 (median) to 4.7 (worst seen), a line
# that came in or a changed word by 14 and more.
SCROLL_MIN_TILES = 6
SCROLL_MAX_PX = 120
SCROLL_BLUR = 1.5
SCROLL_LEVEL = 6.0


def signature(image: np.ndarray, scale: int = SIGNATURE_SCALE) -> np.ndarray:
    """The 1/``scale`` grey picture holds are compared on (area average, so noise of a few levels fades)."""
    h, w = image.shape[:2]
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
    return cv2.resize(grey, (max(1, w // scale), max(1, h // scale)), interpolation=cv2.INTER_AREA)


@dataclass(slots=True)
class _Step:
    """How one frame's tiles came from the frame before: unchanged, moved (a scroll) or new."""

    changed: np.ndarray  # tiles whose pixels differ from the frame before's in place
    new: np.ndarray  # changed tiles whose pixels are nowhere in the frame before (where a scroll would put them)
    moves: list[tuple[np.ndarray, float]]  # (tiles of a scrolled area: their pixels are the frame before's
    # ``dy`` signature px lower, dy); unchanged tiles of the area are in it too


@dataclass(slots=True)
class _Hold:
    id: int
    anchor: int  # the keyframe the box was found on
    box: Box  # frame pixels, on the anchor frame
    label: str | None
    score: float
    rect: tuple[int, int, int, int] | None  # the box in signature pixels (x1, y1, x2, y2), None: no pixels known
    template: np.ndarray | None  # float32 signature crop of the anchor frame
    soft: np.ndarray | None = None  # the same, blurred: what the shift search compares
    shift: dict[int, tuple[int, int]] = field(default_factory=dict)  # frame -> (dx, dy) in signature px
    back: int = 0  # lowest frame verified
    fwd: int = 0  # highest frame verified
    back_done: bool = False
    fwd_done: bool = False
    changed_at: int | None = None  # first frame after the hold where the box was found nowhere
    superseded: bool = False  # a newer look re-found the same box: the newer hold covers from there
    bridge_to: int | None = None  # covered up to (excluding) this keyframe because it re-found the box

    def __post_init__(self) -> None:
        self.back = self.fwd = self.anchor
        self.shift[self.anchor] = (0, 0)

    def last_frame(self) -> int:
        """The newest frame this hold can still cover (grace aside)."""
        end = self.fwd
        if self.bridge_to is not None:
            end = max(end, self.bridge_to - 1)
        return end


class TextRegionHold:
    """Holds TEXT redactions by content: a tracker for ``DetectorLane`` (update, regions_at, forget_before)."""

    def __init__(
        self,
        kind: RegionKind = RegionKind.TEXT,
        *,
        tolerance: float = 12.0,
        search_x: int = 64,
        search_y: int = 100,
        min_overlap: float = 0.4,
        bridge_frames: int = 30,
        grace_frames: int = 15,
        max_frames: int = 600,
        scale: int = SIGNATURE_SCALE,
    ) -> None:
        self.kind = kind
        self.tolerance = tolerance
        self.search_x = max(1, search_x // scale)
        self.search_y = max(1, search_y // scale)
        self.min_overlap = min_overlap
        self.bridge_frames = bridge_frames
        self.grace_frames = grace_frames
        self.max_frames = max_frames
        self.scale = scale
        self._signatures: dict[int, np.ndarray] = {}
        self._blurred: dict[int, np.ndarray] = {}  # blurred signatures, made when a search needs them
        self._holds: list[_Hold] = []
        self._ids = itertools.count(1)
        self._last_look: int | None = None  # newest keyframe folded in
        self._prev_look: int | None = None
        self._scroll_soft: tuple[int, np.ndarray] | None = None  # the last frame's signature through scroll_blur
        self._steps: dict[int, _Step] = {}  # frame -> how its tiles came from the frame before
        self._textlike: dict[int, np.ndarray] = {}  # frame -> tiles that look like text and hold still
        self._recent_changes: list[np.ndarray] = []
        self._looks: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # keyframe -> (tiles left unread, its pixels)

    # -- the tracker protocol ----------------------------------------------------------------
    def observe(self, frame: Frame) -> None:
        """Remember the pixels of a frame entering the delay line (every frame, in order)."""
        # one grey conversion per frame serves the signature and the text-likeness map
        grey = cv2.cvtColor(frame.image, cv2.COLOR_BGR2GRAY) if frame.image.ndim == 3 else frame.image
        sig = self._signatures[frame.index] = signature(grey, self.scale)
        before = self._signatures.get(frame.index - 1)
        changed = None
        if before is not None and before.shape == sig.shape:
            changed = changed_tiles(before, sig)
            moves = []
            if changed.sum() >= SCROLL_MIN_TILES:
                last = self._scroll_soft
                soft_before = last[1] if last is not None and last[0] == frame.index - 1 else scroll_blur(before)
                self._scroll_soft = (frame.index, scroll_blur(sig))
                moves = find_scrolls(soft_before, self._scroll_soft[1], changed, SCROLL_MAX_PX // self.scale)
            new = changed.copy()
            for moved, _dy in moves:
                new &= ~moved
            self._steps[frame.index] = _Step(changed, new, moves)
        # moving: changed on many of the last MOTION_FRAMES frames (a game or a camera in motion, also while it
        # turns round; a chat scrolling more than 5 lines in half a second too), and still changing; text that
        # appears in one frame and then sits still, or scrolls now and then, is covered from that frame on.
        # (Counting scrolled tiles as still made the moving-camera sample's cover 2.9 -> 11.3 % of the picture:
        # the shift search explains parts of a camera's motion too.)
        grid = _grid(sig.shape)
        recent = self._recent_changes
        if recent and recent[-1].shape != grid:
            recent.clear()
        recent.append(changed if changed is not None else np.zeros(grid, bool))
        del recent[: max(0, len(recent) - MOTION_FRAMES)]
        moving = (np.sum(recent, axis=0) >= MOTION_CHANGES) & np.any(recent[-STILL_FRAMES:], axis=0)
        self._textlike[frame.index] = textlike_tiles(grey, grid, UNREAD_TILE * self.scale) & ~moving
        if len(self._signatures) > self.max_frames:  # a stuck OCR must not grow memory without end
            for index in sorted(self._signatures)[: len(self._signatures) - self.max_frames]:
                del self._signatures[index]
                self._blurred.pop(index, None)
                self._steps.pop(index, None)
                self._textlike.pop(index, None)

    def update(self, index: int, regions: list[Region]) -> None:
        """What OCR found on keyframe ``index`` (in increasing order; an empty list is a verdict too)."""
        previous_look, self._prev_look, self._last_look = self._last_look, self._last_look, index
        current = self._signatures.get(index)
        unread = [r for r in regions if r.label == UNREAD_LABEL]
        regions = [r for r in regions if r.label != UNREAD_LABEL]
        if current is not None:
            left = self._tiles_of([r.box for r in unread], current.shape)
            if left.any() and previous_look in self._looks:
                # The detector's left-over areas are whole lines grown round what changed, merged: of those,
                # only tiles that were unread at the previous look, or changed since, are still unread (a
                # score that ticked does not make the whole HUD band unread).
                left &= self._unread_since(index, current.shape, look=previous_look)
            self._looks[index] = (left, current)
        if current is not None and regions:
            self._soft(index)
        for region in regions:
            hold = self._new_hold(index, region, current)
            for old in self._holds:
                if old.label != hold.label or old.anchor >= index or old.superseded:
                    continue
                self._extend(old, index)
                old_box = self._box(old, index) if old.back <= index <= old.fwd else None
                if old_box is not None and _same_place(old_box, hold.box):
                    # Still there and unchanged: the new look takes over from here (fresh template),
                    # under the same number (the report and the overlay see one redaction, not one per look).
                    old.fwd, old.fwd_done, old.superseded = index - 1, True, True
                    old.changed_at = None
                    hold.back_done, hold.id = True, old.id
                elif (
                    old.anchor == previous_look
                    and old.fwd_done
                    and old.fwd < index
                    and index - old.fwd <= self.bridge_frames
                    and _same_place(self._box(old, old.fwd), hold.box)
                ):
                    old.bridge_to = index  # found on two looks in a row: cover the frames between
            self._holds.append(hold)

    def regions_at(self, index: int, width: int, height: int) -> list[Region]:
        """The TEXT boxes to mask in frame ``index``, clipped to the frame."""
        out: list[Region] = []
        seen: set[tuple[int, int, int, int]] = set()
        for hold in self._holds:
            box = self._covers(hold, index)
            if box is None:
                continue
            box = box.clipped(width, height)
            key = box.as_int()
            if box.area > 0 and key not in seen:
                seen.add(key)
                out.append(Region(self.kind, box, hold.score, hold.id, hold.label))
        return out + self.unread_at(index, width, height)

    def unread_at(self, index: int, width: int, height: int) -> list[Region]:
        """Areas of frame ``index`` whose pixels no look has read (see the module docstring)."""
        if not self._looks:
            return []  # before the first look the lane fails whole frames closed
        sig = self._signatures.get(index)
        if sig is None:
            return [Region(self.kind, Box(0, 0, width, height), 1.0, None, UNREAD_LABEL)]
        shape = sig.shape
        unread = self._unread_since(index, shape, look=max((k for k in self._looks if k <= index), default=None))
        unread &= self._textlike[index]
        # backward: any later look that read the area while it stayed as it is in this frame vouches for it
        for look in sorted(k for k in self._looks if k > index):
            if not unread.any():
                break
            unread &= self._unread_since(index, shape, look=look)
        if not unread.any():
            return []
        # half a tile of margin: a change map on 16 px tiles can cut the edge of a glyph, and what a tile
        # next to a changed one holds of it stayed under the change level (a sliver). A whole tile of
        # margin reached into the next line: a chat's line above the new one, a HUD's stats under its
        # ticking score, were blurred as well.
        side = UNREAD_TILE * self.scale
        margin = side // 2
        return [
            Region(self.kind, Box(x1 * side - margin, y1 * side - margin, x2 * side + margin, y2 * side + margin)
                   .clipped(width, height), 1.0, None, UNREAD_LABEL)
            for x1, y1, x2, y2 in tile_rectangles(unread)
        ]  # fmt: skip

    def _unread_since(self, index: int, shape: tuple[int, ...], *, look: int | None) -> np.ndarray:
        """Tiles of frame ``index`` that ``look`` (before or after it) did not read as they are in it.

        The look's map of what it left unread is carried frame by frame to ``index``: forward, a tile
        that is new is unread and a scrolled tile takes the state of where it came from; backward, a
        tile whose pixels left it (changed, or scrolled on) takes the state of where they went, unread
        if they went nowhere."""
        everything = np.ones(_grid(shape), bool)
        if look is None:
            return everything
        left, pixels = self._looks[look]
        unread = left.copy()
        touched = np.zeros_like(unread)  # tiles a scroll passed over: the direct compare below cannot see them
        forward = look <= index
        steps = range(look + 1, index + 1) if forward else range(look, index, -1)
        for j in steps:
            step = self._steps.get(j)
            if step is None or step.new.shape != unread.shape:
                return everything  # a frame's pixels are unknown: nothing vouches for what follows
            unread = _carry_forward(unread, step) if forward else _carry_backward(unread, step)
            for moved, dy in step.moves:
                reach = 3 + 2 * int(abs(dy)) // UNREAD_TILE
                touched |= cv2.dilate(moved.astype(np.uint8), np.ones((reach, 1), np.uint8)) > 0
        # slow fades change each frame a little: compare with the look's pixels directly as well
        current = self._signatures[index]
        if pixels.shape != current.shape:
            return everything
        return unread | (changed_tiles(pixels, current) & ~touched)

    def _tiles_of(self, boxes: list[Box], shape: tuple[int, ...]) -> np.ndarray:
        tiles = np.zeros(_grid(shape), bool)
        side = UNREAD_TILE * self.scale
        for box in boxes:
            x1, y1, x2, y2 = box.as_int()
            tiles[max(0, y1 // side) : -(-y2 // side), max(0, x1 // side) : -(-x2 // side)] = True
        return tiles

    def forget_before(self, index: int) -> None:
        """Drop pixels and holds no frame from ``index`` on can need."""
        for old in [i for i in self._signatures if i < index]:
            del self._signatures[old]
        for old in [i for i in self._blurred if i < index]:
            del self._blurred[old]
        for old in [i for i in self._textlike if i < index]:
            del self._textlike[old]
        # the newest look before ``index`` still vouches (forward) for frames from ``index`` on, through
        # the frame-to-frame changes since it
        older = sorted(k for k in self._looks if k < index)
        for old in older[:-1]:
            del self._looks[old]
        since = min(index, older[-1] + 1) if older else index
        for old in [i for i in self._steps if i < since]:
            del self._steps[old]
        keep = []
        for hold in self._holds:
            grace = not hold.superseded and self._grace_open(hold, index)
            if hold.fwd_done and hold.last_frame() < index and not grace:
                continue
            if hold.back < index:
                for i in [i for i in hold.shift if i < index and i != hold.fwd]:
                    del hold.shift[i]
                hold.back, hold.back_done = max(hold.back, index), True
            keep.append(hold)
        self._holds = keep

    # -- internals -----------------------------------------------------------------------------
    def _new_hold(self, index: int, region: Region, current: np.ndarray | None) -> _Hold:
        rect = template = None
        if current is not None:
            h, w = current.shape
            s = self.scale
            x1, y1, x2, y2 = region.box.as_int()
            x1, y1 = max(0, x1 // s), max(0, y1 // s)
            x2, y2 = min(w, -(-x2 // s)), min(h, -(-y2 // s))
            if x2 - x1 >= 2 and y2 - y1 >= 2:
                rect = (x1, y1, x2, y2)
                template = current[y1:y2, x1:x2].astype(np.float32)
        hold = _Hold(next(self._ids), index, region.box, region.label, region.score, rect, template)
        if rect is not None:
            hold.soft = self._soft(index)[rect[1] : rect[3], rect[0] : rect[2]].copy()
        if template is None:
            hold.back_done = hold.fwd_done = True
            hold.changed_at = index + 1
        return hold

    def _box(self, hold: _Hold, index: int) -> Box:
        dx, dy = hold.shift.get(index, (0, 0))
        return hold.box.shifted(dx * self.scale, dy * self.scale)

    def _grace_open(self, hold: _Hold, index: int) -> bool:
        """Shortly after a change that no look has ruled on yet: the old box stays (the next OCR decides)."""
        return (
            hold.changed_at is not None
            and index < hold.changed_at + self.grace_frames
            and (self._last_look is None or self._last_look < hold.changed_at)
        )

    def _covers(self, hold: _Hold, index: int) -> Box | None:
        if (index < hold.back and not hold.back_done) or (index > hold.fwd and not hold.fwd_done):
            self._extend(hold, index)
        if hold.back <= index <= hold.fwd:
            return self._box(hold, index)
        if index > hold.fwd and hold.bridge_to is not None and index < hold.bridge_to:
            return self._box(hold, hold.fwd)
        if index > hold.fwd and not hold.superseded and self._grace_open(hold, index):
            return self._box(hold, hold.fwd)
        return None

    def _extend(self, hold: _Hold, index: int) -> None:
        """Verify frames from the hold's edge towards ``index``, frame by frame, until one differs."""
        if hold.template is None:
            return
        if index > hold.fwd and not hold.fwd_done:
            oldest = min(self._signatures, default=index + 1)
            for i in range(max(hold.fwd + 1, oldest), index + 1):  # frames already let go are skipped
                sig = self._signatures.get(i)
                if sig is None:
                    return  # not observed yet
                found = self._find(hold, i, sig, hold.shift[hold.fwd])
                if found is None:
                    hold.fwd_done, hold.changed_at = True, i
                    return
                hold.shift[i], hold.fwd = found, i
        elif index < hold.back and not hold.back_done:
            for i in range(hold.back - 1, index - 1, -1):
                sig = self._signatures.get(i)
                if sig is None:
                    hold.back_done = True
                    return
                found = self._find(hold, i, sig, hold.shift[hold.back])
                if found is None:
                    hold.back_done = True
                    return
                hold.shift[i], hold.back = found, i

    def _find(self, hold: _Hold, index: int, sig: np.ndarray, near: tuple[int, int]) -> tuple[int, int] | None:
        """Where the hold's template is in frame ``index``: ``near`` if it still matches there, else nearby.

        The search compares blurred copies (sigma 1 px): text that moved by an odd number of pixels
        lands half a signature pixel off, which sharp strokes turn into a large difference (measured:
        RMS 25 for the same chat line half a pixel off, 44 for another line; blurred 7 and 19-25).
        """
        assert hold.template is not None and hold.rect is not None
        if _rms_at(hold.template, hold.rect, sig, near, self.min_overlap) <= self.tolerance:
            return near
        assert hold.soft is not None
        return _search(hold.soft, hold.rect, self._soft(index), near, self.search_x, self.search_y,
                       self.min_overlap, self.tolerance)  # fmt: skip

    def _soft(self, index: int) -> np.ndarray:
        soft = self._blurred.get(index)
        if soft is None:
            soft = self._blurred[index] = cv2.GaussianBlur(self._signatures[index].astype(np.float32), (0, 0), 1.0)
        return soft


def _grid(shape: tuple[int, ...]) -> tuple[int, int]:
    return -(-shape[0] // UNREAD_TILE), -(-shape[1] // UNREAD_TILE)


def tile_means(values: np.ndarray, tile: int, grid: tuple[int, int]) -> np.ndarray:
    """Mean of ``values`` over each ``tile`` x ``tile`` square of a ``grid`` (rows, cols) from the top left.
    A partial tile at the bottom or right edge repeats the last row or column (area resampling of an exact
    multiple, several times faster than a numpy reshape-mean)."""
    rows, cols = grid
    values = values.astype(np.float32)
    bottom, right = max(0, rows * tile - values.shape[0]), max(0, cols * tile - values.shape[1])
    if bottom or right:
        values = cv2.copyMakeBorder(values, 0, bottom, 0, right, cv2.BORDER_REPLICATE)
    return cv2.resize(values[: rows * tile, : cols * tile], (cols, rows), interpolation=cv2.INTER_AREA)


def textlike_tiles(grey: np.ndarray, grid: tuple[int, int], tile: int) -> np.ndarray:
    """Tiles (``grid`` rows x cols of ``tile`` frame pixels) dense in sharp strokes, as text is."""
    contrast = cv2.morphologyEx(grey, cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8))
    return tile_means(contrast >= TEXTLIKE_CONTRAST, tile, grid) >= TEXTLIKE_SHARE


def tile_rectangles(mask: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Rectangles (x1, y1, x2, y2 in tiles) that cover exactly the set tiles: runs along each row,
    stacked while the row below has the same run. A bounding box per connected area would also
    cover everything inside an L-shaped or scattered area (a URL bar and a chat line far apart)."""
    out: list[tuple[int, int, int, int]] = []
    open_runs: dict[tuple[int, int], int] = {}  # (x1, x2) -> index in out of the box still growing down
    for y in range(mask.shape[0]):
        row = np.flatnonzero(np.diff(np.concatenate([[0], mask[y].astype(np.int8), [0]])))
        runs = list(zip(row[::2].tolist(), row[1::2].tolist(), strict=True))
        still_open: dict[tuple[int, int], int] = {}
        for run in runs:
            k = open_runs.get(run)
            if k is not None:
                x1, y1, x2, _ = out[k]
                out[k] = (x1, y1, x2, y + 1)
            else:
                k = len(out)
                out.append((run[0], y, run[1], y + 1))
            still_open[run] = k
        open_runs = still_open
    return out


def changed_tiles(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Tiles (``UNREAD_TILE`` signature pixels a side) whose mean absolute grey difference is over ``UNREAD_LEVEL``."""
    diff = cv2.absdiff(a, b)
    return tile_means(diff, UNREAD_TILE, _grid(diff.shape)) > UNREAD_LEVEL


def scroll_blur(sig: np.ndarray) -> np.ndarray:
    """A signature as ``find_scrolls`` compares it: blurred, so that a move by an odd number of frame pixels
    (half a signature pixel) still matches."""
    return cv2.GaussianBlur(sig.astype(np.float32), (0, 0), SCROLL_BLUR)


def find_scrolls(
    before: np.ndarray, after: np.ndarray, changed: np.ndarray, max_shift: int
) -> list[tuple[np.ndarray, float]]:
    """Changed tiles that are the frame before moved up or down: ``(tiles, dy)`` per scrolled area, ``dy``
    in signature pixels, in half steps (``after[y] == before[y + dy]``). ``before`` and ``after`` are
    signatures through ``scroll_blur`` (each frame's is made once and serves two steps).

    Each connected area of changed tiles is matched against the frame before over vertical shifts of up to
    ``max_shift`` (template matching of its middle rows, squeezed to a column per tile), then checked tile by
    tile at the best few shifts."""
    side = UNREAD_TILE
    # areas a tile apart are one area (the words of a chat line are separate changes, the same scroll)
    near = cv2.dilate(changed.astype(np.uint8), np.ones((3, 3), np.uint8))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(near, connectivity=8)
    labels[~changed] = 0
    height, width = after.shape
    out: list[tuple[np.ndarray, float]] = []
    for k in range(1, count):
        x, y, w, h, _ = (int(v) for v in stats[k])
        area_tiles = labels[y : y + h, x : x + w] == k
        area = int(area_tiles.sum())
        if area < SCROLL_MIN_TILES or h < 2:
            continue
        x1, y1, x2, y2 = x * side, y * side, min(width, (x + w) * side), min(height, (y + h) * side)
        reach = min(max_shift, (y2 - y1 - side) // 2)
        if reach < 2:
            continue
        soft_after = after[y1:y2, x1:x2]
        soft_before = before[:, x1:x2]
        # candidate shifts from copies squeezed to one column per tile: a vertical move keeps each column's
        # profile, and the match costs an eighth of one on full rows (a moving camera changes most of the
        # picture every frame, and this search ran on all of it)
        narrow_after = cv2.resize(soft_after, (w, y2 - y1), interpolation=cv2.INTER_AREA)
        narrow_before = cv2.resize(soft_before[y1:y2], (w, y2 - y1), interpolation=cv2.INTER_AREA)
        scores = cv2.matchTemplate(narrow_before, narrow_after[reach : y2 - y1 - reach], cv2.TM_SQDIFF)[:, 0]
        scores[reach] = np.inf  # no move: that is what changed
        # the best few shifts (lines that look alike repeat at the line pitch) are checked tile by tile; rows
        # that come from off the picture have not moved
        kept = ~changed[y : y + h, x : x + w]  # unchanged tiles of the area move with it if they match too
        # whole steps first, then half a step either side of the best by template score (a move by an odd
        # number of frame pixels lies between two whole steps) and of the one that explained most tiles
        best = [float(b) for b in np.argsort(scores)[:3] - reach]
        pad = reach + 1
        padded = cv2.copyMakeBorder(soft_before, pad, pad, 0, 0, cv2.BORDER_CONSTANT, value=float("nan"))
        results = {dy: _tiles_matching(soft_after, padded, y1 + pad, dy, area_tiles, kept) for dy in best}
        most = max(results, key=lambda dy: results[dy][0])
        for dy in (best[0] - 0.5, best[0] + 0.5, most - 0.5, most + 0.5):
            if dy != 0 and dy not in results:
                results[dy] = _tiles_matching(soft_after, padded, y1 + pad, dy, area_tiles, kept)
        dy = max(results, key=lambda d: results[d][0])
        count_moved, matches = results[dy]
        if count_moved >= max(SCROLL_MIN_TILES // 2, area // 2):
            moved = np.zeros_like(changed)
            moved[y : y + h, x : x + w] = matches
            out.append((moved, dy))
    return out


def _tiles_matching(
    soft_after: np.ndarray, padded_before: np.ndarray, top: int, dy: float, area: np.ndarray, kept: np.ndarray
) -> tuple[int, np.ndarray]:
    """Tiles of ``soft_after`` that equal the frame before moved by ``dy``, among the area's changed tiles and
    its unchanged ones (``kept``); and how many of the changed ones that is. ``padded_before`` has NaN rows
    above and below the picture (what comes from off it matches nothing); ``soft_after`` starts at its row
    ``top``."""
    start, n = top + int(np.floor(dy)), soft_after.shape[0]
    reference = padded_before[start : start + n]
    if dy != np.floor(dy):  # half a pixel: between two rows
        reference = cv2.addWeighted(reference, 0.5, padded_before[start + 1 : start + 1 + n], 0.5, 0.0)
    diff = cv2.absdiff(soft_after, reference)
    matches = (tile_means(diff, UNREAD_TILE, area.shape) <= SCROLL_LEVEL) & (area | kept)
    return int((matches & area).sum()), matches


def _from_rows(tiles: np.ndarray, dy: float) -> np.ndarray:
    """Row ``r`` of the result ORs the rows of ``tiles`` that signature rows ``r * UNREAD_TILE + dy`` to
    ``+ UNREAD_TILE - 1`` touch (set where they fall off the grid)."""
    rows = tiles.shape[0]
    padded = np.ones((rows + 2, tiles.shape[1]), bool)
    padded[1:-1] = tiles
    r = np.arange(rows) * UNREAD_TILE + dy
    top = np.clip(np.floor(r).astype(int) // UNREAD_TILE, -1, rows) + 1
    bottom = np.clip(np.ceil(r + UNREAD_TILE - 1).astype(int) // UNREAD_TILE, -1, rows) + 1
    return padded[top] | padded[bottom]


def _carry_forward(unread: np.ndarray, step: _Step) -> np.ndarray:
    """Unread tiles of the frame before -> of this frame."""
    out = unread.copy()
    for moved, dy in step.moves:
        came = _from_rows(unread, dy)
        out[moved & step.changed] = came[moved & step.changed]
        out[moved & ~step.changed] &= came[moved & ~step.changed]  # the same pixels in place and moved
    return out | step.new


def _carry_backward(unread: np.ndarray, step: _Step) -> np.ndarray:
    """Unread tiles of this frame -> of the frame before: pixels that left a tile went where a scroll took
    them (read if they are read there), or nowhere (unread)."""
    gone = np.ones_like(unread)
    for moved, dy in step.moves:
        gone &= _from_rows(unread | ~moved, -dy)
    out = unread.copy()
    out[step.changed] = gone[step.changed]
    return out


def _same_place(a: Box, b: Box) -> bool:
    inter = a.intersection_area(b)
    return inter > 0 and inter >= 0.5 * min(a.area, b.area)


def _rms_at(
    template: np.ndarray, rect: tuple[int, int, int, int], sig: np.ndarray, shift: tuple[int, int], min_overlap: float
) -> float:
    """RMS grey difference between the template and ``sig`` at ``rect`` + ``shift``, over the part in the picture."""
    x1, y1, x2, y2 = rect
    dx, dy = shift
    h, w = sig.shape
    ax1, ay1, ax2, ay2 = max(0, x1 + dx), max(0, y1 + dy), min(w, x2 + dx), min(h, y2 + dy)
    if ax2 <= ax1 or ay2 <= ay1 or (ax2 - ax1) * (ay2 - ay1) < min_overlap * template.size:
        return float("inf")
    part = template[ay1 - y1 - dy : ay2 - y1 - dy, ax1 - x1 - dx : ax2 - x1 - dx]
    diff = sig[ay1:ay2, ax1:ax2].astype(np.float32) - part
    return float(np.sqrt(np.mean(diff * diff)))


def _search(
    template: np.ndarray,
    rect: tuple[int, int, int, int],
    sig: np.ndarray,
    near: tuple[int, int],
    rx: int,
    ry: int,
    min_overlap: float,
    tolerance: float,
) -> tuple[int, int] | None:
    """Best shift around ``near``: sideways up to ``rx`` (a notification sliding in) or up/down up to ``ry``
    (scrolling), a couple of px of the other direction each, counting only pixels inside the picture."""
    best: tuple[float, int, tuple[int, int]] | None = None
    for wx, wy in ((rx, 2), (2, ry)):
        found = _search_window(template, rect, sig, near, wx, wy, min_overlap)
        if found is not None and (best is None or found[:2] < best[:2]):
            best = found
    if best is None or np.sqrt(best[0]) > tolerance:
        return None
    return best[2]


def _search_window(
    template: np.ndarray,
    rect: tuple[int, int, int, int],
    sig: np.ndarray,
    near: tuple[int, int],
    rx: int,
    ry: int,
    min_overlap: float,
) -> tuple[float, int, tuple[int, int]] | None:
    """(mean squared difference, distance moved, shift) of the best match in ``near`` ± (rx, ry)."""
    x1, y1, x2, y2 = rect
    h, w = sig.shape
    # the search window in signature pixels, padded with "outside" where it leaves the picture
    wx1, wy1 = x1 + near[0] - rx, y1 + near[1] - ry
    wx2, wy2 = x2 + near[0] + rx, y2 + near[1] + ry
    cx1, cy1, cx2, cy2 = max(0, wx1), max(0, wy1), min(w, wx2), min(h, wy2)
    if cx2 <= cx1 or cy2 <= cy1:
        return None
    window = np.zeros((wy2 - wy1, wx2 - wx1), np.float32)
    valid = np.zeros_like(window)
    window[cy1 - wy1 : cy2 - wy1, cx1 - wx1 : cx2 - wx1] = sig[cy1:cy2, cx1:cx2]
    valid[cy1 - wy1 : cy2 - wy1, cx1 - wx1 : cx2 - wx1] = 1.0
    ones = np.ones_like(template)
    # sum over valid pixels of (I - T)^2 = sum I^2 - 2 sum I*T + sum V*T^2
    s_ii = cv2.matchTemplate(window * window, ones, cv2.TM_CCORR)
    s_it = cv2.matchTemplate(window, template, cv2.TM_CCORR)
    s_tt = cv2.matchTemplate(valid, template * template, cv2.TM_CCORR)
    count = cv2.matchTemplate(valid, ones, cv2.TM_CCORR)
    mse = np.maximum(s_ii - 2.0 * s_it + s_tt, 0.0) / np.maximum(count, 1.0)
    mse[count < min_overlap * template.size] = np.inf
    best = float(mse.min())
    if not np.isfinite(best):
        return None
    # the smallest move among (nearly) equally good ones: repeated lines look alike
    ys, xs = np.mgrid[0 : mse.shape[0], 0 : mse.shape[1]]
    distance = np.abs(xs - rx) + np.abs(ys - ry)
    near_best = mse <= best * 1.1 + 4.0
    pick = np.unravel_index(np.argmin(np.where(near_best, distance, np.iinfo(np.int32).max)), mse.shape)
    return float(mse[pick]), int(distance[pick]), (near[0] + int(pick[1]) - rx, near[1] + int(pick[0]) - ry)
