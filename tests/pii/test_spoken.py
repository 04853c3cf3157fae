"""Spoken PII: the normaliser (spoken forms -> written), word-index mapping, speech-only rules, tricky non-PII."""

from __future__ import annotations

import pytest

from privastream_desktop.pii import PiiKind, PiiRecognizer
from privastream_desktop.pii.spoken import SpokenPii, SpokenPiiFinder, normalise_words


@pytest.fixture(scope="module")
def finder() -> SpokenPiiFinder:
    return SpokenPiiFinder(PiiRecognizer(terms=["Jane Doe", "Springfield", "Lincoln High"]))


def said(finder: SpokenPiiFinder, sentence: str | list[str]) -> list[tuple[PiiKind, str]]:
    """(kind, the words that matched) for each match; checks the indices are in range and ordered."""
    words = sentence.split() if isinstance(sentence, str) else sentence
    found = finder.find(words)
    assert all(0 <= p.first_word <= p.last_word < len(words) for p in found)
    assert [p.first_word for p in found] == sorted(p.first_word for p in found)
    return [(p.kind, " ".join(w.strip() for w in words[p.first_word : p.last_word + 1])) for p in found]


def split_words(sentence: str) -> list[str]:
    return sentence.split()


def written(sentence: str) -> str:
    return normalise_words(sentence.split())[0].text


# ------------------------------------------------------------------------------------------------ normaliser


@pytest.mark.parametrize(
    ("spoken", "text"),
    [
        ("five five five one two three four", "5551234"),
        ("five five five, one two three four.", "5551234."),
        ("five five five oh one two three", "5550123"),
        ("oh my god", "oh my god"),  # "oh" is zero only between digits
        ("double seven triple oh one", "770001"),
        ("twenty three", "23"),
        ("forty-two Wallaby Way", "42 Wallaby Way"),  # Whisper hyphenates compound numbers
        ("five-five-five one-two-three-four", "5551234"),
        ("one twenty three main street", "123 main street"),
        ("one two three main street", "123 main street"),
        ("one hundred and five", "105"),
        ("nine hundred eleven", "911"),
        ("twenty nineteen", "2019"),
        ("two thousand and nineteen", "2019"),
        ("twelve thousand damage", "12000 damage"),
        ("12 million views", "12000000 views"),
        ("plus one four one five", "+1415"),
        ("five five five dash one two three four", "555-1234"),
        ("five five five hyphen 1234", "555-1234"),
        ("my number is 555-1234", "my number is 555-1234"),
        ("4111 1111 1111 1111", "4111 1111 1111 1111"),
        ("jane dot doe at gmail dot com", "jane.doe@gmail.com"),
        ("jane underscore doe at mail dot co dot uk", "jane_doe@mail.co.uk"),
        ("jane.doe at gmail.com", "jane.doe@gmail.com"),
        ("kai at sign example dot org", "kai@example.org"),
        ("meet me at home", "meet me at home"),  # "at" is "@" only before a domain
        ("polka dot", "polka dot"),
        ("10 .0 .0 .15", "10.0.0.15"),  # tiny.en's "ten dot zero dot zero dot fifteen"
        ("192 .168 .0 .42", "192.168.0.42"),
        ("192 .168. 0. 42.", "192.168 0 42."),  # one run: nine digits (test_digit_runs_from_normaliser)
        ("it scored 4 .5", "it scored 4.5"),
        ("gmail .com", "gmail com"),  # only a dot before digits after digits is a word of its own
        # characters read one at a time are one word; a dash joins a name only inside an e-mail or a spelled code
        ("j o h n at gmail dot com", "john@gmail.com"),
        ("x, y, z, 1, 2, 3.", "xyz123."),
        ("jane dash doe at outlook dot com", "jane-doe@outlook.com"),
        ("s k dash live", "sk-live"),
        ("I'll dash home", "I'll dash home"),
        ("so I a guess", "so I a guess"),
    ],
)
def test_normaliser(spoken: str, text: str) -> None:
    assert written(spoken) == text


def test_char_to_word_mapping() -> None:
    words = [" Mail", " jane", " dot", " doe", " at", " gmail", " dot", " com."]
    speech, _ = normalise_words(words)
    assert speech.text == "Mail jane.doe@gmail.com."
    at = speech.text.index("@")
    assert speech.words_of(at, at + 1) == (4, 4)
    start = speech.text.index("jane")
    assert speech.words_of(start, start + len("jane.doe@gmail.com")) == (1, 7)
    assert speech.chars_of(5, 7) == (speech.text.index("gmail"), len(speech.text))
    assert speech.words_of(4, 5) is None  # the space


def test_grouped_words_map_to_all_their_words() -> None:
    speech, runs = normalise_words(split_words("call one hundred and twenty three now"))
    assert speech.text == "call 123 now"
    assert speech.words_of(5, 8) == (1, 5)
    assert runs == []


def test_digit_runs_from_normaliser() -> None:
    _, runs = normalise_words(split_words("is five five five one two three four ok"))
    assert runs == [(1, 7)]
    _, runs = normalise_words(split_words("we got 1,000,000 views and twelve million likes"))
    assert runs == []
    _, runs = normalise_words(split_words("addresses 192 .168. 0. 42. if"))
    assert runs == [(1, 4)]


# ------------------------------------------------------------------------------------------------ finder


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (
            ["My", "number", "is", "five", "five", "five,", "one", "two", "three", "four."],
            [(PiiKind.DIGITS, "five five five, one two three four.")],
        ),
        ("my number is 555-1234 okay", [(PiiKind.DIGITS, "555-1234")]),
        (
            "call me on plus one four one five five five five two six seven one",
            [(PiiKind.PHONE, "plus one four one five five five five two six seven one")],
        ),
        ("call (415) 555-2671 tonight", [(PiiKind.PHONE, "(415) 555-2671")]),
        ("email jane dot doe at gmail dot com thanks", [(PiiKind.EMAIL, "jane dot doe at gmail dot com")]),
        ("hit me up at kai dot x at mail dot co dot uk", [(PiiKind.EMAIL, "kai dot x at mail dot co dot uk")]),
        ("it's kai.x99@gmail.com, thanks", [(PiiKind.EMAIL, "kai.x99@gmail.com,")]),
        ("I live at one two three main street", [(PiiKind.ADDRESS, "one two three main street")]),
        ("send it to 42 Baker Street please", [(PiiKind.ADDRESS, "42 Baker Street")]),
        (
            "card four one one one one one one one one one one one one one one one",
            [(PiiKind.CARD, "four one one one one one one one one one one one one one one one")],
        ),
        ("my card is 4111 1111 1111 1111", [(PiiKind.CARD, "4111 1111 1111 1111")]),
        (
            "social is five three six nine zero four three nine nine",
            [(PiiKind.DIGITS, "five three six nine zero four three nine nine")],
        ),
        ("ssn 536-90-4399", [(PiiKind.NATIONAL_ID, "536-90-4399")]),
        ("double seven triple oh one two three", [(PiiKind.DIGITS, "double seven triple oh one two three")]),
        ("The game server live at 10 .0 .0 .15 on the home network.", [(PiiKind.IP_ADDRESS, "10 .0 .0 .15")]),
        ("The meetup is at my place 21 -seater lane, so bring snacks.", [(PiiKind.ADDRESS, "21 -seater lane,")]),
        # the whole user name, however it is read
        ("it's j o h n at gmail dot com okay", [(PiiKind.EMAIL, "j o h n at gmail dot com")]),
        ("contact jane hyphen doe at proton dot me.", [(PiiKind.EMAIL, "jane hyphen doe at proton dot me.")]),
    ],
)
def test_spoken_pii(finder: SpokenPiiFinder, words: str | list[str], expected: list[tuple[PiiKind, str]]) -> None:
    assert said(finder, words) == expected


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("my password is hunter two. And then we play", "hunter two."),
        ("The password is purple monkey dishwasher and more", "purple monkey dishwasher"),
        ("the pin is four eight two one", "four eight two one"),
        ("passcode is 1234, okay", "1234,"),
        ("password: swordfish", "swordfish"),
        ("my password's sunflower", "sunflower"),
        ("ok so the password is, um, hunter two", "hunter two"),
        ("the security code is seven seven one", "seven seven one"),
        ("wifi pin code is nine nine", "nine nine"),
        ("the CVV is 1 2 3", "1 2 3"),
        # Whisper splits the label when the speaker lingers on it
        ("my wifi pass word is tangerine.", "tangerine."),
        ("the pass code is 7 7 3 1. Anyway", "7 7 3 1."),
        ("my verification code is 2 2 7 1 9 0 thanks chat", "2 2 7 1 9 0"),
        # a code read digit by digit is one word, commas and all
        ("my verification code is 2, 2, 7, 1, 9, 0. Thanks", "2, 2, 7, 1, 9, 0."),
        # a streamer's stream key, read out character by character
        (
            "my stream key is live underscore 4 4 7 1 2 underscore a b c d e f. Oops",
            "live underscore 4 4 7 1 2 underscore a b c d e f.",
        ),
        ("my twitch stream key is x y z 1 2 3 4 5 6 and", "x y z 1 2 3 4 5 6"),
        ("my api key is s k dash live dash 4 e c 3 9 f.", "s k dash live dash 4 e c 3 9 f."),
        # a comma after a piece of the key ends it; one after a word does not ("live, underscore")
        (
            "my stream key is live, underscore 4 4 7 1 2 underscore kqz, let me reset that",
            "live, underscore 4 4 7 1 2 underscore kqz,",
        ),
        # a key is long, and tiny.en turns its joiners into words (espeak-ng's "underscore", spelled set)
        (
            "My stream key is live on the score 44712 on the score kqz. Let me reset",
            "live on the score 44712 on the score kqz.",
        ),
    ],
)
def test_spoken_secret(finder: SpokenPiiFinder, sentence: str, expected: str) -> None:
    assert said(finder, sentence) == [(PiiKind.SECRET, expected)]


def test_spoken_secret_is_capped() -> None:
    finder = SpokenPiiFinder(PiiRecognizer(kinds=[PiiKind.SECRET]))
    words = split_words("my password is one long phrase that keeps going on")
    assert said(finder, words) == [(PiiKind.SECRET, "one long phrase that")]
    # a comma after a whole number still ends it: "5 people" is talk
    assert said(finder, "passcode is 1234, 5 people joined") == [(PiiKind.SECRET, "1234,")]


def test_a_seed_phrase_announced_is_found_whatever_its_words() -> None:
    """Twelve words after "my seed phrase is", commas and all, even where Whisper heard no list word."""
    finder = SpokenPiiFinder(PiiRecognizer(kinds=[PiiKind.SEED_PHRASE]))
    words = "apple, banana, sneakers, dog, elephant, frog, grape, house, igloo, jacket, kite, lemon."
    assert said(finder, f"ok my seed phrase is {words} Anyway") == [(PiiKind.SEED_PHRASE, words)]
    assert said(finder, "the seed phrase is in my safe") == []
    # Whisper's "phrases," for "phrase is" said with a pause; plural talk about phrases is no phrase
    assert said(finder, f"my seed phrases, {words} Anyway") == [(PiiKind.SEED_PHRASE, words)]
    assert said(finder, "seed phrases scare me") == said(finder, "seed phrases are written down") == []


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        # tiny.en on a card said in Piper's voice: no digit survives, the label still says what follows
        ("Now the card number is for when when what", [(PiiKind.CARD, "for when when what")]),
        ("my number is fine fine. So text me", [(PiiKind.PHONE, "fine fine.")]),
        ("his number is dyl nine and I", [(PiiKind.PHONE, "dyl nine")]),
        ("my social security number is one to three, for five", [(PiiKind.NATIONAL_ID, "one to three, for five")]),
        ("my ssn is won too tree", [(PiiKind.NATIONAL_ID, "won too tree")]),
        ("the account number is sevn tree ate and then", [(PiiKind.DIGITS, "sevn tree ate")]),
        (
            "my card number is one two three four five six seven eight",
            [(PiiKind.DIGITS, "one two three four five six seven eight")],
        ),
        # a number heard as one keeps its own kind and extent
        ("the card number is 4111 1111 1111 1111 and it went", [(PiiKind.CARD, "4111 1111 1111 1111")]),
        ("the area code is four one five and then five five five", [(PiiKind.PHONE, "four one five")]),
        # talk after a number read out digit by digit is talk (the live trace's "... 2, 2, 2 is my")
        ("is my number is 5, 5, 5, 2, 5, 5, 2, 2, 2 is my", [(PiiKind.DIGITS, "5, 5, 5, 2, 5, 5, 2, 2, 2")]),
        # a plate read out, letter by letter ("A" is no article here)
        ("my license plate is A B C 1 2 3 4.", [(PiiKind.DIGITS, "A B C 1 2 3 4.")]),
        ("my plate number is 7 X Y Z 4 2 1. Anyway", [(PiiKind.DIGITS, "7 X Y Z 4 2 1.")]),
        # a comma after a whole number ends it: what follows is talk (Whisper beam search, "his number is ...")
        ("his number is 9098812247, just say I can't you.", [(PiiKind.PHONE, "9098812247,")]),
        # ... but not before: "fine, fine" was "five five"
        ("my number is fine, fine, for for seven one, so text", [(PiiKind.PHONE, "fine, fine, for for seven one,")]),
    ],
)
def test_the_words_after_a_number_label_are_that_number(
    finder: SpokenPiiFinder, sentence: str, expected: list[tuple[PiiKind, str]]
) -> None:
    assert said(finder, sentence) == expected


@pytest.mark.parametrize(
    "sentence",
    [
        "my number is private",
        "my phone number is not for sale",
        "the number is huge",
        "my number is. Okay never mind",
        "the card number is on the screen",
        "what is my number",
        "the plate is on the back of the car",
        "the area code is 415. Nice city",
        "my license plate is a custom one",
    ],
)
def test_talk_about_a_number_is_not_the_number(finder: SpokenPiiFinder, sentence: str) -> None:
    assert finder.find(sentence.split()) == []


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("hi I'm Jane Doe from Springfield", [(PiiKind.TERM, "Jane Doe"), (PiiKind.TERM, "Springfield")]),
        ("hi I'm Jane Doh", [(PiiKind.TERM, "Jane Doh")]),  # ASR misspelling within the edit budget
        ("hi I'm Jane Dough", []),  # two edits on a 7-letter term: too far
        (["I", "went", "to", "Lincoln", "High."], [(PiiKind.TERM, "Lincoln High.")]),
        # a listed name spelled out letter by letter
        ("my name is Jane D O E", [(PiiKind.TERM, "Jane D O E")]),
        (
            "that's Springfield, S P R I N G F I E L D.",
            [(PiiKind.TERM, "Springfield,"), (PiiKind.TERM, "S P R I N G F I E L D.")],
        ),
    ],
)
def test_spoken_terms(finder: SpokenPiiFinder, sentence: str | list[str], expected: list[tuple[PiiKind, str]]) -> None:
    assert said(finder, sentence) == expected


@pytest.mark.parametrize(
    "sentence",
    [
        "twelve thousand damage",
        "that was in twenty nineteen",
        "back in two thousand and nineteen",
        "I reached level forty two",
        "call me at nine tonight",
        "I have three cats and two dogs",
        "we got 1,000,000 views and twelve million likes",
        "it costs $1,299.99 now",
        "the stream starts at 10:30",
        "version one point two point three",
        "score one two three four five",  # 5 digits: below the run length
        "oh my god that was one of the best games",
        "the password is incorrect",
        "our password is in the vault",
        "the password is case sensitive",
        "forgot my password again",
        "pin the message please",
        "meet me at the station",
        "the quick brown fox jumps over the lazy dog",
        "twenty twenty four was a great year",
        "one hundred and twenty three people watched",
        "patch 1 .2 .3 is out",
        "I'll dash home and be right back",
        "we went to the U S A last year",
        "the stream key is in the dashboard",
        "I will pass on that, word is he left",
    ],
)
def test_spoken_not_pii(finder: SpokenPiiFinder, sentence: str) -> None:
    assert finder.find(sentence.split()) == []


def test_whisper_spacing_and_punctuation(finder: SpokenPiiFinder) -> None:
    words = [" So,", " my", " number", " is", " 555", "-1234.", " Bye."]
    found = finder.find(words)
    assert found == [SpokenPii(PiiKind.DIGITS, 4, 5, "555-1234")]


def test_kinds_respected() -> None:
    words = split_words("my number is five five five one two three four and my password is hunter two")
    no_digits = SpokenPiiFinder(PiiRecognizer(kinds=[PiiKind.SECRET]))
    assert [p.kind for p in no_digits.find(words)] == [PiiKind.SECRET]
    no_secret = SpokenPiiFinder(PiiRecognizer(kinds=[PiiKind.DIGITS]))
    assert [p.kind for p in no_secret.find(words)] == [PiiKind.DIGITS]
    assert SpokenPiiFinder(PiiRecognizer(kinds=[])).find(words) == []


def test_written_text_of_match(finder: SpokenPiiFinder) -> None:
    found = finder.find(split_words("email jane dot doe at gmail dot com"))
    assert found == [SpokenPii(PiiKind.EMAIL, 1, 7, "jane.doe@gmail.com")]


def test_empty(finder: SpokenPiiFinder) -> None:
    assert finder.find([]) == []
    assert finder.find(["", " ", "..."]) == []


# ------------------------------------------------------------------------------------------------ Whisper's damage


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        # "one nine two dot one six eight dot zero dot four two" as tiny.en wrote it for a robotic voice
        (
            "the server is 1, i do not 1, 6, 8, 0, not 4, 2, if you want",
            [(PiiKind.DIGITS, "1, i do not 1, 6, 8, 0, not 4, 2,")],
        ),
        (
            "call seven one four uh three nine two six six zero eight",
            [(PiiKind.DIGITS, "seven one four uh three nine two six six zero eight")],
        ),
        ("it goes to 1 ,2 ,3 maples treat in the field", [(PiiKind.ADDRESS, "1 ,2 ,3 maples treat")]),
        # a lone digit after the gap is talk again, not more of the number
        ("call 5, 5, 5, 4, 1, 4, 2, between 9 and 5.", [(PiiKind.DIGITS, "5, 5, 5, 4, 1, 4, 2,")]),
        ("we moved to 417 Oak avenu last week", [(PiiKind.ADDRESS, "417 Oak avenu")]),
        # the same address in Piper's natural voice: each group ends in a period, no sentence ends there
        ("the game server addresses 192. 168. 0. 42. if you want", [(PiiKind.DIGITS, "192. 168. 0. 42.")]),
    ],
)
def test_misheard_digits_and_streets(
    finder: SpokenPiiFinder, sentence: str, expected: list[tuple[PiiKind, str]]
) -> None:
    assert said(finder, sentence) == expected


@pytest.mark.parametrize(
    "sentence",
    [
        "I have 2 cats and 3 dogs and 4 fish and 5 birds",  # no group of three digits
        "the score was 12 and 14 then 10 and 16 then 100 to 98",  # multi-digit numbers never chain
        "one two three go. four five six seven eight",  # a sentence end breaks the chain
        "back in 2019. 12 people came to the show.",  # a year, then a count: 6 digits
        "one two three and then a lot of waiting four five six seven",  # more than three stray words
        "walk 2 streets down and turn",
        "I gave the dog 3 tasty treat",
        "level 3 was a great treat",
        "we went around 5 laps in the circle",
    ],
)
def test_misheard_rules_leave_ordinary_talk_alone(finder: SpokenPiiFinder, sentence: str) -> None:
    assert finder.find(sentence.split()) == []


@pytest.mark.parametrize(
    "sentence",
    [
        "We 12 damage in Fight, 19 this game was huge. Call me at 9 tonight",  # a live window re-heard "2019" as "19"
        "5 people in 5 people in 5 people in 5",  # tiny.en looping on a cut window
        "want to play. Thank? Thank? Thank? Thank? Thank? Thank? Thank? Thank? Thanks the follow. Welcome to the",
    ],
)
def test_counts_and_recognition_loops_are_no_seed_phrase(finder: SpokenPiiFinder, sentence: str) -> None:
    assert said(finder, sentence) == []


def test_a_seed_phrase_read_with_its_numbers_is_found(finder: SpokenPiiFinder) -> None:
    from mnemonic import Mnemonic

    words = Mnemonic("english").to_mnemonic(bytes(range(16))).split()
    row = " ".join(f"{i + 4}. {w}" for i, w in enumerate(words[3:6]))  # one grid row, numbers counting up
    assert said(finder, row) == [(PiiKind.SEED_PHRASE, row)]
    read = " ".join(f"{i + 1}, {w}" for i, w in enumerate(words))
    assert [k for k, _ in said(finder, read)] == [PiiKind.SEED_PHRASE]
