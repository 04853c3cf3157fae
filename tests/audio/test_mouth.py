"""Mouth regions: where they sit on a face, when they apply, and that the redactor draws them."""

import numpy as np

from privastream_desktop.audio.blocks import SpeechRedaction
from privastream_desktop.audio.mouth import SpeechTimeline, mouth_region, mouth_regions
from privastream_desktop.pii import PiiKind
from privastream_desktop.redactor import Redactor
from privastream_desktop.regions import Box, Frame, ProtectedFrame, Region, RegionKind


def test_mouth_is_the_lower_third_of_the_face():
    face = Region(RegionKind.FACE, Box(100, 50, 200, 200), 0.9, track_id=7)
    mouth = mouth_region(face)
    assert mouth.kind is RegionKind.MOUTH and mouth.track_id == 7
    b = mouth.box
    assert face.box.x1 < b.x1 < b.x2 < face.box.x2
    assert b.y1 >= face.box.y1 + 0.5 * face.box.height and b.y2 == face.box.y2
    plate = Region(RegionKind.PLATE, Box(0, 0, 10, 5))
    assert len(mouth_regions([face, plate])) == 1


def test_timeline_overlaps():
    reds = [SpeechRedaction(PiiKind.PHONE, 1.0, 2.0, "[PHONE]"), SpeechRedaction(PiiKind.EMAIL, 1.5, 3.0, "[EMAIL]")]
    line = SpeechTimeline(reds)
    assert line.speaking(1.0) and line.speaking(2.9) and not line.speaking(3.0) and not line.speaking(0.99)
    assert line.overlaps(0.97, 1.003) and not line.overlaps(0.9, 1.0) and not line.overlaps(3.0, 4.0)
    assert not SpeechTimeline([])


def test_redactor_hides_a_mouth_region_as_a_rectangle():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 255, (240, 320, 3), dtype=np.uint8)
    face = Region(RegionKind.FACE, Box(100, 40, 200, 190))
    mouth = mouth_region(face)
    out = Redactor().render(ProtectedFrame(Frame(0, 0.0, image), [mouth]))
    x1, y1, x2, y2 = mouth.box.as_int()
    assert np.abs(out[y1:y2, x1:x2].astype(int) - image[y1:y2, x1:x2]).mean() > 30, "the mouth is hidden"
    eyes = (slice(45, 90), slice(110, 190))
    np.testing.assert_array_equal(out[eyes], image[eyes])
