"""On-screen text PII with the real OCR (PP-OCRv6 in the rapidocr wheel) and the real recognizers.

Frames are drawn with Pillow, so every word's ink box is known exactly: a secret must be covered,
the words around it must stay readable, and a second look must read only what changed.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from privastream_desktop.detectors.text import OcrEngine, TextPiiDetector, shared_engine
from privastream_desktop.regions import Box, Region, RegionKind
from privastream_desktop.screen_samples import font
from privastream_desktop.text_tracking import UNREAD_LABEL

WIDTH, HEIGHT = 1280, 720
BG, FG = (30, 31, 36), (230, 230, 232)


class Page:
    """A dark screen with lines of text; remembers each word's ink box."""

    def __init__(self) -> None:
        self.image = Image.new("RGB", (WIDTH, HEIGHT), BG)
        self.draw = ImageDraw.Draw(self.image)
        self.words: dict[str, tuple[int, int, int, int]] = {}

    def line(self, x: int, y: int, text: str, size: int = 18, family: str = "sans") -> None:
        f = font(family, size)
        self.draw.text((x, y), text, font=f, fill=FG)
        pos = 0
        for word in text.split(" "):
            left = x + f.getlength(text[:pos])
            x1, y1, x2, y2 = f.getbbox(word)
            self.words[word] = (int(left + x1), int(y + y1), int(np.ceil(left + x2)), int(np.ceil(y + y2)))
            pos += len(word) + 1

    def bgr(self) -> np.ndarray:
        return np.asarray(self.image)[:, :, ::-1].copy()


def covered(regions: list[Region], box: tuple[int, int, int, int]) -> float:
    """Share of ``box`` under the regions' rectangles (text regions are drawn unpadded)."""
    mask = np.zeros((HEIGHT, WIDTH), bool)
    for region in regions:
        x1, y1, x2, y2 = region.box.clipped(WIDTH, HEIGHT).as_int()
        mask[y1:y2, x1:x2] = True
    x1, y1, x2, y2 = box
    return float(mask[y1:y2, x1:x2].mean())


@pytest.fixture(scope="module")
def engine() -> OcrEngine:
    return shared_engine()


def test_the_email_is_covered_word_precisely_and_the_rest_stays_readable(engine):
    page = Page()
    page.line(40, 40, "Contact me at jane.doe@example.com for the meeting")
    page.line(40, 90, "Score 12450   Level 37   v2.4.1   2024-05-17", size=20)
    page.line(40, 140, "retro_rex: gg wp, 10/10 clutch", size=15, family="serif")
    detector = TextPiiDetector(engine=engine)

    regions = detector.detect(page.bgr())

    assert [r.label for r in regions] == ["email"]
    assert all(r.kind is RegionKind.TEXT and "@" not in (r.label or "") for r in regions)
    assert covered(regions, page.words["jane.doe@example.com"]) >= 0.95
    for word in ("Contact", "me", "at", "for", "the", "meeting", "Score", "12450", "v2.4.1", "2024-05-17", "gg"):
        assert covered(regions, page.words[word]) < 0.10, word


def test_a_second_look_reads_only_what_changed(engine):
    page = Page()
    page.line(40, 40, "Contact me at jane.doe@example.com for the meeting")
    for k in range(8):
        page.line(40, 200 + 40 * k, f"runner-{k} finished build 2.4.{k} at 12:0{k}")
    detector = TextPiiDetector(engine=engine)
    detector.detect(page.bgr())
    first_pixels = detector.stats.pixels
    assert detector.stats.full_frames == 1

    page.line(800, 620, "call +1 415 555 0132 tonight", size=16)  # a new line in a corner
    regions = detector.detect(page.bgr())
    read_again = detector.stats.pixels - first_pixels

    assert sorted(r.label for r in regions) == ["email", "phone"]
    assert covered(regions, page.words["jane.doe@example.com"]) >= 0.95  # kept from the first look
    assert read_again < 0.1 * WIDTH * HEIGHT
    reads = detector.stats.reads
    assert sorted(r.label for r in detector.detect(page.bgr())) == ["email", "phone"]
    assert detector.stats.reads == reads  # nothing changed: nothing read


def test_a_scrolled_chat_is_followed_not_read_again(engine):
    def chat(offset: int) -> Page:
        page = Page()
        messages = [f"user{k}: message number {k} about the match" for k in range(12)]
        messages[6] = "Zed_42: dm me at alex.rivera@mailbox.org"
        for k, text in enumerate(messages[offset:]):
            page.line(860, 100 + 26 * k, text, size=15)
        return page

    detector = TextPiiDetector(engine=engine)
    before = [r for r in detector.detect(chat(0).bgr()) if r.label == "email"]
    pixels = detector.stats.pixels
    after_page = chat(1)  # every line moved up by 26 px, a line scrolled out at the top
    after = [r for r in detector.detect(after_page.bgr()) if r.label == "email"]

    assert detector.stats.scrolls >= 1
    assert detector.stats.pixels - pixels < 0.25 * 420 * 320  # only strips at the panel's edges
    assert len(before) == len(after) == 1
    assert after[0].box.y1 == pytest.approx(before[0].box.y1 - 26, abs=2)
    assert covered(after, after_page.words["alex.rivera@mailbox.org"]) >= 0.95


def test_switched_off_kinds_and_own_terms(engine):
    page = Page()
    page.line(40, 40, "Contact me at jane.doe@example.com from Springfield")
    image = page.bgr()
    only_terms = TextPiiDetector(engine=engine, kinds=[], terms=["Springfield"])
    regions = only_terms.detect(image)
    assert [r.label for r in regions] == ["term"]
    assert covered(regions, page.words["Springfield"]) >= 0.95
    assert covered(regions, page.words["jane.doe@example.com"]) < 0.10


def test_ocr_never_downloads(monkeypatch, engine):
    """The models resolve from the wheel through our manifest; rapidocr's downloader must never run."""
    import rapidocr.utils.download_file as download_file

    def refuse(*args, **kwargs):
        raise AssertionError("rapidocr tried to download a model")

    monkeypatch.setattr(download_file.DownloadFile, "run", classmethod(refuse))
    from privastream_desktop.model_store import ModelStore

    store = ModelStore()
    fresh = OcrEngine(store.path("text-ppocrv6-det"), store.path("text-ppocrv6-rec"))
    page = Page()
    page.line(40, 40, "hello world 42")
    assert any("hello" in line.text for line in fresh.read(page.bgr()))


def test_a_missing_model_file_says_how_to_fix_it(tmp_path):
    from privastream_desktop.model_store import ModelError, ModelStore
    from privastream_desktop.resources import data_dir

    manifest = (data_dir("models") / "manifest.toml").read_text(encoding="utf-8")
    (tmp_path / "manifest.toml").write_text(manifest.replace('"models/PP-OCRv6_det_small.onnx"', '"models/gone.onnx"'))
    with pytest.raises(ModelError, match="pip install rapidocr"):
        TextPiiDetector(ModelStore(tmp_path))


def test_boxes_are_frame_coordinates_for_crops(engine):
    page = Page()
    page.line(700, 500, "reach me at jane.doe@example.com", size=16)
    crop = page.bgr()[480:540, 680:1100]
    lines = engine.read(np.ascontiguousarray(crop), (680, 480))
    assert lines and all(Box(680, 480, 1100, 540).intersection_area(line.box) == line.box.area for line in lines)


def test_live_looks_on_a_budget_read_small_changes_first_and_finish_the_rest_later(engine, monkeypatch):
    import privastream_desktop.detectors.text as text_module

    monkeypatch.setattr(text_module, "_live_screen", [])  # no earlier live detector to start from
    page = Page()
    page.line(40, 40, "Contact me at jane.doe@example.com for the meeting")
    detector = TextPiiDetector(engine=engine, budget_s=0.001)  # every look: one piece, then stop
    detector.detect(page.bgr())  # the first read is whole even on a budget
    assert detector.stats.full_frames == 1 and detector.stats.pending == 0
    for k in range(6):  # a screenful of new lines, and a notification in a corner
        page.line(40, 150 + 70 * k, f"runner-{k} finished build 2.4.{k} at 12:0{k} with 31{k} tests")
    page.line(900, 660, "call +1 415 555 0132", size=16)
    found = detector.detect(page.bgr())
    assert sorted(r.label for r in found if r.label != UNREAD_LABEL) == ["email", "phone"]  # small change first
    assert detector.stats.pending > 0
    left = [r.box for r in found if r.label == UNREAD_LABEL]  # what waits is handed on to be covered
    assert len(left) == detector.stats.pending and all(box.y1 >= 130 and box.y2 < 640 for box in left)
    for _ in range(12):
        if not detector.stats.pending:
            break
        detector.detect(page.bgr())
    assert detector.stats.pending == 0  # nothing starves
    assert any("runner-5" in line.text for line in detector.lines)


def test_a_new_live_detector_starts_from_what_the_previous_one_read(engine):
    """The app rebuilds its detectors on every settings change; the screen need not be read again."""
    page = Page()
    page.line(40, 40, "Contact me at jane.doe@example.com for the meeting")
    TextPiiDetector(engine=engine, budget_s=0.4).detect(page.bgr())
    again = TextPiiDetector(engine=engine, budget_s=0.4)
    assert [r.label for r in again.detect(page.bgr())] == ["email"]
    assert again.stats.reads == 0
    page.line(40, 300, "call +1 415 555 0132 tonight")
    changed = TextPiiDetector(engine=engine, budget_s=0.4)
    assert sorted(r.label for r in changed.detect(page.bgr())) == ["email", "phone"]
    assert changed.stats.full_frames == 0  # only the new line was read


def test_a_change_inside_a_block_of_known_lines_recognises_only_the_line_that_changed(engine):
    """A clock that ticks in a HUD of unchanged lines: the block is searched for lines again, but only the
    line whose pixels changed is recognised; a secret typed over a line is still read."""
    rows = [f"runner-{k} finished build 2.4.{k} at 12:0{k} with 31{k} tests" for k in range(8)]

    def page(changed: dict[int, str]) -> Page:
        p = Page()
        for k, text in enumerate(rows):
            p.line(40, 100 + 24 * k, changed.get(k, text), size=16)  # tightly set: one changed line reads the block
        return p

    detector = TextPiiDetector(engine=engine)
    detector.detect(page({}).bgr())
    reused = detector.stats.reused
    # two clocks tick a line apart: one changed area, three lines; the one between them is not read again
    ticked = {
        3: "runner-3 finished build 2.4.3 at 12:09 with 313 tests",
        5: "runner-5 finished build 2.4.5 at 12:08 with 315 tests",
    }
    assert not [r for r in detector.detect(page(ticked).bgr()) if r.label != UNREAD_LABEL]
    assert detector.stats.reused - reused >= 1
    assert any("12:09" in line.text for line in detector.lines) and any("12:08" in line.text for line in detector.lines)
    typed = page(ticked | {4: "call me on +1 415 555 0132"})
    found = detector.detect(typed.bgr())
    assert [r.label for r in found] == ["phone"]
    assert covered(found, typed.words["0132"]) >= 0.95


def test_same_pixels_tells_video_noise_from_one_changed_glyph():
    from privastream_desktop.detectors.text import OcrLine

    page = Page()
    page.line(40, 40, "meeting at 12:04 in room 7", size=18)
    grey = page.bgr()[:, :, 1].copy()
    line = OcrLine("meeting at 12:04 in room 7", Box(36, 38, 300, 66), (), 0.99).with_pixels(grey)
    rng = np.random.default_rng(1)
    noisy = np.clip(grey + rng.normal(0, 1.5, grey.shape), 0, 255).astype(np.uint8)
    assert line.same_pixels(noisy)
    other = Page()
    other.line(40, 40, "meeting at 12:05 in room 7", size=18)
    assert not line.same_pixels(other.bgr()[:, :, 1].copy())
    assert not line.shifted(30).same_pixels(grey)  # somewhere else: other pixels


def test_an_area_left_for_later_that_scrolls_is_read_where_it_went(engine, monkeypatch):
    """A budgeted look had no time for a new chat line; the chat then scrolled: the line is read at its new
    place (forgetting it would let a later look vouch for a secret nobody read)."""
    import privastream_desktop.detectors.text as text_module

    monkeypatch.setattr(text_module, "_live_screen", [])

    def chat(lines: list[str]) -> Page:
        page = Page()
        for k, text in enumerate(lines):
            page.line(860, 200 + 26 * k, text, size=15)
        return page

    messages = [f"user{k}: message number {k} about the match" for k in range(10)]
    detector = TextPiiDetector(engine=engine, budget_s=0.0)  # a look reads nothing new beyond what it must
    detector.detect(chat(messages[:8]).bgr())  # the first look is whole
    secret = "Zed_42: text me on +44 20 7946 0369"
    detector.detect(chat([*messages[:8], secret]).bgr())  # a new line at the bottom: left for later
    assert detector.stats.pending > 0
    # three more lines came in: the chat moved up three lines, the secret with it
    scrolled = chat([*messages[3:8], secret, "GG_Nova: gg wp", "kayla: first time here", "retro_rex: 800 dpi"])
    found: list[Region] = []
    for _ in range(4):
        found = detector.detect(scrolled.bgr())
        if not detector.stats.pending:
            break
    assert [r.label for r in found if r.label != UNREAD_LABEL] == ["phone"]
    assert covered(found, scrolled.words["0369"]) >= 0.95


def test_a_line_whose_character_boxes_fail_is_still_read(monkeypatch):
    """rapidocr's character-box step divides by a degenerate line's perspective and raises on NaN (seen
    live: the whole lane failed closed for a second); the line is read without character boxes instead."""
    from privastream_desktop.model_store import ModelStore

    store = ModelStore()
    engine = OcrEngine(store.path("text-ppocrv6-det"), store.path("text-ppocrv6-rec"))
    real = engine._ocr

    def char_boxes_fail(image, **kwargs):
        if kwargs.get("return_word_box"):
            raise ValueError("cannot convert float NaN to integer")
        return real(image, **kwargs)

    monkeypatch.setattr(engine, "_ocr", char_boxes_fail)
    page = Page()
    page.line(40, 40, "Contact me at jane.doe@example.com for the meeting")
    regions = TextPiiDetector(engine=engine).detect(page.bgr())
    assert [r.label for r in regions] == ["email"]
    assert covered(regions, page.words["jane.doe@example.com"]) >= 0.95


def test_a_new_chat_line_is_read_before_a_larger_change_even_where_the_last_look_read(engine, monkeypatch):
    """A chat's new line always comes in at the same place, the bottom. It is new text, not a clock that
    keeps changing where the last look read: it goes first among the look's small fresh changes (as "read
    again" it waited behind everything else, and a new chat line stayed blurred for seconds live)."""
    import privastream_desktop.detectors.text as text_module

    monkeypatch.setattr(text_module, "_live_screen", [])

    def screen(lines: list[str], notes: list[str] = ()) -> Page:
        page = Page()
        for k, text in enumerate(lines):
            page.line(860, 200 + 26 * k, text, size=15)
        for k, text in enumerate(notes):
            page.line(40, 120 + 30 * k, text, size=18)
        return page

    messages = [
        "GG_Nova: that clutch was insane", "kayla: first time here, love it", "retro_rex: 800 dpi and 0.35",
        "tinyTurtle: score 12450 is a new PB", "mod_bot: be nice in chat", "Brightside99: patch nerfed the shotgun",
        "lowkeyLuna: 64 tick servers lag", "pixel_pirate: show the settings", "n00bmaster69: 2-1 in the finals",
        "coffee_and_code: uptime 2h 14m",
    ]  # fmt: skip
    detector = TextPiiDetector(engine=engine, budget_s=1e-9)  # a look reads one piece beyond what it must
    detector.detect(screen(messages[:8]).bgr())  # the first look is whole
    detector.detect(screen(messages[1:9]).bgr())  # a line came in at the bottom and was read
    assert detector.stats.pending == 0
    secret = "Zed_42: call me on +1 415 555 0132"
    notes = [f"build step {k} finished in {k + 2}.{k} s without warnings today" for k in range(6)]
    after = screen([*messages[2:9], secret], notes)  # another line, and a larger change elsewhere
    found = detector.detect(after.bgr())
    phones = [r for r in found if r.label == "phone"]
    assert phones and covered(phones, after.words["0132"]) >= 0.95
    assert detector.stats.pending >= 1  # the larger change waits for the next look (covered until then)


def test_a_seed_grid_covers_its_words_and_leaves_the_numbers(engine):
    """A wallet's backup grid: every word is covered; the numbers "1." to "12." say nothing and stay
    readable (covered from first word to last, they took the whole page)."""
    words = ["abstract", "bind", "close", "donate", "filter", "hint"]
    words += ["license", "notable", "program", "scout", "stove", "ugly"]
    page = Page()
    for row in range(4):
        cells = [f"{row * 3 + k + 1}. {words[row * 3 + k]}" for k in range(3)]
        page.line(40, 140 + 34 * row, "   ".join(cells), 20, "mono")
    found = [r for r in TextPiiDetector(engine=engine).detect(page.bgr()) if r.label == "seed_phrase"]
    assert all(covered(found, page.words[w]) >= 0.95 for w in words), [covered(found, page.words[w]) for w in words]
    assert all(covered(found, page.words[f"{n}."]) <= 0.1 for n in range(2, 13)), [
        round(covered(found, page.words[f"{n}."]), 2) for n in range(1, 13)
    ]
