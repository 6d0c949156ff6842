"""Accuracy against model size for any study, with the Pareto front (max accuracy, min size).

One point per distinct point of the study (mean over its seeds), labelled with the values of the
keys that vary across the study, so that PNG and SVG read on their own; hover shows the network's
metaparameters. Other cost axes: MACs, measured latency where the store has it, and the
compressed size where the study's networks were compressed (there the accuracy is the decoded
network's). Each axis has its own front. This module is the data step; _pareto_plot draws.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dse.analysis.figures._compression import compressed_groups, first_setting
from dse.analysis.figures._pareto_plot import plot_pareto
from dse.analysis.figures._stats import (
    PointGroup,
    Stat,
    arch_map,
    dataset_name,
    group_points,
    varying_keys,
)
from dse.core.metaparams import NAMES
from dse.core.records import ArchRecord, CompressionRecord, LatencyRecord, ResultRecord
from dse.core.sweep import point_key, point_label

__all__ = ["AXES", "ParetoInfo", "ParetoPoint", "label", "pareto_front", "pareto_info",
           "plot_pareto"]

TITLE = "Accuracy vs model size (Pareto front: max validation accuracy, min size)"
AXES = ("size_mb", "macs", "latency_ms", "compressed_mb")  # every cost axis, in button order


def pareto_front(points: Sequence[tuple[float, float]]) -> list[int]:
    """Indices of the (size, accuracy) pairs no other pair dominates, by size.

    A pair dominates another when it is no larger and no less accurate, and strictly better in
    one of the two. Equal pairs do not dominate each other: both are on the front.

    Args:
        points: (size, accuracy) pairs.

    Returns:
        Indices of the front, ordered by size (then by accuracy, best first).
    """
    front = [i for i, (size, acc) in enumerate(points)
             if not any(s <= size and a >= acc and (s < size or a > acc) for s, a in points)]
    return sorted(front, key=lambda i: (points[i][0], -points[i][1]))


@dataclass(frozen=True)
class ParetoPoint:
    """One point of the study: size, accuracy over seeds, whether it is on the front."""

    group: PointGroup
    size_mb: float  # model size in MB (2^20 bytes)
    on_front: bool
    label: str = ""  # its values of the study's varying keys, e.g. "sr=0.25"; "" for none
    macs: int | None = None  # multiply-accumulates per image
    latency_ms: float | None = None  # measured batch-1 latency (ParetoInfo.latency_setting)
    fronts: frozenset[str] = frozenset()  # the cost axes on whose front it is
    compressed_mb: float | None = None  # mean over seeds (ParetoInfo.compressed_setting)
    compressed_top1: Stat | None = None  # test top-1 of the decoded networks over seeds

    def cost(self, axis: str) -> float | None:
        """Its value on a cost axis: size_mb, macs, latency_ms or compressed_mb."""
        return {"size_mb": self.size_mb, "macs": self.macs, "latency_ms": self.latency_ms,
                "compressed_mb": self.compressed_mb}[axis]

    def accuracy(self, axis: str) -> Stat:
        """Its test top-1 on a cost axis: the decoded network's on compressed_mb."""
        if axis == "compressed_mb" and self.compressed_top1 is not None:
            return self.compressed_top1
        return self.group.top1


@dataclass(frozen=True)
class ParetoInfo:
    """Plot data of accuracy against size."""

    dataset: str
    points: list[ParetoPoint]  # measured points with a known size, in the study's order
    title: str = TITLE
    latency_setting: str = ""  # e.g. "torch on cpu, 1 thread(s), batch 1"; "" when unmeasured
    compressed_setting: str = ""  # the study's first stored setting; "" when none compressed

    @property
    def axes(self) -> list[str]:
        """The cost axes it can show: size and MACs, latency and compressed size when stored."""
        have = {"latency_ms": bool(self.latency_setting),
                "compressed_mb": bool(self.compressed_setting)}
        return [axis for axis in AXES if have.get(axis, True)]

    @property
    def default_axis(self) -> str:
        """The axis shown first (and in static images): compressed size when there is one."""
        return "compressed_mb" if self.compressed_setting else "size_mb"

    @property
    def front(self) -> list[ParetoPoint]:
        """The front's points, by size."""
        return sorted((p for p in self.points if p.on_front),
                      key=lambda p: (p.size_mb, -(p.group.top1.mean or 0.0)))

    def caption(self) -> str:
        """What the figure shows, in a few sentences (plain text)."""
        text = (f"One marker per point of the study on {self.dataset} (mean test top-1 ± sd "
                f"over seeds), labelled with its swept values. {len(self.front)} of "
                f"{len(self.points)} points are on the Pareto front: no other point is both no "
                "larger and more accurate on the validation split. The front is picked on "
                "validation top-1 (the model-selection split; picking on test would select on "
                "the test set) and shown at the test top-1 of the points it picks. Hover for "
                "the metaparameters.")
        if self.compressed_setting:
            text += (f" The compressed-size view (shown first) puts each network after "
                     f"compression with setting {self.compressed_setting} at its compressed "
                     "size and the decoded network's test top-1, joined by a thin line to the "
                     "same network at 32 bits; its front is of the compressed points.")
        return text

    def rows(self) -> list[dict[str, Any]]:
        """CSV rows: one per point, its metaparameters, size, accuracy and front membership."""
        rows = []
        for p in self.points:
            g, c = p.group, p.compressed_top1
            rows.append({
                "point": point_label(g.point), **{k: g.arch.get(k) for k in NAMES},
                "budget": g.budget, "n": g.n,
                "size_mb": p.size_mb,
                "top1_mean": g.top1.mean, "top1_sd": g.top1.sd, "top5_mean": g.top5.mean,
                "top5_sd": g.top5.sd, "pareto": p.on_front, "macs": p.macs,
                "pareto_macs": "macs" in p.fronts, "latency_ms": p.latency_ms,
                "pareto_latency": "latency_ms" in p.fronts if self.latency_setting else None,
                "compressed_mb": p.compressed_mb,
                "compressed_top1_mean": c.mean if c else None,
                "compressed_top1_sd": c.sd if c else None,
                "pareto_compressed": "compressed_mb" in p.fronts if self.compressed_setting
                else None,
            })
        return rows


def latency_setting(latencies: Iterable[LatencyRecord]) -> tuple[str, dict[str, float]]:
    """The batch-1 setting (runtime, device, threads) that covers the most networks, and each
    network's median latency in it; ("", {}) when none is stored."""
    by_setting: dict[tuple[str, str, int], dict[str, float]] = {}
    for r in latencies:
        if r.batch == 1:
            by_setting.setdefault((r.runtime, r.device, r.threads), {})[r.fingerprint] = r.median_ms
    if not by_setting:
        return "", {}
    (runtime, device, threads), values = max(by_setting.items(), key=lambda kv: len(kv[1]))
    return f"{runtime} on {device}, {threads} thread(s), batch 1", values


def _compressed(results: Sequence[ResultRecord], compressions: Sequence[CompressionRecord]
                ) -> tuple[str, dict[str, tuple[float, Stat, Stat]]]:
    """The study's first stored setting, and per point key its mean compressed size and the
    decoded networks' test and validation top-1 in that setting; ("", {}) when no measured
    trial has one."""
    setting = first_setting(compressions)
    values = {}
    for key, groups in compressed_groups(results, compressions).items():
        for c in groups:
            if c.setting == setting and c.size_mb.mean is not None and c.top1.mean is not None:
                values[key] = (c.size_mb.mean, c.top1, c.val1)
    return (setting, values) if values else ("", {})


def _picking(val1: Stat, test1: Stat) -> float | None:
    """The accuracy a front is picked on: validation top-1 (test only where none is stored)."""
    return val1.mean if val1.mean is not None else test1.mean


def pareto_info(results: Sequence[ResultRecord],
                archs: Mapping[str, ArchRecord] | Iterable[ArchRecord],
                latencies: Iterable[LatencyRecord] = (),
                compressions: Sequence[CompressionRecord] = ()) -> ParetoInfo:
    """Group the results by point and mark the Pareto front of (cost, mean validation top-1)
    for each cost axis: size, MACs, measured latency and compressed size when the store has
    them; the figure shows the points at their test top-1.

    Args:
        results: the study's results (only complete/reused ones are measured).
        archs: the networks, by fingerprint or as a list.
        latencies: stored latencies of the networks (the most common batch-1 setting is used).
        compressions: the study's compressions, in save order (the first one's setting is used,
            with the decoded network's test top-1 as the accuracy).

    Returns:
        The plot data; points without a measurement or a known size are left out.
    """
    networks = arch_map(archs)
    setting, latency = latency_setting(latencies)
    compressed_setting, compressed = _compressed(results, compressions)
    kept: list[tuple[PointGroup, dict[str, Any]]] = []
    for g in group_points(results, networks):
        if g.size_mb is not None and g.top1.mean is not None and g.fingerprint is not None:
            mb, top1, val1 = compressed.get(point_key(g.point), (None, None, None))
            kept.append((g, {"size_mb": g.size_mb, "macs": networks[g.fingerprint].macs,
                             "latency_ms": latency.get(g.fingerprint), "compressed_mb": mb,
                             "compressed_top1": top1, "compressed_val1": val1}))
    fronts: dict[int, set[str]] = {i: set() for i in range(len(kept))}
    for axis in AXES:
        have = [i for i, (_, costs) in enumerate(kept) if costs[axis] is not None]
        accuracy = {i: _picking(kept[i][1]["compressed_val1"], kept[i][1]["compressed_top1"])
                    if axis == "compressed_mb" else _picking(kept[i][0].val1, kept[i][0].top1)
                    for i in have}
        for j in pareto_front([(kept[i][1][axis], accuracy[i]) for i in have]):
            fronts[have[j]].add(axis)
    keys = varying_keys(results)
    return ParetoInfo(dataset_name(results), [
        ParetoPoint(g, costs["size_mb"], "size_mb" in fronts[i], label(g.point, keys),
                    macs=costs["macs"], latency_ms=costs["latency_ms"],
                    fronts=frozenset(fronts[i]), compressed_mb=costs["compressed_mb"],
                    compressed_top1=costs["compressed_top1"])
        for i, (g, costs) in enumerate(kept)], latency_setting=setting,
        compressed_setting=compressed_setting)


def _value(value: Any) -> str:
    """A swept value, short: floats to 3 significant digits."""
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def label(point: dict[str, Any], keys: Sequence[str]) -> str:
    """'sr=0.25 bypass=simple': the point's values of `keys` (those it has), in that order.

    Args:
        point: a point's swept values.
        keys: the keys to show (the study's varying ones).

    Returns:
        The label; "" when the point has none of the keys.
    """
    return " ".join(f"{k}={_value(point[k])}" for k in keys if k in point)
