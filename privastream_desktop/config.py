"""The user's settings, kept between runs, with presets for common setups.

One JSON file in the platform's config folder (``platformdirs``), readable by
the user only. It holds choices, never pictures or biometric data. A damaged
file is set aside and defaults are used, so a bad edit never stops the app.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

from platformdirs import user_config_dir

from privastream_desktop.engine import ProtectionSettings
from privastream_desktop.redactor import MaskStyle, RedactionSettings
from privastream_desktop.whitelist import Whitelist

CONFIG_ENV = "PRIVASTREAM_CONFIG_DIR"  # tests and portable installs point this elsewhere


@dataclass(slots=True)
class AppConfig:
    """Everything the app remembers. Sensitivity 0..1 maps onto both detector thresholds."""

    source: str = "0"
    width: int = 1280
    height: int = 720
    fps: int = 30
    faces: bool = True
    plates: bool = True
    text: bool = True  # on-screen PII (OCR)
    pii_kinds: list[str] | None = None  # PiiKind values to hide on screen; None = every kind
    sensitive_terms: list[str] = field(default_factory=list)  # the user's own, hidden on screen and in speech
    speech: bool = True  # spoken PII: bleep / mute / muffle it, blur the mouth meanwhile
    speech_mode: str = "bleep"
    bleep_hz: float = 1000.0
    speech_pad_s: float = 0.25
    mouth_blur: bool = True
    audio: bool = False  # route the microphone through PrivaStream to its virtual microphone (opt-in: it opens the mic)
    microphone: str = ""  # input device name; "" = the system's default
    style: str = MaskStyle.BLUR.value
    strength: float = 0.8
    padding: float = 1.4
    sensitivity: float = 0.5
    delay_s: float = 0.5
    virtual_camera: bool = True
    show_overlays: bool = False
    preset: str = "Just chatting (desk)"
    window_geometry: str = ""  # Qt's saveGeometry() as hex
    extra: dict[str, object] = field(default_factory=dict)

    def protection(self, whitelist: Whitelist | None = None) -> ProtectionSettings:
        """Engine settings for these choices.

        Sensitivity 0.5 gives the measured defaults (threshold 0.25); 1.0 halves
        the thresholds (more detections, more false masks), 0.0 raises them.
        """
        threshold = 0.25 * (1.5 - self.sensitivity)
        return ProtectionSettings(
            faces=self.faces,
            plates=self.plates,
            face_threshold=threshold,
            plate_threshold=threshold,
            redaction=RedactionSettings(MaskStyle(self.style), self.strength, self.padding),
            whitelist=whitelist,
            text=self.text,
            pii_kinds=_kinds(self.pii_kinds),
            sensitive_terms=tuple(t.strip() for t in self.sensitive_terms if t.strip()),
            speech=self.speech,
            speech_mode=self.speech_mode,
            bleep_hz=self.bleep_hz,
            speech_pad_s=self.speech_pad_s,
            mouth_blur=self.mouth_blur,
        )


def _kinds(names: list[str] | None) -> frozenset | None:
    """Kinds by name; names this version does not know are ignored (a newer file stays usable)."""
    if names is None:
        return None
    from privastream_desktop.pii import PiiKind

    known = {k.value for k in PiiKind}
    return frozenset(PiiKind(n) for n in names if n in known)


PRESETS: dict[str, dict[str, object]] = {
    "Just chatting (desk)": {"faces": True, "plates": False, "delay_s": 0.5, "padding": 1.4, "sensitivity": 0.5},
    "IRL outdoors": {"faces": True, "plates": True, "delay_s": 1.0, "padding": 1.6, "sensitivity": 0.7},
    "Screen share": {"faces": True, "plates": False, "delay_s": 1.5, "padding": 1.4, "sensitivity": 0.5},
}


def apply_preset(config: AppConfig, name: str) -> AppConfig:
    if name not in PRESETS:
        raise KeyError(f"unknown preset {name!r}")
    return replace(config, preset=name, **PRESETS[name])


def config_dir() -> Path:
    return Path(os.environ.get(CONFIG_ENV) or user_config_dir("PrivaStream", appauthor=False))


def config_path() -> Path:
    return config_dir() / "settings.json"


def load_config(path: Path | None = None) -> AppConfig:
    path = path or config_path()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        known = {f.name for f in fields(AppConfig)}
        config = AppConfig(**{k: v for k, v in raw.items() if k in known})
        MaskStyle(config.style)  # validates
        if config.speech_mode not in ("bleep", "mute", "muffle"):
            raise ValueError(f"unknown speech mode {config.speech_mode!r}")
        return config
    except FileNotFoundError:
        return AppConfig()
    except (ValueError, TypeError, OSError):
        with contextlib.suppress(OSError):
            path.replace(path.with_suffix(".damaged.json"))
        return AppConfig()


def save_config(config: AppConfig, path: Path | None = None) -> Path:
    path = path or config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(asdict(config), fh, indent=2)
    os.replace(tmp, path)
    return path
