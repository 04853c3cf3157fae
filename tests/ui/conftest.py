import pytest

from privastream_desktop.samples import render_scene, write_sample_clip

W, H, FPS, SECONDS = 640, 360, 30, 3.0


@pytest.fixture(scope="session")
def clip(tmp_path_factory):
    """A looping source with real faces and a moving camera, plus its per-frame truth."""
    path = tmp_path_factory.mktemp("clip") / "faces.mp4"
    write_sample_clip(path, scene="moving_camera", seconds=SECONDS, width=W, height=H, fps=FPS, with_audio=False)
    truth = [f.truth for f in render_scene("moving_camera", width=W, height=H, fps=FPS, seconds=SECONDS)]
    return path, truth
