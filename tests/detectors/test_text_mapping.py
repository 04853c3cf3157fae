"""From a PII match (characters of OCR text) to the box that hides it: no OCR needed here."""

from __future__ import annotations

import numpy as np
import pytest

from privastream_desktop.detectors.text import (
    MARGIN_X,
    OcrLine,
    assign_char_boxes,
    block_text,
    find_scroll,
    group_blocks,
    ink_columns,
    match_boxes,
    merge_rects,
    seed_like,
    span_box,
)
from privastream_desktop.regions import Box


def mono_line(text: str, x: float = 100.0, y: float = 50.0, char_w: float = 10.0, h: float = 20.0) -> OcrLine:
    """A line whose character boxes are exact (as for a monospaced font)."""
    boxes = [Box(x + i * char_w, y, x + (i + 1) * char_w, y + h) for i, ch in enumerate(text) if ch != " "]
    chars, exact = assign_char_boxes(text, Box(x, y, x + len(text) * char_w, y + h), boxes)
    return OcrLine(text, Box(x, y, x + len(text) * char_w, y + h), chars, 0.99, exact)


def test_character_boxes_go_to_the_visible_characters_in_order():
    text = "mail a@b.co now"
    line_box = Box(0, 0, 150, 20)
    boxes = [Box(10 * i, 0, 10 * i + 8, 20) for i, ch in enumerate(text) if ch != " "]
    chars, exact = assign_char_boxes(text, line_box, list(reversed(boxes)))  # any order: sorted by x
    assert exact
    assert chars[4] is None and chars[-4] is None  # the spaces
    assert chars[5] == Box(50, 0, 58, 20) and chars[-1] == Box(140, 0, 148, 20)


def test_character_boxes_are_spread_evenly_when_the_counts_disagree():
    chars, exact = assign_char_boxes("ab cd", Box(0, 0, 50, 10), [Box(0, 0, 5, 10)])
    assert not exact
    assert chars[0] == Box(0, 0, 10, 10) and chars[2] is None and chars[4] == Box(40, 0, 50, 10)


def test_span_box_covers_the_secret_plus_a_margin_and_no_more():
    line = mono_line("call 4111 1111 1111 1111 now")
    box = span_box(line, 5, 24)  # the card number
    assert box is not None
    margin = MARGIN_X * line.height
    assert box.x1 == pytest.approx(100 + 5 * 10 - margin)
    assert box.x2 == pytest.approx(100 + 24 * 10 + margin)
    assert box.y1 < line.box.y1 and box.y2 > line.box.y2
    assert span_box(line, 4, 5) is None  # a space alone has nothing to hide


def test_span_box_snaps_to_the_gap_between_words():
    line = mono_line("at jane@x.io for")
    ink = np.ones(int(line.box.width), bool)
    for gap in (2, 12):  # the two spaces, 10 px wide each (x 120-129 and 220-229)
        ink[gap * 10 : gap * 10 + 10] = False
    box = span_box(line, 3, 12, ink)
    assert box is not None
    assert 125 <= box.x1 <= 130  # in the gap after "at", not over it
    assert 220 <= box.x2 <= 225  # in the gap before "for"
    fixed = span_box(line, 3, 12)  # without ink: the fixed margin, wider
    assert fixed is not None and fixed.x1 < box.x1 and fixed.x2 > box.x2


def test_ink_columns_refuse_a_busy_background():
    plain = np.full((12, 40), 30, np.uint8)
    plain[3:9, 10:20] = 220
    ink = ink_columns(plain)
    assert ink is not None and ink[10:20].all() and not ink[:10].any()
    noise = np.random.default_rng(0).integers(0, 255, (12, 40)).astype(np.uint8)
    assert ink_columns(noise) is None


def test_a_match_over_two_rows_gets_one_box_per_line():
    lines = [mono_line("742 Evergreen Terrace", y=50), mono_line("Springfield, IL 62704", y=72)]
    (block,) = group_blocks(lines)
    text = block_text(lines, block)
    assert text.text == "742 Evergreen Terrace\nSpringfield, IL 62704"
    boxes = match_boxes(text, lines, 4, text.text.index(","))
    assert len(boxes) == 2
    assert boxes[0].y2 <= boxes[1].y2 and boxes[0].x1 > lines[0].box.x1  # from "Evergreen" on


def test_rows_join_close_lines_and_keep_far_panels_apart():
    lines = [
        mono_line("1. witch", x=100, y=50),
        mono_line("2. salad", x=200, y=51),  # same row, one gap
        mono_line("score 12", x=900, y=50),  # another panel on the same baseline
    ]
    rows = [row for block in group_blocks(lines) for row in block]
    assert sorted(map(sorted, rows)) == [[0, 1], [2]]


def test_only_blocks_of_seed_words_are_read_as_one_phrase():
    phrase = "witch collapse practice feed shame open\ndespair creek road again ice least"
    assert not seed_like("user1: message number 1 about the match\nuser2: message number 2 about the game")
    words = "alone prison horse maid desk sunny\nman tattoo grow album veteran cinnamon"
    assert seed_like(words)
    assert not seed_like(phrase.replace("\n", " ")[:30])


def test_merging_keeps_far_apart_changes_apart():
    assert merge_rects([(0, 0, 100, 100), (50, 0, 150, 100)]) == [(0, 0, 150, 100)]
    assert merge_rects([(0, 0, 100, 20), (1100, 600, 1200, 620)]) == [(0, 0, 100, 20), (1100, 600, 1200, 620)]
    # an L-shaped pair whose bounding box would be mostly unchanged stays two reads
    assert len(merge_rects([(0, 0, 600, 20), (590, 10, 610, 700)])) == 2


def test_find_scroll_measures_a_chat_moving_up():
    rng = np.random.default_rng(1)
    page = np.full((400, 300), 30, np.uint8)
    for k in range(14):
        page[10 + 26 * k : 24 + 26 * k, 10 : 10 + int(rng.integers(100, 280))] = 200
    before, after = page[:300], page[26:326].copy()
    shift, todo = find_scroll(before, after, 120)
    assert shift == 26
    assert todo[-26:].all() and not todo[: 300 - 26].any()
    assert find_scroll(before, before[::-1].copy(), 120) is None


def test_after_a_scroll_a_border_that_stayed_still_is_not_read_again():
    """A panel's border does not scroll with its lines; counted as a difference (3 px a row here) it let
    a few noisy pixels make rows in the middle of the chat be read again after every scroll."""
    rng = np.random.default_rng(1)
    page = np.full((400, 300), 30, np.uint8)
    for k in range(14):
        page[10 + 26 * k : 24 + 26 * k, 10 : 10 + int(rng.integers(100, 280))] = 200
    before, after = page[:300].copy(), page[26:326].copy()
    border = np.repeat(np.where(np.arange(300) % 40 < 20, 120, 30).astype(np.uint8)[:, None], 3, axis=1)
    before[:, :3] = after[:, :3] = border  # the edge of what is beside the panel, still, at the same place
    after[[60, 61, 140, 200], 150:152] = 90  # codec noise: 2 px on a few rows
    shift, todo = find_scroll(before, after, 120)
    assert shift == 26
    assert todo[-26:].all() and not todo[: 300 - 26].any()
    after[140:150, 40:120] = 250  # a real change in the middle is still read
    shift, todo = find_scroll(before, after, 120)
    assert shift == 26 and todo[140:150].all()


def test_an_address_bar_over_a_chat_is_a_separate_change():
    """Both changed at once (a token in the URL, a chat line): joined into one box they were not a
    scroll, and the whole screen between them was read."""
    from privastream_desktop.detectors.text import changed_rects, small_grey

    reference = np.full((720, 1280), 30, np.uint8)
    current = reference.copy()
    current[8:30, 340:900] = 200  # the address bar's text
    for k in range(20):  # every line of a chat at the right changed (it scrolled)
        current[52 + 26 * k : 66 + 26 * k, 830 : 830 + 150 + 11 * k] = 200
    rects = changed_rects(small_grey(reference), small_grey(current), 1280, 720)
    assert len(rects) == 2
    bar = next(r for r in rects if r[1] == 0)
    assert bar[3] <= 48 and bar[0] < 830  # the bar alone ...
    chat = next(r for r in rects if r[1] > 0)
    assert chat[0] >= 816 and chat[1] >= 32  # ... and the chat alone, as one patch


def test_left_over_areas_inside_others_are_dropped():
    from privastream_desktop.detectors.text import _without_repeats

    rects = [(0, 0, 100, 50), (10, 10, 90, 40), (0, 0, 100, 50), (200, 0, 300, 40), (190, 0, 310, 60)]
    assert _without_repeats(rects) == [(0, 0, 100, 50), (190, 0, 310, 60)]
