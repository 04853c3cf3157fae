from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pytest

from privastream_desktop.regions import Frame
from privastream_desktop.sources import (
    CameraInfo,
    CameraSource,
    FileLoopSource,
    FrameSource,
    SourceError,
    list_cameras,
    open_source,
)
from tests.media import write_clip

N_FRAMES = 10


def _level(image: np.ndarray) -> int:
    """Frame number encoded as brightness (steps of 20 survive H.264)."""
    return round(float(image.mean()) / 20)


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    frames = [np.full((48, 64, 3), 20 * i + 10, np.uint8) for i in range(N_FRAMES)]
    return write_clip(tmp_path_factory.mktemp("src") / "clip.mp4", frames, fps=30, audio_hz=None)


def test_list_cameras_is_quick_and_quiet(capfd: pytest.CaptureFixture[str]) -> None:
    start = time.monotonic()
    cameras = list_cameras()
    assert time.monotonic() - start < 1.0
    assert isinstance(cameras, list)
    assert all(isinstance(c, CameraInfo) and c.name for c in cameras)
    out, err = capfd.readouterr()
    assert "WARN" not in out + err


def test_file_frames_in_order_and_loop(clip: Path) -> None:
    source = FileLoopSource(clip, realtime=False)
    assert isinstance(source, FrameSource)
    assert (source.width, source.height, source.fps, source.name) == (64, 48, 30.0, "clip.mp4")
    frames = [source.read() for _ in range(2 * N_FRAMES + 5)]
    source.close()
    assert all(isinstance(f, Frame) for f in frames)
    assert [f.index for f in frames] == list(range(2 * N_FRAMES + 5))
    assert [_level(f.image) for f in frames] == [i % N_FRAMES for i in range(2 * N_FRAMES + 5)]
    times = [f.t for f in frames]
    assert times == sorted(times)
    first = frames[0].image
    assert first.shape == (48, 64, 3) and first.dtype == np.uint8
    assert frames[N_FRAMES].meta["loop"] == 1
    assert source.read() is None  # closed


def test_file_without_loop_ends_with_none(clip: Path) -> None:
    source = FileLoopSource(clip, loop=False, realtime=False)
    frames = []
    while (frame := source.read()) is not None:
        frames.append(frame)
    assert len(frames) == N_FRAMES
    assert source.read() is None
    source.close()
    source.close()  # idempotent


def test_realtime_pacing(clip: Path) -> None:
    source = FileLoopSource(clip, realtime=True)
    start = time.monotonic()
    frames = [source.read() for _ in range(15)]
    elapsed = time.monotonic() - start
    source.close()
    assert 0.4 <= elapsed < 1.0  # 14 periods of 1/30 s = 0.467 s
    gaps = np.diff([f.t for f in frames if f is not None])
    assert gaps.min() > 0.02


def test_realtime_does_not_burst_after_a_stall(clip: Path) -> None:
    source = FileLoopSource(clip, realtime=True)
    source.read()
    time.sleep(0.2)  # six frames late
    frames = [source.read() for _ in range(4)]
    source.close()
    gaps = np.diff([f.t for f in frames if f is not None])
    assert gaps.min() > 0.02


def test_not_realtime_is_fast(clip: Path) -> None:
    source = FileLoopSource(clip, realtime=False)
    start = time.monotonic()
    for _ in range(30):
        source.read()
    source.close()
    assert time.monotonic() - start < 0.3


def test_resize(clip: Path) -> None:
    source = FileLoopSource(clip, realtime=False, width=32, height=20)
    assert (source.width, source.height) == (32, 20)
    assert source.read().image.shape == (20, 32, 3)  # type: ignore[union-attr]
    source.close()
    source = FileLoopSource(clip, realtime=False, width=32)  # height follows the aspect ratio
    assert source.read().image.shape == (24, 32, 3)  # type: ignore[union-attr]
    source.close()


def _bad_file(folder: Path, kind: str) -> Path:
    if kind == "missing":
        return folder / "missing.mp4"
    if kind == "folder":
        return folder
    path = folder / f"{kind}.mp4"
    path.write_text("" if kind == "empty" else "not a video\n" * 50)
    return path


@pytest.mark.parametrize(
    ("kind", "phrase"),
    [("missing", "not found"), ("folder", "folder"), ("empty", "empty"), ("garbage", "could not read")],
)
def test_bad_files_raise_source_error(tmp_path: Path, kind: str, phrase: str) -> None:
    with pytest.raises(SourceError, match=phrase):
        FileLoopSource(_bad_file(tmp_path, kind))


def test_audio_only_file_has_no_video(tmp_path: Path) -> None:
    import av

    path = tmp_path / "tone.m4a"
    with av.open(str(path), "w") as out:
        stream = out.add_stream("aac", rate=48000, layout="mono")
        samples = np.zeros((1, 1024), np.float32)
        for i in range(10):
            frame = av.AudioFrame.from_ndarray(samples, format="flt", layout="mono")
            frame.sample_rate, frame.pts = 48000, i * 1024
            out.mux(stream.encode(frame))
        out.mux(stream.encode())
    with pytest.raises(SourceError, match="no video"):
        FileLoopSource(path)


@pytest.mark.skipif(sys.platform.startswith("linux") and Path("/dev/video7").exists(), reason="a real camera 7")
def test_missing_camera_raises_clear_error() -> None:
    with pytest.raises(SourceError, match=r"camera 7 could not be opened"):
        CameraSource(7)


def test_open_source_dispatch(clip: Path) -> None:
    source = open_source(str(clip), realtime=False)
    assert isinstance(source, FileLoopSource)
    source.close()
    if not Path("/dev/video7").exists():
        with pytest.raises(SourceError, match="camera 7"):
            open_source("7")


def test_linux_sysfs_names_skip_metadata_nodes(tmp_path: Path) -> None:
    from privastream_desktop.sources import _linux_cameras

    for node, name, index in [("video0", "HD Pro Webcam C920", 0), ("video1", "HD Pro Webcam C920", 1)]:
        (tmp_path / node).mkdir()
        (tmp_path / node / "name").write_text(name + "\n")
        (tmp_path / node / "index").write_text(f"{index}\n")
    (tmp_path / "video10").mkdir()
    (tmp_path / "video10" / "name").write_text("PrivaStream\n")  # no index file: counted as a capture node
    assert _linux_cameras(tmp_path) == [
        CameraInfo(0, "HD Pro Webcam C920", "/dev/video0"),
        CameraInfo(10, "PrivaStream", "/dev/video10"),
    ]
