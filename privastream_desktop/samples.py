"""Synthetic moving scenes with exact ground truth, for tests, benchmarks and the quick-start demo.

Real footage cannot ship with per-frame truth, and filming strangers to make some is the very thing
PrivaStream exists to prevent. So we composite a few public-domain portraits (``assets/samples``, see
SOURCES.md) and drawn licence plates over procedurally drawn rooms and streets. Because we place every
object ourselves the truth boxes are exact rather than hand-labelled, and because everything derives
from ``seed`` the same call always yields the same pixels, so tests and benchmarks are repeatable.

Run ``python -m privastream_desktop.samples OUT.mp4 [--scene NAME] [--seconds S]`` to write a clip.
"""

from __future__ import annotations

import argparse
import json
import math
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from pathlib import Path

import av
import cv2
import numpy as np

from privastream_desktop.atomic import atomic_output
from privastream_desktop.resources import data_dir

SCENES: tuple[str, ...] = ("moving_camera", "edge_entry", "small_faces", "moving_plates", "mixed")
AUDIO_RATE = 48_000

_REF_HEIGHT = 720.0  # object sizes below are tuned for 720p and scale with the frame height
_MAX_LEVEL = 3  # sprites are padded to multiples of 2**_MAX_LEVEL so that halving them stays exact
_TAU = 2.0 * math.pi

Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class TruthBox:
    """Where one object is in one frame.

    ``box`` is (x1, y1, x2, y2) in pixels, x2/y2 exclusive: the smallest integer box around the part of
    the object's box that lies inside the frame. ``visible_fraction`` is the share of the object's full
    box that is inside the frame and not covered by an object drawn in front of it, so each test can
    decide how much of a face must show before a miss counts against the detector.
    """

    kind: str  # "face" or "plate"
    box: tuple[int, int, int, int]
    object_id: int
    visible_fraction: float
    source: str = ""  # faces: the photo's file name, i.e. who it is (whitelist benchmarks)


@dataclass
class SceneFrame:
    """One rendered frame (HxWx3 uint8 BGR, like OpenCV and the rest of the app) and its truth."""

    index: int
    image: np.ndarray
    truth: list[TruthBox]


# --------------------------------------------------------------------------------------------------
# Sprites: an image with alpha, pre-shrunk by powers of two so small copies do not alias.


@dataclass(frozen=True)
class _Sprite:
    kind: str
    levels: tuple[np.ndarray, ...]  # BGRA; level k is 2**-k the size of level 0
    box: Box  # the face or plate, in level-0 pixel-edge coordinates
    content: Box  # where alpha > 0, so per-frame work covers only what can show
    measure: float  # face box height or plate width: what a scene's "size" means for this sprite
    source: str = ""


def _make_sprite(kind: str, bgra: np.ndarray, box: Box, measure: float, source: str = "") -> _Sprite:
    step = 2**_MAX_LEVEL
    h, w = bgra.shape[:2]
    bgra = cv2.copyMakeBorder(bgra, 0, -h % step, 0, -w % step, cv2.BORDER_CONSTANT, value=(0, 0, 0, 0))
    levels = [bgra]
    for _ in range(_MAX_LEVEL):
        prev = levels[-1]
        size = (prev.shape[1] // 2, prev.shape[0] // 2)
        levels.append(cv2.resize(prev, size, interpolation=cv2.INTER_AREA))
    ys, xs = np.nonzero(bgra[:, :, 3])
    content = (float(xs.min()), float(ys.min()), float(xs.max() + 1), float(ys.max() + 1))
    return _Sprite(kind, tuple(levels), box, content, measure, source)


def _soft_ellipse(xx: np.ndarray, yy: np.ndarray, centre: tuple[float, float], axes: tuple[float, float]) -> np.ndarray:
    r = np.sqrt(((xx - centre[0]) / axes[0]) ** 2 + ((yy - centre[1]) / axes[1]) ** 2)
    t = np.clip((1.0 - r) / 0.22, 0.0, 1.0)
    return t * t * (3 - 2 * t)


def _portrait_alpha(shape: tuple[int, int], box: Box) -> np.ndarray:
    """Feathered head-and-shoulders silhouette: a hard rectangle edge would be a giveaway cue.

    Two soft ellipses (head, shoulders) rather than one big oval keep most of the photo's original
    backdrop out, so the pasted person reads as standing in the scene instead of as a framed picture.
    """
    h, w = shape
    x1, y1, x2, y2 = box
    fw, fh = x2 - x1, y2 - y1
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32) + 0.5
    hy = cy - 0.05 * fh
    head = _soft_ellipse(xx, yy, (cx, hy), (min(0.7 * fw, cx - 2, w - 2 - cx), min(0.8 * fh, hy - 2)))
    sb = 0.7 * fh
    sa = min(1.15 * fw, cx - 2, w - 2 - cx)
    shoulders = _soft_ellipse(xx, yy, (cx, min(cy + 1.15 * fh, h - 2 - sb)), (sa, sb))
    return (np.maximum(head, shoulders) * 255 + 0.5).astype(np.uint8)


def _samples_dir() -> Path:
    return data_dir("assets") / "samples"


@lru_cache(maxsize=1)
def _face_sprites() -> tuple[_Sprite, ...]:
    folder = _samples_dir() / "faces"
    meta = json.loads((folder / "faces.json").read_text(encoding="utf-8"))
    sprites = []
    for entry in meta["faces"]:
        image = cv2.imread(str(folder / entry["file"]), cv2.IMREAD_COLOR)
        if image is None:
            raise FileNotFoundError(f"sample face {folder / entry['file']} is missing or unreadable")
        x1, y1, x2, y2 = (float(v) for v in entry["face_box"])
        box = (x1, y1, x2, y2)
        bgra = np.dstack([image, _portrait_alpha(image.shape[:2], box)])
        sprites.append(_make_sprite("face", bgra, box, box[3] - box[1], entry["file"]))
    return tuple(sprites)


# --------------------------------------------------------------------------------------------------
# Licence plates and the cars that carry them.

_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"  # no I, O, Q: real schemes avoid them too
_PLATE_INK = (30, 30, 30)


def _plate_text(rng: np.random.Generator, style: str) -> str:
    def letters(n: int) -> str:
        return "".join(rng.choice(list(_LETTERS), n))

    def digits(n: int) -> str:
        return "".join(str(d) for d in rng.integers(0, 10, n))

    if style == "uk":
        return f"{letters(2)}{digits(2)} {letters(3)}"
    if style == "us":
        return f"{digits(1)}{letters(3)}{digits(3)}"
    return f"{letters(2)} {digits(3)} {letters(2)}"


def _fit_text(img: np.ndarray, text: str, box: tuple[int, int, int, int], font: int, color: tuple) -> None:
    x1, y1, x2, y2 = box
    (tw, th), _ = cv2.getTextSize(text, font, 1.0, 1)
    scale = min((x2 - x1) / tw, (y2 - y1) / th)
    thickness = max(1, round(scale * 2.2))
    (tw, th), _ = cv2.getTextSize(text, font, scale, thickness)
    org = (x1 + (x2 - x1 - tw) // 2, y1 + (y2 - y1 + th) // 2)
    cv2.putText(img, text, org, font, scale, color, thickness, cv2.LINE_AA)


def _synthetic_plate(rng: np.random.Generator) -> np.ndarray:
    """A plate drawn at 4x the size it gets on a car, so the shrink to sprite size anti-aliases it."""
    style = str(rng.choice(["eu", "uk", "us"]))
    text = _plate_text(rng, style)
    font = cv2.FONT_HERSHEY_DUPLEX
    if style == "us":
        w, h = 600, 300
        img = np.full((h, w, 3), 245, np.uint8)
        cv2.rectangle(img, (6, 6), (w - 7, h - 7), (120, 60, 20), 10, cv2.LINE_AA)
        _fit_text(img, "SAMPLE STATE", (170, 22, 430, 62), cv2.FONT_HERSHEY_SIMPLEX, (140, 40, 30))
        _fit_text(img, text, (40, 80, w - 40, 250), font, (110, 40, 20))
        return img
    w, h = 760, 164
    background = (20, 200, 250) if style == "uk" else (240, 240, 240)
    img = np.full((h, w, 3), background, np.uint8)
    left = 20
    if style == "eu":
        cv2.rectangle(img, (0, 0), (80, h), (150, 50, 0), -1)
        for k in range(12):  # the ring of stars, as dots
            angle = _TAU * k / 12
            centre = (40 + round(22 * math.cos(angle)), 58 + round(22 * math.sin(angle)))
            cv2.circle(img, centre, 4, (0, 210, 255), -1, cv2.LINE_AA)
        _fit_text(img, "D", (18, 100, 62, 150), cv2.FONT_HERSHEY_SIMPLEX, (255, 255, 255))
        left = 95
    cv2.rectangle(img, (3, 3), (w - 4, h - 4), _PLATE_INK, 6, cv2.LINE_AA)
    _fit_text(img, text, (left, 22, w - 22, h - 22), font, _PLATE_INK)
    return img


@lru_cache(maxsize=1)
def _plate_photos() -> tuple[np.ndarray, ...]:
    """Rectified plate photos, if ``assets/samples/plates`` ships them; drawn plates stand in otherwise.

    Expected: ``plates.json`` with entries ``{"file": ..., "corners": [[x, y] x4]}`` (clockwise from top
    left) or ``{"file": ..., "box": [x1, y1, x2, y2]}``, as a list or under a ``"plates"`` key.
    Anything that does not parse is skipped, so a half-written folder cannot break the scenes.
    """
    folder = _samples_dir() / "plates"
    index = folder / "plates.json"
    if not index.is_file():
        return ()
    try:
        meta = json.loads(index.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ()
    entries = meta.get("plates", []) if isinstance(meta, dict) else meta
    out = []
    for entry in entries if isinstance(entries, list) else []:
        try:
            image = cv2.imread(str(folder / entry["file"]), cv2.IMREAD_COLOR)
            if "corners" in entry:
                corners = np.asarray(entry["corners"], np.float32).reshape(4, 2)
            else:
                x1, y1, x2, y2 = (float(v) for v in entry["box"])
                corners = np.array([[x1, y1], [x2, y1], [x2, y2], [x1, y2]], np.float32)
        except (KeyError, TypeError, ValueError):
            continue
        if image is None:
            continue
        width = float(np.linalg.norm(corners[1] - corners[0]))
        height = float(np.linalg.norm(corners[3] - corners[0]))
        if width < 20 or height < 5:
            continue
        size = (760, max(40, round(760 * height / width)))
        target = np.array([[0, 0], [size[0], 0], [size[0], size[1]], [0, size[1]]], np.float32)
        matrix = cv2.getPerspectiveTransform(corners, target)
        out.append(cv2.warpPerspective(image, matrix, size, flags=cv2.INTER_AREA))
    return tuple(out)


_CAR_COLOURS = [(40, 40, 170), (160, 90, 30), (200, 200, 200), (40, 40, 40), (30, 110, 40), (60, 160, 210)]


def _rounded_rect(img: np.ndarray, p1: tuple[int, int], p2: tuple[int, int], r: int, color: tuple) -> None:
    (x1, y1), (x2, y2) = p1, p2
    cv2.rectangle(img, (x1 + r, y1), (x2 - r, y2), color, -1, cv2.LINE_AA)
    cv2.rectangle(img, (x1, y1 + r), (x2, y2 - r), color, -1, cv2.LINE_AA)
    for cx, cy in ((x1 + r, y1 + r), (x2 - r, y1 + r), (x1 + r, y2 - r), (x2 - r, y2 - r)):
        cv2.circle(img, (cx, cy), r, color, -1, cv2.LINE_AA)


def _car_sprite(rng: np.random.Generator) -> _Sprite:
    """Rear view of a car: the plate is a rectangle we place, so its box is known exactly."""
    w, h = 640, 440
    img = np.zeros((h, w, 4), np.uint8)
    body = _CAR_COLOURS[int(rng.integers(len(_CAR_COLOURS)))]
    shade = tuple(int(c * 0.78) for c in body)
    cv2.ellipse(img, (320, 418), (310, 20), 0, 0, 360, (15, 15, 15, 120), -1, cv2.LINE_AA)  # shadow
    for x in (62, 488):
        _rounded_rect(img, (x, 320), (x + 90, 426), 14, (22, 22, 22, 255))
    cabin = np.array([[118, 58], [522, 58], [592, 206], [48, 206]], np.int32)
    cv2.fillPoly(img, [cabin], (*shade, 255), cv2.LINE_AA)
    glass = np.array([[140, 76], [500, 76], [556, 190], [84, 190]], np.int32)
    cv2.fillPoly(img, [glass], (70, 58, 50, 255), cv2.LINE_AA)
    cv2.line(img, (170, 92), (470, 92), (120, 110, 100, 255), 3, cv2.LINE_AA)  # reflection
    _rounded_rect(img, (28, 192), (612, 380), 30, (*body, 255))
    cv2.line(img, (60, 250), (580, 250), (*shade, 255), 2, cv2.LINE_AA)  # boot lid
    for x in (44, 476):
        _rounded_rect(img, (x, 214), (x + 120, 266), 10, (35, 35, 190, 255))
        _rounded_rect(img, (x + 10, 222), (x + 60, 258), 6, (80, 80, 250, 255))
    cv2.rectangle(img, (38, 330), (602, 376), (48, 48, 48, 255), -1, cv2.LINE_AA)  # bumper
    cv2.circle(img, (320, 228), 13, (190, 190, 190, 255), -1, cv2.LINE_AA)  # badge

    photos = _plate_photos()
    plate = photos[int(rng.integers(len(photos)))] if photos and rng.random() < 0.7 else _synthetic_plate(rng)
    pw = 190
    ph = max(30, round(pw * plate.shape[0] / plate.shape[1]))
    x1, y1 = 320 - pw // 2, 300 - ph // 2
    cv2.rectangle(img, (x1 - 4, y1 - 4), (x1 + pw + 3, y1 + ph + 3), (25, 25, 25, 255), -1)  # plate holder
    img[y1 : y1 + ph, x1 : x1 + pw, :3] = cv2.resize(plate, (pw, ph), interpolation=cv2.INTER_AREA)
    box = (float(x1), float(y1), float(x1 + pw), float(y1 + ph))
    return _make_sprite("plate", img, box, float(pw))


# --------------------------------------------------------------------------------------------------
# Backgrounds: drawn once per scene at world size, then only cropped or resized per frame.


def _texture(img: np.ndarray, rng: np.random.Generator, strength: float) -> np.ndarray:
    """Low-frequency blotches plus grain, so detectors and encoders do not see flat synthetic colour."""
    h, w = img.shape[:2]
    coarse = rng.normal(0.0, 1.0, (h // 24 + 2, w // 24 + 2)).astype(np.float32)
    noise = cv2.resize(coarse, (w, h), interpolation=cv2.INTER_CUBIC) * strength
    noise += rng.normal(0.0, 0.35 * strength, (h, w)).astype(np.float32)
    return np.clip(img.astype(np.float32) + noise[:, :, None], 0, 255).astype(np.uint8)


def _vertical_gradient(h: int, w: int, top: tuple, bottom: tuple) -> np.ndarray:
    ramp = np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None, None]
    column = np.asarray(top, np.float32) * (1 - ramp) + np.asarray(bottom, np.float32) * ramp
    return np.repeat(column, w, axis=1).astype(np.uint8)


def _room(w: int, h: int, rng: np.random.Generator) -> np.ndarray:
    """An office wall with a window, shelves, pictures and a whiteboard: clutter a face detector must ignore."""
    floor_y = int(0.74 * h)
    img = _vertical_gradient(h, w, (178, 196, 214), (138, 160, 184))
    img[floor_y:] = _vertical_gradient(h - floor_y, w, (52, 84, 120), (34, 60, 92))
    for y in range(floor_y + 12, h, max(8, h // 40)):  # floorboards
        cv2.line(img, (0, y), (w, y), (30, 50, 75), 1, cv2.LINE_AA)
    cv2.rectangle(img, (0, floor_y - 16), (w, floor_y), (220, 225, 230), -1)  # skirting
    u = h / 100.0
    # window with sky, a far building and a frame
    wx1, wy1, wx2, wy2 = int(0.06 * w), int(12 * u), int(0.24 * w), int(52 * u)
    img[wy1:wy2, wx1:wx2] = _vertical_gradient(wy2 - wy1, wx2 - wx1, (235, 190, 120), (250, 225, 190))
    cv2.rectangle(img, (wx1 + 20, int(30 * u)), (wx1 + int(0.07 * w), wy2), (120, 130, 140), -1)
    cv2.circle(img, (wx2 - int(0.04 * w), wy2 - int(4 * u)), int(7 * u), (60, 130, 70), -1, cv2.LINE_AA)
    cv2.rectangle(img, (wx1, wy1), (wx2, wy2), (245, 245, 245), int(u), cv2.LINE_AA)
    cv2.line(img, ((wx1 + wx2) // 2, wy1), ((wx1 + wx2) // 2, wy2), (245, 245, 245), int(u * 0.7), cv2.LINE_AA)
    # bookshelf
    sx1, sx2 = int(0.30 * w), int(0.44 * w)
    cv2.rectangle(img, (sx1, int(20 * u)), (sx2, floor_y), (40, 70, 110), -1)
    for row in range(4):
        y2 = int((34 + row * 10.5) * u)
        x = sx1 + 6
        while x < sx2 - 12:
            bw = int(rng.integers(6, 16))
            bh = int(rng.integers(int(6 * u), int(9 * u)))
            colour = tuple(int(c) for c in rng.integers(30, 220, 3))
            cv2.rectangle(img, (x, y2 - bh), (min(x + bw, sx2 - 6), y2), colour, -1)
            x += bw + 1
        cv2.rectangle(img, (sx1, y2), (sx2, y2 + int(u)), (30, 52, 85), -1)
    # whiteboard with writing
    bx1, by1, bx2, by2 = int(0.52 * w), int(14 * u), int(0.80 * w), int(48 * u)
    cv2.rectangle(img, (bx1, by1), (bx2, by2), (248, 248, 246), -1)
    cv2.rectangle(img, (bx1, by1), (bx2, by2), (150, 150, 150), max(2, int(0.6 * u)))
    lines = ["Sprint 14 review", "- privacy filter: faces", "- plates + OCR next", "demo @ 3pm -> Room B"]
    inks = ((160, 60, 20), (30, 30, 30), (30, 30, 30), (40, 40, 180))
    for i, (line, ink) in enumerate(zip(lines, inks, strict=True)):
        top = by1 + int((4 + 7 * i) * u)
        tall = (3.6 if i == 0 else 2.8) * u
        right = bx2 - int((3 if i == 0 else 6 + 2 * i) * u)
        _fit_text(img, line, (bx1 + int(2 * u), top, right, top + int(tall)), cv2.FONT_HERSHEY_SIMPLEX, ink)
    # framed pictures and a clock
    for x_frac, colour in ((0.86, (90, 140, 60)), (0.94, (60, 90, 170))):
        px = int(x_frac * w)
        cv2.rectangle(img, (px - int(5 * u), int(18 * u)), (px + int(5 * u), int(32 * u)), (40, 40, 40), -1)
        cv2.rectangle(img, (px - int(4 * u), int(19 * u)), (px + int(4 * u), int(31 * u)), colour, -1)
        cv2.circle(img, (px, int(24 * u)), int(2 * u), (200, 220, 240), -1, cv2.LINE_AA)
    cx, cy, r = int(0.47 * w), int(10 * u), int(4 * u)
    cv2.circle(img, (cx, cy), r, (250, 250, 250), -1, cv2.LINE_AA)
    cv2.circle(img, (cx, cy), r, (40, 40, 40), 2, cv2.LINE_AA)
    cv2.line(img, (cx, cy), (cx + r // 2, cy - r // 2), (20, 20, 20), 2, cv2.LINE_AA)
    cv2.line(img, (cx, cy), (cx, cy + int(r * 0.8)), (20, 20, 20), 2, cv2.LINE_AA)
    # desk in front and a plant
    cv2.rectangle(img, (int(0.05 * w), int(60 * u)), (int(0.28 * w), int(64 * u)), (60, 95, 140), -1)
    cv2.rectangle(img, (int(0.07 * w), int(64 * u)), (int(0.08 * w), floor_y), (45, 70, 105), -1)
    cv2.rectangle(img, (int(0.25 * w), int(64 * u)), (int(0.26 * w), floor_y), (45, 70, 105), -1)
    cv2.rectangle(img, (int(0.13 * w), int(50 * u)), (int(0.20 * w), int(60 * u)), (40, 40, 40), -1)  # monitor
    cv2.rectangle(img, (int(0.135 * w), int(51 * u)), (int(0.195 * w), int(59 * u)), (120, 80, 40), -1)
    px, py = int(0.90 * w), int(66 * u)
    cv2.rectangle(img, (px - int(3 * u), py), (px + int(3 * u), floor_y), (50, 80, 150), -1)
    for _ in range(14):
        leaf = (px + int(rng.normal(0, 3 * u)), py - int(abs(rng.normal(5 * u, 4 * u))))
        cv2.circle(img, leaf, int(rng.uniform(1.5, 3.0) * u), (40, int(rng.integers(100, 150)), 50), -1, cv2.LINE_AA)
    return _texture(img, rng, 3.0)


def _street(w: int, h: int, rng: np.random.Generator) -> np.ndarray:
    """Shop fronts, pavement and a road, with signs whose text must not be mistaken for plates."""
    u = h / 100.0
    img = _vertical_gradient(h, w, (230, 170, 110), (245, 220, 195))
    for _ in range(5):  # soft clouds
        centre = (int(rng.uniform(0, w)), int(rng.uniform(2, 14) * u))
        axes = (int(rng.uniform(6, 12) * u), int(rng.uniform(1.5, 3) * u))
        cv2.ellipse(img, centre, axes, 0, 0, 360, (250, 248, 245), -1, cv2.LINE_AA)
    img = cv2.GaussianBlur(img, (0, 0), 0.6 * u)
    ground = int(60 * u)
    x = -int(rng.integers(0, int(10 * u)))
    signs = ["CAFE", "PHARMACY", "BOOKS", "BAKERY", "24/7", "HOTEL", "FLOWERS", "BANK"]
    rng.shuffle(signs)
    k = 0
    while x < w:
        bw = int(rng.uniform(0.12, 0.22) * w)
        top = int(rng.uniform(6, 24) * u)
        colour = tuple(int(c) for c in rng.integers(70, 200, 3))
        cv2.rectangle(img, (x, top), (x + bw, ground), colour, -1)
        cv2.rectangle(img, (x, top), (x + bw, top + int(1.2 * u)), tuple(int(c * 0.7) for c in colour), -1)
        for wy in range(top + int(4 * u), ground - int(16 * u), int(8 * u)):  # window grid
            for wx in range(x + int(2 * u), x + bw - int(5 * u), int(6 * u)):
                lit = rng.random() < 0.3
                pane = (150, 220, 240) if lit else (90, 80, 70)
                cv2.rectangle(img, (wx, wy), (wx + int(3.5 * u), wy + int(5 * u)), pane, -1)
        # shop front: sign board, glass and a door
        sy = ground - int(14 * u)
        cv2.rectangle(img, (x + int(u), sy), (x + bw - int(u), sy + int(4 * u)), (40, 40, 40), -1)
        sign = (x + int(2 * u), sy + int(0.4 * u), x + bw - int(2 * u), sy + int(3.6 * u))
        _fit_text(img, signs[k % len(signs)], sign, cv2.FONT_HERSHEY_SIMPLEX, (200, 230, 255))
        cv2.rectangle(img, (x + int(u), sy + int(5 * u)), (x + bw - int(u), ground), (110, 95, 80), -1)
        cv2.rectangle(
            img, (x + bw // 2 - int(2 * u), sy + int(5 * u)), (x + bw // 2 + int(2 * u), ground), (50, 40, 35), -1
        )
        x += bw
        k += 1
    # pavement, kerb, road with lane markings, near pavement
    road1, road2 = int(64 * u), int(95 * u)
    img[ground:road1] = (150, 155, 160)
    for px in range(0, w, int(6 * u)):
        cv2.line(img, (px, ground), (px - int(2 * u), road1), (130, 135, 140), 1, cv2.LINE_AA)
    img[road1 : road1 + int(0.8 * u)] = (200, 200, 200)
    img[road1 + int(0.8 * u) : road2] = (72, 72, 76)
    lane = int(79 * u)
    for lx in range(0, w, int(16 * u)):
        cv2.rectangle(img, (lx, lane), (lx + int(8 * u), lane + int(0.8 * u)), (230, 230, 230), -1)
    img[road2:] = (140, 145, 150)
    # a street lamp, a tree and a speed-limit sign
    lx = int(rng.uniform(0.1, 0.4) * w)
    cv2.rectangle(img, (lx, int(20 * u)), (lx + int(0.6 * u), road1), (50, 50, 50), -1)
    cv2.ellipse(img, (lx + int(2 * u), int(20 * u)), (int(3 * u), int(u)), 0, 0, 360, (60, 60, 60), -1, cv2.LINE_AA)
    tx = int(rng.uniform(0.6, 0.9) * w)
    cv2.rectangle(img, (tx, int(42 * u)), (tx + int(1.2 * u), road1), (40, 60, 80), -1)
    for _ in range(16):
        leaf = (tx + int(rng.normal(0, 5 * u)), int(rng.normal(36, 5) * u))
        cv2.circle(img, leaf, int(rng.uniform(2, 4) * u), (40, int(rng.integers(100, 140)), 60), -1, cv2.LINE_AA)
    sx, sy = int(rng.uniform(0.45, 0.55) * w), int(46 * u)
    cv2.rectangle(img, (sx, sy), (sx + int(0.5 * u), road1), (120, 120, 120), -1)
    cv2.circle(img, (sx, sy), int(3 * u), (30, 30, 200), -1, cv2.LINE_AA)
    cv2.circle(img, (sx, sy), int(2.3 * u), (250, 250, 250), -1, cv2.LINE_AA)
    s = int(1.5 * u)
    _fit_text(img, "30", (sx - s, sy - s, sx + s, sy + s), cv2.FONT_HERSHEY_SIMPLEX, (20, 20, 20))
    return _texture(img, rng, 2.5)


@lru_cache(maxsize=4)
def _background(kind: str, w: int, h: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng([seed, 7])
    image = _room(w, h, rng) if kind == "room" else _street(w, h, rng)
    image.setflags(write=False)  # shared by every frame of every scene with these arguments
    return image


# --------------------------------------------------------------------------------------------------
# Motion: smooth closed-form paths, so frame i depends only on i and the seed.


def _wave(t: float, amplitude: float, period: float, phase: float) -> float:
    return amplitude * math.sin(_TAU * t / period + phase)


@dataclass(frozen=True)
class _Camera:
    world: tuple[int, int]  # world width, height
    centre: tuple[float, float]
    pan: tuple[float, float] = (0.0, 0.0)
    pan_period: tuple[float, float] = (7.0, 9.0)
    shake: float = 0.0
    zoom: tuple[float, float, float] = (1.0, 0.0, 5.0)  # mid, amplitude, period
    phases: tuple[float, float, float] = (0.0, 0.0, 0.0)

    def view(self, t: float, width: int, height: int) -> tuple[int, int, int, int]:
        """Integer crop (x0, y0, w, h) of the world: slicing and resizing are far cheaper than warpAffine."""
        ww, wh = self.world
        z = self.zoom[0] + _wave(t, self.zoom[1], self.zoom[2], self.phases[2])
        cw, ch = min(ww, round(width / z)), min(wh, round(height / z))
        cx = self.centre[0] + _wave(t, self.pan[0], self.pan_period[0], self.phases[0])
        cy = self.centre[1] + _wave(t, self.pan[1], self.pan_period[1], self.phases[1])
        cx += _wave(t, self.shake, 0.9, 1.0) + _wave(t, self.shake * 0.5, 0.37, 2.0)
        cy += _wave(t, self.shake, 1.1, 0.3) + _wave(t, self.shake * 0.5, 0.29, 4.0)
        x0 = min(max(round(cx - cw / 2), 0), ww - cw)
        y0 = min(max(round(cy - ch / 2), 0), wh - ch)
        return x0, y0, cw, ch


@dataclass(frozen=True)
class _Actor:
    object_id: int
    sprite: _Sprite
    start: tuple[float, float]  # world position of the sprite's box centre when the move begins
    end: tuple[float, float]
    size: tuple[float, float]  # sprite "measure" in world pixels at start and end of the move
    t0: float = 0.0
    travel: float = 1.0  # seconds from start to end
    ease_out: bool = False  # fast entry that settles, rather than constant speed
    wobble: tuple[float, float] = (0.0, 0.0)
    wobble_period: tuple[float, float] = (3.0, 1.1)
    size_wobble: float = 0.0
    roll: float = 0.0  # degrees
    phases: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)

    def state(self, t: float) -> tuple[float, float, float, float]:
        """World centre x, y, sprite scale and roll in radians at time t."""
        u = min(max((t - self.t0) / self.travel, 0.0), 1.0)
        e = 1.0 - (1.0 - u) ** 3 if self.ease_out else u
        ramp = e if self.ease_out else 1.0  # no wobble before an entering face starts, so its start is exact
        x = self.start[0] + (self.end[0] - self.start[0]) * e
        y = self.start[1] + (self.end[1] - self.start[1]) * e
        x += ramp * _wave(t, self.wobble[0], self.wobble_period[0], self.phases[0])
        y += ramp * _wave(t, self.wobble[1], self.wobble_period[1], self.phases[1])
        size = self.size[0] + (self.size[1] - self.size[0]) * e
        size *= 1.0 + ramp * _wave(t, self.size_wobble, 2.3, self.phases[2])
        roll = math.radians(ramp * _wave(t, self.roll, 2.9, self.phases[3]))
        return x, y, size / self.sprite.measure, roll


@dataclass(frozen=True)
class _Scene:
    background: np.ndarray
    camera: _Camera
    actors: tuple[_Actor, ...]  # in drawing order, far to near


# --------------------------------------------------------------------------------------------------
# Scene presets.


def _phases(rng: np.random.Generator) -> tuple[float, float, float, float]:
    p = rng.uniform(0.0, _TAU, 4)
    return float(p[0]), float(p[1]), float(p[2]), float(p[3])


def _camera_phases(rng: np.random.Generator) -> tuple[float, float, float]:
    p = rng.uniform(0.0, _TAU, 3)
    return float(p[0]), float(p[1]), float(p[2])


def _face_order(rng: np.random.Generator) -> list[_Sprite]:
    faces = _face_sprites()
    return [faces[i] for i in rng.permutation(len(faces))]


def _face_width(sprite: _Sprite, height: float) -> float:
    x1, y1, x2, y2 = sprite.box
    return height * (x2 - x1) / (y2 - y1)


def _scene_moving_camera(w: int, h: int, seconds: float, rng: np.random.Generator, seed: int) -> _Scene:
    """Hand-held camera panning and zooming over a room with 2-3 people (faces 80-200 px tall)."""
    k = h / _REF_HEIGHT
    ww, wh = round(1.6 * w), round(1.6 * h)
    camera = _Camera(
        (ww, wh),
        (ww / 2, wh / 2),
        pan=(0.2 * w, 0.15 * h),
        pan_period=(float(rng.uniform(6, 8)), float(rng.uniform(8, 10))),
        shake=0.004 * w,
        zoom=(1.1, 0.1, float(rng.uniform(4.5, 6))),
        phases=_camera_phases(rng),
    )
    n = int(rng.integers(2, 4))
    sizes = rng.permutation([rng.uniform(80, 100), rng.uniform(105, 125), rng.uniform(130, 150)])[:n] * k
    xs = (np.linspace(0.32, 0.68, n) + rng.uniform(-0.02, 0.02, n)) * ww
    actors = []
    for i, (sprite, size, x) in enumerate(zip(_face_order(rng), sizes, xs, strict=False)):
        where = (float(x), float(rng.uniform(0.44, 0.52)) * wh)
        actors.append(
            _Actor(
                i + 1,
                sprite,
                where,
                where,
                (float(size), float(size)),
                wobble=(0.04 * w, 0.008 * h),
                wobble_period=(float(rng.uniform(3, 5)), float(rng.uniform(0.9, 1.3))),
                size_wobble=0.05,
                roll=3.0,
                phases=_phases(rng),
            )
        )
    actors.sort(key=lambda actor: actor.size[0])
    return _Scene(_background("room", ww, wh, seed), camera, tuple(actors))


def _scene_edge_entry(w: int, h: int, seconds: float, rng: np.random.Generator, seed: int) -> _Scene:
    """Faces already cut by the left, right and top edges in frame 0, plus one entering later from outside."""
    k = h / _REF_HEIGHT
    faces = _face_order(rng)
    sizes = [float(rng.uniform(lo, hi)) * k for lo, hi in ((120, 160), (110, 150), (100, 130), (90, 110))]
    widths = [_face_width(face, size) for face, size in zip(faces, sizes, strict=False)]
    late = 0.4 * seconds
    # start positions 0.1 face-widths (or heights) past the edge leave 40% of each face showing
    moves = [
        ((-0.1 * widths[0], 0.5 * h), (0.2 * w, 0.45 * h), 0.0),
        ((w + 0.1 * widths[1], 0.42 * h), (0.8 * w, 0.4 * h), 0.0),
        ((0.5 * w, -0.1 * sizes[2]), (0.52 * w, 0.3 * h), 0.0),
        ((-0.5 * widths[3] - 2, 0.8 * h), (0.38 * w, 0.76 * h), late),
    ]
    actors = tuple(
        _Actor(
            i + 1,
            faces[i],
            start,
            end,
            (sizes[i], sizes[i]),
            t0=t0,
            travel=float(rng.uniform(0.9, 1.3)),
            ease_out=True,
            wobble=(0.012 * w, 0.01 * h),
            size_wobble=0.03,
            roll=2.0,
            phases=_phases(rng),
        )
        for i, (start, end, t0) in enumerate(moves)
    )
    return _Scene(_background("room", w, h, seed), _Camera((w, h), (w / 2, h / 2)), actors)


def _scene_small_faces(w: int, h: int, seconds: float, rng: np.random.Generator, seed: int) -> _Scene:
    """4-6 faces 30-60 px tall: the size where detectors start to miss, seen by a gently drifting camera."""
    k = h / _REF_HEIGHT
    margin = round(0.03 * w)
    ww, wh = w + 2 * margin, h + 2 * margin
    camera = _Camera(
        (ww, wh), (ww / 2, wh / 2), pan=(0.8 * margin, 0.8 * margin), pan_period=(6.0, 8.0), phases=_camera_phases(rng)
    )
    n = int(rng.integers(4, 7))
    cells = rng.permutation(8)[:n]  # one face per cell of a 4 x 2 grid keeps them apart
    faces = _face_order(rng)
    actors = []
    for i, cell in enumerate(cells):
        where = (margin + (0.16 + 0.17 * (cell % 4 + 0.5)) * w, margin + (0.3 + 0.21 * (cell // 4 + 0.5)) * h)
        size = float(rng.uniform(32, 56)) * k
        actors.append(
            _Actor(
                i + 1,
                faces[i % len(faces)],
                where,
                where,
                (size, size),
                wobble=(0.035 * w, 0.03 * h),
                wobble_period=(float(rng.uniform(3, 6)), float(rng.uniform(2, 4))),
                size_wobble=0.05,
                roll=3.0,
                phases=_phases(rng),
            )
        )
    return _Scene(_background("room", ww, wh, seed), camera, tuple(actors))


def _car(
    object_id: int,
    rng: np.random.Generator,
    move: tuple[tuple[float, float], tuple[float, float]],
    plate_width: tuple[float, float],
    seconds: float,
    k: float,
) -> _Actor:
    return _Actor(
        object_id,
        _car_sprite(rng),
        move[0],
        move[1],
        plate_width,
        travel=max(seconds, 1e-3),
        wobble=(5.0 * k, 1.5 * k),
        wobble_period=(float(rng.uniform(2, 3)), float(rng.uniform(0.5, 0.8))),
        size_wobble=0.01,
        roll=1.5,
        phases=_phases(rng),
    )


def _scene_moving_plates(w: int, h: int, seconds: float, rng: np.random.Generator, seed: int) -> _Scene:
    """A fixed traffic view: a car far off, one driving away, one approaching (plates 60-200 px wide)."""
    k = h / _REF_HEIGHT
    j = rng.uniform(-0.03, 0.03, 3) * w
    cars = [
        _car(1, rng, ((0.24 * w + j[0], 0.92 * h), (0.3 * w + j[0], 0.76 * h)), (170 * k, 95 * k), seconds, k),
        _car(2, rng, ((0.76 * w + j[1], 0.74 * h), (0.73 * w + j[1], 0.9 * h)), (70 * k, 150 * k), seconds, k),
        _car(3, rng, ((0.52 * w + j[2], 0.7 * h), (0.47 * w + j[2], 0.69 * h)), (62 * k, 72 * k), seconds, k),
    ]
    cars.sort(key=lambda actor: sum(actor.size))  # far (small) cars first, so near ones cover them
    return _Scene(_background("street", w, h, seed), _Camera((w, h), (w / 2, h / 2)), tuple(cars))


def _scene_mixed(w: int, h: int, seconds: float, rng: np.random.Generator, seed: int) -> _Scene:
    """Pedestrians on the pavement and cars on the road, seen by a slowly panning camera."""
    k = h / _REF_HEIGHT
    ww, wh = round(1.2 * w), round(1.2 * h)
    camera = _Camera(
        (ww, wh),
        (ww / 2, wh / 2),
        pan=(0.08 * w, 0.07 * h),
        pan_period=(9.0, 7.0),
        shake=0.003 * w,
        phases=_camera_phases(rng),
    )
    cars = [
        _car(1, rng, ((0.36 * ww, 0.9 * wh), (0.4 * ww, 0.78 * wh)), (165 * k, 100 * k), seconds, k),
        _car(2, rng, ((0.68 * ww, 0.74 * wh), (0.64 * ww, 0.86 * wh)), (75 * k, 140 * k), seconds, k),
    ]
    cars.sort(key=lambda actor: sum(actor.size))
    faces = _face_order(rng)
    people = []
    for i, (x_from, x_to) in enumerate(((0.22, 0.36), (0.82, 0.68))):
        size = float(rng.uniform(80, 130)) * k
        y = float(rng.uniform(0.36, 0.42)) * wh
        people.append(
            _Actor(
                3 + i,
                faces[i],
                (x_from * ww, y),
                (x_to * ww, y),
                (size, size),
                travel=max(seconds, 1e-3),
                wobble=(0.01 * w, 0.006 * h),
                wobble_period=(3.0, 0.55),
                size_wobble=0.03,
                roll=2.5,
                phases=_phases(rng),
            )
        )
    people.sort(key=lambda actor: actor.size[0])
    return _Scene(_background("street", ww, wh, seed), camera, (*cars, *people))


_BUILDERS = {
    "moving_camera": _scene_moving_camera,
    "edge_entry": _scene_edge_entry,
    "small_faces": _scene_small_faces,
    "moving_plates": _scene_moving_plates,
    "mixed": _scene_mixed,
}


# --------------------------------------------------------------------------------------------------
# Rendering.


def _draw(
    frame: np.ndarray, actor: _Actor, t: float, view: tuple[int, int, int, int]
) -> tuple[Box | None, tuple[int, int, np.ndarray] | None]:
    """Composite one actor; return its full box in frame coordinates and its opaque mask for occlusion."""
    height, width = frame.shape[:2]
    x0, y0, cw, ch = view
    zx, zy = width / cw, height / ch
    px, py, scale, roll = actor.state(t)
    sprite = actor.sprite
    bx1, by1, bx2, by2 = sprite.box
    c, s = math.cos(roll) * scale, math.sin(roll) * scale
    # level-0 sprite edge coordinates -> frame edge coordinates: E_f = A @ E_s + b
    a = np.array([[zx * c, -zx * s], [zy * s, zy * c]])
    centre = np.array([(bx1 + bx2) / 2, (by1 + by2) / 2])
    b = np.array([zx * (px - x0), zy * (py - y0)]) - a @ centre

    def bounds(rect: Box) -> Box:
        corners = np.array([[rect[0], rect[1]], [rect[2], rect[1]], [rect[2], rect[3]], [rect[0], rect[3]]])
        pts = corners @ a.T + b
        return float(pts[:, 0].min()), float(pts[:, 1].min()), float(pts[:, 0].max()), float(pts[:, 1].max())

    full = bounds(sprite.box)
    cx1, cy1, cx2, cy2 = bounds(sprite.content)
    rx1, ry1 = max(math.floor(cx1), 0), max(math.floor(cy1), 0)
    rx2, ry2 = min(math.ceil(cx2), width), min(math.ceil(cy2), height)
    if rx2 <= rx1 or ry2 <= ry1:
        return full, None
    level = min(max(math.floor(math.log2(1.0 / max(scale * min(zx, zy), 1e-6))), 0), _MAX_LEVEL)
    ak = a * (2**level)
    # warpAffine works on pixel centres (edge coordinate - 0.5); fold that and the ROI offset into b
    bk = b + ak @ np.array([0.5, 0.5]) - 0.5 - np.array([rx1, ry1])
    matrix = np.hstack([ak, bk[:, None]])
    warped = cv2.warpAffine(
        sprite.levels[level],
        matrix,
        (rx2 - rx1, ry2 - ry1),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=(0, 0, 0, 0),
    )
    opacity = cv2.extractChannel(warped, 3)  # cv2 channel ops: numpy's strided slicing costs ~3x more here
    alpha = opacity.astype(np.float32)
    alpha *= 1.0 / 255.0
    roi = frame[ry1:ry2, rx1:rx2]
    roi[:] = cv2.blendLinear(cv2.cvtColor(warped, cv2.COLOR_BGRA2BGR), roi, alpha, 1.0 - alpha)
    return full, (rx1, ry1, opacity >= 128)


def _truth(
    actor: _Actor, full: Box, occluders: Sequence[tuple[int, int, np.ndarray]], width: int, height: int
) -> TruthBox | None:
    fx1, fy1, fx2, fy2 = full
    area = (fx2 - fx1) * (fy2 - fy1)
    vx1, vy1, vx2, vy2 = max(fx1, 0.0), max(fy1, 0.0), min(fx2, float(width)), min(fy2, float(height))
    if area <= 0 or vx2 - vx1 < 1.0 or vy2 - vy1 < 1.0:
        return None
    inside = (vx2 - vx1) * (vy2 - vy1) / area
    box = (math.floor(vx1), math.floor(vy1), min(math.ceil(vx2), width), min(math.ceil(vy2), height))
    hidden = 0.0
    if occluders:
        covered = np.zeros((box[3] - box[1], box[2] - box[0]), bool)
        for ox, oy, mask in occluders:
            ix1, iy1 = max(box[0], ox), max(box[1], oy)
            ix2, iy2 = min(box[2], ox + mask.shape[1]), min(box[3], oy + mask.shape[0])
            if ix2 > ix1 and iy2 > iy1:
                covered[iy1 - box[1] : iy2 - box[1], ix1 - box[0] : ix2 - box[0]] |= mask[
                    iy1 - oy : iy2 - oy, ix1 - ox : ix2 - ox
                ]
        hidden = float(covered.mean())
    visible = inside * (1.0 - hidden)
    if visible <= 0.0:
        return None
    return TruthBox(actor.sprite.kind, box, actor.object_id, round(min(visible, 1.0), 4), actor.sprite.source)


def render_scene(
    name: str, *, width: int = 1280, height: int = 720, fps: float = 30, seconds: float = 4.0, seed: int = 0
) -> Iterator[SceneFrame]:
    """Yield ``round(seconds * fps)`` frames of the preset ``name`` (one of ``SCENES``) with their truth.

    Frames are fresh arrays the caller may modify. Faces are pasted through a feathered head-and-shoulders
    alpha and cars have anti-aliased outlines, so no object brings a hard rectangular edge a detector
    could key on instead of the face or plate itself.
    """
    if name not in _BUILDERS:
        raise ValueError(f"unknown scene {name!r}; choose one of {', '.join(SCENES)}")
    if width < 64 or height < 64 or fps <= 0 or seconds < 0:
        raise ValueError("need width, height >= 64, fps > 0 and seconds >= 0")
    rng = np.random.default_rng(seed)
    scene = _BUILDERS[name](width, height, seconds, rng, seed)
    world = scene.background
    for index in range(round(seconds * fps)):
        t = index / fps
        view = scene.camera.view(t, width, height)
        x0, y0, cw, ch = view
        crop = world[y0 : y0 + ch, x0 : x0 + cw]
        if (cw, ch) == (width, height):
            image = crop.copy()
        else:
            image = cv2.resize(crop, (width, height), interpolation=cv2.INTER_LINEAR)
        drawn = [_draw(image, actor, t, view) for actor in scene.actors]
        truth = []
        for i, (actor, (full, _)) in enumerate(zip(scene.actors, drawn, strict=True)):
            if full is None:
                continue
            occluders = [mask for _, mask in drawn[i + 1 :] if mask is not None]
            box = _truth(actor, full, occluders, width, height)
            if box is not None:
                truth.append(box)
        yield SceneFrame(index, image, truth)


def draw_truth(image: np.ndarray, truth: Sequence[TruthBox]) -> np.ndarray:
    """Return a copy with the truth boxes drawn, for eyeballing renders and detector output side by side."""
    out = image.copy()
    for item in truth:
        colour = (0, 220, 0) if item.kind == "face" else (0, 160, 255)
        x1, y1, x2, y2 = item.box
        cv2.rectangle(out, (x1, y1), (x2 - 1, y2 - 1), colour, 2)
        label = f"{item.kind}#{item.object_id} {item.visible_fraction:.2f}"
        cv2.putText(out, label, (x1, max(12, y1 - 4)), cv2.FONT_HERSHEY_SIMPLEX, 0.45, colour, 1, cv2.LINE_AA)
    return out


# --------------------------------------------------------------------------------------------------
# Clip writing.


def _melody(start: int, count: int, rate: int = AUDIO_RATE) -> np.ndarray:
    """A plucked arpeggio: anyone listening to an output file can tell at once whether audio survived."""
    notes = np.array([60, 64, 67, 72, 67, 64, 62, 65, 69, 74, 69, 65], np.float64)  # MIDI numbers
    beat = 0.5
    t = (start + np.arange(count)) / rate
    step = (t // beat).astype(np.int64)
    freq = 440.0 * 2.0 ** ((notes[step % len(notes)] - 69.0) / 12.0)
    local = t - step * beat  # each note restarts at phase 0 under a zero envelope, so there is no click
    envelope = np.minimum(local / 0.01, 1.0) * np.exp(-4.0 * local)
    wave = np.sin(_TAU * freq * local) + 0.25 * np.sin(2 * _TAU * freq * local)
    return (0.3 * envelope * wave).astype(np.float32)


def write_sample_clip(
    path: str | os.PathLike[str],
    scene: str = "mixed",
    seconds: float = 6.0,
    width: int = 1280,
    height: int = 720,
    fps: int = 30,
    with_audio: bool = True,
    *,
    seed: int = 0,
) -> Path:
    """Write ``scene`` as an H.264 (yuv420p) + mono 48 kHz AAC mp4 and return its path.

    The file appears under its final name only once complete (temp file in the same folder, then an
    atomic rename), so a watcher or an interrupted run never sees half a clip.
    """
    if width % 2 or height % 2:
        raise ValueError("yuv420p needs an even width and height")
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    with (
        atomic_output(out) as tmp,
        av.open(str(tmp), "w", format="mp4", options={"movflags": "+faststart"}) as container,
    ):
        video = container.add_stream("libx264", rate=fps, options={"preset": "veryfast", "crf": "20"})
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        audio = container.add_stream("aac", rate=AUDIO_RATE, layout="mono") if with_audio else None
        samples_done = 0
        for frame in render_scene(scene, width=width, height=height, fps=fps, seconds=seconds, seed=seed):
            vframe = av.VideoFrame.from_ndarray(frame.image, format="bgr24")
            vframe.pts, vframe.time_base = frame.index, Fraction(1, fps)
            container.mux(video.encode(vframe))
            if audio is None:
                continue
            due = round((frame.index + 1) * AUDIO_RATE / fps)  # keep audio interleaved with video
            while samples_done + 1024 <= due:
                aframe = av.AudioFrame.from_ndarray(_melody(samples_done, 1024)[None, :], format="fltp", layout="mono")
                aframe.sample_rate, aframe.pts = AUDIO_RATE, samples_done
                aframe.time_base = Fraction(1, AUDIO_RATE)
                container.mux(audio.encode(aframe))
                samples_done += 1024
        if audio is not None:
            total = round(round(seconds * fps) * AUDIO_RATE / fps)
            if total > samples_done:
                aframe = av.AudioFrame.from_ndarray(
                    _melody(samples_done, total - samples_done)[None, :], format="fltp", layout="mono"
                )
                aframe.sample_rate, aframe.pts = AUDIO_RATE, samples_done
                aframe.time_base = Fraction(1, AUDIO_RATE)
                container.mux(audio.encode(aframe))
            container.mux(audio.encode(None))
        container.mux(video.encode(None))
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry: write a sample clip for the quick start or for manual testing."""
    parser = argparse.ArgumentParser(
        prog="python -m privastream_desktop.samples",
        description="Write a synthetic test clip (real public-domain faces, drawn plates) with audio.",
    )
    parser.add_argument("output", type=Path, help="where to write the .mp4")
    parser.add_argument("--scene", choices=SCENES, default="mixed")
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=720)
    parser.add_argument("--fps", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-audio", action="store_true", help="leave out the AAC melody track")
    args = parser.parse_args(argv)
    path = write_sample_clip(
        args.output, args.scene, args.seconds, args.width, args.height, args.fps, not args.no_audio, seed=args.seed
    )
    print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
