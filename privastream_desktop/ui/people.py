"""The whitelist in the app: who stays visible, and enrolling people.

Enrolment checks every sample (one face, large, sharp) and says why one is
refused. From the camera it walks the person through a few poses so the
samples cover a turned head; pictures are used for their embedding and
dropped, only a small thumbnail is kept. Every change is saved at once and
applies to the running preview from its next frame (the pipeline reads the
same ``Whitelist`` object).
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PySide6.QtCore import QSize, Qt, QTimer, Slot
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QGridLayout,
    QGroupBox,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from privastream_desktop.detectors.faces import FaceDetector
from privastream_desktop.identity import (
    EnrolmentSample,
    FaceEmbedder,
    SampleRejected,
    check_sample,
    samples_from_photos,
)
from privastream_desktop.model_store import ModelError
from privastream_desktop.whitelist import Whitelist, WhitelistError

POSES = [
    "Look straight at the camera",
    "Turn your head a little to the left",
    "Turn your head a little to the right",
    "Come a little closer",
]


class _Models:
    """Loaded on first use: people who never enrol never load dlib."""

    def __init__(self) -> None:
        self._pair: tuple[FaceDetector, FaceEmbedder] | None = None

    def sample(self, image: np.ndarray) -> EnrolmentSample:
        if self._pair is None:
            self._pair = (FaceDetector(), FaceEmbedder())
        detector, embedder = self._pair
        return check_sample(image, detector.detect(image), embedder)


class CameraEnrolDialog(QDialog):
    """Takes samples from the running preview's camera frames, one per pose."""

    def __init__(self, frames: Callable[[], np.ndarray | None], models: _Models, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Add person from the camera")
        self.frames = frames
        self.models = models
        self.samples: list[EnrolmentSample] = []
        self._last_image_id = 0
        layout = QVBoxLayout(self)
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("Name (e.g. your first name)")
        layout.addWidget(self.name_edit)
        self.instruction = QLabel()
        self.instruction.setStyleSheet("font-size: 16px; font-weight: bold;")
        layout.addWidget(self.instruction)
        self.feedback = QLabel("Only the person to enrol should be in the picture.")
        self.feedback.setWordWrap(True)
        layout.addWidget(self.feedback)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.timer = QTimer(self)
        self.timer.setInterval(600)  # time to move between poses, and one embedding per tick at most
        self.timer.timeout.connect(self.try_sample)
        self.timer.start()
        self.name_edit.textChanged.connect(self._update)
        self._update()

    @Slot()
    def _update(self) -> None:
        done = len(self.samples) >= len(POSES)
        step = f"{len(self.samples) + 1}/{len(POSES)}: {POSES[min(len(self.samples), len(POSES) - 1)]}"
        self.instruction.setText("Done: type a name and save." if done else step)
        save = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        save.setEnabled(done and bool(self.name_edit.text().strip()))

    @Slot()
    def try_sample(self) -> None:
        if len(self.samples) >= len(POSES):
            return
        image = self.frames()
        if image is None:
            self.feedback.setText("No camera picture yet: start the preview with your camera first.")
            return
        if id(image) == self._last_image_id:
            return
        self._last_image_id = id(image)
        try:
            sample = self.models.sample(image)
        except SampleRejected as exc:
            self.feedback.setText(f"Not yet: {exc}")
            return
        except ModelError as exc:
            self.feedback.setText(str(exc))
            self.timer.stop()
            return
        self.samples.append(sample)
        self.feedback.setText(f"Got it ({len(self.samples)} of {len(POSES)}).")
        self._update()

    def done(self, result: int) -> None:
        self.timer.stop()
        super().done(result)


class PeoplePanel(QGroupBox):
    """List of enrolled people with a "visible now" switch each, and what to do with them."""

    def __init__(self, whitelist: Whitelist, frames: Callable[[], np.ndarray | None], parent: QWidget | None = None):
        super().__init__("People who stay visible", parent)
        self.whitelist = whitelist
        self.frames = frames
        self.models = _Models()
        layout = QVBoxLayout(self)
        hint = QLabel("Every other face is blurred. Face data stays on this computer.")
        hint.setWordWrap(True)
        layout.addWidget(hint)
        self.list = QListWidget()
        self.list.setIconSize(QSize(32, 40))
        self.list.setMinimumHeight(90)
        self.list.itemChanged.connect(self._visibility_changed)
        layout.addWidget(self.list)
        grid = QGridLayout()
        self.add_camera_button = QPushButton("Add from camera…")
        self.add_photos_button = QPushButton("Add from photos…")
        self.rename_button = QPushButton("Rename…")
        self.reenrol_button = QPushButton("Re-enrol…")
        self.delete_button = QPushButton("Delete")
        self.delete_all_button = QPushButton("Delete all")
        self.export_button = QPushButton("Export…")
        self.import_button = QPushButton("Import…")
        self.drop_thumbnails_button = QPushButton("Drop thumbnails")
        self.drop_thumbnails_button.setToolTip("Delete the small face pictures; recognition does not need them")
        for i, (button, slot) in enumerate(
            (
                (self.add_camera_button, self.add_from_camera),
                (self.add_photos_button, self.add_from_photos),
                (self.rename_button, self.rename_selected),
                (self.reenrol_button, self.reenrol_selected),
                (self.delete_button, self.delete_selected),
                (self.delete_all_button, self.delete_all),
                (self.export_button, self.export_file),
                (self.import_button, self.import_file),
                (self.drop_thumbnails_button, self.drop_thumbnails),
            )
        ):
            button.clicked.connect(slot)
            grid.addWidget(button, i // 2, i % 2)
        layout.addLayout(grid)
        self.message = QLabel()
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        self.refresh()

    # -- list --------------------------------------------------------------------------------------
    def refresh(self) -> None:
        self.list.blockSignals(True)
        self.list.clear()
        for person in self.whitelist.people:
            item = QListWidgetItem(f"{person.name}  ({len(person.embeddings)} samples)")
            item.setData(Qt.ItemDataRole.UserRole, person.name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if person.visible else Qt.CheckState.Unchecked)
            if person.thumbnail_jpeg:
                pixmap = QPixmap()
                pixmap.loadFromData(base64.b64decode(person.thumbnail_jpeg))
                item.setIcon(QIcon(pixmap))
            self.list.addItem(item)
        self.list.blockSignals(False)
        has = bool(self.whitelist.people)
        for button in (
            self.rename_button,
            self.reenrol_button,
            self.delete_button,
            self.delete_all_button,
            self.export_button,
            self.drop_thumbnails_button,
        ):
            button.setEnabled(has)

    def _selected_name(self) -> str | None:
        item = self.list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def _save(self, message: str) -> None:
        self.whitelist.save()
        self.refresh()
        self.message.setText(message)

    @Slot(QListWidgetItem)
    def _visibility_changed(self, item: QListWidgetItem) -> None:
        name = item.data(Qt.ItemDataRole.UserRole)
        visible = item.checkState() == Qt.CheckState.Checked
        self.whitelist.set_visible(name, visible)
        self.whitelist.save()
        self.message.setText(f"{name} is {'visible' if visible else 'blurred'} from the next frame on.")

    # -- actions -----------------------------------------------------------------------------------
    def samples_from_files(self, paths: list[str]) -> tuple[list[EnrolmentSample], list[str]]:
        return samples_from_photos(paths, self.models.sample)

    def enrol(self, name: str, samples: list[EnrolmentSample], problems: list[str] | None = None) -> bool:
        problems = problems or []
        if not samples:
            self.message.setText("Nobody was added: " + ("; ".join(problems) or "no usable sample"))
            return False
        try:
            self.whitelist.add(name, [s.embedding for s in samples], samples[0].thumbnail_jpeg)
        except WhitelistError as exc:
            self.message.setText(str(exc))
            return False
        skipped = f" Skipped: {'; '.join(problems)}" if problems else ""
        self._save(f"Added {name.strip()} from {len(samples)} sample(s).{skipped}")
        return True

    @Slot()
    def add_from_photos(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(
            self, "Photos of one person, alone", "", "Pictures (*.jpg *.jpeg *.png)"
        )
        if not paths:
            return
        name, ok = QInputDialog.getText(self, "Add person", "Name:")
        if ok and name.strip():
            self.enrol(name, *self.samples_from_files(paths))

    @Slot()
    def add_from_camera(self) -> CameraEnrolDialog:
        dialog = CameraEnrolDialog(self.frames, self.models, self)
        dialog.accepted.connect(lambda: self.enrol(dialog.name_edit.text(), dialog.samples))
        dialog.open()
        return dialog

    @Slot()
    def rename_selected(self) -> None:
        old = self._selected_name()
        if old is None:
            return
        new, ok = QInputDialog.getText(self, "Rename", "New name:", text=old)
        if ok and new.strip():
            try:
                self.whitelist.rename(old, new)
            except WhitelistError as exc:
                self.message.setText(str(exc))
                return
            self._save(f"Renamed {old} to {new.strip()}.")

    @Slot()
    def reenrol_selected(self) -> None:
        name = self._selected_name()
        if name is None:
            return
        paths, _ = QFileDialog.getOpenFileNames(self, f"New photos of {name}", "", "Pictures (*.jpg *.jpeg *.png)")
        samples, problems = self.samples_from_files(paths) if paths else ([], [])
        if samples:
            self.whitelist.replace_samples(name, [s.embedding for s in samples])
            self._save(f"Re-enrolled {name} from {len(samples)} sample(s).")
        elif paths:
            self.message.setText("Nothing changed: " + "; ".join(problems))

    @Slot()
    def delete_selected(self) -> None:
        name = self._selected_name()
        if name is not None:
            self.whitelist.delete(name)
            self._save(f"Deleted {name} and their face data; they are blurred from the next frame on.")

    @Slot()
    def delete_all(self) -> None:
        answer = QMessageBox.question(self, "Delete everybody", "Forget every enrolled person and their face data?")
        if answer == QMessageBox.StandardButton.Yes:
            self.whitelist.delete_all()
            self._save("Deleted everybody: every face is blurred from the next frame on.")

    @Slot()
    def export_file(self, path: str | None = None) -> None:
        path = path or QFileDialog.getSaveFileName(self, "Export the whitelist", "whitelist.json", "JSON (*.json)")[0]
        if path:
            self.whitelist.export_to(Path(path))
            self.message.setText(f"Exported to {path}. It holds face data: keep it private.")

    @Slot()
    def import_file(self, path: str | None = None) -> None:
        path = path or QFileDialog.getOpenFileName(self, "Import a whitelist", "", "JSON (*.json)")[0]
        if not path:
            return
        try:
            added = self.whitelist.import_from(Path(path))
        except WhitelistError as exc:
            self.message.setText(str(exc))
            return
        self._save(f"Imported {', '.join(added) or 'nobody new'}.")

    @Slot()
    def drop_thumbnails(self) -> None:
        self.whitelist.drop_thumbnails()
        self._save("Deleted every thumbnail.")
