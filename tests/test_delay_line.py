"""The privacy delay line with scripted detectors standing in for models.

The scripted detectors are a test seam: they let us make a detector crash,
hang or lag on purpose, which real models do rarely and unpredictably.
"""

import threading
import time

import numpy as np

from privastream_desktop.delay_line import DetectorLane, PrivacyDelayLine
from privastream_desktop.regions import Box, Frame, Region, RegionKind
from privastream_desktop.tracking import TrackStabilizer

FACE_BOX = Box(100, 100, 180, 180)


class ScriptedDetector:
    kind = RegionKind.FACE
    name = "scripted"

    def __init__(self, *, visible_from: int = 0, fail_on: set[int] | None = None, delay_s: float = 0.0):
        self.visible_from = visible_from
        self.fail_on = fail_on or set()
        self.delay_s = delay_s
        self.calls: list[int] = []

    def detect(self, image: np.ndarray) -> list[Region]:
        index = int(image[0, 0, 0])  # frames carry their index in the first pixel
        self.calls.append(index)
        if self.delay_s:
            time.sleep(self.delay_s)
        if index in self.fail_on:
            raise RuntimeError("model exploded")
        return [Region(RegionKind.FACE, FACE_BOX, 0.9)] if index >= self.visible_from else []


def frame(i: int, t: float | None = None) -> Frame:
    image = np.zeros((240, 320, 3), np.uint8)
    image[0, 0, 0] = i
    return Frame(i, i / 30 if t is None else t, image)


def lane(detector, stride=1) -> DetectorLane:
    return DetectorLane(detector, TrackStabilizer(RegionKind.FACE, hold_frames=5, lead_frames=10), stride=stride)


def run_file_mode(line: PrivacyDelayLine, n: int):
    out = []
    for i in range(n):
        out += line.push(frame(i))
    out += line.drain()
    line.close()
    return out


def test_every_frame_leaves_once_in_order():
    line = PrivacyDelayLine([lane(ScriptedDetector(), stride=3)], lookahead_frames=6)
    out = run_file_mode(line, 40)
    assert [p.frame.index for p in out] == list(range(40))
    assert not any(p.fail_closed for p in out)
    assert all(p.regions for p in out)


def test_first_detection_is_painted_into_buffered_frames():
    line = PrivacyDelayLine([lane(ScriptedDetector(visible_from=10))], lookahead_frames=10)
    out = run_file_mode(line, 20)
    masked = [p.frame.index for p in out if p.regions]
    assert masked[0] == 0, "frames before the first detection that were still buffered must be masked"


def test_without_lookahead_nothing_is_painted_back():
    # The counterpart of the test above: with no frames held, nothing can be painted back.
    line = PrivacyDelayLine([lane(ScriptedDetector(visible_from=10))], lookahead_frames=0, pipeline_frames=0)
    out = run_file_mode(line, 20)
    assert next(p.frame.index for p in out if p.regions) == 10


def test_crashing_detector_fails_its_frames_closed():
    line = PrivacyDelayLine([lane(ScriptedDetector(fail_on={6}), stride=3)], lookahead_frames=3)
    out = run_file_mode(line, 12)
    closed = [p.frame.index for p in out if p.fail_closed]
    assert closed == [6, 7, 8], "the frames ruled by the crashed keyframe must fail closed"
    assert "crashed" in out[6].reasons[0] and "model exploded" in out[6].reasons[0]
    assert line.fail_closed_counts[out[6].reasons[0]] == 3


def test_hung_detector_fails_closed_instead_of_blocking_forever():
    release = threading.Event()

    class Hanging(ScriptedDetector):
        def detect(self, image):
            if int(image[0, 0, 0]) == 4:
                release.wait(5)
            return super().detect(image)

    line = PrivacyDelayLine([lane(Hanging())], lookahead_frames=2, job_timeout_s=0.2)
    started = time.monotonic()
    out = run_file_mode(line, 10)
    release.set()
    assert time.monotonic() - started < 3
    assert out[4].fail_closed and "timed out" in out[4].reasons[0]
    assert not out[0].fail_closed


def test_realtime_slow_detector_fails_closed_and_says_so():
    clock = [0.0]
    detector = ScriptedDetector(delay_s=0.3)
    line = PrivacyDelayLine(
        [lane(detector)],
        realtime_delay_s=0.0,
        deadline_grace_s=0.02,
        max_stale_frames=2,
        clock=lambda: clock[0],
    )
    out = []
    for i in range(10):
        clock[0] = i / 30
        out += line.push(frame(i, t=i / 30))
    line.close()
    assert len(out) == 10
    assert all(p.fail_closed for p in out), "no frame may pass unchecked while the detector lags"
    assert any("fell behind" in r for p in out for r in p.reasons)


def test_realtime_fast_detector_passes_frames_with_masks():
    clock = [0.0]
    line = PrivacyDelayLine(
        [lane(ScriptedDetector())], realtime_delay_s=0.1, deadline_grace_s=1.0, clock=lambda: clock[0]
    )
    out = []
    for i in range(20):
        clock[0] = i / 30
        out += line.push(frame(i, t=i / 30))
        time.sleep(0.005)
    line.close()
    # frames leave 0.1 s (3 frames) after capture
    assert [p.frame.index for p in out] == list(range(20 - 3))
    assert not any(p.fail_closed for p in out)
    assert all(p.regions for p in out)


def test_realtime_frames_between_looks_use_the_newest_finished_look():
    """A detector slower than the frame interval still rules, through its newest finished look."""
    detector = ScriptedDetector(delay_s=0.05)
    line = PrivacyDelayLine([lane(detector)], realtime_delay_s=0.0, deadline_grace_s=0.005, max_stale_frames=8)
    out = []
    start = time.monotonic()
    for i in range(30):
        out += line.push(frame(i, t=time.monotonic()))
        time.sleep(max(0.0, start + (i + 1) / 30 - time.monotonic()))
    line.close()
    assert len(out) == 30
    assert out[0].fail_closed, "before the first look finishes nothing can vouch for a frame"
    later = out[5:]
    assert not any(p.fail_closed for p in later)
    assert all(p.regions for p in later)
    assert len(detector.calls) < 30, "a busy lane must skip frames in live mode"


# -- live settings changes: one lane swapped, the others kept ----------------------------------------------------


class ClosableDetector(ScriptedDetector):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.closed = False

    def close(self) -> None:
        self.closed = True


def push_frames(line: PrivacyDelayLine, indices) -> list:
    out = []
    for i in indices:
        out += line.push(frame(i))
    return out


def test_a_replaced_lane_still_rules_on_the_frames_in_flight_and_the_new_one_from_the_next_frame():
    old, new = ClosableDetector(), ClosableDetector(visible_from=1000)  # the new settings find nothing
    old_lane = lane(old)
    line = PrivacyDelayLine([old_lane], lookahead_frames=6, pipeline_frames=0)
    out = push_frames(line, range(10))  # frames 4-9 are in flight
    line.replace_lane(old_lane, lane(new))
    out += push_frames(line, range(10, 20)) + line.drain()
    line.close()
    assert [p.frame.index for p in out] == list(range(20))
    assert not any(p.fail_closed for p in out), "a settings change must not fail the frames in flight closed"
    assert all(p.regions for p in out[:10]), "the frames in flight keep the masks of the lane they entered under"
    assert not any(p.regions for p in out[10:])
    assert max(old.calls) == 9 and min(new.calls) == 10
    assert old.closed, "the replaced lane closes once its frames have left"


def test_a_lane_switched_on_fails_the_frames_it_has_not_looked_at_closed():
    line = PrivacyDelayLine([lane(ScriptedDetector())], lookahead_frames=6, pipeline_frames=0)
    out = push_frames(line, range(10))
    line.replace_lane(None, lane(ScriptedDetector(visible_from=1000)))
    out += push_frames(line, range(10, 20)) + line.drain()
    line.close()
    closed = [p.frame.index for p in out if p.fail_closed]
    assert closed == list(range(4, 10)), "frames buffered when the lane was switched on were never looked at"
    assert all("has not looked at this frame" in p.reasons[-1] for p in out if p.fail_closed)


def test_a_lane_switched_off_still_masks_the_frames_in_flight_then_closes():
    detector = ClosableDetector()
    faces = lane(detector)
    line = PrivacyDelayLine([faces], lookahead_frames=6, pipeline_frames=0)
    out = push_frames(line, range(10))
    line.replace_lane(faces, None)
    assert not detector.closed, "frames 4-9 still need its verdicts"
    out += push_frames(line, range(10, 20)) + line.drain()
    assert [p.frame.index for p in out] == list(range(20))
    assert all(p.regions for p in out[:10])
    assert not any(p.regions for p in out[10:])
    assert not any(p.fail_closed for p in out)
    assert detector.closed and max(detector.calls) == 9


def test_a_shorter_delay_lets_due_frames_out_once_each_and_a_longer_one_holds_them():
    clock = [0.0]
    line = PrivacyDelayLine(
        [lane(ScriptedDetector())], realtime_delay_s=1.0, deadline_grace_s=1.0, clock=lambda: clock[0]
    )
    released: dict[int, list[int]] = {}  # push -> frames it let out
    out = []
    for i in range(75):
        if i == 30:
            line.set_delay(0.2)
        if i == 45:
            line.set_delay(1.0)
        clock[0] = i / 30
        got = line.push(frame(i, t=i / 30))
        released[i] = [p.frame.index for p in got]
        out += got
        time.sleep(0.002)
    line.close()
    assert [p.frame.index for p in out] == list(range(45)), "each frame once, in order, none lost"
    assert released[30] == list(range(25)), "with 0.2 s, every frame captured by 0.8 s is due at once"
    assert released[44] == [38]
    assert not any(released[i] for i in range(45, 69)), "with 1.0 s again, frames wait until 1.0 s old"
    assert released[69] == [39]
    assert not any(p.fail_closed for p in out)
