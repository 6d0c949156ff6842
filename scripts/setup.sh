#!/usr/bin/env bash
# Create (or refresh) the project's virtualenv in .venv, and get Debian's chromium for the
# static figure export (PNG/SVG through kaleido) and the browser tests. Idempotent: a stamp of
# pyproject.toml makes a second run a no-op, and chromium is only looked for once it is there.
# torch is installed first at the exact version pyproject pins, so pip takes the CPU build
# that lies on this machine's disk instead of a multi-GB CUDA build.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null || PYTHON=python3
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
stamp=".venv/.dse-installed"
want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
  torch_pin="$(grep -oE '"torch==[0-9.]+"' pyproject.toml | tr -d '"')"
  .venv/bin/python -m pip install -q --disable-pip-version-check "$torch_pin"
  .venv/bin/python -m pip install -q --disable-pip-version-check -e ".[dev,export]"
  echo "$want" > "$stamp"
fi
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    echo "installing Debian's chromium (PNG/SVG figures, browser tests) with apt-get ..."
    apt_quiet() { DEBIAN_FRONTEND=noninteractive apt-get "$@" >/dev/null 2>&1; }
    apt_quiet install -y -q chromium || { apt_quiet update -q && apt_quiet install -y -q chromium; } \
      || echo "warning: could not install chromium; PNG/SVG will be skipped, browser tests fail"
  else
    echo "no chromium: run 'sudo apt-get install chromium' to get PNG/SVG figures (skipped" \
      "until then; HTML and CSV are still written)"
  fi
fi
