"""The CIFAR-10 preset's four figures, printed side by side with their goals.

    .venv/bin/python benchmarks/cifar_bench.py --root DIR [--results DIR] [--rerun]
        [--frontier] [--epochs N] [--json PATH]

DIR is CIFAR-10 in folder layout (train/<class>/*.jpg, test/<class>/*.jpg), e.g. extracted with
`mkdir -p DIR && tar xzf cifar10-jpg.tar.gz -C DIR`. Every figure uses the presets
arch=cifar_proxy train=cifar_proxy dataset=cifar10_folder.

1. The baseline (SR 0.125, pct3x3 0.5, no bypass): test top-1, mean of 3 seeds, full training
   set; read from the published bypass study (Table 3), whose `none` point is that baseline.
2. The Figure 3a sweep (8 SR x 3 seeds): wall time from its first trial's start to its last
   trial's end, read from the published squeeze-ratio study.
   Both come from results.csv files that `python -m dse.run` wrote (--results, default
   results/cifar10). --rerun runs the two studies again here (about 80 minutes on 2 cores),
   each into a database of its own, and reads them instead.
3. Trial time over a minimal plain-PyTorch loop (benchmarks/train_bench.plain_fit) on the same
   network, data, batches and steps: `--epochs` (default 1) epochs of the baseline, 1 thread
   each (what each of the sweep's two workers runs), interleaved A B B A.
4. Achieved training GFLOP/s (6 x MACs per image x training images per second) over fp32
   matmul GFLOP/s on the same single thread: a lone seed, and 3 seeds in one pass; the
   summary shows the one the sweep ran (seed_batching=auto chose one seed at a time here).
--frontier also trains the variants of FRONTIER (1 seed each, full schedule, 1 thread) and
prints test top-1 against seconds per trial: the accuracy-vs-time trade-off behind the preset.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from train_bench import gflops_ratio, plain_fit  # noqa: E402

from dse.cli import compose, quiet_libraries, to_plain  # noqa: E402
from dse.core.complexity import count  # noqa: E402
from dse.core.config import RunConfig, run_config  # noqa: E402
from dse.core.expand import expand  # noqa: E402
from dse.training.data import DataModule, build_data  # noqa: E402
from dse.training.train import fit  # noqa: E402

TOP1_GOAL, SWEEP_GOAL_MIN, OVERHEAD_GOAL, MFU_GOAL = 0.70, 60.0, 1.10, 0.30
PRESETS = ["arch=cifar_proxy", "train=cifar_proxy", "dataset=cifar10_folder"]
STUDIES = {"baseline": ("bypass-cifar10", "+sweep=bypass"),
           "sweep": ("squeeze_ratio-cifar10", "+sweep=squeeze_ratio")}
BASELINE = {"sr": 0.125, "pct3x3": 0.5, "bypass": "none"}
# label -> (arch overrides, train overrides) of the cifar_proxy presets, for --frontier.
FRONTIER: dict[str, tuple[list[str], list[str]]] = {
    "cifar_proxy (the preset)": ([], []),
    "dropout 0.1, lr 0.2": (["arch.dropout=0.1"], ["train.lr=0.2"]),
    "pools after conv1, fire4, fire8": (["arch.pool_after=[conv1,fire4,fire8]"], []),
    "10 epochs": ([], ["train.epochs=10"]),
    "base_e = incr_e = 64, 10 epochs": (["arch.base_e=64", "arch.incr_e=64"],
                                        ["train.epochs=10"]),
}


def preset_config(root: Path, *overrides: str) -> RunConfig:
    """The run config of the CIFAR-10 presets on the folder at `root`."""
    return run_config(to_plain(compose("config", [*PRESETS, f"dataset.root={root}",
                                                  "train.progress=false", *overrides])))


def rerun_studies(root: Path, out: Path) -> Path:
    """Run the two studies afresh with dse.run, each into its own database; return their
    results folder (one <study>/results.csv each)."""
    for study, sweep in STUDIES.values():
        cmd = [sys.executable, "-m", "dse.run", sweep, *PRESETS, f"dataset.root={root}",
               f"study.name={study}", f"storage.url=sqlite:///{out}/{study}.db",
               f"study.output_dir={out}"]
        print(f"  {' '.join(cmd[1:])}", flush=True)
        subprocess.run(cmd, cwd=ROOT, check=True)
    return out


def stored_figures(results: Path) -> dict[str, Any]:
    """Sections 1-2 from results.csv files: baseline accuracy and the sweep's wall time."""
    frames = {}
    for key, (study, _) in STUDIES.items():
        path = results / study / "results.csv"
        if not path.is_file():
            raise SystemExit(f"{path} is missing: run the published studies (README, 'Results "
                             "on CIFAR-10') or pass --rerun")
        frames[key] = pd.read_csv(path)
    base = frames["baseline"]
    # The study reuses the baseline from the Figure 3a study (the same network): "reused".
    base = base[base["status"].isin(["complete", "reused"]) & (base["bypass"] == BASELINE["bypass"])
                & (base["sr"] == BASELINE["sr"]) & (base["pct3x3"] == BASELINE["pct3x3"])]
    sweep = frames["sweep"]
    ends = pd.to_datetime(sweep["created_at"], format="ISO8601", utc=True)
    starts = ends - pd.to_timedelta(sweep["wall_time_s"], unit="s")
    return {
        "baseline": {"seeds": sorted(base["seed"].tolist()),
                     "test_top1": base["test_top1"].tolist(),
                     "mean": float(base["test_top1"].mean()),
                     "seconds_per_trial": float(base["wall_time_s"].mean())},
        "sweep": {"trials": len(sweep), "complete": int((sweep["status"] == "complete").sum()),
                  "wall_min": (ends.max() - starts.min()).total_seconds() / 60,
                  "threads": sorted(sweep["threads"].dropna().unique().tolist()),
                  "seed_batch": sorted(sweep["seed_batch"].dropna().unique().tolist())},
    }


def overhead(cfg: RunConfig, data: DataModule, epochs: int) -> dict[str, Any]:
    """Section 3: fit() against the plain loop, 1 thread, interleaved A B B A after a warm-up."""
    train = replace(cfg.train, epochs=epochs, threads=1)
    fit(cfg.arch, data, replace(train, epochs=1), seed=0)  # oneDNN primitives, caches
    runs: dict[str, list[float]] = {"fit": [], "plain": []}
    for side in ("fit", "plain", "plain", "fit"):
        if side == "fit":
            runs[side].append(fit(cfg.arch, data, train, seed=0).wall_time_s)
        else:
            runs[side].append(plain_fit(cfg.arch, data, train, seed=0).wall_time_s)
        print(f"  {side}: {runs[side][-1]:.1f} s", flush=True)
    medians = {k: statistics.median(v) for k, v in runs.items()}
    return {"epochs": epochs, "runs_s": runs, "median_s": medians,
            "ratio": medians["fit"] / medians["plain"]}


def throughput(cfg: RunConfig, data: DataModule, epochs: int) -> dict[str, Any]:
    """Section 4: achieved training GFLOP/s over matmul GFLOP/s, both on one thread."""
    train = replace(cfg.train, epochs=epochs)
    out = {}
    for label, seeds in (("1 seed", [0]), ("3 seeds in one pass", [0, 1, 2])):
        out[label] = m = gflops_ratio(cfg.arch, data, train, threads=1, seeds=seeds)
        print(f"  {label}: {m['gflops']:.1f} / {m['matmul_gflops']:.1f} GFLOP/s = "
              f"{m['ratio']:.3f}", flush=True)
    return out


def frontier(root: Path) -> dict[str, Any]:
    """--frontier: each variant's baseline, 1 seed, full schedule, 1 thread."""
    out = {}
    for label, (arch, train) in FRONTIER.items():
        cfg = preset_config(root, *arch, *train, "train.threads=1")
        data = build_data(cfg.dataset, input_size=cfg.arch.input_size)
        result = fit(cfg.arch, data, cfg.train, seed=0)
        out[label] = {"test_top1": result.test_top1, "seconds": result.wall_time_s,
                      "macs": count(expand(cfg.arch)).macs, "epochs": cfg.train.epochs}
        print(f"  {label}: {result.test_top1:.3f} in {result.wall_time_s:.0f} s", flush=True)
    return out


def _ok(flag: bool) -> str:
    """'met' or 'NOT met'."""
    return "met" if flag else "NOT met"


def summary_lines(figures: dict[str, Any]) -> list[str]:
    """The four figures against their goals."""
    base, sweep = figures["stored"]["baseline"], figures["stored"]["sweep"]
    ov = figures["overhead"]
    how = "1 seed" if sweep["seed_batch"] == [1] else "3 seeds in one pass"  # as the sweep ran
    tp = figures["throughput"][how]
    return [
        f"baseline test top-1 (mean of seeds {base['seeds']}): {base['mean']:.3f} "
        f"({', '.join(f'{t:.3f}' for t in base['test_top1'])}; "
        f"{base['seconds_per_trial']:.0f} s per trial)  goal >= {TOP1_GOAL}: "
        f"{_ok(base['mean'] >= TOP1_GOAL)}",
        f"Figure 3a sweep ({sweep['complete']}/{sweep['trials']} trials complete, threads "
        f"{sweep['threads']}, seed batch {sweep['seed_batch']}): {sweep['wall_min']:.1f} min  "
        f"goal <= {SWEEP_GOAL_MIN:.0f}: {_ok(sweep['wall_min'] <= SWEEP_GOAL_MIN)}",
        f"trial time / plain loop ({ov['epochs']} epoch(s), 1 thread): {ov['ratio']:.3f}  "
        f"goal <= {OVERHEAD_GOAL}: {_ok(ov['ratio'] <= OVERHEAD_GOAL)}",
        f"training GFLOP/s / matmul GFLOP/s ({how}, as the sweep trained, 1 thread): "
        f"{tp['ratio']:.3f}  goal >= {MFU_GOAL}: {_ok(tp['ratio'] >= MFU_GOAL)}",
    ]


def main(argv: list[str] | None = None) -> int:
    """Measure and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", type=Path, required=True, help="CIFAR-10 in folder layout")
    parser.add_argument("--results", type=Path, default=ROOT / "results" / "cifar10",
                        help="folder of the published studies' <study>/results.csv")
    parser.add_argument("--rerun", action="store_true", help="run sections 1-2 afresh")
    parser.add_argument("--frontier", action="store_true", help="also train FRONTIER")
    parser.add_argument("--epochs", type=int, default=1, help="epochs of sections 3-4")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    quiet_libraries()
    started = datetime.now()
    cfg = preset_config(args.root)
    data = build_data(cfg.dataset, input_size=cfg.arch.input_size)
    data.setup()
    figures: dict[str, Any] = {"machine": {"started": started.isoformat(timespec="seconds")}}
    with tempfile.TemporaryDirectory() as tmp:
        results = rerun_studies(args.root, Path(tmp)) if args.rerun else args.results
        print("1-2. baseline accuracy and Figure 3a sweep time, from", results, flush=True)
        figures["stored"] = stored_figures(results)
    print("3. trial time / plain-PyTorch loop", flush=True)
    figures["overhead"] = overhead(cfg, data, args.epochs)
    print("4. training GFLOP/s / matmul GFLOP/s", flush=True)
    figures["throughput"] = throughput(cfg, data, args.epochs)
    if args.frontier:
        print("5. accuracy vs seconds per trial (1 seed, 1 thread)", flush=True)
        figures["frontier"] = frontier(args.root)
    figures["machine"]["minutes"] = (datetime.now() - started).total_seconds() / 60
    print("\nsummary:\n  " + "\n  ".join(summary_lines(figures)), flush=True)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
