"""Sweep definitions: grids of metaparameter points, or search spaces (pure Python)."""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from typing import Any

from dse.core.metaparams import INTEGER_NAMES, NAMES
from dse.core.spec import BYPASS_KINDS, ArchSpec
from dse.core.typed import require_int

__all__ = ["SWEEP_KINDS", "Param", "SweepSpec", "point_key", "point_label", "stable_hash"]

SWEEP_KINDS = ("grid", "search")
SWEEPABLE = NAMES  # arch keys a sweep may vary: the five metaparameters and the bypass choice
OBJECTIVES = {"accuracy": "maximize", "size_mb": "minimize", "macs": "minimize",
              "latency_ms": "minimize", "compressed_mb": "minimize"}


def stable_hash(value: Any) -> str:
    """12-hex-digit hash of a JSON-able value, independent of key order."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def point_key(point: dict[str, Any]) -> str:
    """Canonical text of a point, e.g. '{"sr":0.25}'."""
    return json.dumps(point, sort_keys=True, separators=(",", ":"))


def item_key(point: dict[str, Any], budget: int) -> str:
    """A grid item's key in the work queue: its point and training budget (epochs), e.g.
    '{"sr":0.25}@20'. Seeds are the item's other half, kept beside it."""
    return f"{point_key(point)}@{budget}"


def split_item_key(key: str) -> tuple[dict[str, Any], int]:
    """The point and budget of an item key (item_key's inverse)."""
    point, _, budget = key.rpartition("@")
    return dict(json.loads(point)), int(budget)


def point_label(point: dict[str, Any]) -> str:
    """Short text of a point for people, e.g. 'sr=0.25 pct3x3=0.5' ('base' when empty)."""
    return " ".join(f"{k}={v}" for k, v in point.items()) or "base"


@dataclass(frozen=True)
class Param:
    """One dimension of a search space: a numeric range or a list of choices."""

    name: str
    low: float | None = None
    high: float | None = None
    log: bool = False
    step: float | None = None
    integer: bool = False
    choices: tuple[Any, ...] | None = None

    @classmethod
    def from_dict(cls, name: str, values: Any) -> Param:
        """Parse `{low, high, log?, step?}`, `{choices: [...]}` or a plain list of choices."""
        if isinstance(values, (list, tuple)):
            values = {"choices": list(values)}
        if not isinstance(values, dict):
            raise ValueError(f"sweep.space.{name} must be a range or a list, got {values!r}")
        unknown = sorted(set(values) - {"low", "high", "log", "step", "choices"})
        if unknown:
            raise ValueError(f"sweep.space.{name} has unknown key(s) {unknown}; valid: "
                             "low, high, log, step, choices")
        if "choices" in values:
            choices = tuple(values["choices"])
            if not choices:
                raise ValueError(f"sweep.space.{name}.choices must not be empty")
            return cls(name, choices=choices)
        low, high = values.get("low"), values.get("high")
        if not all(isinstance(v, (int, float)) and math.isfinite(v) for v in (low, high)) \
                or low >= high:
            raise ValueError(f"sweep.space.{name} needs numbers low < high, got {low!r}, {high!r}")
        return cls(name, low=low, high=high, log=bool(values.get("log", False)),
                   step=values.get("step"), integer=name in INTEGER_NAMES)


@dataclass(frozen=True)
class SweepSpec:
    """A sweep: a grid (every point x every seed) or a search (a sampler picks points)."""

    name: str = "single"
    kind: str = "grid"  # grid | search
    # key -> values: their cartesian product, or with `listed` the values each key may take
    grid: dict[str, list[Any]] = field(default_factory=dict)
    fixed: dict[str, Any] = field(default_factory=dict)  # arch keys set for the whole sweep
    space: dict[str, Param] = field(default_factory=dict)  # search only
    objectives: tuple[str, ...] = ("accuracy",)  # search only: accuracy, size_mb, macs, latency_ms
    n_trials: int = 20  # search only: trials in all (all workers together)
    description: str = ""
    # config key `points`: run exactly these points, in order, instead of the grid's product
    listed: tuple[dict[str, Any], ...] = ()

    def __post_init__(self) -> None:
        """Validate the sweep."""
        if self.kind not in SWEEP_KINDS:
            raise ValueError(f"sweep.kind must be one of {', '.join(SWEEP_KINDS)}, got {self.kind!r}")
        for key in (*self.grid, *self.space):
            if key not in SWEEPABLE:
                raise ValueError(f"sweep key {key!r} cannot be swept; valid: {', '.join(SWEEPABLE)}")
        for key, values in self.grid.items():
            if not isinstance(values, (list, tuple)) or not values:
                raise ValueError(f"sweep.grid.{key} must be a non-empty list, got {values!r}")
            texts = [json.dumps(v, sort_keys=True) for v in values]
            if len(set(texts)) != len(texts):
                raise ValueError(f"sweep.grid.{key} lists a value twice: {list(values)}")
        bad = [o for o in self.objectives if o not in OBJECTIVES]
        if bad or not self.objectives:
            raise ValueError(f"sweep.objectives must be from {', '.join(OBJECTIVES)}, got "
                             f"{list(self.objectives)}")
        if "bypass" in self.space and self.space["bypass"].choices is None:
            raise ValueError(f"sweep.space.bypass must list choices from {', '.join(BYPASS_KINDS)}")
        require_int("sweep.n_trials", self.n_trials, minimum=1)
        if self.kind == "search" and not self.space:
            raise ValueError("a search sweep needs sweep.space with at least one key")
        if self.listed:
            self._check_listed()

    def _check_listed(self) -> None:
        """Listed points: a grid's, all setting the same sweepable keys, none twice, each value
        one of sweep.grid's where the grid lists the key; the keys it leaves out get the
        points' values (Optuna's grid trials take each key's values from the grid)."""
        if self.kind != "grid":
            raise ValueError(f"sweep.points applies to grid sweeps, got kind {self.kind!r}")
        keys = list(self.listed[0])
        for i, point in enumerate(self.listed):
            for key in point:
                if key not in SWEEPABLE:
                    raise ValueError(f"sweep key {key!r} cannot be swept; valid: "
                                     f"{', '.join(SWEEPABLE)}")
            if set(point) != set(keys):
                raise ValueError(f"sweep.points[{i}] sets {sorted(point)} but sweep.points[0] "
                                 f"sets {sorted(keys)}; every point must set the same keys")
        texts = [point_key(p) for p in self.listed]
        if len(set(texts)) != len(texts):
            twice = next(p for p, t in zip(self.listed, texts) if texts.count(t) > 1)
            raise ValueError(f"sweep.points lists a point twice: {point_label(twice)}")
        for key, values in self.grid.items():
            if key not in keys:
                raise ValueError(f"sweep.grid.{key} is not a key of sweep.points "
                                 f"({', '.join(keys) or 'none'})")
            for i, point in enumerate(self.listed):
                if point[key] not in values:
                    raise ValueError(f"sweep.points[{i}] has {key}={point[key]!r}, not one of "
                                     f"sweep.grid.{key} {list(values)}")
        domain = {k: self.grid.get(k) or _distinct(p[k] for p in self.listed) for k in keys}
        object.__setattr__(self, "grid", domain)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> SweepSpec:
        """Build from the `sweep` config node; unknown keys list the valid ones."""
        valid = {f.name for f in fields(cls)} - {"listed"} | {"points"}
        unknown = sorted(set(values) - valid)
        if unknown:
            raise ValueError(f"unknown sweep key(s) {unknown}; valid: {sorted(valid)}")
        values = dict(values)
        points = values.pop("points", None) or []
        if not isinstance(points, (list, tuple)) or not all(isinstance(p, dict) for p in points):
            raise ValueError(f"sweep.points must be a list of points ({{key: value, ...}}), got "
                             f"{points!r}")
        values["listed"] = tuple(dict(p) for p in points)
        values["grid"] = {k: list(v) if isinstance(v, (list, tuple)) else v
                          for k, v in (values.get("grid") or {}).items()}
        values["fixed"] = dict(values.get("fixed") or {})
        values["space"] = {k: Param.from_dict(k, v) for k, v in (values.get("space") or {}).items()}
        values["objectives"] = tuple(values.get("objectives") or ("accuracy",))
        return cls(**values)

    @property
    def directions(self) -> list[str]:
        """Optuna directions of the objectives (grid sweeps maximise accuracy)."""
        objectives = self.objectives if self.kind == "search" else ("accuracy",)
        return [OBJECTIVES[o] for o in objectives]

    def points(self) -> list[dict[str, Any]]:
        """Every grid point in a stable order: the listed points, or the grid's product (one
        empty point for an empty grid)."""
        if self.listed:
            return [dict(p) for p in self.listed]
        keys = list(self.grid)
        return [dict(zip(keys, combo)) for combo in itertools.product(*self.grid.values())]

    def arch_for(self, base: dict[str, Any], point: dict[str, Any]) -> ArchSpec:
        """The network of `point`: base arch keys, then the sweep's fixed keys, then the point."""
        return ArchSpec.from_dict({**base, **self.fixed, **point})

    def definition(self) -> dict[str, Any]:
        """JSON-ready description (hashed to recognise the same sweep on resume); `points` only
        when listed, so a sweep without them hashes as before they existed."""
        definition = {
            "name": self.name, "kind": self.kind, "grid": self.grid, "fixed": self.fixed,
            "space": {k: vars(p) for k, p in sorted(self.space.items())},
            "objectives": list(self.objectives),
            "n_trials": self.n_trials if self.kind == "search" else None,
        }
        if self.listed:
            definition["points"] = [dict(p) for p in self.listed]
        return definition


def _distinct(values: Iterable[Any]) -> list[Any]:
    """The values in first-seen order, each once."""
    seen: list[Any] = []
    for value in values:
        if value not in seen:
            seen.append(value)
    return seen
