"""`privastream audio`: end to end on a spoken clip, and one clear line for every bad input."""

import subprocess
import sys

import av
import numpy as np
import pytest

from privastream_desktop import cli
from privastream_desktop.audio.files import decode_audio, write_audio
from tests.audio.speech_helpers import needs_espeak, phone_clip
from tests.media import write_clip


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "privastream_desktop", *args], capture_output=True, text=True, timeout=180
    )


def clean_error(capsys, argv: list[str], fragment: str) -> None:
    assert cli.main(argv) == 1
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert "Traceback" not in err and len(lines) == 1 and lines[0].startswith("error: "), err
    assert fragment in lines[0], lines[0]


@pytest.fixture(scope="module")
def spoken(tmp_path_factory):
    """Stereo 44.1 kHz wav of the phone clip, to check rate and channels survive."""
    clip = phone_clip(44100)
    path = tmp_path_factory.mktemp("spoken") / "in.wav"
    write_audio(path, np.stack([clip.audio, clip.audio * 0.8], axis=1), 44100)
    return path, clip


@needs_espeak
@pytest.mark.parametrize("ext", [".wav", ".m4a"])
def test_audio_command_bleeps_the_number_and_keeps_the_format(spoken, tmp_path, ext):
    src, clip = spoken
    dst = tmp_path / f"out{ext}"
    before = src.read_bytes()
    result = run_cli("audio", str(src), str(dst))
    assert result.returncode == 0, result.stderr
    assert "1 passage(s) hidden" in result.stderr and "Traceback" not in result.stderr
    assert src.read_bytes() == before, "the input is never modified"
    with av.open(str(dst)) as c:
        stream = c.streams.audio[0]
        assert stream.rate == 44100 and stream.codec_context.channels == 2
    out = decode_audio(dst).samples
    ((_, a, b),) = clip.pii
    seg = out[int((a + 0.1) * 44100) : int((b - 0.1) * 44100), 0]
    spectrum = np.abs(np.fft.rfft(seg * np.hanning(len(seg))))
    peak = np.fft.rfftfreq(len(seg), 1 / 44100)[np.argmax(spectrum)]
    assert abs(peak - 1000) < 10, f"the number should be a 1 kHz bleep, strongest frequency {peak:.0f} Hz"
    if ext == ".wav":  # lossless: benign speech before the number is kept sample for sample (16-bit)
        original = decode_audio(src).samples
        lo, hi = int(clip.benign[0][0] * 44100), int((a - 0.7) * 44100)
        assert np.abs(out[lo:hi] - original[lo:hi]).max() < 1e-4


@needs_espeak
def test_mute_mode_and_terms(spoken, tmp_path):
    src, clip = spoken
    dst = tmp_path / "muted.flac"
    assert cli.main(["audio", str(src), str(dst), "--mode", "mute", "--term", "chat"]) == 0
    out = decode_audio(dst).samples
    ((_, a, b),) = clip.pii
    assert np.abs(out[int((a + 0.05) * 44100) : int((b - 0.05) * 44100)]).max() == 0.0
    # "Hi chat, my number is": --term hides "chat" too (muted samples are exactly zero in a lossless file)
    start, end = clip.benign[0]
    first = out[int(start * 44100) : int(end * 44100), 0]
    assert (first == 0.0).sum() / 44100 > 0.2, "a --term word must be hidden too"
    # ... but not the whole sentence: "my number is" between the two stays (the pad for timestamp error may take
    # "Hi" with "chat")
    assert (first != 0.0).sum() / 44100 > 0.3, "the words around a --term word must stay"


def test_bad_inputs_get_one_clear_line(tmp_path, capsys):
    out = str(tmp_path / "out.wav")
    clean_error(capsys, ["audio", str(tmp_path / "nope.wav"), out], "not found")
    empty = tmp_path / "empty.wav"
    empty.touch()
    clean_error(capsys, ["audio", str(empty), out], "empty")
    text = tmp_path / "notes.wav"
    text.write_text("not a sound\n" * 100)
    clean_error(capsys, ["audio", str(text), out], "not an audio file")
    silent_video = write_clip(tmp_path / "silent.mp4", [np.zeros((64, 64, 3), np.uint8)] * 3, audio_hz=None)
    clean_error(capsys, ["audio", str(silent_video), out], "no audio")
    wav = tmp_path / "in.wav"
    write_audio(wav, np.zeros((4800, 1), np.float32), 48000)
    clean_error(capsys, ["audio", str(wav), str(tmp_path / "out.ogg")], "output must end in")
    clean_error(capsys, ["audio", str(wav), str(wav)], "overwrite the input")
    (tmp_path / "exists.wav").write_bytes(b"x")
    clean_error(capsys, ["audio", str(wav), str(tmp_path / "exists.wav")], "--overwrite")
    clean_error(capsys, ["audio", str(wav), str(tmp_path / "no" / "out.wav")], "folder does not exist")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "empty.wav",
        "exists.wav",
        "in.wav",
        "notes.wav",
        "silent.mp4",
    ], "nothing else may be left behind"
