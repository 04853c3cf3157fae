"""The on-screen text controls of the main window: on/off, which kinds of PII, the user's own terms.

A small widget of its own so the main window only places it and reads it; it knows nothing about
the pipeline. The best-effort note shows while text protection is on at privacy delay 0, where OCR
(a second or more for a changed screen on two cores) cannot finish before a frame is shown.
"""

from __future__ import annotations

from PySide6.QtCore import Signal, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QLineEdit, QMenu, QToolButton, QVBoxLayout, QWidget

from privastream_desktop.config import AppConfig

# What the kinds menu offers, in this order (spoken-digit runs are for speech only; the user's own
# terms have their field below).
KIND_LABELS: dict[str, str] = {
    "email": "E-mail addresses",
    "phone": "Phone numbers",
    "card": "Payment cards",
    "iban": "IBANs",
    "national_id": "National ID numbers",
    "address": "Street addresses",
    "ip_address": "IP addresses",
    "secret": "API keys, tokens, passwords",
    "seed_phrase": "Wallet seed phrases",
    "url_token": "Tokens in web addresses",
}

BEST_EFFORT = (
    "At privacy delay 0, new on-screen text stays blurred until OCR has read it (a second or more); "
    "text that moves is protected best-effort."
)


class TextControls(QWidget):
    """Emits ``changed`` when the user changes anything (the terms field: when editing is done)."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        self.check = QCheckBox("On-screen text (e-mails, keys, cards…)")
        self.check.setToolTip("Reads the picture (OCR) and blurs just the secret, the rest of the text stays readable")
        self.kinds_button = QToolButton()
        self.kinds_button.setText("Kinds…")
        self.kinds_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.kinds_menu = QMenu(self.kinds_button)
        self.kind_actions: dict[str, QAction] = {}
        for kind, label in KIND_LABELS.items():
            action = QAction(label, self.kinds_menu, checkable=True, checked=True)
            action.toggled.connect(self._on_changed)
            self.kinds_menu.addAction(action)
            self.kind_actions[kind] = action
        self.kinds_button.setMenu(self.kinds_menu)
        row.addWidget(self.check, 1)
        row.addWidget(self.kinds_button)
        layout.addLayout(row)
        self.terms_edit = QLineEdit()
        self.terms_edit.setPlaceholderText("Your own terms: real name, town, school… (comma-separated)")
        self.terms_edit.setToolTip("Hidden on screen and in speech, also when OCR misreads a letter or two")
        layout.addWidget(self.terms_edit)
        self.note = QLabel(BEST_EFFORT)
        self.note.setWordWrap(True)
        self.note.setStyleSheet("background: #fff4ce; color: #3b2f00; padding: 6px;")
        layout.addWidget(self.note)
        self.check.toggled.connect(self._on_changed)
        self.terms_edit.editingFinished.connect(self._on_terms_done)
        self._terms = ""

    # -- config <-> controls -------------------------------------------------------------------
    def load(self, config: AppConfig, delay_s: float) -> None:
        widgets = (self.check, self.terms_edit, *self.kind_actions.values())
        for widget in widgets:
            widget.blockSignals(True)
        self.check.setChecked(config.text)
        wanted = None if config.pii_kinds is None else set(config.pii_kinds)
        for kind, action in self.kind_actions.items():
            action.setChecked(wanted is None or kind in wanted)
        self._terms = ", ".join(config.sensitive_terms)
        self.terms_edit.setText(self._terms)
        for widget in widgets:
            widget.blockSignals(False)
        self.show_note(delay_s)

    @property
    def text_on(self) -> bool:
        return self.check.isChecked()

    @property
    def pii_kinds(self) -> list[str] | None:
        """None while every kind is ticked, so kinds added by a later version start switched on."""
        ticked = [kind for kind, action in self.kind_actions.items() if action.isChecked()]
        return None if len(ticked) == len(self.kind_actions) else ticked

    @property
    def sensitive_terms(self) -> list[str]:
        return [t.strip() for t in self.terms_edit.text().split(",") if t.strip()]

    def show_note(self, delay_s: float) -> None:
        self.note.setVisible(self.check.isChecked() and delay_s <= 0.0)
        self.kinds_button.setEnabled(self.check.isChecked())
        self.terms_edit.setEnabled(self.check.isChecked())

    @Slot()
    def _on_changed(self) -> None:
        self.kinds_button.setEnabled(self.check.isChecked())
        self.terms_edit.setEnabled(self.check.isChecked())
        self.changed.emit()

    @Slot()
    def _on_terms_done(self) -> None:
        if self.terms_edit.text() != self._terms:  # editingFinished also fires on a mere focus change
            self._terms = self.terms_edit.text()
            self.changed.emit()
