"""Settings changed while the live pipeline runs, with the real detectors on a looping clip.

A change rebuilds only the lanes whose own settings changed: the other lanes keep their detectors,
trackers and the verdicts they owe the frames in flight, so those frames keep their masks instead of
leaving fully blurred. A lane switched on fails closed every frame it has not looked at.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, fields, replace

import numpy as np
import pytest

from privastream_desktop import engine, live
from privastream_desktop.engine import LANE_FIELDS, LANE_ORDER, NOT_LANE_FIELDS, ProtectionSettings, lane_changed
from privastream_desktop.live import LivePipeline, open_live_source
from privastream_desktop.redactor import MaskStyle, RedactionSettings
from privastream_desktop.regions import RegionKind
from privastream_desktop.whitelist import Whitelist
from tests.media import scene_clip

W, H, FPS, SECONDS = 640, 360, 30, 4.0
# Where the looping clip jumps back to its start the faces jump too (a scene cut): the face lane misses a
# frame there now and then with or without a settings change (measured: 2 of 333 frames in 12 s), so
# coverage is judged away from the seam.
SEAM = {118, 119, 0, 1, 2}


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    """Two faces and two plates in view the whole time, with their per-frame truth."""
    return scene_clip(tmp_path_factory.mktemp("clip") / "mixed.mp4", "mixed", width=W, height=H, fps=FPS,
                      seconds=SECONDS)  # fmt: skip


@dataclass
class Out:
    frame: live.LiveFrame
    t: float  # when it came out (monotonic)


class Run:
    """The pipeline in its own thread, the way the app's worker drives it; records what comes out."""

    def __init__(self, clip, settings: ProtectionSettings, delay_s: float) -> None:
        self.truth = clip[1]
        self.pipeline = LivePipeline(open_live_source(str(clip[0]), W, H, FPS), settings, delay_s=delay_s)
        self.out: list[Out] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self.pipeline.run, args=(self._stop, self._take))

    def _take(self, frame: live.LiveFrame) -> None:
        self.out.append(Out(frame, time.monotonic()))

    def __enter__(self) -> Run:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(20)
        self.pipeline.source.close()

    def lanes(self) -> dict[RegionKind, object]:
        return {lane.detector.kind: lane for lane in self.pipeline._line.lanes}

    def wait_clean(self, timeout: float = 20.0) -> None:
        """Until the first look of every lane has come through: frames leave checked."""
        deadline = time.monotonic() + timeout
        while not (self.out and not self.out[-1].frame.fail_closed):
            assert time.monotonic() < deadline, "the pipeline never let a checked frame out"
            time.sleep(0.05)
        time.sleep(0.5)

    def change(self, settings: ProtectionSettings, delay_s: float | None = None, *, after_s: float = 3.0):
        """Apply a change; return (frames captured before it, frames out after it) once ``after_s`` has passed."""
        self.pipeline.update(settings, delay_s)
        while self.pipeline._pending is not None:  # taken between two frames; applied before the next is out
            time.sleep(0.001)
        applied_at = time.monotonic()
        time.sleep(after_s)
        after = [o for o in self.out if o.t > applied_at]
        return [o for o in after if o.t - o.frame.latency_ms / 1000 < applied_at], after

    def faces_covered(self, item: Out) -> bool:
        return covered(item.frame, self.truth, "face", RegionKind.FACE)

    def plates_covered(self, item: Out) -> bool:
        return covered(item.frame, self.truth, "plate", RegionKind.PLATE)


def covered(frame: live.LiveFrame, truth, kind: str, region_kind: RegionKind) -> bool:
    """Every clearly visible ``kind`` of the frame's truth has a mask on its centre (or the frame is all hidden).

    The detectors' boxes are tighter than the drawn truth (the redactor pads them), so the centre is the test.
    """
    if frame.fail_closed or frame.index % len(truth) in SEAM:
        return True
    boxes = [r.box for r in frame.regions if r.kind is region_kind]
    for b in truth[frame.index % len(truth)]:
        if b.kind == kind and b.visible_fraction > 0.6:
            x, y = (b.box[0] + b.box[2]) / 2, (b.box[1] + b.box[3]) / 2
            if not any(m.x1 <= x <= m.x2 and m.y1 <= y <= m.y2 for m in boxes):
                return False
    return True


def test_every_setting_is_read_by_its_lanes_or_by_none():
    names = {f.name for f in fields(ProtectionSettings)}
    in_lanes = {name for kind in LANE_ORDER for name in LANE_FIELDS[kind]}
    assert names == in_lanes | set(NOT_LANE_FIELDS), "a setting no lane lists would never rebuild its lane"
    assert not in_lanes & set(NOT_LANE_FIELDS)
    base = ProtectionSettings(whitelist=Whitelist())
    for name in names:
        value = getattr(base, name)
        if name == "whitelist":
            other = Whitelist()  # equal, but another object: the face lane holds the object itself
        elif isinstance(value, bool):
            other = not value
        elif isinstance(value, (int, float)):
            other = value * 2 + 1
        elif name == "pii_kinds":
            other = frozenset()
        elif name == "sensitive_terms":
            other = ("Springfield",)
        elif name == "redaction":
            other = RedactionSettings(MaskStyle.FILL)
        else:
            other = value + "x"
        changed = {kind for kind in LANE_ORDER if lane_changed(base, replace(base, **{name: other}), kind)}
        assert changed == {kind for kind in LANE_ORDER if name in LANE_FIELDS[kind]}, name
    assert not any(lane_changed(base, replace(base, whitelist=base.whitelist), kind) for kind in LANE_ORDER)


def test_switching_plates_off_keeps_the_face_lane_and_the_masks_of_frames_in_flight(clip):
    settings = ProtectionSettings(text=False)
    with Run(clip, settings, delay_s=0.5) as run:
        run.wait_clean()
        face_lane = run.lanes()[RegionKind.FACE]
        tracker = face_lane.tracker
        in_flight, after = run.change(replace(settings, plates=False))
        assert run.lanes() == {RegionKind.FACE: face_lane} and face_lane.tracker is tracker
        assert run.pipeline.stats().models == ["CenterFace"]
    assert len(in_flight) >= 10, "a 0.5 s delay holds about 15 frames"
    assert not any(o.frame.fail_closed for o in after), [o.frame.reasons for o in after if o.frame.fail_closed][:3]
    assert all(run.plates_covered(o) for o in in_flight), "frames captured with plates on keep their plate masks"
    assert not any(r.kind is RegionKind.PLATE for o in after[-30:] for r in o.frame.regions)
    assert all(run.faces_covered(o) for o in after)


def test_switching_plates_on_fails_closed_only_until_the_new_lane_has_looked(clip):
    settings = ProtectionSettings(text=False, plates=False)
    with Run(clip, settings, delay_s=0.5) as run:
        run.wait_clean()
        face_lane = run.lanes()[RegionKind.FACE]
        in_flight, after = run.change(replace(settings, plates=True))
        lanes = run.lanes()
        assert lanes[RegionKind.FACE] is face_lane, "the face lane must carry over"
        assert RegionKind.PLATE in lanes
    reasons = {r for o in after for r in o.frame.reasons}
    assert all("plate detector" in r for r in reasons), reasons  # the face lane never stopped vouching
    assert all(o.frame.fail_closed for o in in_flight), "no plate detector looked at the frames in flight"
    clean = [o for o in after if not o.frame.fail_closed]
    assert len(clean) > 30, "the plate lane must take over within a second or so"
    assert clean[0].frame.index > in_flight[-1].frame.index
    assert all(run.plates_covered(o) and run.faces_covered(o) for o in clean[-30:])


def test_switching_text_on_fails_closed_every_frame_before_its_first_look(clip, monkeypatch):
    folds: list[tuple[int, float]] = []  # (keyframe, when) of every look of the new text lane
    build_lane = engine.build_lane

    def spy(kind, *args, **kw):
        lane = build_lane(kind, *args, **kw)
        if kind is RegionKind.TEXT:
            update = lane.tracker.update

            def noted(index, regions):
                folds.append((index, time.monotonic()))
                update(index, regions)

            lane.tracker.update = noted
        return lane

    monkeypatch.setattr(engine, "build_lane", spy)
    settings = ProtectionSettings(text=False)
    with Run(clip, settings, delay_s=0.5) as run:
        run.wait_clean()
        kept = run.lanes()
        in_flight, after = run.change(replace(settings, text=True), after_s=8.0)
        lanes = run.lanes()
        assert lanes[RegionKind.FACE] is kept[RegionKind.FACE] and lanes[RegionKind.PLATE] is kept[RegionKind.PLATE]
    assert in_flight and all(o.frame.fail_closed for o in in_flight)
    for o in after:
        if not o.frame.fail_closed:  # a text look at this frame or before it had come through
            assert any(k <= o.frame.index and t <= o.t for k, t in folds), o.frame.index
    assert sum(not o.frame.fail_closed for o in after) > 30, "the text lane never vouched for a frame"
    assert all("text detector" in r for o in after for r in o.frame.reasons), "only the new lane may fail frames"
    assert all(run.faces_covered(o) and run.plates_covered(o) for o in after)


def test_a_redaction_or_delay_change_keeps_every_lane(clip):
    settings = ProtectionSettings(text=False)
    with Run(clip, settings, delay_s=0.3) as run:
        run.wait_clean()
        lanes = run.lanes()
        fill = replace(settings, redaction=RedactionSettings(MaskStyle.FILL, 1.0, 1.6))
        _, restyled = run.change(fill, after_s=1.0)
        _, longer = run.change(fill, 1.0, after_s=3.0)
        _, shorter = run.change(fill, 0.2, after_s=2.0)
        assert run.lanes() == lanes  # the same lane objects (DetectorLane compares by identity)
        assert run.pipeline._redactor.settings.style is MaskStyle.FILL
    everything = restyled + longer + shorter
    indices = [o.frame.index for o in everything]
    assert indices == sorted(set(indices)), "a frame left twice or out of order"
    assert not any(o.frame.fail_closed for o in everything)
    assert all(run.faces_covered(o) and run.plates_covered(o) for o in everything)
    assert np.median([o.frame.latency_ms for o in longer[-30:]]) > 950
    assert np.median([o.frame.latency_ms for o in shorter[-30:]]) < 300


def test_a_sensitivity_change_replaces_the_face_lane_alone_and_fails_nothing_closed(clip):
    settings = ProtectionSettings(text=False)
    with Run(clip, settings, delay_s=0.5) as run:
        run.wait_clean()
        before = run.lanes()
        in_flight, after = run.change(replace(settings, face_threshold=0.2, plate_threshold=0.25))
        now = run.lanes()
        assert now[RegionKind.PLATE] is before[RegionKind.PLATE]
        assert now[RegionKind.FACE] is not before[RegionKind.FACE]
        assert now[RegionKind.FACE].detector.threshold == 0.2
    assert in_flight
    assert not any(o.frame.fail_closed for o in after), [o.frame.reasons for o in after if o.frame.fail_closed][:3]
    assert all(run.faces_covered(o) and run.plates_covered(o) for o in after)
