"""One place that opens onnxruntime sessions, so every model gets the same
provider choice, thread budget and quiet logging."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort

# Accelerators first when the installed onnxruntime build has them; CPU always works.
_PREFERRED_PROVIDERS = (
    "CUDAExecutionProvider",
    "DmlExecutionProvider",
    "CoreMLExecutionProvider",
    "CPUExecutionProvider",
)


def open_session(path: Path, threads: int = 1) -> ort.InferenceSession:
    """Open ``path`` with ``threads`` intra-op threads.

    Detectors run side by side in their own worker threads, so each session
    gets a small fixed share of the cores instead of fighting for all of them.
    """
    ort.set_default_logger_severity(3)
    options = ort.SessionOptions()
    options.intra_op_num_threads = max(1, threads)
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    available = set(ort.get_available_providers())
    providers = [p for p in _PREFERRED_PROVIDERS if p in available]
    return ort.InferenceSession(str(path), options, providers=providers)


def nms(boxes: np.ndarray, scores: np.ndarray, iou_threshold: float) -> np.ndarray:
    """Indices kept by non-maximum suppression; ``boxes`` is Nx4 x1,y1,x2,y2."""
    if len(boxes) == 0:
        return np.empty(0, dtype=np.int64)
    xywh = np.column_stack([boxes[:, 0], boxes[:, 1], boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]])
    keep = cv2.dnn.NMSBoxes(xywh.tolist(), scores.astype(float).tolist(), 0.0, iou_threshold)
    return np.asarray(keep, dtype=np.int64).reshape(-1)


def round_up_32(value: float) -> int:
    """Both models downsample by 32, so their input sides must be multiples of it."""
    return max(32, int(np.ceil(value / 32.0)) * 32)
