"""The "Voice" panel: which microphone, how loud, how spoken secrets are hidden, where the voice goes.

Thin like every widget here: it lists devices by name, shows what the live
audio pipeline reports (levels, muted-and-why, the redacted transcript) and
emits ``changed`` when the user picks something; the main window turns that
into config and the worker applies it. The transcript lives in this widget
only and is never written anywhere.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
)

from privastream_desktop.audio.devices import AudioDevice, AudioDeviceError, list_input_devices
from privastream_desktop.audio.live_audio import PANIC_REASON, AudioStats

METER_FLOOR_DB = -60
# Below this privacy delay the speech guard misses its deadline (muted); at 1.5 s it keeps it by bleeping
# more (bench_speech.py --delay 1.5: 0 misses, ~18 % of benign speech bleeped vs ~9-14 % at 2.0 s).
SPEECH_DELAY_HINT_S = 1.5
MODES = (("Bleep", "bleep"), ("Mute", "mute"), ("Muffle", "muffle"))
OFF = "\x00off"  # the combo's "Off" entry (no device can have this name)
_OK_STYLE = "color: #2e7d32;"
_WARN_STYLE = "background: #fff4ce; color: #3b2f00; padding: 6px;"
_MUTED_STYLE = "background: #b3261e; color: white; font-weight: bold; padding: 4px;"


def _db(value: float) -> str:
    return "silence" if value <= METER_FLOOR_DB else f"{value:.0f} dB"


def _say(label: QLabel, text: str, style: str) -> None:
    """An empty label takes no room."""
    label.setText(text)
    label.setStyleSheet(style)
    label.setVisible(bool(text))


class AudioPanel(QGroupBox):
    changed = Signal()

    def __init__(self, hide_inputs: tuple[str, ...] = ()) -> None:
        super().__init__("Voice")
        self.hide_inputs = hide_inputs
        layout = QVBoxLayout(self)
        form = QFormLayout()
        layout.addLayout(form)

        self.mic_combo = QComboBox()
        # long device names must not widen the side panel (the preview gets the room)
        self.mic_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.mic_combo.setMinimumContentsLength(14)
        self.mic_combo.setToolTip("The microphone PrivaStream listens to; it sends the protected voice on")
        self.refresh_button = QPushButton("↻")
        self.refresh_button.setToolTip("List the microphones again (after plugging one in)")
        self.refresh_button.setMaximumWidth(32)
        self.refresh_button.clicked.connect(self.refresh_devices)
        row = QHBoxLayout()
        row.addWidget(self.mic_combo, 1)
        row.addWidget(self.refresh_button)
        form.addRow("Microphone", row)

        self.meter = QProgressBar()
        self.meter.setRange(METER_FLOOR_DB, 0)
        self.meter.setValue(METER_FLOOR_DB)
        self.meter.setTextVisible(True)
        self.meter.setFormat("—")
        form.addRow("Level", self.meter)

        self.speech_check = QCheckBox("Hide spoken secrets")
        self.speech_check.setToolTip(
            "Phone numbers, e-mail addresses, card and ID numbers, addresses, passwords and your own sensitive "
            "terms are bleeped before anyone hears them, and the speaker's mouth is blurred meanwhile"
        )
        layout.addWidget(self.speech_check)
        self.mode_combo = QComboBox()
        for text, value in MODES:
            self.mode_combo.addItem(text, value)
        mode_form = QFormLayout()
        mode_form.addRow("Hide them by", self.mode_combo)
        layout.addLayout(mode_form)

        self.output_label = QLabel()
        self.output_label.setWordWrap(True)
        self.output_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.output_label)
        self.state_label = QLabel()
        self.state_label.setWordWrap(True)
        layout.addWidget(self.state_label)

        heading = QLabel("What was said, secrets replaced (shown here only, never saved):")
        heading.setWordWrap(True)
        layout.addWidget(heading)
        self.transcript = QPlainTextEdit()
        self.transcript.setReadOnly(True)
        self.transcript.setMaximumBlockCount(200)
        self.transcript.setMinimumHeight(90)
        self.transcript.setPlaceholderText("Speech appears here as it is checked, e.g. “call me at [PHONE]”.")
        layout.addWidget(self.transcript)

        self.refresh_devices()
        self.mic_combo.currentIndexChanged.connect(self._on_changed)
        self.speech_check.toggled.connect(self._on_changed)
        self.mode_combo.currentIndexChanged.connect(self._on_changed)
        _say(self.output_label, "", "")
        self.show_stats(None)

    # -- choices -------------------------------------------------------------------------------
    @Slot()
    def refresh_devices(self) -> None:
        """List microphones by name; keep the current pick if it is still there."""
        keep = self.mic_combo.currentData()
        self.mic_combo.blockSignals(True)
        self.mic_combo.clear()
        self.mic_combo.addItem("Off", OFF)
        try:
            devices: list[AudioDevice] = list_input_devices(hide=("privastream", *self.hide_inputs))
            problem = "" if devices else "No microphone found."
        except AudioDeviceError as exc:
            devices, problem = [], str(exc)
        for device in devices:
            self.mic_combo.addItem(f"{device.name} (default)" if device.is_default else device.name, device.name)
        self.mic_combo.setToolTip(problem or "The microphone PrivaStream listens to; it sends the protected voice on")
        index = self.mic_combo.findData(keep) if keep is not None else -1
        self.mic_combo.setCurrentIndex(max(0, index))
        self.mic_combo.blockSignals(False)
        if keep is not None and index < 0 and keep != OFF:
            self.changed.emit()  # the microphone in use is gone

    def select(self, audio: bool, microphone: str, speech: bool, mode: str) -> None:
        """Show saved choices (no ``changed``). A saved microphone that is not plugged in shows as missing."""
        for widget in (self.mic_combo, self.speech_check, self.mode_combo):
            widget.blockSignals(True)
        if not audio:
            self.mic_combo.setCurrentIndex(0)
        else:
            index = self.mic_combo.findData(microphone) if microphone else 1
            if index < 0:
                self.mic_combo.addItem(f"{microphone} (not connected)", microphone)
                index = self.mic_combo.count() - 1
            self.mic_combo.setCurrentIndex(min(index, self.mic_combo.count() - 1))
        self.speech_check.setChecked(speech)
        self.mode_combo.setCurrentIndex(max(0, self.mode_combo.findData(mode)))
        for widget in (self.mic_combo, self.speech_check, self.mode_combo):
            widget.blockSignals(False)
        self.mode_combo.setEnabled(speech)

    @property
    def audio_on(self) -> bool:
        return self.mic_combo.currentData() not in (None, OFF)

    @property
    def microphone(self) -> str:
        return "" if not self.audio_on else str(self.mic_combo.currentData())

    @property
    def speech(self) -> bool:
        return self.speech_check.isChecked()

    @property
    def mode(self) -> str:
        return str(self.mode_combo.currentData())

    @Slot()
    def _on_changed(self) -> None:
        self.mode_combo.setEnabled(self.speech_check.isChecked())
        self.changed.emit()

    # -- what the pipeline reports -------------------------------------------------------------
    def show_output(self, ok: bool, text: str) -> None:
        """The virtual microphone: its name when it exists, else how to get one."""
        if ok:
            _say(
                self.output_label,
                f"Output: “{text}”. Pick it as the microphone in OBS (Audio Input Capture) or TikTok LIVE "
                "Studio, and remove your real microphone there, or it is heard unprotected.",
                _OK_STYLE,
            )
        else:
            _say(self.output_label, f"No virtual microphone: {text}", _WARN_STYLE)

    def show_stats(self, stats: AudioStats | None, *, speech_delay_ok: bool = True) -> None:
        """Level meter and the protected / muted indicator."""
        if stats is None or not stats.running:
            self.meter.setValue(METER_FLOOR_DB)
            self.meter.setFormat("—")
            idle = (
                "Voice: not running"
                if self.audio_on
                else (
                    "Pick your microphone: PrivaStream then sends your voice, secrets bleeped and delayed with the "
                    "picture, to a virtual microphone for OBS."
                )
            )
            _say(self.state_label, idle, "")
            return
        self.meter.setValue(max(METER_FLOOR_DB, min(0, round(stats.level_in_db))))
        self.meter.setFormat(f"{_db(stats.level_in_db)} (peak {_db(stats.peak_in_db)})")
        if stats.failing_now:
            why = "; ".join(stats.last_reasons)
            text = "PANIC: the voice is muted" if PANIC_REASON in stats.last_reasons else f"MUTED (fail closed): {why}"
            if not speech_delay_ok and PANIC_REASON not in stats.last_reasons:
                text += ". Speech needs a longer privacy delay (see Masks)."
            _say(self.state_label, text, _MUTED_STYLE)
        else:
            guarded = "protected" if stats.speech_protection else "delayed with the picture, not checked for secrets"
            _say(
                self.state_label,
                f"Voice {guarded} · {stats.redactions} hidden · muted {stats.silenced_s:.1f} s so far",
                _OK_STYLE,
            )

    def show_problem(self, message: str) -> None:
        """The voice is not going out at all (no microphone, no speech model)."""
        _say(self.state_label, f"The voice is not going out: {message}", _WARN_STYLE)

    def show_transcript(self, lines: list[tuple[float, str]]) -> None:
        """Replace the transcript with the newest lines (an utterance's line grows as it is checked)."""
        text = "\n".join(line for _, line in lines)
        if text != self.transcript.toPlainText():
            self.transcript.setPlainText(text)
            bar = self.transcript.verticalScrollBar()
            bar.setValue(bar.maximum())

    def clear_transcript(self) -> None:
        self.transcript.clear()
