"""Shared helpers for the benchmark scripts (not part of the app)."""

from __future__ import annotations

import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

import onnxruntime

import privastream_desktop

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repo root, for tests.media


def machine_line() -> str:
    import os

    return (
        f"privastream {privastream_desktop.__version__}, Python {platform.python_version()}, "
        f"onnxruntime {onnxruntime.__version__}, {os.cpu_count()} CPUs ({platform.processor() or platform.machine()})"
    )


def settings_from(overrides: list[str]):
    """ProtectionSettings with ``key=value`` overrides, for trying a setting before changing a default."""
    from dataclasses import fields

    from privastream_desktop.engine import ProtectionSettings

    settings = ProtectionSettings()
    types = {f.name: type(getattr(settings, f.name)) for f in fields(settings)}
    for item in overrides:
        key, _, value = item.partition("=")
        if key not in types:
            raise SystemExit(f"unknown setting {key!r}; known: {', '.join(sorted(types))}")
        parsed = value.lower() in ("1", "true", "yes") if types[key] is bool else types[key](value)
        setattr(settings, key, parsed)
    return settings


def time_ms(fn: Callable[[], object], repeats: int, warmup: int = 2) -> tuple[float, float]:
    """Median and p90 milliseconds of ``fn``."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return samples[len(samples) // 2], samples[min(len(samples) - 1, int(len(samples) * 0.9))]
