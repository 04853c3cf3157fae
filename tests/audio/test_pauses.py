"""Bleep edges pulled in to the pauses next to spoken PII, and only where that is safe."""

import numpy as np
import pytest

from privastream_desktop.audio.blocks import SpeechRedaction
from privastream_desktop.audio.pauses import PauseMap
from privastream_desktop.pii import PiiKind
from tests.audio.speech_helpers import talk

RATE = 16000
PAD = 0.25


def bleep(a: float, b: float) -> SpeechRedaction:
    """A redaction as ``find_redactions`` makes it: Whisper's word times, padded."""
    return SpeechRedaction(PiiKind.PHONE, a - PAD, b + PAD, "[PHONE]")


# benign talk 0-2 s, a 0.2 s pause, the number 2.2-4.2 s, a 0.2 s pause, benign talk 4.4-6 s, silence
CLIP = talk((2.0, True), (0.2, False), (2.0, True), (0.2, False), (1.6, True), (0.5, False))


@pytest.mark.parametrize(("start_error", "end_error"), [(0.0, 0.0), (0.12, -0.12), (-0.15, 0.18)])
def test_edges_move_in_to_the_pauses_beside_the_number(start_error, end_error):
    r = PauseMap(CLIP, 0.0, open_end=False).tighten(bleep(2.2 + start_error, 4.2 + end_error), PAD)
    # The number (2.2-4.2) is still covered whole; the talk around it keeps all but the small margin.
    assert 2.12 <= r.t_from <= 2.2 and 4.2 <= r.t_to <= 4.28, r


def test_without_pauses_the_padding_stays():
    run_on = talk((2.0, True), (2.0, True), (1.6, True), (0.5, False))
    original = bleep(2.2, 4.2)
    assert PauseMap(run_on, 0.0, open_end=False).tighten(original, PAD) == original


def test_a_stop_consonant_gap_is_not_a_pause():
    """A closure inside a word (under 0.13 s of quiet) does not end the number."""
    clip = talk((2.0, True), (1.0, True), (0.08, False), (0.3, True), (1.6, True), (0.5, False))
    original = bleep(2.0, 3.38)  # the number runs to 3.38 s with a 0.08 s closure at 3.0
    assert PauseMap(clip, 0.0, open_end=False).tighten(original, PAD) == original


def test_noise_under_the_pauses_keeps_the_padding():
    """Game sound or music behind the voice fills the pauses: no evidence, no change."""
    noisy = CLIP + 0.05 * np.random.default_rng(1).standard_normal(len(CLIP)).astype(np.float32)
    original = bleep(2.2, 4.2)
    assert PauseMap(noisy, 0.0, open_end=False).tighten(original, PAD) == original


def test_a_pause_inside_the_number_is_not_its_end_when_whisper_ends_it_early():
    """Whisper heard the number end 0.3 s early, right after a pause between digit groups: the pause past the
    padded end (where the number really ends) wins, so the end stays padded rather than cut at the group."""
    clip = talk((2.0, True), (0.2, False), (1.5, True), (0.15, False), (0.5, True), (0.2, False), (1.6, True))
    # truth: the number is 2.2-4.35 s with a pause 3.7-3.85 between groups; Whisper says it ends at 4.05
    r = PauseMap(clip, 0.0, open_end=False).tighten(bleep(2.2, 4.05), PAD)
    assert r.t_to >= 4.05 + PAD - 1e-9, r


def test_the_start_snaps_to_the_earliest_pause():
    """Two pauses near an edge: the one that hides more wins."""
    clip = talk((2.0, True), (0.14, False), (0.06, True), (0.14, False), (2.0, True), (0.2, False), (1.0, True))
    # pauses 2.0-2.14 and 2.2-2.34 before the number (2.34-4.34); Whisper starts it at 2.3
    r = PauseMap(clip, 0.0, open_end=False).tighten(bleep(2.3, 4.34), PAD)
    assert r.t_from == pytest.approx(2.14 - 0.04, abs=0.011), r


def test_live_edges_need_the_audio_around_them():
    """Live, audio not captured yet is no pause; a pause still going on at the newest sample ends the number
    (its start is known, and no other pause can start before it ends) but cannot start one (its end is not)."""
    number = bleep(2.2, 4.2)
    resumed = PauseMap(CLIP[: int(4.45 * RATE)], 0.0)  # the pause after the number (4.2-4.4) is over, talk goes on
    assert resumed.tighten(number, PAD).t_to == 4.2 + PAD, "the zone reaches audio not captured yet: no verdict"
    pausing = PauseMap(CLIP[: int(4.35 * RATE)], 0.0)  # still in the pause after the number
    assert pausing.tighten(number, PAD).t_to == pytest.approx(4.24, abs=0.011)
    # Live, a word is final 0.4 s after its end: the last 0.05 s of the zone (to 4.65) is not captured yet.
    final = PauseMap(CLIP[: int(4.6 * RATE)], 0.0)
    assert final.tighten(number, PAD).t_to == pytest.approx(4.24, abs=0.011)
    longer = PauseMap(CLIP[: int(5.0 * RATE)], 0.0)
    assert longer.tighten(number, PAD).t_to == pytest.approx(4.24, abs=0.011)
    # The pause before a number still being said: its end (the number's start) is not known yet.
    opening = PauseMap(CLIP[: int(2.15 * RATE)], 0.0)
    assert opening.tighten(bleep(2.2, 2.5), PAD).t_from == 2.2 - PAD


def test_an_edge_never_moves_outwards_nor_far_into_speech():
    rng = np.random.default_rng(3)
    pm = PauseMap(CLIP, 0.0, open_end=False)
    voiced = pm.rms > pm.quiet * np.percentile(pm.rms, 90)

    def speech_between(x: float, y: float) -> float:
        return float(voiced[round(x * 100) : round(y * 100)].sum()) / 100

    for _ in range(300):
        a = float(rng.uniform(0.3, 5.5))
        b = a + float(rng.uniform(0.1, 2.0))
        original = bleep(a, b)
        r = pm.tighten(original, PAD)
        assert original.t_from <= r.t_from and r.t_to <= original.t_to and r.t_to > r.t_from, (original, r)
        # What is given back of Whisper's own word times is quiet, but for at most inner_s of speech.
        assert speech_between(a, r.t_from + pm.margin_s) <= pm.inner_s + 0.01, (a, b, r)
        assert speech_between(r.t_to - pm.margin_s, b) <= pm.inner_s + 0.01, (a, b, r)
