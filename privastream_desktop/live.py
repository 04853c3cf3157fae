"""The live pipeline: camera or file in, protected frames out, on the wall clock.

Qt-free so the desktop app's worker thread, ``privastream live`` and the tests
all drive the same loop. Frames pass the privacy delay line in realtime mode:
each leaves ``delay_s`` after capture, masked, or fully hidden when a detector
could not vouch for it. PANIC hides everything until released.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np
import psutil

from privastream_desktop.delay_line import DetectorLane, PrivacyDelayLine
from privastream_desktop.engine import (
    LANE_ORDER,
    ProtectionSettings,
    build_delay_line,
    build_lanes,
    lane_changed,
    lane_enabled,
    lookahead_frames,
)
from privastream_desktop.model_store import ModelStore
from privastream_desktop.redactor import Redactor
from privastream_desktop.regions import ProtectedFrame, Region, RegionKind
from privastream_desktop.sinks import FrameSink
from privastream_desktop.sources import FrameSource, open_source

if TYPE_CHECKING:
    from privastream_desktop.audio.live_audio import LiveAudioPipeline

PANIC_REASON = "PANIC is on"


def open_live_source(spec: str, width: int, height: int, fps: float) -> FrameSource:
    """A camera at the requested mode, or a video file at its own size and rate, looping."""
    if spec.strip().isdigit():
        return open_source(spec, width=width, height=height, fps=fps)
    return open_source(spec)


@dataclass(slots=True)
class LiveFrame:
    """One output frame with what the preview needs to explain it."""

    index: int
    protected: np.ndarray
    raw: np.ndarray
    regions: list[Region]
    fail_closed: bool
    reasons: list[str]
    latency_ms: float


@dataclass(slots=True)
class LiveStats:
    fps_in: float = 0.0
    fps_out: float = 0.0
    latency_p50_ms: float = 0.0
    latency_p95_ms: float = 0.0
    cpu_percent: float = 0.0
    frames_out: int = 0
    fail_closed_frames: int = 0
    failing_now: bool = False
    last_fail_reasons: list[str] = field(default_factory=list)
    models: list[str] = field(default_factory=list)


class _RateMeter:
    """Events per second over the last ``window`` seconds."""

    def __init__(self, window: float = 2.0) -> None:
        self.window = window
        self._times: deque[float] = deque()

    def tick(self, now: float) -> None:
        self._times.append(now)
        while self._times and now - self._times[0] > self.window:
            self._times.popleft()

    def rate(self) -> float:
        if len(self._times) < 2:
            return 0.0
        span = self._times[-1] - self._times[0]
        return (len(self._times) - 1) / span if span > 0 else 0.0


class LivePipeline:
    """Runs source → delay line → redactor → sinks until stopped.

    Settings may change while running (from another thread): the change is
    picked up between frames. Only the detector lanes whose own settings
    changed are rebuilt (``PrivacyDelayLine.replace_lane``); the others keep
    their trackers and verdicts, so the frames in flight keep their masks. A
    redaction change (style, strength, padding) touches no lane, and a new
    delay applies to the frames in flight as they are (``set_delay``).

    New lanes load in a helper thread (OCR takes seconds) while frames keep
    flowing under the lanes in service; while a lane being switched on loads,
    every frame fails closed ("... is starting"), as it would once the lane
    joins and has not looked at it yet.
    """

    def __init__(
        self,
        source: FrameSource,
        settings: ProtectionSettings,
        *,
        delay_s: float = 0.0,
        sinks: Sequence[FrameSink] = (),
        store: ModelStore | None = None,
        deadline_grace_s: float = 0.02,
        audio: LiveAudioPipeline | None = None,
    ) -> None:
        self.source = source
        self.audio = audio  # speech: PANIC silences it too, and its redactions blur mouths here
        self.sinks = list(sinks)
        self.store = store or ModelStore()
        self.deadline_grace_s = deadline_grace_s
        self._settings = settings  # what the delay line's lanes were built from
        self._delay_s = delay_s
        self._pending: tuple[ProtectionSettings, float] | None = None
        self._loader = ThreadPoolExecutor(1, thread_name_prefix="load-detectors")
        self._loading: tuple[ProtectionSettings, Future[dict[RegionKind, DetectorLane]]] | None = None
        self._starting: list[str] = []  # fail-closed reasons while lanes being switched on load
        self._lock = threading.Lock()
        self._panic = threading.Event()
        self._latencies: deque[float] = deque(maxlen=300)
        self._in_rate, self._out_rate = _RateMeter(), _RateMeter()
        self._process = psutil.Process()
        self._process.cpu_percent()
        self._stats = LiveStats()
        self._line = self._build_line(settings, delay_s)
        self._redactor = Redactor(settings.redaction)

    # -- control, from any thread ------------------------------------------------------------
    def set_panic(self, on: bool) -> None:
        (self._panic.set if on else self._panic.clear)()
        if self.audio is not None:
            self.audio.set_panic(on)

    @property
    def panic(self) -> bool:
        return self._panic.is_set()

    def update(self, settings: ProtectionSettings, delay_s: float | None = None) -> None:
        with self._lock:
            self._pending = (settings, self._delay_s if delay_s is None else delay_s)

    def stats(self) -> LiveStats:
        with self._lock:
            return replace(self._stats, last_fail_reasons=list(self._stats.last_fail_reasons))

    # -- the loop, in one worker thread ------------------------------------------------------
    def run(self, stop: threading.Event, on_frame: Callable[[LiveFrame], None] | None = None) -> None:
        last_stats = 0.0
        try:
            while not stop.is_set():
                self._apply_pending()
                frame = self.source.read()
                if frame is None:
                    break
                self._in_rate.tick(time.monotonic())
                for item in self._line.push(frame):
                    self._emit(item, on_frame)
                now = time.monotonic()
                if now - last_stats > 1.0:
                    self._refresh_stats()
                    last_stats = now
            for item in self._line.drain():
                self._emit(item, on_frame)
        finally:
            self._line.close()
            if self._loading is not None:  # lanes still loading are closed once loaded
                self._loading[1].add_done_callback(_close_loaded)
            self._loader.shutdown(wait=False)

    def _build_line(self, settings: ProtectionSettings, delay_s: float) -> PrivacyDelayLine:
        line = build_delay_line(settings, self._fps, realtime_delay_s=delay_s, store=self.store)
        line.deadline_grace_s = self.deadline_grace_s
        self._note_models(line)
        return line

    @property
    def _fps(self) -> float:
        return self.source.fps or 30.0

    def _note_models(self, line: PrivacyDelayLine) -> None:
        with self._lock:
            self._stats.models = [lane.detector.name for lane in line.lanes]

    def _apply_pending(self) -> None:
        """Apply the newest ``update``: rebuild only the lanes whose settings changed (see the class docstring)."""
        if self._loading is not None:
            if not self._loading[1].done():
                return  # a newer update waits for this one: the lanes being loaded are swapped in first
            (target, future), self._loading, self._starting = self._loading, None, []
            self._swap_lanes(target, future.result())  # a model that failed to load stops the pipeline
        with self._lock:
            pending, self._pending = self._pending, None
        if pending is None:
            return
        settings, delay_s = pending
        self._redactor = Redactor(settings.redaction)
        if delay_s != self._delay_s:
            self._line.set_delay(delay_s)
            self._delay_s = delay_s
        changed = [kind for kind in LANE_ORDER if lane_changed(self._settings, settings, kind)]
        to_build = [kind for kind in changed if lane_enabled(settings, kind)]
        if not to_build:
            self._swap_lanes(settings, {})
            return
        self._starting = [
            f"{kind.value} detector is starting" for kind in to_build if not lane_enabled(self._settings, kind)
        ]
        self._loading = (settings, self._loader.submit(self._build_lanes, to_build, settings))

    def _build_lanes(self, kinds: list[RegionKind], settings: ProtectionSettings) -> dict[RegionKind, DetectorLane]:
        lanes = build_lanes(settings, self._fps, self.store, live=True, kinds=kinds)
        return {lane.detector.kind: lane for lane in lanes}

    def _swap_lanes(self, settings: ProtectionSettings, built: dict[RegionKind, DetectorLane]) -> None:
        line = self._line
        changed = [kind for kind in LANE_ORDER if lane_changed(self._settings, settings, kind)]
        for kind in changed:
            old = next((lane for lane in line.lanes if lane.detector.kind is kind), None)
            line.replace_lane(old, built.get(kind))
        line.lookahead_frames = lookahead_frames(settings, self._fps)
        self._settings = settings
        if changed:
            self._note_models(line)

    def _emit(self, item: ProtectedFrame, on_frame: Callable[[LiveFrame], None] | None) -> None:
        if self._panic.is_set():
            item.fail_closed, item.reasons = True, [PANIC_REASON]
        elif self._starting:  # a detector the user switched on has not looked at this frame
            item.fail_closed, item.reasons = True, item.reasons + self._starting
        elif self.audio is not None:  # lips must not say what the audio bleeps
            faces = item.regions + item.kept_visible
            item.regions = item.regions + self.audio.mouth_regions(item.frame.t, 1.0 / self._fps, faces)
        protected = self._redactor.render(item)
        for sink in self.sinks:
            sink.send(protected)
        now = time.monotonic()
        latency = (now - item.frame.t) * 1000.0
        self._latencies.append(latency)
        self._out_rate.tick(now)
        with self._lock:
            self._stats.frames_out += 1
            self._stats.failing_now = item.fail_closed
            if item.fail_closed:
                self._stats.fail_closed_frames += 1
                self._stats.last_fail_reasons = item.reasons
        if on_frame is not None:
            on_frame(
                LiveFrame(
                    item.frame.index, protected, item.frame.image, item.regions, item.fail_closed, item.reasons, latency
                )
            )

    def _refresh_stats(self) -> None:
        latencies = np.array(self._latencies) if self._latencies else np.zeros(1)
        with self._lock:
            self._stats.fps_in = self._in_rate.rate()
            self._stats.fps_out = self._out_rate.rate()
            self._stats.latency_p50_ms = float(np.percentile(latencies, 50))
            self._stats.latency_p95_ms = float(np.percentile(latencies, 95))
            self._stats.cpu_percent = self._process.cpu_percent() / (psutil.cpu_count() or 1)


def _close_loaded(loaded: Future[dict[RegionKind, DetectorLane]]) -> None:
    """Close lanes that were built but never joined a delay line (a failed build closed its own)."""
    if loaded.cancelled() or loaded.exception() is not None:
        return
    for lane in loaded.result().values():
        lane.close()
