"""Builds the privacy engine from user settings, for every front end alike.

The CLI, the desktop app and the tests all call ``build_delay_line`` so that a
setting means the same thing everywhere.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from privastream_desktop.delay_line import DetectorLane, PrivacyDelayLine
from privastream_desktop.detectors import Detector
from privastream_desktop.model_store import ModelStore
from privastream_desktop.redactor import RedactionSettings
from privastream_desktop.regions import RegionKind
from privastream_desktop.tracking import TrackStabilizer
from privastream_desktop.whitelist import Whitelist

if TYPE_CHECKING:
    from privastream_desktop.pii import PiiKind


@dataclass(slots=True)
class ProtectionSettings:
    """What to hide and how hard to look.

    Strides trade CPU for latency of a first detection: a face is looked for
    every ``face_stride``-th frame and the tracker fills the frames between.
    ``lookahead_s`` is the file-mode privacy delay: how far back a new
    detection is painted into frames not yet written.
    """

    faces: bool = True
    plates: bool = True
    face_threshold: float = 0.25
    plate_threshold: float = 0.25
    plate_input_width: int = 640
    face_input_width: int = 800
    face_stride: int = 3
    plate_stride: int = 4
    hold_s: float = 0.5
    lookahead_s: float = 0.5
    threads_per_detector: int = 1
    face_workers: int = 2
    redaction: RedactionSettings = field(default_factory=RedactionSettings)
    whitelist: Whitelist | None = None  # enrolled people who stay visible; None: blur every face
    identify_every: int = 2  # describe faces on every n-th look (an embedding costs ~60 ms per face)
    # On-screen text PII (detectors/text.py, text_tracking.py). OCR looks every text_interval_s and reads
    # only what changed since its last look. Live, a look may take as long as it needs (holds are checked on
    # every frame's pixels), but one running over text_stuck_s fails frames closed; OCR rests after each
    # look so it takes about text_live_duty of one core (the face lane keeps 30 fps).
    text: bool = True
    pii_kinds: frozenset[PiiKind] | None = None  # None: every kind
    sensitive_terms: tuple[str, ...] = ()  # the user's own (real name, home town...), for text and speech
    text_interval_s: float = 0.33
    text_stuck_s: float = 8.0
    text_live_budget_s: float = 0.5  # live: OCR per look; fresh small changes first, the rest next look
    text_live_duty: float = 0.5
    # Spoken PII (audio/): bleep, mute or muffle what is said, padded by the measured Whisper timestamp
    # error; mouth_blur hides the lips of every face while it is said.
    speech: bool = True
    speech_mode: str = "bleep"  # "bleep" | "mute" | "muffle"
    bleep_hz: float = 1000.0
    speech_pad_s: float = 0.25
    mouth_blur: bool = True


# What each lane is built from. A live settings change rebuilds a lane only when one of its own fields
# changed (LivePipeline, PrivacyDelayLine.replace_lane); every field of ProtectionSettings is in one lane's
# list or in NOT_LANE_FIELDS (tests/test_live_settings.py checks), so a new setting cannot be missed.
LANE_FIELDS: dict[RegionKind, tuple[str, ...]] = {
    RegionKind.FACE: (
        "faces", "face_threshold", "face_input_width", "face_stride", "face_workers", "hold_s", "lookahead_s",
        "threads_per_detector", "whitelist", "identify_every",
    ),
    RegionKind.PLATE: (
        "plates", "plate_threshold", "plate_input_width", "plate_stride", "hold_s", "lookahead_s",
        "threads_per_detector",
    ),
    RegionKind.TEXT: (
        "text", "pii_kinds", "sensitive_terms", "threads_per_detector", "text_interval_s", "text_stuck_s",
        "text_live_budget_s", "text_live_duty",
    ),
}  # fmt: skip
# how frames are painted (the redactor) and what the audio side does: no video lane reads them
NOT_LANE_FIELDS = ("redaction", "speech", "speech_mode", "bleep_hz", "speech_pad_s", "mouth_blur")
LANE_ORDER = (RegionKind.FACE, RegionKind.PLATE, RegionKind.TEXT)


def lane_enabled(settings: ProtectionSettings, kind: RegionKind) -> bool:
    return bool(getattr(settings, LANE_FIELDS[kind][0]))


def lane_changed(old: ProtectionSettings, new: ProtectionSettings, kind: RegionKind) -> bool:
    """Whether the lane for ``kind`` built from ``old`` differs from one built from ``new`` (or is switched)."""
    if not lane_enabled(old, kind) and not lane_enabled(new, kind):
        return False
    for name in LANE_FIELDS[kind]:
        a, b = getattr(old, name), getattr(new, name)
        # the face lane holds the whitelist object itself (people enrolled later count at once): another
        # object, even an equal one, needs a new lane
        if (a is not b) if name == "whitelist" else (a != b):
            return True
    return False


def build_lanes(
    settings: ProtectionSettings,
    fps: float,
    store: ModelStore | None = None,
    *,
    live: bool = False,
    kinds: Collection[RegionKind] | None = None,
) -> list[DetectorLane]:
    """Load the enabled detectors, or only those of ``kinds`` (raises ModelError with a fix-it message);
    if one fails, the ones already loaded are closed.

    ``live`` halves the face-identification rate so that, on 2 cores, the face lane keeps
    pace with 30 fps video (measured: benchmarks/bench_live.py --whitelist).
    """
    store = store or ModelStore()
    lanes: list[DetectorLane] = []
    try:
        for kind in LANE_ORDER:
            if (kind in kinds) if kinds is not None else lane_enabled(settings, kind):
                lanes.append(build_lane(kind, settings, fps, store, live=live))
    except BaseException:
        for lane in lanes:
            lane.close()
        raise
    return lanes


def build_lane(
    kind: RegionKind, settings: ProtectionSettings, fps: float, store: ModelStore | None = None, *, live: bool = False
) -> DetectorLane:
    """The lane for one kind of region (see ``build_lanes``)."""
    store = store or ModelStore()
    hold = max(1, round(settings.hold_s * fps))
    lead = max(1, round(settings.lookahead_s * fps))
    if kind is RegionKind.FACE:
        from privastream_desktop.detectors.faces import FaceDetector

        faces = FaceDetector(
            store,
            input_width=settings.face_input_width,
            threshold=settings.face_threshold,
            threads=settings.threads_per_detector,
        )
        tracker = TrackStabilizer(
            RegionKind.FACE,
            hold_frames=hold,
            lead_frames=lead,
            is_visible=settings.whitelist.is_visible if settings.whitelist is not None else None,
            identity_grace_frames=2 * settings.face_stride * settings.identify_every,
        )
        detector: Detector = faces
        # Wrapped even while nobody is enrolled, so people added live count at once; an empty
        # whitelist costs nothing per frame (the embedder is skipped).
        if settings.whitelist is not None:
            from privastream_desktop.identity import IdentifyingFaceDetector, ProcessFaceEmbedder

            detector = IdentifyingFaceDetector(
                faces,
                ProcessFaceEmbedder(store),
                settings.whitelist,
                settings.identify_every,
                hints=lambda: tracker.identity_hints,
                # live: one face every 2nd look keeps 30 fps on 2 cores; exports can afford more
                per_look=1 if live else 2,
                looks_per_embedding=2 if live else 1,
            )
        return DetectorLane(detector, tracker, stride=settings.face_stride, workers=settings.face_workers)
    if kind is RegionKind.PLATE:
        from privastream_desktop.detectors.plates import PlateDetector

        plates = PlateDetector(
            store,
            input_width=settings.plate_input_width,
            threshold=settings.plate_threshold,
            threads=settings.threads_per_detector,
        )
        tracker = TrackStabilizer(RegionKind.PLATE, hold_frames=hold, lead_frames=lead)
        return DetectorLane(plates, tracker, stride=settings.plate_stride)
    if kind is RegionKind.TEXT:
        from privastream_desktop.detectors.text import TextPiiDetector
        from privastream_desktop.text_tracking import TextRegionHold

        stride = text_stride(settings, fps)
        text = TextPiiDetector(
            store,
            kinds=settings.pii_kinds,
            terms=settings.sensitive_terms,
            threads=settings.threads_per_detector,
            budget_s=settings.text_live_budget_s if live else None,
        )
        # pixels kept for the frames a look may still rule on: the delay (up to 3 s) and a little more
        holds = TextRegionHold(
            bridge_frames=max(2 * stride, round(fps)), grace_frames=round(0.5 * fps), max_frames=round(5.0 * fps)
        )
        return DetectorLane(
            text,
            holds,  # type: ignore[arg-type]
            stride=stride,
            workers=1,  # the detector remembers what it read: one look at a time, in order
            stuck_after_s=settings.text_stuck_s,
            duty=settings.text_live_duty if live else 1.0,
        )
    raise ValueError(f"no detector lane for {kind}")


def text_stride(settings: ProtectionSettings, fps: float) -> int:
    """Frames between two OCR looks."""
    return max(1, round(settings.text_interval_s * fps))


def build_delay_line(
    settings: ProtectionSettings,
    fps: float,
    *,
    realtime_delay_s: float | None = None,
    store: ModelStore | None = None,
) -> PrivacyDelayLine:
    lanes = build_lanes(settings, fps, store, live=realtime_delay_s is not None)
    return PrivacyDelayLine(lanes, lookahead_frames=lookahead_frames(settings, fps), realtime_delay_s=realtime_delay_s)


def lookahead_frames(settings: ProtectionSettings, fps: float) -> int:
    """File mode: the lookahead must reach the next look of every lane, or a new detection cannot be painted back."""
    strides = [settings.face_stride, settings.plate_stride] + ([text_stride(settings, fps)] if settings.text else [])
    return max(*strides, round(settings.lookahead_s * fps))
