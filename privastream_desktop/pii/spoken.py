"""PII in speech transcripts: spoken forms to written ones, then the shared `PiiRecognizer`, then back to words.

Whisper gives words ("My", " number", " is", " five", " five", " five,", ...) or, just as often, its own written
digits ("555-1234"). People say "five five five", "oh" for zero, "double seven", "jane dot doe at gmail dot
com", "plus one", "one two three main street". We rewrite the word list into written text ("5551234",
"jane.doe@gmail.com", "+1 ...", "123 main street") while remembering which word produced every character, run
the same recognizer as the on-screen text, and map each match back to a range of word indices; the caller turns
word indices into times (`words[first].start - pad .. words[last].end + pad`).

Speech-only rules on top of the recognizer:
- DIGITS: any run of 7 or more spoken or written digits (Whisper mangles long numbers, so a card or phone
  number may not survive as a valid one). Quantities are not digit runs: "twelve thousand", "a million",
  "1,000,000", decimals, times ("10:30") and years ("twenty nineteen" is 4 digits) stay readable.
- SECRET: "my password is X", "the pin is X", "passcode: X", "security code is X": the words after the label,
  up to the end of the sentence or 4 words.
- Labelled numbers: "the card number is X", "my number is X", "my social is X": the words after the label, up
  to the end of the sentence or 6 words, whatever Whisper heard ("for when when what" was "four one one one").
- The user's sensitive terms, OCR/ASR-tolerant, come from the recognizer's TERM kind.
- Whisper's own damage to spoken digits and street names (tiny.en on robotic voices): a digit string said one
  digit at a time and broken by a few stray words ("1, i do not 1, 6, 8, 0, not 4, 2" for "one nine two dot one
  six eight ...") is still a DIGITS run; a house number and a name followed by a word one letter away from a
  long street type ("123 maples treat") is an ADDRESS.
- A seed phrase's numbered words count up: numbers before words that do not ("12 damage ... 19 this ... 9 tonight")
  are counts, not the recognizer's numbered seed-grid row; and no word of it comes 3 times (a recognition loop).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from privastream_desktop.pii.recognizers import PiiKind, PiiRecognizer

__all__ = ["NormalisedSpeech", "SpokenPii", "SpokenPiiFinder", "normalise_words", "open_secret_value"]


@dataclass(frozen=True, slots=True)
class SpokenPii:
    """PII said in `words[first_word..last_word]` (inclusive); `text` is its written form, for the transcript."""

    kind: PiiKind
    first_word: int
    last_word: int
    text: str


@dataclass(frozen=True, slots=True)
class NormalisedSpeech:
    """Written form of a word list plus, for every character, the (first, last) word it came from (None: a space)."""

    text: str
    owners: tuple[tuple[int, int] | None, ...]

    def words_of(self, start: int, end: int) -> tuple[int, int] | None:
        """Word range covering the characters [start, end), or None if they are only spaces."""
        spans = [o for o in self.owners[start:end] if o is not None]
        if not spans:
            return None
        return min(s for s, _ in spans), max(e for _, e in spans)

    def chars_of(self, first: int, last: int) -> tuple[int, int]:
        """Character span [start, end) of the written form of words first..last."""
        hits = [i for i, o in enumerate(self.owners) if o is not None and o[1] >= first and o[0] <= last]
        return (hits[0], hits[-1] + 1) if hits else (0, 0)


# ---------------------------------------------------------------------------------------------------------------
# number words

_DIGIT_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
}  # fmt: skip
_TEENS = {
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19,
}  # fmt: skip
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
_SCALES = {"thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}
_REPEAT = {"double": 2, "triple": 3}
_ZERO_LETTERS = {"oh", "o"}
_DASHES = {"dash", "hyphen"}
_JOINERS = {"dash": "-", "hyphen": "-", "underscore": "_", "dot": "."}  # said between the characters of a name
_DIGIT_RUN_MIN = 7

# written numerals Whisper emits: "555-1234", "4111", "(415)", "+1"; not times, decimals, prices or "1,000"
# Whisper also splits "555-1234" into the words "555" and "-1234"
_WRITTEN_RUN = re.compile(r"^[+(\-]?\d[\d()\-]*$")
_SENTENCE_END = frozenset(".!?")
_PUNCT = "\"'“”‘’«»()[]{}<>,.;:!?…"


def _spoken_number(word: str) -> bool:
    return word in _DIGIT_WORDS or word in _TEENS or word in _TENS or word == "hundred" or word in _SCALES


@dataclass(slots=True)
class _Word:
    index: int
    core: str  # without surrounding punctuation, case kept
    low: str
    trail: str  # trailing punctuation
    says_is: bool = False  # "password's": the label carries its "is"

    @property
    def ends_sentence(self) -> bool:
        return any(c in _SENTENCE_END for c in self.trail)


def _split(index: int, raw: str) -> _Word:
    text = raw.strip()
    core = text.strip(_PUNCT)
    if core[:1] == "-" and core[1:].isalpha():
        core = core[1:]  # "21 -seater lane": Whisper's "21-Seater" split in two; a number keeps its dash
    trail = text[len(text.rstrip(_PUNCT)) :] if core else ""
    says_is = False
    if core.lower().endswith(("'s", "’s")) and core[:-2].lower() in _SECRET_LABELS | {"code", "key", "phrase"}:
        core, says_is = core[:-2], True  # "password's" -> "password" + "is"
    return _Word(index, core, core.lower(), trail, says_is)


def _units(words: Sequence[str]) -> list[_Word]:
    """Words split from their punctuation; Whisper's hyphenated numbers ("twenty-three", "five-five-five") become
    one unit per number word, all pointing at the same word index, and a dot Whisper put in front of digits after
    digits (".168" in "192 .168") a "." unit of that word."""
    out = []
    for i, raw in enumerate(words):
        w = _split(i, raw)
        if raw.strip().startswith(".") and w.core.isdigit() and out and out[-1].core.isdigit() and not out[-1].trail:
            # tiny.en writes "ten dot zero dot zero dot fifteen" as "10 .0 .0 .15": the dot is a unit of its own,
            # inside the number run ("192 .168. 0. 42." stays one run of nine digits)
            out.append(_Word(i, ".", ".", ""))
        parts = w.low.split("-")
        if len(parts) > 1 and all(_spoken_number(p) or p in _ZERO_LETTERS for p in parts):
            out.extend(_Word(i, p, p, "") for p in parts[:-1])
            out.append(_Word(i, parts[-1], parts[-1], w.trail))
        elif w.core or w.trail:
            out.append(w)
    return out


class _Builder:
    """Accumulates written text and, per character, the word range it came from."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.owners: list[tuple[int, int] | None] = []
        self.glue_next = False

    def add(self, text: str, first: int, last: int, glue: bool = False) -> None:
        if not text:
            return
        if self.parts and not glue and not self.glue_next:
            self.parts.append(" ")
            self.owners.append(None)
        self.glue_next = False
        self.parts.append(text)
        self.owners.extend([(first, last)] * len(text))

    def last_is_wordish(self) -> bool:
        return bool(self.parts) and self.parts[-1][-1:].isalnum()

    def build(self) -> NormalisedSpeech:
        return NormalisedSpeech("".join(self.parts), tuple(self.owners))


# ---------------------------------------------------------------------------------------------------------------
# the normaliser


def _run_end(words: list[_Word], i: int) -> int:
    """Index after the number run starting at i (0 if none starts there): number words, written numerals,
    "double"/"triple", "oh" between digits, "dash" between numbers, "and" inside "one hundred and five"."""
    j = i
    n = len(words)
    if j < n and words[j].low == "plus" and j + 1 < n and (_starts_number(words[j + 1])):
        j += 1
    while j < n:
        w = words[j]
        nxt = words[j + 1] if j + 1 < n else None
        if (
            _starts_number(w)
            or (w.low in _REPEAT and nxt is not None and (nxt.low in _DIGIT_WORDS or nxt.low in _ZERO_LETTERS))
            or (j > i and w.low in _ZERO_LETTERS and nxt is not None and _starts_number(nxt))
            or (j > i and w.low in _ZERO_LETTERS and nxt is None)
        ):
            j += 1
        elif j > i and w.low in _DASHES | {"and", "."} and nxt is not None and _starts_number(nxt):
            if w.low == "and" and words[j - 1].low not in ("hundred", *_SCALES):
                break
            j += 1
        else:
            break
        if words[j - 1].ends_sentence and not _dotted_group(words, j - 1):
            break
    return j if j > i and any(_starts_number(w) for w in words[i:j]) else i


def _dotted_group(words: list[_Word], k: int) -> bool:
    """Written digits ending in a bare "." with written digits next: tiny.en's "192. 168. 0. 42." for an IP
    address said "one nine two dot one six eight ...". A group of an address, not the end of a sentence."""
    w = words[k]
    return w.trail == "." and w.core.isdigit() and k + 1 < len(words) and words[k + 1].core.isdigit()


def _starts_number(w: _Word) -> bool:
    return _spoken_number(w.low) or bool(_WRITTEN_RUN.match(w.core))


def _emit_run(words: list[_Word], out: _Builder) -> bool:
    """Write one number run; returns True if it is a quantity ("twelve thousand") rather than a digit string."""
    quantity = False
    first_piece = True
    prev_spoken = False
    k = 0
    n = len(words)
    glue_next = False
    while k < n:
        w = words[k]
        low = w.low
        if low == "plus":
            out.add("+", w.index, w.index, glue=not first_piece)
            first_piece, glue_next = False, True
            k += 1
            continue
        if low in _DASHES or low == ".":
            out.add("-" if low in _DASHES else ".", w.index, w.index, glue=True)
            glue_next = True
            k += 1
            continue
        if low == "and":
            k += 1
            continue
        if _WRITTEN_RUN.match(w.core) and k + 1 < n and words[k + 1].low in _SCALES and w.core.isdigit():
            # "12 million": a quantity
            out.add(str(int(w.core) * _SCALES[words[k + 1].low]), w.index, words[k + 1].index, glue=not first_piece)
            quantity, prev_spoken, first_piece, glue_next = True, True, False, False
            k += 2
            continue
        if _WRITTEN_RUN.match(w.core):
            # written numerals stay apart from each other ("4111 1111"), glue to spoken digits
            glue = (not first_piece) and (prev_spoken or glue_next or w.core.startswith("-"))
            out.add(w.core, w.index, w.index, glue=glue)
            prev_spoken, first_piece, glue_next = False, False, False
            k += 1
            continue
        if low in _REPEAT:
            digit = words[k + 1].low
            value = "0" if digit in _ZERO_LETTERS else str(_DIGIT_WORDS[digit])
            text, used = value * _REPEAT[low], 2
        elif low in _ZERO_LETTERS:
            text, used = "0", 1
        else:
            value, used, is_quantity = _compound(words, k)
            quantity |= is_quantity
            text = str(value)
        first, last = words[k].index, words[k + used - 1].index
        out.add(text, first, last, glue=not first_piece)  # spoken digits and groups concatenate: "5551234"
        prev_spoken, first_piece, glue_next = True, False, False
        k += used
    return quantity


def _small(words: list[_Word], k: int) -> tuple[int, int] | None:
    """0-99 from "seven", "seventeen", "seventy", "seventy seven" -> (value, words used)."""
    if k >= len(words):
        return None
    low = words[k].low
    if low in _TENS:
        nxt = words[k + 1].low if k + 1 < len(words) else ""
        if nxt in _DIGIT_WORDS and nxt != "zero":
            return _TENS[low] + _DIGIT_WORDS[nxt], 2
        return _TENS[low], 1
    if low in _TEENS:
        return _TEENS[low], 1
    if low in _DIGIT_WORDS:
        return _DIGIT_WORDS[low], 1
    return None


def _below_thousand(words: list[_Word], k: int) -> tuple[int, int] | None:
    """0-999 from "seven", "twenty three", "one hundred and five", a bare "hundred" -> (value, words used)."""
    start = k
    small = _small(words, k)
    if small is not None:
        value, k = small[0], k + small[1]
    elif k < len(words) and words[k].low == "hundred":
        value = 1
    else:
        return None
    if k < len(words) and words[k].low == "hundred" and value < 10:
        value *= 100
        k += 1
        if k + 1 < len(words) and words[k].low == "and" and _small(words, k + 1):
            k += 1
        rest = _small(words, k)
        if rest is not None:
            value += rest[0]
            k += rest[1]
    return value, k - start


def _compound(words: list[_Word], k: int) -> tuple[int, int, bool]:
    """A spoken number group: "five", "twenty three", "one hundred and five", "two thousand and nineteen".

    Returns (value, words used, is_quantity): a group with "thousand"/"million"/"billion" is a quantity.
    """
    start = k
    head = _below_thousand(words, k)
    value, k = (head[0], k + head[1]) if head else (1, k)  # a bare "thousand"
    if k < len(words) and words[k].low in _SCALES:
        value *= _SCALES[words[k].low]
        k += 1
        if k + 1 < len(words) and words[k].low == "and" and _below_thousand(words, k + 1):
            k += 1
        rest = _below_thousand(words, k)
        if rest is not None:
            value += rest[0]
            k += rest[1]
        return value, k - start, True
    return value, max(k - start, 1), False


def normalise_words(words: Sequence[str]) -> tuple[NormalisedSpeech, list[tuple[int, int]]]:
    """Written form of a Whisper word list, and the word ranges of digit runs (>= 7 digits, not quantities)."""
    ws = _units(words)
    out = _Builder()
    digit_runs: list[tuple[int, int]] = []
    i = 0
    n = len(ws)
    while i < n:
        w = ws[i]
        if not w.core:
            i += 1
            continue
        j = _run_end(ws, i)
        if j > i:
            before = len(out.owners)
            quantity = _emit_run(ws[i:j], out)
            written = "".join(out.parts)[before:]
            grouped = any(re.fullmatch(r"\d{1,3}(?:,\d{3})+", x.core) for x in ws[i:j])
            if not quantity and not grouped and sum(c.isdigit() for c in written) >= _DIGIT_RUN_MIN:
                digit_runs.append((ws[i].index, ws[j - 1].index))
            _trail(out, ws[j - 1])
            i = j
            continue
        nxt = ws[i + 1] if i + 1 < n else None
        low = w.low
        if low == "dot" and out.last_is_wordish() and nxt is not None and nxt.core[:1].isalnum() and not _ended(ws, i):
            out.add(".", w.index, w.index, glue=True)
            out.glue_next = True
        elif (
            low in ("underscore", *_DASHES)
            and out.last_is_wordish()
            and nxt is not None
            and nxt.core[:1].isalnum()
            and not _ended(ws, i)
            and (low == "underscore" or _spelled(ws[i - 1]) or _spelled(nxt) or _email_at_ahead(ws, i + 1))
        ):
            # "jane dash doe at gmail dot com", "s k dash live": a dash inside a name; elsewhere "dash" is a word
            out.add(_JOINERS[low], w.index, w.index, glue=True)
            out.glue_next = True
        elif (g := _spelled_end(ws, i)) > i:
            # "j o h n at gmail dot com", "x y z 1 2 3": characters read one at a time are one word
            for u in ws[i:g]:
                text = _JOINERS.get(u.low) or (str(_DIGIT_WORDS[u.low]) if u.low in _DIGIT_WORDS else u.core)
                out.add(text, u.index, u.index, glue=u is not w)
            _trail(out, ws[g - 1])
            i = g
            continue
        elif low == "at" and out.last_is_wordish() and not _ended(ws, i) and _domain_ahead(ws, i + 1):
            out.add("@", w.index, w.index, glue=True)
            out.glue_next = True
        elif low == "at" and nxt is not None and nxt.low in ("sign", "symbol") and _domain_ahead(ws, i + 2):
            out.add("@", w.index, nxt.index, glue=True)
            out.glue_next = True
            i += 1
        else:
            out.add(w.core, w.index, w.index)
        _trail(out, ws[i])
        i += 1
    return out.build(), digit_runs


def _spelled_end(ws: list[_Word], i: int) -> int:
    """Index after the characters read one at a time from ``ws[i]`` ("j o h n", "a b c 1 2 3", "x, y, z"), or i:
    at least two letters, not only "I" and "a" ("so I a"), joined by commas or a dash but no sentence end."""
    j = i
    while j < len(ws) and (_one_char(ws[j]) or ws[j].core.isdigit()) and not (j > i and ws[j - 1].ends_sentence):
        j += 1
        if j + 1 < len(ws) and ws[j].low in _JOINERS and not ws[j - 1].trail and _one_char(ws[j + 1]):
            j += 1  # "a dash b"
    letters = [u.low for u in ws[i:j] if len(u.core) == 1 and u.core.isalpha()]
    return j if len(letters) >= 2 and not set(letters) <= {"i", "a"} and ws[i].core.isalpha() else i


def _email_at_ahead(ws: list[_Word], k: int) -> bool:
    """An e-mail's "at" within the next few words ("jane dash doe at gmail dot com")."""
    for m in range(k, min(len(ws), k + 4)):
        if ws[m].low == "at" and _domain_ahead(ws, m + 1):
            return True
        if ws[m].trail:
            return False
    return False


def _ended(ws: list[_Word], i: int) -> bool:
    """True if the word before i closed a sentence or a clause (no email spans "com. At")."""
    return i > 0 and bool(ws[i - 1].trail)


def _trail(out: _Builder, w: _Word) -> None:
    """Keep sentence punctuation (it separates things for the recognizers), drop the rest."""
    punct = "".join(c for c in w.trail if c in ".!?,;:")
    if punct:
        out.add(punct[:1], w.index, w.index, glue=True)


def _domain_ahead(ws: list[_Word], k: int) -> bool:
    """ "gmail dot com", "gmail.com", "mail dot co dot uk": what follows an "at" that makes it an "@".

    Not when the dotted words are themselves followed by another "at": in "hit me up at jane dot doe at gmail
    dot com" only the second "at" is the "@".
    """
    if k >= len(ws) or not ws[k].core[:1].isalnum():
        return False
    if re.fullmatch(r"[\w-]+(?:\.[\w-]+)+", ws[k].core):
        end = k + 1
    elif k + 2 < len(ws) and ws[k + 1].low == "dot" and not ws[k].trail and ws[k + 2].core[:1].isalpha():
        end = k + 3
        while end + 1 < len(ws) and ws[end].low == "dot" and not ws[end - 1].trail:
            end += 2
    else:
        return False
    return not (end < len(ws) and ws[end].low == "at" and not ws[end - 1].trail and _domain_ahead(ws, end + 1))


# ---------------------------------------------------------------------------------------------------------------
# "my password is X"

_SECRET_LABELS = frozenset({"password", "passcode", "passphrase", "passwd", "pin", "pincode", "cvv", "cvc", "csc"})
# Whisper writes "password" as two words when the speaker lingers on it ("my pass word is ...").
_PASS_HALVES = frozenset({"word", "code", "phrase"})
# "my stream key is ...", "the API key is ...": a streamer's stream key lets anyone go live on their channel.
_KEY_QUALIFIERS = frozenset(
    {"stream", "api", "secret", "private", "license", "licence", "product", "access", "recovery", "auth",
     "activation", "wallet", "encryption"}
)  # fmt: skip
# A wallet's seed phrase is 12 to 24 words read one after another, often with commas between them.
_PHRASE_QUALIFIERS = frozenset({"seed", "recovery", "secret", "backup", "mnemonic", "wallet"})
_PHRASE_MAX_WORDS = 24
_CODE_QUALIFIERS = frozenset(
    {"pin", "security", "verification", "access", "door", "gate", "alarm", "safe", "entry", "login", "otp", "2fa",
     "unlock", "confirmation", "authentication", "auth", "sms", "backup", "recovery"}
)  # fmt: skip
_LINKS = frozenset({"is", "was", "are", "be", "equals"})
_SECRET_MAX_WORDS = 4
# "the password is incorrect / in the vault / written down": talk about a password, not the password itself
_NOT_SECRET_START = frozenset(
    {"not", "incorrect", "wrong", "invalid", "too", "required", "correct", "weak", "strong", "expired", "the", "a",
     "empty", "missing", "something", "secret", "private", "changed", "different", "same", "saved", "long", "short",
     "in", "on", "at", "under", "inside", "stored", "written", "somewhere", "what", "gonna", "going", "really",
     "very", "so", "just", "hard", "easy", "this", "that", "it", "also", "still", "being", "only", "case",
     "sensitive", "protected", "hidden", "safe", "needed", "reset", "expiring", "there", "here", "for", "to"}
)  # fmt: skip
_FILLERS = frozenset({"um", "uh", "erm", "er", "ah", "hmm", "like", "well", "basically", "literally"})
_STOP_BEFORE = frozenset({"and", "but", "so", "because", "or", "then", "okay", "ok", "right"})


def _label_end(ws: list[_Word], i: int) -> tuple[int, str]:
    """Index after a secret label starting at i ("password", "pass word", "pin code", "security code", "stream
    key", "seed phrase"), or i if none; and what it announces (``_ANNOUNCED``): a secret, a key or a phrase."""
    low = ws[i].low
    nxt = ws[i + 1].low if i + 1 < len(ws) else ""
    joined = not ws[i].trail
    if low == "pass" and nxt in _PASS_HALVES and joined:
        return i + 2, "secret"
    if low in _SECRET_LABELS:
        return (i + 2 if nxt in ("code", "number") and joined else i + 1), "secret"
    if low in _CODE_QUALIFIERS and nxt == "code" and joined:
        return i + 2, "secret"
    if low in _KEY_QUALIFIERS and nxt in ("key", "token") and joined:
        return i + 2, "key"
    if low in _PHRASE_QUALIFIERS and nxt in ("phrase", "phrases", "words") and joined:
        return i + 2, "phrase"
    if low in ("one", "two") and nxt in ("time", "factor") and i + 2 < len(ws) and ws[i + 2].low == "code":
        return i + 3, "secret"
    return i, ""


# What a label announces: (most words, which comma ends it, kind). A password is a few words, and a comma ends
# it; a key read aloud is long and Whisper garbles its joiners into words ("live on the score 4 4 7" for "live
# underscore 447"), so only a comma after a piece of code ends it ("k q z, let me reset that"); a seed phrase is
# 12 to 24 words with pauses between them.
_ANNOUNCED = {
    "secret": (_SECRET_MAX_WORDS, "any", PiiKind.SECRET),
    "key": (12, "after code", PiiKind.SECRET),
    "phrase": (_PHRASE_MAX_WORDS, "none", PiiKind.SEED_PHRASE),
}


def _spoken_secrets(ws: list[_Word]) -> list[tuple[int, int, PiiKind]]:
    found = []
    for i in range(len(ws)):
        j, label = _label_end(ws, i)
        if j == i or j >= len(ws):
            continue
        label_last = ws[j - 1]
        if label_last.ends_sentence:
            continue
        # "my seed phrases, river, ...": Whisper's "phrase is" said with a pause
        says_is = label_last.says_is or (label_last.low == "phrases" and label_last.trail == ",")
        if ":" not in label_last.trail and not says_is:
            if ws[j].low not in _LINKS or ws[j].ends_sentence:
                continue
            j += 1
        most, comma, kind = _ANNOUNCED[label]
        value = _value_after(
            ws,
            j,
            _NOT_SECRET_START,
            most,
            comma_ends=comma == "any",
            spelled_as_one=True,
            code_comma=comma == "after code",
        )
        if value is not None:
            found.append((*value, kind))
    return found


def open_secret_value(words: Sequence[str]) -> tuple[int, PiiKind] | None:
    """Index of the first word of a secret announced in ``words`` ("my seed phrase is apple, banana, ...") whose
    value runs to the last word, so may go on in words not heard yet, and its kind; None if there is none. The
    live guard reads back to it: a seed phrase or a key read character by character outlasts its usual context."""
    units = _units(words)
    if not units or units[-1].ends_sentence:
        return None
    last = units[-1].index
    return next(((a, kind) for a, b, kind in reversed(_spoken_secrets(units)) if b == last), None)


def _value_after(
    ws: list[_Word],
    j: int,
    not_start: frozenset[str],
    max_words: int,
    *,
    comma_ends: bool,
    whole_digits: int | None = None,
    spelled_as_one: bool = False,
    code_comma: bool = False,
) -> tuple[int, int] | None:
    """Word range of what a label announces, from ``ws[j]`` (just after its "is"): fillers skipped ("the password
    is, um, hunter two"), nothing when it opens like talk about the thing (``not_start``), then up to the end of
    the sentence (or a comma), a joining word ("and", "so") or ``max_words``. With ``whole_digits``, a comma
    after that many digits ends it too: "9098812247, just say I sent you" is a whole phone number and talk.
    With ``spelled_as_one``, characters read one at a time ("2, 2, 7, 1, 9, 0", "x y z 1 2 3", "s k dash live")
    count as one word and the commas between them end nothing: a code is read that way. With ``code_comma``, a
    comma after a piece of code (``_codeish``) ends it, and no other comma does."""
    while j < len(ws) and ws[j].low in _FILLERS and not ws[j].ends_sentence:
        j += 1
    if j >= len(ws) or (ws[j].low in not_start and _spelled_end(ws, j) == j):  # "A B C 1 2 3" is no article
        return None
    k = j
    digits = said = 0
    run = _spelled_run(ws, j)  # characters read one at a time right before ws[k]
    while k < len(ws) and ws[k].low not in _STOP_BEFORE:
        spelled = _spelled(ws[k])
        if not (spelled_as_one and k > j and spelled and run):  # not a character going on with the ones before
            after_code = k > j and ws[k - 1].low not in _JOINERS and run >= 3  # "s k dash live" goes on
            if said == max_words or (spelled_as_one and not spelled and after_code):
                break  # the cap, or talk after a code read out ("2, 2, 7, 1, 9, 0 is my ...")
            said += 1
        run = run + 1 if spelled else 0
        k += 1
        digits += _digits_said(ws[k - 1])
        one_char_next = spelled_as_one and k < len(ws) and _one_char(ws[k - 1]) and _one_char(ws[k])
        if ws[k - 1].ends_sentence or (comma_ends and "," in ws[k - 1].trail and not one_char_next):
            break
        if code_comma and "," in ws[k - 1].trail and _codeish(ws[k - 1]) and not one_char_next:
            break
        if whole_digits is not None and digits >= whole_digits and "," in ws[k - 1].trail:
            break
    return (ws[j].index, ws[k - 1].index) if k > j else None


def _spelled_run(ws: list[_Word], k: int) -> int:
    """How many characters were read one at a time right before ``ws[k]``."""
    n = 0
    while k - n - 1 >= 0 and _spelled(ws[k - n - 1]):
        n += 1
    return n


def _codeish(w: _Word) -> bool:
    """A piece of a key rather than a word: a digit in it, one character, or letters with no vowel ("kqz")."""
    return any(c.isdigit() for c in w.core) or len(w.core) == 1 or (w.low.isalpha() and not set(w.low) & set("aeiouy"))


def _one_char(w: _Word) -> bool:
    """A character read on its own: "x", "7", "seven", "oh"."""
    return (len(w.core) == 1 and w.core.isalnum()) or w.low in _DIGIT_WORDS or w.low in _ZERO_LETTERS


def _spelled(w: _Word) -> bool:
    """Part of something read character by character: one character, a written number (Whisper's "-2" and
    "(415)" too, and a bare "-", a digit it has not written yet), or a joiner said as a word ("dash",
    "underscore", "dot")."""
    return _one_char(w) or bool(_WRITTEN_RUN.match(w.core)) or w.core == "-" or w.low in _JOINERS


def _digits_said(w: _Word) -> int:
    """How many digits a word says: "4471" 4, "five"/"oh" 1, "twenty"/"twelve" 2."""
    if any(c.isdigit() for c in w.core):
        return sum(c.isdigit() for c in w.core)
    if w.low in _DIGIT_WORDS or w.low in _ZERO_LETTERS:
        return 1
    return 2 if w.low in _TEENS or w.low in _TENS else 0


# ---------------------------------------------------------------------------------------------------------------
# "the card number is X"

# Label words before "number" and the kind of number they announce; "my/his/... number" is a phone number.
_NUMBER_LABELS = {
    "card": PiiKind.CARD, "credit": PiiKind.CARD, "debit": PiiKind.CARD,
    "phone": PiiKind.PHONE, "cell": PiiKind.PHONE, "mobile": PiiKind.PHONE, "telephone": PiiKind.PHONE,
    "cellphone": PiiKind.PHONE, "contact": PiiKind.PHONE, "whatsapp": PiiKind.PHONE, "my": PiiKind.PHONE,
    "his": PiiKind.PHONE, "her": PiiKind.PHONE, "their": PiiKind.PHONE, "our": PiiKind.PHONE,
    "security": PiiKind.NATIONAL_ID, "social": PiiKind.NATIONAL_ID, "ssn": PiiKind.NATIONAL_ID,
    "passport": PiiKind.NATIONAL_ID, "license": PiiKind.NATIONAL_ID, "licence": PiiKind.NATIONAL_ID,
    "tax": PiiKind.NATIONAL_ID, "account": PiiKind.DIGITS, "routing": PiiKind.DIGITS, "plate": PiiKind.DIGITS,
    "registration": PiiKind.DIGITS,
}  # fmt: skip
_LABELLED_MAX_WORDS = 6
# Digits that make a whole number of a kind (a phone with its area code, an SSN, a card): a comma after them ends it.
_WHOLE_DIGITS = {PiiKind.PHONE: 10, PiiKind.NATIONAL_ID: 9, PiiKind.CARD: 16}
# Words that begin talk about contact details, not the details ("my number is private", "my email is in the
# description", "it goes to the office"): read after a number's label here, and after a phrase that announces
# details in the live guard (``speech_guard._NOT_ANNOUNCED``). No digit sound-alikes ("for", "to", "too", "won",
# "ate"): tiny.en hears "four one one one" as "for when when what".
NOT_DETAILS_START = frozenset(
    {"private", "secret", "hidden", "the", "a", "an", "this", "that", "it", "in", "below", "above", "there", "here",
     "what", "still", "also", "just", "really", "very", "so"}
)  # fmt: skip
# "my number is private / on the screen / not for you": talk about the number.
_NOT_NUMBER_START = NOT_DETAILS_START | frozenset(
    {"not", "unlisted", "different", "same", "new", "changed", "wrong", "right", "correct", "invalid", "expired",
     "blocked", "on", "at", "under", "only", "gonna", "going", "easy", "hard", "long", "short", "saved", "written",
     "somewhere", "off", "dead", "broken"}
)  # fmt: skip


def _labelled_numbers(ws: list[_Word]) -> list[tuple[int, int, PiiKind]]:
    """Word ranges said right after "card number is", "my number is", "social security number is", "my ssn is".

    A label says a number follows, whatever Whisper made of it: tiny.en heard a card said in a natural
    voice as "the card number is for when when what" and the rules for digits saw no digit. The words
    after the label, up to the end of the sentence, a joining word ("and", "so") or 6 words, are that
    number. Digits heard as digits are found by their own rules; this adds what was misheard.
    """
    found = []
    for j in range(1, len(ws)):
        link = ws[j]
        if link.low not in _LINKS or link.ends_sentence:
            continue
        prev, before = ws[j - 1].low, ws[j - 2].low if j >= 2 else ""
        if ws[j - 1].ends_sentence:
            continue
        if prev == "number" and before in _NUMBER_LABELS:
            kind = _NUMBER_LABELS[before]
        elif prev in ("ssn", "social") or (prev == "number" and before == "id"):
            kind = PiiKind.NATIONAL_ID
        elif prev == "code" and before == "area":
            kind = PiiKind.PHONE  # "the area code is four one five": the start of a phone number
        elif prev == "plate" and before in ("license", "licence", "number", "my", "the", "his", "her", "their"):
            kind = PiiKind.DIGITS  # "my license plate is A B C 1 2 3 4": a plate, read out
        else:
            continue
        # No comma ends it, "five five five, two one three" is one number, until it has its digits.
        value = _value_after(
            ws,
            j + 1,
            _NOT_NUMBER_START,
            _LABELLED_MAX_WORDS,
            comma_ends=False,
            whole_digits=_WHOLE_DIGITS.get(kind),
            spelled_as_one=True,
        )
        if value is not None and prev == "code":
            # an area code is part of a phone number only when the rest follows ("... and then five five five")
            last = next(k for k, w in enumerate(ws) if w.index == value[1])
            value = value if any(_starts_number(w) for w in ws[last + 1 : last + 5]) else None
        if value is not None:
            found.append((*value, kind))
    return found


# ---------------------------------------------------------------------------------------------------------------
# what Whisper did to digits and street names

_STRAY_MAX = 3  # stray words tolerated between two groups of single digits
_GROUP_MIN = 3  # at least one unbroken group this long: "2 cats and 3 dogs" is no digit string


def _single_digit(w: _Word) -> bool:
    return w.low in _DIGIT_WORDS or w.low in _ZERO_LETTERS or (len(w.core) == 1 and w.core.isdigit())


def _broken_digit_runs(ws: list[_Word]) -> list[tuple[int, int]]:
    """Word ranges of digit strings said one digit at a time and broken by up to 3 stray words.

    Groups of single digits ("1, 6, 8, 0") joined across short gaps of words that are no numbers and
    end no sentence; 7+ digits in all and one group of 3+. Multi-digit numbers ("11 to 9", "2019") never
    join: scores, years and prices are written that way, digit strings said digit by digit are not. A
    lone digit after a gap does not join either: "555 4142 between 9 and 5" is a number, then talk.
    """
    out: list[tuple[int, int]] = []
    groups: list[tuple[int, int]] = []  # (first unit, last unit) of the current chain's groups
    i, n = 0, len(ws)
    while i < n:
        if not _single_digit(ws[i]) or (
            ws[i].low in _ZERO_LETTERS and not groups and i + 1 < n and not _single_digit(ws[i + 1])
        ):
            i += 1
            continue
        j = i
        while j + 1 < n and _single_digit(ws[j + 1]) and not ws[j].ends_sentence:
            j += 1
        if groups:
            gap = ws[groups[-1][1] + 1 : i]
            if (
                j == i
                or len(gap) > _STRAY_MAX
                or ws[groups[-1][1]].ends_sentence
                or any(w.ends_sentence or _starts_number(w) for w in gap)
            ):
                _close_chain(ws, groups, out)
                groups = []
        groups.append((i, j))
        i = j + 1
    _close_chain(ws, groups, out)
    return out


def _close_chain(ws: list[_Word], groups: list[tuple[int, int]], out: list[tuple[int, int]]) -> None:
    if len(groups) < 2:
        return
    digits = sum(b - a + 1 for a, b in groups)
    if digits >= _DIGIT_RUN_MIN and max(b - a + 1 for a, b in groups) >= _GROUP_MIN:
        out.append((ws[groups[0][0]].index, ws[groups[-1][1]].index))


# long street types only: one letter away from "road" or "lane" is too many ordinary words
_FUZZY_STREET_TYPES = ("street", "avenue", "boulevard", "parkway", "highway", "terrace", "crescent", "circle")
_NAME_STOPS_TEXT = """the a an of to in on at for from by with and or my your his her our their is are was were it this
that than then more less"""
_NAME_STOPS = frozenset(_NAME_STOPS_TEXT.split())


def _misheard_streets(ws: list[_Word]) -> list[tuple[int, int]]:
    """ "123 maples treat": a house number, one or two name words, then a word one edit from a long street type
    (Whisper moved a letter across the gap, or misheard one). The exact types are the recognizer's job."""
    from rapidfuzz.distance import Levenshtein

    def near_type(prev: str, word: str) -> bool:
        if word in _FUZZY_STREET_TYPES or (word.endswith("s") and word[:-1] in _FUZZY_STREET_TYPES):
            return False  # the exact type is the recognizer's; "two streets down": a plural is no address
        joined = prev + word
        for t in _FUZZY_STREET_TYPES:
            for cut in (len(t) - 1, len(t), len(t) + 1):
                # the type may have taken or lost a letter of the name before it ("maples treat")
                if len(word) - 1 <= cut <= len(joined) - 3 and Levenshtein.distance(joined[-cut:], t) <= 1:
                    return True
        return False

    out: list[tuple[int, int]] = []
    for k, w in enumerate(ws):
        if not w.low.isalpha() or len(w.low) < 4 or k < 2 or not ws[k - 1].low.isalpha():
            continue
        if not near_type(ws[k - 1].low, w.low):
            continue
        for names in (1, 2):
            num = k - names - 1
            if num < 0 or not (ws[num].core.isdigit() or _spoken_number(ws[num].low)):
                continue
            between = ws[num + 1 : k]
            if all(x.low.isalpha() and x.low not in _NAME_STOPS and not x.trail for x in between):
                first = num
                while first > 0 and (ws[first - 1].core.isdigit() or _spoken_number(ws[first - 1].low)):
                    first -= 1
                if sum(c.isdigit() for x in ws[first : num + 1] for c in x.core) <= 5:
                    out.append((ws[first].index, w.index))
                break
    return out


# ---------------------------------------------------------------------------------------------------------------
# the finder

_NUMBERED_WORD = re.compile(r"(?<![\w.,])(\d+)[.):,]?\s+[A-Za-z]")


_SEED_REPEATS_MAX = 2


def _plausible_seed(text: str) -> bool:
    """A seed phrase match that speech can have made: its numbered words count up and no word comes 3 times.

    Read aloud from its numbered grid, a phrase counts up ("1 witch, 2 collapse, 3 practice"); numbers in front of
    words that do not ("12 damage ... 19 this game ... 9 tonight", "5 people in 5 people") are counts, and the
    recognizer's grid-row rule (three numbered list words on one OCR line) does not apply to them. Seed words are
    drawn at random from 2048: a word 3 times over is tiny.en looping ("Thank? Thank? Thank? Thank? ..."), not a
    phrase.
    """
    numbers = [int(n) for n in _NUMBERED_WORD.findall(text)]
    if not all(a < b for a, b in itertools.pairwise(numbers)):
        return False
    words = [w.lower() for w in re.findall(r"[A-Za-z]+", text)]
    return all(words.count(w) <= _SEED_REPEATS_MAX for w in set(words))


class SpokenPiiFinder:
    """PII in a Whisper word list, as word-index ranges. Reuses (and respects the kinds of) one `PiiRecognizer`."""

    def __init__(self, recognizer: PiiRecognizer) -> None:
        self.recognizer = recognizer

    def find(self, words: Sequence[str]) -> list[SpokenPii]:
        """Matches sorted by first word; overlapping ones merged (kind of the strongest)."""
        if not words:
            return []
        speech, digit_runs = normalise_words(words)
        kinds = self.recognizer.kinds
        spans: list[tuple[int, int, PiiKind, float]] = []
        for m in self.recognizer.find(speech.text):
            if m.kind == PiiKind.SEED_PHRASE and not _plausible_seed(m.text):
                continue
            rng = speech.words_of(m.start, m.end)
            if rng is not None:
                spans.append((rng[0], rng[1], m.kind, m.score))
        units = [w for w in _units(words) if w.core]
        if PiiKind.DIGITS in kinds:
            spans.extend((a, b, PiiKind.DIGITS, 0.5) for a, b in digit_runs)
            spans.extend((a, b, PiiKind.DIGITS, 0.45) for a, b in _broken_digit_runs(units))
        if PiiKind.ADDRESS in kinds:
            spans.extend((a, b, PiiKind.ADDRESS, 0.6) for a, b in _misheard_streets(units))
        spans.extend((a, b, kind, 0.85) for a, b, kind in _spoken_secrets(units) if kind in kinds)
        # Weakest: a number heard as one keeps the kind its own rule gives it; the label adds the misheard words.
        spans.extend((a, b, kind, 0.4) for a, b, kind in _labelled_numbers(units) if kind in kinds)
        return [self._pii(speech, s) for s in _merge_word_spans(spans)]

    @staticmethod
    def _pii(speech: NormalisedSpeech, span: tuple[int, int, PiiKind, float]) -> SpokenPii:
        first, last, kind, _ = span
        start, end = speech.chars_of(first, last)
        return SpokenPii(kind, first, last, speech.text[start:end].strip(" ,;:.!?"))


def _merge_word_spans(spans: list[tuple[int, int, PiiKind, float]]) -> list[tuple[int, int, PiiKind, float]]:
    """Union of overlapping word ranges; kind/score of the strongest part (then the longest)."""
    merged: list[tuple[int, int, PiiKind, float]] = []
    best_len = 0
    for first, last, kind, score in sorted(spans, key=lambda s: (s[0], -s[1])):
        if merged and first <= merged[-1][1]:
            f, lst, k, sc = merged[-1]
            if (score, last - first) > (sc, best_len):
                k, sc, best_len = kind, score, last - first
            merged[-1] = (f, max(lst, last), k, sc)
            continue
        merged.append((first, last, kind, score))
        best_len = last - first
    return merged
