"""Where the files we ship live, in a source checkout and in an installed wheel.

The wheel carries ``models/`` and ``assets/`` under ``privastream_desktop/_data``
(see pyproject.toml); a source checkout or editable install has them at the
repository root. Looking in both keeps one code path for dev, CI and users.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """Return the shipped folder ``name`` ("models" or "assets")."""
    for candidate in (_PACKAGE_DIR / "_data" / name, _PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        f"PrivaStream's '{name}' folder is missing (looked in {_PACKAGE_DIR / '_data'} and "
        f"{_PACKAGE_DIR.parent}); reinstall the app."
    )
