"""Records shared by training, the study layer, the store and the figures (pure Python).

An ArchRecord describes one network (keyed by its fingerprint); a ResultRecord is one
training outcome of one trial. Both are plain frozen dataclasses: no ORM, no torch.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from dse.core.complexity import MB, count
from dse.core.expand import NetSpec, expand, fingerprint
from dse.core.spec import ArchSpec
from dse.core.status import Status
from dse.core.sweep import point_key

__all__ = ["ArchRecord", "CompressionRecord", "CurvePoint", "HypervolumeRecord", "LatencyRecord",
           "ResultRecord", "Status", "arch_record", "counted_compressions", "counted_results",
           "percent", "result_item"]

_FINGERPRINT = re.compile(r"[0-9a-f]{16}")


@dataclass(frozen=True)
class ArchRecord:
    """One network: its metaparameters, per-Fire widths and exact accounting."""

    fingerprint: str  # 16 hex digits, dse.core.expand.fingerprint of the expanded network
    arch: dict[str, Any]  # flat ArchSpec fields, as ArchSpec.to_dict() spells them
    widths: list[list[int]]  # per Fire module: [s1x1, e1x1, e3x3]
    params: int  # learnable parameters
    size_bytes: int  # at 32 bits per parameter
    macs: int  # multiply-accumulates per image
    activations: int  # output elements of every layer, per image

    def __post_init__(self) -> None:
        """Check the fingerprint's form (the store keys architectures by it)."""
        if not isinstance(self.fingerprint, str) or not _FINGERPRINT.fullmatch(self.fingerprint):
            raise ValueError(
                f"fingerprint must be 16 lowercase hex digits, got {self.fingerprint!r}"
            )

    @property
    def size_mb(self) -> float:
        """Size in MB (2^20 bytes) at 32 bits per parameter."""
        return self.size_bytes / MB


@dataclass(frozen=True, kw_only=True)
class ResultRecord:
    """One trial's outcome: what was trained, how, and how well.

    Metrics are None where a run produced none (failed, rejected, pruned before evaluation).
    The store keeps NaN metrics as None: SQLite cannot store NaN, and the status
    ("diverged") already says what a NaN loss would.
    """

    study: str
    trial_number: int
    point: dict[str, Any]  # the swept values of this trial, e.g. {"sr": 0.25}
    seed: int
    fingerprint: str  # of the trained network (ArchRecord.fingerprint)
    dataset: str
    train_config_hash: str  # hash of everything in the training config that changes results
    status: Status  # a Status, or its value (converted)
    val_top1: float | None = None
    val_top5: float | None = None
    test_top1: float | None = None
    test_top5: float | None = None
    train_loss: float | None = None
    epochs: int | None = None  # epochs actually run
    # the training budget: epochs its schedule had (study.budgets, or train.epochs). A result
    # stored before budgets existed has none; a measured one reads its epochs (it ran them all)
    budget: int | None = None
    wall_time_s: float | None = None
    images_per_s: float | None = None  # training throughput
    device: str | None = None
    threads: int | None = None  # torch CPU threads of its training (results depend on it)
    seed_batch: int | None = None  # seeds trained together in its pass (1 = alone)
    reason: str | None = None  # why the trial failed or was rejected
    reused_from: int | None = None  # trial number whose result this one reused ...
    reused_from_study: str | None = None  # ... in this study (trial numbers are per study)
    git_commit: str | None = None
    config_hash: str | None = None  # hash of the whole resolved config
    versions: dict[str, str] = field(default_factory=dict)  # library -> version
    # the trained weights, an Optuna artifact (a reused result points to the one it reuses)
    weights_artifact: str | None = None  # the artifact id
    weights_store: str | None = None  # the artifact store: a folder path or a URL
    weights_bytes: int | None = None  # the artifact's size
    created_at: datetime | None = None  # set by the store when saved without one (UTC)
    id: int | None = None  # the store's row id; None until saved

    def __post_init__(self) -> None:
        """Check the status, the one field that every reader branches on."""
        if not isinstance(self.status, Status):
            if self.status not in set(Status):
                raise ValueError(f"status must be one of {', '.join(Status)}, got {self.status!r}")
            object.__setattr__(self, "status", Status(self.status))
        if self.budget is None and self.status.measured and self.epochs is not None:
            object.__setattr__(self, "budget", self.epochs)


@dataclass(frozen=True)
class LatencyRecord:
    """Inference latency of one network on one device, runtime, thread count and batch."""

    fingerprint: str
    device: str  # e.g. cpu, or the GPU's name
    runtime: str  # torch or onnxruntime
    threads: int
    batch: int
    median_ms: float  # per forward pass of the whole batch
    q1_ms: float  # quartiles of the timed runs: the spread
    q3_ms: float
    repeats: int  # timed runs after the warm-up


@dataclass(frozen=True, kw_only=True)
class CompressionRecord:
    """One trial's trained network compressed with one setting (Deep Compression: prune,
    share, Huffman-code), decoded back and evaluated: what a user would ship, and how well it
    does. Stored once per (study, trial, setting)."""

    study: str
    trial_number: int
    seed: int
    fingerprint: str  # of the network (ArchRecord.fingerprint)
    setting: str  # the setting's name, e.g. 8bit-33pct
    setting_hash: str  # hash of every key of the setting and the stage that changes the result
    keep: float  # fraction of convolution weights asked to be kept, in (0, 1]
    bits: dict[str, int]  # layer kind -> bits per shared weight (2**bits centroids)
    index_bits: int  # bits of a relative position gap
    prune: str  # layer (each layer keeps `keep`) or global (one threshold for all)
    kept_fraction: float  # convolution weights kept / convolution weights, as encoded
    compressed_bytes: int  # len() of the encoded network, header and dense tensors included
    original_bytes: int  # the network's size at 32 bits per parameter (ArchRecord.size_bytes)
    val_top1: float | None = None  # of the decoded network
    val_top5: float | None = None
    test_top1: float | None = None
    test_top5: float | None = None
    time_s: float = 0.0  # fine-tunes, k-means, encoding, decoding and evaluation
    artifact: str | None = None  # the encoded bytes as an artifact of the trial, when kept
    created_at: datetime | None = None  # set by the store when saved without one (UTC)
    id: int | None = None  # the store's row id; None until saved

    @property
    def compressed_mb(self) -> float:
        """Compressed size in MB (2^20 bytes)."""
        return self.compressed_bytes / MB

    @property
    def ratio(self) -> float:
        """How many times smaller than the 32-bit network."""
        return self.original_bytes / self.compressed_bytes


@dataclass(frozen=True, kw_only=True)
class CurvePoint:
    """One epoch of a trial's learning curve, as its training measured it after that epoch.

    Stored once per (study, trial, epoch) beside the trial's result; a reused result gets a
    copy of the curve it reuses. Metrics are fractions, as results keep them; NaN is None.
    """

    study: str
    trial_number: int
    epoch: int  # 1-based: the curve's first point is after one epoch
    val_top1: float | None = None
    val_top5: float | None = None
    train_loss: float | None = None  # mean loss of the epoch's training steps

    def __post_init__(self) -> None:
        """Check the epoch (the store keys curve points by it)."""
        if not isinstance(self.epoch, int) or isinstance(self.epoch, bool) or self.epoch < 1:
            raise ValueError(f"epoch must be an integer >= 1, got {self.epoch!r}")


@dataclass(frozen=True)
class HypervolumeRecord:
    """A multi-objective study's hypervolume after each complete trial, against the fixed
    reference point stored with it (dse.search computes it with Optuna's hypervolume)."""

    objectives: list[str]  # e.g. ["accuracy", "size_mb"]
    reference: list[float]  # one per objective, in its own units
    history: list[tuple[int, float]]  # (trial number, hypervolume of trials up to it)


def arch_record(arch: ArchSpec, net: NetSpec | None = None) -> ArchRecord:
    """Expand and count `arch` into the record the store keeps for it.

    Args:
        arch: a validated network description.
        net: its expansion, when the caller has it already (not expanded again).

    Returns:
        The ArchRecord with fingerprint, flat fields, widths and 32-bit accounting.

    Raises:
        ValueError: the input is too small for the network (see dse.core.expand.expand).
    """
    net = net or expand(arch)
    totals = count(net)
    return ArchRecord(
        fingerprint=fingerprint(net),
        arch=arch.to_dict(),
        widths=[[fire.s1x1, fire.e1x1, fire.e3x3] for fire in net.fires],
        params=totals.params,
        size_bytes=totals.size_bytes(),
        macs=totals.macs,
        activations=totals.activations,
    )



def result_item(result: ResultRecord, budget: int | None = None
                ) -> tuple[str, str, int, int | None]:
    """The (study, point, seed, budget) a result belongs to; the point as canonical JSON text,
    the budget `budget` when the result has none (stored before budgets existed)."""
    own = result.budget if result.budget is not None else budget
    return result.study, point_key(result.point), result.seed, own


def counted_results(results: Iterable[ResultRecord]) -> list[ResultRecord]:
    """The results statistics count: per (study, point, seed, budget), the first final one saved.

    A (point, seed) can hold more than one final result when a worker whose heartbeat lapsed
    finishes after another worker re-ran its item (a late duplicate); only the first counts.
    Results are taken in save order (row id, then creation time). A result stored without a
    budget (before budgets existed) counts at the study's budget when it has one.
    """
    ordered = sorted(results, key=lambda r: (r.id is None, r.id or 0))
    budgets = {r.budget for r in ordered if r.budget is not None}
    only = next(iter(budgets)) if len(budgets) == 1 else None
    seen: set[tuple[str, str, int, int | None]] = set()
    kept = []
    for result in ordered:
        item = result_item(result, only)
        if result.status.final and item not in seen:
            seen.add(item)
            kept.append(result)
    return kept


def counted_compressions(results: Iterable[ResultRecord], compressions: Iterable[CompressionRecord]
                         ) -> list[tuple[ResultRecord, CompressionRecord]]:
    """Each compression of a counted, measured result (one with a test top-1), with that result.

    A compression belongs to the result of its (study, trial number); compressions of results
    that statistics do not count (late duplicates, failures) are left out.

    Args:
        results: the study's results (any status).
        compressions: the study's compressions, in save order (kept).

    Returns:
        (result, compression) pairs, in the compressions' order.
    """
    by_trial = {(r.study, r.trial_number): r for r in counted_results(results)
                if r.status.measured and r.test_top1 is not None}
    return [(by_trial[(c.study, c.trial_number)], c) for c in compressions
            if (c.study, c.trial_number) in by_trial]


def percent(fraction: float | None, sd: float | None = None) -> str:
    """A stored fraction as people read it: '61.2%', '61.2% ± 1.3' with an sd (in percentage
    points), '-' for None."""
    if fraction is None:
        return "-"
    return f"{100 * fraction:.1f}%" + ("" if sd is None else f" ± {100 * sd:.1f}")
