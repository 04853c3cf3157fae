"""``privastream`` command line: the engine without a window.

Every user mistake ends in one ``error:`` line and exit status 1, never a
traceback; Ctrl-C ends with status 130 and leaves no partial output.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from privastream_desktop import __version__
from privastream_desktop.engine import ProtectionSettings
from privastream_desktop.model_store import ModelError, ModelStore
from privastream_desktop.redactor import MaskStyle, RedactionSettings


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


def _seconds(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 5.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 5 seconds, got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="privastream",
        description="Hide faces and licence plates in video, on this machine, with no cloud.",
    )
    parser.add_argument("--version", action="version", version=f"privastream {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    video = sub.add_parser("video", help="redact a video file (faces, plates), keeping its audio")
    video.add_argument("input", type=Path, help="video to read (never modified)")
    video.add_argument("output", type=Path, help="where to write the redacted video (.mp4, .mov or .mkv)")
    video.add_argument("--style", choices=[s.value for s in MaskStyle], default=MaskStyle.BLUR.value)
    video.add_argument("--strength", type=_fraction, default=0.8, help="0..1, how strongly masks hide (default 0.8)")
    video.add_argument("--padding", type=_padding, default=1.4, help="mask scale around each detection (default 1.4)")
    video.add_argument("--no-faces", action="store_true", help="do not hide faces")
    video.add_argument("--no-plates", action="store_true", help="do not hide licence plates")
    video.add_argument("--face-threshold", type=_fraction, default=0.25, help="lower finds more faces (default 0.25)")
    video.add_argument("--plate-threshold", type=_fraction, default=0.25, help="lower finds more plates (default 0.25)")
    video.add_argument(
        "--lookahead", type=_seconds, default=0.5, help="seconds a new detection is painted back in time (default 0.5)"
    )
    video.add_argument(
        "--crf", type=int, default=20, choices=range(0, 52), metavar="0-51", help="H.264 quality (default 20)"
    )
    video.add_argument("--overwrite", action="store_true", help="replace OUTPUT if it exists (never the input)")
    video.add_argument("--quiet", action="store_true", help="no progress bar")

    sub.add_parser("models", help="list every model, where it comes from, its licence and status")
    return parser


def _run_video(args: argparse.Namespace) -> int:
    from privastream_desktop.video_export import InputError, VideoRedactionJob

    if args.no_faces and args.no_plates:
        print("error: nothing to hide: both --no-faces and --no-plates given", file=sys.stderr)
        return 1
    settings = ProtectionSettings(
        faces=not args.no_faces,
        plates=not args.no_plates,
        face_threshold=args.face_threshold,
        plate_threshold=args.plate_threshold,
        lookahead_s=args.lookahead,
        redaction=RedactionSettings(MaskStyle(args.style), args.strength, args.padding),
    )
    job = VideoRedactionJob(args.input, args.output, settings, overwrite=args.overwrite, crf=args.crf)
    bars: list = []  # created on the first frame, so input errors print alone

    def progress(done: int, total: int) -> None:
        if args.quiet:
            return
        if not bars:
            from tqdm import tqdm

            bars.append(tqdm(total=total or None, unit="frame", desc="privastream", dynamic_ncols=True))
        bars[0].update(done - bars[0].n)

    try:
        report = job.run(progress)
    except (InputError, ModelError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"error: could not write {args.output}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    finally:
        for bar in bars:
            bar.close()
    print(
        f"wrote {args.output}: {report.frames} frames in {report.seconds:.1f} s ({report.fps:.1f} frames/s), "
        f"audio {'kept' if report.audio else 'none in input'}",
        file=sys.stderr,
    )
    if report.fail_closed_frames:
        reasons = "; ".join(f"{why} ({n})" for why, n in report.fail_closed_reasons.most_common())
        print(f"warning: {report.fail_closed_frames} frames fully blurred because: {reasons}", file=sys.stderr)
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


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "video":
            return _run_video(args)
        if args.command == "models":
            return _run_models()
    except KeyboardInterrupt:
        print("\ninterrupted: nothing was written", file=sys.stderr)
        return 130
    parser.print_help()
    return 0
