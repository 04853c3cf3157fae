"""The live speech guard: it rules on audio only once it has really checked it, and fails closed."""

import threading
import time

import numpy as np
import pytest

from privastream_desktop.audio.asr import Word
from privastream_desktop.audio.blocks import AudioBlock
from privastream_desktop.audio.speech_guard import StreamingSpeechGuard, _loop_start, _within_speech
from privastream_desktop.engine import ProtectionSettings
from privastream_desktop.pii import PiiKind, PiiRecognizer
from tests.audio.speech_helpers import covered, needs_espeak, phone_clip, talk

RATE = 48000


class NoPii:
    def find(self, words):
        return []


class StalledRecognizer:
    """Hangs inside recognition until released, like a model stuck on a starved CPU."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.calls = 0

    def transcribe(self, audio, offset=0.0):
        self.calls += 1
        self.release.wait(30)
        return []


class CrashingRecognizer:
    def transcribe(self, audio, offset=0.0):
        raise RuntimeError("CUDA out of memory (simulated)")


class EchoRecognizer:
    """Says one word per second of audio: enough to exercise the watermark without a model."""

    def transcribe(self, audio, offset=0.0):
        n = int(len(audio) / 16000)
        return [Word(" hello", offset + i, offset + i + 0.4, 0.9) for i in range(n)]


class LongLastWord:
    """A word every 0.5 s, but the last 1.6 s of every window heard as one long word still being said (tiny.en
    writes "20655" for "two oh six five five"): it is never final, so it would hold the watermark past the
    deadline. (Much longer, a plain word would be stretched over speech it cannot fill: unheard.)"""

    def __init__(self, last: str) -> None:
        self.last = last

    def transcribe(self, audio, offset=0.0):
        end = offset + len(audio) / 16000
        words = [Word(" hello", t, t + 0.4, 0.9) for t in np.arange(offset, end - 1.7, 0.5)]
        return [*words, Word(" " + self.last, end - 1.6, end, 0.9)] if end - offset > 1.7 else words


class Looping:
    """Hears the words, then loops on the window's last word like tiny.en does on audio cut mid-word."""

    def transcribe(self, audio, offset=0.0):
        end = offset + len(audio) / 16000
        words = [Word(" hello", t, t + 0.4, 0.9) for t in np.arange(offset, end - 1.0, 0.5)]
        return words + [Word(" 5", end - 1.0 + 0.1 * k, end - 0.95 + 0.1 * k, 0.5) for k in range(10)]


def feed(guard: StreamingSpeechGuard, audio: np.ndarray, rate: int, t0: float, *, realtime: bool = False) -> float:
    block = rate // 50  # 20 ms, like a sound card
    start = time.monotonic()
    for i in range(0, len(audio), block):
        if realtime:
            delay = start + i / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        guard.feed(AudioBlock(t0 + i / rate, audio[i : i + block, None], rate))
    return t0 + len(audio) / rate


def wait_for(predicate, timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


@pytest.fixture(scope="module")
def speech():
    clip = phone_clip(RATE)
    return clip


@needs_espeak
@pytest.mark.parametrize("failure", ["stalled", "crashed"])
def test_a_stalled_or_crashed_recognizer_never_rules_on_speech(speech, failure):
    recognizer = StalledRecognizer() if failure == "stalled" else CrashingRecognizer()
    guard = StreamingSpeechGuard(ProtectionSettings(), recognizer=recognizer, finder=NoPii(), stall_s=0.5)
    try:
        t0 = 1000.0
        end = feed(guard, speech.audio, RATE, t0)
        assert wait_for(lambda: guard.failure is not None, 10.0), "the guard must say it cannot vouch for audio"
        assert failure in guard.failure
        first_word = t0 + speech.benign[0][0]
        time.sleep(0.3)
        assert guard.ruled_until() < first_word, "audio with speech must never count as checked"
        assert guard.ruled_until() < end - 1.0
    finally:
        if isinstance(recognizer, StalledRecognizer):
            recognizer.release.set()
        guard.close()


def test_silence_is_ruled_without_recognition_and_speech_waits_for_it():
    recognizer = EchoRecognizer()
    guard = StreamingSpeechGuard(ProtectionSettings(), recognizer=recognizer, finder=NoPii())
    try:
        end = feed(guard, np.zeros(RATE * 3, np.float32), RATE, 50.0)
        assert wait_for(lambda: guard.ruled_until() >= end - 0.6, 10.0), guard.ruled_until()
        assert guard.failure is None and guard.stats.windows == 0, "silence needs no recognition"
        assert guard.redactions(50.0, end) == []
    finally:
        guard.close()


@needs_espeak
def test_live_phone_number_is_redacted_before_it_is_played(speech):
    """Real time, real models: every sample is ruled on within the privacy delay, the number is covered."""
    guard = StreamingSpeechGuard(ProtectionSettings(), delay_s=2.0)
    try:
        t0 = time.monotonic()
        late: list[float] = []
        block = RATE // 50
        for i in range(0, len(speech.audio), block):
            target = t0 + i / RATE
            while time.monotonic() < target:
                time.sleep(0.002)
            guard.feed(AudioBlock(target, speech.audio[i : i + block, None], RATE))
            # The block that should leave now (delay 2 s): has it been ruled on?
            due = time.monotonic() - 2.0 - t0
            if due > 0:
                late.append(guard.ruled_until() - (t0 + due))
        end = t0 + len(speech.audio) / RATE
        # a running microphone keeps sending (silence) after the last word; that is what ends the utterance
        silence = np.zeros((block, 1), np.float32)
        for k in range(75):
            target = end + k * block / RATE
            while time.monotonic() < target:
                time.sleep(0.002)
            guard.feed(AudioBlock(target, silence, RATE))
        assert wait_for(lambda: guard.ruled_until() >= end - 0.7, 30.0), "the guard stopped ruling"
        assert guard.failure is None
        ((_, a, b),) = speech.pii
        mask = np.zeros(len(speech.audio), bool)
        for r in guard.redactions(t0, end):
            mask[max(0, int((r.t_from - t0) * RATE)) : int((r.t_to - t0) * RATE)] = True
        assert covered(mask, RATE, a, b) >= 0.9, guard.redactions(t0, end)
        lines = " ".join(text for _, text in guard.transcript())
        assert "[" in lines and not any(d in lines for d in ("555", "213", "4471")), lines
        # Loaded CI machines vary; most blocks must be ruled on in time (the benchmark measures it properly).
        assert np.mean(np.array(late) >= 0) > 0.8, f"blocks not ruled within the delay: {np.mean(np.array(late) < 0)}"
    finally:
        guard.close()


def _late_blocks(guard: StreamingSpeechGuard, audio: np.ndarray, delay: float) -> tuple[float, float, int]:
    """Feeds ``audio`` in real time and counts the blocks not ruled on by the time they are due."""
    t0 = time.monotonic()
    block = RATE // 50
    late = total = 0
    for i in range(0, len(audio), block):
        target = t0 + i / RATE
        while time.monotonic() < target:
            time.sleep(0.002)
        guard.feed(AudioBlock(target, audio[i : i + block, None], RATE))
        due = time.monotonic() - delay - t0  # the block that leaves now
        if due > 0.5:
            total += 1
            late += guard.ruled_until() < t0 + due - 0.02
    return t0, t0 + len(audio) / RATE, late if total else -1


@needs_espeak
@pytest.mark.parametrize(("last", "bleeped"), [("20655", True), ("unbelievable", False)])
def test_a_word_never_final_is_ruled_on_by_the_deadline(speech, last, bleeped):
    """Fail closed without muting: at the deadline a non-final number is bleeped, a non-final plain word played."""
    guard = StreamingSpeechGuard(ProtectionSettings(), recognizer=LongLastWord(last), finder=NoPii(), delay_s=2.0)
    try:
        t0, end, late = _late_blocks(guard, speech.audio, 2.0)
        assert guard.failure is None
        # Scheduling jitter on a loaded machine may make one block late; a held watermark makes dozens.
        assert 0 <= late <= 2, f"{late} blocks were not ruled on by their deadline"
        found = guard.redactions(t0, end)
        assert bool(found) == bleeped, found
        assert all(r.label == "[NUMBER]" for r in found)
        assert (guard.stats.provisional > 0) == bleeped
    finally:
        guard.close()


@needs_espeak
def test_a_recognition_loop_makes_no_digit_run(speech):
    """tiny.en's "5 5 5 5 5 5 5 5 5 5" at a window's end is not a 7-digit run: copies are not speech heard."""

    class Digits:
        def find(self, words):
            from privastream_desktop.pii.spoken import SpokenPiiFinder

            return SpokenPiiFinder(PiiRecognizer(kinds=[PiiKind.DIGITS])).find(words)

    guard = StreamingSpeechGuard(ProtectionSettings(), recognizer=Looping(), finder=Digits(), delay_s=2.0)
    try:
        t0 = 500.0
        end = feed(guard, speech.audio, RATE, t0)
        end = feed(guard, np.zeros(RATE * 2, np.float32), RATE, end)
        assert wait_for(lambda: guard.ruled_until() >= end - 0.7, 20.0), guard.ruled_until() - end
        found = [r for r in guard.redactions(t0, end) if r.t_to - r.t_from > 1.2]
        assert found == [], "copies of one word became a digit run"
    finally:
        guard.close()


def _said(text: str) -> list[Word]:
    return [Word(f" {w}", i, i + 0.1, 0.9) for i, w in enumerate(text.split(" "))]


def test_loop_start():
    assert _loop_start(_said("my number is 5 5 5 5 5")) == 4
    assert _loop_start(_said("wait. wait. great great great")) is None  # three copies are speech ("five five five")
    assert _loop_start(_said("a b c b c b c")) == 3


class Deaf:
    """Returns no words at all, like tiny.en when it drops a window of speech as "no speech"."""

    def transcribe(self, audio, offset=0.0):
        return []


@needs_espeak
def test_speech_nobody_heard_is_hidden_by_its_deadline(speech):
    """A recogniser that answers but hears nothing must not let the watermark pass speech as if it were checked:
    at the deadline the unheard speech is bleeped ([UNCHECKED]) and the deadline is still met."""
    guard = StreamingSpeechGuard(ProtectionSettings(), recognizer=Deaf(), finder=NoPii(), delay_s=2.0)
    try:
        t0, end, late = _late_blocks(guard, speech.audio, 2.0)
        assert guard.failure is None
        assert 0 <= late <= 2, f"{late} blocks were not ruled on by their deadline"
        found = guard.redactions(t0, end)
        assert found and all(r.label == "[UNCHECKED]" for r in found), found
        mask = np.zeros(len(speech.audio), bool)
        for r in found:
            mask[max(0, int((r.t_from - t0) * RATE)) : int((r.t_to - t0) * RATE)] = True
        # Everything said up to the last deadline that passed is hidden (the rest is still held, not played).
        said = [(a, b) for _, a, b in speech.pii] + speech.benign
        for a, b in said:
            b = min(b, end - t0 - 2.0)
            if b > a + 0.1:
                assert covered(mask, RATE, a, b) >= 0.95, (a, b, found)
    finally:
        guard.close()


def test_word_times_are_cut_to_the_speech_they_lie_in():
    spans = [(1.0, 2.0), (3.0, 4.5)]
    words = [
        Word(" Cup", 0.2, 1.4, 0.9),  # stretched back over the silence before the utterance
        Word(" on.", 1.8, 2.6, 0.9),  # and on over the pause after it
        Word(" five", 3.1, 3.4, 0.9),  # inside: unchanged
        Word(" six", 4.2, 4.9, 0.9),  # the open span (newest audio): its end is kept
        Word(" ghost", 2.2, 2.5, 0.9),  # in what the VAD calls silence: left as it is
    ]
    cut = _within_speech(words, spans, vad_end=4.5)
    assert [(w.start, w.end) for w in cut] == [(1.0, 1.4), (1.8, 2.0), (3.1, 3.4), (4.2, 4.9), (2.2, 2.5)]
    assert cut[2] is words[2]


def test_a_provisional_bleep_never_reaches_back_over_audio_already_ruled_on():
    """Whisper's first word of a window swallows the words it dropped before it; the watermark knew better."""
    guard = StreamingSpeechGuard(ProtectionSettings(), recognizer=EchoRecognizer(), finder=NoPii())
    try:
        guard._ruled = 10.0
        bleep = guard._provisional([Word(" 714", 9.0, 10.6, 0.9)], until=11.0)
        assert bleep is not None and bleep.t_from == 10.0 and bleep.t_to == pytest.approx(10.6 + guard.pad)
        assert guard._provisional([Word(" 7", 9.0, 9.5, 0.9)]) is None  # all of it ruled on already
    finally:
        guard.close()


def _digits_finder():
    from privastream_desktop.pii.spoken import SpokenPiiFinder

    return SpokenPiiFinder(PiiRecognizer(kinds=[PiiKind.DIGITS]))


def _words_at(start: float, text: str, step: float = 0.4) -> list[Word]:
    return [Word(f" {w}", start + step * i, start + step * i + 0.3, 0.9) for i, w in enumerate(text.split())]


@pytest.mark.parametrize(
    ("said", "heard", "hidden"),
    [
        ("back in 2019", "2019 this game was huge.", False),  # the window starts in the tail of "2019"
        ("my number is 5 5", "5 1 2 3 4 and", True),  # a digit said twice is two digits
    ],
)
def test_a_word_heard_again_at_a_window_start_is_read_once(said, heard, hidden):
    """The finder reads the words said just before a window with the window's; a word whose end was heard early is
    heard again at the window's start and must not count twice ("2019 2019" is no 8-digit number)."""
    guard = StreamingSpeechGuard(ProtectionSettings(), recognizer=EchoRecognizer(), finder=_digits_finder())
    try:
        before = _words_at(10.0 - 0.4 * len(said.split()) + 0.05, said)  # the last one ends at 9.95
        guard._heard = list(before)
        guard._ruled = 10.0
        words = _words_at(10.1, heard)
        guard._rule(words, words[-1].end + 1.0, True, words[-1].end + 0.5, [], 10.0, words[-1].end + 0.5)
        found = guard.redactions(0.0, 20.0)
        assert bool(found) == hidden, found
    finally:
        guard.close()


@pytest.mark.parametrize("paused", [True, False])
def test_a_found_number_is_bleeped_up_to_the_pauses_around_it(paused):
    """Live, the padding for Whisper's timestamp error is pulled in to the pauses beside the number; speech that
    runs on into the number keeps the whole padding."""
    gap = 0.2 if paused else 0.0
    audio = talk((2.0, True), (gap, False), (2.0, True), (gap, False), (1.6, True), (1.0, False))
    first, last = 2.0 + gap, 4.0 + gap  # the number, media time from 100.0
    guard = StreamingSpeechGuard(ProtectionSettings(), recognizer=EchoRecognizer(), finder=_digits_finder())
    try:
        guard._t0, guard._audio = 100.0, audio
        guard._ruled = 101.5
        # Whisper heard the digits 0.1 s late and ending 0.1 s early; the talk around them is plain words.
        words = _words_at(100.0, "back in the") + _words_at(100 + first + 0.1, "5 5 5 2 1 3 4", step=0.25)
        words += _words_at(100 + last + 0.2, "so text me")
        now = 100 + len(audio) / 16000
        guard._rule(words, now - 0.4, True, now, [], 101.5, now)
        (r,) = guard.redactions(0.0, 200.0)
        pad = guard.pad
        if paused:
            assert 100 + first - 0.06 <= r.t_from <= 100 + first and 100 + last <= r.t_to <= 100 + last + 0.06, r
        else:
            assert r.t_from == pytest.approx(words[3].start - pad) and r.t_to == pytest.approx(words[9].end + pad)
    finally:
        guard.close()


@pytest.mark.parametrize("stretched", [True, False])
def test_a_word_laid_over_speech_it_cannot_fill_counts_as_unheard(stretched):
    """A window that drops the end of a number lays its next word over the digits ("192 168 0 [42]" heard as
    "if" from 11.2 to 13.4 s): that speech was never heard. At the deadline it is bleeped, not played."""
    audio = talk((4.0, True), (0.5, False))
    guard = StreamingSpeechGuard(ProtectionSettings(), recognizer=EchoRecognizer(), finder=NoPii(), delay_s=2.0)
    try:
        guard._t0, guard._audio = 100.0, audio
        guard._ruled = 101.0
        words = _words_at(100.0, "back in")
        if stretched:
            words.append(Word(" if", 101.0, 103.6, 0.9))
        else:
            words += _words_at(101.0, "if you want to join us", step=0.43)
        now = 104.0
        guard._rule(words, now - 0.4, False, now, [], 100.0, now)
        found = guard.redactions(0.0, 200.0)
        if stretched:
            assert [r.label for r in found] == ["[UNCHECKED]"], found
            assert found[0].t_from <= 101.0 and found[0].t_to >= guard.ruled_until(), (found, guard.ruled_until())
        else:
            assert found == [], found
    finally:
        guard.close()


def test_a_risky_tail_is_bleeped_only_up_to_the_watermark_it_sets():
    """At the deadline, a tail of digits that may still become a number is bleeped only as far as the audio
    that must be ruled on now; the next window rules on the rest (and may hear "450 dollars": a price)."""
    guard = StreamingSpeechGuard(ProtectionSettings(), recognizer=EchoRecognizer(), finder=_digits_finder())
    try:
        guard._ruled = 100.0
        words = _words_at(100.0, "my number is 5 5 5")  # the digits from 101.2 to 102.3
        now = 103.0  # the first digits should leave within 2.0 s of capture: their deadline has come
        guard._rule(words, now - 0.4, False, now, [], 100.0, now)
        (bleep,) = guard.redactions(0.0, 200.0)
        assert bleep.label == "[NUMBER]" and bleep.t_from <= 101.2, bleep
        assert bleep.t_to == pytest.approx(guard.ruled_until()), (bleep, guard.ruled_until())
    finally:
        guard.close()


@pytest.mark.parametrize("paused", [True, False])
def test_a_tail_bleeped_at_its_deadline_starts_at_the_pause_before_it(paused):
    """A held tail bleeped at its deadline is padded for Whisper's timestamp error, like a found number; where
    the speaker paused before it ("my number is … 5 5 5") the pause says where it starts, and the end of "is"
    is played. Speech that runs on into the digits keeps the whole pad."""
    gap = 0.3 if paused else 0.0
    audio = talk((1.5, True), (gap, False), (1.5, True), (0.5, False))
    guard = StreamingSpeechGuard(ProtectionSettings(), recognizer=EchoRecognizer(), finder=_digits_finder())
    try:
        guard._t0, guard._audio = 100.0, audio
        guard._ruled = 100.0
        # Whisper heard the digits 0.1 s after they start; the audio's pause ends at 101.5 + gap.
        words = _words_at(100.0, "my number is", step=0.5) + _words_at(101.6 + gap, "5 5 5", step=0.5)
        now = 100 + len(audio) / 16000
        guard._rule(words, now - 0.4, False, now, [], 100.0, now)
        (bleep,) = guard.redactions(0.0, 200.0)
        assert bleep.label == "[NUMBER]", bleep
        if paused:
            assert 101.5 + gap - 0.06 <= bleep.t_from <= 101.5 + gap, bleep
        else:
            assert bleep.t_from == pytest.approx(words[3].start - guard.pad), bleep
    finally:
        guard.close()


@pytest.mark.parametrize("second_hearing", ["if you want to join", "0 42 if you want to join"])
def test_digits_a_later_window_does_not_hear_again_stay_at_risk(second_hearing):
    """One window hears "... 0 42" and holds it as a tail that may still grow; the next one drops the digits and
    hears "if you want" over them. The hearings disagree about digits: at the deadline those are bleeped. Heard
    again, two digits are no number, and nothing is bleeped as unchecked."""
    guard = StreamingSpeechGuard(ProtectionSettings(), recognizer=EchoRecognizer(), finder=_digits_finder())
    try:
        guard._t0, guard._audio = 100.0, talk((5.0, True), (0.5, False))
        guard._ruled = 100.0
        first = _words_at(100.0, "the address is 0 42")  # "0 42" from 101.2 to 101.9, a risky tail
        guard._rule(first, 101.95, False, 102.0, [], 100.0, 102.0)
        assert guard._held_digits and guard.ruled_until() < 101.2
        second = _words_at(101.15, second_hearing, step=0.36)
        now = 104.0  # the held digits are due: the deadline has come
        guard._rule(second, now - 0.4, False, now, [], 100.5, now)
        unchecked = [r for r in guard.redactions(101.6, 101.9) if r.label == "[UNCHECKED]"]
        if second_hearing.startswith("if"):
            assert unchecked, f"the digits heard once were played: {guard.redactions(0.0, 200.0)}"
        else:
            assert not unchecked, unchecked
    finally:
        guard.close()


@pytest.mark.parametrize("dropped", [True, False])
def test_speech_with_no_word_heard_before_the_next_word_is_hidden(dropped):
    """A window heard a card's last group as nothing at all, then "and it went through": the speech between
    the watermark and "and" was never heard. At the deadline it is bleeped, not played."""
    guard = StreamingSpeechGuard(ProtectionSettings(), recognizer=EchoRecognizer(), finder=NoPii(), delay_s=2.0)
    try:
        guard._t0, guard._audio = 100.0, talk((4.0, True), (0.5, False))
        guard._ruled = 101.0
        words = _words_at(100.0, "back in")
        words += _words_at(102.6, "and it") if dropped else _words_at(101.0, "one two three four and it")
        now = 104.0
        guard._rule(words, now - 0.4, False, now, [], 100.0, now)
        found = guard.redactions(0.0, 200.0)
        if dropped:
            assert [r.label for r in found] == ["[UNCHECKED]"] and found[0].t_from <= 101.0, found
            assert found[0].t_to >= guard.ruled_until(), (found, guard.ruled_until())
        else:
            assert found == [], found
    finally:
        guard.close()


@pytest.mark.parametrize(
    ("heard", "hidden"),
    [
        # tiny.en on "jane dot doe at gmail dot com": no e-mail pattern matches, the host gives it away.
        ("send an email to jang .do at gmail .com and I will", "jang .do at gmail .com"),
        ("send an email to jang .doagmail .com and I will", "jang .doagmail .com"),
        # "at" heard as "and" (espeak, live): the local part before it is hidden too, not only the host.
        ("My old address was gameer 1, 2, 3 and outlook .com. I do not", "gameer 1, 2, 3 and outlook .com."),
        # "nightowl seven at gmail dot com": the host heard as "email", which is no stop right before ".com"
        ("you can also email me at idlesevent email .com, and", "at idlesevent email .com,"),
        ("email me at idle seven at email dot com and", "idle seven at email dot com"),
        ("For collabs, write to SametProbondotme with your channel link.", "SametProbondotme"),
    ],
)
def test_an_email_whisper_garbled_is_hidden_from_its_local_part_to_its_domain(heard, hidden):
    from privastream_desktop.audio.speech_guard import garbled_emails

    texts = heard.split()
    assert [" ".join(texts[a : b + 1]) for a, b in garbled_emails(texts)] == [hidden]


@pytest.mark.parametrize(
    ("heard", "not_final", "held_from"),
    [
        # the digits are final, the word after them is not: Whisper's guess for it may be a misheard digit
        ("call the studio on two o' six fine", 1, "two"),
        ("call the studio on two o' six fine fine", 1, "two"),
        ("you can order at 818 -5 -", 2, "818"),
        ("you can order that 8 will need", 2, "8"),  # "eight one eight"
        ("the package goes to 1 ,2 ,3 maples", 2, "1"),
        # a house number and a street name can still become an address, the street type not final yet
        ("send the merch to 88 birch roads and", 2, "88"),
        ("send the merch to 88 Birch", 0, "88"),
        ("my old address was gameer 1 2 3 and out", 1, "gameer"),  # "address was" announces it
        # the words right after a phrase that announces contact details, until a word after them is heard
        ("fan mail can go to Mike not turner at", 2, "Mike"),  # "mike dot turner at hotmail dot com"
        ("for collabs write to Samet Prok", 1, "Samet"),
        ("the game server addresses. One I", 1, "One"),  # "address is" heard as one word
        ("they can ring me at seven", 1, "seven"),
        ("send your fan art to the discord server I", 1, "I"),  # heard on: what followed it was talk
        # a number said digit by digit and misheard in the middle is held back to its first digit
        ("the server address is 1 I do not 1 6 8 zero", 1, "1"),
        # talk: nothing risky at the end, the watermark stops before the first word that is not final
        ("I have three cats so we", 1, "we"),
        ("we took 12 ,000 damage", 1, "damage"),  # a word after a number that sounds like no digit
        ("I have 2 cats and 3 dogs and we", 1, "we"),
        ("we will go to the park so", 1, "so"),  # "go to" announces nothing
        ("my number is private sorry", 1, "sorry"),  # talk about the number is not held
    ],
)
def test_the_watermark_holds_digits_until_what_follows_them_is_heard(heard, not_final, held_from):
    # A long delay: no deadline forces a ruling, the watermark stops where the rules hold it.
    guard = StreamingSpeechGuard(ProtectionSettings(), recognizer=EchoRecognizer(), finder=NoPii(), delay_s=6.0)
    try:
        guard._ruled = 100.0
        words = _words_at(100.0, heard)
        final_until = words[-not_final].start - 0.05 if not_final else words[-1].end + 0.05
        now = words[-1].end + 0.1
        guard._rule(words, final_until, False, now, [], 100.0, now)
        first = next(w for w in words if w.text.strip() == held_from)
        held = min(first.start, final_until) - guard.pad
        assert guard.ruled_until() == pytest.approx(held), (guard.ruled_until(), first)
        assert guard.redactions(0.0, 200.0) == []
    finally:
        guard.close()


@pytest.mark.parametrize(
    ("before", "forced", "after", "bleeped"),
    [
        ("call the studio on 206 555", "a", "1 4", "a"),  # "two oh six, five five five, oh one four two"
        ("the card is 4111 1111", "I", "1111", "I"),  # between digits
        ("we took 12 ,000", "damage", "in that", ""),
        ("I have 2", "cats", "and", ""),
        ("fan mail can go to", "Mike", "not turner", "Mike"),  # announced: the start of an e-mail
        ("the new place is", "470 no", "cabin", "470 no"),
        ("we will go to", "the", "park", ""),
    ],
)
def test_a_word_at_its_deadline_that_may_be_a_digit_is_bleeped(before, forced, after, bleeped):
    guard = StreamingSpeechGuard(ProtectionSettings(), recognizer=EchoRecognizer(), finder=_digits_finder())
    try:
        words = _words_at(100.0, f"{before} {forced} {after}")
        b, f = len(before.split()), len(forced.split())
        risky = guard._at_risk(words[:b], words[b : b + f], words[b + f :])
        assert " ".join(w.text.strip() for w in risky) == bleeped
    finally:
        guard.close()


class Transcript:
    """Hears exactly the words said whose end lies in the window (an ideal recognizer, scripted)."""

    def __init__(self, words: list[Word]) -> None:
        self.words = words

    def transcribe(self, audio, offset=0.0):
        end = offset + len(audio) / 16000
        return [w for w in self.words if w.start >= offset - 0.01 and w.end <= end - 0.05]


class LoudIsSpeech:
    """A voice activity detector for ``talk``'s buzz: a 32 ms chunk with any power in it is speech."""

    chunk = 512

    def __init__(self) -> None:
        self.rest = np.zeros(0, np.float32)

    def feed(self, audio):
        x = np.concatenate([self.rest, audio])
        n = len(x) // self.chunk
        self.rest = x[n * self.chunk :]
        return (np.abs(x[: n * self.chunk]).reshape(n, self.chunk).mean(axis=1) > 0.01).astype(np.float32)


def _said_slowly(text: str, step: float) -> tuple[list[Word], np.ndarray]:
    """One word every ``step`` seconds from 1 s on, each voiced for ``step - 0.1`` s, then 1.5 s of silence."""
    words = _words_at(1.0, text, step=step)
    words = [Word(w.text, w.start, w.start + step - 0.1, w.probability) for w in words]
    parts: list[tuple[float, bool]] = [(1.0, False)]
    for _ in words:
        parts += [(step - 0.1, True), (0.1, False)]
    return words, talk(*parts, (1.5, False))


@pytest.mark.parametrize(
    ("text", "secret", "step"),
    [
        # 12 seed words at 0.9 s a word: the label is 11 s old when the last one is said
        (
            "hey chat so my seed phrase is apple, banana, sneakers, dog, elephant, frog, grape, house, igloo, "
            "jacket, kite, lemon. anyway let us keep playing",
            "apple, banana, sneakers, dog, elephant, frog, grape, house, igloo, jacket, kite, lemon.",
            0.9,
        ),
        (
            "oops my stream key is live underscore 4 4 7 1 2 underscore a b c d e f g h j k. anyway let us play",
            "live underscore 4 4 7 1 2 underscore a b c d e f g h j k.",
            0.45,
        ),
    ],
)
def test_a_long_secret_is_hidden_to_its_last_word_live(text, secret, step):
    """A seed phrase or a key read character by character outlasts the words the finder usually reads before a
    window: the guard reads back to its label, so its last words are as hidden as its first, and talk after it
    is not."""
    words, audio = _said_slowly(text, step)
    guard = StreamingSpeechGuard(
        ProtectionSettings(), recognizer=Transcript(words), vad=LoudIsSpeech(), delay_s=2.0, align=False
    )
    try:
        block = 16000 // 10
        for i in range(0, len(audio), block):  # as if in real time: the guard keeps up with each block
            guard.feed(AudioBlock(i / 16000, audio[i : i + block, None], 16000))
            assert guard.wait_idle(5.0)
            assert guard.ruled_until() >= (i + block) / 16000 - 2.0, "a block was not ruled on by its deadline"
        end = len(audio) / 16000
        assert wait_for(lambda: guard.ruled_until() >= end - 1.0, 10.0)
        hidden = guard.redactions(0.0, end)
        first = len(text.split()) - len(text.split(secret, 1)[1].split()) - len(secret.split())
        for k, w in enumerate(words):
            mid = (w.start + w.end) / 2
            in_secret = first <= k < first + len(secret.split())
            assert any(r.t_from <= mid < r.t_to for r in hidden) == in_secret, (k, w.text, hidden)
    finally:
        guard.close()


def test_the_words_of_a_secret_still_being_said_are_bleeped_at_their_deadline():
    """At the deadline a window has heard "... cherry dog" but is not sure of them yet, and the label ("my seed
    phrase is") was ruled on windows ago: any word may be the next seed word, so all of them are bleeped."""
    guard = StreamingSpeechGuard(ProtectionSettings(), recognizer=EchoRecognizer(), finder=NoPii())
    try:
        said = _words_at(90.0, "so my seed phrase is apple banana")
        guard._committed.extend(said)
        guard._ruled = said[-1].end + 0.05
        words = _words_at(guard._ruled + 0.05, "cherry dog")
        now = words[0].start + 1.9  # cherry is due
        guard._rule(words, words[0].start - 0.01, False, now, [], said[-3].start, now)
        (bleep,) = guard.redactions(words[0].start, words[0].end)
        assert bleep.t_from <= words[0].start and bleep.label == "[SEED]", bleep
    finally:
        guard.close()
