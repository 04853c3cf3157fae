import pytest

from tests.media import scene_clip

W, H, FPS, SECONDS = 640, 360, 30, 3.0


@pytest.fixture(scope="session")
def clip(tmp_path_factory):
    """A looping source with real faces and a moving camera, plus its per-frame truth."""
    return scene_clip(tmp_path_factory.mktemp("clip") / "faces.mp4", "moving_camera", width=W, height=H, fps=FPS,
                      seconds=SECONDS)  # fmt: skip
