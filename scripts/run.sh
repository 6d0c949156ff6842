#!/usr/bin/env bash
# Set everything up and print the default network (the sweep comes with the studies issue).
# Extra arguments are Hydra overrides, e.g. `bash scripts/run.sh dataset=cifar10 dataset.root=...`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python -m dse.inspect "$@"
