"""Synthetic scenes: the ground truth that detector tests and benchmarks lean on must itself be right."""

from __future__ import annotations

import json
import math

import av
import cv2
import numpy as np
import pytest

from privastream_desktop import samples
from privastream_desktop.samples import SCENES, SceneFrame, TruthBox, render_scene, write_sample_clip


def _render(name: str, **kwargs: object) -> list[SceneFrame]:
    return list(render_scene(name, **kwargs))  # type: ignore[arg-type]


@pytest.mark.parametrize("name", SCENES)
def test_scene_is_deterministic(name: str) -> None:
    first = _render(name, width=320, height=180, seconds=0.5, seed=3)
    second = _render(name, width=320, height=180, seconds=0.5, seed=3)
    assert len(first) == len(second) == 15
    for a, b in zip(first, second, strict=True):
        assert a.index == b.index
        assert np.array_equal(a.image, b.image)
        assert a.truth == b.truth
    other = _render(name, width=320, height=180, seconds=0.5, seed=4)
    assert any(not np.array_equal(a.image, b.image) for a, b in zip(first, other, strict=True))


@pytest.mark.parametrize("name", SCENES)
def test_truth_boxes_lie_inside_the_frame(name: str) -> None:
    width, height = 640, 360
    frames = _render(name, width=width, height=height, fps=10, seconds=4.0)
    assert [f.index for f in frames] == list(range(40))
    kinds = set()
    for frame in frames:
        assert frame.image.shape == (height, width, 3)
        assert frame.image.dtype == np.uint8
        ids = [t.object_id for t in frame.truth]
        assert len(ids) == len(set(ids))
        for truth in frame.truth:
            x1, y1, x2, y2 = truth.box
            assert all(isinstance(v, int) for v in truth.box)
            assert 0 <= x1 < x2 <= width and 0 <= y1 < y2 <= height, truth
            assert 0.0 < truth.visible_fraction <= 1.0
            kinds.add(truth.kind)
    expected = {"moving_plates": {"plate"}, "mixed": {"face", "plate"}}.get(name, {"face"})
    assert kinds == expected


def test_frames_are_independent_arrays() -> None:
    frames = _render("small_faces", width=320, height=180, seconds=0.2)
    frames[0].image[:] = 0
    again = next(render_scene("small_faces", width=320, height=180, seconds=0.2))
    assert again.image.any()


def test_edge_entry_faces_start_partially_visible() -> None:
    width, height = 1280, 720
    frames = _render("edge_entry", width=width, height=height, seconds=4.0)
    first = frames[0].truth
    assert len(first) >= 3
    for truth in first:
        assert truth.kind == "face"
        assert 0.1 < truth.visible_fraction < 0.7, truth
        x1, y1, x2, y2 = truth.box
        assert x1 == 0 or y1 == 0 or x2 == width or y2 == height, truth
    first_seen: dict[int, TruthBox] = {}
    best: dict[int, float] = {}
    for frame in frames:
        for truth in frame.truth:
            first_seen.setdefault(truth.object_id, truth)
            best[truth.object_id] = max(best.get(truth.object_id, 0.0), truth.visible_fraction)
    assert len(first_seen) >= 4  # one more face enters later from fully outside
    assert all(t.visible_fraction < 0.9 for t in first_seen.values())
    assert all(v > 0.99 for v in best.values())  # and every face then comes fully into view


def _sizes(name: str, kind: str) -> list[float]:
    out = []
    for frame in render_scene(name, seconds=4.0):
        for truth in frame.truth:
            if truth.kind == kind and truth.visible_fraction >= 0.999:
                x1, y1, x2, y2 = truth.box
                out.append(y2 - y1 if kind == "face" else x2 - x1)
    return out


@pytest.mark.parametrize(
    ("name", "kind", "low", "high"),
    [
        ("moving_camera", "face", 75, 215),  # 80-200 px faces, plus roll and rounding
        ("small_faces", "face", 27, 66),  # 30-60 px
        ("moving_plates", "plate", 55, 210),  # plates 60-200 px wide
        ("mixed", "face", 75, 160),
        ("mixed", "plate", 60, 190),
    ],
)
def test_presets_keep_their_promised_sizes(name: str, kind: str, low: float, high: float) -> None:
    sizes = _sizes(name, kind)
    assert sizes
    assert low <= min(sizes) and max(sizes) <= high, (min(sizes), max(sizes))


def test_small_faces_has_four_to_six_faces() -> None:
    for seed in range(4):
        frame = next(render_scene("small_faces", seconds=0.1, seed=seed))
        assert 4 <= len(frame.truth) <= 6


@pytest.mark.parametrize(("scale", "roll"), [(1.0, 0.0), (0.37, 0.0), (0.13, 0.0), (0.8, 0.3)])
def test_truth_box_matches_the_drawn_pixels(scale: float, roll: float) -> None:
    """The sprite-to-frame transform (pyramid level, pixel-centre convention) must put pixels where truth says."""
    bgra = np.zeros((120, 160, 4), np.uint8)
    bgra[:, :, :3], bgra[:, :, 3] = 60, 255
    bgra[30:90, 40:120, :3] = 255  # the "object": x 40..120, y 30..90 in edge coordinates
    sprite = samples._make_sprite("face", bgra, (40.0, 30.0, 120.0, 90.0), 60.0)
    actor = samples._Actor(1, sprite, (203.3, 151.7), (203.3, 151.7), (60.0 * scale, 60.0 * scale))
    if roll:  # a constant roll, via a wobble that is at its peak at t = 0
        actor = samples._Actor(
            1, sprite, actor.start, actor.end, actor.size, roll=math.degrees(roll), phases=(0, 0, 0, math.pi / 2)
        )
    frame = np.zeros((300, 400, 3), np.uint8)
    full, _ = samples._draw(frame, actor, 0.0, (0, 0, 400, 300))
    assert full is not None
    truth = samples._truth(actor, full, [], 400, 300)
    assert truth is not None and truth.visible_fraction == 1.0
    ys, xs = np.nonzero(frame[:, :, 0] > 160)
    drawn = (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)
    assert all(abs(a - b) <= 1 for a, b in zip(drawn, truth.box, strict=True)), (drawn, truth.box)


def test_occluded_objects_report_less_visibility() -> None:
    bgra = np.full((40, 40, 4), 255, np.uint8)
    sprite = samples._make_sprite("face", bgra, (0.0, 0.0, 40.0, 40.0), 40.0)
    back = samples._Actor(1, sprite, (100.0, 100.0), (100.0, 100.0), (40.0, 40.0))
    front = samples._Actor(2, sprite, (120.0, 100.0), (120.0, 100.0), (40.0, 40.0))
    frame = np.zeros((200, 200, 3), np.uint8)
    full_back, _ = samples._draw(frame, back, 0.0, (0, 0, 200, 200))
    _, mask = samples._draw(frame, front, 0.0, (0, 0, 200, 200))
    assert full_back is not None and mask is not None
    truth = samples._truth(back, full_back, [mask], 200, 200)
    assert truth is not None
    assert truth.visible_fraction == pytest.approx(0.5, abs=0.03)


def test_sample_faces_are_described() -> None:
    folder = samples._samples_dir() / "faces"
    meta = json.loads((folder / "faces.json").read_text(encoding="utf-8"))
    people = {entry["person"] for entry in meta["faces"]}
    assert len(people) >= 5
    sources = (samples._samples_dir() / "SOURCES.md").read_text(encoding="utf-8")
    for entry, sprite in zip(meta["faces"], samples._face_sprites(), strict=True):
        assert entry["file"] in sources
        w, h = entry["size"]
        x1, y1, x2, y2 = entry["face_box"]
        assert 0 <= x1 < x2 <= w and 0 <= y1 < y2 <= h
        assert sprite.levels[0].shape[0] >= h and sprite.levels[0].shape[1] >= w
        # the face itself is opaque, and the sprite fades out before its own border
        cx, cy = int((x1 + x2) / 2), int((y1 + y2) / 2)
        assert sprite.levels[0][cy, cx, 3] == 255
        alpha = sprite.levels[0][:, :, 3]
        assert alpha[0].max() == alpha[-1].max() == alpha[:, 0].max() == alpha[:, -1].max() == 0


def test_unknown_scene_is_rejected() -> None:
    with pytest.raises(ValueError, match="moving_camera"):
        next(render_scene("nope"))


def _read_back(path):  # type: ignore[no-untyped-def]
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        audio = container.streams.audio[0] if container.streams.audio else None
        info = {
            "codec": video.codec_context.name,
            "size": (video.codec_context.width, video.codec_context.height),
            "audio": None if audio is None else (audio.codec_context.name, audio.rate, audio.layout.name),
        }
        frames = sum(1 for _ in container.decode(video=0))
    samples_ = []
    if audio is not None:
        with av.open(str(path)) as container:
            samples_ = [f.to_ndarray().reshape(-1) for f in container.decode(audio=0)]
    return info, frames, np.concatenate(samples_) if samples_ else np.zeros(0)


def test_write_sample_clip_round_trips(tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = write_sample_clip(tmp_path / "clip.mp4", scene="mixed", seconds=1.0, width=320, height=240, fps=30)
    assert out == tmp_path / "clip.mp4"
    assert [p.name for p in tmp_path.iterdir()] == ["clip.mp4"]  # the temp file was renamed, not left behind
    info, frames, pcm = _read_back(out)
    assert info["codec"] == "h264"
    assert info["size"] == (320, 240)
    assert abs(frames - 30) <= 1
    assert info["audio"] == ("aac", 48000, "mono")
    assert abs(len(pcm) - 48000) <= 2048
    assert float(np.sqrt(np.mean(pcm**2))) > 0.02  # audible, not silence


def test_write_sample_clip_without_audio(tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = write_sample_clip(tmp_path / "quiet.mp4", "edge_entry", 0.5, 320, 180, 24, with_audio=False)
    info, frames, _ = _read_back(out)
    assert info["audio"] is None
    assert info["size"] == (320, 180)
    assert abs(frames - 12) <= 1


def test_write_sample_clip_rejects_odd_sizes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError):
        write_sample_clip(tmp_path / "odd.mp4", seconds=0.1, width=321, height=240)
    assert not list(tmp_path.iterdir())


def test_command_line_writes_a_clip(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "sub" / "cli.mp4"
    argv = [str(out), "--scene", "moving_plates", "--seconds", "0.5", "--width", "320", "--height", "180"]
    assert samples.main(argv) == 0
    assert str(out) in capsys.readouterr().out
    _, frames, _ = _read_back(out)
    assert abs(frames - 15) <= 1


def test_plate_photos_are_used_when_shipped(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    plates = tmp_path / "plates"
    plates.mkdir()
    photo = np.full((100, 300, 3), 90, np.uint8)
    photo[20:70, 40:260] = 240
    cv2.imwrite(str(plates / "p1.png"), photo)
    entries = [
        {"file": "p1.png", "corners": [[40, 20], [260, 20], [260, 70], [40, 70]]},
        {"file": "missing.png", "box": [0, 0, 10, 10]},
        {"corners": "not a plate"},
    ]
    (plates / "plates.json").write_text(json.dumps({"plates": entries}), encoding="utf-8")
    monkeypatch.setattr(samples, "_samples_dir", lambda: tmp_path)
    samples._plate_photos.cache_clear()
    try:
        found = samples._plate_photos()
        assert len(found) == 1
        assert found[0].shape[1] == 760 and found[0].shape[0] == round(760 * 50 / 220)
        assert found[0][5:-5, 5:-5].min() > 200  # rectified to the plate itself, no surround
    finally:
        samples._plate_photos.cache_clear()
