"""Starts the desktop app."""

from __future__ import annotations

import sys

from privastream_desktop.config import config_path, load_config


def run_app(
    argv: list[str] | None = None,
    *,
    source: str | None = None,
    screenshot: str | None = None,
    quit_after: float | None = None,
) -> int:
    """Open the main window; ``screenshot``/``quit_after`` serve window tests and bug reports."""
    from PySide6.QtCore import QTimer
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication

    from privastream_desktop.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationName("PrivaStream")
    app.setOrganizationName("PrivaStream")
    config = load_config()
    if source is not None:
        config.source = source
    window = MainWindow(config, config_path=config_path())
    window.show()
    if config.source:
        window.start()
    if quit_after is not None:

        def finish() -> None:
            if screenshot:
                # The screen, not the widget: this is what the window system really shows.
                QGuiApplication.primaryScreen().grabWindow(0).save(screenshot)
            window.close()

        QTimer.singleShot(round(quit_after * 1000), window, finish)
    return app.exec()
