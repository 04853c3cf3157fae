"""The live audio path: microphone → speech guard → delay line → bleep or silence → virtual microphone.

It runs in its own thread beside the video ``LivePipeline`` and keeps the same
rule: a block captured at ``t`` leaves at ``t + delay_s`` (the video's privacy
delay, so voice and picture leave in sync), and only if it has been vouched for:

* the speech guard has ruled on every sample of it (``ruled_until() >= block end``)
  and has not failed: the spoken secrets in it are bleeped, muted or muffled;
* otherwise the whole block is silenced (fail closed), and the reason counted;
* PANIC silences everything, like it hides the whole picture.

Release is early by the output's own latency, so a block is *heard* at
``t + delay_s``. The video side asks :meth:`LiveAudioPipeline.mouth_regions`
whether a frame falls in a redaction (or in audio nobody could vouch for) to
blur the speaker's mouth over exactly that time.

Nothing here writes to disk: the transcript lines live in memory only.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Protocol

import numpy as np

from privastream_desktop.audio.blocks import AudioBlock, SpeechRedaction, as_block_samples
from privastream_desktop.audio.devices import SILENCE_DB, LevelMeter, level_dbfs
from privastream_desktop.audio.mouth import mouth_regions
from privastream_desktop.audio.redactor import AudioRedactor
from privastream_desktop.regions import Region

PANIC_REASON = "PANIC is on"  # the same words as the video's (live.PANIC_REASON)
BEHIND_REASON = "speech recognition fell behind"
_TRANSCRIPT_LINES = 200
_FADE_MARGIN_S = 0.01  # a redaction this close to a block shapes its edge (the redactor's fade)


class SpeechGuardLike(Protocol):
    """What the pipeline needs of ``StreamingSpeechGuard`` (speech_guard.py)."""

    failure: str | None

    def feed(self, block: AudioBlock) -> None: ...

    def ruled_until(self) -> float: ...

    def redactions(self, t0: float, t1: float) -> list[SpeechRedaction]: ...

    def transcript(self) -> list[tuple[float, str]]: ...

    def close(self) -> None: ...


class BlockSource(Protocol):
    """A microphone: blocks in capture order, stamped on the monotonic clock (``MicSource``)."""

    name: str

    def read(self, timeout: float | None = 0.1) -> AudioBlock | None: ...

    def close(self) -> None: ...


class BlockSink(Protocol):
    """Where finished blocks go (``AudioOutput``); ``write`` never blocks, ``latency_s`` until heard."""

    name: str
    latency_s: float

    def write(self, block: AudioBlock) -> None: ...

    def close(self) -> None: ...


class PacedBlockSource:
    """Plays an array as if a microphone captured it now: for tests, benchmarks and file sources.

    Blocks are stamped ``start + n / rate`` on ``clock`` and handed out no
    earlier than that time plus their duration (when a real microphone would
    have delivered them). After the end it keeps delivering silence when
    ``then_silence`` (a live microphone never stops), else ``read`` returns None.
    """

    def __init__(
        self,
        samples: np.ndarray,
        rate: int,
        *,
        block_s: float = 0.02,
        name: str = "file",
        then_silence: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.rate = rate
        self.samples = as_block_samples(samples)
        self.block_frames = max(1, round(block_s * rate))
        self.then_silence = then_silence
        self.clock = clock
        self.start: float | None = None
        self._pos = 0

    def read(self, timeout: float | None = 0.1) -> AudioBlock | None:
        if self.start is None:
            self.start = self.clock()
        if self._pos >= len(self.samples) and not self.then_silence:
            return None
        t = self.start + self._pos / self.rate
        ready = t + self.block_frames / self.rate
        wait = ready - self.clock()
        if wait > 0:
            if timeout is not None and wait > timeout:
                time.sleep(max(0.0, timeout))
                return None
            time.sleep(wait)
        chunk = self.samples[self._pos : self._pos + self.block_frames]
        if len(chunk) < self.block_frames:
            pad = np.zeros((self.block_frames - len(chunk), self.samples.shape[1]), np.float32)
            chunk = np.concatenate([chunk, pad])
        self._pos += self.block_frames
        return AudioBlock(t, chunk, self.rate)

    def close(self) -> None:
        pass


class NullAudioSink:
    """Drops what it is given: the pipeline still meters, guards and transcribes when there is no virtual mic."""

    name = "none"
    latency_s = 0.0

    def write(self, block: AudioBlock) -> None:
        pass

    def close(self) -> None:
        pass


class CollectingSink:
    """Keeps what it is given (with the time it arrived): tests and benchmarks without a sound device."""

    def __init__(self, name: str = "memory", latency_s: float = 0.0, clock: Callable[[], float] = time.monotonic):
        self.name = name
        self.latency_s = latency_s
        self.clock = clock
        self.blocks: list[AudioBlock] = []
        self.arrived: list[float] = []
        self.closed = False

    def write(self, block: AudioBlock) -> None:
        self.blocks.append(block)
        self.arrived.append(self.clock())

    def close(self) -> None:
        self.closed = True


@dataclass(slots=True)
class AudioStats:
    """What the audio panel shows; seconds are of audio, not of wall time."""

    running: bool = False
    microphone: str = ""
    output: str = ""
    speech_protection: bool = False
    seconds_out: float = 0.0
    silenced_s: float = 0.0
    redactions: int = 0
    silence_reasons: dict[str, float] = field(default_factory=dict)
    failing_now: bool = False
    last_reasons: list[str] = field(default_factory=list)
    level_in_db: float = SILENCE_DB
    peak_in_db: float = SILENCE_DB
    level_out_db: float = SILENCE_DB
    guard_lag_s: float = 0.0  # how far the guard's rulings trail the newest captured audio
    latency_ms: float = 0.0  # capture to heard, median of recent blocks
    overflows: int = 0
    underruns: int = 0


class LiveAudioPipeline:
    """Runs source → guard → delay → redactor → sink in one thread until stopped.

    ``guard`` None means speech protection is off: audio still passes the delay
    (to stay in sync with the video) and PANIC still silences it.
    """

    def __init__(
        self,
        source: BlockSource,
        sink: BlockSink,
        *,
        guard: SpeechGuardLike | None = None,
        delay_s: float = 0.0,
        mode: str = "bleep",
        bleep_hz: float = 1000.0,
        mouth_blur: bool = True,
        on_transcript: Callable[[list[tuple[float, str]]], None] | None = None,  # the whole recent list, on change
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.source = source
        self.sink = sink
        self.clock = clock
        self.on_transcript = on_transcript
        self.mouth_blur = mouth_blur
        self._guard = guard
        self._delay_s = float(delay_s)
        self._redactor = AudioRedactor(mode, bleep_hz)
        self._pending: dict[str, object] = {}
        self._lock = threading.Lock()
        self._panic = threading.Event()
        self._running = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._queue: deque[AudioBlock] = deque()
        self._meter_in = LevelMeter()
        self._applied: deque[tuple[float, float]] = deque(maxlen=64)
        self._latencies: deque[float] = deque(maxlen=250)
        self._transcript: list[tuple[float, str]] = []
        self._reasons: Counter[str] = Counter()
        self._stats = AudioStats(microphone=source.name, output=sink.name, speech_protection=guard is not None)
        self._guard_error: str | None = None

    # -- control, from any thread ------------------------------------------------------------
    def set_panic(self, on: bool) -> None:
        (self._panic.set if on else self._panic.clear)()

    @property
    def panic(self) -> bool:
        return self._panic.is_set()

    @property
    def running(self) -> bool:
        return self._running.is_set()

    @property
    def delay_s(self) -> float:
        return self._delay_s

    def update(
        self,
        *,
        delay_s: float | None = None,
        mode: str | None = None,
        bleep_hz: float | None = None,
        mouth_blur: bool | None = None,
    ) -> None:
        """Picked up between blocks. A shorter delay sends the blocks now due at once; a longer one leaves a gap."""
        with self._lock:
            for key, value in (("delay_s", delay_s), ("mode", mode), ("bleep_hz", bleep_hz)):
                if value is not None:
                    self._pending[key] = value
        if mouth_blur is not None:
            self.mouth_blur = mouth_blur

    def set_guard(self, guard: SpeechGuardLike | None) -> None:
        """Switch speech protection on (a fresh guard) or off (None); the old guard is closed by the loop."""
        with self._lock:
            self._pending["guard"] = guard

    def stats(self) -> AudioStats:
        with self._lock:
            return replace(
                self._stats,
                silence_reasons=dict(self._stats.silence_reasons),
                last_reasons=list(self._stats.last_reasons),
            )

    def transcript(self) -> list[tuple[float, str]]:
        """Recent redacted lines, oldest first (memory only)."""
        with self._lock:
            return list(self._transcript)

    def speech_hidden(self, t0: float, t1: float) -> bool:
        """Whether video shown over [t0, t1) must hide mouths: a secret is spoken then, or nobody could rule."""
        guard = self._guard
        if guard is None or not self._running.is_set():
            return False  # no speech protection, or no microphone: nothing is being said into the stream
        try:
            if guard.failure or self._guard_error or guard.ruled_until() < t1:
                return True
            return any(r.overlaps(t0, t1) for r in guard.redactions(t0, t1))
        except Exception:  # a broken guard: hide, like its audio is silenced
            return True

    def mouth_regions(self, t: float, frame_s: float, faces: Iterable[Region]) -> list[Region]:
        """Mouth regions for the faces of a frame captured at ``t`` (shown for ``frame_s``), when speech is hidden."""
        if not self.mouth_blur or not self.speech_hidden(t, t + frame_s):
            return []
        return mouth_regions(faces)

    # -- the loop ------------------------------------------------------------------------------
    def start(self) -> None:
        """Run in a thread of its own (``stop`` ends it)."""
        self._stop.clear()
        self._thread = threading.Thread(target=self.run, args=(self._stop,), name="live-audio", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def run(self, stop: threading.Event) -> None:
        self._running.set()
        with self._lock:
            self._stats.running = True
        last_poll = 0.0
        try:
            while not stop.is_set():
                self._apply_pending()
                due = self._next_due()
                wait = 0.02 if due is None else min(0.02, max(0.0, due - self.clock()))
                block = self.source.read(timeout=wait)
                if block is not None:
                    self._take(block)
                now = self.clock()
                self._release_due(now)
                if now - last_poll > 0.2:
                    last_poll = now
                    self._poll(now)
        finally:
            self._running.clear()
            with self._lock:
                self._stats.running = False
            # what is still queued is dropped, never played unchecked

    def close(self) -> None:
        """Stop, then close the source, the sink and the guard."""
        self.stop()
        for closer in (self.source.close, self.sink.close):
            closer()
        with self._lock:
            guard, self._guard = self._guard, None
            pending = self._pending.pop("guard", None)
        for g in (guard, pending):
            if g is not None:
                g.close()

    def _apply_pending(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, {}
        if not pending:
            return
        if "guard" in pending:
            old, self._guard = self._guard, pending["guard"]  # type: ignore[assignment]
            self._guard_error = None
            with self._lock:
                self._stats.speech_protection = self._guard is not None
            if old is not None:
                old.close()
        if "delay_s" in pending:
            self._delay_s = float(pending["delay_s"])  # type: ignore[arg-type]
            if self._guard is not None and hasattr(self._guard, "delay_s"):
                self._guard.delay_s = self._delay_s  # its deadline for risky tails follows the delay
        if "mode" in pending or "bleep_hz" in pending:
            self._redactor = AudioRedactor(
                str(pending.get("mode", self._redactor.mode)),
                float(pending.get("bleep_hz", self._redactor.bleep_hz)),  # type: ignore[arg-type]
            )

    def _release_at(self, block: AudioBlock) -> float:
        return block.t + self._delay_s - self.sink.latency_s

    def _next_due(self) -> float | None:
        return self._release_at(self._queue[0]) if self._queue else None

    def _take(self, block: AudioBlock) -> None:
        self._meter_in.update(block)
        guard = self._guard
        if guard is not None and self._guard_error is None:
            try:
                guard.feed(block)
            except Exception as exc:  # fail closed until speech protection is switched again
                self._guard_error = f"speech recognition stopped: {type(exc).__name__}: {exc}"
        self._queue.append(block)

    def _release_due(self, now: float) -> None:
        while self._queue and now >= self._release_at(self._queue[0]):
            block = self._queue.popleft()
            out, reasons, redactions = self._judge(block)
            self.sink.write(out)
            self._account(block, out, reasons, redactions, now)

    def _judge(self, block: AudioBlock) -> tuple[AudioBlock, list[str], list[SpeechRedaction]]:
        """The block as it may be heard, why it was silenced (if so), and what was redacted in it."""
        if self._panic.is_set():
            return self._redactor.silence(block), [PANIC_REASON], []
        guard = self._guard
        if guard is None:
            return block, [], []
        try:
            failure = self._guard_error or guard.failure
            if failure:
                return self._redactor.silence(block), [failure], []
            if guard.ruled_until() < block.end:
                return self._redactor.silence(block), [BEHIND_REASON], []
            redactions = guard.redactions(block.t - _FADE_MARGIN_S, block.end + _FADE_MARGIN_S)
            return self._redactor.apply(block, redactions), [], redactions
        except Exception as exc:  # the guard broke while being asked: nobody vouches for this block
            self._guard_error = f"speech recognition stopped: {type(exc).__name__}: {exc}"
            return self._redactor.silence(block), [self._guard_error], []

    def _account(
        self, block: AudioBlock, out: AudioBlock, reasons: list[str], redactions: list[SpeechRedaction], now: float
    ) -> None:
        self._latencies.append((now + self.sink.latency_s - block.t) * 1000.0)
        new = 0
        for r in redactions:
            key = (r.t_from, r.t_to)
            if r.overlaps(block.t, block.end) and key not in self._applied:
                self._applied.append(key)
                new += 1
        level_out, _ = level_dbfs(out.samples)
        with self._lock:
            s = self._stats
            s.seconds_out += block.duration
            s.redactions += new
            s.failing_now = bool(reasons)
            s.level_out_db = level_out
            s.level_in_db, s.peak_in_db = self._meter_in.rms_db, self._meter_in.peak_db
            if reasons:
                s.silenced_s += block.duration
                s.last_reasons = reasons
                for reason in reasons:
                    self._reasons[reason] += block.duration
                s.silence_reasons = dict(self._reasons)

    def _poll(self, now: float) -> None:
        """Every 0.2 s: new transcript lines, and the figures that are not per block."""
        guard = self._guard
        lines: list[tuple[float, str]] | None = None
        lag = 0.0
        if guard is not None:
            try:
                newest = self._queue[-1].end if self._queue else now
                lag = max(0.0, newest - guard.ruled_until())
                # An utterance's line grows as words are ruled on: the list is replaced, not appended to.
                lines = list(guard.transcript())[-_TRANSCRIPT_LINES:]
            except Exception as exc:
                self._guard_error = self._guard_error or f"speech recognition stopped: {type(exc).__name__}: {exc}"
        changed = lines is not None and lines != self._transcript
        overflows = int(getattr(self.source, "overflows", 0))
        underruns = int(getattr(self.sink, "underruns", 0))
        with self._lock:
            if changed and lines is not None:
                self._transcript = lines
            s = self._stats
            s.guard_lag_s = lag
            s.latency_ms = float(np.median(self._latencies)) if self._latencies else 0.0
            s.overflows, s.underruns = overflows, underruns
            s.level_in_db, s.peak_in_db = self._meter_in.rms_db, self._meter_in.peak_db
        if changed and lines is not None and self.on_transcript is not None:
            self.on_transcript(lines)


__all__ = [
    "BEHIND_REASON",
    "PANIC_REASON",
    "AudioStats",
    "BlockSink",
    "BlockSource",
    "CollectingSink",
    "LiveAudioPipeline",
    "NullAudioSink",
    "PacedBlockSource",
    "SpeechGuardLike",
]
