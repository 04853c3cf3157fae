"""Text redactions in time (TextRegionHold) and the text lane's rules in the delay line.

Synthetic frames: a textured patch stands in for a secret (the tracker compares pixels, it never
reads); scripted detectors stand in for OCR so looks can be slow, hang or crash on purpose.
"""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from privastream_desktop.delay_line import DetectorLane, PrivacyDelayLine
from privastream_desktop.regions import Box, Frame, Region, RegionKind
from privastream_desktop.text_tracking import UNREAD_LABEL, TextRegionHold

W, H = 640, 360


def _text_patch() -> np.ndarray:
    """A secret as it looks on screen: light text on a dark field, 120 x 20 px."""
    from PIL import Image, ImageDraw

    from privastream_desktop.screen_samples import font

    image = Image.new("RGB", (120, 20), (30, 30, 30))
    ImageDraw.Draw(image).text((2, 1), "jane.doe@ex.com", font=font("sans", 15), fill=(235, 235, 235))
    return np.asarray(image)[:, :, ::-1].copy()


PATCH = _text_patch()


def screen(at: tuple[int, int] | None, flicker: int | None = None) -> np.ndarray:
    image = np.full((H, W, 3), 30, np.uint8)
    if at is not None:
        x, y = at
        patch = PATCH.copy()
        if flicker is not None:  # the same secret over a background that changes every frame
            patch = np.clip(patch.astype(int) + (-50, 0, 50)[flicker % 3], 0, 255).astype(np.uint8)
        image[y : y + 20, x : x + 120] = patch
    return image


def secret_region(at: tuple[int, int]) -> Region:
    x, y = at
    return Region(RegionKind.TEXT, Box(x - 4, y - 3, x + 124, y + 23), 0.9, label="email")


def covers(regions: list[Region], at: tuple[int, int]) -> bool:
    x, y = at
    return any(r.box.x1 <= x and r.box.y1 <= y and r.box.x2 >= x + 120 and r.box.y2 >= y + 20 for r in regions)


def held(hold: TextRegionHold, index: int) -> list[Region]:
    """What the holds cover in a frame (areas no look has read are covered too: tested below)."""
    return [r for r in hold.regions_at(index, W, H) if r.label != UNREAD_LABEL]


def feed(hold: TextRegionHold, frames: list[np.ndarray]) -> None:
    for i, image in enumerate(frames):
        hold.observe(Frame(i, i / 30, image))


def test_a_box_holds_while_its_pixels_stay_the_same_and_ends_when_they_change():
    at = (100, 100)
    frames = [screen(None)] * 3 + [screen(at)] * 12 + [screen(None)] * 6  # there in frames 3-14
    hold = TextRegionHold()
    feed(hold, frames)
    hold.update(8, [secret_region(at)])  # OCR found it on frame 8
    hold.update(18, [])  # a later look found nothing

    covered = [bool(held(hold, i)) for i in range(len(frames))]
    assert covered == [False] * 3 + [True] * 12 + [False] * 6  # back to its first frame, off when it left
    assert all(covers(held(hold, i), at) for i in range(3, 15))
    assert {r.label for i in range(3, 15) for r in held(hold, i)} == {"email"}


def test_until_a_later_look_rules_the_old_box_stays_for_a_moment():
    at = (100, 100)
    frames = [screen(at)] * 10 + [screen(None)] * 20
    hold = TextRegionHold(grace_frames=5)
    feed(hold, frames)
    hold.update(5, [secret_region(at)])
    covered = [bool(held(hold, i)) for i in range(len(frames))]
    assert covered == [True] * 15 + [False] * 15  # 10 frames there + 5 of grace (live: OCR not back yet)


def test_a_scrolled_secret_is_followed():
    frames = [screen((100, 100))] * 10 + [screen((100, 75))] * 10 + [screen((104, 31))] * 10
    hold = TextRegionHold()
    feed(hold, frames)
    hold.update(4, [secret_region((100, 100))])
    for i in range(10):
        assert covers(held(hold, i), (100, 100))
    for i in range(10, 20):  # 25 px up: an odd move, half a pixel off in the half-size copy
        assert covers(held(hold, i), (100, 75)), i
    for i in range(20, 30):  # then 44 px up and 4 px right at once
        (region,) = held(hold, i)
        assert region.box.y1 == pytest.approx(31 - 3, abs=2) and region.box.x1 == pytest.approx(104 - 4, abs=2)


def test_two_looks_that_find_it_cover_the_frames_between_even_over_a_moving_background():
    at = (100, 100)
    frames = [screen(at, flicker=i) for i in range(25)]  # pixels change every frame
    hold = TextRegionHold(grace_frames=0)
    feed(hold, frames)
    hold.update(0, [secret_region(at)])
    hold.update(10, [secret_region(at)])
    hold.update(20, [])
    covered = [covers(held(hold, i), at) for i in range(25)]
    assert covered[:11] == [True] * 11  # bridged between the two looks that found it
    assert not any(covered[12:])  # the look on frame 20 did not: nothing past frame 10 is held


def test_an_unrelated_change_elsewhere_does_not_end_a_hold():
    at = (100, 100)
    frames = []
    for i in range(20):
        image = screen(at)
        image[300:340, 400 : 400 + 10 * i] = 255  # a progress bar far away
        image[120, 222] = 255 if i % 2 else 30  # a caret blinking just beside the box
        frames.append(image)
    hold = TextRegionHold()
    feed(hold, frames)
    hold.update(0, [secret_region(at)])
    hold.update(10, [])  # the area was not read again: OCR saw nothing new
    assert all(covers(held(hold, i), at) for i in range(20))


# -- areas no look has read ------------------------------------------------------------------------


def unread(hold: TextRegionHold, index: int) -> list[Box]:
    return [r.box for r in hold.regions_at(index, W, H) if r.label == UNREAD_LABEL]


def test_text_that_appears_after_the_last_look_is_covered_until_a_look_reads_it():
    at = (300, 200)
    frames = [screen(None)] * 10 + [screen(at)] * 20  # new text on frame 10; looks on frames 0 and 20
    hold = TextRegionHold()
    feed(hold, frames)
    hold.update(0, [])
    # live: frame 12 leaves before the look on frame 20 is back; nothing has read the new text yet
    assert not unread(hold, 5)
    assert any(covers([Region(RegionKind.TEXT, b, 1.0)], at) for b in unread(hold, 12))
    assert all(b.area < 0.05 * W * H for b in unread(hold, 12))  # only there, not the whole picture
    hold.update(20, [])  # the look read it: harmless text, back in view, also in frames before the look
    assert not unread(hold, 12) and not unread(hold, 25)


def test_an_area_the_look_left_for_later_stays_covered_until_a_later_look():
    at = (300, 200)
    frames = [screen(at)] * 30
    hold = TextRegionHold()
    feed(hold, frames)
    left = Region(RegionKind.TEXT, Box(290, 190, 430, 230), 1.0, label=UNREAD_LABEL)
    hold.update(0, [left])  # a budgeted look had no time for this area
    assert all(any(covers([Region(RegionKind.TEXT, b, 1.0)], at) for b in unread(hold, i)) for i in range(0, 15))
    hold.update(15, [])  # read now; the same pixels in frames before it were read with them
    assert not unread(hold, 10) and not unread(hold, 15) and not unread(hold, 29)


def test_text_that_came_and_went_between_two_looks_is_covered():
    at = (300, 200)
    frames = [screen(None)] * 4 + [screen(at)] * 3 + [screen(None)] * 4  # shown on frames 4-6 only
    hold = TextRegionHold()
    feed(hold, frames)
    hold.update(0, [])
    hold.update(10, [])
    assert [bool(unread(hold, i)) for i in range(11)] == [False] * 4 + [True] * 3 + [False] * 4


def test_video_noise_and_a_still_screen_leave_nothing_unread():
    rng = np.random.default_rng(7)
    base = screen((300, 200))
    frames = [np.clip(base + rng.normal(0, 2.0, base.shape), 0, 255).astype(np.uint8) for _ in range(20)]
    hold = TextRegionHold()
    feed(hold, frames)
    hold.update(0, [])
    assert not any(unread(hold, i) for i in range(20))


# -- the text lane in the delay line ---------------------------------------------------------------


class PixelOracle:
    """Finds the secret where a real OCR would: by looking at the frame (here: at the patch's pixels)."""

    kind = RegionKind.TEXT
    name = "oracle"

    def __init__(
        self, at: tuple[int, int], delay_s: float = 0.0, hang_on: int | None = None, crash_from: int | None = None
    ):
        self.at, self.delay_s, self.hang_on, self.crash_from = at, delay_s, hang_on, crash_from
        self.calls = 0
        self.release = threading.Event()

    def detect(self, image: np.ndarray) -> list[Region]:
        self.calls += 1
        if self.calls == self.hang_on:
            self.release.wait(10)
        if self.crash_from is not None and self.calls >= self.crash_from:
            raise RuntimeError("OCR exploded")
        time.sleep(self.delay_s)
        x, y = self.at
        return [secret_region(self.at)] if np.array_equal(image[y : y + 20, x : x + 120], PATCH) else []


def test_the_delay_line_covers_a_secret_from_its_first_frame_though_ocr_saw_it_later():
    at = (200, 150)
    lane = DetectorLane(PixelOracle(at), TextRegionHold(), stride=10, workers=1)
    line = PrivacyDelayLine([lane], lookahead_frames=15, pipeline_frames=0)
    out = []
    for i in range(40):  # the notification appears on frame 13; OCR looks at frames 0, 10, 20, 30
        out += line.push(Frame(i, i / 30, screen(at if i >= 13 else None)))
    out += line.drain()
    line.close()
    assert [covers(item.regions, at) for item in out] == [False] * 13 + [True] * 27
    assert not any(item.fail_closed for item in out)


def realtime_run(detector: PixelOracle, seconds: float, stuck_after_s: float = 0.6) -> list:
    lane = DetectorLane(detector, TextRegionHold(), stride=3, workers=1, stuck_after_s=stuck_after_s)
    line = PrivacyDelayLine([lane], realtime_delay_s=0.0, max_stale_frames=2)
    out, start = [], time.monotonic()
    i = 0
    while time.monotonic() - start < seconds:
        out += [(time.monotonic() - start, item) for item in line.push(Frame(i, time.monotonic(), screen(detector.at)))]
        i += 1
        time.sleep(1 / 60)
    detector.release.set()
    line.close()
    return out


def test_live_a_slow_ocr_rules_with_its_last_look_instead_of_blurring_everything():
    # each look takes 0.25 s = 15 frames at 60 fps, far more than the 2 frames a fast lane may lag
    out = realtime_run(PixelOracle((100, 100), delay_s=0.25), seconds=1.6)
    after_first = [item for t, item in out if t > 0.4]
    assert after_first and not any(item.fail_closed for item in after_first)
    assert all(covers(item.regions, (100, 100)) for item in after_first)
    assert all(item.fail_closed for t, item in out if t < 0.2)  # nothing known yet: hidden


def test_live_a_stuck_ocr_fails_closed():
    out = realtime_run(PixelOracle((100, 100), delay_s=0.05, hang_on=3), seconds=2.0, stuck_after_s=0.6)
    late = [item for t, item in out if t > 1.5]
    assert late and all(item.fail_closed for item in late)
    assert any("stuck" in reason for reason in late[-1].reasons)
    assert not any(item.fail_closed for t, item in out if 0.3 < t < 0.5)  # fine before it hung


def test_live_a_crashed_ocr_fails_closed():
    out = realtime_run(PixelOracle((100, 100), delay_s=0.05, crash_from=2), seconds=1.0)
    late = [item for t, item in out if t > 0.6]
    assert late and all(item.fail_closed for item in late)
    assert any("crashed" in reason for reason in late[-1].reasons)


def test_unread_areas_become_rectangles_that_cover_exactly_their_tiles():
    from privastream_desktop.text_tracking import tile_rectangles

    rng = np.random.default_rng(3)
    for _ in range(20):
        mask = rng.random((12, 20)) < 0.3
        back = np.zeros_like(mask)
        for x1, y1, x2, y2 in tile_rectangles(mask):
            assert not back[y1:y2, x1:x2].any()  # no tile twice
            back[y1:y2, x1:x2] = True
        assert (back == mask).all()  # nothing between scattered areas is covered, nothing set is left out


# -- scrolling text ----------------------------------------------------------------------------------


def chat(lines: list[str], top: int = 40) -> np.ndarray:
    """A chat column (real glyphs, 25 px per line, an odd step) on the right of a dark screen."""
    from PIL import Image, ImageDraw

    from privastream_desktop.screen_samples import font

    image = Image.new("RGB", (W, H), (30, 30, 30))
    draw = ImageDraw.Draw(image)
    for n, line in enumerate(lines):
        draw.text((330, top + 25 * n), line, font=font("sans", 15), fill=(230, 230, 230))
    return np.asarray(image)[:, :, ::-1].copy()


CHAT = [
    "pixel_pirate: patch 2.4.1 nerfed it", "tinyTurtle: level 37 already??", "Zed_42: raid incoming in 5",
    "coffee: Merry Christmas chat", "n00b: 64 tick servers lag today", "mod_bot: be nice in chat please",
    "lowkeyLuna: held 3rd place for 45 min", "GG_Nova: gg wp", "Brightside99: KEKW that was close",
    "retro_rex: 800 dpi and 0.35 in game", "kayla: first time here, hi all", "xX_Sn1per: that clutch 10/10",
    "pixel_pirate: show the settings again?", "tinyTurtle: score 12450 is a new PB", "Zed_42: how long is the run",
    "coffee: brb making tea", "n00b: what keyboard is that", "mod_bot: no spoilers please",
    "lowkeyLuna: 2-1 in the finals, nice", "GG_Nova: see you tomorrow",
]  # fmt: skip


def test_a_chat_scroll_is_found_as_a_move_not_as_new_text():
    from privastream_desktop.text_tracking import changed_tiles, find_scrolls, scroll_blur, signature

    before, after = signature(chat(CHAT[0:12])), signature(chat(CHAT[1:13]))
    changed = changed_tiles(before, after)
    moves = find_scrolls(scroll_blur(before), scroll_blur(after), changed, max_shift=60)
    assert len(moves) == 1
    moved, dy = moves[0]
    assert dy == 12.5  # 25 frame px up = 12.5 signature px
    assert moved.sum() >= 0.8 * changed.sum()  # all but the line that came in at the bottom
    assert not moved[-(-(40 + 25 * 11) // 16) :].any()  # and that line is not taken for a moved one
    other = signature(chat(CHAT[8:20]))  # a different page of chat (a tab switch), not a scroll
    assert not find_scrolls(scroll_blur(before), scroll_blur(other), changed_tiles(before, other), max_shift=60)


def test_after_a_scroll_only_the_line_that_came_in_is_unread():
    frames = [chat(CHAT[0:12])] * 5 + [chat(CHAT[1:13])] * 10  # the chat moves up one line on frame 5
    hold = TextRegionHold()
    feed(hold, frames)
    hold.update(0, [])  # a look read the whole chat before the scroll
    boxes = unread(hold, 8)
    new_line_y = 40 + 25 * 11  # where the 13th message now sits
    assert boxes and all(b.y2 >= new_line_y - 16 for b in boxes)  # nothing above the new line's tiles
    assert any(b.y1 <= new_line_y + 5 and b.y2 >= new_line_y + 15 for b in boxes)  # the new line is covered
    hold.update(10, [])  # read now: the frames since the scroll are vouched for as well
    assert not unread(hold, 8)


def test_a_later_look_vouches_for_text_before_a_scroll_that_it_read_after_it():
    frames = [chat(CHAT[0:12])] * 5 + [chat(CHAT[1:13])] * 10
    hold = TextRegionHold()
    feed(hold, frames)
    hold.update(0, [Region(RegionKind.TEXT, Box(320, 30, 640, 360), 1.0, label=UNREAD_LABEL)])  # had no time
    assert unread(hold, 3)
    hold.update(10, [])  # the look after the scroll read the chat: the same lines, one line higher
    # frames before the scroll show those lines lower down: read too, except the oldest line that
    # scrolled out of the picture before the look (nobody read it) and a tile or two where the last line
    # met the one that came in (neither a clean move nor unchanged: not vouched for)
    boxes = unread(hold, 3)
    assert any(b.y1 <= 40 and b.y2 >= 58 for b in boxes)  # the line nobody read
    assert not any(b.y2 > 96 and b.y1 < 290 for b in boxes)  # the ten lines between


def test_a_scroll_does_not_count_as_motion():
    """A chat that scrolls a line every few frames is not a moving scene: new lines in it stay covered until
    read (from 5 lines in 15 frames on, a scroll counts as motion, like a game's)."""
    frames = [chat(CHAT[k // 4 : k // 4 + 12]) for k in range(32)]  # one line up every fourth frame
    hold = TextRegionHold()
    feed(hold, frames)
    hold.update(0, [])
    assert all(unread(hold, i) for i in range(4, 32))  # each new line at the bottom is covered
    assert all(all(b.y2 >= 40 + 25 * 8 for b in unread(hold, i)) for i in range(4, 16))  # and only new lines


def test_a_notification_that_slid_in_is_covered_once_it_stops():
    """While it slides it counts as motion (best effort); once it sits still, at once, not once the slide has
    left the motion window (that left an e-mail readable for 13 frames at the app's default delay)."""

    def notification(x: int) -> np.ndarray:
        wide = np.full((H, W + 200, 3), 30, np.uint8)  # it comes in from beyond the right edge
        wide[300:340, x : x + 200] = 70
        wide[310:330, x + 40 : x + 160] = PATCH
        return wide[:, :W].copy()

    slide = [notification(W - 25 * k) for k in range(1, 13)]  # 25 px a frame, for 12 frames
    frames = [screen(None)] * 5 + slide + [slide[-1]] * 20
    hold = TextRegionHold()
    feed(hold, frames)
    hold.update(0, [])
    stopped = 5 + len(slide)
    at = (W - 25 * 12 + 40, 310)
    for i in range(stopped + 1, len(frames)):
        assert any(covers([Region(RegionKind.TEXT, b, 1.0)], at) for b in unread(hold, i)), i


def test_a_new_chat_line_is_covered_and_the_line_above_it_stays_readable():
    """The cover of unread text keeps half a tile of margin: enough for the edge of a glyph that the change
    map cut, not so much that it reaches into the line above (a whole tile blurred the chat's previous
    line whenever one came in)."""
    from privastream_desktop.screen_samples import font

    frames = [chat(CHAT[0:8])] * 5 + [chat(CHAT[0:9])] * 10  # a ninth line comes in on frame 5
    hold = TextRegionHold()
    feed(hold, frames)
    hold.update(0, [])
    mask = np.zeros((H, W), bool)
    for b in unread(hold, 8):
        x1, y1, x2, y2 = b.as_int()
        mask[y1:y2, x1:x2] = True

    def ink(line: int) -> np.ndarray:
        x1, y1, x2, y2 = font("sans", 15).getbbox(CHAT[line])
        top = 40 + 25 * line
        return mask[top + y1 : top + y2, 330 + x1 : 330 + x2]

    assert ink(8).mean() >= 0.99  # the new line
    assert ink(7).mean() <= 0.1  # the one above
