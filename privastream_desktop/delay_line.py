"""The privacy delay line: frames leave only after every detector has ruled.

Each detector runs in its own worker thread (a ``DetectorLane``) so the face
and plate networks use both cores while the main thread decodes and encodes.
Frames wait in a buffer; a frame is released when it is old enough and each
lane has a verdict on it. The buffer is what turns detections into time
ranges: a face first found in frame 40 is also masked in frames 25-39 that are
still waiting (see ``TrackStabilizer``).

Two clocks drive release:

* file mode (``realtime_delay_s=None``): media time. A frame leaves once
  ``lookahead_frames`` newer frames have arrived and their detections are
  folded in. ``pipeline_frames`` more are held so the detectors work on
  frames well ahead of the one being written instead of the main thread
  waiting on each fresh job. Nothing is dropped for speed; a detector that raises, or hangs
  longer than ``job_timeout_s``, fails its frames closed.
* realtime mode: wall clock. A frame captured at ``t`` leaves at
  ``t + realtime_delay_s`` with whatever the lanes know then. A lane that has
  not ruled on it by then (plus ``deadline_grace_s``) falls back to its newest
  finished look; if that is more than ``max_stale_frames`` old, or the lane
  crashed, the frame fails closed. Lanes keep their stride in live mode too,
  so detection never starves the capture and preview threads.

Slow lanes (OCR: 0.1-5 s a look) rule differently in live mode. Their tracker
checks every frame's pixels against what the last look found (``observe``), so
the age of that look is not what makes a frame unsafe; a detector that stopped
working is. Such a lane (``stuck_after_s`` set) rules with its newest finished
look whatever its age, and fails its frames closed when it crashed, has not
finished a first look, or has been running one look for longer than
``stuck_after_s``. It is never waited on at release (nothing it does finishes
within a frame's grace), and ``duty`` keeps it to a share of one core (it rests
after each look, at most ``max_rest_s``) so the face lane keeps its pace.

Live settings changes (``replace_lane``) swap single lanes and keep the rest,
with their trackers and the verdicts they owe frames in flight. A lane taken out
(switched off, or replaced by one with new settings) still rules on and masks
the frames that entered before the change, then closes. A lane that replaces
another rules from the next frame on (its masks are added to the frames before
as well: more blur, never less); a lane switched on rules on every frame in the
buffer, so the frames it never looked at fail closed.

Fail closed means the frame is marked and the redactor hides all of it.
"""

from __future__ import annotations

import bisect
import time
from collections import Counter, deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

import numpy as np

from privastream_desktop.detectors import Detector
from privastream_desktop.regions import Frame, ProtectedFrame, Region
from privastream_desktop.tracking import TrackStabilizer

_OK, _PENDING, _FAILED = "ok", "pending", "failed"


class DetectorLane:
    """One detector, its worker threads, its tracker and its verdicts."""

    def __init__(
        self,
        detector: Detector,
        tracker: TrackStabilizer,
        *,
        stride: int = 1,
        workers: int = 1,
        stuck_after_s: float | None = None,
        duty: float = 1.0,
        max_rest_s: float = 1.0,
    ) -> None:
        self.detector = detector
        self.tracker = tracker
        self.stride = max(1, stride)
        self.workers = max(1, workers)
        self.stuck_after_s = stuck_after_s  # set: a slow lane (see the module docstring)
        self.duty = min(1.0, max(0.05, duty))
        self.max_rest_s = max_rest_s
        self._observe = getattr(tracker, "observe", None)  # trackers that need every frame's pixels
        self._last_run: tuple[float, float] | None = None  # (start, end) of the newest finished look
        self._running_since: float | None = None
        self.name = f"{detector.kind.value} detector"
        # Several workers let one slow model use both cores (onnxruntime sessions
        # accept concurrent runs); results are still folded in frame order.
        self._executor = ThreadPoolExecutor(self.workers, thread_name_prefix=f"detect-{detector.kind.value}")
        self._jobs: dict[int, Future[list[Region]]] = {}  # submitted, not yet folded; ascending
        self._keyframes: list[int] = []
        self._failures: dict[int, str] = {}
        self._last_folded: tuple[int, str | None] | None = None  # (keyframe, failure reason)
        self._stalled = False
        # The frames whose verdict is this lane's (set by PrivacyDelayLine.replace_lane): from ``since`` (None:
        # every frame; before it, the lane it replaced rules) up to ``until`` (None: still in service).
        self.since: int | None = None
        self.until: int | None = None

    def rules_on(self, index: int) -> bool:
        return (self.since is None or index >= self.since) and (self.until is None or index < self.until)

    @property
    def busy(self) -> bool:
        return sum(not job.done() for job in self._jobs.values()) >= self.workers

    def wants(self, index: int, realtime: bool) -> bool:
        """File mode runs every ``stride``-th frame; live mode at most that often, when a worker is free."""
        if not realtime:
            return index % self.stride == 0
        if self.duty < 1.0 and self._last_run is not None:
            start, end = self._last_run  # rest (1/duty - 1) times as long as the last look took
            if time.monotonic() < end + min(self.max_rest_s, (end - start) * (1.0 / self.duty - 1.0)):
                return False
        return not self.busy and (not self._keyframes or index - self._keyframes[-1] >= self.stride)

    def observe(self, frame: Frame) -> None:
        if self._observe is not None:
            self._observe(frame)

    def submit(self, frame: Frame) -> None:
        self._jobs[frame.index] = self._executor.submit(self._detect, frame.image)
        self._keyframes.append(frame.index)

    def _detect(self, image: np.ndarray) -> list[Region]:
        self._running_since = started = time.monotonic()
        try:
            return self.detector.detect(image)
        finally:
            self._last_run, self._running_since = (started, time.monotonic()), None

    def fold(self, until: int | None = None, timeout: float | None = None, *, stall_on_timeout: bool) -> None:
        """Feed finished detections to the tracker, in frame order.

        Waits (up to ``timeout`` in all) for jobs on frames ``<= until``; a
        lane that once timed out with ``stall_on_timeout`` is not waited on
        again until one of its jobs finishes by itself.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        for index in list(self._jobs):
            job = self._jobs[index]
            if not job.done():
                if until is None or index > until or self._stalled:
                    return
                remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
                try:
                    job.exception(timeout=remaining)
                except FutureTimeout:
                    self._stalled = stall_on_timeout
                    if stall_on_timeout:
                        self._failures[index] = f"{self.name} timed out"
                    return
            del self._jobs[index]
            self._stalled = False
            error = job.exception()
            if error is not None:
                self._failures[index] = f"{self.name} crashed: {type(error).__name__}: {error}"
            else:
                self.tracker.update(index, job.result())
            self._last_folded = (index, self._failures.get(index))

    def ruling(self, index: int, max_stale_frames: int | None) -> tuple[str, str]:
        """The lane's verdict on frame ``index``: (ok|pending|failed, reason)."""
        pos = bisect.bisect_right(self._keyframes, index) - 1
        if pos < 0:
            return _FAILED, f"{self.name} has not looked at this frame"
        keyframe = self._keyframes[pos]
        failure = self._failures.get(keyframe)
        if keyframe in self._jobs and failure is None:
            if max_stale_frames is None:
                return _PENDING, f"{self.name} fell behind"
            # Live: this frame's own look is still running; the newest finished look may rule
            # instead (the tracker extrapolates from it) if it is recent enough.
            if self._last_folded is None or self._last_folded[0] > index:
                return _FAILED, f"{self.name} fell behind"
            keyframe, failure = self._last_folded
        if failure is not None:
            return _FAILED, failure
        if max_stale_frames is not None and self.stuck_after_s is not None:
            running = self._running_since
            if running is not None and time.monotonic() - running > self.stuck_after_s:
                return _FAILED, f"{self.name} is stuck (one look has run for over {self.stuck_after_s:g} s)"
        elif max_stale_frames is not None and index - keyframe > max_stale_frames:
            return _FAILED, f"{self.name} fell behind"
        return _OK, ""

    def prune(self, oldest_index: int) -> None:
        """Forget verdicts no buffered frame can need; keep the keyframe that rules it."""
        pos = bisect.bisect_right(self._keyframes, oldest_index) - 1
        if pos > 0:
            for old in self._keyframes[:pos]:
                self._failures.pop(old, None)
            del self._keyframes[:pos]
        # a look still running answers for its own frame later: its tracker keeps what that needs
        self.tracker.forget_before(min([oldest_index, *self._jobs]))

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
        closer = getattr(self.detector, "close", None)  # e.g. a helper process of the detector
        if closer is not None:
            closer()


class PrivacyDelayLine:
    """Buffers frames until they are safe to show, or fails them closed."""

    def __init__(
        self,
        lanes: list[DetectorLane],
        *,
        lookahead_frames: int = 0,
        pipeline_frames: int = 12,
        realtime_delay_s: float | None = None,
        deadline_grace_s: float = 0.05,
        job_timeout_s: float = 30.0,
        max_stale_frames: int = 8,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.lanes = lanes
        self.lookahead_frames = max(0, lookahead_frames)
        self.pipeline_frames = max(0, pipeline_frames)
        self.realtime_delay_s = realtime_delay_s
        self.deadline_grace_s = deadline_grace_s
        self.job_timeout_s = job_timeout_s
        self.max_stale_frames = max_stale_frames
        self.clock = clock
        self._buffer: deque[Frame] = deque()
        self._retiring: list[DetectorLane] = []  # out of service; still rule on the frames before their ``until``
        self._next_index = 0  # the index the next pushed frame is expected to have at least
        self.fail_closed_counts: Counter[str] = Counter()

    @property
    def realtime(self) -> bool:
        return self.realtime_delay_s is not None

    def __len__(self) -> int:
        return len(self._buffer)

    def set_delay(self, delay_s: float) -> None:
        """Realtime mode: a new privacy delay, for the frames in the buffer too.

        Longer: frames wait longer (the output pauses once). Shorter: frames already due leave at the
        next ``poll``, ruled on as any frame is at release (a look still running is waited on for
        ``deadline_grace_s``, else the newest finished look rules or the frame fails closed), as at a
        delay that was short from the start. A frame is never released twice: released frames are
        no longer in the buffer.
        """
        assert self.realtime_delay_s is not None, "set_delay() is for realtime mode"
        self.realtime_delay_s = max(0.0, delay_s)

    def replace_lane(self, old: DetectorLane | None, new: DetectorLane | None) -> None:
        """A live settings change for one lane: ``old`` leaves (None: ``new`` is switched on), ``new`` joins
        (None: ``old`` is switched off). The other lanes keep running as they are.

        ``old`` keeps ruling on (and masking) the frames already pushed, then closes once they have left.
        ``new`` sees their pixels (``observe``) and rules from the next pushed frame on when it replaces a
        lane; a lane switched on rules on every frame still buffered, so those it has not looked at fail
        closed. Its masks count on every frame it is asked about.
        """
        boundary = self._next_index
        position = len(self.lanes)
        if old is not None:
            position = self.lanes.index(old)
            del self.lanes[position]
            old.until = boundary
            if any(frame.index < boundary for frame in self._buffer):
                self._retiring.append(old)
            else:
                old.close()
        if new is not None:
            new.since = boundary if old is not None else None
            for frame in self._buffer:
                new.observe(frame)
            self.lanes.insert(position, new)

    def push(self, frame: Frame) -> list[ProtectedFrame]:
        """Add a frame; return the frames that may leave now."""
        self._next_index = max(self._next_index, frame.index + 1)
        for lane in self.lanes:
            lane.observe(frame)
            if lane.wants(frame.index, self.realtime):
                lane.submit(frame)
        self._buffer.append(frame)
        if self.realtime:
            return self.poll()
        out = []
        while len(self._buffer) > self.lookahead_frames + self.pipeline_frames:
            out.append(self._release_head())
        return out

    def poll(self) -> list[ProtectedFrame]:
        """Realtime mode: release frames whose time has come (call it regularly)."""
        assert self.realtime_delay_s is not None, "poll() is for realtime mode"
        out = []
        while self._buffer and self.clock() >= self._buffer[0].t + self.realtime_delay_s:
            out.append(self._release_head())
        return out

    def drain(self) -> list[ProtectedFrame]:
        """End of stream: release everything, waiting for detectors as needed."""
        out = []
        while self._buffer:
            out.append(self._release_head())
        return out

    def _release_head(self) -> ProtectedFrame:
        frame = self._buffer.popleft()
        newest = self._buffer[-1].index if self._buffer else frame.index
        horizon = min(newest, frame.index + self.lookahead_frames)
        grace_ends = time.monotonic() + self.deadline_grace_s  # one budget per frame, shared by all lanes
        lanes = self._retiring + self.lanes
        for lane in lanes:
            if self.realtime:
                wait = 0.0 if lane.stuck_after_s is not None else max(0.0, grace_ends - time.monotonic())
                lane.fold(frame.index, wait, stall_on_timeout=False)
            else:
                lane.fold(horizon, self.job_timeout_s, stall_on_timeout=True)
        height, width = frame.image.shape[:2]
        regions: list[Region] = []
        kept: list[Region] = []
        reasons: list[str] = []
        stale = self.max_stale_frames if self.realtime else None
        for lane in lanes:
            if lane.rules_on(frame.index):
                state, reason = lane.ruling(frame.index, stale)
                if state != _OK:
                    reasons.append(reason)
            regions.extend(lane.tracker.regions_at(frame.index, width, height))
            kept_visible = getattr(lane.tracker, "kept_visible_at", None)  # only face trackers keep any
            if kept_visible is not None:
                kept.extend(kept_visible(frame.index, width, height))
        for reason in reasons:
            self.fail_closed_counts[reason] += 1
        oldest = self._buffer[0].index if self._buffer else frame.index + 1
        for lane in lanes:
            lane.prune(oldest)
        for lane in [lane for lane in self._retiring if lane.until is not None and oldest >= lane.until]:
            self._retiring.remove(lane)
            lane.close()
        return ProtectedFrame(frame, regions, fail_closed=bool(reasons), reasons=reasons, kept_visible=kept)

    def close(self) -> None:
        for lane in self._retiring + self.lanes:
            lane.close()
        self._retiring.clear()
