"""Spoken PII → time intervals to bleep, for files and for a live microphone.

Words come from Whisper (``asr.py``) with times, go through the shared
``SpokenPiiFinder`` (spoken forms normalised, then the same recognizers as
on-screen text) and come out as padded ``SpeechRedaction`` intervals.

Live (``StreamingSpeechGuard``), one worker thread:

* audio is resampled to 16 kHz mono as it arrives and the VAD marks speech;
* whenever ``hop_s`` of new speech has arrived, the window from a little before
  the last ruled point to *now* is recognised again (overlapping windows: a word
  cut by the previous window's end is heard whole in the next one, and the
  finder sees the words before it as context);
* a word is *final* once ``guard_s`` of audio follows it (or its utterance has
  ended): Whisper's guess for the last word of a window is often wrong;
* ``ruled_until`` (the watermark) advances only over audio that is silence, or
  whose final words have been checked. It stops ``pad`` before the first word
  that is not final, and before a tail of words that could still *become* PII
  (a run of digits, "dot"/"at" of an e-mail, the start of a sensitive term):
  "five five five" is harmless until "one two three four" follows. A word that
  sounds like a digit right after one ("six fine" for "six five", "3 and" for
  "3 at") extends the tail, and a tail of digits reaches back over up to three
  misheard words to the digits before them ("1 I do not 1 6 8"). The three words
  right after a phrase that announces contact details ("my email is", "write
  to", "the new place is") are held too: an address or a name heard as
  ordinary words ("write to ~samet ~prok") waits until a word after it is
  heard. If holding such a tail until the next window would miss the privacy
  delay's deadline, it is redacted provisionally instead: the deadline is met by
  hiding more, not less;
* likewise for words that are not final yet when the deadline comes (a long number
  still being said, a word Whisper keeps re-hearing): they are ruled on as heard,
  those that are or could become PII (numbers, "at"/"dot", a name after a number,
  the words after an announcing phrase, whatever the finder flags) bleeped
  provisionally, and the watermark moves only as far as the deadline needs.
  They have been recognised and checked, just not twice;
  only when no recognition result exists at all is audio muted (fail closed);
* a window whose text ends in a loop ("5 5 5 5 5 5", tiny.en on audio cut mid-word)
  counts the loop as one word not yet heard, so copies never make a digit run;
* the finder also reads the words already ruled on just before a window, so a window
  needs little audio context;
* speech under a word Whisper stretched far beyond what saying it takes (a window that
  dropped the end of a number and laid "if" over the digits) counts as unheard, like
  speech after the last word: nothing from there is final, and at the deadline it is
  bleeped as "[UNCHECKED]". So do words heard, without a digit, where the previous
  window heard digits of a tail it held (``_disputed``);
* a found span's padded edges are pulled in to a pause right beside it (``pauses.py``), and
  towards the forced-aligned edges of its words when the window has time to spare (``aligner.py``);
* redactions only ever accumulate: a later window can add a bleep, never take one away.

Nothing is written to disk; the transcript is a bounded list in memory.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np
from scipy import signal

from privastream_desktop.audio.aligner import aligned_edge, shared_aligner
from privastream_desktop.audio.asr import (
    ASR_MODEL,
    FILE_ASR_MODEL,
    RATE,
    SpeechRecognizer,
    VoiceActivity,
    Word,
    speech_spans,
    to_mono_16k,
)
from privastream_desktop.audio.blocks import AudioBlock, SpeechRedaction
from privastream_desktop.audio.pauses import PauseMap
from privastream_desktop.pii.spoken import NOT_DETAILS_START, open_secret_value

if TYPE_CHECKING:
    from privastream_desktop.engine import ProtectionSettings
    from privastream_desktop.model_store import ModelStore
    from privastream_desktop.pii.recognizers import PiiKind

# How far back a secret's label is looked for while its value is still being said (24 seed words, slowly), and
# how many words before the value's first may be its label ("seed phrase is", "pass word is, um").
_OPEN_VALUE_S = 30.0
_LABEL_WORDS = 5

# Whisper tiny.en word times vs the true segment edges on the spoken test set: |error| p90 0.27 s at word
# starts, 0.20 s at ends (benchmarks/bench_speech.py); 0.25 s hid as many numbers as 0.35 s with less collateral.
DEFAULT_PAD_S = 0.25

_LABELS = {
    "national_id": "ID",
    "ip_address": "IP",
    "seed_phrase": "SEED",
    "url_token": "TOKEN",
    "term": "REDACTED",
    "digits": "NUMBER",
}


def label_for(kind: PiiKind) -> str:
    """ "[PHONE]", "[EMAIL]", ...: what the transcript shows instead of the words."""
    return "[" + _LABELS.get(kind.value, kind.value.upper()) + "]"


class Recognizer(Protocol):
    def transcribe(self, audio: np.ndarray, offset: float = 0.0) -> list[Word]: ...


class Finder(Protocol):
    def find(self, words: Sequence[str]) -> list: ...


_shared: dict[str, SpeechRecognizer] = {}
_shared_lock = threading.Lock()


def shared_recognizer(store: ModelStore | None = None, model: str = ASR_MODEL) -> SpeechRecognizer:
    """One loaded Whisper per model, model folder and process: exports and the live guard share tiny.en, and
    exports share Whisper base (``FILE_ASR_MODEL``, loaded on the first export that hears speech)."""
    from privastream_desktop.model_store import ModelStore

    store = store or ModelStore()
    with _shared_lock:
        key = f"{model}@{store.root}"
        if key not in _shared:
            _shared[key] = SpeechRecognizer(store, model=model)
        return _shared[key]


def build_finder(settings: ProtectionSettings) -> Finder:
    """The spoken-PII finder for these settings (kinds and the user's sensitive terms).

    Building the recognizers takes a second or two, so finders are kept per (kinds, terms).
    """
    kinds = getattr(settings, "pii_kinds", None)
    terms = tuple(getattr(settings, "sensitive_terms", ()) or ())
    return _finder(frozenset(kinds) if kinds is not None else None, terms)


@functools.lru_cache(maxsize=4)
def _finder(kinds: frozenset | None, terms: tuple[str, ...]) -> Finder:
    from privastream_desktop.pii.recognizers import PiiRecognizer
    from privastream_desktop.pii.spoken import SpokenPiiFinder

    return SpokenPiiFinder(PiiRecognizer(kinds, terms))


def speech_pad(settings: ProtectionSettings) -> float:
    return float(getattr(settings, "speech_pad_s", DEFAULT_PAD_S))


def find_redactions(
    words: Sequence[Word],
    finder: Finder,
    pad: float,
    pauses: PauseMap | None = None,
    aligned: Sequence[tuple[float, float] | None] | None = None,
) -> list[SpeechRedaction]:
    """Padded intervals for every PII span the finder reports in ``words`` (``pii_spans``), edges placed by
    ``place_redactions``. A whole file's words reach the finder in long stretches that overlap, so a number cut
    by one stretch's edge is whole in the next."""
    redactions: list[SpeechRedaction] = []
    batch, overlap = 400, 40
    for start in range(0, max(1, len(words)), batch - overlap):
        part = words[start : start + batch]
        times = aligned[start : start + batch] if aligned is not None else None
        redactions.extend(place_redactions(part, pii_spans(part, finder), pad, pauses, times))
        if start + batch >= len(words):
            break
    return redactions


def pii_spans(words: Sequence[Word], finder: Finder) -> list[tuple[PiiKind, int, int]]:
    """(kind, first word, last word) of every PII span the finder reports in ``words``, plus e-mail addresses
    Whisper garbled beyond recognition (see ``garbled_emails``)."""
    if not words:
        return []
    texts = [w.text.strip() for w in words]
    # Whisper often ends a sentence after "my password is." and the finder (rightly) stops at a
    # sentence end; the pause is a speaker's, not the end of the thought.
    for i in range(1, len(texts)):
        if texts[i].lower() in ("is.", "is:", "is,") and _norm(texts[i - 1]) in _SECRET_LABELS:
            texts[i] = "is"
    spans = [(hit.kind, hit.first_word, hit.last_word) for hit in finder.find(texts)]
    return spans + [(_email_kind(), a, b) for a, b in garbled_emails(texts)]


def place_redactions(
    words: Sequence[Word],
    spans: Sequence[tuple[PiiKind, int, int]],
    pad: float,
    pauses: PauseMap | None = None,
    aligned: Sequence[tuple[float, float] | None] | None = None,
) -> list[SpeechRedaction]:
    """One interval per span: Whisper's word times padded by ``pad``. With ``pauses``, an edge next to a pause
    in the speech is pulled in to it (``PauseMap.tighten``); with ``aligned`` (a forced-aligned start/end per
    word, ``WordAligner.align``), towards the aligned word edge (``aligned_edge``)."""
    found = []
    for kind, a, b in spans:
        r = SpeechRedaction(kind, words[a].start - pad, words[b].end + pad, label_for(kind))
        if pauses is not None:
            r = pauses.tighten(r, pad)
        if aligned is not None:
            first = aligned[a] if _plain_neighbour(words, aligned, a - 1) else None
            last = aligned[b] if _plain_neighbour(words, aligned, b + 1) else None
            t_from = aligned_edge(words[a].start, first[0] if first else None, r.t_from, start=True)
            t_to = aligned_edge(words[b].end, last[1] if last else None, r.t_to, start=False)
            if t_to - t_from >= 0.05:
                r = dataclasses.replace(r, t_from=t_from, t_to=t_to)
        found.append(r)
    return found


# Words that sound like a digit or join parts of an address: "the card number is for 1111" was "four".
_SOUNDS_LIKE_PII = frozenset({"for", "to", "too", "won", "ate", "oh", "o", "at", "dot", "and", "dash", "plus"})


def _plain_neighbour(words: Sequence[Word], aligned: Sequence[tuple[float, float] | None], i: int) -> bool:
    """May a span's edge next to word ``i`` move in to its aligned edge? Only when the aligner placed that word
    (the audio beside the span is accounted for) and it is no number, no digit sound-alike and no "at"/"dot":
    a window that hears a number in pieces ("1111 for 1111") would otherwise open a gap the pads bridged, and
    a misheard first digit ("for" for "four") would be left out."""
    if not 0 <= i < len(words) or aligned[i] is None:
        return False
    return not _numberish(words[i].text) and _norm(words[i].text) not in _SOUNDS_LIKE_PII


# The last word of a secret's label ("password", "pass word", "security code", "stream key", "seed phrase").
_SECRET_LABELS = frozenset({"password", "passcode", "passphrase", "pin", "pin.", "word", "code", "key", "phrase"})
_MAIL_HOSTS = ("gmail", "googlemail", "outlook", "hotmail", "yahoo", "icloud", "proton", "aol", "gmx", "live.com")
_TLDS = frozenset({"com", "net", "org", "io", "co", "uk", "de", "fr", "edu", "gov", "me"})
_EMAIL_STOP = frozenset(
    {"to", "is", "was", "me", "my", "email", "e-mail", "mail", "address", "send", "contact", "reach", "write", "and",
     "or", "it's", "its", "on", "via", "the", "your", "our", "his", "her", "their"}
)  # fmt: skip

_HEARD_FOR_AT = frozenset({"and"})
_GLUED_DOMAIN = re.compile(r"[a-z0-9]{3,}dot(?:" + "|".join(sorted(_TLDS)) + ")")


def _email_kind() -> PiiKind:
    from privastream_desktop.pii.recognizers import PiiKind

    return PiiKind.EMAIL


def garbled_emails(texts: Sequence[str]) -> list[tuple[int, int]]:
    """Word ranges that were an e-mail address before Whisper mangled it.

    tiny.en writes "jane dot doe at gmail dot com" as "jang .do at gmail .com" or
    "jang .doagmail .com", which no e-mail pattern accepts. A mail host ("gmail",
    "outlook", ...) or a spoken/written top-level domain after "dot" is a strong cue:
    the words from just after the last stop word ("to", "is", "email", ...) up to
    the domain are hidden. "and" right before the host is no stop: it is how tiny.en
    hears "at" ("gamer one two three at outlook" → "gameer 1, 2, 3 and outlook"); nor
    is the word right before a top-level domain, which is the domain itself ("at
    gmail dot com" heard as "email .com"). A word that ends in "dot" and a top-level
    domain ("sametprobondotme") is an address Whisper wrote as one word.
    Speech only: on-screen text is read exactly.
    """
    norm = [_CLEAN.sub("", t.lower()) for t in texts]
    out: list[tuple[int, int]] = []
    for k, w in enumerate(norm):
        host = any(h in w for h in _MAIL_HOSTS)
        tld = w.strip(".") in _TLDS and (w.startswith(".") or (k > 0 and norm[k - 1] in ("dot", ".")))
        glued = _GLUED_DOMAIN.fullmatch(w.strip(".")) is not None  # "sametprobondotme": the whole address, one word
        if not (host or tld or glued):
            continue
        end = k
        while end + 1 < len(norm) and (norm[end + 1] in ("dot", ".") or norm[end + 1].strip(".") in _TLDS):
            end += 1
        start, taken = k, 0
        domain = tld and not host  # the word before a top-level domain is its domain: "idlesevent email .com"
        while start > 0 and taken < 5:
            prev = norm[start - 1].strip(".,")
            if prev in _EMAIL_STOP and not domain and not (start == k and host and prev in _HEARD_FOR_AT):
                break
            start -= 1
            taken += prev not in _HEARD_FOR_AT
            domain = domain and prev in ("dot", "")
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def redacted_text(words: Sequence[Word], redactions: Sequence[SpeechRedaction]) -> str:
    """The words with every redacted one replaced by its label (runs collapse to one label)."""
    parts: list[str] = []
    for w in words:
        mid = (w.start + w.end) / 2
        hit = next((r for r in redactions if r.t_from <= mid < r.t_to), None)
        text = hit.label if hit is not None else w.text.strip()
        if not (hit is not None and parts and parts[-1] == text):
            parts.append(text)
    return " ".join(parts)


# ---------------------------------------------------------------------------------------------
# Whole files


_FILE_WINDOW_S = 20.0  # Whisper sees 30 s at most; shorter windows keep a digit loop short too


def _file_windows(probs: np.ndarray, spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Speech spans grouped into windows of at most ``_FILE_WINDOW_S``, cut at the quietest point."""
    step = VoiceActivity.chunk / RATE
    windows: list[tuple[float, float]] = []
    for a, b in spans:
        while b - a > _FILE_WINDOW_S:
            lo, hi = int((a + 0.6 * _FILE_WINDOW_S) / step), int((a + _FILE_WINDOW_S) / step)
            cut = (lo + int(np.argmin(probs[lo:hi]))) * step if hi > lo else a + _FILE_WINDOW_S
            windows.append((a, cut))
            a = cut
        if windows and b - windows[-1][0] <= _FILE_WINDOW_S and a - windows[-1][1] < 1.0:
            windows[-1] = (windows[-1][0], b)  # short neighbours share one call (one encoder pass)
        else:
            windows.append((a, b))
    return windows


def recognise_file(
    audio16k: np.ndarray, recognizer: Recognizer, vad: VoiceActivity, *, beam_size: int | None = None
) -> list[Word]:
    """Every word of a whole recording (16 kHz mono), in time order; ``beam_size`` for a ``SpeechRecognizer``
    (``hear_file`` asks for it only there: test doubles take no options)."""
    options = {} if beam_size is None else {"beam_size": beam_size}
    vad.reset()
    probs = vad.feed(audio16k)
    spans = speech_spans(probs, min_silence_s=0.5, pad_s=0.2)
    words: list[Word] = []
    for a, b in _file_windows(probs, spans):
        chunk = audio16k[int(a * RATE) : int(b * RATE)]
        words.extend(recognizer.transcribe(chunk, offset=a, **options))
    return words


# A file is heard three times: by tiny.en greedily and with beam search, then by Whisper base. Where one garbles PII,
# the others rarely garble it the same way, and whatever any hearing finds is hidden. On the spoken sets
# (bench_speech.py) tiny.en's beam-search hearing found 3-4 more of 58 passages for 0.3-1.5 % more benign speech
# altered; base's hearing 2-3 more again ("417 Oak Avenue" where tiny.en heard "417 O'Cavenu") for about 1 % more.
# All three take about 0.13 of real time on one core.
FILE_BEAM = 5


def hear_file(
    audio16k: np.ndarray, recognizer: Recognizer, vad: VoiceActivity, other: Recognizer | None = None
) -> list[list[Word]]:
    """The words of a whole recording, once per hearing, each in time order: ``recognizer`` greedily, again with
    beam search if it is Whisper (a test double hears once), then ``other`` (Whisper base) if given."""
    hearings = [recognise_file(audio16k, recognizer, vad)]
    if isinstance(recognizer, SpeechRecognizer):
        hearings.append(recognise_file(audio16k, recognizer, vad, beam_size=FILE_BEAM))
    if other is not None:
        hearings.append(recognise_file(audio16k, other, vad))
    return hearings


def redact_speech_file(
    samples: np.ndarray,
    rate: int,
    settings: ProtectionSettings,
    store: ModelStore | None = None,
    *,
    recognizer: Recognizer | None = None,
    other: Recognizer | None = None,
    finder: Finder | None = None,
) -> list[SpeechRedaction]:
    """Intervals to hide in a whole recording, media time from its first sample.

    ``samples``: (n,) or (n, channels) float. Every word is heard with all its
    context, so files need no watermark and get no provisional redactions; and
    three times (``hear_file``): what any hearing finds is hidden. ``recognizer``
    and ``other`` replace tiny.en and Whisper base (tests); a ``recognizer`` given
    alone hears without base.
    """
    audio = to_mono_16k(samples, rate)
    if recognizer is None:
        recognizer, other = shared_recognizer(store), other or shared_recognizer(store, FILE_ASR_MODEL)
    vad = VoiceActivity(store)
    finder = finder or build_finder(settings)
    pad = speech_pad(settings)
    pauses = PauseMap(audio, 0.0, open_end=False)
    aligner = shared_aligner(store)  # None when it cannot load: every edge keeps its pad
    redactions: list[SpeechRedaction] = []
    for words in hear_file(audio, recognizer, vad, other):
        aligned = aligner.align(audio, words) if aligner is not None else None
        redactions.extend(find_redactions(words, finder, pad, pauses, aligned))
    end = len(audio) / RATE
    clipped = [SpeechRedaction(r.kind, max(0.0, r.t_from), min(end, r.t_to), r.label) for r in redactions if r.t_to > 0]
    return _merge(clipped)  # the hearings mostly find the same passages


# ---------------------------------------------------------------------------------------------
# Live

# Speech after the last word heard that a cut last word explains (a word end is up to 0.2 s early, and
# Whisper leaves out a word cut by the window's end); beyond that, speech without words was not heard.
_UNHEARD_SLACK_S = 0.6
# Time a window must have left before its oldest unruled audio is played for it to be force-aligned.
_ALIGN_SLACK_S = 0.3

_NUMBER_TEXT = """zero oh o one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen
sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred
thousand double triple"""
_NUMBER_WORDS = frozenset(_NUMBER_TEXT.split())
_DIGIT_NAMES = frozenset(_NUMBER_TEXT.split()[:12])  # "zero" .. "nine" with "oh", "o"
_CONNECTORS = frozenset({"at", "dot", "@", "dash", "hyphen", "underscore", "slash", "colon"})
_CLEAN = re.compile(r"[^\w@.]+")


def _norm(word: str) -> str:
    return _CLEAN.sub("", word.lower()).strip(".")


# Words tiny.en writes for a digit or the "at"/"dot" of an address it did not catch.
_SOUNDS_LIKE_DIGIT = frozenset(
    {"for", "fore", "to", "too", "won", "when", "will", "well", "want", "ate", "fine", "fife", "tree", "free", "sex",
     "sick", "nein", "oh", "o", "owe", "and", "at", "dot", "not"}
)  # fmt: skip

# At the deadline also "a" ("206 555 ~a ~1 ~4": "oh") and a bare "-".
_HEARD_FOR_DIGIT = _SOUNDS_LIKE_DIGIT | {"a", ""}


def _ends_sentence(word: Word) -> bool:
    return word.text.strip().endswith((".", "!", "?"))


# Phrases that announce contact details: "my number is", "the new place is", "reach me at", "send the merch to",
# "call the studio on". The first words of what follows are what tiny.en hears worst and what it has heard least of
# when the watermark reaches them ("fan mail can go to ~mike ~not ~turner ~at"): they are held like a number's.
_ANNOUNCING_NOUNS = frozenset(
    {"email", "mail", "address", "number", "phone", "cell", "place", "handle", "username", "social", "ssn"}
)
_ANNOUNCING_VERBS = frozenset(
    {"reach", "ring", "call", "text", "contact", "message", "write", "send", "ship", "deliver", "order", "goes",
     "moved", "live", "lives"}
)  # fmt: skip
_ANNOUNCED_WORDS = 3  # how many words after the phrase are held
# ... unless the first is a time, a person, a determiner or talk about the thing, never the start of contact details
# ("call the shop at noon", "send it to me", "goes to my office", "my email is in the description"; "my" is also how
# tiny.en hears "mike", a price paid for less talk held).
_NOT_ANNOUNCED = NOT_DETAILS_START | frozenset(
    {"noon", "midnight", "night", "tonight", "tomorrow", "today", "lunch", "dinner", "monday", "tuesday", "wednesday",
     "thursday", "friday", "saturday", "sunday", "me", "you", "us", "them", "him", "her", "chat", "everyone", "your",
     "their", "our", "my"}
)  # fmt: skip


def _announced(seq: Sequence[Word], normed: Sequence[str]) -> set[int]:
    """Indices of the words (at most ``_ANNOUNCED_WORDS``, not past a sentence end) right after a phrase that announces
    contact details: "to"/"at"/"on" with a contact verb or noun among the 4 words before it in its sentence, "is"/"was"
    with a contact noun among the 3 before it ("my social, it is"), or "addresses" ("address is" heard as one word).
    ``normed``: ``_norm`` of each word."""
    out: set[int] = set()
    for i, said in enumerate(normed):
        before: list[str] = []
        for k in range(i - 1, max(-1, i - 5), -1):
            if _ends_sentence(seq[k]):
                break
            before.append(normed[k])
        if said in ("to", "at", "on"):
            announces = any(b in _ANNOUNCING_VERBS or b in _ANNOUNCING_NOUNS for b in before)
        elif said in ("is", "was"):
            announces = any(b in _ANNOUNCING_NOUNS for b in before[:3])
        else:
            announces = said == "addresses"
        if not announces or (_ends_sentence(seq[i]) and said != "addresses"):
            continue
        if i + 1 < len(seq) and normed[i + 1] in _NOT_ANNOUNCED:
            continue
        for j in range(i + 1, min(len(seq), i + 1 + _ANNOUNCED_WORDS)):
            out.add(j)
            if _ends_sentence(seq[j]):
                break
    return out


def _risky_words(seq: Sequence[Word], normed: Sequence[str], nums: Sequence[bool]) -> set[int]:
    """Indices of the words that are, or on their own could start, PII: numbers, an e-mail's "at"/"dot" with the
    words beside it ("jane" in "jane dot doe", "gmail" in "at gmail"), the words after an announcing phrase. The
    held tail (``_risky_tail``) and the deadline (``_at_risk``) both start from these. ``normed`` and ``nums``: each
    word's ``_norm`` and ``_numberish``, which both callers need too."""
    out = _announced(seq, normed)
    for i, w in enumerate(seq):
        if nums[i]:
            out.add(i)
        elif _connector(w.text) and not (normed[i] == "at" and _not_email_at(seq, i)):
            out.update(j for j in (i - 1, i, i + 1) if 0 <= j < len(seq))
    return out


def _numberish(word: str) -> bool:
    w = _norm(word)
    return any(c.isdigit() for c in w) or w in _NUMBER_WORDS


_AT_NOT_EMAIL_TEXT = """look looking looked me us him her them it this that is was are am be been arrive arrived home
work school least all once first last night we you they i"""
_AT_NOT_EMAIL = frozenset(_AT_NOT_EMAIL_TEXT.split())


def _not_mailbox(word: str) -> bool:
    """The word before "at" cannot be an e-mail's user name ("look at", "3 to 1 at", "me at")."""
    return _numberish(word) or _norm(word) in _AT_NOT_EMAIL


def _not_email_at(seq: Sequence[Word], i: int) -> bool:
    """ "at" that cannot be an e-mail's "@": after "look", "me", a number...; or before a number
    ("order at 818", "at 730 on Friday"): a mail host is a name, never a number."""
    if i > 0 and _not_mailbox(seq[i - 1].text):
        return True
    return i + 1 < len(seq) and _numberish(seq[i + 1].text)


def _loop_start(words: Sequence[Word]) -> int | None:
    """Index where Whisper starts looping ("5 5 5 5 5 5 ...", "wait... wait... wait... wait..."), else None.

    tiny.en loops on audio cut mid-word at a live window's end, squeezing the copies into the last
    second; they hold the watermark as non-final words and, when they start early enough, turned into
    false digit runs and seed phrases. A word repeated 4+ times in a row, or a pair 3+ times, that runs to
    the end of the window is treated as unheard from its second copy on. A real "1 1 1 1" (a card) is
    still protected: the copies hold the watermark like any non-final word, and at the deadline they are
    numbers, so they are bleeped provisionally.
    """
    normed = [_norm(w.text) for w in words]
    n = len(normed)
    for size, times in ((1, 4), (2, 3)):
        i = n - size
        while i - size >= 0 and normed[i - size : i] == normed[i : i + size]:
            i -= size
        copies = (n - i) // size
        if copies >= times and (n - i) % size == 0:
            return i + size
    return None


def _longest(word: str) -> float:
    """Generous seconds of speech saying ``word`` can take: 0.5 s, 0.1 s a letter, 0.45 s a digit ("4471")."""
    w = word.strip()
    return 0.5 + 0.1 * sum(c.isalpha() for c in w) + 0.45 * sum(c.isdigit() for c in w)


def _digits_heard(words: Sequence[Word], a: float, b: float) -> bool:
    """Does a word over [a, b) hold a number?"""
    return any(_numberish(w.text) for w in words if w.start < b and w.end > a)


_SAME_WORD_GAP_S = 0.3  # |word time error| p90 is 0.2-0.27 s


def _same_word(earlier: Word, later: Word) -> bool:
    """``later`` (from a newer window) is a second hearing of ``earlier``: the same text, starting within the
    timestamp error of where ``earlier`` ended. Never for a single digit: "five five five" is said that way."""
    text = _norm(earlier.text)
    single_digit = text in _DIGIT_NAMES or (len(text) == 1 and text.isdigit())
    return not single_digit and text == _norm(later.text) and later.start - earlier.end < _SAME_WORD_GAP_S


def _within_speech(words: list[Word], spans: Sequence[tuple[float, float]], vad_end: float) -> list[Word]:
    """Word times cut to the VAD's (padded) speech span they lie in.

    Whisper stretches the first word of a window back over the silence before it ("Cup" from the window's
    start, 1.5 s before anyone spoke), and a last word on over the pause after it; a bleep or a held
    watermark then covers silence and the words next to it. A span still open (the newest audio) keeps
    its word ends. A word in no span (heard in what the VAD calls silence) is left as it is.
    """
    out = []
    for w in words:
        best, overlap = None, 0.0
        for a, b in spans:
            o = min(b, w.end) - max(a, w.start)
            if o > overlap:
                best, overlap = (a, b), o
        if best is None:
            out.append(w)
            continue
        a, b = best
        start = max(w.start, a)
        end = min(w.end, b) if b < vad_end - 0.05 else w.end
        same = (start, end) == (w.start, w.end)
        out.append(w if same else Word(w.text, start, max(end, start + 0.05), w.probability))
    return out


def _address_start(word: str) -> bool:
    w = word.strip()
    return w[:1].isupper() or _norm(w) in {"north", "south", "east", "west", "old", "new"}


@functools.cache
def _street_types() -> frozenset[str]:
    """The recognizer's street types ("street", "rd", "avenue", ...): one list for text and speech."""
    from privastream_desktop.pii.recognizers import _SUFFIX_TYPES

    return frozenset(_SUFFIX_TYPES.split("|"))


def _street_word(word: str) -> bool:
    w, types = _norm(word), _street_types()
    return w in types or (w.endswith("s") and w[:-1] in types)


def _connector(word: str) -> bool:
    w = _norm(word)
    return w in _CONNECTORS or "@" in w or ("." in w and len(w) > 2)


def _merge(redactions: list[SpeechRedaction]) -> list[SpeechRedaction]:
    """Overlapping redactions of one kind become one (each window re-finds the same number)."""
    out: list[SpeechRedaction] = []
    for r in sorted(redactions, key=lambda r: (r.t_from, r.t_to)):
        same = next((i for i in range(len(out) - 1, -1, -1) if out[i].kind == r.kind and out[i].t_to >= r.t_from), None)
        if same is not None:
            o = out[same]
            out[same] = SpeechRedaction(o.kind, o.t_from, max(o.t_to, r.t_to), o.label)
        else:
            out.append(r)
    return sorted(out, key=lambda r: r.t_from)


class _Resampler:
    """Streaming 16 kHz mono: an anti-alias low-pass with carried state, then linear
    interpolation on the 16 kHz grid. Block edges leave no seams (unlike resampling each block)."""

    def __init__(self, rate: int) -> None:
        self.rate = rate
        self._sos = signal.butter(8, 7200, btype="low", fs=rate, output="sos") if rate > RATE else None
        self._zi = np.zeros((self._sos.shape[0], 2)) if self._sos is not None else None
        self._last = 0.0  # the previous input sample, for interpolating across the block edge
        self._phase = 0.0  # position of the next output sample, in input samples from this block's start

    def __call__(self, mono: np.ndarray) -> np.ndarray:
        if self.rate == RATE:
            return mono.astype(np.float32)
        x = mono.astype(np.float64)
        if self._sos is not None:
            x, self._zi = signal.sosfilt(self._sos, x, zi=self._zi)
        step = self.rate / RATE
        positions = np.arange(self._phase, len(x) - 1e-9, step)
        extended = np.concatenate([[self._last], x])  # index 0 is input sample -1
        out = np.interp(positions + 1.0, np.arange(len(extended)), extended)
        self._phase = (positions[-1] + step - len(x)) if len(positions) else self._phase - len(x)
        self._last = float(x[-1]) if len(x) else self._last
        return out.astype(np.float32)


@dataclass(slots=True)
class GuardStats:
    """What the live guard has done (for the status bar and the benchmark)."""

    windows: int = 0
    recognised_s: float = 0.0  # audio seconds sent to Whisper (overlaps counted again)
    busy_s: float = 0.0  # seconds spent recognising
    provisional: int = 0  # tails redacted because they held the watermark past the budget
    aligned_windows: int = 0  # windows that found PII and were force-aligned for its edges
    align_words: int = 0  # words in those windows
    aligned_words: int = 0  # of which the aligner placed
    align_skipped: int = 0  # windows with PII too close to their deadline to align


@dataclass(frozen=True, slots=True)
class WindowTrace:
    """Why the watermark stands where it does after one recognition (``StreamingSpeechGuard(trace=True)``).

    The p99 lag and the bleeps on benign words both come from individual windows: this is
    what a benchmark prints to find which rule holds the watermark or adds the bleep.
    In memory only (a bounded deque), like the transcript.
    """

    at: float  # clock() when the window was ruled on
    now: float  # media time of the newest sample then
    start: float  # window, media time
    end: float
    busy_s: float  # recognition time
    words: tuple[tuple[str, float, float, bool], ...]  # (text, start, end, final)
    final_until: float
    ruled_before: float
    ruled_after: float
    reason: str  # what stopped the watermark: "closed", "guard", "non-final 'x'", "tail 'x y'", "provisional 'x'"
    redactions: tuple[SpeechRedaction, ...]  # new this window
    context: tuple[str, ...] = ()  # what the finder read besides the window: words heard before it || as ruled


class StreamingSpeechGuard:
    """Live: feed mic audio as it is captured; recognition runs in its own worker thread.

    ``delay_s``: the privacy delay the audio is played with. A risky tail (digits, an
    e-mail's "at"/"dot") may hold the watermark only while the next window can still
    rule on it before that deadline; otherwise it is bleeped provisionally.
    ``recognizer``/``vad``/``finder`` replace the real models (tests).
    """

    def __init__(
        self,
        settings: ProtectionSettings,
        store: ModelStore | None = None,
        *,
        delay_s: float = 2.0,
        hop_s: float = 0.3,
        guard_s: float = 0.4,
        context_s: float = 1.5,
        max_window_s: float = 20.0,
        stall_s: float = 5.0,
        transcript_lines: int = 50,
        recognizer: Recognizer | None = None,
        vad: VoiceActivity | None = None,
        finder: Finder | None = None,
        clock: Callable[[], float] = time.monotonic,
        trace: bool = False,
        snap_pauses: bool = True,
        align: bool = True,
        busy_s: float | None = None,
    ) -> None:
        self.pad = speech_pad(settings)
        self.snap_pauses = snap_pauses  # pull bleep edges in to a pause next to the PII (``PauseMap``)
        # ... and towards forced-aligned word edges (``aligner.py``); None when the aligner cannot load
        self._aligner = shared_aligner(store) if align else None
        self.trace: deque[WindowTrace] | None = deque(maxlen=5000) if trace else None
        self.delay_s, self.hop_s, self.guard_s = delay_s, hop_s, guard_s
        self._last_busy = 0.3  # seconds the last recognition took: how long the next will
        self.context_s, self.max_window_s, self.stall_s = context_s, max_window_s, stall_s
        self.clock = clock
        # Replays (``bench_speech.py --replay``): every recognition is taken to last this long instead of the time
        # measured, which differs by milliseconds between runs and moves deadline decisions at the margin.
        self._fixed_busy = busy_s
        self._recognizer = recognizer or shared_recognizer(store)
        # Live windows decode once (see SpeechRecognizer.transcribe); test doubles take no options.
        self._transcribe: Callable[..., list[Word]] = (
            functools.partial(self._recognizer.transcribe, fallback=False)
            if isinstance(self._recognizer, SpeechRecognizer)
            else self._recognizer.transcribe
        )
        self._busy_recent: deque[float] = deque(maxlen=20)
        self._vad = vad or VoiceActivity(store)
        self._finder = finder or build_finder(settings)
        terms = tuple(getattr(settings, "sensitive_terms", ()) or ())
        self._term_words = [tuple(_norm(w) for w in term.split()) for term in terms if len(term.split()) > 1]
        self.stats = GuardStats()

        self._cond = threading.Condition()
        self._inbox: deque[AudioBlock] = deque()
        self._idle = threading.Event()  # every block fed has been ingested and stepped on (``wait_idle``)
        self._closed = False
        self._crash: str | None = None
        self._busy_since: float | None = None  # clock() when the current recognition started
        self._window_started: float | None = None  # perf_counter() when the current window was cut

        # Worker-side state (the lock guards what other threads read).
        self._lock = threading.Lock()
        self._ruled = float("-inf")
        self._redactions: list[SpeechRedaction] = []
        self._heard: list[Word] = []  # final words, newest last, bounded: the transcript and window cuts
        self._heard_max = 40 * transcript_lines
        self._committed: deque[Word] = deque(maxlen=64)  # words as heard when the watermark passed them
        self._held_digits: list[tuple[float, float]] = []  # digits of a tail held past the watermark, as heard
        self._lines_max = transcript_lines
        self._resampler: _Resampler | None = None
        self._audio = np.zeros(0, np.float32)  # 16 kHz mono from _t0
        self._t0: float | None = None
        self._probs = np.zeros(0, np.float32)  # VAD, one per 32 ms from _t0
        self._recognised_to = float("-inf")  # end of the last recognised window

        self._worker = threading.Thread(target=self._run, name="speech-guard", daemon=True)
        self._worker.start()

    # -- the API the live pipeline uses -------------------------------------------------------

    def feed(self, block: AudioBlock) -> None:
        """Queue captured audio; cheap, never waits for recognition."""
        with self._cond:
            if self._closed:
                return
            self._idle.clear()
            self._inbox.append(block)
            self._cond.notify()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until every block fed so far has been taken in and ruled on as far as it can be; False on timeout.
        For replays that feed audio faster than real time (``bench_speech.py --replay``) and for tests: the app
        never waits on the guard."""
        return self._idle.wait(timeout)

    def ruled_until(self) -> float:
        """Every sample before this time has been ruled on (its redactions, if any, are known)."""
        with self._lock:
            return self._ruled

    def redactions(self, t0: float, t1: float) -> list[SpeechRedaction]:
        """Redactions overlapping [t0, t1)."""
        with self._lock:
            return [r for r in self._redactions if r.overlaps(t0, t1)]

    @property
    def failure(self) -> str | None:
        """Why the guard cannot vouch for audio any more (crashed, or a recognition hangs), else None."""
        if self._crash is not None:
            return self._crash
        busy = self._busy_since
        if busy is not None and self.clock() - busy > self.stall_s:
            return f"speech recognition stalled (no result for {self.clock() - busy:.0f} s)"
        return None

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._worker.join(timeout=2.0)

    # -- the worker ----------------------------------------------------------------------------

    def _run(self) -> None:
        try:
            while True:
                with self._cond:
                    if not self._inbox and not self._closed:
                        self._cond.wait(timeout=0.05)
                    if self._closed:
                        return
                    blocks = list(self._inbox)
                    self._inbox.clear()
                if blocks:
                    self._ingest(blocks)
                if self._t0 is not None:
                    self._step()
                with self._cond:
                    if not self._inbox:
                        self._idle.set()
        except Exception as exc:  # fail closed: ruled_until stops, the pipeline silences what follows
            self._crash = f"speech recognition crashed: {type(exc).__name__}: {exc}"
        finally:
            self._busy_since = None

    def _now(self) -> float:
        """Time just after the newest sample received."""
        assert self._t0 is not None
        return self._t0 + len(self._audio) / RATE

    def _ingest(self, blocks: list[AudioBlock]) -> None:
        pieces = []
        for block in blocks:
            if self._resampler is None or self._resampler.rate != block.rate:
                self._resampler = _Resampler(block.rate)
            mono = block.samples if block.samples.ndim == 1 else block.samples.mean(axis=1)
            if self._t0 is None:
                self._t0 = block.t
                with self._lock:
                    self._ruled = block.t
            else:
                gap = block.t - (self._now() + sum(len(p) for p in pieces) / RATE)
                if gap > 0.2:  # the capture dropped audio: keep the clock, fill with silence
                    pieces.append(np.zeros(int(gap * RATE), np.float32))
            pieces.append(self._resampler(np.asarray(mono, np.float32)))
        new = np.concatenate(pieces) if pieces else np.zeros(0, np.float32)
        self._audio = np.concatenate([self._audio, new])
        # VAD over the new audio; probabilities stay aligned to _t0 (trimming keeps whole chunks).
        self._probs = np.concatenate([self._probs, self._vad.feed(new)])

    def _step(self) -> None:
        assert self._t0 is not None
        now = self._now()
        vad_end = self._t0 + len(self._probs) * VoiceActivity.chunk / RATE
        ruled = self._ruled
        spans = [(self._t0 + a, self._t0 + b) for a, b in speech_spans(self._probs, min_silence_s=0.4, pad_s=0.2)]
        # Where the VAD has heard no speech, nothing needs hiding; its last 0.45 s may still
        # turn out to be the padded start of speech.
        vad_safe = vad_end - 0.45
        pending = [(a, b) for a, b in spans if b > ruled]
        if not pending:
            self._advance(vad_safe, [])
            self._trim()
            return
        if pending[0][0] > ruled:
            self._advance(min(pending[0][0], vad_safe), [])
        # Recognise when enough new audio has come, or the utterance has just ended.
        last_start, last_end = pending[-1]
        closed = last_end < vad_end - 0.4
        if now - self._recognised_to < self.hop_s and not (closed and self._recognised_to < last_end):
            return
        window_start = self._window_start()
        window_end = min(now, window_start + self.max_window_s)
        skipped: list[SpeechRedaction] = []
        if window_start > self._ruled:  # fell more than a whole window behind: what is skipped stays hidden
            from privastream_desktop.pii.recognizers import PiiKind

            skipped.append(SpeechRedaction(PiiKind.SECRET, self._ruled, window_start, "[UNCHECKED]"))
        i0 = max(0, int((window_start - self._t0) * RATE))
        i1 = int((window_end - self._t0) * RATE)
        self._busy_since = self.clock()
        started = self._window_started = time.perf_counter()
        words = self._transcribe(self._audio[i0:i1], offset=self._t0 + i0 / RATE)
        self._busy_since = None
        self.stats.windows += 1
        self.stats.recognised_s += (i1 - i0) / RATE
        self._last_busy = time.perf_counter() - started
        self._busy_recent.append(self._last_busy)
        self.stats.busy_s += self._last_busy
        self._recognised_to = window_end
        window_closed = closed and window_end >= last_end
        # Words are final once guard_s of audio follows them; all are when the utterance has ended.
        final_until = window_end if window_closed else max(window_end - self.guard_s, min(last_start, window_end))
        words = _within_speech(words, spans, vad_end)
        loop = _loop_start(words)
        if loop is not None:
            # A loop is not speech heard: one placeholder word (the looped word) stands for all of it, not
            # final even after the utterance, so it holds the watermark and no digit run is made of copies.
            looped = words[loop]
            words = [*words[:loop], Word(looped.text, looped.start, max(looped.end, window_end), 0.0)]
            final_until = min(final_until, looped.start)
            window_closed = False
        self._rule(words, final_until, window_closed, now, skipped, window_start, window_end, spans)
        self._trim()

    def _window_start(self) -> float:
        """``context_s`` before the watermark, moved back to the start of a word cut there."""
        assert self._t0 is not None
        start = self._ruled - self.context_s
        for w in self._heard:
            if w.start < start < w.end:
                start = w.start - 0.05
                break
        return max(start, self._now() - self.max_window_s, self._t0)

    def _rule(
        self,
        words: list[Word],
        final_until: float,
        closed: bool,
        now: float,
        extra: list[SpeechRedaction],
        window_start: float,
        window_end: float | None = None,
        speech: Sequence[tuple[float, float]] = (),
    ) -> None:
        # Speech (per the VAD) after the last word heard, beyond what a cut last word explains, has not been
        # heard at all: Whisper left it out. Nothing after it is final.
        heard_to = max((w.end for w in words), default=window_start) + _UNHEARD_SLACK_S
        unheard = next((max(a, heard_to) for a, b in speech if b > heard_to and a < final_until), None)
        # So has speech under a word Whisper stretched far beyond what saying it takes: a window that drops the
        # end of a number can lay its next word ("if") over the digits. From there on nothing is final.
        pauses = self._pause_map()  # one per window: unheard speech below, pause-snapped bleep edges further on
        # The words ruled on lately, and where in them a secret's value began that may still be going on.
        recent = [w for w in self._committed if w.end > self._ruled - _OPEN_VALUE_S]
        opened = open_secret_value([w.text.strip() for w in recent])
        snap = pauses if self.snap_pauses else None
        stretched = self._stretched(words, pauses) or self._disputed(words)
        if stretched is not None:
            at = max(stretched.start, self._ruled)
            unheard = at if unheard is None else min(unheard, at)
        # And so has speech between the watermark and a word, or between two words, where no word was heard (a
        # window that heard a card's last group as nothing but the "and" after it).
        dropped = self._dropped(words, pauses)
        if dropped is not None:
            unheard = dropped if unheard is None else min(unheard, dropped)
        if unheard is not None:
            final_until = min(final_until, unheard)
        final = [w.end <= final_until for w in words]
        nfinal = next((i for i, ok in enumerate(final) if not ok), len(words))
        boundary = min(final_until, words[nfinal].start) if nfinal < len(words) else final_until
        reason = "closed" if closed else "guard"
        if nfinal < len(words) and words[nfinal].start < final_until:
            reason = f"non-final {words[nfinal].text.strip()!r}"
        elif unheard is not None:
            reason = "unheard"
        if stretched is not None:
            reason += f" (unheard under {stretched.text.strip()!r})"
        new = list(extra)
        # The next ruling comes after another hop and recognition (with a margin for a busy CPU); every
        # sample that is played before then must be ruled on now.
        next_ruling = now + self.hop_s + self._busy_bound() + 0.1
        need = next_ruling - self.delay_s + 0.05
        if unheard is not None and nfinal == len(words) and boundary - self.pad < need:
            # Speech nobody heard reaches the deadline: it is hidden (fail closed), as far as the deadline needs.
            from privastream_desktop.pii.recognizers import PiiKind

            start = max(unheard - self.pad, self._ruled)
            if need > start:  # up to the new watermark: the next window rules on what follows
                new.append(SpeechRedaction(PiiKind.SECRET, start, need, "[UNCHECKED]"))
                self.stats.provisional += 1
            boundary = max(boundary, need + self.pad)
            reason = "deadline unheard bleeped"
        elif nfinal < len(words) and boundary - self.pad < need:
            # Non-final words would miss the deadline: rule on them as heard now. Those at risk (numbers,
            # "at"/"dot", a name after a number) are bleeped provisionally, the rest are played; the
            # watermark moves only as far as the deadline needs, the next window hears them again.
            forced = [w for w in words[nfinal:] if w.start - self.pad < need]
            # Words still coming of a secret being said (its label is no longer in the window) are all at risk.
            open_value = opened is not None and not any(
                _ends_sentence(w) for w in words[:nfinal] if (w.start + w.end) / 2 > self._ruled
            )
            risky = forced if open_value else self._at_risk(words[:nfinal], forced, words[nfinal + len(forced) :])
            unchecked = stretched is not None and any(w is stretched for w in forced)
            if unchecked:  # the stretched word hides speech nobody heard: it is at risk too
                at = next(i for i, w in enumerate(forced) if w is stretched)
                lo = min(at, forced.index(risky[0]) if risky else at)
                hi = max(at, forced.index(risky[-1]) if risky else at)
                risky = forced[lo : hi + 1]
            kind = opened[1] if open_value and opened is not None else None  # a seed word is [SEED], not [EMAIL]
            bleep = self._provisional(risky, until=need, unchecked=unchecked, pauses=snap, kind=kind) if risky else None
            if bleep is not None:  # only up to the new watermark: the next window rules on the rest
                new.append(bleep)
                self.stats.provisional += 1
            if dropped is not None and dropped < need:  # speech with no word heard in it is hidden too
                from privastream_desktop.pii.recognizers import PiiKind

                new.append(SpeechRedaction(PiiKind.SECRET, max(dropped, self._ruled), need, "[UNCHECKED]"))
                self.stats.provisional += 1
            boundary = max(boundary, need + self.pad)
            reason = f"deadline {' '.join(w.text.strip() for w in forced)!r}" + (
                f" bleeped {' '.join(w.text.strip() for w in risky)!r}" if risky else ""
            )
        # A tail of final words that could still turn into PII waits for what follows it.
        tail = None if closed else self._risky_tail(words[:nfinal], words[nfinal:])
        if tail is not None:
            tail_start = words[tail].start
            tail_text = " ".join(w.text.strip() for w in words[tail:nfinal])
            # The first sample still waiting is the later of the tail's padded start and the watermark.
            if next_ruling > max(tail_start - self.pad, self._ruled) + self.delay_s:
                # Bleep only as much of the tail as the deadline needs and hold the watermark there: the next
                # window may hear that the number was a price or a time ("450 dollars"), sparing the rest.
                clip = max(need, tail_start) + self.pad
                bleep = self._provisional(words[tail:nfinal], until=clip - self.pad, pauses=snap)
                if bleep is not None:
                    new.append(bleep)
                    self.stats.provisional += 1
                boundary = min(boundary, clip)
                reason = f"provisional {tail_text!r} / {reason}"
            else:
                boundary = min(boundary, tail_start)
                reason = f"tail {tail_text!r}"
        # Spans made only of words that are not final yet are heard again in the next window.
        # The finder also reads the words already ruled on just before the window ("my password is" | "hunter
        # two"), so the window need not hear them again: a short audio context is enough.
        with self._lock:
            said = [w for w in self._heard if window_start - 4.0 < w.end <= window_start + 0.05][-12:]
        if said and words and _same_word(said[-1], words[0]):
            # The window heard the last word said before it again (its end was heard early, the window starts
            # in its tail): read once, "2019 2019" is no 8-digit number. Digits on both sides of the edge are
            # still read together through the words as ruled on (``committed``) below.
            said.pop()
        # It also reads the words as they were heard when the watermark passed them, then only what is new:
        # a window that re-hears "my password is" as "my past where" must not forget the label, and "555"
        # ruled on before stays part of "555 1234" however the next window hears it.
        before = self._ruled
        committed = [w for w in self._committed if w.end > before - 6.0][-16:]
        # A secret whose value is still being said (a seed phrase, a key read character by character) is read from
        # its label on, however long ago that was: without it, its later words would be talk.
        if opened is not None and len(recent) - opened[0] + _LABEL_WORDS > len(committed):
            committed = recent[max(0, opened[0] - _LABEL_WORDS) :]
        # New is what lies after the watermark and after the last word ruled on (its end may pass the watermark):
        # a word heard again with other times must not count twice ("2019 2019" is no 8-digit number).
        after = max(before, self._committed[-1].end if self._committed else before)
        fresh = [w for w in words if (w.start + w.end) / 2 > after]
        window_times: dict[int, tuple[float, float] | None] | None = None
        for heard in (said + words, committed + fresh):
            # A span is ruled on when it starts in final words (its unmoved edge, before pauses or alignment).
            spans = [(kind, a, b) for kind, a, b in pii_spans(heard, self._finder) if heard[a].start < final_until]
            aligned = None
            if spans and self._aligner is not None:
                # Aligned only when there is something to bleep (most windows find nothing) and time to spare.
                if window_times is None:
                    end = window_end if window_end is not None else now
                    window_times = self._align(words, window_start, end) if self._time_to_align(now) else {}
                aligned = [window_times.get(id(w)) for w in heard]
            new.extend(place_redactions(heard, spans, self.pad, snap, aligned))
        self._advance(boundary - self.pad, new, words[:nfinal], window_start)
        # Digits of a held tail are remembered until the watermark passes them or a window hears digits there.
        disputed = [(a, b) for a, b in self._held_digits if not _digits_heard(words, a, b)]
        tail_digits = [(w.start, w.end) for w in words[tail:nfinal] if _numberish(w.text)] if tail is not None else []
        self._held_digits = [(a, b) for a, b in disputed + tail_digits if b > self._ruled]
        self._committed.extend(w for w in fresh if (w.start + w.end) / 2 <= self._ruled)
        if self.trace is not None:
            self.trace.append(
                WindowTrace(
                    self.clock(),
                    now,
                    window_start,
                    window_end if window_end is not None else now,
                    self._last_busy,
                    tuple((w.text.strip(), w.start, w.end, ok) for w, ok in zip(words, final, strict=True)),
                    final_until,
                    before,
                    self._ruled,
                    reason,
                    tuple(new),
                    (*(w.text.strip() for w in said), "||", *(w.text.strip() for w in committed)),
                )
            )

    def _time_to_align(self, now: float) -> bool:
        """Is there time to align before the oldest audio not ruled on yet is played? ``now`` is the newest
        sample when the window was cut; recognising it has taken time since. Aligning takes ~35 ms (p90 ~45);
        a window this close to its deadline keeps the pads instead of risking it."""
        if self._fixed_busy is not None:
            elapsed = self._fixed_busy
        else:
            elapsed = time.perf_counter() - self._window_started if self._window_started is not None else 0.0
        if self._ruled + self.delay_s - (now + elapsed) >= _ALIGN_SLACK_S:
            return True
        self.stats.align_skipped += 1
        return False

    def _align(self, words: Sequence[Word], start: float, end: float) -> dict[int, tuple[float, float] | None]:
        """Forced-aligned times of this window's words over its own audio, by ``id`` of the word."""
        if self._t0 is None or self._aligner is None:
            return {}  # no audio kept: every edge keeps its pad
        i0, i1 = max(0, int((start - self._t0) * RATE)), max(0, int((end - self._t0) * RATE))
        started = time.perf_counter()
        times = self._aligner.align(self._audio[i0:i1], words, t0=self._t0 + i0 / RATE)
        took = time.perf_counter() - started  # part of this window's work: the next deadline estimate counts it
        self.stats.busy_s += took
        if self._busy_recent:
            self._busy_recent[-1] += took
        self.stats.aligned_windows += 1
        self.stats.aligned_words += sum(t is not None for t in times)
        self.stats.align_words += len(words)
        return {id(w): t for w, t in zip(words, times, strict=True)}

    def _pause_map(self) -> PauseMap:
        """Frame energies of the audio kept (``_trim`` bounds it): the words a window rules on, those said just
        before it and those ruled on in the last seconds all lie in it."""
        if self._t0 is None:
            return PauseMap(np.zeros(0, np.float32), 0.0)  # no audio: no pauses, every edge keeps its pad
        return PauseMap(self._audio, self._t0)

    def _busy_bound(self) -> float:
        """How long the next recognition may take: 1.5x the last one, at least the slowest of the recent ones."""
        if self._fixed_busy is not None:
            return self._fixed_busy
        return max(1.5 * self._last_busy, max(self._busy_recent, default=0.0))

    def _disputed(self, words: Sequence[Word]) -> Word | None:
        """The first word heard where an earlier window heard digits of a held tail, without any digit now.

        Two hearings that disagree about digits past the watermark are not evidence that there were none: a
        window that drops the end of a number ("192 168 0 [42]") hears the next words over it. Treated like a
        stretched word: from there nothing is final, and at the deadline it is bleeped as unchecked."""
        for a, b in self._held_digits:
            if b > self._ruled and not _digits_heard(words, a, b):
                return next((w for w in words if w.start < b and w.end > a), None)
        return None

    def _dropped(self, words: Sequence[Word], pauses: PauseMap) -> float | None:
        """Where speech no word was heard in begins, past the watermark and before a word heard after it:
        more than ``_UNHEARD_SLACK_S`` of audio that is not quiet between the watermark (or a word's end) and
        the next word's start."""
        if not words:
            return None
        heard_to = self._ruled
        for w in sorted(words, key=lambda w: w.start):
            if w.end <= self._ruled:
                continue
            if w.start - heard_to > _UNHEARD_SLACK_S and pauses.speech_s(heard_to, w.start) > _UNHEARD_SLACK_S:
                return heard_to
            heard_to = max(heard_to, w.end)
        return None

    def _stretched(self, words: Sequence[Word], pauses: PauseMap) -> Word | None:
        """The first word, past the watermark, laid over more speech than saying it can take (``_longest``)."""
        for w in words:
            if w.end > self._ruled and pauses.speech_s(max(w.start, self._ruled), w.end) > _longest(w.text):
                return w
        return None

    def _provisional(
        self,
        tail: list[Word],
        until: float | None = None,
        *,
        unchecked: bool = False,
        pauses: PauseMap | None = None,
        kind: PiiKind | None = None,
    ) -> SpeechRedaction | None:
        """A bleep over a tail that could still be PII. It never reaches back over audio already ruled on
        (``ruled_until``): that audio was heard, found harmless and maybe played. Whisper's time for the
        first word of a window often swallows words it dropped before it ("they can ring me at 714" heard
        as "714" from 0.5 s too early); the earlier hearing, which placed the watermark, knew better.
        Found PII (final words the finder flags) may still reach back.

        With ``pauses``, its start is pulled in to a pause right before the tail, as a found span's is
        (``PauseMap.tighten``): the pad is for Whisper's error, and where the speaker paused before "192" the
        pause says where it starts; without it, the end of "moved to" or "addresses" is bleeped. The end
        stays: what follows the tail has not been heard yet. Unchecked speech keeps the whole pad (its words'
        times are what is in doubt)."""
        from privastream_desktop.pii.recognizers import PiiKind

        normed = tuple(_norm(w.text) for w in tail)
        if unchecked:
            kind = PiiKind.SECRET
        elif kind is None:  # else known from what announced the tail (a seed phrase being read)
            if any(_numberish(w.text) for w in tail):
                kind = PiiKind.DIGITS
            elif any(term[: len(normed)] == normed[-len(term) :] for term in self._term_words):
                kind = PiiKind.TERM
            else:
                kind = PiiKind.EMAIL
        end = tail[-1].end + self.pad if until is None else min(tail[-1].end + self.pad, until)
        start = tail[0].start - self.pad
        if pauses is not None and not unchecked:
            start = pauses.tighten(SpeechRedaction(kind, start, tail[-1].end + self.pad, ""), self.pad).t_from
        start = max(start, self._ruled)
        label = "[UNCHECKED]" if unchecked else label_for(kind)
        return SpeechRedaction(kind, start, end, label) if end > start else None

    def _at_risk(self, before: list[Word], forced: list[Word], after: list[Word]) -> list[Word]:
        """Of the non-final words ``forced`` to be ruled on at the deadline, the span of those that are or could
        become PII: numbers, e-mail connectors and the words beside them, a name after a number, the words after an
        announcing phrase (``_announced``), the start of a sensitive term, or anything the finder flags in the whole
        hypothesis. Empty when none is."""
        seq = before + forced + after
        lo = len(before)
        normed = [_norm(w.text) for w in seq]
        nums = [_numberish(w.text) for w in seq]
        hit = _risky_words(seq, normed, nums)
        for i in range(1, len(seq)):
            if not nums[i - 1]:
                continue
            if _address_start(seq[i].text) or normed[i] in _HEARD_FOR_DIGIT:
                hit.add(i)  # a name after a number; "206 555 ~a ~1 ~4": "a" was "oh"
            elif i < len(seq) - 1 and nums[i + 1]:
                hit.add(i)  # a word between digits not heard twice yet is most likely one of them
        for spoken in self._finder.find([w.text.strip() for w in seq]):
            hit.update(range(spoken.first_word, spoken.last_word + 1))
        for term in self._term_words:
            for i in range(len(seq)):
                k = 0
                while k < len(term) and i + k < len(seq) and normed[i + k] == term[k]:
                    k += 1
                if k and (k == len(term) or i + k == len(seq)):
                    hit.update(range(i, i + k))
        idx = sorted(i - lo for i in hit if lo <= i < lo + len(forced))
        return forced[idx[0] : idx[-1] + 1] if idx else []

    def _risky_tail(self, final_words: list[Word], rest: list[Word]) -> int | None:
        """Index of the first final word of a tail that, with the words still to come, could be PII."""
        if not final_words:
            return None
        seq = final_words + rest[:2]
        n = len(final_words)
        normed = [_norm(w.text) for w in seq]
        nums = [_numberish(w.text) for w in seq]
        marked = _risky_words(seq, normed, nums)
        risky = [i in marked for i in range(len(seq))]
        for i in range(1, len(seq) - 1):
            if normed[i] == "and" and nums[i - 1] and i + 1 >= n:
                # "and" after a number is how tiny.en hears "at" ("gamer 1 2 3 and outlook"; the sound-alike
                # chain below holds the "and"): like "at", it holds the word after it while that is not final
                # (a mail host would make it an address).
                risky[i + 1] = True
        # A house number and a name can still become an address ("123 Maple Street"): Whisper
        # capitalises names, so "12,000 damage" or "2019 this" are not held for it; a street type in the
        # next words holds it too, whatever the case ("88 birch ~roads"). Counted from the last final word:
        # what is not final yet is only a guess.
        for i in range(len(seq) - 1):
            if not nums[i] or i < n - 3 or _ends_sentence(seq[i]):
                continue
            if _address_start(seq[i + 1].text) or any(_street_word(w.text) for w in seq[i + 1 : i + 4]):
                for j in range(i, len(seq)):
                    risky[j] = True
        # The beginning of a multi-word sensitive term.
        for term in self._term_words:
            for k in range(1, len(term)):
                if k <= len(seq) and tuple(normed[len(seq) - k :]) == term[:k]:
                    for i in range(len(seq) - k, len(seq)):
                        risky[i] = True
        # A word that sounds like a digit, right after a risky one, may be one: "two o' six, fine ~fine" was
        # "two oh six five five". ("450 ~dollars" is not held.) So may a bare "-" ("818 ~-5 ~-"): a word
        # Whisper has not written yet.
        for i in range(1, len(seq)):
            risky[i] = risky[i] or (risky[i - 1] and (normed[i] in _SOUNDS_LIKE_DIGIT or not normed[i]))
        # The tail must reach the last final word and the first word after it: "555 ~so ~text" is not held,
        # "1 ,2 ~,3 ~maples" is (the second word not final is as much a guess as the first).
        end = min(n, len(seq) - 1)
        if not risky[end]:
            return None
        i = end
        while i > 0 and risky[i - 1]:
            i -= 1
        # A number said digit by digit survives a few misheard words ("1 I do not 1 6 8" was "192.168"): the
        # tail reaches back over up to 3 of them to the digits before, as the finder's broken runs do.
        from privastream_desktop.pii.spoken import _STRAY_MAX

        while nums[i]:
            k = i - 1
            while k >= 0 and i - k <= _STRAY_MAX and not nums[k] and not _ends_sentence(seq[k]):
                k -= 1
            if k < 0 or not nums[k]:
                break
            i = k
            while i > 0 and nums[i - 1]:
                i -= 1
        return i if i < n else None

    def _advance(
        self,
        to: float,
        new: list[SpeechRedaction],
        final_words: list[Word] | None = None,
        window_start: float | None = None,
    ) -> None:
        with self._lock:
            if new:
                self._redactions = _merge(self._redactions + new)
            if to > self._ruled:
                self._ruled = to
            if final_words:
                # Re-heard words replace the earlier hearing of everything the window covered.
                cut = window_start if window_start is not None else final_words[0].start
                self._heard = [w for w in self._heard if w.end <= cut + 0.1] + list(final_words)
                del self._heard[: max(0, len(self._heard) - self._heard_max)]

    def transcript(self) -> list[tuple[float, str]]:
        """Recent (time, text with PII replaced by labels) lines, one per utterance; in memory only."""
        with self._lock:
            heard = [w for w in self._heard if w.start < self._ruled]
            redactions = list(self._redactions)
        lines: list[list[Word]] = []
        for w in heard:
            if lines and w.start - lines[-1][-1].end < 1.0:
                lines[-1].append(w)
            else:
                lines.append([w])
        return [(line[0].start, redacted_text(line, redactions)) for line in lines[-self._lines_max :]]

    def _trim(self) -> None:
        """Forget audio and verdicts nothing can need any more (bounded memory on long streams)."""
        assert self._t0 is not None
        keep_from = min(self._ruled - self.context_s - 1.0, self._now() - self.max_window_s)
        if keep_from - self._t0 < 5.0:
            return
        chunks = int((keep_from - self._t0) * RATE) // VoiceActivity.chunk
        drop = chunks * VoiceActivity.chunk
        self._audio = self._audio[drop:]
        self._probs = self._probs[chunks:]
        self._t0 += drop / RATE
        with self._lock:
            horizon = self._ruled - 60.0
            self._redactions = [r for r in self._redactions if r.t_to > horizon]
