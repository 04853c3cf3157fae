"""AudioRedactor: the cover lands on exactly the redacted samples, and only there."""

import numpy as np
import pytest

from privastream_desktop.audio.blocks import AudioBlock, SpeechRedaction
from privastream_desktop.audio.redactor import AudioRedactor
from privastream_desktop.pii import PiiKind

RATE = 48000


def voice(seconds: float = 2.0, channels: int = 2, level: float = 0.2) -> np.ndarray:
    """Speech-like test signal: a 150 Hz buzz with harmonics up to 4 kHz, loud enough to count as speech."""
    t = np.arange(int(seconds * RATE)) / RATE
    x = sum(np.sin(2 * np.pi * 150 * k * t) / k for k in range(1, 27))
    x = (level * x / np.sqrt(np.mean(x**2))).astype(np.float32)
    return np.repeat(x[:, None], channels, axis=1) if channels > 1 else x[:, None]


def redaction(t_from: float, t_to: float) -> SpeechRedaction:
    return SpeechRedaction(PiiKind.PHONE, t_from, t_to, "[PHONE]")


def changed(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.abs(a - b).max(axis=1) > 1e-7


@pytest.mark.parametrize("mode", ["bleep", "mute", "muffle"])
def test_cover_lands_on_the_interval_and_only_there(mode):
    x = voice()
    t0 = 100.0  # live clock: time.monotonic() of the first sample
    r = redaction(t0 + 0.5, t0 + 1.25)
    out = AudioRedactor(mode).apply(AudioBlock(t0, x, RATE), [r]).samples
    assert out.shape == x.shape and out.dtype == np.float32
    diff = changed(out, x)
    first, last = int(0.5 * RATE), int(1.25 * RATE)
    fade = int(0.008 * RATE)
    assert not diff[: first - fade].any(), "samples before the interval (and its fade) must be untouched"
    assert not diff[last + fade :].any(), "samples after the interval (and its fade) must be untouched"
    # Inside, the voice is gone: what is left is the cover, not the voice scaled down.
    inside = slice(first, last)
    if mode == "mute":
        assert np.all(out[inside] == 0.0)
    elif mode == "bleep":
        spectrum = np.abs(np.fft.rfft(out[inside, 0]))
        freqs = np.fft.rfftfreq(last - first, 1 / RATE)
        assert abs(freqs[np.argmax(spectrum)] - 1000.0) < 5.0, "the bleep is a 1 kHz tone"
        assert np.corrcoef(out[inside, 0], x[inside, 0])[0, 1] < 0.05, "no trace of the voice in the bleep"
        rms = np.sqrt(np.mean(out[inside, 0] ** 2))
        assert 0.5 < rms / 0.2 < 2.0, f"bleep level {rms:.3f} should match the speech level 0.2"
    else:  # muffle: strong low-pass, what makes words out (above ~1 kHz) is gone

        def band(sig):
            s = np.abs(np.fft.rfft(sig * np.hanning(len(sig)))) ** 2
            f = np.fft.rfftfreq(len(sig), 1 / RATE)
            return s[f > 1000].sum()

        assert band(out[inside, 0]) < band(x[inside, 0]) * 1e-3, "muffle must remove the high frequencies"
    # The fades stay outside the interval: every sample inside is fully covered (weight 1).
    assert AudioRedactor(mode).envelope(t0, len(x), RATE, [r])[first:last].min() == 1.0


def test_partial_samples_at_the_edges_count_as_inside():
    red = AudioRedactor("mute")
    g = red.envelope(0.0, 100, 1000, [redaction(0.0105, 0.0205)])  # 10.5 ms to 20.5 ms at 1 kHz
    assert g[10] == 1.0 and g[20] == 1.0, "a sample that overlaps the interval at all is covered"
    assert 0 < g[9] < 1 and 0 < g[21] < 1, "fades start right outside"


def test_blockwise_equals_whole_for_mute_and_bleep_is_continuous():
    x = voice(1.5, channels=1)
    r = [redaction(0.4, 1.1)]
    whole = AudioRedactor("mute").apply(AudioBlock(0.0, x, RATE), r).samples
    red = AudioRedactor("mute")
    parts = [red.apply(AudioBlock(i / RATE, x[i : i + 480], RATE), r).samples for i in range(0, len(x), 480)]
    np.testing.assert_array_equal(np.concatenate(parts), whole)
    red = AudioRedactor("bleep")
    parts = [red.apply(AudioBlock(i / RATE, x[i : i + 441], RATE), r).samples for i in range(0, len(x), 441)]
    bleep = np.concatenate(parts)[int(0.45 * RATE) : int(1.05 * RATE), 0]
    # A phase jump at a block edge shows up as a sample-to-sample step far above the tone's own slope.
    max_step = 2 * np.pi * 1000 / RATE * np.abs(bleep).max()
    assert np.abs(np.diff(bleep)).max() <= max_step * 1.05


def test_silence_and_no_redaction():
    x = voice(0.2)
    red = AudioRedactor()
    block = AudioBlock(5.0, x, RATE)
    assert np.all(red.silence(block).samples == 0.0) and red.silence(block).samples.shape == x.shape
    np.testing.assert_array_equal(red.apply(block, []).samples, x)
    far = redaction(50.0, 51.0)
    np.testing.assert_array_equal(red.apply(block, [far]).samples, x)


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="unknown speech redaction mode"):
        AudioRedactor("whistle")
    with pytest.raises(ValueError, match="20-8000 Hz"):
        AudioRedactor("bleep", bleep_hz=5)
