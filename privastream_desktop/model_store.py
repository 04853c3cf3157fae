"""Offline model resolution with integrity checks.

A privacy filter that silently runs with a truncated or swapped weight file
could miss faces, so every model is pinned by sha256 in ``models/manifest.toml``
and refused, with a fix-it message, when missing or altered. Nothing here
touches the network.
"""

from __future__ import annotations

import hashlib
import importlib.util
import tomllib
from dataclasses import dataclass
from pathlib import Path

from privastream_desktop.resources import data_dir


class ModelError(RuntimeError):
    """A model cannot be used; the message says what to do."""


@dataclass(frozen=True, slots=True)
class ModelSpec:
    id: str
    kind: str
    file: str
    sha256: str
    licence: str
    source: str
    input: str
    licence_file: str = ""
    package: str = ""  # resolve ``file`` inside this installed package instead of models/


@dataclass(frozen=True, slots=True)
class ModelStatus:
    spec: ModelSpec
    path: Path
    state: str  # "ok", "missing", "altered"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class ModelStore:
    """Reads the manifest in ``root`` and hands out verified model paths."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = Path(root) if root is not None else data_dir("models")
        manifest = self.root / "manifest.toml"
        try:
            raw = tomllib.loads(manifest.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ModelError(f"model manifest not found: {manifest}; reinstall PrivaStream") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ModelError(f"model manifest {manifest} is damaged ({exc}); reinstall PrivaStream") from exc
        self._specs = {entry["id"]: ModelSpec(**entry) for entry in raw.get("model", [])}
        self._verified: set[str] = set()

    def specs(self) -> list[ModelSpec]:
        return list(self._specs.values())

    def status(self, model_id: str) -> ModelStatus:
        spec = self._spec(model_id)
        path = self._location(spec)
        if not path.is_file():
            state = "missing"
        elif model_id in self._verified or _sha256(path) == spec.sha256:
            state = "ok"
        else:
            state = "altered"
        return ModelStatus(spec, path, state)

    def path(self, model_id: str) -> Path:
        """Return the verified file for ``model_id`` or raise ModelError."""
        status = self.status(model_id)
        if status.state == "missing":
            raise ModelError(
                f"model '{model_id}' is missing: {status.path} does not exist. Reinstall PrivaStream "
                + (
                    f"(or `pip install {status.spec.package.replace('_', '-')}`)."
                    if status.spec.package
                    else "(or, in a source checkout, run `git checkout -- models/`)."
                )
            )
        if status.state == "altered":
            raise ModelError(
                f"model '{model_id}' at {status.path} is corrupted or was replaced (sha256 differs from "
                "models/manifest.toml). Reinstall PrivaStream (or run `git checkout -- models/`)."
            )
        self._verified.add(model_id)
        return status.path

    def _location(self, spec: ModelSpec) -> Path:
        if not spec.package:
            return self.root / spec.file
        found = importlib.util.find_spec(spec.package)
        if found is None or not found.submodule_search_locations:
            return Path(f"<package {spec.package} is not installed>") / spec.file
        return Path(next(iter(found.submodule_search_locations))) / spec.file

    def _spec(self, model_id: str) -> ModelSpec:
        try:
            return self._specs[model_id]
        except KeyError:
            known = ", ".join(sorted(self._specs)) or "none"
            raise ModelError(f"unknown model '{model_id}' (known: {known})") from None
