"""A private PipeWire session for tests that need real sound devices.

Nothing of the user's (or the CI machine's) own sound setup is touched: the
session gets its own runtime folder, its own D-Bus session bus, its own
config and state folders, and clients in this process reach it through
``PULSE_SERVER``. Recipe (shared notes, desktop-stack.md → Audio):

    dbus-daemon --session --fork --address=unix:path=$XDG_RUNTIME_DIR/bus
    pipewire & wireplumber & pipewire-pulse &

It runs as root too (CI containers). Missing binaries skip the tests locally
but fail them under CI or scripts/test.sh (``CI`` or ``PRIVASTREAM_REQUIRE_SOUND``
set), where scripts/setup.sh has installed them.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

BINARIES = ("dbus-daemon", "pipewire", "wireplumber", "pipewire-pulse", "pactl")


@dataclass(frozen=True)
class SoundServer:
    root: Path
    env: dict[str, str]  # for subprocesses (pactl, parecord)

    def pactl(self, *args: str) -> str:
        result = subprocess.run(
            ["pactl", *args], env=dict(self.env, LC_ALL="C"), capture_output=True, text=True, timeout=10, check=True
        )
        return result.stdout

    def player(self, sink: str, rate: int, latency_ms: int) -> subprocess.Popen:
        """``pacat`` playing mono float32 written to its stdin into ``sink``, as another app on the desktop would.

        pacat takes its input at the pace it plays, so a long write returns about when the sound is over.
        """
        proc = subprocess.Popen(
            ["pacat", "--playback", f"--device={sink}", "--raw", "--format=float32le", f"--rate={rate}",
             "--channels=1", f"--latency-msec={latency_ms}"],
            env=self.env, stdin=subprocess.PIPE,
        )  # fmt: skip
        assert proc.stdin is not None
        return proc


class SoundServerUnavailable(RuntimeError):
    pass


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


@contextlib.contextmanager
def private_sound_server() -> Iterator[SoundServer]:
    """Start dbus + pipewire + wireplumber + pipewire-pulse in a temp folder; stop them and delete it after."""
    missing = [b for b in BINARIES if shutil.which(b) is None]
    if missing:
        raise SoundServerUnavailable(
            f"missing {', '.join(missing)} (apt: dbus-daemon pipewire pipewire-pulse wireplumber pulseaudio-utils; "
            "scripts/setup.sh installs them)"
        )
    root = Path(tempfile.mkdtemp(prefix="privastream-sound-"))
    runtime = root / "run"
    for sub in ("run", "config", "state", "home"):
        (root / sub).mkdir(mode=0o700)
    bus = f"unix:path={runtime}/bus"
    env = dict(
        os.environ,
        XDG_RUNTIME_DIR=str(runtime),
        XDG_CONFIG_HOME=str(root / "config"),
        XDG_STATE_HOME=str(root / "state"),
        DBUS_SESSION_BUS_ADDRESS=bus,
        PULSE_SERVER=f"unix:{runtime}/pulse/native",
        PULSE_COOKIE=str(root / "cookie"),  # libpulse would otherwise write ~/.config/pulse/cookie
        PIPEWIRE_RUNTIME_DIR=str(runtime),
    )
    env.pop("PULSE_SINK", None)
    env.pop("PULSE_SOURCE", None)
    procs: list[subprocess.Popen] = []
    dbus_pid = None
    log = open(root / "server.log", "wb")  # noqa: SIM115 - closed in finally
    try:
        out = subprocess.run(
            ["dbus-daemon", "--session", "--fork", f"--address={bus}", "--print-pid", "--nopidfile"],
            env=env, capture_output=True, text=True, timeout=10, check=True,
        )  # fmt: skip
        dbus_pid = int(out.stdout.split()[0])
        for binary in ("pipewire", "wireplumber", "pipewire-pulse"):
            procs.append(subprocess.Popen([binary], env=env, stdout=log, stderr=log))
            if binary == "pipewire":
                deadline = time.monotonic() + 10
                while not (runtime / "pipewire-0").exists():
                    if procs[0].poll() is not None or time.monotonic() > deadline:
                        raise SoundServerUnavailable(f"pipewire did not start: {(root / 'server.log').read_text()}")
                    time.sleep(0.05)
        deadline = time.monotonic() + 15
        while True:
            probe = subprocess.run(["pactl", "info"], env=env, capture_output=True, text=True, timeout=10)
            if probe.returncode == 0 and "PipeWire" in probe.stdout:
                break
            if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
                raise SoundServerUnavailable(f"pipewire-pulse did not answer: {(root / 'server.log').read_text()}")
            time.sleep(0.1)
        yield SoundServer(root, env)
    finally:
        for proc in reversed(procs):
            _stop(proc)
        if dbus_pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(dbus_pid, signal.SIGTERM)
        log.close()
        shutil.rmtree(root, ignore_errors=True)


_CLIENT_VARIABLES = ("PULSE_SERVER", "PULSE_COOKIE", "XDG_RUNTIME_DIR", "DBUS_SESSION_BUS_ADDRESS")


@contextlib.contextmanager
def sound_server_for_tests() -> Iterator[SoundServer]:
    """The private server, with this process's own clients (sounddevice, pactl calls) pointed at it."""
    try:
        server_cm = private_sound_server()
        server = server_cm.__enter__()
    except SoundServerUnavailable as exc:
        if os.environ.get("CI") or os.environ.get("PRIVASTREAM_REQUIRE_SOUND"):  # scripts/test.sh sets it
            pytest.fail(f"no sound server for the audio tests: {exc}")
        pytest.skip(f"no sound server for the audio tests: {exc}")
    saved = {k: os.environ.get(k) for k in _CLIENT_VARIABLES}
    try:
        for key in _CLIENT_VARIABLES:
            os.environ[key] = server.env[key]
        yield server
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        server_cm.__exit__(None, None, None)
