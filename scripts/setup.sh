#!/usr/bin/env bash
# Create (or refresh) the project's virtualenv in .venv. Idempotent: a stamp of pyproject.toml
# makes a second run a no-op. torch is installed first at the exact version pyproject pins, so
# pip takes the CPU build that lies on this machine's disk instead of a multi-GB CUDA build.
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
  .venv/bin/python -m pip install -q --disable-pip-version-check -e ".[dev]"
  echo "$want" > "$stamp"
fi
