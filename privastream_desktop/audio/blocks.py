"""The value types that carry audio and spoken-PII verdicts between stages.

``AudioBlock`` is to sound what ``Frame`` is to pictures: samples with the time
of their first sample on the same clock as the video (``time.monotonic()`` live,
media time in files), so audio and video can be delayed and redacted together.
``SpeechRedaction`` is a time interval to bleep; it never carries the words.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # the audio path must import without the PII recognizers loaded
    from privastream_desktop.pii.recognizers import PiiKind


@dataclass(frozen=True, slots=True)
class AudioBlock:
    """``samples`` are float32, shape (n, channels), -1..1; ``t`` is the time of the first sample."""

    t: float
    samples: np.ndarray
    rate: int

    @property
    def duration(self) -> float:
        return len(self.samples) / self.rate

    @property
    def end(self) -> float:
        """Time just after the last sample."""
        return self.t + self.duration

    @property
    def channels(self) -> int:
        return 1 if self.samples.ndim == 1 else self.samples.shape[1]


@dataclass(frozen=True, slots=True)
class SpeechRedaction:
    """Hide [t_from, t_to) of the audio (already padded for timestamp error).

    ``label`` ("[PHONE]") is for the live transcript panel only; nothing here is
    ever written to disk except counts, kinds and times in a redaction report.
    """

    kind: PiiKind
    t_from: float
    t_to: float
    label: str

    @property
    def duration(self) -> float:
        return max(0.0, self.t_to - self.t_from)

    def overlaps(self, t0: float, t1: float) -> bool:
        return self.t_from < t1 and self.t_to > t0


def as_block_samples(samples: np.ndarray) -> np.ndarray:
    """float32 (n, channels): the one layout every audio stage accepts."""
    array = np.asarray(samples, dtype=np.float32)
    return array.reshape(-1, 1) if array.ndim == 1 else array


def merge_intervals(intervals: list[tuple[float, float]], gap: float = 0.0) -> list[tuple[float, float]]:
    """Sorted union of [a, b) intervals; ones closer than ``gap`` are joined."""
    out: list[tuple[float, float]] = []
    for a, b in sorted(intervals):
        if out and a <= out[-1][1] + gap:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out
