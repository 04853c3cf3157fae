import json

import cv2
import numpy as np
import pytest

from privastream_desktop.detectors.faces import FaceDetector
from privastream_desktop.redactor import MaskStyle, RedactionSettings, Redactor
from privastream_desktop.regions import Box, Frame, ProtectedFrame, Region, RegionKind
from privastream_desktop.resources import data_dir


def textured(h=360, w=640, seed=0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (h, w, 3), dtype=np.uint8)


def detail(image: np.ndarray) -> float:
    """High-frequency energy: what makes a face recognisable."""
    return float(cv2.Laplacian(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), cv2.CV_64F).var())


def render(image, regions, style=MaskStyle.BLUR, strength=0.8, padding=1.0, fail_closed=False):
    redactor = Redactor(RedactionSettings(style, strength, padding))
    return redactor.render(ProtectedFrame(Frame(0, 0.0, image), regions, fail_closed=fail_closed))


@pytest.mark.parametrize("style", list(MaskStyle))
@pytest.mark.parametrize("kind", [RegionKind.FACE, RegionKind.PLATE])
def test_every_style_hides_the_region_and_nothing_else(style, kind):
    image = textured()
    box = Box(200, 100, 360, 260)
    out = render(image, [Region(kind, box)], style=style)
    x1, y1, x2, y2 = box.as_int()
    center = (slice(y1 + 40, y2 - 40), slice(x1 + 40, x2 - 40))
    assert detail(out[center]) < 0.05 * detail(image[center])
    outside = np.ones(image.shape[:2], bool)
    outside[y1:y2, x1:x2] = False
    assert np.array_equal(out[outside], image[outside]), "pixels outside the mask must be untouched"
    assert image is not out


def test_faces_get_an_ellipse_plates_a_rectangle():
    image = textured()
    box = Box(200, 100, 360, 260)
    face = render(image, [Region(RegionKind.FACE, box)], style=MaskStyle.FILL)
    plate = render(image, [Region(RegionKind.PLATE, box)], style=MaskStyle.FILL)
    corner = (slice(101, 106), slice(201, 206))
    assert np.array_equal(face[corner], image[corner]), "ellipse leaves the box corners"
    assert not np.array_equal(plate[corner], image[corner]), "rectangle covers the corners"


def test_face_cut_by_the_frame_edge_gets_a_rectangle():
    image = textured()
    out = render(image, [Region(RegionKind.FACE, Box(560, 100, 640, 200))], style=MaskStyle.FILL)
    assert not np.array_equal(out[100:104, 636:640], image[100:104, 636:640]), "corner at the edge must be covered"


def test_padding_grows_the_mask():
    image = textured()
    box = Box(200, 100, 300, 200)
    out = render(image, [Region(RegionKind.PLATE, box)], style=MaskStyle.FILL, padding=1.5)
    assert not np.array_equal(out[80:90, 180:190], image[80:90, 180:190])


def test_region_at_the_frame_edge_is_clipped_not_skipped():
    image = textured()
    out = render(image, [Region(RegionKind.FACE, Box(-60, -60, 60, 60))], style=MaskStyle.FILL)
    assert not np.array_equal(out[0:20, 0:20], image[0:20, 0:20])


def test_fail_closed_hides_the_whole_frame():
    image = textured()
    out = render(image, [], fail_closed=True)
    assert out.shape == image.shape
    assert detail(out) < 0.01 * detail(image)


def test_blurred_real_face_is_no_longer_found_by_the_detector():
    faces_dir = data_dir("assets") / "samples" / "faces"
    entries = json.loads((faces_dir / "faces.json").read_text())["faces"]
    detector = FaceDetector(threshold=0.25)
    for entry in entries:
        image = cv2.imread(str(faces_dir / entry["file"]))
        canvas = cv2.copyMakeBorder(image, 100, 100, 200, 200, cv2.BORDER_CONSTANT, value=(128, 128, 128))
        box = Box(*(v + off for v, off in zip(entry["face_box"], (200, 100, 200, 100), strict=True)))
        assert detector.detect(canvas), f"{entry['file']}: face should be found before blurring"
        hidden = render(canvas, [Region(RegionKind.FACE, box)], padding=1.3)
        assert not FaceDetector(threshold=0.25).detect(hidden), f"{entry['file']}: blurred face still detected"
