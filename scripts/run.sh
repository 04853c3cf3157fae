#!/usr/bin/env bash
# Quick start: set up and open the PrivaStream app. With no camera attached it
# plays a rendered sample clip (real faces, moving cars) in a loop instead.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
mkdir -p out
if [ ! -f out/sample.mp4 ]; then
  .venv/bin/python -m privastream_desktop.samples out/sample.mp4 --scene mixed --seconds 20
fi
if [ "$(uname)" = "Linux" ] && [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  echo "error: no screen to show the app on (DISPLAY is not set)." >&2
  echo "  on a desktop, run this from a terminal inside your session;" >&2
  echo "  on a server, try: xvfb-run -a scripts/run.sh   or the headless: .venv/bin/privastream live --help" >&2
  exit 1
fi
if compgen -G "/dev/video*" >/dev/null; then
  exec .venv/bin/privastream app
else
  echo "no camera found: playing out/sample.mp4 in a loop (pick a camera or another file in the app)"
  exec .venv/bin/privastream app --source out/sample.mp4
fi
