"""On-screen text PII: how much leaks, how much harmless text gets blurred, what OCR costs.

    python benchmarks/bench_text.py [--seconds 10] [--scenes dark_stream,light_shop,wallet_dark]
                                    [--live 0,1.5] [--no-export] [--why] [--set KEY=VALUE ...]

Method: each scene from ``privastream_desktop.screen_samples`` (a streamer's screen at 1280x720 30 fps:
browser bar with a token URL, game HUD / checkout form / wallet backup page, scrolling chat, a terminal
that prints an .env file, a notification with PII that slides in and stays 2 s; dark and light themes,
DejaVu Sans/Mono/Serif at 12-32 px) is written to H.264 (CRF 18) and

* exported with ``VideoRedactionJob`` and the default settings (faces, plates and text on; the file
  mode's lookahead is the default 0.5 s), and
* played through ``LivePipeline`` in real time (the app's path) at each privacy delay in ``--live``,
  after 8 s of its first picture standing still (the start-up: the first OCR look reads a whole
  screen of text, which takes seconds, and frames fail closed until it is done; not scored).

Every output frame's mask is redrawn from the regions the pipeline reported (a fail-closed frame counts
as fully masked) and compared with the renderer's truth:

* a PII box-frame is *readable* when less than 95 % of the secret's ink box (the part of it inside the
  picture and not under a window) is masked; boxes less than 30 % visible are not counted;
* *before first cover*: for each secret, the readable frames from its first visible frame until it is
  first covered (the first-appearance leak the delay line exists to remove);
* a benign word-frame is *altered* when more than 10 % of its ink box is masked (by any mask; the
  second figure counts text masks only, the first includes faces/plates masks on text);
  the share altered by the cover of text that no OCR look has read yet is printed too (``--why`` lists
  the benign words altered most);
* OCR cost: seconds inside OCR over the export's frames, and per OCR look (a look reads only what
  changed since the previous one; "reads" counts the crops it read).
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
from _common import machine_line, settings_from

import privastream_desktop.video_export as video_export
from privastream_desktop.delay_line import PrivacyDelayLine
from privastream_desktop.engine import ProtectionSettings
from privastream_desktop.redactor import MaskStyle, RedactionSettings, Redactor
from privastream_desktop.regions import Frame, ProtectedFrame, Region, RegionKind
from privastream_desktop.screen_samples import SCREEN_SCENES, TextTruth, render_screen, write_screen_clip
from privastream_desktop.text_tracking import UNREAD_LABEL

COVERED = 0.95
ALTERED = 0.10
MIN_VISIBLE = 0.30


def mask_of(regions: list[Region], fail_closed: bool, shape: tuple[int, int], padding: float) -> np.ndarray:
    """Pixels the redactor hid (same padding and shapes as the redactor)."""
    height, width = shape
    if fail_closed:
        return np.ones((height, width), bool)
    blank = np.zeros((height, width, 3), np.uint8)
    painter = Redactor(RedactionSettings(MaskStyle.FILL, 1.0, padding))
    painted = painter.render(ProtectedFrame(Frame(0, 0.0, blank), regions))
    return painted[:, :, 0] > 0


def score(
    truth: list[list[TextTruth]],
    masks: list[np.ndarray],
    text_masks: list[np.ndarray],
    unread_masks: list[np.ndarray] | None = None,
) -> dict:
    s: dict = defaultdict(int)
    altered_words: Counter[str] = Counter()
    by_kind: Counter[str] = Counter()
    kind_total: Counter[str] = Counter()
    first_seen: dict[int, int] = {}
    covered_once: set[int] = set()
    before_cover: Counter[int] = Counter()
    run: Counter[int] = Counter()
    longest = 0
    for index, boxes in enumerate(truth):
        if index >= len(masks):
            break
        mask, tmask = masks[index], text_masks[index]
        for t in boxes:
            x1, y1, x2, y2 = t.box
            if x2 <= x1 or y2 <= y1:
                continue
            if t.is_pii:
                if t.visible < MIN_VISIBLE:
                    continue
                s["pii"] += 1
                kind_total[t.kind] += 1
                first_seen.setdefault(t.object_id, index)
                if mask[y1:y2, x1:x2].mean() < COVERED:
                    s["readable"] += 1
                    by_kind[t.kind] += 1
                    run[t.object_id] += 1
                    longest = max(longest, run[t.object_id])
                    if t.object_id not in covered_once:
                        before_cover[t.object_id] += 1
                else:
                    run[t.object_id] = 0
                    covered_once.add(t.object_id)
            else:
                if t.visible < 0.5:
                    continue
                s["benign"] += 1
                s["altered"] += mask[y1:y2, x1:x2].mean() > ALTERED
                s["altered_text"] += tmask[y1:y2, x1:x2].mean() > ALTERED
                if unread_masks is not None:
                    s["altered_unread"] += unread_masks[index][y1:y2, x1:x2].mean() > ALTERED
                if mask[y1:y2, x1:x2].mean() > ALTERED:
                    altered_words[t.text] += 1
    s["secrets"] = len(first_seen)
    s["before_cover"] = sum(before_cover.values())
    s["before_cover_max"] = max(before_cover.values(), default=0)
    s["never_covered"] = len(set(first_seen) - covered_once)
    s["longest"] = longest
    s["by_kind"] = {k: (by_kind[k], kind_total[k]) for k in sorted(kind_total)}
    s["altered_words"] = altered_words
    return s


class _Masks:
    """Collects the all-masks and text-only masks of each output frame, by frame index."""

    def __init__(self, padding: float) -> None:
        self.padding = padding
        self.all: dict[int, np.ndarray] = {}
        self.text: dict[int, np.ndarray] = {}
        self.unread: dict[int, np.ndarray] = {}
        self.fail_closed = 0

    def add(self, index: int, regions: list[Region], fail_closed: bool, shape: tuple[int, int]) -> None:
        self.all[index] = mask_of(regions, fail_closed, shape, self.padding)
        texts = [r for r in regions if r.kind is RegionKind.TEXT]
        self.text[index] = mask_of(texts, fail_closed, shape, self.padding)
        unread = [r for r in texts if r.label == UNREAD_LABEL]
        self.unread[index] = mask_of(unread, False, shape, self.padding)
        self.fail_closed += fail_closed

    def lists(self, n: int) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
        full = np.ones_like(next(iter(self.all.values())))  # a frame that never came out shows nothing
        none = np.zeros_like(full)
        return (
            [self.all.get(i, full) for i in range(n)],
            [self.text.get(i, full) for i in range(n)],
            [self.unread.get(i, none) for i in range(n)],
        )


def export(clip: Path, out: Path, settings: ProtectionSettings, n: int) -> tuple[dict, list, list]:
    lines: list[PrivacyDelayLine] = []
    original = video_export.build_delay_line

    def capture(*args, **kwargs) -> PrivacyDelayLine:  # the job builds its own line: keep a handle on it
        line = original(*args, **kwargs)
        lines.append(line)
        return line

    masks = _Masks(settings.redaction.padding)
    job = video_export.VideoRedactionJob(clip, out, settings, overwrite=True)
    job.on_protected = lambda item: masks.add(
        item.frame.index, item.regions, item.fail_closed, item.frame.image.shape[:2]
    )
    video_export.build_delay_line = capture
    try:
        report = job.run()
    finally:
        video_export.build_delay_line = original
    info: dict = {"fps": report.fps, "fail_closed": report.fail_closed_frames, "frames": report.frames}
    text_lanes = [lane for lane in lines[0].lanes if lane.detector.kind is RegionKind.TEXT] if lines else []
    if text_lanes:
        stats = text_lanes[0].detector.stats
        looks = [s for s in stats.per_call]
        info.update(
            ocr_s=stats.seconds,
            looks=stats.calls,
            reads=stats.reads,
            full_reads=stats.full_frames,
            per_look_ms=1000 * float(np.mean(looks)) if looks else 0.0,
            per_look_p90_ms=1000 * float(np.percentile(looks, 90)) if looks else 0.0,
            max_look_ms=1000 * max(looks, default=0.0),
            mpix=stats.pixels / 1e6,
        )
    return info, *masks.lists(n)


LEAD_IN, TAIL = 8.0, 3.0  # live: start-up on a still first picture, then the scene, then a still last one


def live(clip: Path, settings: ProtectionSettings, delay: float, n: int) -> tuple[dict, list, list]:
    """The clip (with ``LEAD_IN``/``TAIL`` stills) played in real time; only the scene itself is scored.

    The lead-in is the start-up: the first OCR look reads a full screen of text, which takes seconds,
    and frames fail closed until it is done.
    """
    import privastream_desktop.detectors.text as text_detector
    from privastream_desktop.live import LiveFrame, LivePipeline
    from privastream_desktop.sources import FileLoopSource

    text_detector._live_screen.clear()  # each run starts cold, not from the previous run's screen
    source = FileLoopSource(clip, loop=False)
    first = round(LEAD_IN * source.fps)
    masks = _Masks(settings.redaction.padding)
    latencies: list[float] = []
    stamps: list[float] = []
    reasons: Counter[str] = Counter()

    def on_frame(frame: LiveFrame) -> None:
        if first <= frame.index < first + n:
            masks.add(frame.index - first, frame.regions, frame.fail_closed, frame.raw.shape[:2])
            latencies.append(frame.latency_ms)
            stamps.append(time.monotonic())
            reasons.update(frame.reasons)

    pipeline = LivePipeline(source, settings, delay_s=delay)
    text_lanes = [lane for lane in pipeline._line.lanes if lane.detector.kind is RegionKind.TEXT]
    runner = threading.Thread(target=pipeline.run, args=(threading.Event(), on_frame))
    started = time.monotonic()
    runner.start()
    runner.join()
    elapsed = time.monotonic() - started
    source.close()
    span = stamps[-1] - stamps[0] if len(stamps) > 1 else 0.0
    info = {
        "fps": (len(stamps) - 1) / span if span > 0 else 0.0,
        "fail_closed": masks.fail_closed,
        "frames": len(latencies),
        "latency_p50": float(np.percentile(latencies, 50)) if latencies else 0.0,
        "reasons": dict(reasons.most_common(3)),
    }
    if text_lanes:
        looks = text_lanes[0].detector.stats.per_call
        info["looks"] = f"{len(looks)} OCR looks in {elapsed:.0f} s, {1000 * float(np.mean(looks)):.0f} ms of OCR each"
    return info, *masks.lists(n)


def pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:5.2f}% ({part}/{whole})" if whole else "n/a"


def report(label: str, s: dict, info: dict, why: bool = False) -> None:
    kinds = ", ".join(f"{k} {r}/{n}" for k, (r, n) in s["by_kind"].items() if r)
    print(
        f"  {label:<10} PII readable {pct(s['readable'], s['pii']):>22}  longest run {s['longest']:>3}  "
        f"before first cover {s['before_cover']:>3} frames (max {s['before_cover_max']} for one secret, "
        f"{s['never_covered']}/{s['secrets']} never covered)"
    )
    print(
        f"  {'':<10} benign altered {pct(s['altered'], s['benign']):>22} (text masks only "
        f"{pct(s['altered_text'], s['benign'])})  fail-closed frames {info['fail_closed']}/{info['frames']}  "
        f"{info['fps']:.1f} frames/s"
    )
    print(f"  {'':<10} of which by the cover of text OCR has not read yet: {pct(s['altered_unread'], s['benign'])}")
    if kinds:
        print(f"  {'':<10} readable box-frames by kind: {kinds}")
    if why:
        top = ", ".join(f"{word!r} {n}" for word, n in s["altered_words"].most_common(12))
        print(f"  {'':<10} benign words altered most (word-frames): {top}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--scenes", default=",".join(SCREEN_SCENES))
    parser.add_argument("--live", default="0,1.5", help="privacy delays (s) to run live; empty: none")
    parser.add_argument("--no-export", action="store_true", help="live runs only")
    parser.add_argument("--why", action="store_true", help="list the benign words altered most")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a setting")
    args = parser.parse_args()
    settings = settings_from(args.set)
    delays = [float(d) for d in args.live.split(",") if d.strip()]
    print(machine_line())
    print(
        f"settings: {', '.join(args.set) or 'defaults'} (faces {settings.faces}, plates {settings.plates}, "
        f"text {settings.text}); {args.seconds:g} s per scene at 1280x720 30 fps; readable = <{COVERED:.0%} of "
        f"the secret masked, altered = >{ALTERED:.0%} of a benign word masked"
    )
    totals: dict[str, dict] = defaultdict(lambda: defaultdict(int))
    ocr_s = frames = looks = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for scene in args.scenes.split(","):
            clip = write_screen_clip(Path(tmp) / f"{scene}.mp4", scene, args.seconds)
            truth = [f.truth for f in render_screen(scene, seconds=args.seconds)]
            n = len(truth)
            print(f"{scene}: {n} frames, {sum(t.is_pii for f in truth for t in f)} PII box-frames drawn")
            info = {}
            if not args.no_export:
                info, masks, tmasks, umasks = export(clip, Path(tmp) / f"{scene}_out.mp4", settings, n)
                s = score(truth, masks, tmasks, umasks)
                report("export", s, info, args.why)
            if "looks" in info:
                print(
                    f"  {'':<10} OCR {info['ocr_s']:.1f} s in all = {1000 * info['ocr_s'] / n:.0f} ms per frame; "
                    f"{info['looks']} looks, {info['per_look_ms']:.0f} ms per look (p90 {info['per_look_p90_ms']:.0f}, "
                    f"max {info['max_look_ms']:.0f}), {info['reads']} reads ({info['full_reads']} whole frames, "
                    f"{info['mpix']:.1f} Mpx)"
                )
                ocr_s += info["ocr_s"]
                frames += n
                looks += info["looks"]
                for key in ("pii", "readable", "before_cover", "benign", "altered", "altered_text", "altered_unread"):
                    totals["export"][key] += s[key]
            if delays:
                clip = write_screen_clip(
                    Path(tmp) / f"{scene}_live.mp4", scene, args.seconds, lead_in=LEAD_IN, tail=TAIL
                )
            for delay in delays:
                info, masks, tmasks, umasks = live(clip, settings, delay, n)
                s = score(truth, masks, tmasks, umasks)
                label = f"live {delay:g} s"
                report(label, s, info, args.why)
                print(
                    f"  {'':<10} latency p50 {info['latency_p50']:.0f} ms; {info.get('looks', '')}; "
                    f"fail-closed reasons {info['reasons']}"
                )
                for key in ("pii", "readable", "before_cover", "benign", "altered", "altered_text", "altered_unread"):
                    totals[label][key] += s[key]
    print("all scenes:")
    for label, t in totals.items():
        print(
            f"  {label:<10} PII readable {pct(t['readable'], t['pii'])}, before first cover {t['before_cover']} "
            f"frames, benign altered {pct(t['altered'], t['benign'])} "
            f"(text masks {pct(t['altered_text'], t['benign'])}; unread cover {pct(t['altered_unread'], t['benign'])})"
        )
    if frames:
        print(
            f"  OCR per frame {1000 * ocr_s / frames:.0f} ms on average, per look {1000 * ocr_s / max(1, looks):.0f} ms"
        )


if __name__ == "__main__":
    main()
