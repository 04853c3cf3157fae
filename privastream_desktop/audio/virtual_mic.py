"""The virtual microphone OBS / TikTok LIVE Studio record the protected voice from.

Like the virtual camera, it depends on the system: on Linux the app makes it
itself through the sound server (PipeWire's pulse layer or PulseAudio), with
two modules loaded by ``pactl``:

* ``module-null-sink`` "privastream_mic_sink": a playback device nobody hears,
  which PrivaStream plays the redacted audio into;
* ``module-remap-source`` "privastream_mic" over that sink's monitor: a real
  capture device (not a "Monitor of ...", which many apps hide from their
  microphone lists) described as "PrivaStream Microphone".

Both are unloaded on :meth:`VirtualMicrophone.close`, at interpreter exit, and,
for a run that crashed, by the next run before it loads its own. On Windows and
macOS a loopback driver must be installed (VB-CABLE, BlackHole); when none is,
:meth:`VirtualMicrophone.hint` says how to get one, and the app keeps running.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass

from privastream_desktop.device_hints import DeviceUnavailable, hint_for_platform

MIC_NAME = "PrivaStream Microphone"
SINK_NAME = "privastream_mic_sink"
SOURCE_NAME = "privastream_mic"
SINK_DESCRIPTION = "PrivaStream mic feed (internal)"
RATE = 48000
# Capture devices that carry a loopback driver's output (ours on Windows / macOS): never offered as the microphone.
LOOPBACK_INPUTS = ("CABLE Output", "BlackHole")
_PID_PROPERTY = "privastream.pid"
_PACTL_TIMEOUT_S = 10.0

# Never mix the real microphone into the stream beside ours: that is the unprotected voice.
_MUTE_REAL_MIC = "Remove or mute your real microphone in OBS, or viewers hear it unprotected."

_HINTS = {
    "win32": (
        "No virtual microphone was found. Install VB-CABLE (free, vb-audio.com/Cable): unzip it, run "
        "VBCABLE_Setup_x64.exe as administrator, click Install Driver and restart Windows. PrivaStream then plays "
        'the protected voice into "CABLE Input"; in OBS add Sources → + → Audio Input Capture → '
        '"CABLE Output (VB-Audio Virtual Cable)", in TikTok LIVE Studio pick it as the microphone. '
        f"{_MUTE_REAL_MIC}"
    ),
    "darwin": (
        "No virtual microphone was found. Install BlackHole 2ch (existential.audio/blackhole, or "
        "`brew install blackhole-2ch`) and restart PrivaStream. It then plays the protected voice into "
        '"BlackHole 2ch"; in OBS add Sources → + → Audio Input Capture → "BlackHole 2ch", in TikTok LIVE Studio '
        f"pick it as the microphone. {_MUTE_REAL_MIC}"
    ),
    "linux": (
        "No virtual microphone could be created: PrivaStream makes one through the sound server, which needs "
        "PipeWire (with pipewire-pulse) or PulseAudio running and the pactl tool: "
        "`sudo apt install pipewire-pulse wireplumber pulseaudio-utils`, then log out and in. "
        f'Once it exists, add Sources → + → Audio Input Capture (PulseAudio) → "{MIC_NAME}" in OBS. '
        f"{_MUTE_REAL_MIC}"
    ),
}


def virtual_mic_hint(platform: str = sys.platform) -> str:
    """What this user has to install so a virtual microphone exists; ``platform`` as in sys.platform."""
    return hint_for_platform(_HINTS, platform)


class VirtualMicUnavailable(DeviceUnavailable):
    """No virtual microphone could be created or found."""


@dataclass(frozen=True, slots=True)
class _Module:
    id: str
    name: str
    args: str


def _pactl(*args: str) -> str:
    """Run pactl in the C locale (its text output is translated otherwise); errors become VirtualMicUnavailable."""
    binary = shutil.which("pactl")
    if binary is None:
        raise VirtualMicUnavailable(virtual_mic_hint("linux"), "pactl is not installed.")
    env = dict(os.environ, LC_ALL="C")
    try:
        result = subprocess.run(
            [binary, *args], capture_output=True, text=True, timeout=_PACTL_TIMEOUT_S, env=env, check=False
        )
    except subprocess.TimeoutExpired:
        raise VirtualMicUnavailable(virtual_mic_hint("linux"), f"pactl {args[0]} did not answer.") from None
    if result.returncode != 0:
        reason = (result.stderr or result.stdout).strip().splitlines()
        raise VirtualMicUnavailable(
            virtual_mic_hint("linux"), f"pactl {' '.join(args[:2])}: {reason[-1] if reason else 'failed'}."
        )
    return result.stdout


def _our_modules() -> list[_Module]:
    """Modules that made a PrivaStream microphone, ours or a crashed run's; remap sources first (unload order)."""
    found = []
    for line in _pactl("list", "short", "modules").splitlines():
        parts = line.split("\t")
        if len(parts) < 3:
            continue
        module = _Module(parts[0], parts[1], parts[2])
        if re.search(rf"\bsink_name={SINK_NAME}\b", module.args) or re.search(
            rf"\bsource_name={SOURCE_NAME}\b", module.args
        ):
            found.append(module)
    return sorted(found, key=lambda m: m.name != "module-remap-source")


def _owner_pid(module: _Module) -> int | None:
    match = re.search(rf"{re.escape(_PID_PROPERTY)}=(\d+)", module.args)
    return int(match.group(1)) if match else None


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, belongs to someone else
        return True
    except OSError:  # Windows has no signal 0 semantics; this path is Linux-only anyway
        return False
    return True


def _defaults() -> tuple[str, str]:
    info = _pactl("info")
    sink = re.search(r"^Default Sink: (.*)$", info, re.M)
    source = re.search(r"^Default Source: (.*)$", info, re.M)
    return (sink.group(1).strip() if sink else "", source.group(1).strip() if source else "")


def _names(kind: str) -> set[str]:
    """Names of the server's sinks or sources (``kind`` "sinks" / "sources")."""
    return {line.split("\t")[1] for line in _pactl("list", "short", kind).splitlines() if "\t" in line}


class VirtualMicrophone:
    """A system capture device that carries PrivaStream's output.

    ``output_device`` is what :class:`~privastream_desktop.audio.devices.AudioOutput`
    plays into (a sound-server sink name on Linux, a PortAudio device name
    elsewhere); ``name`` is what the user picks in OBS; ``hidden_inputs`` are
    capture devices that carry our own output and must never be offered as the
    microphone (that would loop the output back in).
    """

    def __init__(self, name: str, output_device: str, *, via_sound_server: bool, modules: list[str] | None = None):
        self.name = name
        self.output_device = output_device
        self.via_sound_server = via_sound_server
        self._modules = list(modules or [])
        self._lock = threading.Lock()
        self.hidden_inputs: tuple[str, ...] = (name,)
        if self._modules:
            atexit.register(self.close)

    # -- making one ------------------------------------------------------------------------------
    @classmethod
    def create(cls, platform: str = sys.platform) -> VirtualMicrophone:
        """Make (Linux) or find (Windows, macOS) the virtual microphone; VirtualMicUnavailable says how to get one."""
        if platform.startswith("linux"):
            return cls._create_sound_server()
        return cls._find_loopback_driver(platform)

    @staticmethod
    def hint(platform: str = sys.platform) -> str:
        return virtual_mic_hint(platform)

    @classmethod
    def _create_sound_server(cls) -> VirtualMicrophone:
        _pactl("info")  # a clear "no server" before anything is loaded
        for module in _our_modules():
            owner = _owner_pid(module)
            if owner is not None and owner != os.getpid() and _pid_alive(owner):
                raise VirtualMicUnavailable(
                    "Another PrivaStream is already running with the PrivaStream Microphone; close it first.",
                    f"module {module.id} belongs to process {owner}.",
                )
            _pactl("unload-module", module.id)  # a crashed run's leftover, or a second create in this process
        default_sink, default_source = _defaults()
        owner = f"{_PID_PROPERTY}={os.getpid()}"
        # priority 0: the session manager must never pick these as the system's speakers or microphone,
        # or other apps' sounds would end up in the stream.
        loaded: list[str] = []
        try:
            loaded.append(
                _pactl(
                    "load-module", "module-null-sink", f"sink_name={SINK_NAME}",
                    f"sink_properties=\"device.description='{SINK_DESCRIPTION}' priority.session=0 {owner}\"",
                    f"rate={RATE}", "channels=1", "channel_map=mono",
                ).strip()
            )  # fmt: skip
            loaded.append(
                _pactl(
                    "load-module", "module-remap-source", f"master={SINK_NAME}.monitor", f"source_name={SOURCE_NAME}",
                    f"source_properties=\"device.description='{MIC_NAME}' device.icon_name=audio-input-microphone "
                    f'priority.session=0 {owner}"',
                    f"rate={RATE}", "channels=1", "channel_map=mono",
                ).strip()
            )  # fmt: skip
            if SOURCE_NAME not in _names("sources"):
                raise VirtualMicUnavailable(virtual_mic_hint("linux"), "the sound server did not create the source.")
        except VirtualMicUnavailable:
            for module_id in reversed(loaded):
                with contextlib.suppress(VirtualMicUnavailable):
                    _pactl("unload-module", module_id)
            raise
        cls._keep_defaults(default_sink, default_source)
        return cls(MIC_NAME, SINK_NAME, via_sound_server=True, modules=loaded)

    @staticmethod
    def _keep_defaults(sink: str, source: str) -> None:
        """Where the server made ours the default (it had no other), give the default back if it still exists."""
        now_sink, now_source = _defaults()
        if now_sink == SINK_NAME and sink and sink != SINK_NAME and sink in _names("sinks"):
            _pactl("set-default-sink", sink)
        ours = (SOURCE_NAME, f"{SINK_NAME}.monitor")
        if now_source in ours and source and source not in ours and source in _names("sources"):
            _pactl("set-default-source", source)

    @classmethod
    def _find_loopback_driver(cls, platform: str) -> VirtualMicrophone:
        from privastream_desktop.audio.devices import list_output_devices

        wanted = (
            ("CABLE Input", "CABLE Output (VB-Audio Virtual Cable)")
            if platform.startswith("win")
            else ("BlackHole", "")
        )
        outputs = list_output_devices(hide=())
        for device in outputs:
            if wanted[0].lower() in device.name.lower():
                shown = wanted[1] or device.name  # BlackHole has one name for both directions
                mic = cls(shown, device.name, via_sound_server=False)
                mic.hidden_inputs = (shown, device.name)
                return mic
        raise VirtualMicUnavailable(virtual_mic_hint(platform), f"no output device named like '{wanted[0]}'.")

    # -- removing it ------------------------------------------------------------------------------
    @property
    def exists(self) -> bool:
        """Whether the system still shows it (Linux: the source is loaded)."""
        if not self.via_sound_server:
            return True
        try:
            return SOURCE_NAME in _names("sources")
        except VirtualMicUnavailable:
            return False

    def close(self) -> None:
        """Unload what we loaded (safe to call twice, and at exit)."""
        with self._lock:
            modules, self._modules = self._modules, []
        for module_id in reversed(modules):  # the remap source before the sink it reads
            with contextlib.suppress(VirtualMicUnavailable):
                _pactl("unload-module", module_id)
        if modules:
            atexit.unregister(self.close)

    def __enter__(self) -> VirtualMicrophone:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


__all__ = [
    "LOOPBACK_INPUTS",
    "MIC_NAME",
    "SINK_NAME",
    "SOURCE_NAME",
    "VirtualMicUnavailable",
    "VirtualMicrophone",
    "virtual_mic_hint",
]
