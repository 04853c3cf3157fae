"""Turns spoken-PII intervals into a bleep, silence or a muffle, sample-exact.

One ``AudioRedactor`` follows one stream (a microphone, a file's audio track):
blocks are expected in time order. It keeps two things between blocks:

* the speech level, a running RMS of the loud parts of what it let through
  unchanged, so the bleep is as loud as the voice it covers (a fixed level is
  deafening over a whisper and lost under a shout). It is never learnt from
  redacted audio, so the bleep's loudness says nothing about the hidden words;
* the muffle filter's state, so the low-passed signal has no seams at block edges.

Every interval is replaced in full; the 8 ms fades that avoid clicks lie *outside*
it (the interval is already padded for timestamp error). The bleep's phase
follows absolute time, so it is continuous across blocks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
from scipy import signal

from privastream_desktop.audio.blocks import AudioBlock, SpeechRedaction, as_block_samples

MODES = ("bleep", "mute", "muffle")

_GATE_RMS = 0.01  # -40 dBFS: quieter 20 ms frames are pauses, not speech, and do not set the level
_DEFAULT_LEVEL = 0.1  # -20 dBFS, a typical speaking level, until the stream has shown its own
_LEVEL_TIME_S = 3.0  # the level follows the voice over a few seconds, not syllable by syllable
_MUFFLE_HZ = 300.0  # below the second formant: the voice's rhythm stays, consonants and words do not
_MUFFLE_GAIN = 0.7


class AudioRedactor:
    """``apply`` hides the redacted parts of a block; ``silence`` hides all of it."""

    def __init__(self, mode: str = "bleep", bleep_hz: float = 1000.0, *, fade_s: float = 0.008) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown speech redaction mode {mode!r} (choose {', '.join(MODES)})")
        if not 20.0 <= bleep_hz <= 8000.0:
            raise ValueError(f"bleep frequency must be 20-8000 Hz, got {bleep_hz}")
        self.mode = mode
        self.bleep_hz = float(bleep_hz)
        self.fade_s = float(fade_s)
        self.level: float | None = None  # speech RMS so far; None until the first block
        self._filter: tuple[np.ndarray, np.ndarray, int, int] | None = None  # (sos, zi, rate, channels)

    def apply(self, block: AudioBlock, redactions: Sequence[SpeechRedaction]) -> AudioBlock:
        """The block with every sample inside a redaction replaced (fades just outside it)."""
        x = as_block_samples(block.samples)
        gain = self.envelope(block.t, x.shape[0], block.rate, redactions)
        muffled = self._lowpass(x, block.rate) if self.mode == "muffle" else None
        self._learn_level(x, block.rate, gain)
        if not gain.any():
            return block if x is block.samples else replace(block, samples=x)
        if self.mode == "mute":
            cover = np.zeros_like(x)
        elif muffled is not None:
            cover = muffled * _MUFFLE_GAIN
        else:
            t = block.t + np.arange(x.shape[0]) / block.rate
            amplitude = float(np.clip((self.level or _DEFAULT_LEVEL) * np.sqrt(2.0), 0.02, 0.5))
            tone = (amplitude * np.sin(2 * np.pi * self.bleep_hz * t)).astype(np.float32)
            cover = np.repeat(tone[:, None], x.shape[1], axis=1)
        g = gain[:, None]
        return replace(block, samples=(x * (1.0 - g) + cover * g).astype(np.float32))

    def silence(self, block: AudioBlock) -> AudioBlock:
        """All zeros: for audio nobody could vouch for in time (fail closed) and for PANIC."""
        return replace(block, samples=np.zeros_like(as_block_samples(block.samples)))

    def envelope(self, t0: float, n: int, rate: int, redactions: Sequence[SpeechRedaction]) -> np.ndarray:
        """Per-sample weight of the cover for ``n`` samples from ``t0``: 1 on every sample that
        overlaps a redaction, ramping down to 0 over ``fade_s`` just outside it."""
        gain = np.zeros(n, np.float32)
        fade = max(1, round(self.fade_s * rate))
        for r in redactions:
            if n == 0 or r.t_to <= r.t_from or not r.overlaps(t0 - self.fade_s, t0 + n / rate + self.fade_s):
                continue
            # Sample i covers [t0 + i/rate, t0 + (i+1)/rate): any overlap with the interval counts as inside.
            # (1e-6 of a sample absorbs float error in block times, so blocks and the whole signal agree)
            first = int(np.floor((r.t_from - t0) * rate + 1e-6))
            last = int(np.ceil((r.t_to - t0) * rate - 1e-6))  # exclusive
            lo, hi = max(first, 0), min(last, n)
            if hi > lo:
                gain[lo:hi] = 1.0
            # Ramps just outside [first, last), rising to 1 at the interval's edge.
            lo, hi = max(first - fade, 0), min(first, n)
            if hi > lo:
                j = np.arange(lo, hi)
                gain[lo:hi] = np.maximum(gain[lo:hi], (j - (first - fade) + 1) / (fade + 1))
            lo, hi = max(last, 0), min(last + fade, n)
            if hi > lo:
                j = np.arange(lo, hi)
                gain[lo:hi] = np.maximum(gain[lo:hi], (last + fade - j) / (fade + 1))
        return gain

    def _learn_level(self, x: np.ndarray, rate: int, gain: np.ndarray) -> None:
        """Update the speech RMS from 20 ms frames that are loud and left untouched."""
        frame = max(1, rate // 50)
        usable = (x.shape[0] // frame) * frame
        speech = np.zeros(0)
        if usable:
            mono = x[:usable].mean(axis=1).astype(np.float64).reshape(-1, frame)
            untouched = gain[:usable].reshape(-1, frame).max(axis=1) == 0.0
            rms = np.sqrt((mono**2).mean(axis=1))
            speech = rms[untouched & (rms > _GATE_RMS)]
        if speech.size == 0:
            if self.level is None:
                self.level = _DEFAULT_LEVEL
            return
        measured = float(np.sqrt((speech**2).mean()))
        if self.level is None:
            self.level = measured
            return
        alpha = min(1.0, speech.size * frame / rate / _LEVEL_TIME_S)
        self.level = float((1.0 - alpha) * self.level + alpha * measured)

    def _lowpass(self, x: np.ndarray, rate: int) -> np.ndarray:
        """Low-passed copy of ``x``, the filter state carried over from the previous block."""
        if self._filter is None or self._filter[2] != rate or self._filter[3] != x.shape[1]:
            sos = signal.butter(4, min(_MUFFLE_HZ, 0.45 * rate), btype="low", fs=rate, output="sos")
            self._filter = (sos, np.zeros((sos.shape[0], 2, x.shape[1])), rate, x.shape[1])
        sos, zi, _, _ = self._filter
        y, zi = signal.sosfilt(sos, x, axis=0, zi=zi)
        self._filter = (sos, zi, rate, x.shape[1])
        return y.astype(np.float32)
