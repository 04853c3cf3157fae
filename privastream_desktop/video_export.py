"""Redact a recorded video file: H.264 + AAC out, picture timing and audio kept.

Frames are decoded with PyAV, pass through the privacy delay line, are masked
and re-encoded with their original timestamps, so frame rate (variable rate
included), resolution and duration survive. The audio track is re-encoded to
AAC beside them; deface drops it, which is its users' top complaint.

With speech protection on, the audio track is decoded and recognised first
(whole-file, so every word is judged with all its context); the spoken-PII
intervals are then bleeped in the audio as it is re-encoded, and every frame
shown during one gets its faces' mouths blurred (lips give numbers away).
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from privastream_desktop.atomic import atomic_output
from privastream_desktop.audio.blocks import AudioBlock, SpeechRedaction
from privastream_desktop.audio.mouth import mouth_regions
from privastream_desktop.engine import ProtectionSettings, build_delay_line
from privastream_desktop.model_store import ModelStore
from privastream_desktop.redactor import Redactor
from privastream_desktop.regions import Frame, ProtectedFrame
from privastream_desktop.report import RedactionReport, report_path_for

OUTPUT_FORMATS = {".mp4": "mp4", ".m4v": "mp4", ".mov": "mov", ".mkv": "matroska"}

ProgressCallback = Callable[[int, int], None]


class InputError(ValueError):
    """The user asked for something we cannot do; the message says why in one line."""


class ExportCancelled(Exception):
    """The user cancelled; the partial output is already gone when this is raised."""


@dataclass(slots=True)
class ExportReport:
    frames: int = 0
    seconds: float = 0.0
    audio: bool = False
    fail_closed_frames: int = 0
    fail_closed_reasons: Counter[str] = field(default_factory=Counter)
    masked_by_kind: Counter[str] = field(default_factory=Counter)
    report_path: Path | None = None  # the redaction report written beside the video, if asked for
    speech_redactions: list[SpeechRedaction] = field(default_factory=list)  # media time; never the words
    speech_seconds: float = 0.0  # spent recognising speech (before the first frame)

    @property
    def fps(self) -> float:
        return self.frames / self.seconds if self.seconds > 0 else 0.0


def check_input(src: Path) -> None:
    """Refuse, with one clear line, an input that cannot be a video."""
    if not src.exists():
        raise InputError(f"input file not found: {src}")
    if not src.is_file():
        raise InputError(f"input is not a file: {src}")
    if src.stat().st_size == 0:
        raise InputError(f"input file is empty (0 bytes): {src}")


def check_paths(src: Path, dst: Path, *, overwrite: bool = False, formats: Collection[str] = OUTPUT_FORMATS) -> None:
    """Refuse, with one clear line, every input/output pair that would fail or lose data.

    ``formats`` are the output extensions this kind of export can write (video here, audio for
    ``privastream audio``); every other rule is the same for both.
    """
    check_input(src)
    if dst.suffix.lower() not in formats:
        raise InputError(f"output must end in one of {', '.join(formats)}: {dst}")
    if dst.exists() and (dst.resolve() == src.resolve() or os.path.samefile(src, dst)):
        raise InputError(f"output would overwrite the input file: {dst}")
    if dst.exists() and not overwrite:
        raise InputError(f"output file already exists (use --overwrite to replace it): {dst}")
    folder = dst.parent if str(dst.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(f"output folder does not exist: {folder}")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(f"output folder is not writable: {folder}")


def _open_input(src: Path) -> av.container.InputContainer:
    try:
        container = av.open(str(src))
    except (av.error.InvalidDataError, av.error.FFmpegError, UnicodeDecodeError) as exc:
        raise InputError(f"not a video file that can be read: {src} ({exc})") from None
    if not container.streams.video:
        container.close()
        raise InputError(f"no video stream in {src}")
    stream = container.streams.video[0]
    if stream.codec_context is None or not stream.codec_context.width:
        container.close()
        raise InputError(f"cannot decode the video codec of {src}")
    return container


def _even(n: int) -> int:
    return n + (n % 2)


class VideoRedactionJob:
    """One file-to-file export. Qt-free so the CLI, the GUI and tests share it."""

    def __init__(
        self,
        src: Path,
        dst: Path,
        settings: ProtectionSettings | None = None,
        *,
        overwrite: bool = False,
        crf: int = 20,
        preset: str = "veryfast",
        store: ModelStore | None = None,
        write_report: bool = False,
    ) -> None:
        self.src, self.dst = Path(src), Path(dst)
        self.settings = settings or ProtectionSettings()
        self.overwrite = overwrite
        self.write_report = write_report
        self.crf, self.preset = crf, preset
        self.store = store
        self.on_protected: Callable[[ProtectedFrame], None] | None = None  # tests, benchmarks
        self._cancel = threading.Event()
        self._audit: RedactionReport | None = None

    def cancel(self) -> None:
        """Ask a running export to stop (from any thread); ``run`` then raises ExportCancelled."""
        self._cancel.set()

    def run(self, progress: ProgressCallback | None = None) -> ExportReport:
        check_paths(self.src, self.dst, overwrite=self.overwrite)
        container = _open_input(self.src)
        self._audit = RedactionReport(self.settings) if self.write_report else None
        try:
            with atomic_output(self.dst) as tmp:
                report = self._transcode(container, tmp, progress)
        finally:
            container.close()
        if self._audit is not None:  # only for a video that really exists under its name
            report.report_path = self._audit.write(
                report_path_for(self.dst), input_path=self.src, output_path=self.dst, store=self.store
            )
        return report

    def _transcode(
        self, inp: av.container.InputContainer, tmp: Path, progress: ProgressCallback | None
    ) -> ExportReport:
        vin = inp.streams.video[0]
        vin.thread_type = "AUTO"
        ain = inp.streams.audio[0] if inp.streams.audio else None
        rate = vin.average_rate or vin.guessed_rate or Fraction(30)
        total = vin.frames or int(float(inp.duration or 0) / av.time_base * float(rate))
        width, height = vin.codec_context.width, vin.codec_context.height

        report = ExportReport(audio=ain is not None)
        speech = self._find_speech(report) if ain is not None and self.settings.speech else None
        out = av.open(str(tmp), "w", format=OUTPUT_FORMATS[self.dst.suffix.lower()])
        delay_line = build_delay_line(self.settings, float(rate), store=self.store)
        redactor = Redactor(self.settings.redaction)
        started = time.perf_counter()
        try:
            vout = out.add_stream("libx264", rate=rate)
            vout.width, vout.height = _even(width), _even(height)
            vout.pix_fmt = "yuv420p"
            vout.time_base = vin.time_base
            vout.options = {"crf": str(self.crf), "preset": self.preset}
            aout = out.add_stream("aac", rate=ain.rate, layout=ain.layout.name) if ain is not None else None
            pts: dict[int, int] = {}
            frame_s = 1.0 / float(rate)
            mouths = speech.timeline if speech is not None and self.settings.mouth_blur else None

            def write(batch: list[ProtectedFrame]) -> None:
                for item in batch:
                    if mouths and mouths.overlaps(item.frame.t, item.frame.t + frame_s):
                        # Shown while a secret is said: hide the lips of every face, kept-visible ones too.
                        item.regions = item.regions + mouth_regions(item.regions + item.kept_visible)
                    image = redactor.render(item)
                    if image.shape[1] != vout.width or image.shape[0] != vout.height:
                        image = np.pad(
                            image,
                            ((0, vout.height - image.shape[0]), (0, vout.width - image.shape[1]), (0, 0)),
                            mode="edge",
                        )
                    frame = av.VideoFrame.from_ndarray(image, format="bgr24")
                    frame.pts = pts.pop(item.frame.index)
                    frame.time_base = vin.time_base
                    for packet in vout.encode(frame):
                        out.mux(packet)
                    report.frames += 1
                    if item.fail_closed:
                        report.fail_closed_frames += 1
                    for region in item.regions:
                        report.masked_by_kind[region.kind.value] += 1
                    if self._audit is not None:
                        self._audit.add(item)
                    if self.on_protected is not None:
                        self.on_protected(item)
                    if progress is not None:
                        progress(report.frames, total)
                    if self._cancel.is_set():
                        raise ExportCancelled(f"export of {self.src.name} cancelled")

            index = 0
            streams = [vin] + ([ain] if ain is not None else [])
            try:
                for packet in inp.demux(*streams):
                    for decoded in packet.decode():
                        if packet.stream is vin:
                            image = decoded.to_ndarray(format="bgr24")
                            t = float(decoded.time) if decoded.time is not None else index / float(rate)
                            # Some containers leave pts unset; fall back to the frame's slot at the nominal rate.
                            pts[index] = (
                                decoded.pts
                                if decoded.pts is not None
                                else round(index / float(rate) / float(vin.time_base or Fraction(1, 90000)))
                            )
                            write(delay_line.push(Frame(index, t, image)))
                            index += 1
                        elif aout is not None:
                            if speech is not None and decoded.time is not None:
                                decoded = speech.apply(decoded)
                            for apacket in aout.encode(decoded):
                                out.mux(apacket)
            except av.error.FFmpegError as exc:
                if index == 0:
                    raise InputError(f"cannot decode {self.src}: {exc}") from None
                raise InputError(f"{self.src} is damaged after frame {index}: {exc}") from None
            if index == 0:
                raise InputError(f"no video frames could be decoded from {self.src}")
            write(delay_line.drain())
            for packet in vout.encode():
                out.mux(packet)
            if aout is not None:
                for packet in aout.encode():
                    out.mux(packet)
        finally:
            delay_line.close()
            out.close()
        report.seconds = time.perf_counter() - started
        report.fail_closed_reasons = delay_line.fail_closed_counts
        return report

    def _find_speech(self, report: ExportReport) -> _SpeechTrack:
        """Recognise the whole audio track and find what to bleep (media time)."""
        from privastream_desktop.audio.asr import RATE
        from privastream_desktop.audio.files import decode_audio
        from privastream_desktop.audio.speech_guard import redact_speech_file

        started = time.perf_counter()
        audio = decode_audio(self.src, rate=RATE, mono=True)
        found = redact_speech_file(audio.samples, audio.rate, self.settings, self.store)
        report.speech_redactions = [
            SpeechRedaction(r.kind, r.t_from + audio.start, r.t_to + audio.start, r.label) for r in found
        ]
        report.speech_seconds = time.perf_counter() - started
        if self._audit is not None:
            self._audit.add_speech(report.speech_redactions)
        return _SpeechTrack(report.speech_redactions, self.settings)


class _SpeechTrack:
    """Bleeps the audio frames of an export as they pass, and says when mouths must be hidden."""

    def __init__(self, redactions: list[SpeechRedaction], settings: ProtectionSettings) -> None:
        from privastream_desktop.audio.mouth import SpeechTimeline
        from privastream_desktop.audio.redactor import AudioRedactor

        self.redactions = redactions
        self.timeline = SpeechTimeline(redactions)
        self._redactor = AudioRedactor(settings.speech_mode, settings.bleep_hz)

    def apply(self, frame: av.AudioFrame) -> av.AudioFrame:
        from privastream_desktop.audio.files import frame_samples, samples_frame

        samples = frame_samples(frame)
        block = AudioBlock(float(frame.time), samples, frame.sample_rate)
        near = [r for r in self.redactions if r.overlaps(block.t - 0.05, block.end + 0.05)]
        hidden = self._redactor.apply(block, near)  # also learns the speech level from untouched audio
        return samples_frame(hidden.samples, frame) if near else frame


def preview_frames(
    src: Path, settings: ProtectionSettings, positions: tuple[float, ...] = (0.1, 0.5, 0.9)
) -> list[np.ndarray]:
    """A few protected frames from across ``src``, to check the settings before a long export.

    Each frame is judged on its own (no tracking across them), which is how the
    export treats the first frame of a scene.
    """
    from dataclasses import replace

    from privastream_desktop.redactor import Redactor

    check_input(src)  # a preview writes nothing, so the folder need not be writable
    container = _open_input(src)
    try:
        stream = container.streams.video[0]
        duration = float(container.duration or 0) / av.time_base
        images = []
        for position in positions:
            container.seek(int(position * duration * av.time_base))
            frame = next(container.decode(stream), None)
            if frame is not None:
                images.append(frame.to_ndarray(format="bgr24"))
    except av.error.FFmpegError as exc:
        raise InputError(f"cannot decode {src}: {exc}") from None
    finally:
        container.close()
    single = replace(settings, face_stride=1, plate_stride=1, text_interval_s=0.0, lookahead_s=0.0)
    line = build_delay_line(single, 30.0)
    line.pipeline_frames = 0
    redactor = Redactor(settings.redaction)
    out = []
    try:
        for i, image in enumerate(images):
            # Far-apart indices, so no track carries over from one sample to the next.
            line.push(Frame(i * 10_000, float(i), image))
            out.extend(redactor.render(item) for item in line.drain())
    finally:
        line.close()
    return out
