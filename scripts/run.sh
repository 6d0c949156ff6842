#!/usr/bin/env bash
# Set everything up and run the default sweep (+sweep=squeeze_ratio: Figure 3a on the embedded
# digits). Extra arguments are Hydra overrides, e.g. `bash scripts/run.sh study.workers=2`;
# one of them may pick another sweep (`+sweep=bypass`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
sweep=("+sweep=squeeze_ratio")
for arg in "$@"; do
  case "$arg" in
    +sweep=* | sweep=* | ++sweep=*) sweep=() ;;
  esac
done
exec .venv/bin/python -m dse.run "${sweep[@]}" "$@"
