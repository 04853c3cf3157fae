"""Moves frames from the live pipeline (in its own thread) to the GUI.

Rules measured on PySide6 (see shared notes): worker signals connect only to
``@Slot`` methods of objects living in the GUI thread, and the worker is
started through ``QThread.started``, never ``QTimer.singleShot(0, fn)``.
Only the newest frame is handed over; while the GUI is still painting the
previous one, frames are dropped for the preview (never for the output).
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal, Slot

from privastream_desktop.config import AppConfig
from privastream_desktop.live import LiveFrame, LivePipeline, open_live_source
from privastream_desktop.model_store import ModelError
from privastream_desktop.sinks import FrameSink, VirtualCameraSink, VirtualCameraUnavailable
from privastream_desktop.sources import SourceError
from privastream_desktop.whitelist import Whitelist

if TYPE_CHECKING:
    from privastream_desktop.audio.live_audio import LiveAudioPipeline


class PipelineWorker(QObject):
    frame_ready = Signal()
    stats_ready = Signal(object)  # LiveStats
    virtual_camera_status = Signal(bool, str)  # (running, device name or hint)
    failed = Signal(str)
    finished = Signal()
    audio_stats = Signal(object)  # AudioStats
    audio_problem = Signal(str)  # the voice is not going through (no microphone, no speech model): why
    transcript_ready = Signal(object)  # [(t, redacted line)], the whole recent list; memory only

    def __init__(
        self,
        config: AppConfig,
        *,
        vcam_backend: str | None = None,
        whitelist: Whitelist | None = None,
        audio_output: str | None = None,
    ):
        super().__init__()
        self.config = config
        self.audio_output = audio_output  # the virtual microphone's playback side; None: there is none
        self.audio: LiveAudioPipeline | None = None
        self.whitelist = whitelist
        self.vcam_backend = vcam_backend
        self.pipeline: LivePipeline | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._latest: LiveFrame | None = None
        self._gui_busy = False
        self._last_stats = 0.0
        self._panic = False

    @Slot()
    def run(self) -> None:
        sinks: list[FrameSink] = []
        source = None
        try:
            c = self.config
            source = open_live_source(c.source, c.width, c.height, float(c.fps))
            if self.config.virtual_camera:
                try:
                    sinks.append(VirtualCameraSink(source.width, source.height, source.fps, backend=self.vcam_backend))
                    self.virtual_camera_status.emit(True, sinks[-1].name)
                except VirtualCameraUnavailable as exc:
                    self.virtual_camera_status.emit(False, str(exc))
            self.audio = self._start_audio()
            self.pipeline = LivePipeline(
                source,
                self.config.protection(self.whitelist),
                delay_s=self.config.delay_s,
                sinks=sinks,
                audio=self.audio,
            )
            self.pipeline.set_panic(self._panic)
            self.pipeline.run(self._stop, self._on_frame)
        except (SourceError, ModelError) as exc:
            self.failed.emit(str(exc))
        except Exception as exc:  # the GUI must learn of any crash, and the output is gone with it
            self.failed.emit(f"the pipeline stopped: {type(exc).__name__}: {exc}")
        finally:
            if self.audio is not None:
                self.audio.close()
            for sink in sinks:
                sink.close()
            if source is not None:
                source.close()
            self.finished.emit()

    def _start_audio(self) -> LiveAudioPipeline | None:
        """Microphone → speech guard → the same delay → virtual microphone, in its own thread; None when off.

        Fail closed: when speech protection is on but its models cannot load, no voice goes out at all.
        """
        c = self.config
        if not c.audio:
            return None
        from privastream_desktop.audio.devices import AudioDeviceError, AudioOutput, MicSource
        from privastream_desktop.audio.live_audio import LiveAudioPipeline, NullAudioSink

        opened: list = []
        try:  # the models first (seconds): a microphone opened before would overflow meanwhile
            guard = None
            if c.speech:
                from privastream_desktop.audio.speech_guard import StreamingSpeechGuard

                guard = StreamingSpeechGuard(c.protection(self.whitelist), delay_s=c.delay_s)
                opened.append(guard)
            out = AudioOutput(self.audio_output) if self.audio_output else NullAudioSink()
            opened.append(out)
            mic = MicSource(c.microphone or None)
            opened.append(mic)
        except (AudioDeviceError, ModelError) as exc:
            for thing in reversed(opened):
                thing.close()
            self.audio_problem.emit(str(exc))
            return None
        audio = LiveAudioPipeline(
            mic, out, guard=guard, delay_s=c.delay_s, mode=c.speech_mode, bleep_hz=c.bleep_hz,
            mouth_blur=c.mouth_blur, on_transcript=self.transcript_ready.emit,
        )  # fmt: skip
        audio.set_panic(self._panic)
        audio.start()
        return audio

    def stop(self) -> None:
        self._stop.set()

    def update_config(self, config: AppConfig) -> None:
        self.config = config
        if self.pipeline is not None:
            self.pipeline.update(config.protection(self.whitelist), config.delay_s)
        if self.audio is not None:
            self.audio.update(
                delay_s=config.delay_s, mode=config.speech_mode, bleep_hz=config.bleep_hz, mouth_blur=config.mouth_blur
            )

    def set_panic(self, on: bool) -> None:
        self._panic = on  # remembered for a pipeline still being built
        if self.pipeline is not None:
            self.pipeline.set_panic(on)
        if self.audio is not None:
            self.audio.set_panic(on)

    def take_frame(self) -> LiveFrame | None:
        """Called by the GUI thread when it paints; frees the worker to hand over the next frame."""
        with self._lock:
            frame, self._latest = self._latest, None
            self._gui_busy = False
        return frame

    def _on_frame(self, frame: LiveFrame) -> None:
        with self._lock:
            self._latest = frame
            notify = not self._gui_busy
            self._gui_busy = True
        if notify:
            self.frame_ready.emit()
        now = time.monotonic()
        if now - self._last_stats > 0.5 and self.pipeline is not None:
            self._last_stats = now
            self.stats_ready.emit(self.pipeline.stats())
            if self.audio is not None:
                self.audio_stats.emit(self.audio.stats())
