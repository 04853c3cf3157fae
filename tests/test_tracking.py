from privastream_desktop.regions import Box, Region, RegionKind
from privastream_desktop.tracking import TrackStabilizer

W, H = 1280, 720


def face(x: float, y: float = 300, size: float = 80) -> Region:
    return Region(RegionKind.FACE, Box(x, y, x + size, y + size), 0.9)


def covers(regions: list[Region], truth: Box, fraction: float = 0.95) -> bool:
    """True when the union of masks covers ``fraction`` of the truth box (sampled on a grid)."""
    inside = total = 0
    steps = 20
    for i in range(steps):
        for j in range(steps):
            px = truth.x1 + (i + 0.5) * truth.width / steps
            py = truth.y1 + (j + 0.5) * truth.height / steps
            total += 1
            inside += any(r.box.x1 <= px < r.box.x2 and r.box.y1 <= py < r.box.y2 for r in regions)
    return inside / total >= fraction


def test_face_missed_for_three_frames_stays_masked():
    tracker = TrackStabilizer(RegionKind.FACE, hold_frames=15, lead_frames=15)
    speed = 12.0
    for i in range(10):
        seen = i not in (3, 4, 5)
        tracker.update(i, [face(100 + speed * i)] if seen else [])
    for i in range(10):
        truth = face(100 + speed * i).box
        assert covers(tracker.regions_at(i, W, H), truth), f"frame {i} not covered"


def test_missing_detections_are_not_masked_as_nothing_when_never_seen_again():
    tracker = TrackStabilizer(RegionKind.FACE, hold_frames=5, lead_frames=5)
    for i in range(4):
        tracker.update(i, [face(200 + 10 * i)])
    for i in range(4, 30):
        tracker.update(i, [])
    # held (and extrapolated) for 5 frames after the last sighting, then released
    assert covers(tracker.regions_at(5, W, H), face(250).box)
    assert covers(tracker.regions_at(5, W, H), face(230).box), "a face that stopped must stay covered too"
    assert tracker.regions_at(9, W, H) == []


def test_new_track_is_painted_back_into_earlier_frames():
    """A face entering from the left edge is masked before its first detection."""
    tracker = TrackStabilizer(RegionKind.FACE, hold_frames=10, lead_frames=10)
    speed = 15.0
    for i in range(10, 16):
        tracker.update(i, [face(-20 + speed * (i - 10))])
    for i in range(4, 10):
        truth = face(-20 + speed * (i - 10)).box.clipped(W, H)
        if truth.area == 0:
            continue
        assert covers(tracker.regions_at(i, W, H), truth), f"frame {i} before first detection not covered"
    assert tracker.regions_at(10 - 11, W, H) == []


def test_stride_gaps_are_interpolated():
    tracker = TrackStabilizer(RegionKind.FACE)
    for i in range(0, 20, 4):
        tracker.update(i, [face(100 + 10 * i, y=200 + 3 * i)])
    for i in range(17):
        truth = face(100 + 10 * i, y=200 + 3 * i).box
        assert covers(tracker.regions_at(i, W, H), truth), f"frame {i} between keyframes not covered"


def test_two_crossing_faces_keep_their_tracks():
    tracker = TrackStabilizer(RegionKind.FACE)
    for i in range(30):
        a = face(100 + 30 * i, y=200)
        b = face(1000 - 30 * i, y=260)
        tracker.update(i, [a, b])
    assert len(tracker.tracks) == 2
    for track in tracker.tracks:
        xs = [o.box.x1 for o in track.observations]
        assert xs == sorted(xs) or xs == sorted(xs, reverse=True), "identities swapped while crossing"


def test_masks_are_clipped_to_the_frame_and_old_tracks_forgotten():
    tracker = TrackStabilizer(RegionKind.PLATE, hold_frames=3)
    tracker.update(0, [Region(RegionKind.PLATE, Box(1250, 700, 1330, 760))])
    (region,) = tracker.regions_at(0, W, H)
    assert region.kind is RegionKind.PLATE
    assert region.box.x2 <= W and region.box.y2 <= H
    tracker.forget_before(10)
    assert tracker.tracks == []
