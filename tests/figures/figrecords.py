"""Hand-built records for the figure tests: networks of chosen sizes, results of chosen scores."""

from __future__ import annotations

from typing import Any

from dse.core.complexity import MB
from dse.core.records import ArchRecord, CompressionRecord, ResultRecord
from dse.core.study_records import StudyRecords

BASE_ARCH = {"base_e": 32, "incr_e": 32, "freq": 2, "sr": 0.125, "pct3x3": 0.5, "bypass": "none"}


def net(number: int, *, size_mb: float, **arch: Any) -> ArchRecord:
    """A network numbered `number` (its fingerprint) of exactly `size_mb` MB."""
    return ArchRecord(
        fingerprint=f"{number:016x}", arch={**BASE_ARCH, **arch}, widths=[[4, 8, 8]] * 8,
        params=int(size_mb * MB) // 4, size_bytes=int(size_mb * MB), macs=1000 * number,
        activations=10 * number,
    )


def result(network: ArchRecord, point: dict[str, Any], *, seed: int = 0,
           top1: float | None = None, top5: float | None = None, status: str = "complete",
           trial: int = 0, study: str = "s") -> ResultRecord:
    """A result of `network` at `point` with the given test scores and status."""
    return ResultRecord(
        study=study, trial_number=trial, point=point, seed=seed, fingerprint=network.fingerprint,
        dataset="digits:0123abcd", train_config_hash="t" * 12, status=status,
        val_top1=top1, test_top1=top1, test_top5=top5,
    )


def sweep(key: str, table: dict[Any, list[tuple[float, float]]], *,
          sizes: dict[Any, float]) -> tuple[list[ResultRecord], list[ArchRecord]]:
    """Results of a one-key grid: value -> [(top1, top5) per seed], and its networks."""
    results, archs = [], []
    for number, (value, scores) in enumerate(table.items(), start=1):
        network = net(number, size_mb=sizes[value], **{key: value})
        archs.append(network)
        results += [result(network, {key: value}, seed=seed, top1=t1, top5=t5,
                           trial=len(results) + seed) for seed, (t1, t5) in enumerate(scores)]
    return results, archs


def compressed(of: ResultRecord, network: ArchRecord, *, mb: float, top1: float | None,
               top5: float | None = None, setting: str = "8bit-33pct", bits: int = 8,
               keep: float = 0.33) -> CompressionRecord:
    """The compression of result `of` (of `network`) to `mb` MB with the given test scores."""
    return CompressionRecord(
        study=of.study, trial_number=of.trial_number, seed=of.seed, fingerprint=network.fingerprint,
        setting=setting, setting_hash="h" * 12, keep=keep,
        bits=dict.fromkeys(("conv1", "squeeze", "expand1x1", "expand3x3", "conv10"), bits),
        index_bits=4, prune="global", kept_fraction=keep, compressed_bytes=round(mb * MB),
        original_bytes=network.size_bytes, val_top1=top1, test_top1=top1, test_top5=top5)


def records(results: list[ResultRecord], archs: Any = (), **stored: Any) -> StudyRecords:
    """Study "s" as the store would give it: these results and networks, and stored records."""
    return StudyRecords("s", results, archs, **stored)
