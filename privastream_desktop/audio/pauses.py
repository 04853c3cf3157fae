"""Pauses in speech, to pull a bleep's padded edges in to where the words really start and end.

Whisper tiny.en places word edges up to ~0.3 s off, so every redaction is padded by
``speech_pad_s`` on both sides, and that padding is most of the benign speech a bleep
costs. Where the speaker paused next to the PII ("my number is … five five five"), the
pause *is* the word boundary, and it is far more exact than Whisper's guess: the padded
edge is moved to the pause (keeping a small margin), and only there.

The rules keep it fail closed:

* an edge only ever moves *inwards* from the padded edge, never past it, and gives back
  at most ``inner_s`` of what Whisper called the PII besides quiet audio;
* the start edge snaps to the *earliest* pause in its search zone, the end edge to the
  *latest*, and the zones reach ``beyond_s`` past the padded edges: where Whisper was off
  by more than the pad, the pause at the true edge lies out there and wins, so the edge
  stays padded instead of snapping to a pause between digit groups;
* a pause is a run of 10 ms frames at least ``min_pause_s`` long (0.13 s: longer than a
  stop consonant's closure, the usual floor for a silent pause) whose energy is under
  ``quiet`` of the speech level around the PII; audio that is noisy (music, game sound)
  has no such run and keeps the full pad;
* audio not captured yet (the newest edge of a live window) is never a pause; a pause
  still going on can end a number (its start is known) but cannot start one.

Measured on the spoken test set (``bench_speech.py``, whose segments have 0.15 s pauses
between them; ``--gap 0`` runs them together, where nothing moves).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from privastream_desktop.audio.asr import RATE
from privastream_desktop.audio.blocks import SpeechRedaction

FRAME_S = 0.01
_UNSEEN_S = 0.1  # how much of a zone may lie beyond the newest audio, live
_FRAME = int(FRAME_S * RATE)


class PauseMap:
    """Frame energies of a stretch of 16 kHz mono audio starting at media time ``t0``."""

    def __init__(
        self,
        audio16k: np.ndarray,
        t0: float,
        *,
        min_pause_s: float = 0.13,
        quiet: float = 0.03,
        inner_s: float = 0.1,
        margin_s: float = 0.04,
        beyond_s: float = 0.2,
        open_end: bool = True,
    ) -> None:
        n = len(audio16k) // _FRAME
        frames = np.asarray(audio16k[: n * _FRAME], np.float32).reshape(n, _FRAME)
        self.rms = np.sqrt((frames.astype(np.float64) ** 2).mean(axis=1)) if n else np.zeros(0)
        self.t0 = t0
        self.min_frames = max(1, round(min_pause_s / FRAME_S))
        self.quiet, self.inner_s, self.margin_s, self.beyond_s = quiet, inner_s, margin_s, beyond_s
        self.open_end = open_end  # live: more audio is coming, so a quiet run at the end has not ended yet

    def _frame(self, t: float) -> int:
        return int(np.floor((t - self.t0) / FRAME_S))

    def _level(self, lo: int, hi: int) -> float:
        """The speech level of frames [lo, hi) (their 90th percentile), 0 when too few of them are kept."""
        lo, hi = max(0, lo), min(len(self.rms), hi)
        return float(np.percentile(self.rms[lo:hi], 90)) if hi - lo >= self.min_frames else 0.0

    def _pauses(
        self, t_from: float, t_to: float, level_from: float, level_to: float
    ) -> list[tuple[float, float | None]]:
        """Quiet runs (start, end) of at least ``min_pause_s`` that overlap [t_from, t_to), whole (a run is
        followed past the zone so its true length counts); end None while the run reaches the newest audio."""
        n = len(self.rms)
        level = self._level(self._frame(level_from), self._frame(level_to) + 1)
        if level <= 0.0:
            return []
        quiet = self.rms < self.quiet * level
        a, b = self._frame(t_from), self._frame(t_to)
        if a < 0:  # the zone reaches back before the audio kept: no verdict on it
            return []
        if b >= n:
            # The zone reaches audio not captured yet. A pause still going on at the newest sample lets a verdict
            # be made now: no other pause can start before it ends, and it has not. So does a zone missing less
            # than ``_UNSEEN_S`` (live, a word is final 0.4 s after its end, and the end zone reaches 0.45 s): a
            # pause starting in that sliver would mean Whisper ended the PII more than 0.4 s early.
            if not self.open_end or not (quiet[n - 1] or b - n < round(_UNSEEN_S / FRAME_S)):
                return []
            b = n - 1
        out = []
        i = a
        while i <= b:
            if not quiet[i]:
                i += 1
                continue
            j0 = i
            while j0 > 0 and quiet[j0 - 1]:
                j0 -= 1
            j1 = i
            while j1 + 1 < n and quiet[j1 + 1]:
                j1 += 1
            if j1 - j0 + 1 >= self.min_frames:
                # Live, a run that reaches the newest audio has started but not ended: its end is unknown.
                ended = not (self.open_end and j1 + 1 == n)
                out.append((self.t0 + j0 * FRAME_S, self.t0 + (j1 + 1) * FRAME_S if ended else None))
            i = j1 + 1
        return out

    def speech_s(self, t_from: float, t_to: float) -> float:
        """Seconds of [t_from, t_to) that are not quiet (under ``quiet`` of the speech level around them)."""
        a, b = max(0, self._frame(t_from)), min(len(self.rms), self._frame(t_to))
        level = self._level(self._frame(t_from - 1.0), self._frame(t_to + 1.0))
        if b <= a or level <= 0.0:
            return 0.0
        return float((self.rms[a:b] >= self.quiet * level).sum()) * FRAME_S

    def tighten(self, r: SpeechRedaction, pad: float) -> SpeechRedaction:
        """``r`` (whose edges are Whisper's times ± ``pad``) with each edge moved in to a pause next to it."""
        core_from, core_to = r.t_from + pad, r.t_to - pad
        if core_to <= core_from:
            return r
        t_from, t_to = r.t_from, r.t_to
        level = (core_from - 1.0, core_to + 1.0)
        # The zones reach ``beyond_s`` past the padded edges: if Whisper was off by more than the pad, the
        # pause at the true edge lies out there, and a quiet run inside the PII must not be taken for it.
        starts = self._pauses(r.t_from - self.beyond_s, core_from + self.inner_s, *level)
        onsets = [end for _, end in starts if end is not None]
        if onsets and min(onsets) - self.margin_s > r.t_from:
            t_from = min(onsets) - self.margin_s
        ends = self._pauses(core_to - self.inner_s, r.t_to + self.beyond_s, *level)
        offsets = [start for start, _ in ends]
        if offsets and max(offsets) + self.margin_s < r.t_to:
            t_to = max(offsets) + self.margin_s
        if t_to - t_from < 0.05 or (t_from, t_to) == (r.t_from, r.t_to):
            return r
        return dataclasses.replace(r, t_from=t_from, t_to=t_to)
