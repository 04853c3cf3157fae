"""Forced alignment of Whisper's words, to place a bleep's edges where the PII really starts and ends.

Whisper tiny.en's word times are off by up to ~0.3 s (p90 0.2-0.27 s at PII edges on the spoken test
set), so every bleep is padded by ``speech_pad_s``; where the speaker did not pause beside the PII
(``pauses.py`` has nothing to snap to), that padding is most of the benign speech a bleep costs. Given
the words, pocketsphinx's aligner (CMU en-us acoustic model, in the ``pocketsphinx`` wheel) puts the
edges within ~30 ms on a natural voice (p90, Piper, ``benchmarks/bench_word_edges.py``).

It only ever *narrows* the padding, and only when it can be trusted:

* the words are Whisper's, rewritten into the dictionary's spoken forms ("555-1234" -> "five five five
  one two three four", "jane.doe@gmail.com" -> "jane dot doe at gmail dot com"); a word the dictionary
  lacks, or audio the aligner finds no path through (espeak-ng's robotic voice, mostly), leaves the
  utterance unaligned and every edge keeps its full pad;
* an aligned edge that disagrees with Whisper's by more than ``_TRUST_S`` is ignored (the words were
  probably wrong), and an edge moves at most ``_INNER_S`` past Whisper's own word edge into what Whisper
  called the PII (``speech_guard.find_redactions``), keeping ``_MARGIN_S`` for the aligner's error;
* an edge next to a number, a digit sound-alike ("for" may be "four"), "at"/"dot"/"and", or a word the
  aligner did not place keeps its pad (``speech_guard._plain_neighbour``): the PII may go on there.

Live, a window is aligned only when it found PII, over the window's own audio, and only with 0.3 s to
spare before its oldest unruled audio is played; a window cut inside a word often has no complete path
and keeps the pad.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from privastream_desktop.audio.asr import RATE, Word
from privastream_desktop.model_store import ModelError, ModelStore

if TYPE_CHECKING:
    from pocketsphinx import Decoder

ALIGN_MODEL = "speech-align-cmu-en-us"

_MARGIN_S = 0.08  # kept outside an aligned edge: the aligner's error on Piper was p90 0.03 s, max 0.05 s
_INNER_S = 0.15  # how far an edge may move past Whisper's word edge into the PII
_TRUST_S = 0.4  # an aligned edge further than this from Whisper's is not believed (Whisper's |err| max ~0.35 s)
_CONTEXT_S = 0.3  # audio kept around an utterance's words (Whisper's first word may start late)
_UTTERANCE_GAP_S = 0.6  # words further apart than this are aligned separately
# pocketsphinx's default beams. On 3.5 s live windows of the test set, wider ones (1e-100) placed fewer words
# (espeak 127 vs 183 of ~850, Piper 503 vs 544 of ~700) and took longer (p50 43 vs 33 ms); narrower (1e-30)
# placed fewer for 2 ms less.
_BEAMS: dict[str, float] = {}

_NUMBERS_TEXT = """zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen
sixteen seventeen eighteen nineteen _ _ twenty thirty forty fifty sixty seventy eighty ninety"""
_ONES = _NUMBERS_TEXT.split()[:20]
_TENS = _NUMBERS_TEXT.split()[20:]  # indexed by the tens digit
_SYMBOLS = {"@": "at", "%": "percent", "&": "and", "+": "plus", "/": "slash", "_": "underscore", "#": "number"}
_PIECES = re.compile(r"\d[\d,]*(?::\d+)?|[a-z']+|[@%&+/_#$.]")


def _cardinal(n: int) -> list[str]:
    """Spoken words of 0 <= n < 10**9 ("four hundred fifty")."""
    if n < 20:
        return [_ONES[n]]
    if n < 100:
        return [_TENS[n // 10]] + ([_ONES[n % 10]] if n % 10 else [])
    for size, name in ((1_000_000, "million"), (1_000, "thousand"), (100, "hundred")):
        if n >= size:
            head, rest = divmod(n, size)
            return _cardinal(head) + [name] + (_cardinal(rest) if rest else [])
    return []  # pragma: no cover - unreachable


def _number(text: str, amount: bool = False) -> list[str] | None:
    """How a written number is most likely said: digit strings one digit at a time; small and round
    numbers, quantities ("1,000") and amounts ("$450") as numbers; years as years; times as two numbers."""
    if ":" in text:
        hours, minutes = text.split(":", 1)
        if not (hours.isdigit() and minutes.isdigit()):
            return None
        return _cardinal(int(hours)) + ([] if int(minutes) == 0 else _cardinal(int(minutes)))
    if "," in text:
        digits = text.replace(",", "")
        return _cardinal(int(digits)) if re.fullmatch(r"\d{1,3}(,\d{3})+", text) and len(digits) < 10 else None
    if text[0] == "0" and len(text) > 1:
        return [_ONES[int(c)] for c in text]  # "07", "0142"
    if amount or len(text) <= 2 or (len(text) <= 4 and int(text) % 100 == 0) or 2000 <= int(text) < 2010:
        return _cardinal(int(text))  # "$450", "42", "100", "2000", "2005"
    if len(text) == 4 and 1900 <= int(text) < 2100 and int(text[2:]) >= 10:
        return _cardinal(int(text[:2])) + _cardinal(int(text[2:]))  # "twenty nineteen"
    return [_ONES[int(c)] for c in text]  # "555", "4111", "1344"


def spoken_tokens(word: str) -> list[str] | None:
    """The dictionary words one Whisper word was most likely said as; [] for punctuation alone, None when
    there is no telling ("4k", "2nd")."""
    text = word.strip().lower().replace("’", "'")
    text = text.strip('"“”«»()[]{}<>,;:!?…')
    text = text.rstrip(".")  # a sentence end; "gmail.com" keeps its inner dot
    if re.search(r"\d[a-z]|[a-z]\d", text):
        return None  # "4th", "mp3", "gamer123": said many ways
    out: list[str] = []
    pos = 0
    dollars = text.startswith("$")
    for m in _PIECES.finditer(text):
        if text[pos : m.start()].strip("-"):
            return None  # something between pieces that is neither a piece nor a dash
        pos = m.end()
        piece = m.group()
        if piece[0].isdigit():
            number = _number(piece, amount=dollars)
            if number is None:
                return None
            out += number
        elif piece == "$":
            pass  # said after the number
        elif piece == ".":
            out.append("dot")
        elif piece in _SYMBOLS:
            out.append(_SYMBOLS[piece])
        else:
            out.append(piece.strip("'") or piece)
    if text[pos:].strip("-"):
        return None
    if dollars:
        out.append("dollars")
    return [t for t in out if t]


class WordAligner:
    """pocketsphinx's forced aligner over Whisper's words. One decoder, calls serialised."""

    def __init__(self, store: ModelStore | None = None) -> None:
        store = store or ModelStore()
        hmm = store.path(ALIGN_MODEL).parent
        try:
            from pocketsphinx import Decoder
        except ImportError as exc:  # pragma: no cover - a broken install
            raise ModelError(f"pocketsphinx is not installed ({exc}); reinstall PrivaStream") from None
        dictionary = Path(hmm).parent / "cmudict-en-us.dict"
        try:
            self._decoder: Decoder = Decoder(
                hmm=str(hmm), dict=str(dictionary), lm=None, samprate=RATE, loglevel="FATAL", **_BEAMS
            )
        except (RuntimeError, ValueError, OSError) as exc:
            raise ModelError(f"cannot load the alignment model in {hmm}: {exc}; reinstall PrivaStream") from None
        self._lock = threading.Lock()

    def align(self, audio16k: np.ndarray, words: Sequence[Word], t0: float = 0.0) -> list[tuple[float, float] | None]:
        """Aligned (start, end) per word (16 kHz mono audio whose first sample is at media time ``t0``); None
        for a word that was not aligned. Utterances (words closer than ``_UTTERANCE_GAP_S``) are aligned one
        at a time: a word the dictionary lacks costs only its own utterance."""
        out: list[tuple[float, float] | None] = [None] * len(words)
        start = 0
        for k in range(1, len(words) + 1):
            if k == len(words) or words[k].start - words[k - 1].end > _UTTERANCE_GAP_S:
                lo = words[start - 1].end if start > 0 else t0
                hi = words[k].start if k < len(words) else t0 + len(audio16k) / RATE
                a = max(words[start].start - _CONTEXT_S, (lo + words[start].start) / 2, t0)
                b = min(words[k - 1].end + _CONTEXT_S, (hi + words[k - 1].end) / 2)
                piece = audio16k[max(0, int((a - t0) * RATE)) : max(0, int((b - t0) * RATE))]
                times = self.align_utterance(piece, a, words[start:k])
                out[start:k] = times
                start = k
        return out

    def unknown(self, tokens: Sequence[str]) -> list[str]:
        """The dictionary words (``spoken_tokens``) the aligner has no pronunciation for."""
        return [t for t in tokens if self._decoder.lookup_word(t) is None]

    def align_utterance(self, audio: np.ndarray, t0: float, words: Sequence[Word]) -> list[tuple[float, float] | None]:
        """(start, end) of every word of one utterance said in ``audio`` (first sample at ``t0``), all of them
        None when a word has no spoken form or pronunciation, or the aligner finds no complete path."""
        tokens: list[str] = []
        owners: list[int] = []
        for i, w in enumerate(words):
            said = spoken_tokens(w.text)
            if said is None:
                return [None] * len(words)
            tokens += said
            owners += [i] * len(said)
        decoder = self._decoder
        if not tokens or len(audio) < RATE // 10 or self.unknown(tokens):
            return [None] * len(words)
        pcm = (np.clip(audio, -1.0, 1.0) * 32767).astype(np.int16).tobytes()
        with self._lock:
            try:
                decoder.set_align_text(" ".join(tokens))
                decoder.start_utt()
                decoder.process_raw(pcm, full_utt=True)
                decoder.end_utt()
                seg = [(s.start_frame, s.end_frame) for s in (decoder.seg() or []) if not s.word.startswith(("<", "["))]
            except RuntimeError:
                return [None] * len(words)
        if len(seg) != len(tokens):
            return [None] * len(words)  # no complete path: the words do not fit the audio
        times: list[tuple[float, float] | None] = [None] * len(words)
        for owner, (first, last) in zip(owners, seg, strict=True):
            a, b = t0 + first / 100, t0 + (last + 1) / 100
            prev = times[owner]
            times[owner] = (a, b) if prev is None else (prev[0], b)
        return times


_shared: dict[str, WordAligner | None] = {}
_shared_lock = threading.Lock()


def shared_aligner(store: ModelStore | None = None) -> WordAligner | None:
    """The one aligner (loading takes ~0.1 s), or None when it cannot load: bleeps then keep their padding."""
    with _shared_lock:
        try:
            store = store or ModelStore()
        except ModelError:
            return None
        key = str(store.root)  # as ``shared_recognizer``: the default store and an explicit one share
        if key not in _shared:
            try:
                _shared[key] = WordAligner(store)
            except ModelError:
                _shared[key] = None
        return _shared[key]


def aligned_edge(whisper: float, aligned: float | None, padded: float, *, start: bool) -> float:
    """A redaction edge: the padded Whisper edge, moved in towards the aligned one when that is believable.

    Never outwards, never more than ``_INNER_S`` past Whisper's own edge, always ``_MARGIN_S`` short of
    the aligned edge."""
    if aligned is None or abs(aligned - whisper) > _TRUST_S:
        return padded
    if start:
        return max(padded, min(aligned - _MARGIN_S, whisper + _INNER_S))
    return min(padded, max(aligned + _MARGIN_S, whisper - _INNER_S))
