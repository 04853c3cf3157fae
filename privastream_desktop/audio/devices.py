"""Microphones and speakers by name, capture into stamped blocks, playback, levels.

Devices are listed the way the user's sound settings show them. On Linux with
a sound server (PipeWire or PulseAudio), the server's own list is used (names
like "Blue Yeti Analog Stereo") and a device is opened by its name through
libpulse's simple API (PortAudio's route there, ALSA's "pulse" plugin,
delivered capture late and at half speed under real PulseAudio, and cannot
name a device). Elsewhere PortAudio (sounddevice) is used, listing one host
API only, so each device shows once.

Capture blocks are stamped on ``time.monotonic()``, the clock video frames
carry, so audio and video can be delayed by the same amount and leave in sync.
"""

from __future__ import annotations

import contextlib
import ctypes
import math
import os
import queue
import re
import shutil
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from privastream_desktop.audio.blocks import AudioBlock, as_block_samples

RATE = 48000
BLOCK_S = 0.02
SILENCE_DB = -120.0
_PULSE_PORTAUDIO_NAME = "pulse"
# Host APIs that show every device with its full name, best first; the rest list the same devices again.
_HOST_API_ORDER = {
    "win32": ("Windows DirectSound", "MME", "Windows WASAPI", "Windows WDM-KS"),
    "darwin": ("Core Audio",),
    "linux": ("ALSA", "JACK Audio Connection Kit", "OSS"),
}
# ALSA plugin aliases of the same sound card (surround layouts, digital out, rate converters): noise in a picker.
_ALSA_NOISE = re.compile(
    r"^(sysdefault|front|rear|center_lfe|side|surround\d*|iec958|spdif|hdmi|modem|phoneline|dmix|dsnoop|"
    r"lavrate|samplerate|speexrate|speex|upmix|vdownmix|a52|jack|oss|usbstream|null)\b",
    re.I,
)
_WINDOWS_ALIASES = ("Primary Sound Driver", "Primary Sound Capture Driver", "Microsoft Sound Mapper")


class AudioDeviceError(RuntimeError):
    """A device could not be listed or opened; the message is one sentence the user can act on."""


def _sd() -> Any:
    """sounddevice, imported on first use: the app must start (without sound) where PortAudio is missing."""
    try:
        import sounddevice
    except OSError as exc:  # the PortAudio library itself is missing
        raise AudioDeviceError(
            "PortAudio is not installed, so no microphone can be opened "
            "(Debian/Ubuntu: `sudo apt install libportaudio2`)."
        ) from exc
    return sounddevice


@dataclass(frozen=True, slots=True)
class AudioDevice:
    """One microphone or output as the user knows it.

    Exactly one of ``server_name`` (a PipeWire/PulseAudio source or sink) and
    ``portaudio_index`` says how to open it.
    """

    name: str
    kind: str  # "input" | "output"
    channels: int
    default_rate: float
    host_api: str
    server_name: str | None = None
    portaudio_index: int | None = None
    is_default: bool = False


# -- listing ------------------------------------------------------------------------------------
def _pactl_text(*args: str) -> str | None:
    binary = shutil.which("pactl")
    if binary is None:
        return None
    try:
        result = subprocess.run(
            [binary, *args], capture_output=True, text=True, timeout=5, env=dict(os.environ, LC_ALL="C"), check=False
        )
    except (subprocess.TimeoutExpired, OSError):
        return None
    return result.stdout if result.returncode == 0 else None


def sound_server_running() -> bool:
    """Linux: a PipeWire or PulseAudio server answers (and so the virtual microphone can be made)."""
    return sys.platform.startswith("linux") and _pactl_text("info") is not None


def _server_devices(kind: str) -> list[AudioDevice] | None:
    """The sound server's sources (minus monitors) or sinks, or None when there is no server to ask."""
    if not sys.platform.startswith("linux") or _libpulse_simple() is None:
        return None
    info = _pactl_text("info")
    listing = _pactl_text("list", "sources" if kind == "input" else "sinks")
    if info is None or listing is None:
        return None
    key = "Default Source" if kind == "input" else "Default Sink"
    default = re.search(rf"^{key}: (.*)$", info, re.M)
    default_name = default.group(1).strip() if default else ""
    devices = []
    for chunk in re.split(r"^(?:Source|Sink) #\d+\s*$", listing, flags=re.M)[1:]:
        name = re.search(r"^\s*Name: (.*)$", chunk, re.M)
        if name is None:
            continue
        server_name = name.group(1).strip()
        description = re.search(r"^\s*Description: (.*)$", chunk, re.M)
        spec = re.search(r"^\s*Sample Specification: \S+ (\d+)ch (\d+)Hz", chunk, re.M)
        is_monitor = server_name.endswith(".monitor") or 'device.class = "monitor"' in chunk
        if kind == "input" and is_monitor:
            continue  # "Monitor of ..." records what a speaker plays, not a microphone
        devices.append(
            AudioDevice(
                name=description.group(1).strip() if description else server_name,
                kind=kind,
                channels=int(spec.group(1)) if spec else 2,
                default_rate=float(spec.group(2)) if spec else float(RATE),
                host_api="sound server",
                server_name=server_name,
                is_default=server_name == default_name,
            )
        )
    return devices


def _portaudio_devices(kind: str, platform: str = sys.platform) -> list[AudioDevice]:
    sd = _sd()
    channels_key = "max_input_channels" if kind == "input" else "max_output_channels"
    apis = sd.query_hostapis()
    devices = sd.query_devices()
    order = next((v for k, v in _HOST_API_ORDER.items() if platform.startswith(k)), ())
    ranked = sorted(range(len(apis)), key=lambda i: order.index(apis[i]["name"]) if apis[i]["name"] in order else 99)
    for api_index in ranked:  # the first host API that has any such device is the list
        api = apis[api_index]
        default_index = api["default_input_device" if kind == "input" else "default_output_device"]
        found = []
        for index in api["devices"]:
            device = devices[index]
            name = device["name"].strip()
            if device[channels_key] <= 0 or _ALSA_NOISE.match(name) or name in _WINDOWS_ALIASES:
                continue
            if name in (_PULSE_PORTAUDIO_NAME, "pipewire"):
                continue  # routes to a sound server, which was not answering (else its own list is used)
            found.append(
                AudioDevice(
                    name=name,
                    kind=kind,
                    channels=int(device[channels_key]),
                    default_rate=float(device["default_samplerate"]),
                    host_api=api["name"],
                    portaudio_index=index,
                    is_default=index == default_index,
                )
            )
        if found:
            return found
    return []


def _unique_names(devices: list[AudioDevice]) -> list[AudioDevice]:
    """Two identical USB mics must still be told apart in a picker: "Name", "Name (2)"."""
    seen: dict[str, int] = {}
    out = []
    for device in devices:
        count = seen.get(device.name, 0) + 1
        seen[device.name] = count
        out.append(device if count == 1 else replace(device, name=f"{device.name} ({count})"))
    return out


def list_devices(kind: str, hide: Iterable[str] = ("privastream",)) -> list[AudioDevice]:
    """Inputs or outputs by name, default first; names containing any of ``hide`` (case-insensitive) left out.

    The default hides PrivaStream's own virtual microphone: picking it as the
    input would feed the output back in.
    """
    if kind not in ("input", "output"):
        raise ValueError(f"kind is 'input' or 'output', not {kind!r}")
    devices = _server_devices(kind)
    if devices is None:
        devices = _portaudio_devices(kind)
    hidden = [h.lower() for h in hide if h]
    devices = [d for d in devices if not any(h in d.name.lower() or h in (d.server_name or "").lower() for h in hidden)]
    devices.sort(key=lambda d: not d.is_default)
    return _unique_names(devices)


def list_input_devices(hide: Iterable[str] = ("privastream",)) -> list[AudioDevice]:
    return list_devices("input", hide)


def list_output_devices(hide: Iterable[str] = ("privastream",)) -> list[AudioDevice]:
    return list_devices("output", hide)


def find_device(name: str | None, kind: str, hide: Iterable[str] = ()) -> AudioDevice:
    """The device shown as ``name`` (or with that server name); None or "" is the default one."""
    devices = list_devices(kind, hide)
    if not devices:
        raise AudioDeviceError(f"No {'microphone' if kind == 'input' else 'audio output'} was found.")
    if not name:
        return devices[0]
    for device in devices:
        if name in (device.name, device.server_name):
            return device
    raise AudioDeviceError(f'The {"microphone" if kind == "input" else "audio output"} "{name}" is not connected.')


# -- opening ------------------------------------------------------------------------------------
class _SampleSpec(ctypes.Structure):
    _fields_ = (("format", ctypes.c_int), ("rate", ctypes.c_uint32), ("channels", ctypes.c_uint8))


class _BufferAttr(ctypes.Structure):
    _fields_ = tuple((name, ctypes.c_uint32) for name in ("maxlength", "tlength", "prebuf", "minreq", "fragsize"))


_PA_SAMPLE_FLOAT32LE = 5
_PA_STREAM_PLAYBACK, _PA_STREAM_RECORD = 1, 2
_PA_DEFAULT = 0xFFFFFFFF  # (uint32_t) -1: "let the server choose"
_pulse_lib: list[Any] = []


def _libpulse_simple() -> Any | None:
    """libpulse-simple (part of libpulse0, which pactl needs too), or None where it is not installed."""
    if not _pulse_lib:
        try:
            lib = ctypes.CDLL("libpulse-simple.so.0")
            core = ctypes.CDLL("libpulse.so.0")
        except OSError:
            _pulse_lib.append(None)
            return None
        lib.pa_simple_new.restype = ctypes.c_void_p
        lib.pa_simple_new.argtypes = (
            ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_char_p,
            ctypes.POINTER(_SampleSpec), ctypes.c_void_p, ctypes.POINTER(_BufferAttr), ctypes.POINTER(ctypes.c_int),
        )  # fmt: skip
        for name in ("pa_simple_read", "pa_simple_write"):
            getattr(lib, name).argtypes = (
                ctypes.c_void_p,
                ctypes.c_void_p,
                ctypes.c_size_t,
                ctypes.POINTER(ctypes.c_int),
            )
        lib.pa_simple_get_latency.restype = ctypes.c_uint64
        lib.pa_simple_get_latency.argtypes = (ctypes.c_void_p, ctypes.POINTER(ctypes.c_int))
        lib.pa_simple_free.argtypes = (ctypes.c_void_p,)
        core.pa_strerror.restype = ctypes.c_char_p
        core.pa_strerror.argtypes = (ctypes.c_int,)
        lib.strerror = core.pa_strerror
        _pulse_lib.append(lib)
    return _pulse_lib[0]


class _ServerStream:
    """One mono float32 stream to or from a named PipeWire/PulseAudio device (libpulse's simple API).

    The sound server is asked by device name, so no process-wide default is
    changed, and the same code serves PipeWire and PulseAudio. Calls block and
    release the GIL; each stream is driven by one thread of its own.
    """

    def __init__(self, device: str, *, playback: bool, rate: int, buffer_s: float, chunk_s: float) -> None:
        lib = _libpulse_simple()
        if lib is None:
            raise AudioDeviceError("libpulse is not installed (Debian/Ubuntu: `sudo apt install libpulse0`).")
        self._lib = lib
        spec = _SampleSpec(_PA_SAMPLE_FLOAT32LE, rate, 1)
        frame_bytes = 4
        chunk = round(chunk_s * rate) * frame_bytes
        if playback:
            attr = _BufferAttr(_PA_DEFAULT, round(buffer_s * rate) * frame_bytes, _PA_DEFAULT, chunk, _PA_DEFAULT)
        else:
            attr = _BufferAttr(_PA_DEFAULT, _PA_DEFAULT, _PA_DEFAULT, _PA_DEFAULT, chunk)
        error = ctypes.c_int(0)
        self._handle = lib.pa_simple_new(
            None, b"PrivaStream", _PA_STREAM_PLAYBACK if playback else _PA_STREAM_RECORD, device.encode(),
            b"PrivaStream voice" if playback else b"PrivaStream microphone", ctypes.byref(spec), None,
            ctypes.byref(attr), ctypes.byref(error),
        )  # fmt: skip
        if not self._handle:
            raise AudioDeviceError(self._message(error.value))

    def _message(self, code: int) -> str:
        return (self._lib.strerror(code) or b"unknown error").decode(errors="replace")

    def read(self, frames: int) -> np.ndarray:
        out = np.empty(frames, np.float32)
        error = ctypes.c_int(0)
        if self._lib.pa_simple_read(self._handle, out.ctypes.data, out.nbytes, ctypes.byref(error)) < 0:
            raise AudioDeviceError(self._message(error.value))
        return out

    def write(self, samples: np.ndarray) -> None:
        data = np.ascontiguousarray(samples, dtype=np.float32)
        error = ctypes.c_int(0)
        if self._lib.pa_simple_write(self._handle, data.ctypes.data, data.nbytes, ctypes.byref(error)) < 0:
            raise AudioDeviceError(self._message(error.value))

    def latency(self) -> float:
        error = ctypes.c_int(0)
        value = self._lib.pa_simple_get_latency(self._handle, ctypes.byref(error))
        return 0.0 if value == 2**64 - 1 else value / 1e6

    def close(self) -> None:
        handle, self._handle = self._handle, None
        if handle:
            self._lib.pa_simple_free(handle)


def _resolve(device: AudioDevice | str | None, kind: str) -> AudioDevice:
    if isinstance(device, AudioDevice):
        return device
    return find_device(device, kind)


class _CaptureClock:
    """Capture times that advance by exactly the samples delivered, gently steered towards the wall clock.

    Callback times jitter by a buffer or two; counting samples does not. The
    small gain follows drift between the sound card's and the system's clock,
    and a jump (an overrun, a suspended device) re-anchors at once.
    """

    def __init__(self, rate: int, max_error_s: float = 0.05, gain: float = 0.02) -> None:
        self.rate, self.max_error_s, self.gain = rate, max_error_s, gain
        self._next: float | None = None

    def stamp(self, measured: float, frames: int) -> float:
        if self._next is None or abs(measured - self._next) > self.max_error_s:
            t = measured
        else:
            t = self._next + self.gain * (measured - self._next)
        self._next = t + frames / self.rate
        return t


class MicSource:
    """A microphone delivering mono :class:`AudioBlock` s through a bounded queue.

    The capture thread (PortAudio's callback, or ours reading the sound server)
    only copies and stamps; whoever reads must keep up. When the queue is full
    the newest block is dropped and counted in ``overflows`` (a live pipeline
    fails closed over the gap it leaves).
    """

    def __init__(
        self,
        device: AudioDevice | str | None = None,
        *,
        rate: int = RATE,
        block_s: float = BLOCK_S,
        max_queue_s: float = 2.0,
        device_latency_s: float = 0.06,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.device = _resolve(device, "input")
        self.name = self.device.name
        self.rate = rate
        self.block_frames = max(1, round(rate * block_s))
        self.overflows = 0  # blocks dropped because nobody read them
        self.xruns = 0  # the device reported lost input
        self._clock = clock
        self._stamps = _CaptureClock(rate)
        self._queue: queue.Queue[AudioBlock] = queue.Queue(maxsize=max(2, round(max_queue_s / block_s)))
        self.latency_s = 0.0  # from the sound reaching the device to us, known once open
        self._stream: Any = None
        self._server: _ServerStream | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        what = f'The microphone "{self.name}" could not be opened'
        if self.device.server_name is not None:
            try:
                self._server = _ServerStream(
                    self.device.server_name, playback=False, rate=rate, buffer_s=device_latency_s, chunk_s=block_s
                )
            except AudioDeviceError as exc:
                raise AudioDeviceError(f"{what}: {exc}.") from None
            self._thread = threading.Thread(target=self._read_server, name="mic", daemon=True)
            self._thread.start()
            return
        sd = _sd()
        try:
            self._stream = sd.InputStream(
                device=self.device.portaudio_index, samplerate=rate, channels=1, dtype="float32",
                blocksize=self.block_frames, latency=device_latency_s, callback=self._callback,
            )  # fmt: skip
        except sd.PortAudioError as exc:
            raise AudioDeviceError(f"{what}: {exc}.") from None
        self.latency_s = float(self._stream.latency)
        self._stream.start()

    def _read_server(self) -> None:
        assert self._server is not None
        try:
            while not self._stop.is_set():
                samples = self._server.read(self.block_frames)
                self.latency_s = self._server.latency()
                now = self._clock()
                self._deliver(samples[:, None], now - self.block_frames / self.rate - self.latency_s)
        except AudioDeviceError:
            self.xruns += 1  # the device went away: the reader sees no more blocks (and fails closed)
        finally:
            self._server.close()

    def _callback(self, indata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        now = self._clock()
        if status.input_overflow:
            self.xruns += 1
        adc, current = time_info.inputBufferAdcTime, time_info.currentTime
        if adc > 0 and 0 <= current - adc < 1.0:
            measured = now - (current - adc)
        else:  # back ends without timing: the buffer just filled
            measured = now - frames / self.rate - self.latency_s
        self._deliver(indata.copy(), measured)

    def _deliver(self, samples: np.ndarray, measured: float) -> None:
        block = AudioBlock(self._stamps.stamp(measured, len(samples)), samples, self.rate)
        try:
            self._queue.put_nowait(block)
        except queue.Full:
            self.overflows += 1

    def read(self, timeout: float | None = 0.1) -> AudioBlock | None:
        """The next block, or None if none came within ``timeout`` seconds."""
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def close(self) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(2.0)  # a read returns within one block
        stream, self._stream = self._stream, None
        if stream is not None:
            with contextlib.suppress(Exception):
                stream.stop()
            stream.close()

    def __enter__(self) -> MicSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def resample(samples: np.ndarray, rate: int, to_rate: int) -> np.ndarray:
    """Linear resampling, (n, channels) float32: enough for a voice going to a device at another rate."""
    if rate == to_rate or len(samples) == 0:
        return samples
    n_out = max(1, round(len(samples) * to_rate / rate))
    x_old = np.arange(len(samples)) / rate
    x_new = np.arange(n_out) / to_rate
    return np.stack([np.interp(x_new, x_old, samples[:, c]) for c in range(samples.shape[1])], axis=1).astype(
        np.float32
    )


class AudioOutput:
    """Plays blocks on a named output (the virtual microphone's sink) through a small jitter buffer.

    ``write`` never blocks. Playback starts once ``buffer_s`` is queued, so
    blocks handed over on time are heard ``latency_s`` later: the caller
    releases them that much early to be heard exactly on schedule. The
    schedule is kept whatever happens, so audio never slides out of sync with
    the video: a buffer that runs dry plays silence and the samples that were
    due meanwhile are skipped when they come (``underruns``, ``dropped_s``);
    one that grows past ``buffer_s + max_extra_s`` (the two devices' clocks
    drift) drops its oldest samples. ``device_latency_s`` is generous on
    purpose: the release is early by it anyway, and a deeper device buffer
    survives a busy CPU without gaps.
    """

    _PERIOD_S = 0.01  # the device takes 10 ms at a time: well inside the jitter buffer

    def __init__(
        self,
        device: AudioDevice | str | None = None,
        *,
        rate: int = RATE,
        buffer_s: float = 0.1,
        max_extra_s: float = 0.06,
        device_latency_s: float = 0.1,
    ) -> None:
        self.device = _resolve(device, "output")
        self.name = self.device.name
        self.rate = rate
        self.buffer_s = buffer_s
        self.buffer_frames = round(buffer_s * rate)
        self.max_frames = self.buffer_frames + round(max_extra_s * rate)
        self._start_frames = self.buffer_frames  # queued before playing starts; the server path measures it
        self.underruns = 0
        self.dropped_s = 0.0
        self.frames_played = 0
        self._chunks: deque[np.ndarray] = deque()
        self._queued = 0
        self._playing = False
        self._debt = 0  # frames played as silence while the buffer was dry; skipped when they arrive
        self._lock = threading.Lock()
        self._stream: Any = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        what = f'The audio output "{self.name}" could not be opened'
        if self.device.server_name is not None:
            try:
                server = _ServerStream(
                    self.device.server_name, playback=True, rate=rate, buffer_s=device_latency_s,
                    chunk_s=self._PERIOD_S,
                )  # fmt: skip
            except AudioDeviceError as exc:
                raise AudioDeviceError(f"{what}: {exc}.") from None
            self.latency_s = device_latency_s + buffer_s  # kept by _write_server, whatever the server holds
            self._thread = threading.Thread(target=self._write_server, args=(server,), name="voice-out", daemon=True)
            self._thread.start()
            return
        sd = _sd()
        try:
            self._stream = sd.OutputStream(
                device=self.device.portaudio_index, samplerate=rate, channels=1, dtype="float32",
                blocksize=round(rate * self._PERIOD_S), latency=device_latency_s, callback=self._callback,
            )  # fmt: skip
        except sd.PortAudioError as exc:
            raise AudioDeviceError(f"{what}: {exc}.") from None
        self.latency_s = float(self._stream.latency) + buffer_s
        self._stream.start()

    def _write_server(self, server: _ServerStream) -> None:
        """Like a device callback: every 10 ms by the clock, the next samples (or silence) go to the server.

        Paced by the clock, not by the server's buffer, whose size the server
        chooses (PulseAudio starts an idle null sink with seconds of it).
        Twice a second the server's latency is measured and the jitter buffer
        trimmed or padded so that buffer + server stays ``latency_s``: what
        the pipeline releases is heard exactly when it is due.
        """
        period = np.zeros((round(self.rate * self._PERIOD_S), 1), np.float32)
        silence = np.zeros(len(period), np.float32)
        tolerance = round(0.03 * self.rate)  # lip sync is fine within this; every correction is an audible seam
        floor = round(0.03 * self.rate)  # our buffer is never trimmed below this: blocks come every 20 ms
        hold = 0  # periods of silence to insert: the server holds less than the schedule needs
        drain = 0  # periods taken but not written: the server holds more than the schedule allows
        levels: list[int] = []  # our buffer's level each period: blocks arrive every 20 ms, so it zigzags
        previous = 0  # the last measured error: one reading alone (the server's figure jitters) changes nothing
        due = time.monotonic()
        try:
            while not self._stop.is_set():
                started = time.monotonic()
                if hold:
                    hold -= 1
                    server.write(silence)
                else:
                    self._callback(period, len(period), None, None)
                    if drain:
                        drain -= 1
                        self.dropped_s += self._PERIOD_S
                    else:
                        server.write(period[:, 0])
                if time.monotonic() - started > 2 * self._PERIOD_S:
                    due = time.monotonic()  # the server held us (its buffer was full): nothing to catch up
                if self._playing:
                    levels.append(self._queued)
                else:  # start with what the schedule needs beside what the server holds: no jump once playing
                    wanted = round((self.latency_s - server.latency()) * self.rate)
                    self._start_frames = min(self.max_frames, max(floor, wanted))
                if len(levels) >= 25:  # every quarter second of playing
                    level = round(float(np.mean(levels)))
                    levels.clear()
                    measured = level + round((server.latency() - self.latency_s) * self.rate)  # frames late
                    # two readings in a row off the same way: correct by the smaller, then start over
                    excess = min(previous, measured, key=abs) if previous * measured > 0 else 0
                    previous = 0 if abs(excess) > tolerance else measured
                    if excess > tolerance:
                        trim = max(0, min(excess, level - floor))
                        with self._lock:
                            self._skip(trim)
                        drain = round((excess - trim) / len(period))
                    elif excess < -tolerance:
                        hold = round(-excess / len(period))
                due += self._PERIOD_S
                time.sleep(max(0.0, due - time.monotonic()))
        except AudioDeviceError:
            self.underruns += 1  # the device went away
        finally:
            server.close()

    def write(self, block: AudioBlock) -> None:
        samples = resample(as_block_samples(block.samples), block.rate, self.rate)
        mono = samples.mean(axis=1) if samples.shape[1] > 1 else samples[:, 0]
        with self._lock:
            self._chunks.append(np.ascontiguousarray(mono, dtype=np.float32))
            self._queued += len(mono)
            self._skip(self._debt)
            self._skip(self._queued - self.max_frames)

    def _skip(self, frames: int) -> None:
        """Drop up to ``frames`` of the oldest queued samples (lock held)."""
        frames = min(frames, self._queued)
        if frames <= 0:
            return
        self._queued -= frames
        self.dropped_s += frames / self.rate
        if self._debt:
            self._debt = max(0, self._debt - frames)
        while frames > 0:
            head = self._chunks[0]
            cut = min(frames, len(head))
            if cut == len(head):
                self._chunks.popleft()
            else:
                self._chunks[0] = head[cut:]
            frames -= cut

    @property
    def queued_s(self) -> float:
        with self._lock:
            return self._queued / self.rate

    def _callback(self, outdata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        out = outdata[:, 0]
        with self._lock:
            if not self._playing and self._queued >= self._start_frames:
                self._playing = True
            filled = 0
            while self._playing and filled < frames and self._chunks:
                head = self._chunks[0]
                take = min(frames - filled, len(head))
                out[filled : filled + take] = head[:take]
                filled += take
                if take == len(head):
                    self._chunks.popleft()
                else:
                    self._chunks[0] = head[take:]
                self._queued -= take
            if self._playing and filled < frames:
                self.underruns += 1
                # the rest of this buffer goes out as silence; what should have filled it is late and is skipped
                self._debt = min(self._debt + frames - filled, self.rate)
            self.frames_played += filled
        out[filled:] = 0.0

    def close(self) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(2.0)
        stream, self._stream = self._stream, None
        if stream is not None:
            with contextlib.suppress(Exception):
                stream.stop()
            stream.close()

    def __enter__(self) -> AudioOutput:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# -- levels -------------------------------------------------------------------------------------
def level_dbfs(samples: np.ndarray) -> tuple[float, float]:
    """(RMS, peak) in dBFS of float samples in -1..1; a full-scale sine is -3.0 / 0.0, silence SILENCE_DB."""
    array = np.asarray(samples, dtype=np.float32)
    if array.size == 0:
        return SILENCE_DB, SILENCE_DB
    rms = float(np.sqrt(np.mean(np.square(array, dtype=np.float64))))
    peak = float(np.max(np.abs(array)))

    def db(value: float) -> float:
        return max(SILENCE_DB, 20.0 * math.log10(value)) if value > 0 else SILENCE_DB

    return db(rms), db(peak)


class LevelMeter:
    """What a level bar shows: RMS and a peak that holds, then falls at ``fall_db_per_s``."""

    def __init__(self, hold_s: float = 1.0, fall_db_per_s: float = 20.0) -> None:
        self.hold_s, self.fall_db_per_s = hold_s, fall_db_per_s
        self.rms_db = SILENCE_DB
        self.peak_db = SILENCE_DB
        self._held_db = SILENCE_DB
        self._held_t = 0.0

    def update(self, block: AudioBlock) -> None:
        rms, peak = level_dbfs(block.samples)
        self.rms_db = rms
        since = block.end - self._held_t
        decayed = max(SILENCE_DB, self._held_db - max(0.0, since - self.hold_s) * self.fall_db_per_s)
        if peak >= decayed:
            self._held_db, self._held_t = peak, block.end
            decayed = peak
        self.peak_db = decayed


__all__ = [
    "RATE",
    "SILENCE_DB",
    "AudioDevice",
    "AudioDeviceError",
    "AudioOutput",
    "LevelMeter",
    "MicSource",
    "find_device",
    "level_dbfs",
    "list_devices",
    "list_input_devices",
    "list_output_devices",
    "sound_server_running",
]
