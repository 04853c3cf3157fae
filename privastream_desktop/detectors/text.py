"""On-screen text PII: OCR where the picture changed, PII recognizers, word-precise boxes.

OCR is the slowest thing the engine runs (PP-OCRv6 small via rapidocr: about 300 ms to find the text in
a 720p frame plus about 2 ms per character read, on one core; a screen full of text takes seconds), so
``TextPiiDetector`` never reads a whole frame twice:

* it keeps a 1/4-size grey copy of what it read and compares each new keyframe with it; only 16 px
  tiles that changed are read again, as padded rectangles grown over every known line they touch
  (a line is never read in pieces; a line that still runs off a crop is read again, wider), or the
  whole frame when almost all of it changed (a scene switch, a moving camera);
* a changed area that is the old one moved up or down (a chat or terminal scrolling) is recognised
  by a row-profile search checked on every pixel: its lines move with it (and so do areas an earlier
  look left unread) and only the strips that scrolled in are read;
* where a rectangle to read holds lines read before, only the text detector network runs on it (cheap),
  and a line found again at the same place with the same pixels keeps its text: recognition (~2.5 ms
  a character) is spent only on lines that changed, not on the unchanged lines around them;
* lines read earlier stay valid where nothing changed, so every call answers for the whole frame;
* each row of text (pieces on one baseline) goes through ``PiiRecognizer`` once (cached by text);
  rows made of BIP-39 words are also read together, for recovery phrases wrapped or laid out in a
  grid over several rows;
* live, a look has a time budget (``budget_s``): after a whole first read, small changes first
  (a notification, a chat line), then what earlier looks had no time for, then large changes in
  bands. A detector built while another live one ran starts from what that one read.

A match is a character span of a row; rapidocr places each recognised character (from the CTC
columns of its recognizer), so the box covers the secret plus a margin and the rest of the line stays
readable. An edge at a word boundary is moved to the blank gap beside the word (plain backgrounds);
elsewhere the margin is the measured error of the character estimate (up to ~0.35 line heights).

The detector keeps state between calls (the reference picture and the lines read), so its lane must
run one worker and feed it frames in order, which ``DetectorLane`` does for ``workers=1``.
Region labels are the PII kind ("email", "card"...), never the text itself.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from privastream_desktop.model_store import ModelStore
from privastream_desktop.regions import Box, Region, RegionKind
from privastream_desktop.text_tracking import UNREAD_LABEL, tile_means

if TYPE_CHECKING:
    from privastream_desktop.pii.recognizers import PiiMatch

DET_MODEL_ID = "text-ppocrv6-det"
REC_MODEL_ID = "text-ppocrv6-rec"

# Margins around a secret, in line heights (the OCR line box is ~1.3x the ink height). Horizontal:
# rapidocr's character boxes end up to 0.35 line heights short of the ink at 20-32 px (measured on
# DejaVu Sans/Serif/Mono, 12-32 px); vertical: the line box already holds the ink, a little more
# keeps descenders and accents under the mask.
MARGIN_X = 0.45
MARGIN_Y = 0.15
FALLBACK_MARGIN_X = 1.0  # when characters could not be placed one by one (proportional guess)

_SCALE = 4  # the change map works on a 1/4-size grey picture
_TILE = 4  # change-map pixels per tile side: 16 px tiles in the frame
_CHANGED_LEVEL = 16  # grey levels (of 255) a 4x4 average must move to count as a change
_PAD = 8  # px read around a changed area (tiles already round it out by up to 15 px)
_MIN_READ_HEIGHT = 32  # px: crops are never thinner than about a line of text
_FULL_FRAME_SHARE = 0.85  # read the whole frame when changed rectangles cover more than this
_REUSE_LEVEL = 4.0  # grey levels: a known line whose pixels moved less than this is not recognised again

_log_lock = threading.Lock()
# what the newest live detector has read (reference pictures, lines, areas still to read), in memory only
_live_screen: list[tuple[np.ndarray, np.ndarray, list, list]] = []
_live_lock = threading.Lock()


def quiet_rapidocr() -> None:
    """rapidocr logs every model load at INFO on its own handler; a desktop app's console is not the place."""
    with _log_lock:
        logging.getLogger("RapidOCR").setLevel(logging.ERROR)


# ------------------------------------------------------------------------------------------------------------
# OCR lines and the character-span -> box mapping


@dataclass(frozen=True, slots=True)
class OcrLine:
    """One line of text as OCR read it, in frame pixels.

    ``chars`` has one entry per character of ``text``: the character's box, or None for whitespace.
    ``exact`` says whether those boxes come from the recognizer (True) or were spread evenly over
    the line because its character boxes could not be matched to the text (False).
    """

    text: str
    box: Box
    chars: tuple[Box | None, ...]
    score: float
    exact: bool = True
    # the grey pixels under ``box`` when it was read: a later look that finds the same pixels there
    # reuses the text instead of recognising it again
    pixels: np.ndarray | None = field(default=None, compare=False, repr=False)

    @property
    def height(self) -> float:
        return self.box.height

    def shifted(self, dy: float) -> OcrLine:
        """The same line moved down by ``dy`` px (up when negative): what scrolling does to it."""
        chars = tuple(None if b is None else b.shifted(0.0, dy) for b in self.chars)
        return OcrLine(self.text, self.box.shifted(0.0, dy), chars, self.score, self.exact, self.pixels)

    def _under(self, grey: np.ndarray) -> np.ndarray:
        x1, y1, x2, y2 = _line_rect(self)
        return grey[max(0, y1) : max(0, y2), max(0, x1) : max(0, x2)]

    def with_pixels(self, grey: np.ndarray) -> OcrLine:
        return OcrLine(self.text, self.box, self.chars, self.score, self.exact, self._under(grey).copy())

    def same_pixels(self, grey: np.ndarray) -> bool:
        """Whether ``grey`` shows what this line was read from, where it was: every 8 px square within
        ``_REUSE_LEVEL`` grey levels on average (video noise stays under it, one changed glyph does not)."""
        if self.pixels is None or self.pixels.size == 0:
            return False
        now = self._under(grey)
        if now.shape != self.pixels.shape:
            return False
        diff = cv2.absdiff(now, self.pixels)
        h, w = diff.shape
        return float(tile_means(diff, 8, (-(-h // 8), -(-w // 8))).max()) <= _REUSE_LEVEL


def assign_char_boxes(
    text: str, line_box: Box, char_boxes: Sequence[Box] | None
) -> tuple[tuple[Box | None, ...], bool]:
    """Give each character of ``text`` a box.

    rapidocr returns one box per non-space character, left to right. When the counts agree they are
    used as they are; otherwise (or with none) the line is divided evenly among its characters, which
    is exact for monospaced fonts and a guess for others (callers then use a wider margin).
    """
    visible = [i for i, ch in enumerate(text) if not ch.isspace()]
    out: list[Box | None] = [None] * len(text)
    if char_boxes is not None and len(char_boxes) == len(visible) and visible:
        ordered = sorted(char_boxes, key=lambda b: b.x1)
        for i, box in zip(visible, ordered, strict=True):
            out[i] = box
        return tuple(out), True
    n = max(1, len(text))
    step = line_box.width / n
    for i in visible:
        out[i] = Box(line_box.x1 + i * step, line_box.y1, line_box.x1 + (i + 1) * step, line_box.y2)
    return tuple(out), False


def ink_columns(grey_line: np.ndarray) -> np.ndarray | None:
    """Which columns of a line crop hold ink, or None when the background is not plain enough to tell.

    The background is the median of the crop's top and bottom rows (the line box has a little room
    above and below the glyphs); ink is whatever differs from it by 40+ grey levels.
    """
    if grey_line.size == 0 or grey_line.shape[0] < 3 or grey_line.shape[1] < 3:
        return None
    border = np.concatenate([grey_line[0], grey_line[-1]]).astype(np.int16)
    background = int(np.median(border))
    if np.mean(np.abs(border - background) > 40) > 0.2:
        return None  # text over a picture: no clean gaps to find
    return (np.abs(grey_line.astype(np.int16) - background) > 40).any(axis=0)


def _gaps(ink: np.ndarray) -> list[tuple[int, int]]:
    """Runs of ink-free columns as (start, end), end exclusive."""
    padded = np.concatenate([[True], ink, [True]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def _snap(edge: float, line: OcrLine, ink: np.ndarray, right: bool) -> float | None:
    """Move a word-edge estimate to the blank gap beside the word (None: no such gap near it).

    Right edge: the first word gap that reaches past the estimate and starts within 0.6 line heights
    of it (the estimate falls short by up to ~0.35); left edge likewise, mirrored. The mask edge goes
    a little into the gap, never across it.
    """
    h = line.height
    min_gap = max(2.0, 0.15 * h)  # letters sit ~0.05 line heights apart, words ~0.25
    x0 = float(np.floor(line.box.x1))  # ink columns start at the line box's first whole pixel
    pos = edge - x0
    n = len(ink)
    gaps = [(a, b) for a, b in _gaps(ink) if b - a >= min_gap or a == 0 or b == n]
    if right:
        for a, b in gaps:
            if b > pos and a <= pos + 0.6 * h:
                return x0 + a + min(0.5 * (b - a), 0.12 * h)
        return None
    for a, b in reversed(gaps):
        if a < pos and b >= pos - 0.6 * h:
            return x0 + b - min(0.5 * (b - a), 0.12 * h)
    return None


def span_box(line: OcrLine, start: int, end: int, ink: np.ndarray | None = None) -> Box | None:
    """The box that hides characters ``start:end`` of ``line`` (margin included), or None if all blank.

    With the line's ``ink`` columns, an edge that falls on a word boundary of the text is moved to
    the blank gap beside the word, so the secret is covered to its last pixel while the next word
    keeps its first; elsewhere (inside a token, on a busy background) a fixed margin is added.
    """
    boxes = [b for b in line.chars[max(0, start) : max(0, end)] if b is not None]
    if not boxes:
        return None
    box = boxes[0]
    for b in boxes[1:]:
        box = box.union(b)
    h = line.height
    mx = (MARGIN_X if line.exact else FALLBACK_MARGIN_X) * h
    my = MARGIN_Y * h
    x1, x2 = box.x1 - mx, box.x2 + mx
    if ink is not None and line.exact:
        text = line.text
        if start <= 0 or text[start - 1].isspace():
            snapped = _snap(box.x1, line, ink, right=False)
            x1 = snapped if snapped is not None else x1
        if end >= len(text) or text[end].isspace():
            snapped = _snap(box.x2, line, ink, right=True)
            x2 = snapped if snapped is not None else x2
    # the whole line height: character boxes of a line share it, a secret never needs less
    return Box(x1, min(box.y1, line.box.y1) - my, x2, max(box.y2, line.box.y2) + my)


# ------------------------------------------------------------------------------------------------------------
# blocks: lines that belong together are recognised as one text


@dataclass(slots=True)
class TextBlock:
    """Text of several lines in reading order; ``where[i]`` is (line, char) for text[i], None for separators."""

    text: str
    where: list[tuple[int, int] | None]


def _components(
    count: int, linked: Callable[[int, int], bool], order: Sequence[int], near: Callable[[int, int], bool]
) -> list[list[int]]:
    """Connected components of ``linked`` (union-find); ``order`` sorted so that ``near`` fails for all later pairs."""
    parent = list(range(count))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for k, i in enumerate(order):
        for j in order[k + 1 :]:
            if not near(i, j):
                break
            if linked(i, j):
                parent[root(j)] = root(i)
    groups: dict[int, list[int]] = {}
    for i in order:
        groups.setdefault(root(i), []).append(i)
    return list(groups.values())


def group_blocks(lines: Sequence[OcrLine]) -> list[list[list[int]]]:
    """Lines grouped into rows (one baseline, close together, left to right) and rows into blocks.

    Returns blocks, top to bottom, each a list of rows, each a list of line indices. OCR often splits
    a row (a seed grid: one box per item), so rows are connected pieces, whatever order they come in.
    Unrelated panels side by side stay apart: rows need a small horizontal gap, stacked rows an overlap.
    """
    boxes = [line.box for line in lines]

    def similar(a: Box, b: Box) -> bool:
        return max(a.height, b.height) <= 1.6 * max(1.0, min(a.height, b.height))

    def same_row(i: int, j: int) -> bool:
        a, b = boxes[i], boxes[j]
        overlap = min(a.y2, b.y2) - max(a.y1, b.y1)
        gap = max(a.x1 - b.x2, b.x1 - a.x2)
        return overlap >= 0.5 * min(a.height, b.height) and similar(a, b) and gap <= 2.5 * max(a.height, b.height)

    by_top = sorted(range(len(lines)), key=lambda i: boxes[i].y1)
    rows = _components(len(lines), same_row, by_top, lambda i, j: boxes[j].y1 < boxes[i].y2)
    for row in rows:
        row.sort(key=lambda j: boxes[j].x1)
    extents = []
    for row in rows:
        box = boxes[row[0]]
        for j in row[1:]:
            box = box.union(boxes[j])
        extents.append(box)

    def stacked(i: int, j: int) -> bool:
        a, b = extents[i], extents[j]
        upper, lower = (a, b) if a.y1 <= b.y1 else (b, a)
        h = max(a.height, b.height)
        gap = lower.y1 - upper.y2
        return -0.5 * h <= gap <= 0.8 * h and similar(a, b) and min(a.x2, b.x2) > max(a.x1, b.x1)

    by_row_top = sorted(range(len(rows)), key=lambda i: extents[i].y1)
    reach = 2.0 * max((e.height for e in extents), default=0.0)
    blocks = _components(len(rows), stacked, by_row_top, lambda i, j: extents[j].y1 <= extents[i].y2 + reach)
    blocks.sort(key=lambda block: extents[block[0]].y1)
    return [[rows[i] for i in sorted(block, key=lambda i: extents[i].y1)] for block in blocks]


def block_text(lines: Sequence[OcrLine], rows: Sequence[Sequence[int]]) -> TextBlock:
    """The text of some rows: lines of a row joined by spaces, rows by newlines, with where each character is."""
    text: list[str] = []
    where: list[tuple[int, int] | None] = []
    for r, row in enumerate(rows):
        if r:
            text.append("\n")
            where.append(None)
        for k, j in enumerate(row):
            if k:
                text.append(" ")
                where.append(None)
            text.append(lines[j].text)
            where.extend((j, c) for c in range(len(lines[j].text)))
    return TextBlock("".join(text), where)


_WORD = re.compile(r"[A-Za-z]+")


@functools.cache
def _bip39() -> frozenset[str]:
    from mnemonic import Mnemonic

    return frozenset(Mnemonic("english").wordlist)


def seed_words(text: str) -> int:
    """How many BIP-39 words a row holds if it is made of them (3 in 4 of its words at least), else 0.

    A grid row ("1. witch 2. salad 3. noble") or a line of a wrapped phrase is; a chat line that
    happens to use common words ("message", "number", "about", "match") mixes in others ("the", names).
    """
    words = [w.lower() for w in _WORD.findall(text)]
    hits = sum(w in _bip39() for w in words)
    return hits if (hits >= 2 and hits >= 0.75 * len(words)) or (hits and hits == len(words)) else 0


def seed_runs(rows_text: Sequence[str]) -> list[tuple[int, int]]:
    """Runs of consecutive rows (first, end) made of BIP-39 words, with 12 of them at least."""
    out, start, count = [], 0, 0
    for k, text in enumerate([*rows_text, ""]):
        hits = seed_words(text)
        if hits:
            if not count:
                start = k
            count += hits
            continue
        if count >= 12 and k - start > 1:
            out.append((start, k))
        count = 0
    return out


def seed_like(text: str) -> bool:
    """Whether these rows (one per line) are a recovery phrase spread over lines."""
    rows = text.split("\n")
    return any(end - first == len(rows) for first, end in seed_runs(rows))


def match_boxes(
    block: TextBlock,
    lines: Sequence[OcrLine],
    start: int,
    end: int,
    ink: Callable[[int], np.ndarray | None] = lambda _: None,
) -> list[Box]:
    """One box per line that characters ``start:end`` of ``block`` fall on (``ink(line index)`` for snapping)."""
    spans: dict[int, list[int]] = {}
    for pos in range(max(0, start), min(end, len(block.where))):
        at = block.where[pos]
        if at is not None:
            spans.setdefault(at[0], []).append(at[1])
    out = []
    for line_index, chars in spans.items():
        box = span_box(lines[line_index], min(chars), max(chars) + 1, ink(line_index))
        if box is not None:
            out.append(box)
    return out


# ------------------------------------------------------------------------------------------------------------
# rapidocr, with our verified model files and nothing downloaded


def _quad_box(quad: Iterable[Iterable[float]], dx: float = 0.0, dy: float = 0.0) -> Box:
    pts = np.asarray(list(quad), dtype=np.float64).reshape(-1, 2)
    return Box(float(pts[:, 0].min()) + dx, float(pts[:, 1].min()) + dy, float(pts[:, 0].max()) + dx,
               float(pts[:, 1].max()) + dy)  # fmt: skip


class OcrEngine:
    """rapidocr's PP-OCRv6 detector + recognizer, run on our thread budget.

    The model files are the ones inside the rapidocr wheel, resolved and sha256-checked through
    ``ModelStore`` (manifest ids ``text-ppocrv6-det`` / ``-rec``) and handed to rapidocr by path:
    rapidocr only downloads when it is given no path, and the recognizer's alphabet is read from the
    ONNX file's metadata, so nothing is fetched or written. The angle classifier is off (screens are
    upright). Detection runs at native resolution up to ``max_side`` px (no upscaling of small crops,
    which rapidocr's default "min side 736" would do at a large cost).
    """

    def __init__(self, det: Path, rec: Path, *, threads: int = 1, max_side: int = 1920, min_score: float = 0.3) -> None:
        quiet_rapidocr()
        from rapidocr import RapidOCR

        quiet_rapidocr()
        self._ocr = RapidOCR(
            params={
                "Global.log_level": "error",
                "Global.use_cls": False,
                "Global.text_score": min_score,
                "Global.return_word_box": True,
                "Global.return_single_char_box": True,
                "Det.model_path": str(det),
                "Det.limit_type": "max",
                "Det.limit_side_len": max_side,
                # a text box is kept at a mean text probability of 0.35 (rapidocr: 0.5): at 0.5 whole short
                # lines of 18 px text were dropped ("hello world 42"); a false box only costs a read
                "Det.box_thresh": 0.35,
                "Rec.model_path": str(rec),
                "EngineConfig.onnxruntime.intra_op_num_threads": max(1, threads),
                "EngineConfig.onnxruntime.inter_op_num_threads": 1,
            }
        )
        self._lock = threading.Lock()

    def find_lines(self, image: np.ndarray, origin: tuple[int, int] = (0, 0)) -> list[Box]:
        """Where ``image`` holds lines of text, without reading them (the detector network only: ~20 ms for
        a few lines, where recognising costs ~2.5 ms per character)."""
        dx, dy = origin
        with self._lock:  # rapidocr keeps use_rec & co on the instance: one call at a time
            result = self._ocr(image, use_det=True, use_cls=False, use_rec=False)
        boxes = getattr(result, "boxes", None)
        return [] if boxes is None else [_quad_box(q, dx, dy) for q in boxes]

    def read(self, image: np.ndarray, origin: tuple[int, int] = (0, 0)) -> list[OcrLine]:
        """Lines in ``image``; boxes shifted by ``origin`` (where the crop sits in the frame)."""
        dx, dy = origin
        with self._lock:
            try:
                result = self._ocr(
                    image, use_det=True, use_cls=False, use_rec=True, return_word_box=True, return_single_char_box=True
                )
            except ValueError:
                # rapidocr's character boxes divide by a degenerate (zero-height) line's perspective and fail
                # on NaN; read without them (the line's characters are then spread over it, wider margins)
                result = self._ocr(image, use_det=True, use_cls=False, use_rec=True, return_word_box=False)
        boxes, texts, scores = (
            getattr(result, "boxes", None),
            getattr(result, "txts", None),
            getattr(result, "scores", None),
        )
        if boxes is None or texts is None or scores is None or len(texts) == 0:
            return []
        line_boxes = [_quad_box(q, dx, dy) for q in boxes]
        chars_per_line = self._char_boxes(getattr(result, "word_results", None), line_boxes, texts, dx, dy)
        out = []
        for text, box, score, chars in zip(texts, line_boxes, scores, chars_per_line, strict=True):
            text = str(text)
            if not text.strip():
                continue
            placed, exact = assign_char_boxes(text, box, chars)
            out.append(OcrLine(text, box, placed, float(score), exact))
        return out

    @staticmethod
    def _char_boxes(
        word_results: object, line_boxes: list[Box], texts: Sequence[str], dx: float, dy: float
    ) -> list[list[Box] | None]:
        """rapidocr's per-character boxes, one list per line.

        rapidocr drops the entry of a line whose characters it could not place, so the lists are not
        always aligned with the lines: each list goes to the line that holds its characters' centres.
        """
        out: list[list[Box] | None] = [None] * len(line_boxes)
        if not isinstance(word_results, (list, tuple)):
            return out
        candidates: list[list[Box]] = []
        for entry in word_results:
            boxes = []
            try:
                for _char, _score, quad in entry:
                    if quad is not None:
                        boxes.append(_quad_box(quad, dx, dy))
            except (TypeError, ValueError):
                continue
            if boxes:
                candidates.append(boxes)
        aligned = len(candidates) == len(line_boxes)
        for k, boxes in enumerate(candidates):
            centres = [b.center for b in boxes]
            if aligned and _inside_share(centres, line_boxes[k]) >= 0.8:
                target = k
            else:
                shares = [_inside_share(centres, lb) for lb in line_boxes]
                target = int(np.argmax(shares))
                if shares[target] < 0.8:
                    continue
            if out[target] is None:
                out[target] = boxes
        return out


@functools.lru_cache(maxsize=2)
def _cached_engine(det: Path, rec: Path, threads: int) -> OcrEngine:
    return OcrEngine(det, rec, threads=threads)


def shared_engine(store: ModelStore | None = None, threads: int = 1) -> OcrEngine:
    """One OCR engine per thread budget for the whole process (onnxruntime sessions run concurrently).

    The live pipeline rebuilds its detectors on every settings change; loading OCR each time would
    freeze the picture for a second. The files are still verified each time.
    """
    store = store or ModelStore()
    return _cached_engine(store.path(DET_MODEL_ID), store.path(REC_MODEL_ID), max(1, threads))


@functools.lru_cache(maxsize=4)
def shared_recognizer(kinds: frozenset | None, terms: tuple[str, ...]) -> object:
    """A PiiRecognizer for these choices (building one takes ~1 s: presidio, phone metadata).

    The user's terms switch the TERM kind on by themselves: typing your town's name is asking for it.
    """
    from privastream_desktop.pii import PiiKind, PiiRecognizer

    if kinds is not None and terms:
        kinds = kinds | {PiiKind.TERM}
    return PiiRecognizer(kinds, terms)


def seed_recognizer(recognizer: object) -> object | None:
    """A recognizer for seed phrases only, when ``recognizer`` looks for them (None otherwise)."""
    from privastream_desktop.pii import PiiKind

    kinds = getattr(recognizer, "kinds", frozenset())
    return shared_recognizer(frozenset({PiiKind.SEED_PHRASE}), ()) if PiiKind.SEED_PHRASE in kinds else None


def _inside_share(points: list[tuple[float, float]], box: Box, slack: float = 2.0) -> float:
    if not points:
        return 0.0
    inside = sum(box.x1 - slack <= x <= box.x2 + slack and box.y1 - slack <= y <= box.y2 + slack for x, y in points)
    return inside / len(points)


# ------------------------------------------------------------------------------------------------------------
# change detection

Rect = tuple[int, int, int, int]  # x1, y1, x2, y2 in frame pixels, x2/y2 exclusive


def small_grey(grey: np.ndarray, scale: int = _SCALE) -> np.ndarray:
    """A 1/``scale`` copy (area average): cheap to compare, and noise of a few levels averages out."""
    h, w = grey.shape[:2]
    return cv2.resize(grey, (max(1, w // scale), max(1, h // scale)), interpolation=cv2.INTER_AREA)


def changed_rects(reference: np.ndarray, current: np.ndarray, frame_w: int, frame_h: int,
                  level: int = _CHANGED_LEVEL) -> list[Rect]:  # fmt: skip
    """Rectangles (frame pixels) around the 16 px tiles whose content moved by ``level``, one per patch."""
    diff = cv2.absdiff(reference, current)
    h, w = diff.shape
    th, tw = -(-h // _TILE), -(-w // _TILE)
    padded = np.zeros((th * _TILE, tw * _TILE), np.uint8)
    padded[:h, :w] = diff
    tiles = (padded.reshape(th, _TILE, tw, _TILE).max(axis=(1, 3)) >= level).astype(np.uint8)
    if not tiles.any():
        return []
    # Areas one above the other (at most two tiles apart) that share most of their width are one patch: the
    # lines of a scrolling panel, whose scroll is then followed as one. Side by side they stay apart (a
    # video tile beside a chat is another change, and would spoil its scroll match), and so do areas that
    # only touch at a corner: a browser's address bar over a chat, joined, was not a scroll and made the
    # whole screen between them be read.
    _n, _labels, stats, _ = cv2.connectedComponentsWithStats(tiles, connectivity=8)
    x1, y1 = stats[1:, 0], stats[1:, 1]
    x2, y2 = x1 + stats[1:, 2], y1 + stats[1:, 3]
    overlap = np.minimum(x2[:, None], x2[None, :]) - np.maximum(x1[:, None], x1[None, :])
    narrower = np.minimum(stats[1:, 2][:, None], stats[1:, 2][None, :])
    gap = np.maximum(y1[:, None], y1[None, :]) - np.minimum(y2[:, None], y2[None, :])
    joined = (gap <= 2) & (overlap >= 0.5 * narrower)
    _groups, group = connected_components(csr_matrix(joined), directed=False)
    boxes: dict[int, list[int]] = {}
    for k, g in enumerate(group.tolist()):
        b = boxes.setdefault(g, [int(x1[k]), int(y1[k]), int(x2[k]), int(y2[k])])
        b[:] = [min(b[0], int(x1[k])), min(b[1], int(y1[k])), max(b[2], int(x2[k])), max(b[3], int(y2[k]))]
    unit = _TILE * _SCALE
    return [
        (bx1 * unit, by1 * unit, min(frame_w, bx2 * unit), min(frame_h, by2 * unit))
        for bx1, by1, bx2, by2 in boxes.values()
    ]


def _grow(rect: Rect, by: int, w: int, h: int) -> Rect:
    x1, y1, x2, y2 = rect
    return (max(0, x1 - by), max(0, y1 - by), min(w, x2 + by), min(h, y2 + by))


def _touch(a: Rect, b: Rect, gap: int = 0) -> bool:
    return a[0] - gap < b[2] and b[0] - gap < a[2] and a[1] - gap < b[3] and b[1] - gap < a[3]


def _cuts(rect: Rect, line: Rect) -> bool:
    """Whether reading ``rect`` would read part of this line: over a third of its height, any of its width.

    An OCR line box overhangs its glyphs by a few pixels; a rectangle that only grazes that margin
    does not cut the text, and counting it would chain through every line of a tightly set chat.
    """
    h = max(1, line[3] - line[1])
    overlap_y = min(rect[3], line[3]) - max(rect[1], line[1])
    overlap_x = min(rect[2], line[2]) - max(rect[0], line[0])
    return overlap_x > 0 and overlap_y >= 0.3 * h


def _union(a: Rect, b: Rect) -> Rect:
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


def _area(r: Rect) -> int:
    return max(0, r[2] - r[0]) * max(0, r[3] - r[1])


def _inter(a: Rect, b: Rect) -> int:
    return _area((max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])))


def merge_rects(rects: list[Rect]) -> list[Rect]:
    """Union overlapping rectangles when that reads little more than both do; keep the others apart.

    Two rectangles in opposite corners of the screen merged into their bounding box would make OCR
    read everything between them.
    """
    rects = list(rects)
    merged = True
    while merged:
        merged = False
        out: list[Rect] = []
        for r in rects:
            for k, o in enumerate(out):
                inter = _inter(r, o)
                if inter > 0 and (
                    _area(_union(r, o)) <= 1.3 * (_area(r) + _area(o) - inter) or inter >= 0.5 * min(_area(r), _area(o))
                ):
                    out[k] = _union(r, o)
                    merged = True
                    break
            else:
                out.append(r)
        rects = out
    return rects


def _line_rect(line: OcrLine) -> Rect:
    x1, y1, x2, y2 = line.box.as_int()
    return (x1, y1, x2, y2)


def _row_mismatch(ref: np.ndarray, cur: np.ndarray, shift: int, *, in_place: bool = False) -> np.ndarray:
    """Per row of ``cur`` (over the rows that ``ref`` moved by ``shift`` covers): does it differ?

    ``in_place``: a pixel that matches ``ref`` where it was does not differ either. For the rows still to
    read after a scroll: what stayed in place (a panel's border, a notification over a chat) was read as
    much as what scrolled. Counted as a difference, a still border made every row of a live chat differ
    by 3 px, a little codec noise tipped rows over, and each scroll re-read lines in the middle of the
    chat, which took the look's time from the line that had just come in. (Not for choosing the shift:
    content of plain bars matches itself in place or moved at almost any shift.)"""
    h, w = cur.shape
    if shift >= 0:
        a, b, still = cur[: h - shift], ref[shift:], ref[: h - shift]
    else:
        a, b, still = cur[-shift:], ref[: h + shift], ref[-shift:]
    differs = cv2.absdiff(a, b) > 40
    if in_place:
        differs &= cv2.absdiff(a, still) > 40
    return differs.sum(axis=1) > max(2, w // 100)


def find_scroll(ref: np.ndarray, cur: np.ndarray, max_shift: int) -> tuple[int, np.ndarray] | None:
    """Whether ``cur`` is ``ref`` scrolled vertically, as (shift, rows of ``cur`` still to read).

    ``shift`` > 0: the content moved up by that many px (a chat or terminal gaining a line at the
    bottom): ``cur[y] == ref[y + shift]``. The rows to read are the ones that scrolled in plus any
    that differ after the shift. Candidates come from row profiles (16-32 column means per row),
    the winner is checked on every pixel; None when no shift explains the change clearly better
    than "nothing moved".
    """
    h, w = cur.shape
    if h < 40 or w < 40:
        return None
    blocks = max(4, min(32, w // 16))
    bw = w // blocks
    rp = ref[:, : blocks * bw].reshape(h, blocks, bw).mean(axis=2, dtype=np.float32)
    cp = cur[:, : blocks * bw].reshape(h, blocks, bw).mean(axis=2, dtype=np.float32)
    limit = min(max_shift, int(0.6 * h))
    scores = []
    for shift in range(-limit, limit + 1):
        if shift == 0:
            continue
        a, b = (cp[: h - shift], rp[shift:]) if shift > 0 else (cp[-shift:], rp[: h + shift])
        scores.append((float(np.mean(np.abs(a - b))), shift))
    if not scores:
        return None
    still = float(np.mean(_row_mismatch(ref, cur, 0)))
    best: tuple[float, int, np.ndarray] | None = None
    for _score, shift in sorted(scores)[:3]:
        rows = _row_mismatch(ref, cur, shift)
        share = float(np.mean(rows))
        if best is None or share < best[0]:
            best = (share, shift, rows)
    if best is None:
        return None
    share, shift, rows = best
    if share > 0.3 or share + 0.2 > still:
        return None
    rows = _row_mismatch(ref, cur, shift, in_place=True)
    todo = np.ones(h, bool)  # rows that scrolled in
    if shift > 0:
        todo[: h - shift] = rows
    else:
        todo[-shift:] = rows
    return shift, todo


def _scroll_rects(rects: list[Rect], region: Rect, shift: int) -> list[Rect]:
    """``rects`` after ``region`` scrolled up by ``shift`` px: the part inside it moves (and is dropped when
    it left the region), the rest stays; a rectangle that straddles the region's edge keeps both."""
    out: list[Rect] = []
    rx1, ry1, rx2, ry2 = region
    for rect in rects:
        x1, y1, x2, y2 = rect
        if not _touch(rect, region):
            out.append(rect)
            continue
        top, bottom = max(y1, ry1) - shift, min(y2, ry2) - shift
        top, bottom = max(top, ry1), min(bottom, ry2)
        if bottom > top:
            out.append((x1, top, x2, bottom))
        if x1 < rx1 or x2 > rx2 or y1 < ry1 or y2 > ry2:
            out.append(rect)  # the part outside the region did not move
    return out


def _without_repeats(rects: list[Rect]) -> list[Rect]:
    """``rects`` in order, less those that lie inside another (a left-over area that a scroll moved onto
    another, or that was left over twice): reading one twice in a look costs a line search each time."""
    out: list[Rect] = []
    for rect in rects:
        if any(_inter(rect, kept) >= 0.9 * _area(rect) for kept in out):
            continue
        out = [kept for kept in out if _inter(kept, rect) < 0.9 * _area(kept)]
        out.append(rect)
    return out


def _bands(rect: Rect, tall: int = 160, step: int = 96, overlap: int = 24) -> list[Rect]:
    """A tall rectangle as overlapping horizontal bands (4 lines of chat or so: about 0.3 s of OCR each),
    so a budgeted look can read part of it and stop."""
    x1, y1, x2, y2 = rect
    if y2 - y1 <= tall:
        return [rect]
    out = []
    top = y1
    while True:
        bottom = min(y2, top + step + overlap)
        out.append((x1, top, x2, bottom))
        if bottom >= y2:
            return out
        top += step


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    padded = np.concatenate([[False], mask, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


# ------------------------------------------------------------------------------------------------------------
# the detector


@dataclass(slots=True)
class OcrStats:
    """What OCR cost so far: for the benchmark and the status line, never written anywhere."""

    calls: int = 0  # detect() calls
    reads: int = 0  # OCR runs (crops or whole frames)
    full_frames: int = 0
    scrolls: int = 0  # changed areas that turned out to be scrolled text (followed, not re-read)
    reused: int = 0  # lines found again with the same pixels (not recognised again)
    seconds: float = 0.0  # inside OCR
    pixels: int = 0  # pixels read by OCR
    lines: int = 0  # lines known after the last call
    pending: int = 0  # areas left for the next look (live budget)
    per_call: list[float] = field(default_factory=list)  # seconds of OCR per detect() call


class TextPiiDetector:
    """Finds PII in on-screen text and returns one TEXT region per secret per line."""

    kind = RegionKind.TEXT
    name = "PP-OCRv6 text"

    def __init__(
        self,
        store: ModelStore | None = None,
        *,
        kinds: Iterable[object] | None = None,
        terms: Sequence[str] = (),
        threads: int = 1,
        recognizer: object | None = None,
        engine: OcrEngine | None = None,
        budget_s: float | None = None,
    ) -> None:
        self._ocr = engine or shared_engine(store, threads)
        # Live: stop a look after this much OCR and leave the rest for the next one, small areas first,
        # so a notification is read within a look or two even while a whole new screen is being read.
        self.budget_s = budget_s
        self._dirty: list[Rect] = []  # changed areas a budgeted look had no time for
        self._last_read: list[Rect] = []  # what the previous look read
        kinds_key = None if kinds is None else frozenset(kinds)
        self._recognizer = recognizer or shared_recognizer(kinds_key, tuple(t for t in terms if t.strip()))
        self._reference: np.ndarray | None = None  # 1/4 grey of what the known lines were read from
        self._grey: np.ndarray | None = None  # the same at full size, for following scrolls
        self._lines: list[OcrLine] = []
        self._found: dict[tuple[int, str], list] = {}  # (recognizer, text) -> matches (bounded)
        self._seeds = seed_recognizer(self._recognizer)
        self.stats = OcrStats()
        if budget_s is not None:
            self._adopt_live_screen()

    def _adopt_live_screen(self) -> None:
        """Start from what the previous live detector had read (the app rebuilds detectors on every
        settings change; reading the whole screen again would hide the picture for seconds). Safe by
        construction: anything that differs from that reference is read again on the first look."""
        with _live_lock:
            state = _live_screen[0] if _live_screen else None
        if state is not None:
            reference, grey, lines, dirty = state
            self._reference, self._grey = reference.copy(), grey.copy()
            self._lines, self._dirty = list(lines), list(dirty)

    @property
    def lines(self) -> list[OcrLine]:
        """Every line known for the last frame (read now or kept from earlier reads)."""
        return list(self._lines)

    def reset(self) -> None:
        """Forget what was read: the next call reads the whole frame."""
        self._reference, self._grey, self._lines, self._dirty = None, None, [], []

    def detect(self, image: np.ndarray) -> list[Region]:
        """PII regions, plus an ``unread`` region for each changed area this look left for the next
        (live budget): ``TextRegionHold`` covers those until a look has read them."""
        self.read(image)
        unread = [Region(RegionKind.TEXT, Box(*rect), 1.0, label=UNREAD_LABEL) for rect in self._dirty]
        return self.pii_regions(image) + unread

    def read(self, image: np.ndarray) -> None:
        """Bring the known lines up to date with ``image``, reading only what changed.

        With a budget (live), the first read is still whole (until it is done, the lane has no
        verdict and frames fail closed); later looks read small changes first (a notification, a
        chat line), then what earlier looks had no time for, oldest first and at least one piece
        per look, then large new changes in bands, until the budget is spent.
        """
        height, width = image.shape[:2]
        grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image.copy()
        current = small_grey(grey)
        self.stats.calls += 1
        spent = 0.0
        carried: list[Rect] = []
        moved_in: list[Rect] = []  # what scrolls brought in: new text, wherever it lands
        first = self._reference is None or self._reference.shape != current.shape or self._grey is None
        if first:
            self._lines = []
            rects = [(0, 0, width, height)]
            self._reference, self._grey, self._dirty = current, grey, []
        else:
            carried, self._dirty = self._dirty, []
            wanted: list[Rect] = []
            for patch in changed_rects(self._reference, current, width, height):
                region = _grow(patch, 2 * _PAD, width, height)
                scrolled = self._follow_scroll(region, grey)
                if scrolled is None:
                    wanted.append(_grow(patch, _PAD, width, height))
                else:
                    strips, shift = scrolled
                    wanted.extend(strips)
                    moved_in.extend(strips)
                    # what earlier looks left unread scrolled too: it is read where it is now (or is gone)
                    carried = _scroll_rects(carried, region, shift)
                # the reference moves on only where a change was handled: slow fades add up until seen
                x1, y1, x2, y2 = patch
                self._grey[y1:y2, x1:x2] = grey[y1:y2, x1:x2]
                sx1, sy1, sx2, sy2 = x1 // _SCALE, y1 // _SCALE, -(-x2 // _SCALE), -(-y2 // _SCALE)
                self._reference[sy1:sy2, sx1:sx2] = current[sy1:sy2, sx1:sx2]
            rects = self._rects_to_read(wanted, width, height)
            # left over from earlier looks, unless a new change takes it in anyway
            carried = [c for c in carried if not any(_inter(c, r) >= 0.8 * _area(c) for r in rects)]
        if self.budget_s is None or first:
            queue = [(rect, True, False) for rect in rects]  # (rectangle, must be read now, left over)
        else:
            # Fresh changes first, small ones first (a notification, a chat line, new terminal output);
            # areas the last look read already (a score or a clock that changes all the time) wait their
            # turn after what earlier looks left over, of which at least one piece is read per look. What
            # a scroll brought in is fresh even where the last look read: a chat's new line comes in at
            # the bottom every time (as "read again" it waited behind everything, for seconds).
            bands = [band for r in rects for band in _bands(r)]
            again = [
                any(_inter(r, o) >= 0.5 * _area(r) for o in self._last_read) and not any(_touch(r, m) for m in moved_in)
                for r in bands
            ]
            fresh = sorted((r for r, a in zip(bands, again, strict=True) if not a), key=_area)
            queue = [(r, False, False) for r in fresh]
            queue += [(r, k == 0, True) for k, r in enumerate(carried)]
            queue += [(r, False, False) for r in sorted((r for r, a in zip(bands, again, strict=True) if a), key=_area)]
        read_now: list[Rect] = []
        older: list[Rect] = []
        for rect, now, left_over in queue:
            if self.budget_s is not None and spent >= self.budget_s and not now:
                (older if left_over else self._dirty).append(rect)  # next look, oldest first
                continue
            seconds, done = self._read_rect(image, rect, grey)
            spent += seconds
            read_now.append(done)
        self._dirty = _without_repeats(older + self._dirty)
        self._last_read = read_now
        self.stats.per_call.append(spent)
        self.stats.lines = len(self._lines)
        self.stats.pending = len(self._dirty)
        if self.budget_s is not None and self._reference is not None and self._grey is not None:
            with _live_lock:
                _live_screen[:] = [(self._reference, self._grey, self._lines, self._dirty)]

    def _follow_scroll(self, region: Rect, grey: np.ndarray) -> tuple[list[Rect], int] | None:
        """If ``region`` scrolled, move its known lines with it and return the strips left to read and the
        shift (px up)."""
        assert self._grey is not None
        x1, y1, x2, y2 = region
        inside = [
            line for line in self._lines
            if line.box.x1 >= x1 - 2 and line.box.x2 <= x2 + 2 and line.box.y1 >= y1 - 2 and line.box.y2 <= y2 + 2
        ]  # fmt: skip
        if y2 - y1 < 60 or len(inside) < 2:
            return None  # nothing worth saving
        found = find_scroll(self._grey[y1:y2, x1:x2], grey[y1:y2, x1:x2], max_shift=min(240, (y2 - y1) // 2))
        if found is None:
            return None
        shift, todo = found
        width, height = grey.shape[1], grey.shape[0]
        kept = [line for line in self._lines if not _cuts(region, _line_rect(line))]
        strips: list[Rect] = []
        inside_ids = {id(line) for line in inside}
        for line in self._lines:
            if id(line) in inside_ids:
                moved = line.shifted(-shift)
                top, bottom = int(moved.box.y1) - y1, int(np.ceil(moved.box.y2)) - y1
                # kept only where every row it now covers is explained by the scroll; lines that did not
                # move with it (a notification over a chat) or scrolled out are read again or gone
                if top >= 0 and bottom <= y2 - y1 and not todo[top:bottom].any():
                    kept.append(moved)
            elif _cuts(region, _line_rect(line)):
                strips.append(_grow(_line_rect(line), 4, width, height))  # half in: read it again
        self._lines = kept
        self.stats.scrolls += 1
        strips += [_grow((x1, y1 + a, x2, y1 + b), 6, width, height) for a, b in _runs(todo)]
        return strips, shift

    def _rects_to_read(self, rects: list[Rect], width: int, height: int) -> list[Rect]:
        """Grow rectangles over every known line they touch (a line is never read in pieces), merge overlaps."""
        if not rects:
            return []
        for _ in range(6):  # until no rectangle cuts a known line
            merged = merge_rects([self._whole_lines(r, width, height) for r in rects])
            if merged == rects:
                break
            rects = merged
        if self.budget_s is None and sum(_area(r) for r in rects) > _FULL_FRAME_SHARE * width * height:
            return [(0, 0, width, height)]  # one read of everything costs less than many pieces
        return rects

    def _whole_lines(self, rect: Rect, width: int, height: int) -> Rect:
        """``rect`` grown until every known line it touches lies inside it."""
        for _ in range(8):
            grown = rect
            for line in self._lines:
                lr = _line_rect(line)
                if _cuts(grown, lr) and _union(grown, lr) != grown:
                    grown = _union(grown, _grow(lr, 4, width, height))
            if grown == rect:
                break
            rect = grown
        return rect

    def _read_rect(
        self, image: np.ndarray, rect: tuple[int, int, int, int], grey: np.ndarray
    ) -> tuple[float, tuple[int, int, int, int]]:
        """OCR one rectangle (its lines found twice at most: once more, wider, if a line runs off its side).

        Where the rectangle holds lines read before, the lines are only found (the detector network),
        and each is recognised again only if its pixels changed: a clock that ticked inside a band of
        unchanged HUD and chat text costs one short line, not the band."""
        height, width = image.shape[:2]
        spent = 0.0
        x1, y1, x2, y2 = rect
        if y2 - y1 < _MIN_READ_HEIGHT:
            # A strip thinner than a line (the edge of a scroll) holds cut glyphs that the detector boxes as
            # very long thin "lines", which the recognizer then reads at great width: a 470 x 8 px strip took
            # 350 ms and found nothing, the same strip 40 px tall 57 ms (benchmarks' dark_stream chat).
            grow = _MIN_READ_HEIGHT - (y2 - y1)
            top = max(0, min(y1 - grow // 2, height - _MIN_READ_HEIGHT))
            rect = self._whole_lines((x1, top, x2, min(height, top + _MIN_READ_HEIGHT)), width, height)
        reuse = any(line.pixels is not None and _cuts(rect, _line_rect(line)) for line in self._lines)
        found: list[OcrLine] = []
        boxes: list[Box] = []
        for attempt in range(2):
            x1, y1, x2, y2 = rect
            started = time.perf_counter()
            crop = np.ascontiguousarray(image[y1:y2, x1:x2])
            if reuse:
                boxes = self._ocr.find_lines(crop, (x1, y1)) if crop.size else []
            else:
                found = self._ocr.read(crop, (x1, y1)) if crop.size else []
                boxes = [line.box for line in found]
            spent += self._count_read(started, crop.shape[0] * crop.shape[1])
            self.stats.full_frames += rect == (0, 0, width, height)
            # a line running off the crop was cut: read again, wider (4 line heights) or taller (half of one:
            # the OCR's line box overhangs the ink, a line touching the edge is usually whole)
            cut_left = x1 > 0 and any(box.x1 <= x1 + 2 for box in boxes)
            cut_right = x2 < width and any(box.x2 >= x2 - 2 for box in boxes)
            cut_top = y1 > 0 and any(box.y1 <= y1 + 1 for box in boxes)
            cut_bottom = y2 < height and any(box.y2 >= y2 - 1 for box in boxes)
            if attempt == 0 and (cut_left or cut_right or cut_top or cut_bottom):
                h = int(max(box.height for box in boxes)) + 2
                rect = (
                    max(0, x1 - 4 * h) if cut_left else x1,
                    max(0, y1 - h // 2 - 2) if cut_top else y1,
                    min(width, x2 + 4 * h) if cut_right else x2,
                    min(height, y2 + h // 2 + 2) if cut_bottom else y2,
                )
                rect = self._whole_lines(rect, width, height)  # and cut no other line on the way
                continue
            break
        if reuse:
            found, cost = self._recognise(image, grey, boxes)
            spent += cost
        else:
            found = [line.with_pixels(grey) for line in found]
        self._lines = [line for line in self._lines if not _cuts(rect, _line_rect(line))] + found
        return spent, rect

    def _count_read(self, started: float, pixels: int) -> float:
        """Seconds since ``started`` (one OCR run just done), added to the stats with its pixels."""
        elapsed = time.perf_counter() - started
        self.stats.reads += 1
        self.stats.seconds += elapsed
        self.stats.pixels += pixels
        return elapsed

    def _recognise(self, image: np.ndarray, grey: np.ndarray, boxes: list[Box]) -> tuple[list[OcrLine], float]:
        """The lines at ``boxes``: a known line at the same place with the same pixels as is, others read."""
        height, width = image.shape[:2]
        spent = 0.0
        out: list[OcrLine] = []
        taken: set[int] = set()
        todo: list[Box] = []
        for box in boxes:
            same = next(
                (
                    k for k, line in enumerate(self._lines)
                    if k not in taken and box.iou(line.box) >= 0.7 and line.same_pixels(grey)
                ),
                None,
            )  # fmt: skip
            if same is None:
                todo.append(box)
                continue
            taken.add(same)
            out.append(self._lines[same])
            self.stats.reused += 1

        # Each line is read with a margin (the recogniser sees it as a whole-picture pass would); pieces of one
        # line (words the detector boxed apart) and lines close together are read in one crop, since each OCR
        # call costs ~20 ms beyond its characters. Kept: what lies on a line to read, not the edges of others.
        def margin(box: Box) -> int:
            return max(4, int(box.height))

        near = [
            Box(b.x1 - margin(b) / 2, b.y1 - margin(b) / 2, b.x2 + margin(b) / 2, b.y2 + margin(b) / 2) for b in todo
        ]
        crops = merge_rects([
            (max(0, int(b.x1) - margin(b)), max(0, int(b.y1) - margin(b) // 3),
             min(width, int(np.ceil(b.x2)) + margin(b)), min(height, int(np.ceil(b.y2)) + margin(b) // 3))
            for b in todo
        ])  # fmt: skip
        read: list[OcrLine] = []
        for x1, y1, x2, y2 in crops:
            started = time.perf_counter()
            lines = self._ocr.read(np.ascontiguousarray(image[y1:y2, x1:x2]), (x1, y1))
            spent += self._count_read(started, (y2 - y1) * (x2 - x1))
            for line in lines:
                cx, cy = line.box.center
                on_todo = any(n.x1 <= cx <= n.x2 and n.y1 <= cy <= n.y2 for n in near)
                if on_todo and not any(line.box.iou(other.box) > 0.5 for other in read):
                    read.append(line.with_pixels(grey))
        return out + read, spent

    def pii_regions(self, image: np.ndarray | None = None) -> list[Region]:
        """TEXT regions for every PII match in the known lines (``image``: the frame they show, for snapping)."""
        regions = []
        inks: dict[int, np.ndarray | None] = {}

        def ink(index: int) -> np.ndarray | None:
            if image is None:
                return None
            if index not in inks:
                x1, y1, x2, y2 = self._lines[index].box.clipped(image.shape[1], image.shape[0]).as_int()
                crop = image[max(0, y1) : y2, max(0, x1) : x2]
                inks[index] = ink_columns(cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY) if crop.ndim == 3 else crop)
            return inks[index]

        # Each row is recognised on its own: joined over several rows, chat lines full of common words
        # read like a seed phrase to the recognizers. Rows together are looked at for one thing only:
        # a recovery phrase wrapped over lines or laid out as a grid, rows made of BIP-39 words.
        texts: list[tuple[TextBlock, object]] = []
        for block in group_blocks(self._lines):
            rows = [block_text(self._lines, [row]) for row in block]
            texts.extend((row, self._recognizer) for row in rows)
            if len(block) > 1 and self._seeds is not None:
                for first, end in seed_runs([row.text for row in rows]):
                    texts.append((block_text(self._lines, block[first:end]), self._seeds))
        for text, recognizer in texts:
            key = (id(recognizer), text.text)
            matches = self._found.get(key)
            if matches is None:
                if len(self._found) > 4096:
                    self._found.clear()
                matches = self._found[key] = recognizer.find(text.text)  # type: ignore[attr-defined]
            for match in matches:
                for start, end in _secret_spans(match):
                    for box in match_boxes(text, self._lines, start, end, ink):
                        regions.append(Region(RegionKind.TEXT, box, float(match.score), label=str(match.kind.value)))
        return regions


_SEED_WORD = re.compile(r"[A-Za-z0-9]*[A-Za-z][A-Za-z0-9]*")


def _secret_spans(match: PiiMatch) -> list[tuple[int, int]]:
    """The character spans of a match to cover: all of it, but of a seed phrase only its words (misread
    ones too): the numbers of a backup grid ("1." to "24.") say nothing, and covered from the first word
    to the last they took a whole wallet page (6 % of the benchmark's benign words, in every frame)."""
    from privastream_desktop.pii import PiiKind

    if match.kind is not PiiKind.SEED_PHRASE:
        return [(match.start, match.end)]
    words = [(match.start + m.start(), match.start + m.end()) for m in _SEED_WORD.finditer(match.text)]
    return words or [(match.start, match.end)]
