"""Where PII starts and ends in speech: Whisper tiny.en's word times against forced alignment.

    python benchmarks/bench_word_edges.py [--gap 0] [--voices espeak,piper] [--set main,heldout]

Every bleep is padded by ``speech_pad_s`` (0.25 s) for Whisper's timestamp error, and
with no pause beside the PII (``--gap 0``: connected speech) that padding is most of
the benign speech a bleep costs. This prints, for the first and last word of every
PII interval of the spoken test set (``speech_samples.py``), how far from the true
edge (i) tiny.en puts it (whole-file recognition, as ``privastream audio`` does) and
(ii) the app's forced aligner (``audio/aligner.py``, pocketsphinx) puts it when given the script's own words, and
how often the aligner gives up (no path through the text, or one that stops short).

The aligner here gets the true text, so (ii) is a best case: in the app it would get
tiny.en's words, wrong ones included.
"""

from __future__ import annotations

import argparse
import re
import time

import numpy as np
from _common import machine_line

from privastream_desktop.audio.aligner import shared_aligner, spoken_tokens
from privastream_desktop.audio.asr import VoiceActivity, Word, to_mono_16k
from privastream_desktop.audio.speech_guard import recognise_file, shared_recognizer
from privastream_desktop.audio.speech_samples import SETS, synthesize


def _script_words(text: str) -> list[str]:
    return re.sub(r"[^a-z' ]", " ", text.lower()).split()


def _summary(label: str, errors: list[float]) -> str:
    if not errors:
        return f"{label}: none"
    e = np.abs(np.array(errors))
    p50, p90 = np.median(e), np.percentile(e, 90)
    return f"{label}: |err| p50 {p50:.3f} s, p90 {p90:.3f} s, max {e.max():.3f} s (n={len(e)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gap", type=float, default=0.0, help="pause between PII and the talk around it, s")
    parser.add_argument("--voices", default="espeak,piper")
    parser.add_argument("--set", default="main,heldout")
    args = parser.parse_args()
    print(machine_line())
    aligner = shared_aligner()
    if aligner is None:
        raise SystemExit("the aligner cannot load: reinstall PrivaStream (pip install -e .)")
    recognizer, vad = shared_recognizer(), VoiceActivity()
    for voice in args.voices.split(","):
        whisper_err: list[float] = []
        align_err: list[float] = []
        failed, oov, aligned, busy, audio_s = [], [], 0, 0.0, 0.0
        for which in args.set.split(","):
            for name, segments in SETS[which].items():
                if not any(s.kind for s in segments):
                    continue  # no PII edges to measure
                sample = synthesize(name, segments, voice=voice, rate=16000, gap_s=args.gap)
                audio = to_mono_16k(sample.audio, sample.rate)
                heard = recognise_file(audio, recognizer, vad)
                words, ranges = [], []
                for seg in segments:
                    w = _script_words(seg.text)
                    ranges.append((len(words), len(words) + len(w) - 1, seg.kind))
                    words += w
                truth = sorted([(a, b) for _, a, b in sample.pii] + list(sample.benign))
                edges = [(a, b) for (_, _, kind), (a, b) in zip(ranges, truth, strict=True) if kind]
                for a, b in edges:
                    if heard:
                        whisper_err.append(min(heard, key=lambda w: abs(w.start - a)).start - a)
                        whisper_err.append(min(heard, key=lambda w: abs(w.end - b)).end - b)
                missing = aligner.unknown([t for w in words for t in spoken_tokens(w) or [w]])
                if missing:
                    oov.append(f"{name} ({', '.join(missing)})")
                    continue
                started = time.perf_counter()
                said = [Word(" " + w, 0.0, 0.0, 1.0) for w in words]  # times unused: one utterance
                times = aligner.align_utterance(audio, 0.0, said)
                busy += time.perf_counter() - started
                audio_s += len(audio) / 16000
                if times[0] is None:
                    failed.append(name)
                    continue
                aligned += 1
                for (first, last, kind), (a, b) in zip(ranges, truth, strict=True):
                    if kind:
                        align_err += [times[first][0] - a, times[last][1] - b]
        print(f"\n== {voice}, gap {args.gap} s: PII edges (first word's start, last word's end) ==")
        print(_summary("whisper tiny.en (whole file)", whisper_err))
        print(_summary(f"forced alignment, true text ({aligned} utterances)", align_err))
        rtf = busy / max(audio_s, 1e-9)
        print(f"aligner real-time factor {rtf:.3f}; no complete path: {', '.join(failed) or 'none'}")
        if oov:
            print(f"not in the aligner's dictionary: {'; '.join(oov)}")


if __name__ == "__main__":
    main()
