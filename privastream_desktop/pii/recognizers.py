"""Written-text PII recognizers: one `PiiRecognizer.find(text)` for OCR lines and normalised transcripts.

Libraries where a library knows better than a regex (presidio-analyzer's pattern recognizers for emails,
cards, IBANs and IPs; `phonenumbers` for phone numbers; python-stdnum for national-ID checksums; the BIP-39
word list from `mnemonic`; rapidfuzz for OCR-tolerant sensitive terms), small tested rules for the rest
(street addresses, API keys, passwords, seed phrases, URL tokens).

Everything is built once in `PiiRecognizer.__init__` and `find()` only runs compiled patterns, so the OCR path
can call it for every line of every OCR'd frame. Nothing here touches the network or the disk: presidio's
email validation goes through tldextract, which by default downloads the Public Suffix List and caches it
under ~/.cache; we swap in an extractor that only uses the snapshot bundled in the wheel (see
`offline_tld_extractor`).

Deliberate choices (each one is tested):
- Overlapping matches are merged into one span (the union); its kind is the one of the strongest match.
- Version strings, dates, times, prices, scores, hex colours, UUIDs and short git hashes are not PII.
  A dotted quad that reads like an IP address is an IP address unless "v"/"version"/"build" precedes it.
  Loopback/unspecified IPs (127.0.0.1, 0.0.0.0, ::1) are not personal and stay readable; private LAN
  addresses are hidden (they still map a home network).
- URLs with a secret-looking query/fragment parameter: the whole query (from the "?" or "#") is covered,
  scheme, host and path stay readable.
- High-entropy tokens (>= 20 chars, letters and digits, random-looking rather than made of words) are
  secrets; hex runs of 20+ characters (API keys in hex, unlabelled hashes) are hidden too, except right after
  "commit"/"sha256:"/"digest" (a labelled hash is not a key). UUIDs are not hidden (request/build ids are
  everywhere in UIs; a UUID labelled "key:"/"token:" is still caught by the label rule). Short git hashes
  ("commit a1b2c3d") are far below 20 characters and never match.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Any

__all__ = ["PiiKind", "PiiMatch", "PiiRecognizer", "offline_tld_extractor"]


class PiiKind(StrEnum):
    """What a match is; the lower-case value is what settings, config files and the UI use."""

    EMAIL = "email"
    PHONE = "phone"
    CARD = "card"
    IBAN = "iban"
    NATIONAL_ID = "national_id"
    ADDRESS = "address"
    IP_ADDRESS = "ip_address"
    SECRET = "secret"  # API keys, tokens, passwords
    SEED_PHRASE = "seed_phrase"
    URL_TOKEN = "url_token"
    TERM = "term"  # the user's own sensitive terms
    DIGITS = "digits"  # speech only: a long run of spoken digits (Whisper mangles long numbers)


@dataclass(frozen=True, slots=True)
class PiiMatch:
    """One piece of PII in the text given to `PiiRecognizer.find`; `start`/`end` are char offsets (end exclusive)."""

    kind: PiiKind
    start: int
    end: int
    text: str
    score: float


# --------------------------------------------------------------------------------------------------------------
# offline tldextract


@cache
def offline_tld_extractor() -> Any:
    """A tldextract extractor that never downloads and never writes a cache (bundled suffix-list snapshot only).

    Also installed as tldextract's module-level extractor, so presidio's own `tldextract.extract` calls (anyone
    in this process using presidio's EmailRecognizer) are offline too. Built eagerly: the first lookup parses
    the snapshot (~20 ms), which belongs in construction, not in the first OCR frame.
    """
    import tldextract
    import tldextract.tldextract as tld_module

    extractor = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, fallback_to_snapshot=True)
    extractor("warm.example.com")
    tld_module.TLD_EXTRACTOR = extractor
    return extractor


# --------------------------------------------------------------------------------------------------------------
# shared helpers

_DIGIT = re.compile(r"\d")
_Finder = Callable[[str], list[PiiMatch]]


def _digits(text: str) -> int:
    return len(_DIGIT.findall(text))


def _strip_trailing_punct(text: str, start: int, end: int) -> int:
    """Sentence punctuation glued to a value ("hunter2." / "(key)") is not part of it."""
    while end > start and text[end - 1] in ".,;:!?)]}'\"":
        end -= 1
    return end


def _presidio(recognizer: Any, kind: PiiKind, min_score: float = 0.0) -> _Finder:
    """Run one presidio PatternRecognizer directly: no NLP engine, no spaCy model, regex + checksum only."""
    entities = recognizer.supported_entities

    def find(text: str) -> list[PiiMatch]:
        out = []
        for r in recognizer.analyze(text, entities, None):
            if r.score >= min_score:
                out.append(PiiMatch(kind, r.start, r.end, text[r.start : r.end], float(r.score)))
        return out

    return find


# --------------------------------------------------------------------------------------------------------------
# email, card, iban, ip (presidio)


def _email_finder() -> _Finder:
    from presidio_analyzer.predefined_recognizers import EmailRecognizer

    extractor = offline_tld_extractor()

    class _OfflineEmailRecognizer(EmailRecognizer):
        def validate_result(self, pattern_text: str) -> bool:
            return extractor(pattern_text).fqdn != ""

    inner = _presidio(_OfflineEmailRecognizer(), PiiKind.EMAIL)

    def find(text: str) -> list[PiiMatch]:
        if "@" not in text:
            return []
        return [PiiMatch(m.kind, m.start, m.end, m.text, 0.9) for m in inner(text)]

    return find


def _card_finder() -> _Finder:
    from presidio_analyzer import Pattern
    from presidio_analyzer.predefined_recognizers import CreditCardRecognizer

    patterns = [
        *CreditCardRecognizer.PATTERNS,
        # 2-series Mastercard (2221-2720), missing from presidio's pattern
        Pattern("Mastercard 2-series", r"\b(2[2-7]\d{2})[- ]?(\d{4})[- ]?(\d{4})[- ]?(\d{4})\b", 0.3),
    ]
    inner = _presidio(CreditCardRecognizer(patterns=patterns), PiiKind.CARD)

    def find(text: str) -> list[PiiMatch]:
        if _digits(text) < 13:
            return []
        out = []
        for m in inner(text):
            digits = re.sub(r"\D", "", m.text)
            # Luhn is checked by presidio; an all-same-digit run ("0000 0000 0000 0000") passes Luhn but is filler
            if 13 <= len(digits) <= 19 and len(set(digits)) > 1:
                out.append(m)
        return out

    return find


def _iban_finder() -> _Finder:
    from presidio_analyzer.predefined_recognizers import IbanRecognizer

    inner = _presidio(IbanRecognizer(), PiiKind.IBAN, min_score=0.5)
    quick = re.compile(r"[A-Za-z]{2}\s?\d{2}")

    def find(text: str) -> list[PiiMatch]:
        if _digits(text) < 10 or not quick.search(text):
            return []
        return inner(text)

    return find


_VERSION_BEFORE = re.compile(r"(?i)(?:\bv|\bver\.?|\bversion|\bbuild|\brelease|\brev\.?)\s*[:#]?\s*$")


def _ip_finder() -> _Finder:
    import ipaddress

    from presidio_analyzer.predefined_recognizers import IpRecognizer

    patterns = [p for p in IpRecognizer.PATTERNS if p.score >= 0.5]  # drop the bare "::" pattern
    inner = _presidio(IpRecognizer(patterns=patterns), PiiKind.IP_ADDRESS)

    def find(text: str) -> list[PiiMatch]:
        if text.count(".") < 3 and text.count(":") < 2:
            return []
        out = []
        for m in inner(text):
            if _VERSION_BEFORE.search(text, max(0, m.start - 12), m.start):
                continue
            try:
                ip = ipaddress.ip_interface(m.text).ip
            except ValueError:
                continue
            if ip.is_loopback or ip.is_unspecified:
                continue
            out.append(PiiMatch(m.kind, m.start, m.end, m.text, 0.85))
        return out

    return find


# --------------------------------------------------------------------------------------------------------------
# national ids (python-stdnum checksums; separators required where a bare number would collide with scores)


def _sg_nric_valid(value: str) -> bool:
    """Singapore NRIC/FIN check letter (S/T citizens & PRs, F/G foreigners)."""
    value = value.upper()
    weights = (2, 7, 6, 5, 4, 3, 2)
    total = sum(int(d) * w for d, w in zip(value[1:8], weights, strict=True))
    if value[0] in "TG":
        total += 4
    letters = "JZIHGFEDCBA" if value[0] in "ST" else "XWUTRQPNMLK"
    return letters[total % 11] == value[8]


def _national_id_finder() -> _Finder:
    from stdnum.in_ import aadhaar
    from stdnum.us import ssn

    ssn_re = re.compile(r"(?<![\d-])(\d{3})([- ])(\d{2})\2(\d{4})(?![\d-])")
    aadhaar_re = re.compile(r"(?<![\d-])[2-9]\d{3}([- ])\d{4}\1\d{4}(?![\d-])")
    nino_re = re.compile(r"\b(?!BG|GB|NK|KN|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b")
    nric_re = re.compile(r"\b[STFG]\d{7}[A-Z]\b")

    def find(text: str) -> list[PiiMatch]:
        if _digits(text) < 6:
            return []
        out = []
        for m in ssn_re.finditer(text):
            if ssn.is_valid(m.group(1) + m.group(3) + m.group(4)):
                out.append(PiiMatch(PiiKind.NATIONAL_ID, m.start(), m.end(), m.group(0), 0.85))
        for m in aadhaar_re.finditer(text):
            if aadhaar.is_valid(m.group(0)):
                out.append(PiiMatch(PiiKind.NATIONAL_ID, m.start(), m.end(), m.group(0), 0.85))
        for m in nino_re.finditer(text):
            out.append(PiiMatch(PiiKind.NATIONAL_ID, m.start(), m.end(), m.group(0), 0.8))
        for m in nric_re.finditer(text):
            if _sg_nric_valid(m.group(0)):
                out.append(PiiMatch(PiiKind.NATIONAL_ID, m.start(), m.end(), m.group(0), 0.95))
        return out

    return find


# --------------------------------------------------------------------------------------------------------------
# phone numbers (phonenumbers)


def _phone_finder(region: str) -> _Finder:
    import phonenumbers
    from phonenumbers import Leniency, PhoneNumberMatcher

    # load the region's metadata now, not on the first OCR frame (~3-7 ms)
    list(PhoneNumberMatcher("+1 415 555 2671 +44 20 7946 0958", region, leniency=Leniency.VALID))
    phonenumbers.example_number(region)

    def find(text: str) -> list[PiiMatch]:
        if _digits(text) < 7:
            return []
        out = []
        for m in PhoneNumberMatcher(text, region, leniency=Leniency.VALID):
            if m.start > 0 and text[m.start - 1] in "$€£¥#/=_":
                continue  # a price, an id in a URL path or parameter ("videos/2148573920", "?id=...")
            if m.end < len(text) and text[m.end] in "/_":
                continue
            out.append(PiiMatch(PiiKind.PHONE, m.start, m.end, m.raw_string, 0.8))
        return out

    return find


# --------------------------------------------------------------------------------------------------------------
# street addresses


# street-type words that follow the name ("123 Main Street"); common words that are also street types in the
# USPS list (Park, Point, Hill, View, Run, Green, Loop, Path, Walk...) are left out: "3 Jurassic Park"
_SUFFIX_TYPES = (
    "street|st|avenue|ave|av|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|place|pl|terrace|terr|ter|way|"
    "circle|cir|highway|hwy|parkway|pkwy|square|sq|trail|trl|crescent|cres|close|grove|gardens|gdns|alley|aly|"
    "plaza|plz|expressway|expy|freeway|fwy|pike|turnpike|tpke|causeway|cswy|mews|heights|hts|quay|wharf|"
    "esplanade|strasse|straße|str|gasse|allee|platz|weg"
)
# street-type words that come before the name ("12 rue de la Paix", "Jalan Ampang 5", "Calle Mayor 5")
_PREFIX_TYPES = "rue|avenue|boulevard|chemin|allée|impasse|calle|avenida|via|viale|piazza|rua|jalan|jln|jl|lorong|lor"
_NAME_STOP = frozenset(
    """
    the a an of to in on at for from by with and or my your his her our their is are was were be been this that
    these those down up across over into onto per x times blocks block miles mile km meters metres feet ft
    minutes min hours hour seconds sec days day years year points pts kills players people more less than then
    it its me you we they he she i so but not no all just only very hp xp level lvl wave round score gold coins
    damage
    """.split()  # noqa: SIM905
)
_NOT_BEFORE_HOUSE_NO = re.compile(r"(?i)\b(?:the|a|an|of|top|than|over|under|about|only|last|first|next|every|all)\s+$")
_NAME_WORD = r"(?:[A-Za-zÀ-ÿ][A-Za-zÀ-ÿ'.-]*|\d{1,3}(?:st|nd|rd|th))"
_HOUSE_NO = r"(?<![\w.,:/$#@-])(?:(?:blk|block|no\.?)\s*)?\d{1,6}[A-Za-z]?(?:-\d{1,4})?"

_ADDRESS_SUFFIX = re.compile(
    rf"(?i){_HOUSE_NO},?\s+(?P<name>(?:{_NAME_WORD}\s+){{1,4}}?)(?:{_SUFFIX_TYPES})\b\.?(?:\s+\d{{1,3}}\b)?"
)
_ADDRESS_PREFIX_NUMBER_FIRST = re.compile(
    rf"(?i){_HOUSE_NO},?\s+(?:{_PREFIX_TYPES})\b\.?(?P<name>(?:\s+{_NAME_WORD}){{1,5}})"
)
# type first, number last: needs capitals to stay clear of "via email 2"
_ADDRESS_PREFIX_NUMBER_LAST = re.compile(
    r"\b(?:Rue|Calle|Avenida|Via|Viale|Piazza|Rua|Jalan|Jln|Jl|Lorong)\.?(?P<name>(?:\s+(?:[A-ZÀ-Þ][\w'.-]*|de|del|"
    r"la|di|da|dos|das|do))){1,4},?\s+\d{1,5}[A-Za-z]?\b"
)
# German/Dutch/Scandinavian: compound name then the number ("Hauptstraße 12a", "Bahnhofstr. 5", "Lange Straße 3")
_ADDRESS_COMPOUND = re.compile(
    r"\b[A-ZÄÖÜ][a-zäöüß-]+(?:straße|strasse|str\.|weg|gasse|allee|platz|laan|gade|gata|vej|veien)"
    r"(?:\s+\d{1,4}[a-z]?)\b"
    r"|\b[A-ZÄÖÜ][a-zäöüß-]+\s+(?:Straße|Strasse|Str\.|Weg|Gasse|Allee|Platz)\s+\d{1,4}[a-z]?\b"
)
_ADDRESS_TAIL = (
    re.compile(r"\s+(?:N|S|E|W|NE|NW|SE|SW)\b\.?"),
    re.compile(
        r"(?i),?\s*(?:#\d{1,3}-\d{1,5}|(?:apt|apartment|unit|suite|ste|flat|floor|fl|room|rm)\.?\s*#?[\w-]{1,6})"
    ),
    re.compile(r"(?i),?\s*(?:singapore|S\(?)\s*\d{6}\)?"),
    re.compile(r",\s*[A-Z][a-zà-ÿ.'-]+(?:\s[A-Z][a-zà-ÿ.'-]+){0,2}"),  # city after a comma
    re.compile(r",?\s*[A-Z]{2}(?=[\s,]|$)"),  # state
    re.compile(r",?\s*\d{5}(?:-\d{4})?\b"),  # ZIP / PLZ
    re.compile(r",?\s*[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}\b"),  # UK postcode
)


def _address_finder() -> _Finder:
    def find(text: str) -> list[PiiMatch]:
        if not _DIGIT.search(text):
            return []
        out = []
        for pattern in (_ADDRESS_SUFFIX, _ADDRESS_PREFIX_NUMBER_FIRST, _ADDRESS_PREFIX_NUMBER_LAST, _ADDRESS_COMPOUND):
            for m in pattern.finditer(text):
                if _NOT_BEFORE_HOUSE_NO.search(text, max(0, m.start() - 8), m.start()):
                    continue  # "The 3 Little Pigs Way", "top 10 ... Road"
                name = m.groupdict().get("name")
                if name is not None and pattern is not _ADDRESS_PREFIX_NUMBER_LAST:
                    words = name.split()
                    if pattern is _ADDRESS_PREFIX_NUMBER_FIRST:
                        words = [w for w in words if w.lower() not in {"de", "la", "le", "du", "des", "del", "di"}]
                    if not words or any(w.lower().strip(".") in _NAME_STOP for w in words):
                        continue
                end = _address_tail(text, m.end())
                out.append(PiiMatch(PiiKind.ADDRESS, m.start(), end, text[m.start() : end], 0.7))
        return out

    return find


def _address_tail(text: str, end: int) -> int:
    """Extend an address over directional, unit, city, state, ZIP and postcode pieces that follow it."""
    progressed = True
    while progressed:
        progressed = False
        for piece in _ADDRESS_TAIL:
            m = piece.match(text, end)
            if m and m.end() > end:
                end = m.end()
                progressed = True
    return end


# --------------------------------------------------------------------------------------------------------------
# secrets: API keys, tokens, passwords

_TOKEN_CHARS = r"A-Za-z0-9_\-"
_KEY_PATTERNS = re.compile(
    rf"(?<![{_TOKEN_CHARS}])(?:"
    rf"sk-ant-[{_TOKEN_CHARS}]{{20,}}"  # Anthropic
    rf"|sk-(?:proj-|svcacct-|admin-)?[{_TOKEN_CHARS}]{{20,}}"  # OpenAI
    r"|gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{40,}"  # GitHub
    rf"|glpat-[{_TOKEN_CHARS}]{{20,}}"  # GitLab
    r"|xox[abposr]-[A-Za-z0-9-]{10,}"  # Slack
    r"|(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}"  # AWS access key id
    r"|AIza[0-9A-Za-z_\-]{35}"  # Google API key
    r"|(?:sk|rk|pk|whsec)_(?:live|test)_[0-9A-Za-z]{16,}"  # Stripe
    r"|npm_[A-Za-z0-9]{36}|hf_[A-Za-z0-9]{30,}|pypi-[A-Za-z0-9_\-]{50,}"  # npm, Hugging Face, PyPI
    r"|oauth:[a-z0-9]{30}"  # Twitch chat OAuth
    r"|live_\d{5,}_[A-Za-z0-9]{20,}"  # Twitch stream key
    r"|[MNO][A-Za-z\d]{23,25}\.[\w-]{6}\.[\w-]{27,}"  # Discord bot token
    r"|eyJ[A-Za-z0-9_\-]{5,}\.eyJ[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]*"  # JWT
    r"|https://hooks\.slack\.com/services/\S+|https://discord(?:app)?\.com/api/webhooks/\S+"  # webhooks
    r"|-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"  # PEM / OpenSSH / PGP private keys
    r")"
)
# YouTube stream key "abcd-1234-efgh-5678-ijkl": checked for letters and digits in code
_DASHED_KEY = re.compile(r"(?<![\w-])[a-z0-9]{4}(?:-[a-z0-9]{4}){3,4}(?![\w-])")
_PEM_BODY = re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----.*?(?:-----END [A-Z0-9 ]+-----|\Z)", re.S)
_SECRET_LABEL = re.compile(
    r"(?i)\b(?P<label>password|passwd|passphrase|passcode|pwd|pin(?:\s*code)?|secret(?:[_ -]?key)?|"
    r"api[_ -]?key|apikey|access[_ -]?key|auth[_ -]?token|access[_ -]?token|bearer|token|stream[_ -]?key|"
    r"private[_ -]?key|otp|2fa(?:\s*code)?|security\s*code|cvv|cvc|wifi\s*key)"
    r"(?P<sep>\s*[:=]\s*|\s+is\s+|\s+)(?P<value>[^\s,;]+)"
)
_NOT_A_SECRET_VALUE = frozenset(
    """
    incorrect invalid wrong required too not correct weak strong empty expired missing set changed saved reset
    updated forgot forgotten manager managers and or the a an for to of here below above field hidden protected
    show hide copy change enter none null true false in on at under inside stored written somewhere what gonna
    going really very so just hard easy this that it also still being only case sensitive there safe needed
    """.split()  # noqa: SIM905
)
_CANDIDATE = re.compile(r"(?<![A-Za-z0-9+/=_\-])[A-Za-z0-9+/=_\-]{20,}(?![A-Za-z0-9+/=_\-])")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_HEX = re.compile(r"^[0-9a-fA-F]{20,}$")
_HASH_LABEL = re.compile(r"(?i)(?:\bcommit|\bsha(?:1|224|256|384|512)?|\bmd5|\bdigest|\bchecksum|\bhash)\s*[:=@]?\s*$")
_ALPHA_RUNS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")
_VOWELS = frozenset("aeiouyAEIOUY")


def _entropy(text: str) -> float:
    n = len(text)
    return -sum(c / n * math.log2(c / n) for c in Counter(text).values())


def looks_random(token: str) -> bool:
    """True for a machine-made secret (API key, session token, base64 blob), False for words, ids and paths.

    A token is random-looking when it mixes letters and digits, its characters are spread out (Shannon entropy),
    and most of its letters do not sit in word-like runs: "TheLegendaryGamer2024xx" and "release_2024_final_v2"
    are made of words, "a8Fk29sLq0ZxP3mN7vB1" is not.
    """
    core = token.strip("=")
    if len(core) < 20:
        return False
    if _UUID.match(core):
        return False
    letters = sum(c.isalpha() for c in core)
    digits = sum(c.isdigit() for c in core)
    if digits == 0 or letters < 4:
        return False
    if _HEX.match(core):
        return _entropy(core) >= 3.0
    if _entropy(core) < 3.5:
        return False
    wordy = sum(len(r) for r in _ALPHA_RUNS.findall(core) if len(r) >= 4 and any(c in _VOWELS for c in r))
    return wordy / letters < 0.5


def _secret_finder() -> _Finder:
    def find(text: str) -> list[PiiMatch]:
        out = []
        for m in _KEY_PATTERNS.finditer(text):
            end = m.end()
            if m.group(0).startswith("-----BEGIN"):
                body = _PEM_BODY.match(text, m.start())
                end = body.end() if body else end
            out.append(PiiMatch(PiiKind.SECRET, m.start(), end, text[m.start() : end], 0.95))
        for m in _DASHED_KEY.finditer(text):
            key = m.group(0)
            if any(c.isdigit() for c in key) and sum(c.isalpha() for c in key) >= 4:
                out.append(PiiMatch(PiiKind.SECRET, m.start(), m.end(), key, 0.85))
        for m in _SECRET_LABEL.finditer(text):
            start, end = m.start("value"), _strip_trailing_punct(text, m.start("value"), m.end("value"))
            value = text[start:end]
            if not value or value.lower() in _NOT_A_SECRET_VALUE:
                continue
            # bare "passcode 1234": only a value with a digit or symbol, never "Password Manager"
            if not m.group("sep").strip() and (len(value) < 3 or value.isalpha()):
                continue
            out.append(PiiMatch(PiiKind.SECRET, start, end, value, 0.8))
        if len(text) >= 20:
            for m in _CANDIDATE.finditer(text):
                if _HEX.match(m.group(0)) and _HASH_LABEL.search(text, max(0, m.start() - 12), m.start()):
                    continue  # "commit 3f2a...", "sha256:a3ed...": a labelled digest, not a key
                if looks_random(m.group(0)):
                    out.append(PiiMatch(PiiKind.SECRET, m.start(), m.end(), m.group(0), 0.6))
        return out

    return find


# --------------------------------------------------------------------------------------------------------------
# URLs carrying tokens

_URL_SECRET_PARAM = re.compile(
    r"(?i)[?&#;](?:(?:access|refresh|id|auth|session|csrf|bearer|oauth|reset|invite)[_-]?token|token|key|api[_-]?key|"
    r"apikey|secret|client[_-]?secret|sig|signature|auth|code|password|passwd|pwd|pass|session|session[_-]?id|"
    r"sessid|sid|jwt|otp|ticket|x-amz-(?:signature|credential|security-token)|x-goog-signature)=[^&#\s]"
)


_SPACE = re.compile(r"\s")


def _token_start(text: str, pos: int) -> int:
    """Start of the whitespace-delimited token around `pos`."""
    while pos > 0 and not text[pos - 1].isspace():
        pos -= 1
    return pos


def _token_end(text: str, pos: int) -> int:
    m = _SPACE.search(text, pos)
    return m.start() if m else len(text)


def _url_token_finder() -> _Finder:
    def find(text: str) -> list[PiiMatch]:
        if "=" not in text:
            return []
        out = []
        for m in _URL_SECRET_PARAM.finditer(text):
            token_start = _token_start(text, m.start())
            token_end = _token_end(text, m.start())
            query = min(
                (
                    i
                    for i in (text.find("?", token_start, token_end), text.find("#", token_start, token_end))
                    if i != -1
                ),
                default=m.start(),
            )
            end = _strip_trailing_punct(text, query, token_end)
            out.append(PiiMatch(PiiKind.URL_TOKEN, query, end, text[query:end], 0.9))
        return out

    return find


# --------------------------------------------------------------------------------------------------------------
# crypto seed phrases (BIP-39)


@cache
def bip39_words() -> frozenset[str]:
    """The 2048-word BIP-39 English list (from the `mnemonic` package)."""
    from mnemonic import Mnemonic

    return frozenset(Mnemonic("english").wordlist)


_WORD = re.compile(r"[A-Za-z]+")
_GRID_ITEM = re.compile(r"(?<![\w.])(?:[1-9]|1\d|2[0-4])[.):]?\s+([A-Za-z]{3,8})\b")
_SEED_MIN_WORDS = 12
_SEED_MAX_GARBLED = 2
_SEED_MAX_GAP = 8  # characters between two words of a run ("  12. " in a numbered list)


def _seed_finder() -> _Finder:
    from rapidfuzz import process
    from rapidfuzz.distance import Levenshtein

    words = bip39_words()
    word_list = sorted(words)

    def garbled(token: str) -> bool:
        """An OCR-garbled BIP-39 word: one edit away (two for long words) from a list word."""
        if len(token) < 3 or len(token) > 9:
            return False
        cutoff = 2 if len(token) >= 7 else 1
        return process.extractOne(token, word_list, scorer=Levenshtein.distance, score_cutoff=cutoff) is not None

    def find(text: str) -> list[PiiMatch]:
        out = []
        tokens = [(m.start(), m.end(), m.group(0).lower()) for m in _WORD.finditer(text)]
        exact = sum(t[2] in words for t in tokens)
        if exact >= _SEED_MIN_WORDS - _SEED_MAX_GARBLED:
            run: list[tuple[int, int, bool]] = []  # (start, end, is_garbled)

            def close_run() -> None:
                # a garbled word is tolerated inside a run, not at its edges ("words: abandon ..." is a label)
                inner = list(run)
                while inner and inner[0][2]:
                    inner.pop(0)
                while inner and inner[-1][2]:
                    inner.pop()
                if len(inner) >= _SEED_MIN_WORDS:
                    s, e = inner[0][0], inner[-1][1]
                    out.append(PiiMatch(PiiKind.SEED_PHRASE, s, e, text[s:e], 0.9))

            # fuzzy look-ups (the costly part) only where 12 consecutive tokens hold >= 10 list words: English
            # prose is full of BIP-39 words but never that dense
            is_word = [t[2] in words for t in tokens]
            dense = [False] * len(tokens)
            window = _SEED_MIN_WORDS
            for w0 in range(max(0, len(tokens) - window) + 1):
                if sum(is_word[w0 : w0 + window]) >= window - _SEED_MAX_GARBLED:
                    dense[w0 : w0 + window] = [True] * min(window, len(tokens) - w0)
            for idx, (start, end, word) in enumerate(tokens):
                if run and start - run[-1][1] > _SEED_MAX_GAP:
                    close_run()
                    run = []
                if is_word[idx]:
                    run.append((start, end, False))
                elif dense[idx] and sum(g for *_, g in run) < _SEED_MAX_GARBLED and garbled(word):
                    run.append((start, end, True))
                else:
                    close_run()
                    run = []
            close_run()
        # a numbered grid row of seed words ("1. witch 2. collapse 3. practice"): OCR gives a grid line by line
        items = [m for m in _GRID_ITEM.finditer(text) if m.group(1).lower() in words]
        if len(items) >= 3 and len(items) == len(_GRID_ITEM.findall(text)):
            s, e = items[0].start(), items[-1].end()
            out.append(PiiMatch(PiiKind.SEED_PHRASE, s, e, text[s:e], 0.85))
        return out

    return find


# --------------------------------------------------------------------------------------------------------------
# the user's sensitive terms (OCR-tolerant)

_TERM_TOKEN = re.compile(r"[^\W_]+")


def _max_edits(length: int) -> int:
    """Edits allowed for an OCR-garbled term: none for short terms, 1 for 4-7 characters, 2 for longer."""
    if length < 4:
        return 0
    return 1 if length <= 7 else 2


class _TermMatcher:
    """Whole-word (or whole-word-sequence) fuzzy matching of the user's terms against tokens of the text."""

    def __init__(self, terms: Sequence[str]) -> None:
        from rapidfuzz.distance import Levenshtein

        self._distance = Levenshtein.distance
        self.terms: list[tuple[int, str, int]] = []  # (word count, joined lowercase term, allowed edits)
        for term in terms:
            parts = _TERM_TOKEN.findall(term.lower())
            if parts:
                joined = " ".join(parts)
                self.terms.append((len(parts), joined, _max_edits(len(joined.replace(" ", "")))))

    def find(self, text: str) -> list[PiiMatch]:
        if not self.terms:
            return []
        tokens = [(m.start(), m.end(), m.group(0).lower()) for m in _TERM_TOKEN.finditer(text)]
        out = []
        for n_words, term, edits in self.terms:
            compact = term.replace(" ", "")
            for i in range(len(tokens)):
                # the term over as many tokens as it has words, and multi-word terms glued by OCR ("JaneDoe")
                for span in {n_words, 1}:
                    if i + span > len(tokens):
                        continue
                    window = tokens[i : i + span]
                    candidate = " ".join(t[2] for t in window) if span == n_words else window[0][2]
                    target = term if span == n_words else compact
                    if abs(len(candidate) - len(target)) > edits:
                        # a long term inside a longer token: "janedoe99", "@springfieldhigh"
                        if span == 1 and len(compact) >= 6 and compact in candidate:
                            s, e = window[0][0], window[0][1]
                            out.append(PiiMatch(PiiKind.TERM, s, e, text[s:e], 0.65))
                        continue
                    d = self._distance(candidate, target, score_cutoff=edits)
                    if d <= edits:
                        s, e = window[0][0], window[-1][1]
                        out.append(PiiMatch(PiiKind.TERM, s, e, text[s:e], 0.75 - 0.05 * d))
        return out


# --------------------------------------------------------------------------------------------------------------
# the recognizer


class PiiRecognizer:
    """Finds PII in written text. Build once (a few hundred ms: presidio import, phone metadata), call often.

    `kinds=None` switches every kind on; `terms` are the user's sensitive terms (real name, home town...);
    `default_region` is the ISO country whose national phone format is understood without a "+CC" prefix.
    `DIGITS` is a speech-only kind (see `pii.spoken`); it does nothing in `find()`.
    `find()` keeps no state between calls, so one recognizer can serve several OCR worker threads.
    """

    def __init__(
        self, kinds: Iterable[PiiKind] | None = None, terms: Sequence[str] = (), *, default_region: str = "US"
    ) -> None:
        self.kinds: frozenset[PiiKind] = frozenset(PiiKind) if kinds is None else _parse_kinds(kinds)
        self.terms: tuple[str, ...] = tuple(t.strip() for t in terms if t and t.strip())
        self.default_region = _parse_region(default_region)
        builders: dict[PiiKind, Callable[[], _Finder]] = {
            PiiKind.EMAIL: _email_finder,
            PiiKind.PHONE: lambda: _phone_finder(self.default_region),
            PiiKind.CARD: _card_finder,
            PiiKind.IBAN: _iban_finder,
            PiiKind.NATIONAL_ID: _national_id_finder,
            PiiKind.ADDRESS: _address_finder,
            PiiKind.IP_ADDRESS: _ip_finder,
            PiiKind.SECRET: _secret_finder,
            PiiKind.SEED_PHRASE: _seed_finder,
            PiiKind.URL_TOKEN: _url_token_finder,
            PiiKind.TERM: lambda: _TermMatcher(self.terms).find,
        }
        self._finders: list[_Finder] = [build() for kind, build in builders.items() if kind in self.kinds]
        # compile presidio's lazily compiled patterns now, not on the first OCR line (and not in two threads)
        self.find("warm-up jane@example.com 4111 1111 1111 1111 DE89 3704 0044 0532 0130 00 203.0.113.42")

    def find(self, text: str) -> list[PiiMatch]:
        """PII in `text`, sorted by start; overlapping matches merged into one (kind of the strongest)."""
        if not text or not text.strip():
            return []
        found: list[PiiMatch] = []
        for finder in self._finders:
            found.extend(finder(text))
        return merge_matches(found, text)


def _parse_kinds(kinds: Iterable[PiiKind | str]) -> frozenset[PiiKind]:
    parsed = set()
    for kind in kinds:
        try:
            parsed.add(PiiKind(kind))
        except ValueError:
            valid = ", ".join(k.value for k in PiiKind)
            raise ValueError(f"unknown PII kind {kind!r}; known kinds: {valid}") from None
    return frozenset(parsed)


def _parse_region(region: str) -> str:
    import phonenumbers

    code = (region or "").strip().upper()
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(f"unknown phone region {region!r}: use a two-letter country code such as US, GB, DE or SG")
    return code


def merge_matches(matches: Iterable[PiiMatch], text: str) -> list[PiiMatch]:
    """Union of overlapping spans; the merged span takes the kind and score of its strongest (then longest) part."""
    ordered = sorted(matches, key=lambda m: (m.start, -m.end))
    merged: list[PiiMatch] = []
    best: PiiMatch | None = None
    start = end = 0
    for m in ordered:
        if m.end <= m.start:
            continue
        if best is not None and m.start < end:
            end = max(end, m.end)
            if (m.score, m.end - m.start) > (best.score, best.end - best.start):
                best = m
            continue
        if best is not None:
            merged.append(PiiMatch(best.kind, start, end, text[start:end], best.score))
        best, start, end = m, m.start, m.end
    if best is not None:
        merged.append(PiiMatch(best.kind, start, end, text[start:end], best.score))
    return merged
