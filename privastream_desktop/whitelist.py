"""The people who stay visible: names and face embeddings, on this machine only.

Embeddings are biometric data. They live in one JSON file in the user's data
folder, readable by the user only (0600, folder 0700), are never sent
anywhere, and can be exported to a file for moving to another PC. No enrolment
picture is kept; a small thumbnail is optional and goes away with its person.
Matching compares a face with *every* sample of a person (the nearest wins),
not with one averaged vector, so a turned head still matches its own sample.
"""

from __future__ import annotations

import base64
import json
import os
import threading
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from platformdirs import user_data_dir

DATA_ENV = "PRIVASTREAM_DATA_DIR"
STRANGER = "stranger"
# dlib's ResNet: same person 0.23-0.35 apart, different people ~0.6-0.9 (see benchmarks/bench_whitelist.py).
MATCH_DISTANCE = 0.45
MATCH_MARGIN = 0.08  # the nearest person must beat the runner-up by this much
STRANGER_DISTANCE = 0.55  # beyond this from everyone: certainly someone else. In between: unsure.


@dataclass
class Person:
    id: str
    name: str
    embeddings: list[list[float]]
    visible: bool = True
    thumbnail_jpeg: str = ""  # base64; optional

    def distance(self, embedding: np.ndarray) -> float:
        samples = np.asarray(self.embeddings, dtype=np.float64)
        return float(np.min(np.linalg.norm(samples - embedding, axis=1)))


@dataclass
class Match:
    person: Person | None
    distance: float

    @property
    def stranger(self) -> bool:
        """Clearly nobody enrolled (not merely unsure, which is ``person is None`` alone)."""
        return self.person is None and self.distance >= STRANGER_DISTANCE


def data_dir() -> Path:
    return Path(os.environ.get(DATA_ENV) or user_data_dir("PrivaStream", appauthor=False))


class WhitelistError(ValueError):
    """A whitelist action that cannot be done; the message says why."""


@dataclass
class Whitelist:
    path: Path = field(default_factory=lambda: data_dir() / "whitelist.json")
    people: list[Person] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @classmethod
    def load(cls, path: Path | None = None) -> Whitelist:
        path = path or data_dir() / "whitelist.json"
        if not path.exists():
            return cls(path)
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            people = [Person(**p) for p in raw.get("people", [])]
        except (ValueError, TypeError) as exc:
            raise WhitelistError(
                f"the whitelist file {path} is damaged ({exc}); delete it or import a backup"
            ) from None
        return cls(path, people)

    def save(self) -> Path:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(self.path.parent, 0o700)
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump({"format": "privastream-whitelist/1", "people": [asdict(p) for p in self.people]}, fh)
        os.replace(tmp, self.path)
        return self.path

    # -- editing ---------------------------------------------------------------------------------
    def add(self, name: str, embeddings: list[np.ndarray], thumbnail_jpeg: bytes = b"") -> Person:
        name = name.strip()
        if not name:
            raise WhitelistError("a person needs a name")
        if not embeddings:
            raise WhitelistError(f"no usable face samples for {name}")
        with self._lock:
            if any(p.name == name for p in self.people):
                raise WhitelistError(f"{name} is already enrolled (re-enrol replaces, or pick another name)")
            person = Person(
                uuid.uuid4().hex, name, [np.asarray(e, float).round(6).tolist() for e in embeddings], True,
                base64.b64encode(thumbnail_jpeg).decode() if thumbnail_jpeg else "",
            )  # fmt: skip
            self.people.append(person)
        return person

    def replace_samples(self, name: str, embeddings: list[np.ndarray]) -> Person:
        person = self.get(name)
        with self._lock:
            person.embeddings = [np.asarray(e, float).round(6).tolist() for e in embeddings]
        return person

    def get(self, name: str) -> Person:
        for person in self.people:
            if person.name == name:
                return person
        raise WhitelistError(f"nobody called {name!r} is enrolled (enrolled: {', '.join(self.names()) or 'nobody'})")

    def names(self) -> list[str]:
        return [p.name for p in self.people]

    def rename(self, old: str, new: str) -> None:
        if new.strip() in self.names():
            raise WhitelistError(f"{new} is already enrolled")
        self.get(old).name = new.strip()

    def delete(self, name: str) -> None:
        person = self.get(name)
        with self._lock:
            self.people = [p for p in self.people if p is not person]

    def delete_all(self) -> None:
        with self._lock:
            self.people = []

    def set_visible(self, name: str, visible: bool) -> None:
        self.get(name).visible = visible

    def drop_thumbnails(self) -> None:
        """Forget every thumbnail; matching does not need them."""
        with self._lock:
            for person in self.people:
                person.thumbnail_jpeg = ""

    def keep_only_visible(self, names: list[str]) -> None:
        """For exports: exactly these people stay visible (all must be enrolled)."""
        wanted = {self.get(n).id for n in names}
        for person in self.people:
            person.visible = person.id in wanted

    # -- matching, from detector threads --------------------------------------------------------
    def is_visible(self, person_id: str) -> bool:
        with self._lock:
            return any(p.id == person_id and p.visible for p in self.people)

    def any_visible(self) -> bool:
        with self._lock:
            return any(p.visible for p in self.people)

    def match(self, embedding: np.ndarray) -> Match:
        """The visible person this face is, or no one: when unsure, no one."""
        with self._lock:
            scored = sorted(((p.distance(embedding), p) for p in self.people if p.visible), key=lambda x: x[0])
        if not scored:
            return Match(None, float("inf"))
        best, person = scored[0]
        runner_up = scored[1][0] if len(scored) > 1 else float("inf")
        if best <= MATCH_DISTANCE and runner_up - best >= MATCH_MARGIN:
            return Match(person, best)
        return Match(None, best)

    # -- moving to another PC --------------------------------------------------------------------
    def export_to(self, path: Path) -> Path:
        data = {"format": "privastream-whitelist/1", "people": [asdict(p) for p in self.people]}
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh)
        return path

    def import_from(self, path: Path) -> list[str]:
        """Adds the people in ``path`` not enrolled here yet; returns their names."""
        other = Whitelist.load(path)
        added = []
        for person in other.people:
            if person.name not in self.names():
                self.people.append(
                    Person(uuid.uuid4().hex, person.name, person.embeddings, person.visible, person.thumbnail_jpeg)
                )
                added.append(person.name)
        return added
