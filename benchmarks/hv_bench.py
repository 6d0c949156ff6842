"""Which sampler earns its keep on this design space: hypervolume after N trials, against random.

    .venv/bin/python benchmarks/hv_bench.py [--trials 30] [--seeds 5] [--samplers ...]
        [--db PATH] [key=value ...]

Runs `python -m dse.run +sweep=pareto` (max validation accuracy, min size) once per sampler and
sampler seed, each its own study in one SQLite database (--db; default a temporary file), and
reads each study's hypervolume after every trial with the reference point the study stored
(accuracy at chance, size of the space's largest network: the same for every run). Printed per
sampler: the median hypervolume after 10, 20 and N trials over the seeds, the spread (min,
max) at N, and the median's ratio to random's; then the same with sizes on a log10 axis (same
reference point): on the linear axis, reaching to the space's largest network, one small
accurate network covers nearly all the volume there is, so samplers can differ by 2 % at most.
Extra key=value overrides go to every run (e.g.
dataset=cifar10_folder dataset.root=DIR arch=cifar_proxy train=cifar_proxy for the CIFAR-10
preset, with fewer seeds).

Runs share the database, so a network that an earlier run trained with the same seed, data and
training is reused, not trained again (the result is the same network's): later runs are
faster, and every sampler is judged on the same measurements. About 40 minutes for 6 samplers x
5 seeds x 30 trials on digits on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import optuna

from dse.search._hypervolume import hypervolume_history, stored_reference

SAMPLERS = ("random", "tpe", "gp", "nsga2", "qmc", "anneal")


def _run(sampler: str, seed: int, trials: int, db: Path, out: Path, extra: list[str]) -> str:
    """One study; its name."""
    name = f"hv-{sampler}-{seed}"
    command = [sys.executable, "-m", "dse.run", "+sweep=pareto", f"sampler={sampler}",
               f"sampler.seed={seed}", f"sweep.n_trials={trials}", f"study.name={name}",
               f"storage.url=sqlite:///{db}", f"study.output_dir={out}", "study.report=false",
               *extra]
    done = subprocess.run(command, capture_output=True, text=True,
                          env={**os.environ, "CI": "true"})
    if done.returncode != 0:
        raise SystemExit(f"{name} failed: {done.stderr.strip().splitlines()[-1:]}")
    return name


def _at(history: list[tuple[int, float]], n: int) -> float:
    """Hypervolume after the first n complete trials."""
    return history[min(n, len(history)) - 1][1] if history else 0.0


def main() -> None:
    """Run every (sampler, seed) and print the table and the goal."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--samplers", nargs="+", default=list(SAMPLERS))
    parser.add_argument("--db", type=Path, help="SQLite file (kept; runs resume from it)")
    parser.add_argument("overrides", nargs="*", help="config overrides for every run")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="hv-bench-"))
    db = args.db or folder / "hv.db"
    storage = f"sqlite:///{db}"
    finals: dict[bool, dict[str, list[list[float]]]] = {False: {}, True: {}}
    reference: list[float] | None = None
    for sampler in args.samplers:
        for logged in finals.values():
            logged[sampler] = []
        for seed in range(args.seeds):
            start = time.perf_counter()
            name = _run(sampler, seed, args.trials, db, folder / "out", args.overrides)
            study = optuna.load_study(study_name=name, storage=storage)
            reference = stored_reference(study)
            assert reference is not None
            for log_costs, table in finals.items():
                history = hypervolume_history(study, reference, log_costs=log_costs)
                table[sampler].append([_at(history, n) for n in (10, 20, args.trials)])
            print(f"{sampler:<7} seed {seed}: hypervolume after 10/20/{args.trials} trials "
                  + " / ".join(f"{v:.4f}" for v in finals[False][sampler][-1])
                  + f"  ({time.perf_counter() - start:.0f} s)", flush=True)
    print(f"\nreference point: accuracy {reference[0]:.3f}, size {reference[1]:.3f} MB "  # type: ignore[index]
          f"(stored with each study); {args.seeds} sampler seeds, {args.trials} trials")
    for log_costs, table in finals.items():
        _table(table, args.trials, "log10 size axis" if log_costs else "linear size axis")


def _table(finals: dict[str, list[list[float]]], trials: int, axis: str) -> None:
    """Print medians, spread and ratio to random per sampler, and the goal line."""
    medians = {s: [statistics.median(r[i] for r in rows) for i in range(3)]
               for s, rows in finals.items()}
    base = medians.get("random", [0.0, 0.0, 0.0])[2]
    print(f"\n{axis}:\n{'sampler':<8} {'median@10':>10} {'median@20':>10} "
          f"{f'median@{trials}':>10} {'min..max':>17} {'/ random':>9}")
    for sampler, rows in finals.items():
        last = [r[2] for r in rows]
        ratio = medians[sampler][2] / base if base else float("nan")
        print(f"{sampler:<8} {medians[sampler][0]:>10.4f} {medians[sampler][1]:>10.4f} "
              f"{medians[sampler][2]:>10.4f} {min(last):>8.4f}..{max(last):<8.4f} {ratio:>9.3f}")
    best = max((s for s in finals if s != "random"), key=lambda s: medians[s][2], default=None)
    if best and base:
        ratio = medians[best][2] / base
        print(f"goal best sampler's median hypervolume after {trials} trials >= 1.05x "
              f"random's ({axis}): {'met' if ratio >= 1.05 else 'NOT met'} ({best}: {ratio:.3f}x)")


if __name__ == "__main__":
    main()
