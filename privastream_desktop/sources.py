"""Where frames come from: a webcam, or a video file played as if it were one.

Every source hands out :class:`~privastream_desktop.regions.Frame` objects stamped
with ``time.monotonic()`` at capture, so the delay line and the virtual camera
can reason about one clock whether the picture came from a sensor or a file.
Sources are driven from a single worker thread; none of them is thread-safe.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

import av
import cv2
import numpy as np

from privastream_desktop.regions import Frame

SYSFS_V4L = Path("/sys/class/video4linux")

# A camera that stops delivering for this many grabs in a row is treated as unplugged.
MAX_FAILED_GRABS = 30
_FAILED_GRAB_PAUSE_S = 0.01


class SourceError(RuntimeError):
    """A source could not start; the message is one sentence the user can act on."""


@dataclass(frozen=True)
class CameraInfo:
    index: int
    name: str
    path: str | None


@runtime_checkable
class FrameSource(Protocol):
    """What the engine pulls frames from.

    ``read`` blocks until the next frame is due and returns ``None`` once the
    stream is over for good (camera lost, or a non-looping file ended).
    """

    name: str
    width: int
    height: int
    fps: float

    def read(self) -> Frame | None: ...

    def close(self) -> None: ...


def _capture_backend() -> int:
    """The API each OS handles best: CAP_ANY on Windows picks MSMF, which opens slowly and mislabels sizes."""
    if sys.platform.startswith("win"):
        return cv2.CAP_DSHOW
    if sys.platform == "darwin":
        return cv2.CAP_AVFOUNDATION
    if sys.platform.startswith("linux"):
        return cv2.CAP_V4L2
    return cv2.CAP_ANY


@contextlib.contextmanager
def _quiet_opencv() -> Iterator[None]:
    """Probing absent cameras makes OpenCV print a WARN per index; the user should see none of it."""
    try:
        previous = cv2.utils.logging.getLogLevel()
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
    except AttributeError:  # a build without the logging utils: nothing to silence
        yield
        return
    try:
        yield
    finally:
        cv2.utils.logging.setLogLevel(previous)


def _read_sysfs(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return None


def _linux_cameras(root: Path = SYSFS_V4L) -> list[CameraInfo]:
    """Names straight from sysfs: opening each device would take ~100 ms and may wake a sleeping camera.

    UVC cameras expose a second, metadata-only node with ``index`` 1; only index 0 nodes capture pictures.
    """
    cameras: list[CameraInfo] = []
    for node in root.glob("video*"):
        match = re.fullmatch(r"video(\d+)", node.name)
        if not match:
            continue
        if (_read_sysfs(node / "index") or "0") != "0":
            continue
        number = int(match.group(1))
        name = _read_sysfs(node / "name") or f"Camera {number}"
        cameras.append(CameraInfo(index=number, name=name, path=f"/dev/{node.name}"))
    return sorted(cameras, key=lambda info: info.index)


def _probe_cameras(indices: range | list[int]) -> list[CameraInfo]:
    backend = _capture_backend()
    found: list[CameraInfo] = []
    with _quiet_opencv():
        for index in indices:
            capture = cv2.VideoCapture(index, backend)
            try:
                if capture.isOpened():
                    found.append(CameraInfo(index=index, name=f"Camera {index}", path=None))
            finally:
                capture.release()
    return found


def list_cameras(max_probe: int = 8) -> list[CameraInfo]:
    """Cameras the user can pick, by name where the OS tells us one.

    Never raises: an empty list is the honest answer on a machine without cameras.
    """
    try:
        if sys.platform.startswith("linux"):
            if SYSFS_V4L.is_dir():
                return _linux_cameras()
            # containers without sysfs: only try device nodes that exist, so a camera-less box answers instantly
            present = [i for i in range(max_probe) if os.path.exists(f"/dev/video{i}")]
            return _probe_cameras(present)
        return _probe_cameras(range(max_probe))
    except Exception:  # a broken driver must not take the camera menu down with it
        return []


def _camera_name(index: int) -> str:
    if sys.platform.startswith("linux"):
        name = _read_sysfs(SYSFS_V4L / f"video{index}" / "name")
        if name:
            return name
    return f"Camera {index}"


class CameraSource:
    """A webcam through OpenCV, reporting the mode the driver actually granted.

    Drivers silently substitute the nearest mode they support, so ``width``,
    ``height`` and ``fps`` are read back rather than echoed from the request.
    """

    def __init__(self, index: int, width: int = 1280, height: int = 720, fps: float = 30.0) -> None:
        self.index = index
        self.name = _camera_name(index)
        with _quiet_opencv():
            capture = cv2.VideoCapture(index, _capture_backend())
            if not capture.isOpened():
                capture.release()
                raise SourceError(f"camera {index} could not be opened: is it plugged in, or is another app using it?")
            if sys.platform != "darwin":
                # uncompressed 720p over USB 2 tops out near 10 fps; MJPG is what gets 30 (ignored if unsupported)
                capture.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter.fourcc(*"MJPG"))
            capture.set(cv2.CAP_PROP_FRAME_WIDTH, width)
            capture.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
            capture.set(cv2.CAP_PROP_FPS, fps)
            ok, image = capture.read()
        if not ok or image is None:
            capture.release()
            raise SourceError(f"camera {index} opened but sent no picture: is another app using it, or is it covered?")
        self._capture = capture
        self.height, self.width = image.shape[:2]
        reported = capture.get(cv2.CAP_PROP_FPS)
        self.fps = float(reported) if 0 < reported < 1000 else float(fps)
        self._pending: np.ndarray | None = image
        self._pending_t = time.monotonic()
        self._index = 0
        self._closed = False

    def read(self) -> Frame | None:
        if self._closed:
            return None
        if self._pending is not None:
            image, t, self._pending = self._pending, self._pending_t, None
            return self._emit(image, t)
        failures = 0
        while failures < MAX_FAILED_GRABS:
            ok, image = self._capture.read()
            if ok and image is not None:
                return self._emit(image, time.monotonic())
            failures += 1
            time.sleep(_FAILED_GRAB_PAUSE_S)
        return None

    def _emit(self, image: np.ndarray, t: float) -> Frame:
        if image.ndim == 2:  # some drivers hand out grey frames
            image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
        frame = Frame(index=self._index, t=t, image=image, meta={"source": "camera", "camera": self.index})
        self._index += 1
        return frame

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._capture.release()


def _output_size(src_w: int, src_h: int, width: int | None, height: int | None) -> tuple[int, int]:
    """Fill in a missing dimension from the aspect ratio, so ``width=640`` alone does not squash the picture."""
    if width is None and height is None:
        return src_w, src_h
    if width is None:
        assert height is not None
        width = max(1, round(src_w * height / src_h))
    elif height is None:
        height = max(1, round(src_h * width / src_w))
    return int(width), int(height)


class FileLoopSource:
    """A video file that behaves like a camera: paced to its frame rate and, by default, looping forever.

    Used for demos and tests where there is no webcam; with ``realtime=False``
    it decodes as fast as it can, for benchmarks.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        loop: bool = True,
        realtime: bool = True,
        width: int | None = None,
        height: int | None = None,
    ) -> None:
        self.path = Path(path)
        self.name = self.path.name
        self.loop = loop
        self.realtime = realtime
        if not self.path.exists():
            raise SourceError(f"video file not found: {self.path}")
        if not self.path.is_file():
            raise SourceError(f"not a video file (it is a folder or device): {self.path}")
        if self.path.stat().st_size == 0:
            raise SourceError(f"video file is empty (0 bytes): {self.path}")
        try:
            self._container = av.open(str(self.path))
        except (av.error.FFmpegError, UnicodeDecodeError, OSError):
            raise SourceError(f"could not read this file as a video: {self.path}") from None
        if not self._container.streams.video:
            self._container.close()
            raise SourceError(f"this file has no video track: {self.path}")
        self._stream = self._container.streams.video[0]
        self._stream.thread_type = "AUTO"
        rate = self._stream.average_rate or self._stream.guessed_rate or self._stream.base_rate
        self.fps = float(rate) if rate and 0 < float(rate) < 1000 else 30.0
        self._period = 1.0 / self.fps
        self._requested = (width, height)
        self._decoder = self._container.decode(self._stream)
        self._closed = False
        self._index = 0
        self._loops = 0
        self._due: float | None = None
        first = self._next_av_frame()
        if first is None:
            self.close()
            raise SourceError(f"could not decode any picture from this video: {self.path}")
        self.width, self.height = _output_size(first.width, first.height, width, height)
        self._pending: av.VideoFrame | None = first

    def _next_av_frame(self) -> av.VideoFrame | None:
        """Next decoded picture, or None at end of file; decode errors count as the end of the file."""
        try:
            return next(self._decoder)
        except (StopIteration, av.error.FFmpegError):
            return None

    def _rewind(self) -> bool:
        try:
            self._container.seek(0)
        except av.error.FFmpegError:
            return False
        self._decoder = self._container.decode(self._stream)
        self._loops += 1
        return True

    def read(self) -> Frame | None:
        if self._closed:
            return None
        av_frame, self._pending = self._pending, None
        if av_frame is None:
            av_frame = self._next_av_frame()
        if av_frame is None and self.loop and self._rewind():
            av_frame = self._next_av_frame()  # a pass that yields nothing after a rewind ends the stream
        if av_frame is None:
            return None
        image = av_frame.to_ndarray(format="bgr24", width=self.width, height=self.height)
        media_t = float(av_frame.time) if av_frame.time is not None else None
        if self.realtime:
            self._wait_until_due()
        frame = Frame(
            index=self._index,
            t=time.monotonic(),
            image=image,
            meta={"source": "file", "media_t": media_t, "loop": self._loops},
        )
        self._index += 1
        return frame

    def _wait_until_due(self) -> None:
        """Sleep to the schedule; when more than a frame late, restart it from now instead of bursting to catch up."""
        now = time.monotonic()
        if self._due is None or now - self._due > self._period:
            self._due = now
        elif now < self._due:
            time.sleep(self._due - now)
        self._due += self._period

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._pending = None
            self._container.close()


def open_source(spec: str, **kw: object) -> FrameSource:
    """A bare number picks a camera by index; anything else is a video file path."""
    if spec.strip().isdigit():
        return CameraSource(int(spec), **kw)  # type: ignore[arg-type]
    return FileLoopSource(spec, **kw)  # type: ignore[arg-type]


__all__ = [
    "MAX_FAILED_GRABS",
    "CameraInfo",
    "CameraSource",
    "FileLoopSource",
    "FrameSource",
    "SourceError",
    "list_cameras",
    "open_source",
]
