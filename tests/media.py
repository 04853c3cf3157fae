"""Small media files made on the fly for CLI and export tests."""

from __future__ import annotations

import wave
from pathlib import Path

import av
import numpy as np


def write_clip(
    path: Path,
    frames: list[np.ndarray],
    *,
    fps: int = 30,
    audio_hz: float | None = 440.0,
    sample_rate: int = 48000,
    audio: np.ndarray | None = None,
) -> Path:
    """H.264 (+ AAC tone, or ``audio``: mono float32 at ``sample_rate``) clip from BGR frames, written like a
    camera app would."""
    height, width = frames[0].shape[:2]
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.options = {"crf": "12", "preset": "ultrafast"}
        stream = out.add_stream("aac", rate=sample_rate, layout="mono") if audio_hz or audio is not None else None
        for i, image in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(image, format="bgr24")
            frame.pts = i
            out.mux(video.encode(frame))
        if stream is not None:
            samples = int(len(frames) / fps * sample_rate)
            if audio is not None:
                tone = np.zeros(samples, np.float32)
                tone[: min(samples, len(audio))] = audio[:samples]
            else:
                t = np.arange(samples) / sample_rate
                tone = (0.3 * np.sin(2 * np.pi * audio_hz * t)).astype(np.float32)
            for start in range(0, samples, 1024):
                chunk = tone[start : start + 1024].reshape(1, -1)
                aframe = av.AudioFrame.from_ndarray(chunk, format="flt", layout="mono")
                aframe.sample_rate, aframe.pts = sample_rate, start
                out.mux(stream.encode(aframe))
            out.mux(stream.encode())
        out.mux(video.encode())
    return path


def write_wav(path: Path, seconds: float = 0.5, rate: int = 16000) -> Path:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(np.zeros(int(seconds * rate), np.int16).tobytes())
    return path


def scene_clip(
    path: Path, scene: str, *, width: int, height: int, fps: int, seconds: float, with_audio: bool = False
) -> tuple[Path, list]:
    """A rendered sample scene written as a clip, with its per-frame ground truth."""
    from privastream_desktop.samples import render_scene, write_sample_clip

    clip = write_sample_clip(path, scene=scene, seconds=seconds, width=width, height=height, fps=fps,
                             with_audio=with_audio)  # fmt: skip
    truth = [f.truth for f in render_scene(scene, width=width, height=height, fps=fps, seconds=seconds)]
    return clip, truth
