"""Audio files in and out (PyAV's own FFmpeg: no system codecs needed), and ``privastream audio``.

Decoding gives float32 (n, channels) at the file's own rate, so the output keeps
rate and channels. Writing goes to a temporary file beside the target and is
renamed at the end (``atomic_output``): an error or Ctrl-C leaves nothing, and
the input is never overwritten.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

import av
import numpy as np

from privastream_desktop.atomic import atomic_output
from privastream_desktop.audio.blocks import AudioBlock, SpeechRedaction
from privastream_desktop.audio.redactor import AudioRedactor
from privastream_desktop.video_export import InputError, check_input, check_paths

if TYPE_CHECKING:
    from privastream_desktop.engine import ProtectionSettings
    from privastream_desktop.model_store import ModelStore

# extension: (container format, codec, sample format the codec wants)
AUDIO_FORMATS: dict[str, tuple[str, str, str]] = {
    ".wav": ("wav", "pcm_s16le", "s16"),
    ".flac": ("flac", "flac", "s16"),
    ".mp3": ("mp3", "libmp3lame", "fltp"),
    ".m4a": ("ipod", "aac", "fltp"),
}
_LAYOUTS = {1: "mono", 2: "stereo"}


@dataclass(slots=True)
class DecodedAudio:
    samples: np.ndarray  # float32 (n, channels)
    rate: int
    start: float = 0.0  # media time of the first sample (a video's audio may start after 0)

    @property
    def duration(self) -> float:
        return len(self.samples) / self.rate


@dataclass(slots=True)
class AudioReport:
    seconds: float = 0.0  # processing time
    duration: float = 0.0  # of the recording
    redactions: list[SpeechRedaction] = field(default_factory=list)

    @property
    def redacted_s(self) -> float:
        return sum(r.duration for r in self.redactions)


def _frames_to_array(frames: Iterator[av.AudioFrame], channels: int, rate: int | None) -> np.ndarray:
    """Decoded frames as float32 (n, channels), whatever their sample format (at ``rate`` if given)."""
    resampler: av.AudioResampler | None = None
    parts: list[np.ndarray] = []
    for frame in frames:
        if resampler is None:
            layout = "mono" if channels == 1 else frame.layout.name
            resampler = av.AudioResampler(format="flt", layout=layout, rate=rate or frame.sample_rate)
        for out in resampler.resample(frame):
            parts.append(out.to_ndarray().reshape(-1, channels))
    if resampler is not None:
        for out in resampler.resample(None):
            parts.append(out.to_ndarray().reshape(-1, channels))
    return np.concatenate(parts).astype(np.float32) if parts else np.zeros((0, channels), np.float32)


def decode_audio(src: Path, *, rate: int | None = None, mono: bool = False) -> DecodedAudio:
    """The first audio track of ``src`` (any container PyAV reads: wav, flac, mp3, m4a, mp4...).

    ``rate``/``mono`` convert while decoding (an hour of 16 kHz mono for speech
    recognition is 230 MB; the original stereo 48 kHz would be 1.4 GB). Raises
    InputError with one clear line for a file that is missing, empty, not media,
    or has no audio.
    """
    check_input(src)
    try:
        container = av.open(str(src))
    except (av.error.FFmpegError, UnicodeDecodeError) as exc:
        raise InputError(f"not an audio file that can be read: {src} ({exc})") from None
    try:
        if not container.streams.audio:
            raise InputError(f"no audio in {src}")
        stream = container.streams.audio[0]
        if stream.codec_context is None or not stream.codec_context.sample_rate:
            raise InputError(f"cannot decode the audio codec of {src}")
        channels = 1 if mono else stream.codec_context.channels or len(stream.codec_context.layout.channels)
        first: list[float] = []

        def frames() -> Iterator[av.AudioFrame]:
            for frame in container.decode(stream):
                if not first:
                    first.append(float(frame.time) if frame.time is not None else 0.0)
                yield frame

        try:
            samples = _frames_to_array(frames(), channels, rate)
        except av.error.FFmpegError as exc:
            raise InputError(f"cannot decode the audio of {src}: {exc}") from None
        if len(samples) == 0:
            raise InputError(f"no audio could be decoded from {src}")
        return DecodedAudio(samples, rate or int(stream.codec_context.sample_rate), first[0] if first else 0.0)
    finally:
        container.close()


def encode_into(
    out: av.container.OutputContainer, stream: av.audio.stream.AudioStream, samples: np.ndarray, rate: int
) -> None:
    """Encode float32 (n, channels) into ``stream`` (codec format and frame size handled), then flush it."""
    channels = samples.shape[1]
    layout = _LAYOUTS.get(channels, f"{channels}c")
    ctx = stream.codec_context
    resampler = av.AudioResampler(
        format=ctx.format.name, layout=ctx.layout.name, rate=ctx.sample_rate, frame_size=ctx.frame_size or None
    )
    step = 4096
    pts = 0
    for start in range(0, len(samples), step):
        # packed float: (1, n * channels), channels interleaved, which is a row-major (n, channels) flattened
        chunk = np.ascontiguousarray(samples[start : start + step], dtype=np.float32).reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(chunk, format="flt", layout=layout)
        frame.sample_rate = rate
        frame.pts = pts
        frame.time_base = Fraction(1, rate)
        pts += chunk.shape[1] // channels
        for converted in resampler.resample(frame):
            out.mux(stream.encode(converted))
    for converted in resampler.resample(None):
        out.mux(stream.encode(converted))
    out.mux(stream.encode(None))


def write_audio(dst: Path, samples: np.ndarray, rate: int) -> None:
    """Write float32 (n, channels) to ``dst`` in the format its extension names."""
    fmt, codec, _ = AUDIO_FORMATS[dst.suffix.lower()]
    channels = samples.shape[1]
    with av.open(str(dst), "w", format=fmt) as out:
        stream = out.add_stream(codec, rate=rate, layout=_LAYOUTS.get(channels, f"{channels}c"))
        encode_into(out, stream, np.clip(samples, -1.0, 1.0), rate)


class AudioRedactionJob:
    """``privastream audio IN OUT``: find spoken PII in a recording and hide it."""

    def __init__(
        self,
        src: Path,
        dst: Path,
        settings: ProtectionSettings,
        *,
        overwrite: bool = False,
        store: ModelStore | None = None,
    ) -> None:
        self.src, self.dst = Path(src), Path(dst)
        self.settings = settings
        self.overwrite = overwrite
        self.store = store

    def run(self) -> AudioReport:
        from privastream_desktop.audio.speech_guard import redact_speech_file

        check_paths(self.src, self.dst, overwrite=self.overwrite, formats=AUDIO_FORMATS)
        started = time.perf_counter()
        audio = decode_audio(self.src)
        redactions = (
            redact_speech_file(audio.samples, audio.rate, self.settings, self.store) if self.settings.speech else []
        )
        redactor = AudioRedactor(self.settings.speech_mode, self.settings.bleep_hz)
        hidden = redactor.apply(AudioBlock(0.0, audio.samples, audio.rate), redactions).samples
        with atomic_output(self.dst) as tmp:
            try:
                write_audio(tmp, hidden, audio.rate)
            except av.error.FFmpegError as exc:
                raise InputError(f"cannot write {self.dst.suffix} audio: {exc}") from None
        return AudioReport(time.perf_counter() - started, audio.duration, redactions)


def frame_samples(frame: av.AudioFrame) -> np.ndarray:
    """One decoded frame as float32 (n, channels)."""
    array = frame.to_ndarray()
    channels = len(frame.layout.channels)
    array = array if frame.format.is_planar else array.reshape(-1, channels).T  # now (channels, n)
    name = frame.format.name.rstrip("p")
    scale = {"s16": 32768.0, "s32": 2147483648.0, "u8": 128.0}.get(name)
    out = array.astype(np.float32)
    if name == "u8":
        out -= 128.0
    if scale is not None:
        out /= scale
    return np.ascontiguousarray(out.T)


def samples_frame(samples: np.ndarray, like: av.AudioFrame) -> av.AudioFrame:
    """float32 (n, channels) as a planar float frame with ``like``'s layout, rate and timing."""
    frame = av.AudioFrame.from_ndarray(
        np.ascontiguousarray(samples.T, dtype=np.float32), format="fltp", layout=like.layout.name
    )
    frame.sample_rate = like.sample_rate
    frame.pts = like.pts
    frame.time_base = like.time_base
    return frame
