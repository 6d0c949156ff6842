"""Measured inference latency of a network: PyTorch eager, or ONNX Runtime on CPU.

Each measurement times `repeats` forward passes of one batch after `warmup` untimed ones and
keeps the median and the quartiles (the spread); random inputs, since latency of these networks
does not depend on the pixel values.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence

import torch

from dse.core.config import LatencyConfig
from dse.core.records import LatencyRecord

__all__ = ["device_name", "measure", "measure_all"]


def device_name(device: torch.device) -> str:
    """The name latencies are stored under: cpu, or the GPU's model."""
    return torch.cuda.get_device_name(device) if device.type == "cuda" else device.type


def _time(run: Callable[[], object], *, repeats: int, warmup: int, sync: Callable[[], None]
          ) -> list[float]:
    """Milliseconds of each of `repeats` calls of `run`, after `warmup` untimed ones."""
    for _ in range(warmup):
        run()
    sync()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        sync()
        times.append((time.perf_counter() - start) * 1000)
    return times


def measure(model: torch.nn.Module, *, fingerprint: str, runtime: str, batch: int, threads: int,
            shape: Sequence[int], repeats: int, warmup: int, device: torch.device,
            onnx: bytes | None = None) -> LatencyRecord:
    """Time one runtime's forward pass of a one-copy network at one batch size.

    Args:
        model: the network (weights do not matter for its latency).
        fingerprint: the network's fingerprint (the record's key).
        runtime: "torch" (on `device`) or "onnxruntime" (CPU; needs `onnx`).
        batch: images per forward pass.
        threads: intra-op threads (torch.set_num_threads, or the ONNX Runtime session's).
        shape: (channels, height, width) of one image.
        repeats: timed runs; warmup: untimed runs first.
        device: where PyTorch runs.
        onnx: the network's ONNX bytes (dse.training.deploy.to_onnx), for onnxruntime.

    Returns:
        The LatencyRecord.
    """
    images = torch.randn(batch, *shape)
    if runtime == "torch":
        torch.set_num_threads(threads)
        model = model.eval().to(device)
        images = images.to(device)
        sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)

        def run() -> object:
            with torch.inference_mode():
                return model(images)
        where = device_name(device)
    elif runtime == "onnxruntime":
        if onnx is None:
            raise ValueError("onnxruntime latency needs the network's ONNX bytes")
        from dse.training.deploy import INPUT, onnx_session

        session, feed = onnx_session(onnx, threads=threads), {INPUT: images.numpy()}

        def run() -> object:
            return session.run(None, feed)
        sync, where = (lambda: None), "cpu"
    else:
        raise ValueError(f"unknown latency runtime {runtime!r}; valid: torch, onnxruntime")
    times = _time(run, repeats=repeats, warmup=warmup, sync=sync)
    q1, median, q3 = statistics.quantiles(times, n=4)
    return LatencyRecord(fingerprint=fingerprint, device=where, runtime=runtime, threads=threads,
                         batch=batch, median_ms=median, q1_ms=q1, q3_ms=q3, repeats=repeats)


def measure_all(model: torch.nn.Module, *, fingerprint: str, cfg: LatencyConfig, threads: int,
                shape: Sequence[int], device: torch.device, onnx: bytes | None = None,
                runtimes: Sequence[str] | None = None) -> list[LatencyRecord]:
    """Every configured runtime at batch 1 and at cfg.batch (ONNX exported when needed)."""
    runtimes = tuple(runtimes or cfg.runtimes)
    if "onnxruntime" in runtimes and onnx is None:
        from dse.training.deploy import to_onnx

        onnx = to_onnx(model.cpu(), in_channels=shape[0], input_size=shape[1])
    return [measure(model, fingerprint=fingerprint, runtime=runtime, batch=batch,
                    threads=threads, shape=shape, repeats=cfg.repeats, warmup=cfg.warmup,
                    device=device, onnx=onnx)
            for runtime in runtimes for batch in sorted({1, cfg.batch})]
