"""The redaction report: an audit log of what was hidden when, beside an export.

It answers "was this recording protected, and how" without repeating what it
protects: kinds, times and boxes' track numbers, the models (with their sha256)
and the settings. Never pixels, text, names or face embeddings.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from privastream_desktop import __version__
from privastream_desktop.engine import ProtectionSettings
from privastream_desktop.model_store import ModelStore
from privastream_desktop.regions import ProtectedFrame
from privastream_desktop.text_tracking import UNREAD_LABEL

if TYPE_CHECKING:
    from privastream_desktop.audio.blocks import SpeechRedaction


@dataclass(slots=True)
class _Span:
    kind: str
    track: int
    start_s: float
    end_s: float
    frames: int = 0


@dataclass(slots=True)
class RedactionReport:
    """Collects spans while an export runs; ``write`` turns them into JSON."""

    settings: ProtectionSettings
    _tracks: dict[tuple[str, int], _Span] = field(default_factory=dict)
    _fail_closed: list[dict[str, object]] = field(default_factory=list)
    _frames: int = 0
    _speech: list[dict[str, object]] = field(default_factory=list)

    def add_speech(self, redactions: Iterable[SpeechRedaction]) -> None:
        """Spoken PII hidden in the audio: kind and times only, never the words."""
        self._speech.extend(
            {"kind": r.kind.value, "start_s": round(r.t_from, 3), "end_s": round(r.t_to, 3)} for r in redactions
        )

    def add(self, item: ProtectedFrame) -> None:
        t = item.frame.t
        self._frames += 1
        for region in item.regions:
            # areas covered only because OCR had not read them yet are one entry of their own, not a "text" track
            kind = "unread text" if region.label == UNREAD_LABEL else region.kind.value
            key = (kind, region.track_id or 0)
            span = self._tracks.get(key)
            if span is None:
                span = self._tracks[key] = _Span(key[0], key[1], t, t)
            span.end_s = t
            span.frames += 1
        if item.fail_closed:
            last = self._fail_closed[-1] if self._fail_closed else None
            reason = "; ".join(item.reasons)
            if last is not None and last["reason"] == reason and last["last_frame"] == item.frame.index - 1:
                last["end_s"], last["last_frame"] = t, item.frame.index
            else:
                self._fail_closed.append(
                    {
                        "start_s": t,
                        "end_s": t,
                        "reason": reason,
                        "first_frame": item.frame.index,
                        "last_frame": item.frame.index,
                    }
                )

    def to_dict(self, *, input_path: Path, output_path: Path, store: ModelStore | None = None) -> dict[str, object]:
        store = store or ModelStore()
        used = {"face-centerface": self.settings.faces, "plate-yolov8n": self.settings.plates}
        text = bool(getattr(self.settings, "text", False))
        used.update({"text-ppocrv6-det": text, "text-ppocrv6-rec": text})
        speech = bool(getattr(self.settings, "speech", False))
        # tiny.en and Whisper base (files are heard by both), the VAD, the aligner that narrows bleep edges
        speech_models = ("speech-whisper-tiny-en", "speech-whisper-base", "speech-whisper-base-part2")
        used.update(dict.fromkeys((*speech_models, "speech-vad-silero", "speech-align-cmu-en-us"), speech))
        models = [
            {"id": s.id, "kind": s.kind, "sha256": s.sha256, "licence": s.licence}
            for s in store.specs()
            if used.get(s.id, False)
        ]
        spans = sorted(self._tracks.values(), key=lambda s: (s.start_s, s.kind, s.track))
        return {
            "format": "privastream-redaction-report/1",
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "app_version": __version__,
            "input": input_path.name,
            "output": output_path.name,
            "frames": self._frames,
            # the whitelist holds names and embeddings: only how many people stayed visible goes in
            "settings": _settings(self.settings),
            "people_kept_visible": sum(p.visible for p in self.settings.whitelist.people)
            if self.settings.whitelist
            else 0,
            "models": models,
            "hidden": [
                {
                    "kind": s.kind,
                    "track": s.track,
                    "start_s": round(s.start_s, 3),
                    "end_s": round(s.end_s, 3),
                    "frames": s.frames,
                }
                for s in spans
            ],
            "fail_closed": self._fail_closed,
            "speech": self._speech,
        }

    def write(self, path: Path, *, input_path: Path, output_path: Path, store: ModelStore | None = None) -> Path:
        data = self.to_dict(input_path=input_path, output_path=output_path, store=store)
        tmp = path.with_suffix(path.suffix + ".partial")
        tmp.write_text(json.dumps(data, indent=2, default=str), encoding="utf-8")
        tmp.replace(path)
        return path


def _settings(settings: ProtectionSettings) -> dict[str, object]:
    """The settings, less what would repeat the secrets: the user's sensitive terms become a count."""
    out = asdict(replace(settings, whitelist=None))
    if "sensitive_terms" in out:
        out["sensitive_terms"] = len(out["sensitive_terms"] or ())
    if out.get("pii_kinds") is not None:
        out["pii_kinds"] = sorted(str(kind) for kind in out["pii_kinds"])
    return out


def report_path_for(output: Path) -> Path:
    return output.with_name(output.name + ".report.json")
