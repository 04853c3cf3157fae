"""PII recognizers shared by on-screen text (OCR lines) and speech transcripts.

One module so that a phone number is recognised the same way whether it is shown or said:
`PiiRecognizer.find(text)` on written text, `SpokenPiiFinder.find(words)` on a Whisper word list
(spoken forms are normalised to written ones first, then the same recognizer runs).
"""

from privastream_desktop.pii.recognizers import PiiKind, PiiMatch, PiiRecognizer
from privastream_desktop.pii.spoken import SpokenPii, SpokenPiiFinder

__all__ = ["PiiKind", "PiiMatch", "PiiRecognizer", "SpokenPii", "SpokenPiiFinder"]
