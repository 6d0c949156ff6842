"""Config nodes -> typed dataclasses, and the value checks every config class shares (pure Python).

Each check raises ValueError naming the key, the rule and the value, e.g.
`train.epochs must be an integer >= 1, got 0`.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from dataclasses import fields
from numbers import Integral, Real
from typing import Any, TypeVar

__all__ = ["from_mapping", "in_interval", "interval", "is_int", "is_real", "require", "require_bool",
           "require_choice", "require_int", "require_number"]

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


def require(ok: bool, message: str) -> None:
    """Raise ValueError(message) unless ok."""
    if not ok:
        raise ValueError(message)


def is_int(value: Any) -> bool:
    """True for an integer that is not a bool (numpy's integers count, numpy's bool does not)."""
    return isinstance(value, Integral) and not isinstance(value, bool)


def is_real(value: Any) -> bool:
    """True for a finite real number that is not a bool (numpy's numbers count)."""
    return isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(value)


def interval(low: float, high: float, *, low_open: bool = False, high_open: bool = False) -> str:
    """The interval's text, e.g. '(0, 1]'."""
    return f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"


def require_int(name: str, value: Any, *, minimum: int, maximum: int | None = None,
                optional: bool = False, span: str = "[{}, {}]") -> None:
    """Check an integer of at least `minimum` (and at most `maximum`); None too if optional.

    `span` spells the closed range [minimum, maximum] in the message ('{}..{}' gives '1..16').
    """
    if optional and value is None:
        return
    rule = f">= {minimum}" if maximum is None else "in " + span.format(minimum, maximum)
    ok = is_int(value) and value >= minimum and (maximum is None or value <= maximum)
    require(ok, f"{name} must be {'null or ' if optional else ''}an integer {rule}, got {value!r}")


def in_interval(value: float, low: float | None = None, high: float | None = None, *,
                low_open: bool = False, high_open: bool = False) -> bool:
    """Whether a number lies within [low, high] (either end open when asked; None: unbounded)."""
    return (low is None or (value > low if low_open else value >= low)) and \
        (high is None or (value < high if high_open else value <= high))


def require_number(name: str, value: Any, *, low: float | None = None, high: float | None = None,
                   low_open: bool = False, high_open: bool = False, optional: bool = False) -> None:
    """Check a finite real number within [low, high] (either end open when asked)."""
    if optional and value is None:
        return
    prefix = "null or " if optional else ""
    require(is_real(value), f"{name} must be {prefix}a finite number, got {value!r}")
    if low is not None and high is not None:
        rule = "in " + interval(low, high, low_open=low_open, high_open=high_open)
    elif low is not None:
        rule = f"a finite number {'>' if low_open else '>='} {low:g}"
    elif high is not None:
        rule = f"a finite number {'<' if high_open else '<='} {high:g}"
    else:
        return
    require(in_interval(value, low, high, low_open=low_open, high_open=high_open),
            f"{name} must be {rule}, got {value!r}")


def require_bool(name: str, value: Any, *, optional: bool = False) -> None:
    """Check true or false (or null if optional)."""
    if optional and value is None:
        return
    require(isinstance(value, bool),
            f"{name} must be {'null, ' if optional else ''}true or false, got {value!r}")


def require_choice(name: str, value: Any, choices: Collection[Any]) -> None:
    """Check that value is one of `choices` (listed in the message)."""
    require(isinstance(value, type(next(iter(choices)))) and value in choices,
            f"{name} must be one of {', '.join(map(str, choices))}, got {value!r}")
