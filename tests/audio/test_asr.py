"""The speech recogniser's CTranslate2 settings."""

import faster_whisper

from privastream_desktop.audio import asr


def test_the_shared_recognizer_leaves_the_second_core_to_the_video(monkeypatch):
    """Live, Whisper runs beside the video pipeline: one thread, or it starves the video on a 2-core machine."""
    seen = {}

    class Model:
        def __init__(self, path, **kwargs):
            seen.update(kwargs)

    monkeypatch.setattr(faster_whisper, "WhisperModel", Model)
    asr.SpeechRecognizer()
    assert seen["cpu_threads"] == 1 and seen["num_workers"] == 1
