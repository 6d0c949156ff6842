"""Argument checks shared by the compression modules, each failing with a one-line ValueError."""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np

__all__ = ["check_fraction", "check_int", "check_real_array"]

FLOAT32_MAX = float(np.finfo(np.float32).max)


def check_int(name: str, value: object, lo: int, hi: int | None = None) -> int:
    """`value` as an int, if it is an integer (not a bool) in lo..hi (hi None: no upper bound).

    Raises:
        ValueError: e.g. "bits must be an integer in 1..16, got 0".
    """
    ok = isinstance(value, Integral) and not isinstance(value, bool | np.bool_)
    if ok and lo <= int(value) and (hi is None or int(value) <= hi):
        return int(value)
    allowed = f"in {lo}..{hi}" if hi is not None else f">= {lo}"
    raise ValueError(f"{name} must be an integer {allowed}, got {value!r}")


def check_fraction(name: str, value: object) -> float:
    """`value` as a float, if it is a real number in (0, 1].

    Raises:
        ValueError: e.g. "keep must be a number in (0, 1], got 1.5".
    """
    if isinstance(value, Real) and not isinstance(value, bool | np.bool_):
        number = float(value)
        if math.isfinite(number) and 0.0 < number <= 1.0:
            return number
    raise ValueError(f"{name} must be a number in (0, 1], got {value!r}")


def check_real_array(name: str, value: object) -> np.ndarray:
    """`value` as an array of finite real numbers that float32 can hold (|x| <= 3.4e38).

    Raises:
        ValueError: the array is not numeric, is complex or boolean, or holds NaN, inf or a
            number beyond float32's range.
    """
    array = np.asarray(value)
    if array.dtype == np.bool_ or not (np.issubdtype(array.dtype, np.integer)
                                       or np.issubdtype(array.dtype, np.floating)):
        raise ValueError(f"{name} must be an array of real numbers, got dtype {array.dtype}")
    if array.size and not np.all(np.abs(array.astype(np.float64)) <= FLOAT32_MAX):
        raise ValueError(f"{name} must hold finite numbers within float32 range (|x| <= {FLOAT32_MAX:.8g})")
    return array
