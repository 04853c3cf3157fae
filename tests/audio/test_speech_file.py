"""Whole-file speech redaction with the real models: Whisper tiny.en, Silero VAD, the shared PII finder."""

import numpy as np

from privastream_desktop.audio.asr import FILE_ASR_MODEL, SpeechRecognizer, Word
from privastream_desktop.audio.blocks import AudioBlock
from privastream_desktop.audio.redactor import AudioRedactor
from privastream_desktop.audio.speech_guard import redact_speech_file, shared_recognizer
from privastream_desktop.audio.speech_samples import SCRIPTS, SPELLED_SCRIPTS, B, synthesize
from privastream_desktop.engine import ProtectionSettings
from tests.audio.speech_helpers import changed_mask, covered, needs_espeak, phone_clip

pytestmark = needs_espeak


def test_phone_number_is_bleeped_and_the_rest_is_untouched():
    clip = phone_clip()
    settings = ProtectionSettings()
    redactions = redact_speech_file(clip.audio, clip.rate, settings)
    assert redactions, "the spoken phone number was not found"
    out = AudioRedactor("bleep").apply(AudioBlock(0.0, clip.audio, clip.rate), redactions).samples
    changed = changed_mask(clip.audio, out)
    ((_, a, b),) = clip.pii
    assert covered(changed, clip.rate, a, b) >= 0.9, f"only part of the number is hidden: {redactions}"
    # Benign speech is untouched, except within the padding (timestamp error) next to the number.
    margin = settings.speech_pad_s + 0.35
    for start, end in clip.benign:
        lo, hi = start, end
        if abs(end - a) < 1.0:
            hi = min(end, a - margin)
        if abs(start - b) < 1.0:
            lo = max(start, b + margin)
        if hi > lo:
            assert covered(changed, clip.rate, lo, hi) == 0.0, f"benign speech {lo:.2f}-{hi:.2f} s was altered"
    assert all(r.label.startswith("[") for r in redactions)


def test_numbers_that_are_not_pii_are_left_alone():
    clip = synthesize("benign", SCRIPTS["benign_numbers"], voice="espeak")
    assert redact_speech_file(clip.audio, clip.rate, ProtectionSettings()) == []


def test_stereo_at_44k_and_silence():
    clip = phone_clip(44100)
    stereo = np.stack([clip.audio, clip.audio * 0.5], axis=1)
    redactions = redact_speech_file(stereo, 44100, ProtectionSettings())
    ((_, a, b),) = clip.pii
    assert any(r.t_from <= a + 0.3 and r.t_to >= b - 0.3 for r in redactions), redactions
    assert redact_speech_file(np.zeros(44100 * 3, np.float32), 44100, ProtectionSettings()) == []


def test_the_bleep_stops_at_the_pause_after_the_number():
    """The talk after the number ("so text me tonight") keeps its first word: the padding for Whisper's
    timestamp error is pulled in to the pause the speaker made after the last digit."""
    clip = phone_clip()
    redactions = redact_speech_file(clip.audio, clip.rate, ProtectionSettings())
    ((_, a, b),) = clip.pii
    after = clip.benign[1][0]  # where "so text me" starts, 0.15 s after the number
    hiding = [r for r in redactions if r.overlaps(a, b)]
    assert hiding and max(r.t_to for r in hiding) >= b, redactions
    assert max(r.t_to for r in redactions) <= after, f"the bleep reached into the words after the number: {redactions}"


class _DigitsMisheard(SpeechRecognizer):
    """Whisper (the real model, loaded once by the shared recognizer) whose hearing of the number is a garble:
    every digit word becomes ``heard``, in the greedy hearing only (beam search hears it as it was said) or, with
    ``beam_too``, in both of tiny.en's hearings."""

    def __init__(self, real: SpeechRecognizer, heard: str, *, beam_too: bool = False) -> None:  # no model load
        self.real, self.beam_size, self.heard, self.beam_too = real, 1, heard, beam_too

    def transcribe(self, audio, offset=0.0, *, fallback=True, beam_size=None):
        words = self.real.transcribe(audio, offset, fallback=fallback, beam_size=beam_size)
        if beam_size is None or self.beam_too:
            words = [Word(self.heard if any(c.isdigit() for c in w.text) else w.text, w.start, w.end, w.probability)
                     for w in words]  # fmt: skip
        return words


def test_a_file_is_heard_twice_and_what_either_hearing_finds_is_hidden():
    """Files have time to spare: a second, beam-search hearing hides what the greedy one garbled."""
    clip = phone_clip()
    recognizer = _DigitsMisheard(shared_recognizer(), " fine")  # the garble tiny.en makes in a natural voice
    redactions = redact_speech_file(clip.audio, clip.rate, ProtectionSettings(), recognizer=recognizer)
    ((_, a, b),) = clip.pii
    assert any(r.t_from <= a + 0.3 and r.t_to >= b - 0.3 for r in redactions), redactions
    assert len(redactions) == len({(r.kind, r.t_from) for r in redactions})  # one passage, not one per hearing


def test_whisper_base_hears_a_file_too_and_what_only_it_hears_is_hidden():
    """The third hearing is another model: where both of tiny.en's hearings garble the number, Whisper base's
    (the real model, joined in memory from its two wheels) still finds it."""
    clip = phone_clip()
    base = shared_recognizer(model=FILE_ASR_MODEL)
    assert base is shared_recognizer(model=FILE_ASR_MODEL) and base is not shared_recognizer()
    garbled = _DigitsMisheard(shared_recognizer(), " hmm", beam_too=True)
    ((_, a, b),) = clip.pii
    alone = redact_speech_file(clip.audio, clip.rate, ProtectionSettings(), recognizer=garbled)
    assert not any(r.overlaps(a, b) for r in alone), "the double should hide nothing on its own"
    redactions = redact_speech_file(clip.audio, clip.rate, ProtectionSettings(), recognizer=garbled, other=base)
    assert any(r.t_from <= a + 0.3 and r.t_to >= b - 0.3 for r in redactions), redactions


def test_codes_and_keys_read_out_are_hidden_to_their_last_character():
    """Real voice, real models: a stream key read character by character and a 6-digit code, each after its label
    ("my stream key is", "my verification code is"), are hidden whole; the talk after them is not (beyond the
    padding for Whisper's timestamp error)."""
    settings = ProtectionSettings()
    for name, after in (("stream_key_s", "let me reset that."), ("otp_s", "thanks. I will read chat now.")):
        clip = synthesize(name, [*SPELLED_SCRIPTS[name][:2], B(after)], voice="espeak")
        redactions = redact_speech_file(clip.audio, clip.rate, settings)
        out = AudioRedactor("bleep").apply(AudioBlock(0.0, clip.audio, clip.rate), redactions).samples
        changed = changed_mask(clip.audio, out)
        ((_, a, b),) = clip.pii
        assert covered(changed, clip.rate, a, b) >= 0.9, (name, redactions)
        start, end = clip.benign[-1]
        assert covered(changed, clip.rate, start + settings.speech_pad_s + 0.35, end) == 0.0, (name, redactions)
