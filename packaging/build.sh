#!/usr/bin/env bash
# Build PrivaStream as one folder with PyInstaller, offline.
#
#   packaging/build.sh [OUTDIR]      default OUTDIR: build/pyinstaller
#
# Result: OUTDIR/dist/privastream/ (run OUTDIR/dist/privastream/privastream); PyInstaller's
# work files go to OUTDIR/work. Prints the bundle size and the build time.
# PYTHON picks the interpreter (default: .venv/bin/python, else python3); it needs the app's
# dependencies and pyinstaller (`pip install -e ".[test]"` has both).
# Set PRIVASTREAM_TARBALL=1 to also write OUTDIR/privastream-<version>-<os>-<arch>.tar.gz.
set -euo pipefail
REPO="$(cd "$(dirname "$0")/.." && pwd)"
OUTDIR="${1:-$REPO/build/pyinstaller}"
mkdir -p "$OUTDIR"
OUTDIR="$(cd "$OUTDIR" && pwd)"

if [ -n "${PYTHON:-}" ]; then :
elif [ -x "$REPO/.venv/bin/python" ]; then PYTHON="$REPO/.venv/bin/python"
else PYTHON=python3; fi
if ! "$PYTHON" -c "import PyInstaller" 2>/dev/null; then
  echo "error: PyInstaller is not installed for $PYTHON (pip install -e '.[test]')" >&2
  exit 1
fi

# Reproducible: fixed hash seed (set and frozenset order in the bytecode) and timestamps
# taken from the last commit instead of the clock.
export PYTHONHASHSEED=0
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
  SOURCE_DATE_EPOCH="$(git -C "$REPO" log -1 --format=%ct 2>/dev/null || echo 315532800)"
fi
export SOURCE_DATE_EPOCH
# Offline: PyInstaller needs no network; keep pip from trying, and keep the user's Qt settings out.
export PIP_NO_INDEX=1
unset QT_PLUGIN_PATH QT_QPA_PLATFORM_PLUGIN_PATH

start=$(date +%s.%N)
"$PYTHON" -m PyInstaller --noconfirm --clean --log-level "${PYINSTALLER_LOG_LEVEL:-WARN}" \
  --distpath "$OUTDIR/dist" --workpath "$OUTDIR/work" "$REPO/packaging/privastream.spec"
end=$(date +%s.%N)

BUNDLE="$OUTDIR/dist/privastream"
[ -x "$BUNDLE/privastream" ] || [ -f "$BUNDLE/privastream.exe" ] || { echo "error: no executable in $BUNDLE" >&2; exit 1; }
echo "built $BUNDLE in $("$PYTHON" -c "print(f'{$end - $start:.1f}')") s"
printf 'bundle size: %s (%s files)\n' "$(du -sh "$BUNDLE" | cut -f1)" "$(find "$BUNDLE" -type f | wc -l)"

if [ "${PRIVASTREAM_TARBALL:-0}" = 1 ]; then
  version="$("$PYTHON" -c 'import privastream_desktop as p; print(p.__version__)')"
  tarball="$OUTDIR/privastream-$version-$(uname -s | tr A-Z a-z)-$(uname -m).tar.gz"
  # sorted names, fixed owner and mtime: the same folder gives the same tarball
  tar -C "$OUTDIR/dist" --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$SOURCE_DATE_EPOCH" \
    -cf - privastream | gzip -n -6 > "$tarball"
  printf 'tarball: %s (%s)\n' "$tarball" "$(du -sh "$tarball" | cut -f1)"
fi
