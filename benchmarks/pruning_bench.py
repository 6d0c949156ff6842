"""Size-aware pruning (study.pruner=size_aware) against none, side by side: trials per hour and
hypervolume at equal wall time.

    .venv/bin/python benchmarks/pruning_bench.py [--trials 30] [--seeds 3] [--sampler tpe]
        [key=value ...]

For each sampler seed, runs `python -m dse.run +sweep=pareto` twice, without and with the
pruner (in that order, then the other order for the next seed), each into a fresh SQLite
database (no result is reused), and reads from the study: the wall time from its first trial's
start to its last trial's end, trials per hour, and the hypervolume (the study's stored
reference point) of the trials complete by the time the faster of the pair finished: equal
wall time. Pruned trials count as trials (they ended), not in the hypervolume. Timing: run it
on a quiet machine. About 20 minutes for 3 seeds x 30 trials on digits on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import optuna
from optuna.trial import TrialState

from dse.search._hypervolume import hypervolume_history, stored_reference


def _run(pruner: str, seed: int, args: argparse.Namespace, folder: Path) -> optuna.Study:
    """One study in its own database; the loaded study."""
    db = folder / f"{pruner}-{seed}.db"
    command = [sys.executable, "-m", "dse.run", "+sweep=pareto", f"sampler={args.sampler}",
               f"sampler.seed={seed}", f"sweep.n_trials={args.trials}", f"study.pruner={pruner}",
               f"storage.url=sqlite:///{db}", f"study.output_dir={folder}/out",
               "study.report=false", *args.overrides]
    done = subprocess.run(command, capture_output=True, text=True,
                          env={**os.environ, "CI": "true"})
    if done.returncode != 0:
        raise SystemExit(f"{pruner} seed {seed} failed: {done.stderr.strip().splitlines()[-1:]}")
    return optuna.load_study(study_name="pareto-digits", storage=f"sqlite:///{db}")


def _span(study: optuna.Study) -> tuple[float, float]:
    """(first start, last end) of the study's trials, in epoch seconds."""
    trials = [t for t in study.trials if t.datetime_start and t.datetime_complete]
    return (min(t.datetime_start.timestamp() for t in trials),  # type: ignore[union-attr]
            max(t.datetime_complete.timestamp() for t in trials))  # type: ignore[union-attr]


def _hv_by(study: optuna.Study, seconds: float) -> float:
    """Hypervolume of the trials complete within `seconds` of the study's first start."""
    start, _ = _span(study)
    reference = stored_reference(study)
    assert reference is not None
    done = {t.number for t in study.trials if t.state == TrialState.COMPLETE
            and t.datetime_complete is not None
            and t.datetime_complete.timestamp() - start <= seconds + 1e-6}
    history = [v for n, v in hypervolume_history(study, reference) if n in done]
    return history[-1] if history else 0.0


def main() -> None:
    """Run the pairs and print their figures and the goal."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--sampler", default="tpe")
    parser.add_argument("overrides", nargs="*", help="config overrides for every run")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="pruning-bench-"))
    rates: dict[str, list[float]] = {"none": [], "size_aware": []}
    hvs: dict[str, list[float]] = {"none": [], "size_aware": []}
    print(f"{'seed':>4} {'pruner':<11} {'wall s':>7} {'trials/h':>9} {'pruned':>6} "
          f"{'HV at equal time':>16}", flush=True)
    for seed in range(args.seeds):
        order = ("none", "size_aware") if seed % 2 == 0 else ("size_aware", "none")
        studies = {pruner: _run(pruner, seed, args, folder) for pruner in order}
        walls = {p: _span(s)[1] - _span(s)[0] for p, s in studies.items()}
        equal = min(walls.values())
        for pruner in ("none", "size_aware"):
            study = studies[pruner]
            rate = len(study.trials) / walls[pruner] * 3600
            pruned = sum(t.state == TrialState.PRUNED for t in study.trials)
            hv = _hv_by(study, equal)
            rates[pruner].append(rate)
            hvs[pruner].append(hv)
            print(f"{seed:>4} {pruner:<11} {walls[pruner]:>7.0f} {rate:>9.0f} {pruned:>6} "
                  f"{hv:>16.4f}", flush=True)
    speed = statistics.median(rates["size_aware"]) / statistics.median(rates["none"])
    ahead = sum(a >= b for a, b in zip(hvs["size_aware"], hvs["none"], strict=True))
    print(f"\ntrials per hour, median: {statistics.median(rates['none']):.0f} without, "
          f"{statistics.median(rates['size_aware']):.0f} with size-aware pruning = {speed:.2f}x")
    print(f"hypervolume at equal wall time, median: {statistics.median(hvs['none']):.4f} "
          f"without, {statistics.median(hvs['size_aware']):.4f} with ({ahead} of {args.seeds} "
          "seeds not lower with it)")
    ok = speed >= 1.3 and statistics.median(hvs["size_aware"]) >= statistics.median(hvs["none"])
    print(f"goal >= 1.3x trials per hour with hypervolume at equal wall time not lower: "
          f"{'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
