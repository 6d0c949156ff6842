"""Training benchmarks for the cpu_proxy network on digits, measured side by side in one run.

1. Lightning overhead: `dse.training.train.fit` against a minimal plain-PyTorch loop doing the same work
   (same network, batches, optimiser, per-step schedule, per-epoch validation, final val/test
   evaluation), interleaved A B A B ... so machine noise hits both alike.
2. Achieved training GFLOP/s (3 x 2 x MACs per image x images/s) against this machine's fp32
   matmul GFLOP/s, the latter sampled between the trials of section 1.
3. The cpu_proxy baseline: test top-1 and seconds per trial over seeds.
4. Bypass none / simple / complex and SR 0.125 / 0.75 over the same seeds, trials interleaved.

    .venv/bin/python benchmarks/train_bench.py [--quick] [--json PATH]
        [--train KEY=VALUE ...] [--arch KEY=VALUE ...]   # try another recipe, e.g.
        --arch input_size=24 --train warmup_epochs=2
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
import yaml

from dse.core.complexity import count
from dse.core.expand import expand
from dse.core.presets import preset
from dse.core.spec import ArchSpec
from dse.training.data import DataModule, build_data
from dse.training.model import build_model
from dse.training.train import TrainConfig, evaluate, fit, fit_seeds, lr_factor, train_config

ROOT = Path(__file__).resolve().parents[1]
TRAIN_YAML = ROOT / "conf" / "train" / "cpu_proxy.yaml"
OVERHEAD_GOAL = 1.15  # fit() / plain loop
MFU_GOAL = 0.20  # achieved training GFLOP/s / matmul GFLOP/s
TOP1_GOAL, SECONDS_GOAL = 0.95, 30.0  # baseline: mean test top-1, seconds per trial
# Section 4: label -> arch overrides of the cpu_proxy preset ("baseline" is the preset itself).
VARIANTS: dict[str, dict[str, Any]] = {
    "baseline": {},
    "bypass=simple": {"bypass": "simple"},
    "bypass=complex": {"bypass": "complex"},
    "sr=0.75": {"sr": 0.75},
}


@dataclass(frozen=True)
class PlainResult:
    """What one plain-PyTorch training run measured (the fields fit() also reports)."""

    test_top1: float
    wall_time_s: float
    train_time_s: float  # inside epochs, per-epoch validation included (as fit measures it)
    images_per_s: float


def load_train_config(path: Path, overrides: dict[str, Any]) -> TrainConfig:
    """TrainConfig from a conf/train YAML file, with key overrides applied."""
    with path.open() as handle:
        values = yaml.safe_load(handle)
    return train_config({**values, **overrides})


def parse_overrides(items: Sequence[str]) -> dict[str, Any]:
    """KEY=VALUE strings -> dict, values parsed as YAML scalars."""
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValueError(f"override must look like KEY=VALUE, got {item!r}")
        out[key] = yaml.safe_load(value)
    return out


def digits(input_size: int) -> DataModule:
    """The digits data module at `input_size`, loaded."""
    data = build_data({"name": "digits"}, input_size=input_size)
    data.setup()
    return data


def _seed_all(seed: int) -> None:
    """Seed Python, NumPy and torch as pl.seed_everything does."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def plain_fit(arch: ArchSpec, data: DataModule, cfg: TrainConfig, *, seed: int) -> PlainResult:
    """Train like dse.training.train.fit (CPU, SGD/AdamW, per-step schedule) with a bare PyTorch loop."""
    start = time.perf_counter()
    torch.set_num_threads(cfg.threads or os.cpu_count() or 1)
    torch.use_deterministic_algorithms(cfg.deterministic)
    data.setup()
    data.configure(batch_size=cfg.batch_size, seeds=[seed], device="cpu")
    _seed_all(seed)
    model = build_model(expand(arch), seeds=[seed])
    layout = torch.channels_last if cfg.channels_last else torch.contiguous_format
    model.to(memory_format=layout)
    train_batches, val_batches = data.train_dataloader(), data.val_dataloader()
    if cfg.optimizer == "sgd":
        opt: torch.optim.Optimizer = torch.optim.SGD(
            model.parameters(), lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay)
    else:
        opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, functools.partial(lr_factor, cfg, len(train_batches)))
    seen, train_time, diverged = 0, 0.0, False
    for _ in range(cfg.epochs):
        t0 = time.perf_counter()
        model.train()
        losses = []
        for images, labels in train_batches:
            images = images.contiguous(memory_format=layout)
            loss = F.cross_entropy(model(images), labels, label_smoothing=cfg.label_smoothing)
            if not torch.isfinite(loss):
                diverged = True
                break
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            seen += len(labels)
            losses.append(loss.detach())
        evaluate(model, val_batches, torch.device("cpu"))  # the per-epoch validation pass
        if losses:
            float(torch.stack(losses).mean())
        train_time += time.perf_counter() - t0
        if diverged:
            break
    evaluate(model, data.eval_batches("val"), torch.device("cpu"))
    test_top1, _ = evaluate(model, data.eval_batches("test"), torch.device("cpu"))
    return PlainResult(
        test_top1=test_top1, wall_time_s=time.perf_counter() - start, train_time_s=train_time,
        images_per_s=seen / train_time if train_time else 0.0,
    )


def matmul_gflops(n: int = 1024, *, repeats: int = 7, threads: int | None = None) -> float:
    """Median fp32 GFLOP/s of an n x n matmul on `threads` threads (all cores by default)."""
    torch.set_num_threads(threads or os.cpu_count() or 1)
    a, b = torch.randn(n, n), torch.randn(n, n)
    for _ in range(2):
        torch.matmul(a, b)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        torch.matmul(a, b)
        times.append(time.perf_counter() - t0)
    return 2 * n**3 / statistics.median(times) / 1e9


def gflops_ratio(arch: ArchSpec, data: DataModule, cfg: TrainConfig, *, threads: int,
                 seeds: Sequence[int]) -> dict[str, float]:
    """Achieved training GFLOP/s (6 x MACs per image x training images/s) of one fit_seeds
    pass on `threads` threads, over fp32 matmul GFLOP/s sampled right after on the same."""
    result = fit_seeds(arch, data, replace(cfg, threads=threads), seeds=seeds)[0]
    achieved = 6 * count(expand(arch)).macs * result.images_per_s / 1e9
    peak = matmul_gflops(threads=threads)
    return {"gflops": achieved, "matmul_gflops": peak, "ratio": achieved / peak,
            "images_per_s": result.images_per_s, "trial_s": result.wall_time_s}


def summary(values: Sequence[float]) -> dict[str, float]:
    """Mean, std (0 for one value), min, max and median of `values`."""
    vals = list(values)
    return {"mean": statistics.fmean(vals), "std": statistics.stdev(vals) if len(vals) > 1 else 0.0,
            "min": min(vals), "max": max(vals), "median": statistics.median(vals)}


def bench_overhead(arch: ArchSpec, data: DataModule, cfg: TrainConfig, *, repeats: int
                   ) -> dict[str, Any]:
    """Sections 1-2: fit() vs the plain loop, interleaved, with matmul GFLOP/s sampled between."""
    warm = replace(cfg, epochs=1, warmup_epochs=0)  # build oneDNN primitives, caches once each
    fit(arch, data, warm, seed=0)
    plain_fit(arch, data, warm, seed=0)
    lightning, plain, gflops = [], [], []
    for i in range(repeats):
        gflops.append(matmul_gflops())
        # Alternate which goes first, so a drift in machine load does not favour one side.
        order = ("A", "B") if i % 2 == 0 else ("B", "A")
        for side in order:
            if side == "A":
                lightning.append(fit(arch, data, cfg, seed=0))
            else:
                plain.append(plain_fit(arch, data, cfg, seed=0))
    gflops.append(matmul_gflops())
    wall_a = summary([r.wall_time_s for r in lightning])
    wall_b = summary([r.wall_time_s for r in plain])
    ips_a = summary([r.images_per_s for r in lightning])
    ips_b = summary([r.images_per_s for r in plain])
    mm = summary(gflops)
    flop_per_image = 3 * 2 * count(expand(arch)).macs  # forward + backward ~ 3 x forward
    # Medians are the headline; on a shared machine the best run (fastest trial, fastest matmul
    # sample) is the cleaner estimate of what the code itself can do, so it is shown beside them.
    achieved = {key: {"median": flop_per_image * ips["median"] / 1e9,
                      "best": flop_per_image * ips["max"] / 1e9}
                for key, ips in (("lightning", ips_a), ("plain", ips_b))}
    return {
        "repeats": repeats,
        "lightning": {"wall_s": wall_a, "images_per_s": ips_a,
                      "test_top1": [r.test_top1 for r in lightning]},
        "plain": {"wall_s": wall_b, "images_per_s": ips_b,
                  "test_top1": [r.test_top1 for r in plain]},
        "overhead_ratio": wall_a["median"] / wall_b["median"],
        "overhead_ratio_best": wall_a["min"] / wall_b["min"],
        "overhead_goal": OVERHEAD_GOAL,
        "throughput": {
            "flop_per_image": flop_per_image, "matmul_gflops": mm,
            "gflops": achieved,
            "ratio": achieved["lightning"]["median"] / mm["median"],
            "ratio_best": achieved["lightning"]["best"] / mm["max"],
            "plain_ratio": achieved["plain"]["median"] / mm["median"],
            "plain_ratio_best": achieved["plain"]["best"] / mm["max"],
            "goal": MFU_GOAL,
        },
    }


def bench_variants(arch_overrides: dict[str, Any], data_for: Callable[[int], DataModule],
                   cfg: TrainConfig, *, seeds: Sequence[int]) -> dict[str, Any]:
    """Sections 3-4: every variant for every seed, interleaved (seed-major)."""
    archs = {label: preset("cpu_proxy", **{**arch_overrides, **extra})
             for label, extra in VARIANTS.items()}
    runs: dict[str, list[Any]] = {label: [] for label in archs}
    for seed in seeds:
        for label, arch in archs.items():
            runs[label].append(fit(arch, data_for(arch.input_size), cfg, seed=seed))
    out: dict[str, Any] = {}
    for label, arch in archs.items():
        results = runs[label]
        top1 = [r.test_top1 if r.test_top1 is not None else float("nan") for r in results]
        out[label] = {
            "params": count(expand(arch)).params, "macs": count(expand(arch)).macs,
            "test_top1": summary(top1), "seconds": summary([r.wall_time_s for r in results]),
            "status": [r.status for r in results], "seeds": list(seeds), "per_seed_top1": top1,
        }
    return out


def _table(title: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A fixed-width text table with a title line."""
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows, strict=True)]
    fmt = "  ".join(f"{{:<{w}}}" if i == 0 else f"{{:>{w}}}" for i, w in enumerate(widths))
    lines = [title, fmt.format(*header), fmt.format(*("-" * w for w in widths))]
    lines += [fmt.format(*row) for row in rows]
    return "\n".join(lines)


def _spread(s: dict[str, float], places: int = 3) -> str:
    """'mean ± std [min-max]' of a summary."""
    return (f"{s['mean']:.{places}f} ± {s['std']:.{places}f} "
            f"[{s['min']:.{places}f}-{s['max']:.{places}f}]")


def _ok(flag: bool) -> str:
    """'yes' or 'NO' for a goal check."""
    return "yes" if flag else "NO"


def report(result: dict[str, Any]) -> str:
    """The printed report: one table per section."""
    ov, tp, var = result["overhead"], result["overhead"]["throughput"], result["variants"]
    mm = tp["matmul_gflops"]
    parts = [
        f"machine: {result['machine']['cpus']} CPUs, torch {result['machine']['torch']}, "
        f"threads {result['machine']['threads']}, load average before/after "
        f"{result['machine']['load_before']:.1f}/{result['machine']['load_after']:.1f}\n"
        f"train config: {result['train_config']}; arch overrides: {result['arch_overrides']}",
        _table(
            f"1. Lightning overhead (fit vs plain loop, {ov['repeats']} interleaved repeats, "
            "seed 0)",
            ("loop", "median wall s", "min-max s", "median img/s", "test top-1"),
            [(name, f"{ov[key]['wall_s']['median']:.2f}",
              f"{ov[key]['wall_s']['min']:.2f}-{ov[key]['wall_s']['max']:.2f}",
              f"{ov[key]['images_per_s']['median']:.0f}",
              ",".join(f"{t:.3f}" for t in ov[key]["test_top1"]))
             for name, key in (("fit (Lightning)", "lightning"), ("plain PyTorch", "plain"))],
        ) + f"\n   ratio fit/plain: median {ov['overhead_ratio']:.3f}, best-of "
            f"{ov['overhead_ratio_best']:.3f}  (goal <= {OVERHEAD_GOAL}: "
            f"{_ok(ov['overhead_ratio'] <= OVERHEAD_GOAL)})",
        _table(
            "2. Training throughput vs fp32 matmul (1024x1024, all threads)",
            ("quantity", "median GFLOP/s", "ratio", "best GFLOP/s", "ratio"),
            [("matmul (samples between trials)", f"{mm['median']:.1f}", "1",
              f"{mm['max']:.1f}", "1"),
             ("fit: 6 x MACs x img/s", f"{tp['gflops']['lightning']['median']:.2f}",
              f"{tp['ratio']:.3f}", f"{tp['gflops']['lightning']['best']:.2f}",
              f"{tp['ratio_best']:.3f}"),
             ("plain loop: same", f"{tp['gflops']['plain']['median']:.2f}",
              f"{tp['plain_ratio']:.3f}", f"{tp['gflops']['plain']['best']:.2f}",
              f"{tp['plain_ratio_best']:.3f}")],
        ) + f"\n   {tp['flop_per_image'] / 1e6:.2f} MFLOP per training image; img/s counts "
            f"training epochs incl. their validation pass (as TrainResult does); "
            f"goal ratio >= {MFU_GOAL}: {_ok(tp['ratio'] >= MFU_GOAL)}",
    ]
    base = var["baseline"]
    parts.append(_table(
        f"3. cpu_proxy baseline on digits, seeds {base['seeds']}",
        ("metric", "mean ± std [min-max]", "goal", "met"),
        [("test top-1", _spread(base["test_top1"]), f">= {TOP1_GOAL}",
          _ok(base["test_top1"]["mean"] >= TOP1_GOAL)),
         ("seconds / trial", _spread(base["seconds"], 1), f"<= {SECONDS_GOAL:.0f}",
          _ok(base["seconds"]["mean"] <= SECONDS_GOAL))],
    ))
    labels = {"baseline": "none (sr 0.125)", "bypass=simple": "simple",
              "bypass=complex": "complex", "sr=0.75": "sr 0.75 (bypass none)"}
    parts.append(_table(
        "4. Variants (same seeds, interleaved; baseline = bypass none, sr 0.125)",
        ("variant", "params", "MMACs", "test top-1 mean ± std [min-max]", "s / trial"),
        [(labels[k], f"{v['params']:,}", f"{v['macs'] / 1e6:.2f}", _spread(v["test_top1"]),
          f"{v['seconds']['mean']:.1f}") for k, v in var.items()],
    ))
    return "\n\n".join(parts)


def main(argv: Sequence[str] | None = None) -> int:
    """Run every section, print the report, optionally write JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 repeat, 1 seed (smoke check)")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved repeats (section 1)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--json", type=Path, help="write the figures as JSON here")
    parser.add_argument("--train-config", type=Path, default=TRAIN_YAML)
    parser.add_argument("--train", nargs="*", default=[], metavar="KEY=VALUE",
                        help="train config overrides, e.g. batch_size=64")
    parser.add_argument("--arch", nargs="*", default=[], metavar="KEY=VALUE",
                        help="cpu_proxy arch overrides, e.g. input_size=12")
    args = parser.parse_args(argv)
    repeats, seeds = (1, [0]) if args.quick else (args.repeats, args.seeds)
    cfg = load_train_config(args.train_config, parse_overrides(args.train))
    arch_overrides = parse_overrides(args.arch)
    arch = preset("cpu_proxy", **arch_overrides)
    cache: dict[int, DataModule] = {}

    def data_for(size: int) -> DataModule:
        """The digits module at `size`, loaded once."""
        if size not in cache:
            cache[size] = digits(size)
        return cache[size]

    t0 = time.perf_counter()
    result: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "torch": torch.__version__,
                    "threads": cfg.threads or os.cpu_count(), "load_before": os.getloadavg()[0]},
        "train_config": {k: v for k, v in vars(cfg).items()
                         if k in ("epochs", "batch_size", "lr", "weight_decay", "schedule",
                                  "warmup_epochs", "threads")},
        "arch_overrides": arch_overrides,
        "overhead": bench_overhead(arch, data_for(arch.input_size), cfg, repeats=repeats),
        "variants": bench_variants(arch_overrides, data_for, cfg, seeds=seeds),
    }
    result["total_s"] = time.perf_counter() - t0
    result["machine"]["load_after"] = os.getloadavg()[0]
    print(report(result))
    print(f"\ntotal {result['total_s']:.0f} s")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2))
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
