"""The on-screen text controls: what they put in the settings, and the best-effort note at delay 0."""

from __future__ import annotations

from privastream_desktop.config import AppConfig
from privastream_desktop.engine import ProtectionSettings
from privastream_desktop.pii import PiiKind
from privastream_desktop.ui.main_window import MainWindow


def test_text_toggle_kinds_and_terms_reach_the_engine_settings(qtbot, tmp_path):
    window = MainWindow(AppConfig(source="", delay_s=0.5), config_path=tmp_path / "s.json", global_hotkey=False)
    qtbot.addWidget(window)
    window.show()
    controls = window.text_controls
    assert window.text_check.isEnabled() and window.text_check.isChecked()
    assert window.config.pii_kinds is None and not controls.note.isVisible()

    controls.kind_actions["ip_address"].setChecked(False)
    controls.kind_actions["phone"].setChecked(False)
    controls.terms_edit.setText("Jordan Miles, Springfield ,")
    controls.terms_edit.editingFinished.emit()
    settings: ProtectionSettings = window.config.protection()
    assert settings.text
    assert settings.pii_kinds is not None and PiiKind.EMAIL in settings.pii_kinds
    assert PiiKind.IP_ADDRESS not in settings.pii_kinds and PiiKind.PHONE not in settings.pii_kinds
    assert settings.sensitive_terms == ("Jordan Miles", "Springfield")

    window.delay_slider.setValue(0)  # privacy delay 0: text is best-effort, and the window says so
    assert controls.note.isVisible() and "best-effort" in controls.note.text()
    window.text_check.setChecked(False)
    assert not controls.note.isVisible() and not window.config.protection().text
    assert not controls.kinds_button.isEnabled()


def test_text_choices_survive_a_restart(qtbot, tmp_path):
    config = AppConfig(source="", text=False, pii_kinds=["email", "card"], sensitive_terms=["Springfield"])
    window = MainWindow(config, config_path=tmp_path / "s.json", global_hotkey=False)
    qtbot.addWidget(window)
    assert not window.text_check.isChecked()
    assert sorted(window.text_controls.pii_kinds or []) == ["card", "email"]
    assert window.text_controls.terms_edit.text() == "Springfield"
    assert sorted(window.config.pii_kinds or []) == ["card", "email"]
    assert window.config.sensitive_terms == ["Springfield"]
