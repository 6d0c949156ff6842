"""Weight sharing: linear initialisation, Lloyd iterations, nearest-centroid indices, edge cases."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dse.core.compression_codec import assign, linear_centroids, share_weights


def _sse(values: np.ndarray, codebook: np.ndarray, indices: np.ndarray) -> float:
    return float(((values - codebook[indices].astype(np.float64)) ** 2).sum())


def test_linear_initialisation_spaces_centroids_evenly_from_min_to_max() -> None:
    values = np.random.default_rng(0).standard_normal(1000)
    for bits in (1, 3, 8):
        codebook, indices = share_weights(values, bits, iterations=0)
        expected = np.linspace(values.min(), values.max(), 2**bits)
        assert codebook.dtype == np.float32 and codebook.shape == (2**bits,)
        assert np.array_equal(codebook, expected.astype(np.float32))
        assert np.array_equal(linear_centroids(values, bits), expected)
        assert codebook[0] == np.float32(values.min()) and codebook[-1] == np.float32(values.max())
        assert np.array_equal(indices, assign(values, codebook))


@settings(max_examples=30, deadline=None)
@given(size=st.integers(1, 400), bits=st.integers(1, 9), seed=st.integers(0, 2**32 - 1))
def test_indices_point_at_the_nearest_centroid(size: int, bits: int, seed: int) -> None:
    values = np.random.default_rng(seed).standard_normal(size).astype(np.float32)
    codebook, indices = share_weights(values, bits)
    assert codebook.shape == (2**bits,) and indices.dtype == np.uint16 and indices.shape == (size,)
    assert np.all(np.diff(codebook) >= 0)
    distance = np.abs(values[:, None].astype(np.float64) - codebook[None, :])
    assert np.array_equal(distance[np.arange(size), indices], distance.min(axis=1))


def test_lloyd_iterations_lower_the_error_and_centroids_are_cluster_means() -> None:
    values = np.random.default_rng(1).standard_normal(5000)
    start = share_weights(values, 4, iterations=0)
    done = share_weights(values, 4, iterations=100)
    assert _sse(values, *done) < 0.8 * _sse(values, *start)
    codebook, indices = done
    for k in np.unique(indices):
        assert codebook[k] == pytest.approx(values[indices == k].mean(), rel=1e-6, abs=1e-7)


def test_empty_clusters_keep_their_centroid() -> None:
    codebook, indices = share_weights(np.array([0.0, 10.0]), 2)
    assert np.array_equal(codebook, np.array([0.0, 10 / 3, 20 / 3, 10.0], dtype=np.float32))
    assert indices.tolist() == [0, 3]


def test_single_value_and_all_equal_values_make_one_cluster() -> None:
    codebook, indices = share_weights(np.array([0.7], dtype=np.float32), 8)
    assert indices.tolist() == [0] and codebook[0] == np.float32(0.7)
    values = np.full(1000, 0.1, dtype=np.float32)
    codebook, indices = share_weights(values, 5)
    assert np.all(indices == 0) and np.all(codebook == np.float32(0.1))


def test_fewer_values_than_centroids_are_reproduced_exactly() -> None:
    values = np.array([3.0, 0.0, 10.0, 1.0, 2.0, 3.0], dtype=np.float32)
    codebook, indices = share_weights(values, 4)
    assert np.array_equal(codebook[indices], values)
    assert len(np.unique(indices)) == 5


def test_sixteen_bits_and_no_negative_zero() -> None:
    values = np.random.default_rng(2).standard_normal(3000)
    codebook, indices = share_weights(values, 16)
    assert codebook.shape == (65536,) and indices.dtype == np.uint16
    assert np.abs(codebook[indices] - values).max() < 1e-3
    codebook, _ = share_weights(np.array([-0.0, -0.0]), 2)
    assert not np.signbit(codebook).any()


@pytest.mark.parametrize(("bits", "shown"), [(0, "0"), (17, "17"), (True, "True"), (2.0, "2.0")])
def test_bits_out_of_range_is_refused(bits: object, shown: str) -> None:
    with pytest.raises(ValueError, match=rf"^bits must be an integer in 1\.\.16, got {shown}$"):
        share_weights(np.ones(3), bits)  # type: ignore[arg-type]


def test_bad_values_and_iterations_are_refused() -> None:
    with pytest.raises(ValueError, match=r"^iterations must be an integer >= 0, got -1$"):
        share_weights(np.ones(3), 2, iterations=-1)
    with pytest.raises(ValueError, match="values must be a non-empty 1-D array"):
        share_weights(np.ones((2, 2)), 2)
    with pytest.raises(ValueError, match="values must be a non-empty 1-D array"):
        share_weights(np.zeros(0), 2)
    with pytest.raises(ValueError, match="finite numbers within float32 range"):
        share_weights(np.array([1.0, np.inf]), 2)
    with pytest.raises(ValueError, match="finite numbers within float32 range"):
        share_weights(np.array([1.0, 1e39]), 2)
