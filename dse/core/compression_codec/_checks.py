"""Argument checks of the codec: dse.core.typed's checks in the codec's spelling (`1..16`), and arrays."""

from __future__ import annotations

from typing import Any

import numpy as np

from dse.core.typed import in_interval, interval, is_real, require, require_int

__all__ = ["check_fraction", "check_int", "check_real_array"]

FLOAT32_MAX = float(np.finfo(np.float32).max)


def check_int(name: str, value: Any, lo: int, hi: int | None = None) -> int:
    """`value` as an int, if it is an integer (not a bool) in lo..hi (hi None: no upper bound).

    Raises:
        ValueError: e.g. "bits must be an integer in 1..16, got 0".
    """
    require_int(name, value, minimum=lo, maximum=hi, span="{}..{}")
    return int(value)


def check_fraction(name: str, value: Any) -> float:
    """`value` as a float, if it is a real number in (0, 1].

    Raises:
        ValueError: e.g. "keep must be a number in (0, 1], got 1.5".
    """
    require(is_real(value) and in_interval(value, 0, 1, low_open=True),
            f"{name} must be a number in {interval(0, 1, low_open=True)}, got {value!r}")
    return float(value)


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
