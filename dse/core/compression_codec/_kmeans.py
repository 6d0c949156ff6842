"""Weight sharing (Deep Compression, step 2): 1-D k-means of a layer's kept weights.

The k = 2**bits centroids start evenly spaced between the smallest and largest value (the
linear initialisation Deep Compression found best: it keeps centroids on the rare large
weights), then Lloyd iterations move each centroid to the mean of its cluster.

In one dimension a cluster is an interval between the midpoints of neighbouring centroids,
so an iteration is a search of the sorted values for the k - 1 midpoints and one sum per
cluster. Ties are settled one way throughout: a value exactly on a midpoint belongs to the
lower centroid. A cluster that becomes empty keeps its centroid. Iterations stop early once no
value changes cluster.
"""

from __future__ import annotations

import numpy as np

from dse.core.compression_codec._checks import check_int, check_real_array

__all__ = ["MAX_BITS", "assign", "linear_centroids", "share_weights"]

MAX_BITS = 16  # codebook indices then fit in uint16 (dse.core.config bounds compress bits by it)


def linear_centroids(values: np.ndarray, bits: int) -> np.ndarray:
    """The linear initialisation: 2**bits float64 centroids evenly spaced from min to max.

    Args:
        values: a non-empty 1-D array of finite real numbers.
        bits: 1..16.

    Returns:
        np.linspace(min, max, 2**bits); all equal when the values are.
    """
    bits = check_int("bits", bits, 1, MAX_BITS)
    array = _values(values)
    return _linear(float(array.min()), float(array.max()), bits)


def assign(values: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    """The index of each value's nearest centroid (sorted centroids; a tie goes to the lower one).

    Args:
        values: a 1-D array of real numbers.
        centroids: a non-empty, ascending 1-D array.

    Returns:
        An int64 array of indices into `centroids`, one per value.
    """
    c = np.asarray(centroids, dtype=np.float64)
    midpoints = c[:-1] / 2 + c[1:] / 2  # halves first: no overflow near the float range's ends
    return np.searchsorted(midpoints, np.asarray(values, dtype=np.float64), side="left")


def share_weights(values: np.ndarray, bits: int, iterations: int = 30) -> tuple[np.ndarray, np.ndarray]:
    """Cluster values into 2**bits shared weights (linear initialisation, Lloyd iterations).

    Args:
        values: a non-empty 1-D array of finite real numbers within float32 range.
        bits: 1..16; the codebook has 2**bits entries.
        iterations: the most Lloyd iterations, >= 0 (0: the linear initialisation itself).

    Returns:
        (codebook, indices): the codebook is float32 of shape (2**bits,), ascending, with -0.0
        written as 0.0; indices is uint16, one per value, each value's nearest codebook entry,
        so codebook[indices] is the shared-weight version of the values. Entries that no value
        uses stay in the codebook (with fewer distinct values than 2**bits, or equal values,
        some clusters are empty).

    Raises:
        ValueError: bits outside 1..16, iterations < 0, values empty, not 1-D, or not finite.
    """
    bits = check_int("bits", bits, 1, MAX_BITS)
    iterations = check_int("iterations", iterations, 0)
    array = _values(values)
    ordered = np.sort(array)
    centroids = _linear(float(ordered[0]), float(ordered[-1]), bits)
    bounds = None
    for _ in range(iterations):
        new_bounds = _cluster_ends(ordered, centroids)
        if bounds is not None and np.array_equal(new_bounds, bounds):
            break
        bounds = new_bounds
        centroids = np.sort(_means(ordered, bounds, centroids))  # sorted already, up to rounding
    # the codebook is what a decoder sees, so values go to their nearest float32 centroid
    codebook = centroids.astype(np.float32) + np.float32(0.0)  # + 0.0 turns -0.0 into 0.0
    return codebook, assign(array, codebook).astype(np.uint16)


def _linear(low: float, high: float, bits: int) -> np.ndarray:
    """2**bits float64 centroids evenly spaced from low to high."""
    return np.linspace(low, high, 2**bits, dtype=np.float64)


def _values(values: np.ndarray) -> np.ndarray:
    """Checked values as a float64 1-D array."""
    array = check_real_array("values", values)
    if array.ndim != 1 or array.size == 0:
        raise ValueError(f"values must be a non-empty 1-D array, got shape {array.shape}")
    return array.astype(np.float64)


def _cluster_ends(ordered: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    """End (exclusive) in the sorted values of each centroid's cluster."""
    midpoints = centroids[:-1] / 2 + centroids[1:] / 2
    # a value equal to a midpoint goes to the lower centroid, as in assign()
    inner = np.searchsorted(ordered, midpoints, side="right")
    return np.append(inner, ordered.size)


def _means(ordered: np.ndarray, ends: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    """Each cluster's mean, or its old centroid if it is empty."""
    starts = np.concatenate(([0], ends[:-1]))
    counts = ends - starts
    full = counts > 0
    sums = np.add.reduceat(ordered, starts[full])  # consecutive non-empty clusters tile the values
    means = centroids.copy()
    # clipped to the cluster's range: rounding never moves a mean outside it (equal values
    # give exactly their value)
    means[full] = np.clip(sums / counts[full], ordered[starts[full]], ordered[ends[full] - 1])
    return means
