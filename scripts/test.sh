#!/usr/bin/env bash
# Set up and run the whole test suite plus the linter.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# setup.sh installed PipeWire: the audio tests start a private one and must not skip for want of it
export PRIVASTREAM_REQUIRE_SOUND=1
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/python -m pytest -q "$@"
