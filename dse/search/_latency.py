"""The latency of a trial's network on this worker: read from the store, or measured once."""

from __future__ import annotations

import os

from dse.core.candidate import Candidate
from dse.core.config import RunConfig
from dse.store import Store
from dse.training.latency import device_name, measure_all
from dse.training.model import build_model
from dse.training.train import torch_device

__all__ = ["objective_latency"]


def objective_latency(cfg: RunConfig, store: Store, candidate: Candidate, *,
                      threads: int | None) -> float | None:
    """Milliseconds of one image (batch 1) in the first of latency.runtimes, on this worker's
    device and thread count; every configured runtime and batch is measured and stored the
    first time a network is seen here. None when the run does not measure latency."""
    if not cfg.measures_latency:
        return None
    threads = threads or cfg.train.threads or os.cpu_count() or 1
    device = torch_device(cfg.train.accelerator)
    here = {"torch": device_name(device), "onnxruntime": "cpu"}
    stored = [r for r in store.latencies([candidate.fingerprint])
              if r.threads == threads and r.device == here[r.runtime]]
    have = {(r.runtime, r.batch) for r in stored}
    missing = [rt for rt in cfg.latency.runtimes
               if {(rt, 1), (rt, cfg.latency.batch)} - have]
    if missing:
        spec = candidate.spec
        model = build_model(candidate.net)
        measured = measure_all(model, fingerprint=candidate.fingerprint, cfg=cfg.latency,
                               threads=threads, device=device, runtimes=missing,
                               shape=(spec.in_channels, spec.input_size, spec.input_size))
        for record in measured:
            store.save_latency(record)
        stored += measured
    first = cfg.latency.runtimes[0]
    return next(r.median_ms for r in stored if r.runtime == first and r.batch == 1)
