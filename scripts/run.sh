#!/usr/bin/env bash
# Quick start: set up, render a sample clip (real faces, moving cars, music),
# and protect it. The results land in ./out/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
mkdir -p out
.venv/bin/python -m privastream_desktop.samples out/sample.mp4 --scene mixed --seconds 6
.venv/bin/privastream video out/sample.mp4 out/sample_private.mp4 --overwrite
echo "compare out/sample.mp4 (original) with out/sample_private.mp4 (protected)"
