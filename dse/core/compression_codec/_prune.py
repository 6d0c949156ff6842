"""Magnitude pruning (Deep Compression, step 1): which weights a layer or a network keeps.

A mask keeps the round-half-up(keep * size) weights of largest magnitude, at least one.
Ties in magnitude are broken by position: the earlier weight (flat, row-major; for a network,
the earlier layer in the dict's order) is kept first, so a mask never depends on sort luck.
"""

from __future__ import annotations

import math

import numpy as np

from dse.core.compression_codec._checks import check_fraction, check_real_array

__all__ = ["global_masks", "keep_count", "prune_mask"]


def keep_count(size: int, keep: float) -> int:
    """How many of `size` weights a fraction `keep` keeps: round-half-up(keep * size), at least 1.

    Args:
        size: the number of weights (>= 1).
        keep: the fraction to keep, in (0, 1].

    Returns:
        The count, in 1..size.
    """
    keep = check_fraction("keep", keep)
    return min(size, max(1, math.floor(keep * size + 0.5)))


def _top(magnitudes: np.ndarray, count: int) -> np.ndarray:
    """A bool mask of the `count` largest entries of a 1-D array, earlier entries first on ties."""
    # a stable sort of the negated magnitudes lists equal magnitudes in position order
    order = np.argsort(-magnitudes, kind="stable")
    mask = np.zeros(magnitudes.shape, dtype=bool)
    mask[order[:count]] = True
    return mask


def prune_mask(weights: np.ndarray, keep: float) -> np.ndarray:
    """The weights one layer keeps after magnitude pruning.

    Args:
        weights: the layer's weights, any shape, at least one element, finite real numbers.
        keep: the fraction to keep, in (0, 1].

    Returns:
        A bool array of the weights' shape, True for the round-half-up(keep * size) weights of
        largest |w| (at least one); equal magnitudes are kept in flat row-major order.

    Raises:
        ValueError: keep outside (0, 1], or weights empty, not real, or not finite.
    """
    keep = check_fraction("keep", keep)
    array = check_real_array("weights", weights)
    if array.size == 0:
        raise ValueError(f"weights must have at least one element, got shape {array.shape}")
    magnitudes = np.abs(array.astype(np.float64)).ravel()
    return _top(magnitudes, keep_count(array.size, keep)).reshape(array.shape)


def global_masks(layers: dict[str, np.ndarray], keep: float) -> dict[str, np.ndarray]:
    """The weights each layer keeps when one magnitude threshold is applied to the whole network.

    Args:
        layers: layer name -> weights; at least one layer, at least one weight in all.
        keep: the fraction of all the network's weights to keep, in (0, 1].

    Returns:
        Layer name -> bool mask of that layer's shape; round-half-up(keep * total) weights are
        kept in all (at least one), the largest |w| over every layer. Equal magnitudes are kept
        in the order of `layers`, then flat row-major order.

    Raises:
        ValueError: keep outside (0, 1], no weights at all, or weights not finite real numbers.
    """
    keep = check_fraction("keep", keep)
    arrays = {name: check_real_array(f"layers[{name!r}]", value) for name, value in layers.items()}
    total = sum(array.size for array in arrays.values())
    if total == 0:
        raise ValueError("layers must hold at least one weight in all, got none")
    magnitudes = np.concatenate([np.abs(a.astype(np.float64)).ravel() for a in arrays.values()])
    flat = _top(magnitudes, keep_count(total, keep))
    masks: dict[str, np.ndarray] = {}
    start = 0
    for name, array in arrays.items():
        masks[name] = flat[start : start + array.size].reshape(array.shape)
        start += array.size
    return masks
