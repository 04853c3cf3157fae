"""The live pipeline (what the app's worker runs) on a looping 1280x720 30 fps file, for minutes.

    python benchmarks/bench_live.py [--minutes 10] [--delay 0] [--set KEY=VALUE ...] [--speech [WAV]]

Prints, each minute and at the end: output frames/s, added latency (output time
minus capture time) p50/p95/p99 over every frame, frames that failed closed,
and resident memory, whose growth from the end of the first minute to the end
is the leak figure. Faces, plates and on-screen text are on (the defaults);
frames go to a null sink in place of the virtual camera (a memcpy).

``--speech`` runs the live audio path beside the video, as the app does with
speech protection on: a speech file (a WAV; without one, the spoken test set
"main" in espeak-ng's voice, 48 kHz) is played in a loop as if a microphone
captured it (20 ms blocks in real time, ``PacedBlockSource``) through the
streaming speech guard (Whisper) and the same privacy delay to a null output,
and its redactions blur mouths in the video. Then the audio's figures are
printed too: seconds silenced because the guard could not vouch in time, and
how far its rulings trailed the newest audio.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import numpy as np
import psutil
from _common import machine_line, settings_from

from privastream_desktop.live import LiveFrame, LivePipeline
from privastream_desktop.samples import write_sample_clip
from privastream_desktop.sinks import NullSink
from privastream_desktop.sources import FileLoopSource


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--delay", type=float, default=0.0, help="privacy delay in seconds")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument(
        "--whitelist", action="store_true", help="enrol the sample person (as bench_whitelist.py) and keep them visible"
    )
    parser.add_argument(
        "--speech",
        nargs="?",
        const="",
        metavar="WAV",
        help="run the live speech guard beside the video on this speech file, looped (none: the spoken test set)",
    )
    args = parser.parse_args()
    print(machine_line())
    process = psutil.Process()
    with tempfile.TemporaryDirectory() as tmp:
        clip = write_sample_clip(Path(tmp) / "loop.mp4", scene="mixed", seconds=20, with_audio=False)
        source = FileLoopSource(clip)
        sink = NullSink()
        settings = settings_from(args.set)
        if args.whitelist:
            from bench_whitelist import enrol

            settings.whitelist = enrol(Path(tmp) / "whitelist.json")
        audio = None if args.speech is None else start_audio(args.speech, settings, args.delay, args.minutes)
        pipeline = LivePipeline(source, settings, delay_s=args.delay, sinks=[sink], audio=audio)
        latencies: list[float] = []
        closed = [0]

        reasons: Counter[str] = Counter()

        def on_frame(frame: LiveFrame) -> None:
            latencies.append(frame.latency_ms)
            closed[0] += frame.fail_closed
            reasons.update(frame.reasons)

        stop = threading.Event()
        runner = threading.Thread(target=pipeline.run, args=(stop, on_frame))
        started = time.monotonic()
        runner.start()
        baseline_rss = None
        lags: list[float] = []
        extra = (" + whitelist" if args.whitelist else "") + (" + live speech guard" if audio is not None else "")
        cpu, own = psutil.cpu_times(), process.cpu_times()
        print(f"delay {args.delay:g} s, {args.minutes:g} min, settings: {', '.join(args.set) or 'defaults'}{extra}")
        for minute in range(1, int(np.ceil(args.minutes)) + 1):
            end = started + min(minute, args.minutes) * 60
            count_before = len(latencies)
            window_start = time.monotonic()
            while time.monotonic() < end:
                time.sleep(0.5)
                if audio is not None:
                    lags.append(audio.stats().guard_lag_s)
            rss = process.memory_info().rss / 2**20
            baseline_rss = baseline_rss or rss
            window = np.array(latencies[count_before:]) if len(latencies) > count_before else np.zeros(1)
            print(
                f"minute {minute:>2}: out {(len(latencies) - count_before) / (time.monotonic() - window_start):5.2f} "
                f"fps, latency p50 {np.percentile(window, 50):5.1f} p95 {np.percentile(window, 95):5.1f} ms, "
                f"fail-closed so far {closed[0]}, RSS {rss:6.1f} MiB",
                flush=True,
            )
        stop.set()
        runner.join(10)
        elapsed = time.monotonic() - started
        busy = _busy_share(cpu, psutil.cpu_times())
        own_end = process.cpu_times()
        own_share = (own_end.user + own_end.system - own.user - own.system) / (elapsed * (psutil.cpu_count() or 1))
        source.close()
        audio_stats = None
        if audio is not None:
            audio_stats = audio.stats()
            audio.close()
    lat = np.array(latencies)
    print(
        f"total: {len(lat)} frames in {elapsed:.0f} s = {len(lat) / elapsed:.2f} fps out; added latency "
        f"p50 {np.percentile(lat, 50):.1f} / p95 {np.percentile(lat, 95):.1f} / p99 {np.percentile(lat, 99):.1f} ms; "
        f"fail-closed frames {closed[0]} ({100 * closed[0] / max(1, len(lat)):.2f} %); "
        f"memory growth after minute 1: {process.memory_info().rss / 2**20 - baseline_rss:+.1f} MiB"
    )
    for reason, count in reasons.most_common(3):
        print(f"  fail-closed because {reason}: {count} frames")
    # the rest of the machine's load is someone else's: figures are comparable only where it is near 0
    print(f"CPU over the run: this benchmark {own_share:.0%} of all cores, the machine {busy:.0%}")
    if audio_stats is not None:
        a = audio_stats
        silenced = 100 * a.silenced_s / max(a.seconds_out, 1e-9)
        lag = np.array(lags or [0.0])
        print(
            f"audio: {a.seconds_out:.0f} s out, {a.silenced_s:.1f} s silenced ({silenced:.1f} %), {a.redactions} "
            f"redactions; guard lag (newest audio minus ruled, sampled every 0.5 s) p50 {np.percentile(lag, 50):.2f} / "
            f"p95 {np.percentile(lag, 95):.2f} / max {lag.max():.2f} s; audio latency {a.latency_ms:.0f} ms"
        )
        for reason, seconds in sorted(a.silence_reasons.items(), key=lambda item: -item[1])[:3]:
            print(f"  silenced because {reason}: {seconds:.1f} s")


def start_audio(path: str, settings, delay_s: float, minutes: float):
    """The app's live audio path (ui/worker.py ``_start_audio``) with a file in place of the microphone."""
    from privastream_desktop.audio.live_audio import LiveAudioPipeline, NullAudioSink, PacedBlockSource
    from privastream_desktop.audio.speech_guard import StreamingSpeechGuard

    rate = 48000
    if path:
        samples = _read_wav(Path(path), rate)
        name = Path(path).name
    else:
        from privastream_desktop.audio.speech_samples import concatenate, test_set

        spoken = test_set(("espeak",), rate=rate, which="main")
        if not spoken:
            raise SystemExit("no test voice: install espeak-ng (apt), or give a WAV file to --speech")
        samples, name = concatenate(spoken, pause_s=1.0).audio, f"test set 'main', espeak ({len(spoken)} utterances)"
    seconds = len(samples) / rate
    samples = np.tile(samples, int(np.ceil((minutes * 60 + 10) / seconds)))
    print(f"speech: {name}, {seconds:.0f} s, looped; 20 ms blocks at {rate} Hz in real time")
    guard = StreamingSpeechGuard(settings, delay_s=delay_s)
    audio = LiveAudioPipeline(
        PacedBlockSource(samples, rate, name=name),
        NullAudioSink(),
        guard=guard,
        delay_s=delay_s,
        mode=settings.speech_mode,
        bleep_hz=settings.bleep_hz,
        mouth_blur=settings.mouth_blur,
    )
    audio.start()
    return audio


def _read_wav(path: Path, rate: int) -> np.ndarray:
    """Mono float32 at ``rate`` from a 16-bit PCM WAV."""
    import wave

    from scipy.signal import resample_poly

    with wave.open(str(path), "rb") as wav:
        if wav.getsampwidth() != 2:
            raise SystemExit(f"{path}: only 16-bit PCM WAV files are read")
        native, channels = wav.getframerate(), wav.getnchannels()
        data = np.frombuffer(wav.readframes(wav.getnframes()), np.int16).reshape(-1, channels)
    mono = data.mean(axis=1).astype(np.float32) / 32768.0
    return mono if native == rate else resample_poly(mono, rate, native).astype(np.float32)


def _busy_share(before, after) -> float:
    idle = (after.idle + getattr(after, "iowait", 0.0)) - (before.idle + getattr(before, "iowait", 0.0))
    total = sum(after) - sum(before)
    return 1.0 - idle / total if total > 0 else 0.0


if __name__ == "__main__":
    main()
