"""Magnitude pruning: exact counts, largest magnitudes, deterministic ties, one global threshold."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dse.core.compression_codec import global_masks, keep_count, prune_mask


@pytest.mark.parametrize(("size", "keep", "count"), [
    (10, 0.25, 3),     # 2.5 rounds half up
    (10, 0.24, 2),
    (10, 0.05, 1),     # 0.5 rounds up to 1
    (10, 0.01, 1),     # 0.1 would round to 0: at least one is kept
    (10, 1.0, 10),
    (147456, 0.33, 48660),
])
def test_keep_count_rounds_half_up_and_keeps_at_least_one(size: int, keep: float, count: int) -> None:
    assert keep_count(size, keep) == count
    weights = np.random.default_rng(size).standard_normal(size)
    assert int(prune_mask(weights, keep).sum()) == count


@settings(max_examples=40, deadline=None)
@given(shape=st.lists(st.integers(1, 6), min_size=1, max_size=3), keep=st.floats(0.01, 1.0),
       seed=st.integers(0, 2**32 - 1))
def test_mask_keeps_the_largest_magnitudes(shape: list[int], keep: float, seed: int) -> None:
    weights = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    mask = prune_mask(weights, keep)
    assert mask.shape == weights.shape and mask.dtype == np.bool_
    assert int(mask.sum()) == max(1, math.floor(keep * weights.size + 0.5))
    if not mask.all():
        assert np.abs(weights[mask]).min() >= np.abs(weights[~mask]).max()


def test_equal_magnitudes_are_kept_in_flat_order() -> None:
    weights = np.array([[1.0, -1.0, 1.0], [-1.0, 1.0, -1.0]])
    mask = prune_mask(weights, 0.5)
    assert mask.tolist() == [[True, True, True], [False, False, False]]
    weights = np.array([0.5, 2.0, -0.5, 0.5, -2.0])
    assert prune_mask(weights, 0.6).tolist() == [True, True, False, False, True]


def test_one_threshold_over_all_layers() -> None:
    rng = np.random.default_rng(1)
    layers = {"big": rng.standard_normal((8, 4, 3, 3)), "small": 0.1 * rng.standard_normal((16, 8)),
              "mid": rng.standard_normal(50)}
    masks = global_masks(layers, 0.3)
    assert list(masks) == ["big", "small", "mid"]
    for name, mask in masks.items():
        assert mask.shape == layers[name].shape and mask.dtype == np.bool_
    total = sum(a.size for a in layers.values())
    assert sum(int(m.sum()) for m in masks.values()) == math.floor(0.3 * total + 0.5)
    kept = np.concatenate([np.abs(layers[n][masks[n]]) for n in layers])
    dropped = np.concatenate([np.abs(layers[n][~masks[n]]) for n in layers])
    assert kept.min() >= dropped.max()
    # the layer of small weights loses far more than 70%: one threshold, not one per layer
    assert masks["small"].mean() < 0.05 < masks["big"].mean()


def test_global_ties_follow_layer_order() -> None:
    masks = global_masks({"a": np.ones(3), "b": np.ones(3)}, 0.5)
    assert masks["a"].tolist() == [True, True, True] and not masks["b"].any()


@pytest.mark.parametrize("keep", [0, 0.0, 1.5, -0.2, float("nan"), True, "0.5", None])
def test_keep_out_of_range_is_refused(keep: object) -> None:
    with pytest.raises(ValueError, match=r"keep must be a number in \(0, 1\], got"):
        prune_mask(np.ones(4), keep)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"keep must be a number in \(0, 1\]"):
        global_masks({"a": np.ones(4)}, keep)  # type: ignore[arg-type]


def test_bad_weights_are_refused() -> None:
    with pytest.raises(ValueError, match="weights must have at least one element"):
        prune_mask(np.zeros((0, 3)), 0.5)
    with pytest.raises(ValueError, match="finite numbers"):
        prune_mask(np.array([1.0, np.nan]), 0.5)
    with pytest.raises(ValueError, match="array of real numbers"):
        prune_mask(np.array([1 + 2j]), 0.5)
    with pytest.raises(ValueError, match="at least one weight"):
        global_masks({}, 0.5)
    with pytest.raises(ValueError, match=r"layers\['x'\] must hold finite numbers"):
        global_masks({"x": np.array([np.inf])}, 0.5)
