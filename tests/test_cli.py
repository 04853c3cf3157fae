"""The CLI's promises on bad input: one clear line, non-zero exit, no traceback, no lost data."""

import os
import subprocess
import sys

import numpy as np
import pytest

from privastream_desktop import cli
from tests.media import write_clip, write_wav


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "privastream_desktop", *args], capture_output=True, text=True, timeout=120
    )


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    rng = np.random.default_rng(1)
    frames = [rng.integers(0, 255, (96, 128, 3), dtype=np.uint8) for _ in range(6)]
    return write_clip(tmp_path_factory.mktemp("clip") / "in.mp4", frames)


def assert_clean_error(result: subprocess.CompletedProcess, fragment: str) -> None:
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert fragment in lines[0]


def test_missing_input(tmp_path):
    assert_clean_error(run_cli("video", str(tmp_path / "nope.mp4"), str(tmp_path / "out.mp4")), "not found")


def test_zero_length_input(tmp_path):
    empty = tmp_path / "empty.mp4"
    empty.touch()
    assert_clean_error(run_cli("video", str(empty), str(tmp_path / "out.mp4")), "empty")


def test_not_a_video(tmp_path):
    text = tmp_path / "notes.mp4"
    text.write_text("these are not the frames you are looking for\n" * 50)
    assert_clean_error(run_cli("video", str(text), str(tmp_path / "out.mp4")), "not a video")


def test_damaged_video(tmp_path, clip):
    broken = tmp_path / "broken.mp4"
    data = bytearray(clip.read_bytes())
    broken.write_bytes(bytes(data[:64]) + bytes(len(data) - 64))  # header kept, payload zeroed
    result = run_cli("video", str(broken), str(tmp_path / "out.mp4"))
    assert_clean_error(result, str(broken.name))
    assert not (tmp_path / "out.mp4").exists()


def test_audio_only_file_has_no_video(tmp_path):
    wav = write_wav(tmp_path / "speech.wav")
    assert_clean_error(run_cli("video", str(wav), str(tmp_path / "out.mp4")), "no video stream")


def test_output_equal_to_input_is_refused_and_input_untouched(clip):
    before = clip.read_bytes()
    assert_clean_error(run_cli("video", str(clip), str(clip)), "overwrite the input")
    assert clip.read_bytes() == before


def test_output_through_another_path_to_the_input_is_refused(clip, tmp_path):
    link = tmp_path / "alias.mp4"
    link.symlink_to(clip)
    assert_clean_error(run_cli("video", str(clip), str(link), "--overwrite"), "overwrite the input")


def test_existing_output_needs_overwrite(clip, tmp_path):
    existing = tmp_path / "keep.mp4"
    existing.write_bytes(b"precious")
    assert_clean_error(run_cli("video", str(clip), str(existing)), "--overwrite")
    assert existing.read_bytes() == b"precious"


def test_missing_output_folder(clip, tmp_path):
    assert_clean_error(run_cli("video", str(clip), str(tmp_path / "no" / "such" / "out.mp4")), "does not exist")


def test_unwritable_output_folder(clip, tmp_path, monkeypatch, capsys):
    # Tests run as root here, where chmod does not stop writes; ask the check directly.
    locked = tmp_path / "locked"
    locked.mkdir()
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if str(p) == str(locked) else real_access(p, mode))
    assert cli.main(["video", str(clip), str(locked / "out.mp4"), "--quiet"]) == 1
    assert "not writable" in capsys.readouterr().err
    assert list(locked.iterdir()) == []


def test_unsupported_output_extension(clip, tmp_path):
    assert_clean_error(run_cli("video", str(clip), str(tmp_path / "out.gif")), "must end in")


def test_bad_option_values_are_usage_errors(clip, tmp_path):
    result = run_cli("video", str(clip), str(tmp_path / "o.mp4"), "--strength", "7")
    assert result.returncode == 2 and "between 0 and 1" in result.stderr


def test_ctrl_c_leaves_no_partial_output(clip, tmp_path, monkeypatch, capsys):
    from privastream_desktop import video_export

    real_run = video_export.VideoRedactionJob.run

    def interrupted_run(self, progress=None):
        def bomb(done, total):
            if done >= 2:
                raise KeyboardInterrupt

        return real_run(self, bomb)

    monkeypatch.setattr(video_export.VideoRedactionJob, "run", interrupted_run)
    out = tmp_path / "out.mp4"
    assert cli.main(["video", str(clip), str(out), "--quiet"]) == 130
    assert "interrupted" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == [], "no output and no temporary file may remain"


def test_models_listing():
    result = run_cli("models")
    assert result.returncode == 0, result.stderr
    assert "face-centerface  [ok]" in result.stdout
    assert "licence: MIT" in result.stdout


def test_version_and_help():
    assert run_cli("--version").stdout.startswith("privastream ")
    assert "video" in run_cli("--help").stdout


def test_live_runs_headless_on_a_file_and_reports(clip):
    result = run_cli("live", "--source", str(clip), "--seconds", "2.5", "--delay", "0")
    assert result.returncode == 0, result.stderr
    assert "fps" in result.stderr and "latency" in result.stderr
    assert "Traceback" not in result.stderr


def test_live_with_a_missing_camera_is_a_clean_error():
    assert_clean_error(run_cli("live", "--source", "7", "--seconds", "1"), "camera")


def test_live_without_virtual_camera_device_prints_the_hint(clip):
    if any(p.startswith("video") for p in os.listdir("/dev")):
        pytest.skip("this machine has video devices")
    result = run_cli("live", "--source", str(clip), "--vcam", "--seconds", "1")
    assert result.returncode == 1 and "v4l2loopback" in result.stderr and "Traceback" not in result.stderr
