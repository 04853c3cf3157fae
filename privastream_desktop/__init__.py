"""PrivaStream Desktop: on-device privacy filter for live streams and recordings."""

import os

# onnxruntime 1.32 records usage telemetry (a device id and queued events for Microsoft's
# collector) under ~/.cache/Microsoft as soon as it is imported. A privacy filter must not,
# so this is forced off before any onnxruntime import (every one goes through this package).
os.environ["ORT_DISABLE_TELEMETRY"] = "1"

__version__ = "0.1.0"
