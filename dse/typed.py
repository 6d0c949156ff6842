"""Config nodes -> typed dataclasses, with unknown keys named (pure Python)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from typing import Any, TypeVar

__all__ = ["from_mapping"]

T = TypeVar("T")


def from_mapping(cls: type[T], values: Mapping[str, Any], *, node: str, where: str = "") -> T:
    """Instantiate the dataclass `cls` from a config node's values.

    Args:
        cls: a dataclass whose fields are the node's keys (it validates their values).
        values: the node's plain values.
        node: the node's name in messages, e.g. "train".
        where: text appended after the unknown keys, e.g. " for digits".

    Returns:
        The instance.

    Raises:
        ValueError: unknown keys (the message lists the valid ones), or what `cls` raises.
    """
    valid = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(values) - valid)
    if unknown:
        raise ValueError(f"unknown {node} key(s) {unknown}{where}; valid: {sorted(valid)}")
    return cls(**values)
