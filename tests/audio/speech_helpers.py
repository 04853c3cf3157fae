"""Shared spoken test clips (espeak-ng, exact PII intervals) for the speech tests."""

from __future__ import annotations

import functools

import numpy as np
import pytest

from privastream_desktop.audio.speech_samples import B, P, SpokenSample, espeak_available, synthesize

needs_espeak = pytest.mark.skipif(not espeak_available(), reason="espeak-ng is not installed (scripts/setup.sh)")

PHONE_SCRIPT = [
    B("Hi chat, my number is"),
    P("five five five, two one three, four four seven one", "phone"),
    B("so text me tonight."),
]


@functools.lru_cache(maxsize=8)
def phone_clip(rate: int = 16000) -> SpokenSample:
    return synthesize("phone", PHONE_SCRIPT, voice="espeak", rate=rate)


def covered(mask: np.ndarray, rate: int, a: float, b: float) -> float:
    """Fraction of [a, b) seconds where ``mask`` is set."""
    return float(mask[int(a * rate) : int(b * rate)].mean())


def changed_mask(before: np.ndarray, after: np.ndarray, tol: float = 1e-6) -> np.ndarray:
    before = before.reshape(len(before), -1)
    after = after.reshape(len(after), -1)
    n = min(len(before), len(after))
    return np.abs(after[:n] - before[:n]).max(axis=1) > tol


def talk(*parts: tuple[float, bool], seed: int = 0) -> np.ndarray:
    """16 kHz voiced stretches (a 150 Hz buzz with noise) and digital silences, as (seconds, voiced) pairs:
    speech with pauses exactly where a test wants them."""
    rng = np.random.default_rng(seed)
    out = []
    for seconds, voiced in parts:
        n = int(seconds * 16000)
        t = np.arange(n) / 16000
        x = 0.3 * np.sign(np.sin(2 * np.pi * 150 * t)) + 0.05 * rng.standard_normal(n) if voiced else np.zeros(n)
        out.append(x)
    return np.concatenate(out).astype(np.float32)
