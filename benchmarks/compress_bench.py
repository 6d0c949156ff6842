"""Deep Compression's goals, measured side by side: ratio, accuracy kept, and time.

    .venv/bin/python benchmarks/compress_bench.py [--root DIR] [--seeds 3] [--sr 0.5]
        [--threads 2] [key=value ...]

Without --root: the digits default (arch=cpu_proxy, train=cpu_proxy, 16x16). With --root DIR
(CIFAR-10 in folder layout): the CIFAR-10 preset (arch=cifar_proxy train=cifar_proxy
dataset=cifar10_folder). Extra key=value overrides go to the config as in dse.run, e.g.
compress.lr_scale=0.1.

For each seed, one network of the sweep point (SR --sr, pct3x3 0.5) is trained with the
preset's recipe (timed), then compressed with every compress.settings entry of the config
(timed, all settings together): pruned, fine-tuned, shared, encoded, decoded, evaluated.
Printed per setting: the compressed size (len() of the bytes), the ratio to the 32-bit size,
the test top-1 change against the same seed's 32-bit network (mean and per seed, pp), and per
seed the time of compressing with every setting over the time of training. Then the goals:
- a ratio >= 10x with <= 1 pp top-1 loss (mean over seeds), by the best setting that has both;
- the paper's setting (8-bit, 33 % kept): ratio >= 7.3x with <= 1 pp loss;
- compressing with every setting takes at most the training time (each seed).
About 2 minutes for digits and 3 seeds on 2 quiet cores; CIFAR-10 about 25 minutes.
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import replace

from dse.cli import compose, to_plain
from dse.core.config import run_config
from dse.core.expand import expand
from dse.core.records import arch_record
from dse.training.compression_stage import compress_network
from dse.training.data import build_data
from dse.training.train import fit

PAPER_KEEP, PAPER_BITS, PAPER_RATIO, GOAL_RATIO, MAX_LOSS_PP = 0.33, 8, 7.3, 10.0, 1.0


def main() -> None:
    """Train, compress and print the goals."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", help="CIFAR-10 in folder layout; digits without it")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--sr", type=float, default=0.5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("overrides", nargs="*", help="config overrides, as for dse.run")
    args = parser.parse_args()
    preset = ["arch=cifar_proxy", "train=cifar_proxy", "dataset=cifar10_folder",
              f"dataset.root={args.root}"] if args.root else []
    values = to_plain(compose("config", [*preset, "compress.enabled=true", *args.overrides]))
    cfg = run_config(values)
    spec = cfg.arch_for({"sr": args.sr, "pct3x3": 0.5})
    arch = arch_record(spec)
    train = replace(cfg.train, threads=args.threads, progress=False)
    data = build_data(cfg.dataset, input_size=spec.input_size)
    print(f"{cfg.dataset.name}, SR {args.sr}: {arch.params:,} parameters, {arch.size_mb:.3f} MB "
          f"at 32 bits; {train.epochs} training epochs; compress: prune {cfg.compress.prune}, "
          f"fine-tunes {cfg.compress.prune_fraction} + {cfg.compress.share_fraction} of the "
          f"training steps at lr x {cfg.compress.lr_scale}", flush=True)
    rows: dict[str, list[tuple[float, float]]] = {s.name: [] for s in cfg.compress.settings}
    times: list[float] = []
    for seed in range(args.seeds):
        start = time.perf_counter()
        trained = fit(spec, data, train, seed=seed)
        train_s = time.perf_counter() - start
        assert trained.weights is not None and trained.test_top1 is not None
        start = time.perf_counter()
        done = compress_network(trained.weights, expand(spec), data, cfg.compress, train,
                                seed=seed)
        compress_s = time.perf_counter() - start
        times.append(compress_s / train_s)
        print(f"seed {seed}: trained in {train_s:.1f} s, test top-1 {100 * trained.test_top1:.2f}%;"
              f" compressed ({len(done)} settings) in {compress_s:.1f} s = "
              f"{compress_s / train_s:.2f}x the training time", flush=True)
        for c in done:
            ratio, loss = arch.size_bytes / len(c.data), 100 * (trained.test_top1 - c.test_top1)
            rows[c.setting.name].append((ratio, loss))
            print(f"  {c.setting.name:<14} {len(c.data):>9,} bytes  {ratio:5.2f}x  test top-1 "
                  f"{100 * c.test_top1:.2f}% ({-loss:+.2f} pp)  kept {c.kept_fraction:.3f}  "
                  f"{c.time_s:.1f} s", flush=True)
    print(f"\n{'setting':<14} {'ratio':>7} {'top-1 loss pp (mean)':>21}  per seed")
    summary = {}
    for setting in cfg.compress.settings:
        ratios, losses = zip(*rows[setting.name], strict=True)
        summary[setting.name] = (statistics.fmean(ratios), statistics.fmean(losses))
        print(f"{setting.name:<14} {summary[setting.name][0]:>6.2f}x "
              f"{summary[setting.name][1]:>21.2f}  {', '.join(f'{x:+.2f}' for x in losses)}")
    meets = [(name, r, loss) for name, (r, loss) in summary.items()
             if r >= GOAL_RATIO and loss <= MAX_LOSS_PP]
    best = max(meets, key=lambda m: m[1]) if meets else None
    print(f"\ngoal ratio >= {GOAL_RATIO:g}x with <= {MAX_LOSS_PP:g} pp loss: " + (
        f"met by {best[0]} ({best[1]:.2f}x, {best[2]:.2f} pp)" if best else "NOT met by any "
        "setting: " + "; ".join(f"{n} {r:.2f}x {loss:.2f} pp" for n, (r, loss) in summary.items())))
    paper = [s for s in cfg.compress.settings
             if abs(s.keep - PAPER_KEEP) < 0.005 and s.uniform_bits == PAPER_BITS]
    if paper:
        ratio, loss = summary[paper[0].name]
        ok = ratio >= PAPER_RATIO and loss <= MAX_LOSS_PP
        print(f"goal paper setting (8-bit, 33% kept) >= {PAPER_RATIO}x with <= {MAX_LOSS_PP:g} pp: "
              f"{'met' if ok else 'NOT met'} ({ratio:.2f}x, {loss:.2f} pp)")
    print(f"goal compression time <= training time: {'met' if max(times) <= 1 else 'NOT met'} "
          f"(compress / train per seed: {', '.join(f'{t:.2f}' for t in times)})")


if __name__ == "__main__":
    main()
