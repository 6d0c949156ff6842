"""Throughput figures, measured side by side in one run on this machine.

1. The default sweep (+sweep=squeeze_ratio: 8 SR x 3 seeds on digits), run for real three
   times: the old layout (1 worker x 2 threads, seeds one by one), the layout rule alone
   (dse/core/layout.py, seeds one by one), and the new default (layout rule + seed batching).
   Trials per hour, and each run's mean test top-1 per SR (how the numbers moved).
2. Achieved training GFLOP/s (6 x MACs per image x training images per second) over fp32
   matmul GFLOP/s on the same threads: one seed on 2 threads (old) and three seeds in one
   pass on 1 thread (new, what each worker of the new default runs).
3. One trial (`dse.run study.seeds=1`, the issue's command) quiet and beside one other
   CPU-bound process: the old layout (2 threads) and the new default.
4. Start-up: the wall time of a 1-epoch one-trial `dse.run` that is not the trial itself
   (imports, config, store, study, summary), and the import time of torch + Lightning alone.

    .venv/bin/python benchmarks/throughput_bench.py [--quick] [--json PATH]

--quick runs 1-epoch sweeps (a smoke test of the script, not figures to publish).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from train_bench import gflops_ratio, load_train_config  # noqa: E402

from dse.cli import quiet_libraries  # noqa: E402
from dse.core.presets import preset  # noqa: E402
from dse.store import load_results  # noqa: E402
from dse.training.data import build_data  # noqa: E402
from dse.training.train import fit_seeds  # noqa: E402

TRIALS_GOAL, MFU_GOAL, LOAD_GOAL = 1000.0, 0.30, 1.5
LAYOUTS = {  # label -> dse.run overrides
    "old: 1 worker x 2 threads, seeds alone": ["study.workers=1", "train.threads=2",
                                               "study.seed_batching=false"],
    "layout rule, seeds alone": ["study.seed_batching=false"],
    "new default: layout rule + seed batching": [],
}
BUSY = "while True: pass"


def dse_run(tmp: Path, name: str, *overrides: str) -> tuple[float, list[Any]]:
    """Run dse.run into a database of its own (none reuses another's results); return its
    wall time and the study's results."""
    url = f"sqlite:///{tmp}/{name}.db"
    cmd = [sys.executable, "-m", "dse.run", f"storage.url={url}", f"study.output_dir={tmp}/out",
           "study.report=false", f"study.name={name}", *overrides]
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, check=False)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stderr[-2000:]}")
    return wall, load_results(url, name)


def by_sr(results: Sequence[Any]) -> dict[float, float]:
    """Mean test top-1 per SR."""
    groups: dict[float, list[float]] = defaultdict(list)
    for r in results:
        groups[r.point["sr"]].append(r.test_top1)
    return {sr: statistics.fmean(v) for sr, v in sorted(groups.items())}


def bench_sweeps(tmp: Path, extra: list[str]) -> dict[str, Any]:
    """Section 1: the default sweep under each layout, one after another."""
    out = {}
    for i, (label, overrides) in enumerate(LAYOUTS.items()):
        wall, results = dse_run(tmp, f"sweep-{i}", "+sweep=squeeze_ratio", *overrides, *extra)
        out[label] = {"wall_s": wall, "trials": len(results),
                      "trials_per_hour": len(results) * 3600 / wall, "test_top1_by_sr": by_sr(results),
                      "threads": sorted({r.threads for r in results}),
                      "seed_batch": sorted({r.seed_batch for r in results})}
        print(f"  {label}: {wall:.1f} s for {len(results)} trials = "
              f"{out[label]['trials_per_hour']:.0f} trials/hour", flush=True)
    return out


def bench_mfu(epochs: int) -> dict[str, Any]:
    """Section 2: achieved training GFLOP/s over matmul GFLOP/s on the same threads."""
    cfg = load_train_config(ROOT / "conf" / "train" / "cpu_proxy.yaml",
                            {"progress": False, "epochs": epochs})
    arch = preset("cpu_proxy")
    data = build_data({"name": "digits"}, input_size=arch.input_size)
    out = {}
    for label, threads, seeds in (("old: 1 seed, 2 threads", 2, [0]),
                                  ("new: 3 seeds in one pass, 1 thread", 1, [0, 1, 2])):
        fit_seeds(arch, data, replace(cfg, threads=threads), seeds=seeds)  # warm: oneDNN, caches
        out[label] = m = gflops_ratio(arch, data, cfg, threads=threads, seeds=seeds)
        print(f"  {label}: {m['gflops']:.1f} / {m['matmul_gflops']:.1f} GFLOP/s = "
              f"{m['ratio']:.3f} ({m['trial_s']:.1f} s per seed)", flush=True)
    torch.set_num_threads(1)
    return out


def bench_load(tmp: Path, extra: list[str]) -> dict[str, Any]:
    """Section 3: one trial quiet, then beside one busy process, for both layouts."""
    out = {}
    for label, overrides in (("old: 2 threads", ["study.workers=1", "train.threads=2"]),
                             ("new default", [])):
        times = {}
        for condition in ("quiet", "loaded"):
            busy = subprocess.Popen([sys.executable, "-c", BUSY]) if condition == "loaded" \
                else None
            try:
                time.sleep(1.0 if busy else 0)  # let it take its core
                _, results = dse_run(tmp, f"load-{label[:3]}-{condition}", "study.seeds=1",
                                     *overrides, *extra)
            finally:
                if busy:
                    busy.kill()
                    busy.wait()
            times[condition] = results[0].wall_time_s
        out[label] = {**times, "ratio": times["loaded"] / times["quiet"]}
        print(f"  {label}: {times['quiet']:.1f} s quiet, {times['loaded']:.1f} s loaded = "
              f"{out[label]['ratio']:.2f}x", flush=True)
    return out


def bench_startup(tmp: Path) -> dict[str, Any]:
    """Section 4: what a 1-epoch one-trial run spends outside its trial."""
    wall, results = dse_run(tmp, "startup", "study.seeds=1", "train.epochs=1")
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import pytorch_lightning"], check=True, cwd=ROOT)
    imports = time.perf_counter() - start
    out = {"run_s": wall, "trial_s": results[0].wall_time_s,
           "outside_trial_s": wall - results[0].wall_time_s, "import_torch_lightning_s": imports}
    print(f"  dse.run {wall:.1f} s, of which the trial {results[0].wall_time_s:.1f} s: "
          f"{out['outside_trial_s']:.1f} s outside it; importing torch + Lightning alone: "
          f"{imports:.1f} s", flush=True)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Run the four sections and print their figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="1-epoch sweeps (smoke test)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    quiet_libraries()
    extra = ["train.epochs=1"] if args.quick else []
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        print("1. default sweep, trials per hour", flush=True)
        figures["sweeps"] = bench_sweeps(Path(tmp), extra)
        print("2. achieved training GFLOP/s / matmul GFLOP/s (default network)", flush=True)
        figures["mfu"] = bench_mfu(1 if args.quick else 20)
        print("3. one trial beside one other CPU-bound process / quiet", flush=True)
        figures["load"] = bench_load(Path(tmp), extra)
        print("4. start-up", flush=True)
        figures["startup"] = bench_startup(Path(tmp))
    old, new = (figures["sweeps"][k]["trials_per_hour"] for k in (list(LAYOUTS)[0],
                                                                  list(LAYOUTS)[-1]))
    mfu = figures["mfu"]["new: 3 seeds in one pass, 1 thread"]["ratio"]
    load = figures["load"]["new default"]["ratio"]
    print(f"\nsummary: {new:.0f} trials/hour ({new / old:.2f}x the old layout; goal >= "
          f"{TRIALS_GOAL:.0f}), GFLOP/s ratio {mfu:.3f} (goal >= {MFU_GOAL}), loaded/quiet "
          f"{load:.2f} (goal <= {LOAD_GOAL}), {figures['startup']['outside_trial_s']:.1f} s "
          "outside the trial", flush=True)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
