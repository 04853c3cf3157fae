"""Licence-plate detection with a YOLOv8n model exported to ONNX.

The weights come from the ``safelicensing`` package (see models/plates/SOURCE.md
for the licence question around Ultralytics-trained weights). The head is the
standard YOLOv8 one: (1, 4 + classes, anchors) with centre/size boxes in input
pixels and no NMS in the graph, so we letterbox, decode and run NMS here.
"""

from __future__ import annotations

import cv2
import numpy as np

from privastream_desktop.detectors.onnx_runtime import nms, open_session, round_up_32
from privastream_desktop.model_store import ModelStore
from privastream_desktop.regions import Box, Region, RegionKind

MODEL_ID = "plate-yolov8n"
_LETTERBOX_GREY = (114, 114, 114)


class PlateDetector:
    kind = RegionKind.PLATE
    name = "YOLOv8n plates"

    def __init__(
        self,
        store: ModelStore | None = None,
        *,
        input_width: int = 640,
        threshold: float = 0.25,
        threads: int = 1,
    ) -> None:
        store = store or ModelStore()
        self._session = open_session(store.path(MODEL_ID), threads)
        self._input_name = self._session.get_inputs()[0].name
        self.input_width = input_width
        self.threshold = threshold

    def detect(self, image: np.ndarray) -> list[Region]:
        height, width = image.shape[:2]
        # A rectangular letterbox (e.g. 640x384 for 16:9) spends no compute on padding.
        in_w = round_up_32(min(self.input_width, width))
        in_h = round_up_32(in_w * height / width)
        scale = min(in_w / width, in_h / height)
        new_w, new_h = round(width * scale), round(height * scale)
        pad_x, pad_y = (in_w - new_w) // 2, (in_h - new_h) // 2
        canvas = np.full((in_h, in_w, 3), _LETTERBOX_GREY, np.uint8)
        canvas[pad_y : pad_y + new_h, pad_x : pad_x + new_w] = cv2.resize(
            image, (new_w, new_h), interpolation=cv2.INTER_LINEAR
        )
        blob = cv2.dnn.blobFromImage(canvas, 1.0 / 255.0, swapRB=True)
        (raw,) = self._session.run(None, {self._input_name: blob})
        predictions = raw[0].T  # anchors x (4 + classes)
        scores = predictions[:, 4:].max(axis=1)
        keep = scores > self.threshold
        if not keep.any():
            return []
        cx, cy, w, h = predictions[keep, :4].T
        scores = scores[keep]
        boxes = np.column_stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2])
        kept = nms(boxes, scores, 0.5)
        boxes, scores = boxes[kept], scores[kept]
        boxes[:, [0, 2]] = np.clip((boxes[:, [0, 2]] - pad_x) / scale, 0, width)
        boxes[:, [1, 3]] = np.clip((boxes[:, [1, 3]] - pad_y) / scale, 0, height)
        return [Region(RegionKind.PLATE, Box(*map(float, b)), float(s)) for b, s in zip(boxes, scores, strict=True)]
