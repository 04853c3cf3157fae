"""Exporting recordings from the app: the dialog, the queue panel and its worker.

The export itself is ``VideoRedactionJob``, the same as ``privastream video``;
this module only collects choices, runs jobs one after another in a worker
thread and shows their progress.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Qt, QThread, QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices, QImage, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from privastream_desktop.engine import ProtectionSettings
from privastream_desktop.model_store import ModelError
from privastream_desktop.redactor import MaskStyle, RedactionSettings
from privastream_desktop.video_export import (
    ExportCancelled,
    InputError,
    VideoRedactionJob,
    check_paths,
    preview_frames,
)

VIDEO_FILTER = "Videos (*.mp4 *.mov *.mkv *.m4v *.avi *.webm)"


@dataclass(frozen=True, slots=True)
class ExportRequest:
    src: Path
    dst: Path
    settings: ProtectionSettings
    report: bool = True


def suggested_output(src: Path) -> Path:
    return src.with_name(f"{src.stem}_private.mp4")


def _pixmap(image: np.ndarray, width: int) -> QPixmap:
    image = np.ascontiguousarray(image)
    h, w = image.shape[:2]
    qimage = QImage(image.data, w, h, image.strides[0], QImage.Format.Format_BGR888)
    return QPixmap.fromImage(qimage.copy()).scaledToWidth(width, Qt.TransformationMode.SmoothTransformation)


class ExportDialog(QDialog):
    """Pick a recording, where to write it and how to protect it; preview a few frames."""

    def __init__(self, settings: ProtectionSettings, parent: QWidget | None = None, src: Path | None = None):
        super().__init__(parent)
        self.setWindowTitle("Export video")
        self.setMinimumWidth(640)
        self.base_settings = settings
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.input_edit, self.output_edit = QLineEdit(), QLineEdit()
        form.addRow("Recording", self._with_button(self.input_edit, "Choose…", self._browse_input))
        form.addRow("Save as", self._with_button(self.output_edit, "Choose…", self._browse_output))
        self.faces_check = QCheckBox("Faces")
        self.faces_check.setChecked(settings.faces)
        self.plates_check = QCheckBox("Licence plates")
        self.plates_check.setChecked(settings.plates)
        hide = QHBoxLayout()
        hide.addWidget(self.faces_check)
        hide.addWidget(self.plates_check)
        hide.addStretch(1)
        form.addRow("Hide", hide)
        self.style_combo = QComboBox()
        for style in MaskStyle:
            self.style_combo.addItem(style.value.capitalize(), style.value)
        self.style_combo.setCurrentIndex(self.style_combo.findData(settings.redaction.style.value))
        form.addRow("Style", self.style_combo)
        self.strength_slider = QSlider(Qt.Orientation.Horizontal)
        self.strength_slider.setRange(0, 100)
        self.strength_slider.setValue(round(settings.redaction.strength * 100))
        form.addRow("Strength", self.strength_slider)
        people = settings.whitelist.names() if settings.whitelist is not None else []
        self.keep_people_check = QCheckBox(
            f"Keep enrolled people visible ({', '.join(people)})"
            if people
            else "Keep enrolled people visible (nobody enrolled)"
        )
        self.keep_people_check.setChecked(bool(people))
        self.keep_people_check.setEnabled(bool(people))
        form.addRow(self.keep_people_check)
        self.report_check = QCheckBox("Write a redaction report next to the video (what was hidden when; no PII)")
        self.report_check.setChecked(True)
        form.addRow(self.report_check)
        layout.addLayout(form)

        self.preview_button = QPushButton("Preview a few frames")
        self.preview_button.clicked.connect(self.preview)
        layout.addWidget(self.preview_button)
        self.thumbs = QHBoxLayout()
        layout.addLayout(self.thumbs)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #b3261e;")
        layout.addWidget(self.message)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.export_button = buttons.addButton("Export", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.input_edit.textChanged.connect(self._input_changed)
        if src is not None:
            self.input_edit.setText(str(src))

    @staticmethod
    def _with_button(edit: QLineEdit, text: str, slot) -> QWidget:
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(edit, 1)
        button = QPushButton(text)
        button.clicked.connect(slot)
        layout.addWidget(button)
        return row

    @Slot()
    def _browse_input(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose a recording", "", VIDEO_FILTER)
        if path:
            self.input_edit.setText(path)

    @Slot()
    def _browse_output(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Save the protected video as", self.output_edit.text(), VIDEO_FILTER
        )
        if path:
            self.output_edit.setText(path)

    @Slot(str)
    def _input_changed(self, text: str) -> None:
        if text and not self.output_edit.isModified():
            self.output_edit.setText(str(suggested_output(Path(text))))

    def settings(self) -> ProtectionSettings:
        redaction = RedactionSettings(
            MaskStyle(self.style_combo.currentData()),
            self.strength_slider.value() / 100,
            self.base_settings.redaction.padding,
        )
        return replace(
            self.base_settings,
            faces=self.faces_check.isChecked(),
            plates=self.plates_check.isChecked(),
            redaction=redaction,
            whitelist=self.base_settings.whitelist if self.keep_people_check.isChecked() else None,
        )

    def request(self) -> ExportRequest:
        return ExportRequest(
            Path(self.input_edit.text()), Path(self.output_edit.text()), self.settings(), self.report_check.isChecked()
        )

    @Slot()
    def preview(self) -> None:
        while self.thumbs.count():
            item = self.thumbs.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        try:
            images = preview_frames(Path(self.input_edit.text()), self.settings())
        except (InputError, ModelError) as exc:
            self.message.setText(str(exc))
            return
        self.message.setText("")
        for image in images:
            label = QLabel()
            label.setPixmap(_pixmap(image, 200))
            self.thumbs.addWidget(label)

    def accept(self) -> None:
        request = self.request()
        if not request.settings.faces and not request.settings.plates:
            self.message.setText("Nothing to hide: switch on faces or licence plates.")
            return
        try:
            check_paths(request.src, request.dst, overwrite=False)
        except InputError as exc:
            self.message.setText(str(exc))
            return
        super().accept()


class ExportWorker(QObject):
    """Runs exports one after another: each ``run_job`` call is queued by Qt in this thread."""

    progress = Signal(int, int, int, float)  # job id, frames done, frames total, seconds left
    finished = Signal(int, str, str)  # job id, "done" | "cancelled" | "failed", message

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._cancelled: set[int] = set()
        self._running: tuple[int, VideoRedactionJob] | None = None

    def cancel(self, job_id: int) -> None:
        """Thread-safe: cancels a running job, or skips a queued one when its turn comes."""
        with self._lock:
            self._cancelled.add(job_id)
            if self._running is not None and self._running[0] == job_id:
                self._running[1].cancel()

    @Slot(int, object)
    def run_job(self, job_id: int, request: ExportRequest) -> None:
        job = VideoRedactionJob(request.src, request.dst, request.settings, write_report=request.report)
        with self._lock:
            if job_id in self._cancelled:
                self.finished.emit(job_id, "cancelled", "cancelled before it started")
                return
            self._running = (job_id, job)
        started = time.monotonic()
        last = [0.0]

        def progress(done: int, total: int) -> None:
            now = time.monotonic()
            if now - last[0] > 0.2 or done == total:
                last[0] = now
                rate = done / max(now - started, 1e-6)
                self.progress.emit(job_id, done, total, (total - done) / rate if total and rate else -1.0)

        try:
            report = job.run(progress)
            message = f"{report.frames} frames, {report.fps:.1f} frames/s"
            if report.fail_closed_frames:
                message += f"; {report.fail_closed_frames} frames fully blurred (a detector failed)"
            self.finished.emit(job_id, "done", message)
        except ExportCancelled:
            self.finished.emit(job_id, "cancelled", "cancelled: nothing was written")
        except (InputError, ModelError) as exc:
            self.finished.emit(job_id, "failed", str(exc))
        except OSError as exc:
            self.finished.emit(job_id, "failed", f"could not write {request.dst}: {exc.strerror or exc}")
        except Exception as exc:  # an export must end with a message, never silently
            self.finished.emit(job_id, "failed", f"{type(exc).__name__}: {exc}")
        finally:
            with self._lock:
                self._running = None


class _JobRow(QWidget):
    def __init__(self, request: ExportRequest) -> None:
        super().__init__()
        self.request = request
        self.status = "queued"
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        self.name = QLabel(request.dst.name)
        self.bar = QProgressBar()
        self.bar.setRange(0, 0)
        self.detail = QLabel("queued")
        self.cancel_button = QPushButton("Cancel")
        self.open_button = QPushButton("Open folder")
        self.open_button.setVisible(False)
        self.open_button.clicked.connect(self._open_folder)
        for widget, stretch in (
            (self.name, 0),
            (self.bar, 1),
            (self.detail, 1),
            (self.cancel_button, 0),
            (self.open_button, 0),
        ):
            layout.addWidget(widget, stretch)

    @Slot()
    def _open_folder(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.request.dst.parent)))


class ExportQueue(QWidget):
    """The list of exports with progress, ETA, cancel and "open folder"."""

    submit = Signal(int, object)

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[int, _JobRow] = {}
        self._next_id = 1
        self._layout = QVBoxLayout(self)
        self._layout.addStretch(1)
        self.thread = QThread(self)
        self.worker = ExportWorker()
        self.worker.moveToThread(self.thread)
        self.submit.connect(self.worker.run_job)
        self.worker.progress.connect(self._on_progress)
        self.worker.finished.connect(self._on_finished)
        self.thread.start()

    def add(self, request: ExportRequest) -> int:
        job_id = self._next_id
        self._next_id += 1
        row = _JobRow(request)
        row.cancel_button.clicked.connect(lambda: self.worker.cancel(job_id))
        self.rows[job_id] = row
        self._layout.insertWidget(self._layout.count() - 1, row)
        self.submit.emit(job_id, request)
        return job_id

    @Slot(int, int, int, float)
    def _on_progress(self, job_id: int, done: int, total: int, eta: float) -> None:
        row = self.rows[job_id]
        row.status = "running"
        if total:
            row.bar.setRange(0, total)
            row.bar.setValue(min(done, total))
        row.detail.setText(f"{done}/{total or '?'} frames" + (f", about {eta:.0f} s left" if eta >= 0 else ""))

    @Slot(int, str, str)
    def _on_finished(self, job_id: int, status: str, message: str) -> None:
        row = self.rows[job_id]
        row.status = status
        row.cancel_button.setVisible(False)
        row.bar.setRange(0, 1)
        row.bar.setValue(1 if status == "done" else 0)
        row.detail.setText(message if status != "done" else f"done: {message}")
        row.open_button.setVisible(status == "done")
        if status == "failed":
            row.detail.setStyleSheet("color: #b3261e;")

    def shutdown(self) -> None:
        for job_id, row in self.rows.items():
            if row.status in ("queued", "running"):
                self.worker.cancel(job_id)
        self.thread.quit()
        self.thread.wait(30_000)
