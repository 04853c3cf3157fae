"""The spoken-PII finder of two revisions on the same words: what a rule change adds or drops, without noise.

    python benchmarks/bench_finder_ab.py --base bd61c07 [--set main,heldout,fresh,chatter,spelled]
                                        [--voices espeak,piper] [--hearings FILE]

``bench_speech.py`` synthesises and hears its sets anew on every run, and both vary: Piper's synthesis is not
seeded and Whisper's temperature fallback samples. The same code gave 3.2, 4.6 and 4.1 % of benign speech
altered on main's files in three runs, and 49 or 54 of 58 passages live; a rule that changes a passage or a
point is lost in that. This script hears every utterance once (all three file hearings, ``hear_file``), then
runs ``pii_spans`` (finder + garbled e-mails) of this checkout and of ``--base`` (a git revision, extracted to a
temporary folder and run in its own process) over the very same word lists, and prints every span that differs
and whether its words lie mostly in a PII interval or in benign speech, with the benign seconds each side
covers.

``--hearings FILE`` keeps the hearings (a pickle, written if missing, read if present): hearing takes about
two minutes for all sets, comparing seconds. Nothing here is a live figure: live windows hear less, later.
"""

from __future__ import annotations

import argparse
import json
import pickle
import subprocess
import sys
import tempfile
from pathlib import Path

from _common import machine_line

ROOT = Path(__file__).resolve().parents[1]

# Run in a fresh interpreter with one revision's package first on sys.path: reads the hearings pickle, writes one
# list of (kind, first word, last word) per hearing as JSON.
_SPANS = """
import json, pickle, sys
from privastream_desktop.audio.asr import Word
from privastream_desktop.audio.speech_guard import build_finder, pii_spans
from privastream_desktop.engine import ProtectionSettings
finder = build_finder(ProtectionSettings())
out = []
for h in pickle.load(open(sys.argv[1], "rb"))["hearings"]:
    words = [Word(*w) for w in h["words"]]
    out.append(sorted([k.value, a, b] for k, a, b in pii_spans(words, finder)))
json.dump(out, sys.stdout)
"""


def hear(sets: list[str], voices: tuple[str, ...]) -> dict:
    """Every utterance of ``sets`` heard as ``privastream audio`` hears a file, with its truth."""
    from privastream_desktop.audio import speech_samples
    from privastream_desktop.audio.asr import FILE_ASR_MODEL, VoiceActivity, to_mono_16k
    from privastream_desktop.audio.speech_guard import hear_file, shared_recognizer

    tiny, base, vad = shared_recognizer(), shared_recognizer(model=FILE_ASR_MODEL), VoiceActivity()
    hearings = []
    for which in sets:
        for sample in speech_samples.test_set(voices, which=which):
            audio = to_mono_16k(sample.audio, sample.rate)
            for n, words in enumerate(hear_file(audio, tiny, vad, base)):
                hearings.append(
                    {
                        "set": which,
                        "voice": sample.voice,
                        "name": sample.name,
                        "hearing": n,
                        "words": [(w.text, w.start, w.end, w.probability) for w in words],
                        "pii": sample.pii,
                        "benign": sample.benign,
                    }
                )
    return {"sets": sets, "voices": voices, "hearings": hearings}


def spans_of(package_root: Path, hearings_file: Path) -> list[list[list]]:
    """Run in ``package_root``'s folder, with it first on the path: ``python -c`` puts the working folder first, so
    from the repo root both runs would import this checkout's package."""
    result = subprocess.run(
        [sys.executable, "-c", _SPANS, str(hearings_file.resolve())],
        capture_output=True,
        text=True,
        check=False,
        cwd=package_root,
        env={"PYTHONPATH": str(package_root), "PATH": "/usr/bin:/bin"},
    )
    if result.returncode != 0:
        raise SystemExit(f"the finder of {package_root} failed:\n{result.stderr[-2000:]}")
    return json.loads(result.stdout)


def overlap(a: float, b: float, intervals: list) -> float:
    return sum(max(0.0, min(b, y) - max(a, x)) for *_, x, y in intervals)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--base", required=True, help="git revision to compare this checkout with")
    ap.add_argument("--set", default="main,heldout,fresh,chatter,spelled")
    ap.add_argument("--voices", default="espeak,piper")
    ap.add_argument("--hearings", type=Path, help="pickle of the hearings: written if missing, read if present")
    args = ap.parse_args()
    print(machine_line())
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        hearings_file = args.hearings or tmp_path / "hearings.pkl"
        if not hearings_file.exists():
            data = hear(args.set.split(","), tuple(args.voices.split(",")))
            hearings_file.write_bytes(pickle.dumps(data))
        data = pickle.loads(hearings_file.read_bytes())
        base_root = tmp_path / "base"
        base_root.mkdir()
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", args.base, "privastream_desktop"], capture_output=True, check=False
        )
        if archive.returncode != 0:
            raise SystemExit(f"git archive {args.base}: {archive.stderr.decode(errors='replace').strip()}")
        subprocess.run(["tar", "-x", "-C", str(base_root)], input=archive.stdout, check=True)
        old, new = spans_of(base_root, hearings_file), spans_of(ROOT, hearings_file)

    print(f"== {len(data['hearings'])} hearings of {', '.join(data['sets'])} ({', '.join(data['voices'])}) ==")
    moved = {"pii": 0, "benign": 0}
    benign_s = {"base": 0.0, "this": 0.0}
    for h, before, after in zip(data["hearings"], old, new, strict=True):
        words = h["words"]

        def seconds(spans: list, words: list = words, h: dict = h) -> tuple[float, float]:
            pii = sum(overlap(words[a][1], words[b][2], h["pii"]) for _, a, b in spans)
            return pii, sum(overlap(words[a][1], words[b][2], h["benign"]) for _, a, b in spans)

        benign_s["base"] += seconds(before)[1]
        benign_s["this"] += seconds(after)[1]
        if before == after:
            continue
        changed = [s for s in before if s not in after] + [s for s in after if s not in before]
        pii_s, benign_changed = seconds(changed)
        where = "benign" if benign_changed > pii_s else "pii"  # Whisper's word edges are off by up to 0.25 s
        moved[where] += 1
        text = " ".join(w[0].strip() for w in words)
        print(f"{h['set']}/{h['voice']}/{h['name']} hearing {h['hearing']} [{where}]: {text[:150]}")
        for label, spans in (("base", before), ("this", after)):
            shown = "; ".join(f"{k}: {' '.join(words[i][0].strip() for i in range(a, b + 1))}" for k, a, b in spans)
            print(f"    {label}: {shown or '-'}")
    print(
        f"hearings whose spans differ: {moved['pii']} mostly over PII, {moved['benign']} mostly over benign "
        f"speech; benign seconds under a span (over all hearings, word times unpadded): base {benign_s['base']:.1f} s, "
        f"this {benign_s['this']:.1f} s"
    )


if __name__ == "__main__":
    main()
