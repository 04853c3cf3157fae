import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest


@pytest.fixture(autouse=True)
def _private_user_folders(tmp_path_factory, monkeypatch):
    """Tests never read or write the real user's settings or whitelist."""
    monkeypatch.setenv("PRIVASTREAM_CONFIG_DIR", str(tmp_path_factory.mktemp("config")))
    monkeypatch.setenv("PRIVASTREAM_DATA_DIR", str(tmp_path_factory.mktemp("data")))
