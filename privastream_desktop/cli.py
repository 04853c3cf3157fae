"""``privastream`` command line: the engine without a window.

Every user mistake ends in one ``error:`` line and exit status 1, never a
traceback; Ctrl-C ends with status 130 and leaves no partial output.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from privastream_desktop import __version__
from privastream_desktop.engine import ProtectionSettings
from privastream_desktop.model_store import ModelError, ModelStore
from privastream_desktop.redactor import MaskStyle, RedactionSettings

T = TypeVar("T")


def _fraction(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {text}")
    return value


def _padding(text: str) -> float:
    value = float(text)
    if not 1.0 <= value <= 3.0:
        raise argparse.ArgumentTypeError(f"must be between 1.0 and 3.0, got {text}")
    return value


def _delay(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 3.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 3 seconds, got {text}")
    return value


def _seconds(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 5.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 5 seconds, got {text}")
    return value


def _hertz(text: str) -> float:
    value = float(text)
    if not 20.0 <= value <= 8000.0:
        raise argparse.ArgumentTypeError(f"must be between 20 and 8000 Hz, got {text}")
    return value


def _speech_options(parser: argparse.ArgumentParser, *, mode_flag: str, switch: bool = True) -> None:
    """The spoken-PII options, the same for ``video`` and ``audio``."""
    if switch:
        parser.add_argument("--no-speech", action="store_true", help="leave spoken PII in the audio")
    parser.add_argument(
        mode_flag,
        dest="speech_mode",
        choices=["bleep", "mute", "muffle"],
        default="bleep",
        help="how spoken PII is hidden (default bleep)",
    )
    parser.add_argument("--bleep-hz", type=_hertz, default=1000.0, help="bleep tone in Hz (default 1000)")
    parser.add_argument(
        "--term",
        action="append",
        default=[],
        metavar="TEXT",
        help="also hide this word or name when said or shown (repeatable: your real name, your town...)",
    )


def _speech_settings(settings: ProtectionSettings, args: argparse.Namespace) -> ProtectionSettings:
    from dataclasses import fields, replace

    changes: dict[str, object] = {
        "speech": not getattr(args, "no_speech", False),
        "speech_mode": args.speech_mode,
        "bleep_hz": args.bleep_hz,
        "mouth_blur": not getattr(args, "no_mouth_blur", False),
    }
    if args.term and "sensitive_terms" in {f.name for f in fields(settings)}:
        changes["sensitive_terms"] = tuple(dict.fromkeys((*getattr(settings, "sensitive_terms", ()), *args.term)))
    return replace(settings, **changes)


def _pii_kinds(text: str) -> frozenset:
    """``--pii-kinds email,phone``: the on-screen PII kinds to hide (default: all)."""
    from privastream_desktop.pii import PiiKind

    known = [k.value for k in PiiKind if k is not PiiKind.DIGITS]
    kinds = set()
    for name in (part.strip().lower() for part in text.split(",")):
        if name not in known:
            raise argparse.ArgumentTypeError(f"unknown PII kind {name!r}; choose from {', '.join(known)}")
        kinds.add(PiiKind(name))
    return frozenset(kinds)


def _text_options(parser: argparse.ArgumentParser) -> None:
    """On-screen text PII options, the same for ``video`` and ``live``."""
    parser.add_argument("--no-text", action="store_true", help="do not hide PII shown on screen (e-mails, keys...)")
    parser.add_argument(
        "--pii-kinds",
        type=_pii_kinds,
        default=None,
        metavar="KIND,...",
        help="on-screen PII to hide (default all): email, phone, card, iban, national_id, address, ip_address, "
        "secret, seed_phrase, url_token, term",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="privastream",
        description="Hide faces and licence plates in video, on this machine, with no cloud.",
    )
    parser.add_argument("--version", action="version", version=f"privastream {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    video = sub.add_parser("video", help="redact a video file (faces, plates, on-screen PII), keeping its audio")
    video.add_argument("input", type=Path, help="video to read (never modified)")
    video.add_argument("output", type=Path, help="where to write the redacted video (.mp4, .mov or .mkv)")
    video.add_argument("--style", choices=[s.value for s in MaskStyle], default=MaskStyle.BLUR.value)
    video.add_argument("--strength", type=_fraction, default=0.8, help="0..1, how strongly masks hide (default 0.8)")
    video.add_argument("--padding", type=_padding, default=1.4, help="mask scale around each detection (default 1.4)")
    video.add_argument("--no-faces", action="store_true", help="do not hide faces")
    video.add_argument("--no-plates", action="store_true", help="do not hide licence plates")
    _text_options(video)
    video.add_argument("--face-threshold", type=_fraction, default=0.25, help="lower finds more faces (default 0.25)")
    video.add_argument("--plate-threshold", type=_fraction, default=0.25, help="lower finds more plates (default 0.25)")
    video.add_argument(
        "--lookahead", type=_seconds, default=0.5, help="seconds a new detection is painted back in time (default 0.5)"
    )
    video.add_argument(
        "--crf", type=int, default=20, choices=range(0, 52), metavar="0-51", help="H.264 quality (default 20)"
    )
    video.add_argument("--overwrite", action="store_true", help="replace OUTPUT if it exists (never the input)")
    video.add_argument(
        "--keep-visible",
        action="append",
        default=[],
        metavar="NAME",
        help="leave this enrolled person unblurred (repeatable; see `privastream whitelist`)",
    )
    video.add_argument(
        "--report", action="store_true", help="also write OUTPUT.report.json: what was hidden when (no PII, no pixels)"
    )
    video.add_argument("--quiet", action="store_true", help="no progress bar")
    _speech_options(video, mode_flag="--speech-mode")
    video.add_argument("--no-mouth-blur", action="store_true", help="do not blur mouths while spoken PII is bleeped")

    audio = sub.add_parser("audio", help="bleep spoken PII (phone numbers, e-mails, ...) in an audio file")
    audio.add_argument("input", type=Path, help="audio (or video) to read: wav, flac, mp3, m4a... (never modified)")
    audio.add_argument("output", type=Path, help="where to write the redacted audio (.wav, .flac, .mp3 or .m4a)")
    _speech_options(audio, mode_flag="--mode", switch=False)
    audio.add_argument("--overwrite", action="store_true", help="replace OUTPUT if it exists (never the input)")

    sub.add_parser("models", help="list every model, where it comes from, its licence and status")

    people = sub.add_parser("whitelist", help="people who stay visible: enrol from photos, list, remove, move")
    people_sub = people.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = people_sub.add_parser("add", help="enrol a person from photos of them alone (2-5 different shots)")
    add.add_argument("name")
    add.add_argument("photos", nargs="+", type=Path)
    add.add_argument("--no-thumbnail", action="store_true", help="do not keep a small picture of the face")
    people_sub.add_parser("list", help="who is enrolled")
    remove = people_sub.add_parser("remove", help="forget a person (their face data is deleted)")
    remove.add_argument("name")
    people_sub.add_parser("clear", help="forget everybody")
    people_sub.add_parser("drop-thumbnails", help="delete the small face pictures, keep the people")
    export = people_sub.add_parser("export", help="write the whitelist to a file, to move it to another PC")
    export.add_argument("file", type=Path)
    load = people_sub.add_parser("import", help="add the people from an exported whitelist file")
    load.add_argument("file", type=Path)

    live = sub.add_parser("live", help="protect a camera (or a looping video file) live, without a window")
    live.add_argument("--source", default="0", help="camera number or video file (default 0)")
    live.add_argument("--vcam", action="store_true", help="send the protected picture to the virtual camera")
    live.add_argument("--delay", type=_delay, default=0.5, help="privacy delay in seconds, 0-3 (default 0.5)")
    live.add_argument("--no-faces", action="store_true")
    live.add_argument("--no-plates", action="store_true")
    _text_options(live)
    live.add_argument(
        "--term", action="append", default=[], metavar="TEXT", help="also hide this word or name on screen (repeatable)"
    )
    live.add_argument("--width", type=int, default=1280)
    live.add_argument("--height", type=int, default=720)
    live.add_argument("--fps", type=float, default=30.0)
    live.add_argument("--seconds", type=float, default=0.0, help="stop after this long (default: until Ctrl-C)")

    app = sub.add_parser("app", help="open the desktop app (the default with no command)")
    app.add_argument("--source", default=None, help="camera number or video file to start with")
    app.add_argument("--quit-after", type=float, default=None, metavar="S", help="close after S seconds")
    app.add_argument("--screenshot", default=None, metavar="PNG", help="with --quit-after: save the screen first")
    return parser


def _run_export(run: Callable[[], T], output: Path) -> T | None:
    """Run an export job; bad input or a failed write is one ``error:`` line and None, never a traceback."""
    from privastream_desktop.video_export import InputError

    try:
        return run()
    except (InputError, ModelError) as exc:
        print(f"error: {exc}", file=sys.stderr)
    except OSError as exc:
        print(f"error: could not write {output}: {exc.strerror or exc}", file=sys.stderr)
    return None


def _run_video(args: argparse.Namespace) -> int:
    from privastream_desktop.video_export import VideoRedactionJob

    if args.no_faces and args.no_plates and args.no_text and args.no_speech:
        print("error: nothing to hide: --no-faces, --no-plates, --no-text and --no-speech given", file=sys.stderr)
        return 1
    whitelist = None
    if args.keep_visible:
        from privastream_desktop.whitelist import Whitelist, WhitelistError

        try:
            whitelist = Whitelist.load()
            whitelist.keep_only_visible(args.keep_visible)
        except WhitelistError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
    settings = ProtectionSettings(
        whitelist=whitelist,
        faces=not args.no_faces,
        plates=not args.no_plates,
        text=not args.no_text,
        pii_kinds=args.pii_kinds,
        face_threshold=args.face_threshold,
        plate_threshold=args.plate_threshold,
        lookahead_s=args.lookahead,
        redaction=RedactionSettings(MaskStyle(args.style), args.strength, args.padding),
    )
    settings = _speech_settings(settings, args)
    job = VideoRedactionJob(
        args.input, args.output, settings, overwrite=args.overwrite, crf=args.crf, write_report=args.report
    )
    bars: list = []  # created on the first frame, so input errors print alone

    def progress(done: int, total: int) -> None:
        if args.quiet:
            return
        if not bars:
            from tqdm import tqdm

            bars.append(tqdm(total=total or None, unit="frame", desc="privastream", dynamic_ncols=True))
        bars[0].update(done - bars[0].n)

    try:
        report = _run_export(lambda: job.run(progress), args.output)
    finally:
        for bar in bars:
            bar.close()
    if report is None:
        return 1
    spoken = ""
    if report.audio and settings.speech:
        spoken = f", {len(report.speech_redactions)} spoken passage(s) hidden by {settings.speech_mode}"
    print(
        f"wrote {args.output}: {report.frames} frames in {report.seconds:.1f} s ({report.fps:.1f} frames/s), "
        f"audio {'kept' if report.audio else 'none in input'}{spoken}",
        file=sys.stderr,
    )
    if report.report_path is not None:
        print(f"wrote {report.report_path}", file=sys.stderr)
    if report.fail_closed_frames:
        reasons = "; ".join(f"{why} ({n})" for why, n in report.fail_closed_reasons.most_common())
        print(f"warning: {report.fail_closed_frames} frames fully blurred because: {reasons}", file=sys.stderr)
    return 0


def _run_audio(args: argparse.Namespace) -> int:
    from privastream_desktop.audio.files import AudioRedactionJob

    settings = _speech_settings(ProtectionSettings(faces=False, plates=False), args)
    job = AudioRedactionJob(args.input, args.output, settings, overwrite=args.overwrite)
    report = _run_export(job.run, args.output)
    if report is None:
        return 1
    kinds = sorted({r.kind.value for r in report.redactions})
    print(
        f"wrote {args.output}: {report.duration:.1f} s of audio in {report.seconds:.1f} s, "
        f"{len(report.redactions)} passage(s) hidden ({report.redacted_s:.1f} s"
        + (f": {', '.join(kinds)}" if kinds else "")
        + f") by {settings.speech_mode}",
        file=sys.stderr,
    )
    return 0


def _run_models() -> int:
    try:
        store = ModelStore()
    except ModelError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    failing = 0
    for spec in store.specs():
        status = store.status(spec.id)
        failing += status.state != "ok"
        print(f"{spec.id}  [{status.state}]")
        print(f"  kind:    {spec.kind}")
        print(f"  file:    {status.path}")
        print(f"  source:  {spec.source}")
        print(f"  licence: {spec.licence}")
        print(f"  sha256:  {spec.sha256}")
        print(f"  input:   {spec.input}")
    return 1 if failing else 0


def _run_live(args: argparse.Namespace) -> int:
    import threading
    import time

    from privastream_desktop.live import LivePipeline, open_live_source
    from privastream_desktop.sinks import FrameSink, VirtualCameraSink, VirtualCameraUnavailable
    from privastream_desktop.sources import SourceError

    settings = ProtectionSettings(
        faces=not args.no_faces,
        plates=not args.no_plates,
        text=not args.no_text,
        pii_kinds=args.pii_kinds,
        sensitive_terms=tuple(dict.fromkeys(args.term)),
    )
    try:
        source = open_live_source(args.source, args.width, args.height, args.fps)
    except SourceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    sinks: list[FrameSink] = []
    try:
        if args.vcam:
            sinks.append(VirtualCameraSink(source.width, source.height, source.fps))
            print(f"virtual camera: {sinks[0].name}", file=sys.stderr)
        pipeline = LivePipeline(source, settings, delay_s=args.delay, sinks=sinks)
    except (VirtualCameraUnavailable, ModelError) as exc:
        source.close()
        print(f"error: {exc}", file=sys.stderr)
        return 1
    stop = threading.Event()
    runner = threading.Thread(target=pipeline.run, args=(stop,), daemon=True)
    runner.start()
    started = time.monotonic()
    try:
        while runner.is_alive() and not (args.seconds and time.monotonic() - started >= args.seconds):
            runner.join(1.0)
            s = pipeline.stats()
            state = "FAILING CLOSED: " + "; ".join(s.last_fail_reasons) if s.failing_now else "ok"
            print(
                f"in {s.fps_in:4.1f} fps  out {s.fps_out:4.1f} fps  latency p50 {s.latency_p50_ms:4.0f} ms "
                f"p95 {s.latency_p95_ms:4.0f} ms  CPU {s.cpu_percent:3.0f}%  {state}",
                file=sys.stderr,
            )
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        runner.join(5.0)
        for sink in sinks:
            sink.close()
        source.close()
    return 0


def _run_whitelist(args: argparse.Namespace) -> int:

    from privastream_desktop.whitelist import Whitelist, WhitelistError

    try:
        whitelist = Whitelist.load()
        if args.action == "add":
            from privastream_desktop.detectors.faces import FaceDetector
            from privastream_desktop.identity import FaceEmbedder, check_sample, samples_from_photos

            detector, embedder = FaceDetector(), FaceEmbedder()
            samples, problems = samples_from_photos(
                args.photos, lambda image: check_sample(image, detector.detect(image), embedder)
            )
            for problem in problems:
                print(f"skipped {problem}", file=sys.stderr)
            if not samples:
                print(f"error: no usable photo of {args.name}; nothing was saved", file=sys.stderr)
                return 1
            thumbnail = b"" if args.no_thumbnail else samples[0].thumbnail_jpeg
            whitelist.add(args.name, [s.embedding for s in samples], thumbnail)
            print(f"enrolled {args.name} from {len(samples)} photo(s); stored in {whitelist.save()}")
        elif args.action == "list":
            for person in whitelist.people:
                state = "visible" if person.visible else "hidden"
                print(f"{person.name}  ({len(person.embeddings)} samples, {state})")
            if not whitelist.people:
                print("nobody is enrolled: every face is blurred")
        elif args.action == "remove":
            whitelist.delete(args.name)
            whitelist.save()
            print(f"removed {args.name}")
        elif args.action == "clear":
            whitelist.delete_all()
            whitelist.save()
            print("removed everybody")
        elif args.action == "drop-thumbnails":
            whitelist.drop_thumbnails()
            whitelist.save()
            print("deleted every thumbnail")
        elif args.action == "export":
            print(f"wrote {whitelist.export_to(args.file)} (it holds face data: keep it private)")
        elif args.action == "import":
            added = whitelist.import_from(args.file)
            whitelist.save()
            print(f"imported {', '.join(added) or 'nobody new'}")
    except (WhitelistError, ModelError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "video":
            return _run_video(args)
        if args.command == "audio":
            return _run_audio(args)
        if args.command == "models":
            return _run_models()
        if args.command == "live":
            return _run_live(args)
        if args.command == "whitelist":
            return _run_whitelist(args)
    except KeyboardInterrupt:
        print("\ninterrupted: nothing was written", file=sys.stderr)
        return 130
    from privastream_desktop.ui.app import run_app

    return run_app(
        source=getattr(args, "source", None),
        screenshot=getattr(args, "screenshot", None),
        quit_after=getattr(args, "quit_after", None),
    )
