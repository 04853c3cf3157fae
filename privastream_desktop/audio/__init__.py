"""Spoken PII: speech recognition, redaction intervals, bleep/mute/muffle, mouth blur.

Qt-free like the rest of the engine. ``speech_guard`` finds the intervals (live:
``StreamingSpeechGuard``; files: ``redact_speech_file``), ``redactor`` hides
them in the audio, ``mouth`` in the picture.
"""
