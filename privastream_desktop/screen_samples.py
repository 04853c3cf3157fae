"""Screen-recording-like clips with exact text ground truth, for the text PII tests and benchmark.

A streamer's screen: a browser bar with a token in its URL, a page (game HUD, checkout form or wallet
backup), a scrolling chat, a terminal that prints an ``.env`` file, a clock, a moving video tile and a
notification that slides in and stays 2 s. Every frame comes with the ink box of every word drawn and
of every secret (the part that must be hidden, e.g. the token value of a URL, not its host), so a
benchmark can say exactly which secrets were readable and which harmless words were blurred.

Drawn with Pillow in three families (DejaVu Sans, Sans Mono and Serif when installed, Debian/Ubuntu
package ``fonts-dejavu-core``; Pillow's built-in font otherwise) at 12-32 px, dark and light themes.
Everything derives from ``seed``: the same call gives the same pixels. Secrets are made up (example
domains, 555 numbers, documentation IP ranges, random keys with valid checksums where one exists).

    python -m privastream_desktop.screen_samples OUT.mp4 [--scene dark_stream] [--seconds 10]
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from pathlib import Path

import av
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from privastream_desktop.atomic import atomic_output

SCREEN_SCENES: tuple[str, ...] = ("dark_stream", "light_shop", "wallet_dark")
BENIGN = "benign"

_FONT_DIRS = (
    "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts/TTF",
    "/usr/share/fonts/dejavu",
    "/usr/local/share/fonts",
    "/Library/Fonts",
    os.path.expanduser("~/Library/Fonts"),
    os.path.join(os.environ.get("WINDIR", "C:/Windows"), "Fonts"),
)
_FAMILIES = {"sans": "DejaVuSans.ttf", "bold": "DejaVuSans-Bold.ttf", "mono": "DejaVuSansMono.ttf",
             "serif": "DejaVuSerif.ttf"}  # fmt: skip


@dataclass(frozen=True)
class TextTruth:
    """One word or one secret in one frame.

    ``kind`` is a PII kind value ("email", "secret"...) or ``"benign"``. ``box`` is the ink box in frame
    pixels (x2/y2 exclusive), cut to the picture; ``visible`` the share of the full ink box that is in
    the picture and not under something drawn over it. ``object_id`` stays the same for the same
    word or secret across frames (also while it scrolls).
    """

    kind: str
    box: tuple[int, int, int, int]
    object_id: int
    text: str
    visible: float = 1.0

    @property
    def is_pii(self) -> bool:
        return self.kind != BENIGN


@dataclass
class ScreenFrame:
    index: int
    image: np.ndarray  # HxWx3 uint8 BGR
    truth: list[TextTruth]


@lru_cache(maxsize=64)
def font(family: str, size: int) -> ImageFont.FreeTypeFont:
    """A DejaVu face at ``size`` px, or Pillow's own font where DejaVu is not installed."""
    name = _FAMILIES[family]
    for folder in _FONT_DIRS:
        path = Path(folder) / name
        if path.is_file():
            return ImageFont.truetype(str(path), size, layout_engine=ImageFont.Layout.BASIC)
    return ImageFont.load_default(size)  # type: ignore[return-value]


def fonts_available() -> bool:
    """Whether the DejaVu families are installed (otherwise every family is Pillow's default font)."""
    return any((Path(folder) / _FAMILIES["sans"]).is_file() for folder in _FONT_DIRS)


# --------------------------------------------------------------------------------------------------------
# made-up secrets


def luhn_card(rng: np.random.Generator, prefix: str = "4539") -> str:
    """A 16-digit number with a valid Luhn check digit, grouped by four."""
    digits = [int(c) for c in prefix] + [int(d) for d in rng.integers(0, 10, 15 - len(prefix))]
    total = 0
    for i, d in enumerate(reversed(digits)):
        d = d * 2 if i % 2 == 0 else d
        total += d - 9 if d > 9 else d
    digits.append((10 - total % 10) % 10)
    s = "".join(map(str, digits))
    return " ".join(s[i : i + 4] for i in range(0, 16, 4))


def _token(rng: np.random.Generator, n: int, alphabet: str) -> str:
    return "".join(alphabet[i] for i in rng.integers(0, len(alphabet), n))


_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_HEX = "0123456789abcdef"


def api_key(rng: np.random.Generator) -> str:
    style = int(rng.integers(0, 3))
    if style == 0:
        return "sk-proj-" + _token(rng, 32, _ALNUM)
    if style == 1:
        return "ghp_" + _token(rng, 36, _ALNUM)
    return "sk_live_" + _token(rng, 28, _ALNUM)


@lru_cache(maxsize=1)
def _bip39_words() -> tuple[str, ...]:
    try:
        from mnemonic import Mnemonic

        return tuple(Mnemonic("english").wordlist)
    except Exception:  # the package is a dependency of the recognizers; keep the renderer usable anyway
        return ("abandon", "ability", "able", "about", "above", "absent", "absorb", "abstract", "absurd", "abuse")


# --------------------------------------------------------------------------------------------------------
# drawing with truth


@dataclass(frozen=True)
class Theme:
    background: tuple[int, int, int]
    panel: tuple[int, int, int]
    bar: tuple[int, int, int]
    text: tuple[int, int, int]
    dim: tuple[int, int, int]
    accent: tuple[int, int, int]
    toast: tuple[int, int, int]


DARK = Theme((24, 25, 30), (36, 38, 46), (46, 48, 58), (232, 232, 236), (150, 156, 170), (120, 200, 255), (58, 62, 76))
LIGHT = Theme((243, 243, 245), (255, 255, 255), (222, 225, 230), (32, 33, 36), (95, 99, 104), (20, 100, 200),
              (250, 250, 252))  # fmt: skip


@dataclass
class _Canvas:
    """A frame being drawn, collecting the truth of every text item; rectangles drawn later occlude."""

    image: Image.Image
    ids: dict[tuple, int]
    items: list[tuple[TextTruth, tuple[float, float, float, float]]] = field(default_factory=list)
    occluders: list[tuple[int, int, int, int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.draw = ImageDraw.Draw(self.image)

    def oid(self, key: tuple) -> int:
        return self.ids.setdefault(key, len(self.ids) + 1)

    def rect(self, box: tuple[int, int, int, int], fill: tuple[int, int, int], *, occlude: bool = False,
             radius: int = 0) -> None:  # fmt: skip
        if radius:
            self.draw.rounded_rectangle(box, radius, fill=fill)
        else:
            self.draw.rectangle((box[0], box[1], box[2] - 1, box[3] - 1), fill=fill)
        if occlude:
            self.occluders.append(box)
            for k, (truth, full) in enumerate(self.items):  # what is under it now is hidden
                self.items[k] = (truth, full) if not _overlap(truth.box, box) else (_occlude(truth, full, box), full)

    def text(
        self,
        xy: tuple[float, float],
        text: str,
        family: str,
        size: int,
        fill: tuple[int, int, int],
        key: tuple,
        pii: Sequence[tuple[int, int, str]] = (),
    ) -> float:
        """Draw ``text``; words are benign truth unless inside a ``pii`` span (start, end, kind). Returns width."""
        f = font(family, size)
        x, y = xy
        self.draw.text((x, y), text, font=f, fill=fill)
        for n, (start, end, kind) in enumerate(pii):
            self._add(kind, f, x, y, text, start, end, (*key, "pii", n))
        pos = 0
        for word in text.split(" "):
            start, pos = pos, pos + len(word) + 1
            end = start + len(word)
            if not any(ch.isalnum() for ch in word) or any(s < end and start < e for s, e, _ in pii):
                continue
            self._add(BENIGN, f, x, y, text, start, end, (*key, "w", start))
        return f.getlength(text)

    def _add(self, kind: str, f: ImageFont.FreeTypeFont, x: float, y: float, text: str, start: int, end: int,
             key: tuple) -> None:  # fmt: skip
        left = x + f.getlength(text[:start])
        bx1, by1, bx2, by2 = f.getbbox(text[start:end])
        full = (left + bx1, y + by1, left + bx2, y + by2)
        w, h = self.image.size
        box = (max(0, int(np.floor(full[0]))), max(0, int(np.floor(full[1]))),
               min(w, int(np.ceil(full[2]))), min(h, int(np.ceil(full[3]))))  # fmt: skip
        area = max(1e-6, (full[2] - full[0]) * (full[3] - full[1]))
        inside = max(0, box[2] - box[0]) * max(0, box[3] - box[1]) / area
        self.items.append((TextTruth(kind, box, self.oid(key), text[start:end], min(1.0, inside)), full))

    def truth(self) -> list[TextTruth]:
        return [t for t, _ in self.items if t.visible > 0 and t.box[2] > t.box[0] and t.box[3] > t.box[1]]


def _overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _occlude(truth: TextTruth, full: tuple[float, float, float, float], cover: tuple[int, int, int, int]) -> TextTruth:
    """The part of a word left visible beside a rectangle drawn over it (a word is cut on one side)."""
    x1, y1, x2, y2 = truth.box
    cx1, cy1, cx2, cy2 = cover
    if cy1 <= y1 and cy2 >= y2:  # covers its full height: what remains is left or right of it
        left, right = (x1, min(x2, cx1)), (max(x1, cx2), x2)
        x1, x2 = left if left[1] - left[0] >= right[1] - right[0] else right
    elif cx1 <= x1 and cx2 >= x2:
        top, bottom = (y1, min(y2, cy1)), (max(y1, cy2), y2)
        y1, y2 = top if top[1] - top[0] >= bottom[1] - bottom[0] else bottom
    else:
        return truth  # a corner: keep the whole box, it is mostly visible
    area = max(1e-6, (full[2] - full[0]) * (full[3] - full[1]))
    visible = max(0, x2 - x1) * max(0, y2 - y1) / area
    return TextTruth(truth.kind, (x1, y1, max(x1, x2), max(y1, y2)), truth.object_id, truth.text, visible)


# --------------------------------------------------------------------------------------------------------
# the scenes

_USERS = ("pixel_pirate", "GG_Nova", "lowkeyLuna", "xX_Sn1per_Xx", "mod_bot", "kayla_streams", "n00bmaster69",
          "Zed_42", "coffee_and_code", "retro_rex", "tinyTurtle", "Brightside99")  # fmt: skip
_CHAT = ("gg wp", "that clutch was insane 10/10", "what sens do you use?", "800 dpi and 0.35 in game", "LUL",
         "first time here, love the vibe", "patch 2.4.1 nerfed the shotgun", "see you at 20:00 tomorrow",
         "score 12450 is a new PB!", "uptime: 2h 14m", "KEKW", "raid incoming in 5", "show the settings again?",
         "64 tick servers lag today", "level 37 already??", "ping 23 ms for me", "2-1 in the finals, nice",
         "version 1.20.4 or 1.12.2?", "held the 3rd place for 45 min", "12 kills in round 7 lol",
         "is it 1440p or 1080p?", "Merry Christmas 2024 chat")  # fmt: skip


_CHAT_START = 24


def _chat_pii(rng: np.random.Generator, k: int) -> tuple[str, str, str]:
    """(message, secret, kind) for the k-th chat message that leaks something."""
    options = [
        ("dm me at {s}", f"alex.rivera{int(rng.integers(10, 99))}@mailbox.org", "email"),
        ("text me on {s}", f"+44 20 7946 0{int(rng.integers(100, 999))}", "phone"),
        ("my old ip was {s} lol", f"203.0.113.{int(rng.integers(2, 250))}", "ip_address"),
        ("call me {s} after stream", f"(415) 555-0{int(rng.integers(100, 199))}", "phone"),
        ("send it to {s} pls", f"sam.chen{int(rng.integers(1, 99))}@example.net", "email"),
    ]
    template, secret, kind = options[k % len(options)]
    return template.format(s=secret), secret, kind


@dataclass
class _Message:
    user: str
    text: str
    secret: str | None
    kind: str | None
    key: int


class _Screen:
    """Scene state over time; ``draw(t)`` paints the frame at ``t`` seconds."""

    def __init__(self, scene: str, width: int, height: int, seconds: float, seed: int) -> None:
        if scene not in SCREEN_SCENES:
            raise ValueError(f"unknown screen scene {scene!r}; choose from {', '.join(SCREEN_SCENES)}")
        self.scene, self.w, self.h, self.seconds = scene, width, height, seconds
        self.rng = np.random.default_rng(seed + 7919 * SCREEN_SCENES.index(scene))
        self.theme = LIGHT if scene == "light_shop" else DARK
        self.ids: dict[tuple, int] = {}
        rng = self.rng
        self.chat_size = {"dark_stream": 15, "light_shop": 14, "wallet_dark": 16}[scene]
        self.chat_family = "serif" if scene == "light_shop" else "sans"
        # chat: a full panel at the start (two messages leak), one more every 1.4 s (every 3rd leaks)
        self.messages: list[_Message] = []
        leaks = 0
        for k in range(_CHAT_START + int(seconds / 1.4) + 2):
            leak = k in (9, 16) or (k >= _CHAT_START and (k - _CHAT_START) % 3 == 1)
            if leak:
                text, secret, kind = _chat_pii(rng, leaks)
                leaks += 1
            else:
                text, secret, kind = str(rng.choice(_CHAT)), None, None
            self.messages.append(_Message(str(rng.choice(_USERS)), text, secret, kind, k))
        self.url_tokens = [_token(rng, 24, _HEX), _token(rng, 24, _HEX)]
        self.keys = [api_key(rng), api_key(rng)]
        self.card = luhn_card(rng)
        self.seed_words = [str(w) for w in rng.choice(_bip39_words(), 12, replace=False)]
        self.toast_at = min(3.0, max(0.5, seconds - 2.5))  # 2 s on screen, always inside the clip
        self.env_at = min(2.0, seconds * 0.25)

    # -- pieces ------------------------------------------------------------------------------------
    def draw(self, t: float) -> _Canvas:
        th = self.theme
        canvas = _Canvas(Image.new("RGB", (self.w, self.h), th.background), self.ids)
        self._browser_bar(canvas, t)
        page = (0, 44, int(self.w * 0.64), int(self.h * 0.62))
        {"dark_stream": self._hud, "light_shop": self._checkout, "wallet_dark": self._wallet}[self.scene](
            canvas, page, t
        )
        self._video_tile(canvas, page, t)
        self._terminal(canvas, (0, page[3], page[2], self.h), t)
        self._chat(canvas, (page[2] + 8, 44, self.w, self.h), t)
        self._toast(canvas, t)
        return canvas

    def _browser_bar(self, c: _Canvas, t: float) -> None:
        th = self.theme
        c.rect((0, 0, self.w, 44), th.bar)
        x = 12
        for n, tab in enumerate(("Inbox (3)", "Docs", "Stream Manager")):
            x += c.text((x, 13), tab, "sans", 13, th.dim, ("tab", n)) + 26
        url_x = x + 10
        c.rect((url_x - 8, 7, int(self.w * 0.86), 37), th.panel, radius=8)
        navigated = t >= self.seconds * 0.6
        host = "https://shop.example.com/checkout" if not navigated else "https://account.example.org/reset"
        param = "?session_token=" if not navigated else "?auth="
        token = self.url_tokens[int(navigated)]
        url = f"{host}{param}{token}&step=2"
        start = len(host) + len(param)
        c.text(
            (url_x, 14), url, "sans", 13, th.text, ("url", int(navigated)), [(start, start + len(token), "url_token")]
        )
        clock = f"{12 + int(t // 3600):02d}:{45 + int(t // 60) % 60:02d}:{int(t) % 60:02d}"
        c.text((self.w - 80, 14), clock, "mono", 14, th.dim, ("clock",))

    def _hud(self, c: _Canvas, page: tuple[int, int, int, int], t: float) -> None:
        th = self.theme
        c.rect(page, (30, 36, 52))
        score = 12450 + 50 * int(t * 2)
        c.text((24, page[1] + 16), f"SCORE {score}", "bold", 28, (255, 214, 90), ("hud", "score"))
        c.text((24, page[1] + 54), "LVL 37   K/D 12/4   FPS 144", "mono", 20, th.text, ("hud", "stats"))
        c.text((page[2] - 150, page[1] + 16), f"00:{14 + int(t) // 60:02d}:{int(t) % 60:02d}", "mono", 24,
               th.text, ("hud", "timer"))  # fmt: skip
        c.text((24, page[3] - 40), "Season 4 · Ranked · Patch 2.4.1 · EU-West", "sans", 16, th.dim, ("hud", "mode"))
        c.text((24, page[1] + 100), "Squad: Zed_42, lowkeyLuna, retro_rex", "sans", 18, th.text, ("hud", "squad"))
        c.text((24, page[1] + 130), "Next match 2024-05-17 21:30 CET", "serif", 18, th.text, ("hud", "next"))

    def _checkout(self, c: _Canvas, page: tuple[int, int, int, int], t: float) -> None:
        th = self.theme
        c.rect(page, th.panel)
        x, y = 32, page[1] + 18
        c.text((x, y), "Checkout", "serif", 32, th.text, ("shop", "title"))
        c.text((x, y + 50), "Order #48213 · placed 2024-05-17 · 3 items", "sans", 14, th.dim, ("shop", "order"))
        c.text((x, y + 80), "Ship to", "bold", 15, th.text, ("shop", "shipto"))
        c.text((x, y + 104), "Jordan Miles", "sans", 16, th.text, ("shop", "name"))
        street = "742 Evergreen Terrace"
        c.text((x, y + 128), street, "sans", 16, th.text, ("shop", "street"), [(0, len(street), "address")])
        c.text((x, y + 152), "Springfield, IL 62704", "sans", 16, th.text, ("shop", "city"))
        c.text((x, y + 188), "Card number", "bold", 15, th.text, ("shop", "cardlabel"))
        c.rect((x - 6, y + 210, x + 300, y + 244), th.background, radius=6)
        c.text((x + 4, y + 216), self.card, "mono", 18, th.text, ("shop", "card"), [(0, len(self.card), "card")])
        c.text((x + 330, y + 216), "Exp 09/27", "mono", 18, th.text, ("shop", "exp"))
        c.text((x, y + 262), "Total: $129.99 (incl. $21.67 VAT)", "serif", 20, th.text, ("shop", "total"))

    def _wallet(self, c: _Canvas, page: tuple[int, int, int, int], t: float) -> None:
        th = self.theme
        c.rect(page, th.panel)
        x, y = 32, page[1] + 16
        c.text((x, y), "Back up your wallet", "bold", 24, th.text, ("wallet", "title"))
        c.text((x, y + 38), "Write these 12 words down, in order. Never share them.", "sans", 14, th.dim,
               ("wallet", "hint"))  # fmt: skip
        for row in range(4):
            line = "   ".join(f"{row * 3 + k + 1}. {self.seed_words[row * 3 + k]}" for k in range(3))
            spans = []
            pos = 0
            for k in range(3):
                item = f"{row * 3 + k + 1}. {self.seed_words[row * 3 + k]}"
                word_start = pos + item.index(" ") + 1
                spans.append((word_start, pos + len(item), "seed_phrase"))
                pos += len(item) + 3
            c.text((x, y + 74 + 34 * row), line, "mono", 20, th.text, ("wallet", "row", row), spans)
        c.text((x, y + 220), "Balance 0.4821 BTC (~ $31,204.55) · block 842113", "sans", 15, th.dim,
               ("wallet", "balance"))  # fmt: skip

    def _video_tile(self, c: _Canvas, page: tuple[int, int, int, int], t: float) -> None:
        """A moving picture without text (webcam/game footage): changes every frame, holds no PII."""
        x1, y1 = page[2] - 250, page[1] + 70
        c.rect((x1, y1, x1 + 220, y1 + 124), (20, 22, 28))
        cx = x1 + 110 + 80 * np.sin(t * 2.1)
        cy = y1 + 62 + 40 * np.cos(t * 1.7)
        c.draw.ellipse((cx - 26, cy - 26, cx + 26, cy + 26), fill=(200, 90, 60))
        c.draw.rectangle((x1 + 10 + (t * 60) % 180, y1 + 100, x1 + 40 + (t * 60) % 180, y1 + 114), fill=(80, 160, 90))

    def _terminal(self, c: _Canvas, box: tuple[int, int, int, int], t: float) -> None:
        th = self.theme
        bg = (16, 17, 20) if th is DARK else (40, 42, 48)
        fg, dim = (200, 230, 200), (140, 150, 160)
        c.rect(box, bg)
        size = 14
        lines: list[tuple[str, list[tuple[int, int, str]]]] = [
            ("$ git pull --rebase", []),
            ("Already up to date.", []),
            ("$ npm run build", []),
            ("> app@2.4.1 build  vite build", []),
            ("built in 2.31s, 142 modules, 318.4 kB", []),
        ]
        if self.scene == "light_shop":
            lines.append(("$ ssh deploy@10.0.4.17 -p 2222", [(13, 22, "ip_address")]))
        if t >= self.env_at:
            k1, k2 = self.keys
            lines += [
                ("$ cat .env", []),
                (f"OPENAI_API_KEY={k1}", [(15, 15 + len(k1), "secret")]),
                ("PORT=8080  DEBUG=false  WORKERS=4", []),
                (f"STRIPE_KEY={k2}", [(11, 11 + len(k2), "secret")]),
            ]
        if t >= self.env_at + 1.5:
            lines.append(("$ python -V && date", []))
            lines.append(("Python 3.11.9   Fri May 17 12:45:07 UTC 2024", []))
        step = 21
        fit = (box[3] - box[1] - 16) // step
        shown = lines[-fit:]
        for n, (text, spans) in enumerate(shown):
            colour = dim if text.startswith("$") else fg
            c.text((box[0] + 14, box[1] + 10 + step * n), text, "mono", size, colour, ("term", text), spans)

    def _chat(self, c: _Canvas, box: tuple[int, int, int, int], t: float) -> None:
        th = self.theme
        c.rect(box, th.panel)
        c.text((box[0] + 14, box[1] + 10), "Stream chat", "bold", 16, th.text, ("chat", "title"))
        size = self.chat_size
        step = int(size * 1.7)
        count = _CHAT_START + int(t / 1.4)
        fit = (box[3] - box[1] - 50) // step
        visible = self.messages[max(0, count - fit) : count]
        y0 = box[3] - 12 - step * len(visible)
        for n, m in enumerate(visible):
            y = y0 + step * n
            name_w = c.text((box[0] + 14, y), f"{m.user}:", "bold", size, th.accent, ("chat", m.key, "user"))
            spans = []
            if m.secret is not None and m.kind is not None:
                start = m.text.index(m.secret)
                spans.append((start, start + len(m.secret), m.kind))
            c.text((box[0] + 22 + name_w, y), m.text, self.chat_family, size, th.text, ("chat", m.key), spans)

    def _toast(self, c: _Canvas, t: float) -> None:
        """A notification that slides in from the right edge (0.25 s), stays, then vanishes at once."""
        if not self.toast_at <= t < self.toast_at + 2.0:
            return
        th = self.theme
        slide = min(1.0, (t - self.toast_at) / 0.25)
        width, height = 400, 76
        x = round(self.w - (width + 12) * (1 - (1 - slide) ** 2))  # ease-out from just off the right edge
        y = 56
        c.rect((x, y, x + width, y + height), th.toast, occlude=True, radius=10)
        if self.scene == "light_shop":
            title, body, secret, kind = "Bank alert", "Code sent to +1 415 555 0132", "+1 415 555 0132", "phone"
        else:
            secret = "jane.doe@example.com"
            title, body, kind = "New message", f"Jane: reach me at {secret}", "email"
        c.text((x + 16, y + 10), title, "bold", 15, th.text, ("toast", "title"))
        start = body.index(secret)
        c.text((x + 16, y + 38), body, "sans", 17, th.text, ("toast", "body"), [(start, start + len(secret), kind)])


def render_screen(
    scene: str = "dark_stream",
    *,
    width: int = 1280,
    height: int = 720,
    fps: int = 30,
    seconds: float = 10.0,
    seed: int = 0,
    lead_in: float = 0.0,
    tail: float = 0.0,
) -> Iterator[ScreenFrame]:
    """Frames of ``scene`` with their text truth.

    ``lead_in`` seconds of the first picture come before the scene starts moving and ``tail`` seconds of
    the last one after it ends (a live benchmark lets the pipeline start up and finish on them).
    """
    screen = _Screen(scene, width, height, seconds, seed)
    for index in range(round((lead_in + seconds + tail) * fps)):
        t = min(max(0.0, index / fps - lead_in), (round(seconds * fps) - 1) / fps)
        canvas = screen.draw(t)
        image = np.asarray(canvas.image)[:, :, ::-1].copy()  # RGB -> BGR
        yield ScreenFrame(index, image, canvas.truth())


def write_screen_clip(
    path: str | os.PathLike[str],
    scene: str = "dark_stream",
    seconds: float = 10.0,
    *,
    width: int = 1280,
    height: int = 720,
    fps: int = 30,
    seed: int = 0,
    crf: int = 18,
    lead_in: float = 0.0,
    tail: float = 0.0,
) -> Path:
    """Write ``scene`` as H.264 mp4 (no audio), complete under its final name only when done."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_output(out) as tmp, av.open(str(tmp), "w", format="mp4") as container:
        video = container.add_stream("libx264", rate=fps, options={"preset": "veryfast", "crf": str(crf)})
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        frames = render_screen(
            scene, width=width, height=height, fps=fps, seconds=seconds, seed=seed, lead_in=lead_in, tail=tail
        )
        for frame in frames:
            vframe = av.VideoFrame.from_ndarray(frame.image, format="bgr24")
            vframe.pts, vframe.time_base = frame.index, Fraction(1, fps)
            container.mux(video.encode(vframe))
        container.mux(video.encode(None))
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write a screen-recording-like sample clip with text PII.")
    parser.add_argument("output", type=Path)
    parser.add_argument("--scene", choices=SCREEN_SCENES, default="dark_stream")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    print(write_screen_clip(args.output, args.scene, args.seconds, seed=args.seed))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
