"""What taking a network out costs and buys: ONNX export time, the ONNX Runtime check, and
inference latency in PyTorch (eager) against ONNX Runtime (CPU), side by side in one run.

For the digits default (cpu_proxy, 16x16, SR 0.125 and 1.0) and the CIFAR-10 preset
(cifar_proxy, 32x32, SR 0.125 and 1.0): seconds to export with torch's exporter, the largest
logit difference on 64 random images, and the median latency [quartiles] at batch 1 and 32 on
1 and 2 threads, with the PyTorch / ONNX Runtime ratio. Weights are freshly initialised: latency
does not depend on their values. About 3 minutes on 2 quiet cores.

    .venv/bin/python benchmarks/export_bench.py [--repeats 50]
"""

from __future__ import annotations

import argparse
import time

import torch

from dse.core.config import LatencyConfig
from dse.core.expand import expand
from dse.core.presets import preset
from dse.core.records import arch_record
from dse.core.spec import ArchSpec
from dse.training.deploy import to_onnx, verify
from dse.training.latency import measure_all
from dse.training.model import build_model

NETWORKS = {
    "digits cpu_proxy": ("cpu_proxy", {"num_classes": 10, "in_channels": 1, "input_size": 16}),
    "cifar10 cifar_proxy": ("cifar_proxy", {"num_classes": 10, "in_channels": 3,
                                            "input_size": 32}),
}


def main() -> None:
    """Print one row per (network, SR, threads, batch)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=50, help="timed runs per figure")
    args = parser.parse_args()
    cfg = LatencyConfig(batch=32, repeats=args.repeats, warmup=10)
    print(f"{'network':<22} {'SR':>5} {'MB':>6} {'export s':>8} {'max |diff|':>10} {'thr':>3} "
          f"{'batch':>5} {'torch ms':>22} {'onnxruntime ms':>22} {'torch/ort':>9}")
    for name, (base, data) in NETWORKS.items():
        for sr in (0.125, 1.0):
            spec = ArchSpec.from_dict({**preset(base).to_dict(), **data, "sr": sr})
            record = arch_record(spec)
            model = build_model(expand(spec)).eval()
            start = time.perf_counter()
            onnx = to_onnx(model, in_channels=spec.in_channels, input_size=spec.input_size)
            seconds = time.perf_counter() - start
            images = torch.randn(64, spec.in_channels, spec.input_size, spec.input_size)
            check = verify(model, onnx, images, torch.zeros(64, dtype=torch.long))
            for threads in (1, 2):
                rows = measure_all(model, fingerprint=record.fingerprint, cfg=cfg, threads=threads,
                                   shape=(spec.in_channels, spec.input_size, spec.input_size),
                                   device=torch.device("cpu"), onnx=onnx,
                                   runtimes=("torch", "onnxruntime"))
                by = {(r.runtime, r.batch): r for r in rows}
                for batch in (1, cfg.batch):
                    pt, ort = by[("torch", batch)], by[("onnxruntime", batch)]
                    print(f"{name:<22} {sr:>5} {record.size_mb:>6.3f} {seconds:>8.1f} "
                          f"{check.max_abs_diff:>10.1e} {threads:>3} {batch:>5} "
                          f"{pt.median_ms:>8.3f} [{pt.q1_ms:.3f}, {pt.q3_ms:.3f}] "
                          f"{ort.median_ms:>8.3f} [{ort.q1_ms:.3f}, {ort.q3_ms:.3f}] "
                          f"{pt.median_ms / ort.median_ms:>9.2f}", flush=True)


if __name__ == "__main__":
    main()
