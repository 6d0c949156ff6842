#!/usr/bin/env bash
# Run (or resume) the published studies of results/README.md and copy what a reader
# needs to check them into results/: each study's results.csv, verdicts.csv, figure CSV and PNG.
#
#   bash scripts/paper_results.sh cifar10 DIR   # DIR: CIFAR-10 in folder layout (train/, test/)
#   bash scripts/paper_results.sh digits        # the same three studies on the embedded digits
#
# Extra arguments after DIR (or after digits) are Hydra overrides for every study, for example
# study.seeds=5. SWEEPS="bypass" runs only some of them. Studies resume: run the same command
# again to finish one that was stopped.
set -euo pipefail
cd "$(dirname "$0")/.."
dataset="${1:?usage: paper_results.sh cifar10 DIR [overrides] | digits [overrides]}"
shift
case "$dataset" in
  cifar10)
    root="${1:?usage: paper_results.sh cifar10 DIR [overrides]}"
    shift
    common=(arch=cifar_proxy train=cifar_proxy dataset=cifar10_folder "dataset.root=$root") ;;
  digits) common=() ;;
  *) echo "paper_results.sh: unknown dataset '$dataset'; valid: cifar10, digits" >&2; exit 2 ;;
esac
store="sqlite:///studies/$dataset.sqlite3"
for sweep in ${SWEEPS:-squeeze_ratio bypass pct3x3}; do
  study="$sweep-$dataset"
  start=$(date +%s)
  .venv/bin/python -m dse.run "+sweep=$sweep" "${common[@]}" "study.name=$study" \
    "storage.url=$store" "$@"
  echo "$study: $(( $(date +%s) - start )) s wall on $(nproc) cores" | tee -a "studies/$dataset.log"
  out="results/$dataset/$study"
  mkdir -p "$out"
  cp "studies/$study"/{results,verdicts}.csv "studies/$study"/*.png "$out/"
  for csv in "studies/$study"/{fig3a,fig3b,table3,claims_by_budget,learning_curves}.csv; do
    if [ -f "$csv" ]; then cp "$csv" "$out/"; fi
  done
done
