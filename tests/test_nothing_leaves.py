"""Nothing is written outside what the user asked for: no caches, no telemetry, no hidden files."""

import os
import subprocess
import sys

from privastream_desktop.samples import write_sample_clip


def test_a_video_export_writes_nothing_but_its_output(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    work = tmp_path / "work"
    work.mkdir()
    src = write_sample_clip(work / "in.mp4", scene="mixed", seconds=1, width=640, height=360)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "PRIVASTREAM_", "ORT_"))}
    env.update(HOME=str(home), TMPDIR=str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    for args in (["video", str(src), str(work / "out.mp4"), "--quiet"], ["models"]):
        result = subprocess.run([sys.executable, "-m", "privastream_desktop", *args], env=env, capture_output=True,
                                text=True, timeout=120)  # fmt: skip
        assert result.returncode == 0, result.stderr
    written = [str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file()]
    assert sorted(written) == ["work/in.mp4", "work/out.mp4"], written
