#!/usr/bin/env bash
# Set up PrivaStream in ./.venv: system libraries (Debian/Ubuntu, when missing)
# and the Python package with its test tools. Safe to run again; it only
# installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# Qt (PySide6) needs these even offscreen; the xcb ones show real windows (and Xvfb runs the
# window test). OpenCV is the headless build and PyAV bundles FFmpeg, so the app needs no codecs;
# the apt ffmpeg (ffprobe) and xdotool only serve the tests.
APT_PACKAGES=(
  libglib2.0-0 libegl1 libgl1 libfontconfig1 libfreetype6 libxkbcommon0 libdbus-1-3
  libx11-xcb1 libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0
  libxcb-render-util0 libxcb-shape0 libxcb-shm0 libxcb-sync1 libxcb-xfixes0 libxcb-xkb1
  xvfb xauth
  ffmpeg xdotool
  # sound: pactl and libpulse (pulseaudio-utils) reach PipeWire/PulseAudio and make the virtual microphone,
  # PortAudio serves machines without a sound server; the tests start a private PipeWire (dbus-daemon...)
  libportaudio2 pulseaudio-utils pipewire pipewire-pulse wireplumber dbus-daemon
  espeak-ng  # test speech for the spoken-PII tests and benchmark (tests/audio, benchmarks/bench_speech.py)
  fonts-dejavu-core  # the screen-recording samples for the on-screen text tests and benchmark (screen_samples.py)
)

if command -v dpkg-query >/dev/null 2>&1; then
  missing=()
  for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
  done
  if ((${#missing[@]})); then
    if [ "$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
      echo "error: please install these packages first: ${missing[*]}" >&2
      exit 1
    fi
    echo "installing system packages: ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi

PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "error: PrivaStream needs Python 3.11 or newer (set PYTHON=/path/to/python3.11)" >&2
  exit 1
fi
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".[test]"
