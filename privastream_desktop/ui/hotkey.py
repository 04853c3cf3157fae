"""A system-wide PANIC hotkey: it must work while OBS or a game has the focus.

pynput listens to the keyboard of the whole session (Windows, macOS with the
accessibility permission, X11). Its callback runs in pynput's thread and only
emits a Qt signal, which Qt queues to the GUI thread. Where it cannot listen
(Wayland, no display, permission refused) ``start`` says why, and the window
falls back to an application shortcut.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal


class GlobalHotkey(QObject):
    activated = Signal()

    def __init__(self, combo: str = "<ctrl>+<shift>+p") -> None:
        super().__init__()
        self.combo = combo
        self._listener = None

    def start(self) -> str | None:
        """Start listening; returns None when running, or the reason it cannot."""
        try:
            from pynput import keyboard

            listener = keyboard.GlobalHotKeys({self.combo: self.activated.emit})
            listener.start()
            listener.wait()
            if not listener.is_alive():
                return "the keyboard listener stopped at once"
        except Exception as exc:  # pynput raises ImportError/OSError/Xlib errors by platform
            return f"{type(exc).__name__}: {exc}".splitlines()[0]
        self._listener = listener
        return None

    @property
    def running(self) -> bool:
        return self._listener is not None and self._listener.is_alive()

    def stop(self) -> None:
        if self._listener is not None:
            self._listener.stop()
            self._listener = None
