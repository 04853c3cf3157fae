"""The main window: protected preview on the left, controls on the right, status below.

Widgets only paint and forward choices; the pipeline runs in ``PipelineWorker``
on its own QThread. Every control change becomes a new ``AppConfig`` that is
saved on exit and pushed to the running pipeline.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QByteArray, Qt, QThread, Slot
from PySide6.QtGui import QCloseEvent, QIcon, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDockWidget,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QScrollArea,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from privastream_desktop import __version__
from privastream_desktop.audio.live_audio import AudioStats
from privastream_desktop.audio.virtual_mic import LOOPBACK_INPUTS, VirtualMicrophone, VirtualMicUnavailable
from privastream_desktop.config import PRESETS, AppConfig, apply_preset, save_config
from privastream_desktop.live import PANIC_REASON, LiveFrame, LiveStats
from privastream_desktop.redactor import MaskStyle
from privastream_desktop.resources import data_dir
from privastream_desktop.sources import list_cameras
from privastream_desktop.text_tracking import UNREAD_LABEL
from privastream_desktop.ui.audio_panel import SPEECH_DELAY_HINT_S, AudioPanel
from privastream_desktop.ui.export import ExportDialog, ExportQueue, ExportRequest
from privastream_desktop.ui.hotkey import GlobalHotkey
from privastream_desktop.ui.people import PeoplePanel
from privastream_desktop.ui.preview import PreviewWidget
from privastream_desktop.ui.text_panel import TextControls
from privastream_desktop.ui.worker import PipelineWorker
from privastream_desktop.whitelist import Whitelist, WhitelistError
from privastream_desktop.whitelist import data_dir as data_dir_for_whitelist

PANIC_SHORTCUT = "Ctrl+Shift+P"
RESOLUTIONS = [(1280, 720), (1920, 1080), (960, 540), (640, 480)]
FRAME_RATES = [30, 60, 25, 15]


def _slider(minimum: int, maximum: int, value: int) -> QSlider:
    slider = QSlider(Qt.Orientation.Horizontal)
    slider.setRange(minimum, maximum)
    slider.setValue(value)
    return slider


class MainWindow(QMainWindow):
    def __init__(
        self,
        config: AppConfig,
        *,
        config_path: Path | None = None,
        vcam_backend: str | None = None,
        global_hotkey: bool = True,
    ):
        super().__init__()
        self.config = config
        self.config_path = config_path
        self.vcam_backend = vcam_backend
        self.use_global_hotkey = global_hotkey
        self.worker: PipelineWorker | None = None
        self.export_queue: ExportQueue | None = None
        self.virtual_mic: VirtualMicrophone | None = None  # made on the first start with audio, kept until exit
        self.thread: QThread | None = None
        self.last_frame: LiveFrame | None = None
        self.last_stats: LiveStats | None = None
        self.error = ""
        self.whitelist_problem = ""
        try:
            self.whitelist = Whitelist.load()
        except WhitelistError as exc:  # keep the damaged file for the user; start with nobody visible
            damaged = data_dir_for_whitelist() / "whitelist.json"
            damaged.replace(damaged.with_suffix(".damaged.json"))
            self.whitelist, self.whitelist_problem = (
                Whitelist(damaged),
                f"{exc} It was set aside as whitelist.damaged.json.",
            )
        self.setWindowTitle(f"PrivaStream {__version__}")
        icon = data_dir("assets") / "icons" / "privastream.svg"
        if icon.is_file():
            self.setWindowIcon(QIcon(str(icon)))
        self._build()
        self._load_into_controls(config)
        self.config = self._config_from_controls()  # what the controls could honour (e.g. an unplugged camera)
        if config.window_geometry:
            self.restoreGeometry(QByteArray.fromHex(config.window_geometry.encode()))
        else:
            self.resize(1280, 760)

    # -- layout --------------------------------------------------------------------------------
    def _build(self) -> None:
        self.preview = PreviewWidget()
        panel = QWidget()
        side = QVBoxLayout(panel)

        self.panic_button = QPushButton(f"PANIC  ({PANIC_SHORTCUT})")
        self.panic_button.setCheckable(True)
        self.panic_button.setMinimumHeight(48)
        self.panic_button.setStyleSheet(
            "QPushButton { background: #b3261e; color: white; font-weight: bold; font-size: 15px; }"
            "QPushButton:checked { background: #ff5449; }"
        )
        self.panic_button.toggled.connect(self._on_panic)
        side.addWidget(self.panic_button)
        self.hotkey = GlobalHotkey()
        why_not = self.hotkey.start() if self.use_global_hotkey else "switched off"
        if why_not is None:
            self.hotkey.activated.connect(self.panic_button.toggle)
            self.panic_button.setToolTip(
                f"Hide the whole picture until pressed again ({PANIC_SHORTCUT}, works in any app)"
            )
        else:  # one of the two, never both: each would toggle PANIC
            shortcut = QShortcut(QKeySequence(PANIC_SHORTCUT), self, context=Qt.ShortcutContext.ApplicationShortcut)
            shortcut.activated.connect(self.panic_button.toggle)
            self.panic_button.setToolTip(
                f"Hide the whole picture until pressed again ({PANIC_SHORTCUT} while PrivaStream has the focus; "
                f"the system-wide hotkey is unavailable: {why_not})"
            )

        self.preset_combo = QComboBox()
        self.preset_combo.addItems(list(PRESETS))
        self.preset_combo.activated.connect(self._on_preset)
        preset_box = QGroupBox("Preset")
        QVBoxLayout(preset_box).addWidget(self.preset_combo)
        side.addWidget(preset_box)

        source_box = QGroupBox("Source")
        form = QFormLayout(source_box)
        self.source_combo = QComboBox()
        self.source_combo.setEditable(False)
        self._fill_sources()
        browse = QPushButton("Video file…")
        browse.clicked.connect(self._browse_file)
        row = QHBoxLayout()
        row.addWidget(self.source_combo, 1)
        row.addWidget(browse)
        form.addRow("Input", row)
        self.resolution_combo = QComboBox()
        for w, h in RESOLUTIONS:
            self.resolution_combo.addItem(f"{w} × {h}", (w, h))
        form.addRow("Resolution", self.resolution_combo)
        self.fps_combo = QComboBox()
        for fps in FRAME_RATES:
            self.fps_combo.addItem(f"{fps} fps", fps)
        form.addRow("Frame rate", self.fps_combo)
        self.start_button = QPushButton("Start")
        self.start_button.clicked.connect(self._toggle_running)
        form.addRow(self.start_button)
        side.addWidget(source_box)

        hide_box = QGroupBox("Hide")
        hide = QVBoxLayout(hide_box)
        self.faces_check = QCheckBox("Faces")
        self.plates_check = QCheckBox("Licence plates")
        self.text_controls = TextControls()  # on-screen PII: switch, kinds, own terms, delay-0 note
        self.text_check = self.text_controls.check
        self.text_controls.changed.connect(self._on_control_changed)
        for box in (self.faces_check, self.plates_check, self.text_controls):
            hide.addWidget(box)
        side.addWidget(hide_box)

        self.audio_panel = AudioPanel(hide_inputs=LOOPBACK_INPUTS)  # speech is hidden here, with the microphone
        self.audio_panel.changed.connect(self._on_control_changed)
        side.addWidget(self.audio_panel)

        self.people = PeoplePanel(self.whitelist, self._latest_raw_frame)
        if self.whitelist_problem:
            self.people.message.setText(self.whitelist_problem)
        side.addWidget(self.people)

        look_box = QGroupBox("Masks")
        look = QFormLayout(look_box)
        self.style_combo = QComboBox()
        for style in MaskStyle:
            self.style_combo.addItem(style.value.capitalize(), style.value)
        look.addRow("Style", self.style_combo)
        self.strength_slider = _slider(0, 100, 80)
        look.addRow("Strength", self.strength_slider)
        self.padding_slider = _slider(100, 250, 140)
        look.addRow("Padding", self.padding_slider)
        self.sensitivity_slider = _slider(0, 100, 50)
        self.sensitivity_slider.setToolTip("Higher finds more faces and plates, with more false masks")
        look.addRow("Sensitivity", self.sensitivity_slider)
        self.delay_slider = _slider(0, 30, 5)
        self.delay_label = QLabel()
        delay_row = QHBoxLayout()
        delay_row.addWidget(self.delay_slider, 1)
        delay_row.addWidget(self.delay_label)
        look.addRow("Privacy delay", delay_row)
        side.addWidget(look_box)

        view_box = QGroupBox("Preview and output")
        view = QVBoxLayout(view_box)
        self.raw_check = QCheckBox("Show raw input (this window only, never sent)")
        self.overlay_check = QCheckBox("Show detections (kind, score)")
        self.vcam_check = QCheckBox("Send to virtual camera")
        self.vcam_label = QLabel()
        self.vcam_label.setWordWrap(True)
        self.vcam_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        for widget in (self.raw_check, self.overlay_check, self.vcam_check, self.vcam_label):
            view.addWidget(widget)
        side.addWidget(view_box)

        files_box = QGroupBox("Recordings")
        files = QVBoxLayout(files_box)
        self.export_button = QPushButton("Export video…")
        self.export_button.setToolTip("Protect a recorded file with these settings (runs beside the live preview)")
        self.export_button.clicked.connect(self.open_export_dialog)
        files.addWidget(self.export_button)
        side.addWidget(files_box)
        side.addStretch(1)

        scroll = QScrollArea()
        scroll.setWidget(panel)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # wrap, never hide the hints
        scroll.setMinimumWidth(360)
        central = QWidget()
        layout = QHBoxLayout(central)
        layout.addWidget(self.preview, 1)
        layout.addWidget(scroll)
        self.setCentralWidget(central)

        self.status_label = QLabel("Stopped")
        self.statusBar().addWidget(self.status_label, 1)
        self.vcam_status = QLabel("")
        self.statusBar().addPermanentWidget(self.vcam_status)

        for box in (self.faces_check, self.plates_check, self.raw_check, self.overlay_check, self.vcam_check):
            box.toggled.connect(self._on_control_changed)
        for combo in (self.style_combo, self.resolution_combo, self.fps_combo, self.source_combo):
            combo.currentIndexChanged.connect(self._on_control_changed)
        for slider in (self.strength_slider, self.padding_slider, self.sensitivity_slider, self.delay_slider):
            slider.valueChanged.connect(self._on_control_changed)

    def _fill_sources(self) -> None:
        self.source_combo.clear()
        for camera in list_cameras():
            if "privastream" in camera.name.lower():
                continue  # our own virtual camera: picking it as input would feed the output back in
            self.source_combo.addItem(camera.name, str(camera.index))
        if self.source_combo.count() == 0:
            self.source_combo.addItem("No camera found", "")

    def _select_source(self, spec: str) -> None:
        index = self.source_combo.findData(spec)
        if index < 0 and spec and not spec.isdigit():
            self.source_combo.addItem(f"File: {Path(spec).name}", spec)
            index = self.source_combo.count() - 1
        self.source_combo.setCurrentIndex(max(0, index))  # a camera that is gone falls back to the first entry

    # -- config <-> controls ---------------------------------------------------------------------
    def _load_into_controls(self, config: AppConfig) -> None:
        widgets = (
            self.faces_check, self.plates_check, self.raw_check, self.overlay_check, self.vcam_check,
            self.style_combo, self.resolution_combo, self.fps_combo, self.source_combo, self.strength_slider,
            self.padding_slider, self.sensitivity_slider, self.delay_slider, self.preset_combo,
        )  # fmt: skip
        for widget in widgets:
            widget.blockSignals(True)
        self._select_source(config.source)
        self.faces_check.setChecked(config.faces)
        self.plates_check.setChecked(config.plates)
        self.overlay_check.setChecked(config.show_overlays)
        self.vcam_check.setChecked(config.virtual_camera)
        self.style_combo.setCurrentIndex(max(0, self.style_combo.findData(config.style)))
        self.resolution_combo.setCurrentIndex(max(0, self.resolution_combo.findData((config.width, config.height))))
        self.fps_combo.setCurrentIndex(max(0, self.fps_combo.findData(config.fps)))
        self.strength_slider.setValue(round(config.strength * 100))
        self.padding_slider.setValue(round(config.padding * 100))
        self.sensitivity_slider.setValue(round(config.sensitivity * 100))
        self.delay_slider.setValue(round(config.delay_s * 10))
        self.preset_combo.setCurrentIndex(max(0, self.preset_combo.findText(config.preset)))
        for widget in widgets:
            widget.blockSignals(False)
        self.delay_label.setText(f"{config.delay_s:.1f} s")
        self.preview.show_overlays = config.show_overlays
        self._update_source_controls()
        self.audio_panel.select(config.audio, config.microphone, config.speech, config.speech_mode)
        self.text_controls.load(config, config.delay_s)

    def _update_source_controls(self) -> None:
        """Resolution and frame rate are requests to a camera; a file plays at its own."""
        is_camera = str(self.source_combo.currentData() or "").isdigit()
        self.resolution_combo.setEnabled(is_camera)
        self.fps_combo.setEnabled(is_camera)

    def _config_from_controls(self) -> AppConfig:
        width, height = self.resolution_combo.currentData()
        return replace(
            self.config,
            source=self.source_combo.currentData() or "",
            width=width,
            height=height,
            fps=self.fps_combo.currentData(),
            faces=self.faces_check.isChecked(),
            plates=self.plates_check.isChecked(),
            style=self.style_combo.currentData(),
            strength=self.strength_slider.value() / 100,
            padding=self.padding_slider.value() / 100,
            sensitivity=self.sensitivity_slider.value() / 100,
            delay_s=self.delay_slider.value() / 10,
            virtual_camera=self.vcam_check.isChecked(),
            show_overlays=self.overlay_check.isChecked(),
            audio=self.audio_panel.audio_on,
            microphone=self.audio_panel.microphone,
            speech=self.audio_panel.speech,
            speech_mode=self.audio_panel.mode,
            text=self.text_controls.text_on,
            pii_kinds=self.text_controls.pii_kinds,
            sensitive_terms=self.text_controls.sensitive_terms,
        )

    @Slot()
    def _on_control_changed(self) -> None:
        previous = self.config
        self.config = self._config_from_controls()
        self.delay_label.setText(f"{self.config.delay_s:.1f} s")
        self.text_controls.show_note(self.config.delay_s)
        self.preview.show_overlays = self.config.show_overlays
        self._update_source_controls()
        if self.worker is None:
            return
        restart_keys = ("source", "width", "height", "fps", "virtual_camera", "audio", "microphone", "speech")
        if any(getattr(previous, k) != getattr(self.config, k) for k in restart_keys):
            self.restart()
        else:
            self.worker.update_config(self.config)

    @Slot(int)
    def _on_preset(self, index: int) -> None:
        self.config = apply_preset(self._config_from_controls(), self.preset_combo.itemText(index))
        self._load_into_controls(self.config)
        if self.worker is not None:
            self.worker.update_config(self.config)

    @Slot()
    def _browse_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Play a video file in a loop", "", "Videos (*.mp4 *.mov *.mkv *.avi *.webm)"
        )
        if path:
            self._select_source(path)

    # -- running ---------------------------------------------------------------------------------
    @Slot()
    def _toggle_running(self) -> None:
        if self.worker is None:
            self.start()
        else:
            self.stop()

    def start(self) -> None:
        if self.worker is not None:
            return
        if not self.config.source:
            self.preview.clear("No source: connect a camera or choose a video file.")
            return
        self.error = ""
        self.thread = QThread(self)
        audio_output = self._virtual_microphone() if self.config.audio else None
        self.worker = PipelineWorker(
            self.config, vcam_backend=self.vcam_backend, whitelist=self.whitelist, audio_output=audio_output
        )
        self.worker.moveToThread(self.thread)
        self.thread.started.connect(self.worker.run)
        self.worker.frame_ready.connect(self._on_frame_ready)
        self.worker.stats_ready.connect(self._on_stats)
        self.worker.virtual_camera_status.connect(self._on_vcam_status)
        self.worker.failed.connect(self._on_failed)
        self.worker.audio_stats.connect(self._on_audio_stats)
        self.worker.audio_problem.connect(self._on_audio_problem)
        self.worker.transcript_ready.connect(self._on_transcript)
        self.worker.finished.connect(self._on_worker_finished)
        self.thread.start()
        self.worker.set_panic(self.panic_button.isChecked())
        self.start_button.setText("Stop")
        self.status_label.setText("Starting…")

    def stop(self) -> None:
        if self.worker is None or self.thread is None:
            return
        self.worker.stop()
        self.thread.quit()
        self.thread.wait(10_000)
        self.worker.deleteLater()
        self.thread.deleteLater()
        self.worker = self.thread = None
        self.start_button.setText("Start")
        self.status_label.setText("Stopped")
        self.preview.clear()
        self.audio_panel.show_stats(None)

    def restart(self) -> None:
        self.stop()
        self.start()

    @Slot(bool)
    def _on_panic(self, on: bool) -> None:
        if self.worker is not None:
            self.worker.set_panic(on)

    @Slot()
    def _on_frame_ready(self) -> None:
        if self.worker is None:
            return
        frame = self.worker.take_frame()
        if frame is None:
            return
        self.last_frame = frame
        banner = ""
        if frame.fail_closed:
            if PANIC_REASON in frame.reasons:
                banner = f"PANIC: the output shows nothing until you press PANIC ({PANIC_SHORTCUT}) again"
            else:
                banner = f"Protection failed closed, output fully blurred: {'; '.join(frame.reasons)}"
        elif sum(r.box.area for r in frame.regions if r.label == UNREAD_LABEL) > 0.02 * frame.raw[..., 0].size:
            banner = "New text is blurred until OCR has read it (OCR is catching up)"
        image = frame.raw if self.raw_check.isChecked() else frame.protected
        self.preview.show_frame(image, frame.regions, banner)

    @Slot(object)
    def _on_stats(self, stats: LiveStats) -> None:
        self.last_stats = stats
        text = (
            f"in {stats.fps_in:4.1f} fps · out {stats.fps_out:4.1f} fps · "
            f"added latency {stats.latency_p50_ms:4.0f} ms (p95 {stats.latency_p95_ms:.0f}) · "
            f"CPU {stats.cpu_percent:3.0f}% · models: {', '.join(stats.models) or 'none'}"
        )
        if stats.failing_now:
            text += " · PANIC: output hidden" if PANIC_REASON in stats.last_fail_reasons else " · FAILING CLOSED"
        self.status_label.setText(text)

    @Slot(bool, str)
    def _on_vcam_status(self, running: bool, text: str) -> None:
        if running:
            self.vcam_label.setText(
                f"Virtual camera on: {text}. Pick it as a video source in OBS or TikTok LIVE Studio."
            )
            self.vcam_label.setStyleSheet("color: #2e7d32;")
            self.vcam_status.setText(f"virtual camera: {text}")
        else:
            self.vcam_label.setText(f"No virtual camera: {text}")
            self.vcam_label.setStyleSheet("background: #fff4ce; color: #3b2f00; padding: 6px;")
            self.vcam_status.setText("virtual camera: not available (how to get one: see the panel)")

    def _virtual_microphone(self) -> str | None:
        """Where the voice goes: the virtual microphone's device, made once and kept (OBS holds on to it)."""
        if self.virtual_mic is None or not self.virtual_mic.exists:
            try:
                self.virtual_mic = VirtualMicrophone.create()
            except VirtualMicUnavailable as exc:
                self.audio_panel.show_output(False, str(exc))
                return None
        self.audio_panel.show_output(True, self.virtual_mic.name)
        return self.virtual_mic.output_device

    @Slot(object)
    def _on_audio_stats(self, stats: AudioStats) -> None:
        self.audio_panel.show_stats(stats, speech_delay_ok=self.config.delay_s >= SPEECH_DELAY_HINT_S)

    @Slot(str)
    def _on_audio_problem(self, message: str) -> None:
        self.audio_panel.show_problem(message)

    @Slot(object)
    def _on_transcript(self, lines: list) -> None:
        self.audio_panel.show_transcript(lines)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self.error = message
        self.preview.clear(f"Stopped: {message}")
        self.status_label.setText(f"Error: {message}")

    @Slot()
    def _on_worker_finished(self) -> None:
        if self.thread is not None and self.worker is not None and not self.error:
            self.status_label.setText("Source ended")

    def _latest_raw_frame(self):
        """The camera picture of the newest output frame, for enrolment (never sent anywhere)."""
        return self.last_frame.raw if self.last_frame is not None and self.worker is not None else None

    # -- exports -------------------------------------------------------------------------------
    @Slot()
    def open_export_dialog(self) -> ExportDialog:
        """Shows the dialog (non-blocking) and queues the export it is accepted with."""
        dialog = ExportDialog(self.config.protection(self.whitelist), self)
        dialog.accepted.connect(lambda: self.queue_export(dialog.request()))
        dialog.open()
        return dialog

    def queue_export(self, request: ExportRequest) -> int:
        if self.export_queue is None:
            self.export_queue = ExportQueue()
            dock = QDockWidget("Exports", self)
            dock.setObjectName("exports")
            dock.setWidget(self.export_queue)
            self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
        return self.export_queue.add(request)

    # -- closing ---------------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:
        self.stop()
        if self.virtual_mic is not None:
            self.virtual_mic.close()  # the "PrivaStream Microphone" goes away with the app
        self.hotkey.stop()
        if self.export_queue is not None:
            self.export_queue.shutdown()  # cancels what is running: no half files are left behind
        self.config = replace(self._config_from_controls(), window_geometry=bytes(self.saveGeometry().toHex()).decode())
        save_config(self.config, self.config_path)
        super().closeEvent(event)
