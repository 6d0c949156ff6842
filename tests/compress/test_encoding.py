"""The sparse layer format and the network container: bit-exact round trips, sizes, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dse.core.compression_codec import (
    decode_layer,
    decode_network,
    encode_layer,
    encode_network,
    network_header,
    prune_mask,
    quantised,
)


def _same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal dtype, shape and bytes: -0.0 and 0.0 differ, as do NaN payloads."""
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def _round_trip(weights: np.ndarray, mask: np.ndarray, bits: int, index_bits: int) -> bytes:
    data = encode_layer(weights, mask, bits=bits, index_bits=index_bits)
    expected = quantised(weights, mask, bits=bits)
    decoded = decode_layer(data)
    assert decoded.dtype == np.float32 and expected.dtype == np.float32
    assert _same_bits(decoded, expected)
    assert np.all(decoded[~mask] == 0)
    assert not np.signbit(decoded[decoded == 0]).any()  # zeros are +0.0
    assert len(np.unique(decoded[mask])) <= 2**bits
    return data


@settings(max_examples=50, deadline=None)
@given(shape=st.lists(st.integers(1, 9), min_size=1, max_size=4), density=st.floats(0.0, 1.0),
       bits=st.one_of(st.integers(1, 8), st.just(16)), index_bits=st.integers(1, 8),
       seed=st.integers(0, 2**32 - 1))
def test_layer_round_trip_is_bit_exact(shape: list[int], density: float, bits: int, index_bits: int,
                                       seed: int) -> None:
    rng = np.random.default_rng(seed)
    weights = rng.standard_normal(shape).astype(np.float32)
    mask = rng.random(shape) < density
    _round_trip(weights, mask, bits, index_bits)


def test_all_weights_kept() -> None:
    weights = np.random.default_rng(6).standard_normal((16, 8, 3, 3)).astype(np.float32)
    mask = prune_mask(weights, 1.0)
    assert mask.all()
    decoded = decode_layer(_round_trip(weights, mask, 4, 8))
    assert np.all(decoded != 0) and len(np.unique(decoded)) <= 16
    assert np.abs(decoded - weights).max() < np.ptp(weights) / 15  # within a centroid spacing


def test_one_weight_kept_comes_back_as_its_float16_rounding() -> None:
    weights = np.random.default_rng(7).standard_normal((32, 16, 3, 3)).astype(np.float32)
    mask = prune_mask(weights, 1e-9)
    assert mask.sum() == 1
    blob = _round_trip(weights, mask, 8, 8)
    decoded = decode_layer(blob)
    half = weights[mask].astype(np.float16).astype(np.float32)
    assert np.array_equal(decoded[mask], half) and np.count_nonzero(decoded) == 1
    assert decoded[mask][0] != weights[mask][0]  # this value is not a float16: it was rounded


def test_a_codebook_beyond_float16_range_stays_float32() -> None:
    weights = np.array([-3e38, -1e38, 1e38, 3e38], dtype=np.float32)
    mask = np.ones(4, dtype=bool)
    small = _round_trip(np.array([-3.0, -1.0, 1.0, 3.0], dtype=np.float32), mask, 2, 3)
    large = _round_trip(weights, mask, 2, 3)
    assert _same_bits(decode_layer(large), weights)  # four centroids: every value exactly
    assert len(large) - len(small) == 4 * 2  # four codebook values of 4 bytes, not 2


def test_kept_weights_all_equal_make_one_shared_weight() -> None:
    weights = np.full((10, 10), -0.25, dtype=np.float32)
    mask = np.zeros((10, 10), dtype=bool)
    mask[::3, 1::2] = True
    decoded = decode_layer(_round_trip(weights, mask, 8, 5))
    assert np.all(decoded[mask] == np.float32(-0.25)) and np.all(decoded[~mask] == 0)


def test_all_zero_layer() -> None:
    weights = np.zeros((8, 4, 3, 3), dtype=np.float32)
    for mask in (prune_mask(weights, 0.5), np.zeros(weights.shape, dtype=bool)):
        decoded = decode_layer(_round_trip(weights, mask, 8, 8))
        assert _same_bits(decoded, np.zeros(weights.shape, dtype=np.float32))
    # negative zeros come back as +0.0, in quantised() and in the decoded layer alike
    minus = np.full(20, -0.0, dtype=np.float32)
    decoded = decode_layer(_round_trip(minus, np.ones(20, dtype=bool), 2, 3))
    assert _same_bits(decoded, np.zeros(20, np.float32))


@pytest.mark.parametrize("index_bits", [1, 2, 3, 4, 8])
def test_gaps_longer_than_the_index_bits_use_zero_fillers(index_bits: int) -> None:
    widest = 2**index_bits - 1
    size = 6 * widest + 40
    weights = np.linspace(1.0, 2.0, size, dtype=np.float32)
    # gaps of exactly widest, widest + 1, 2 * widest and one far beyond, then a trailing run
    positions = np.cumsum([widest - 1, widest, widest + 1, 2 * widest, 2 * widest + 7])
    positions = positions[positions < size]
    mask = np.zeros(size, dtype=bool)
    mask[positions] = True
    decoded = decode_layer(_round_trip(weights, mask, 4, index_bits))
    assert np.flatnonzero(decoded).tolist() == positions.tolist()


def test_small_index_bits_force_many_fillers_and_cost_bytes() -> None:
    rng = np.random.default_rng(8)
    weights = rng.standard_normal((64, 32, 3, 3)).astype(np.float32)
    mask = prune_mask(weights, 0.05)
    sizes = {index_bits: len(_round_trip(weights, mask, 5, index_bits)) for index_bits in (2, 5, 8)}
    assert sizes[2] > sizes[5] >= sizes[8]


@pytest.mark.parametrize("bits", [1, 16])
def test_extreme_bits(bits: int) -> None:
    weights = np.random.default_rng(bits).standard_normal((64, 16, 3, 3)).astype(np.float32)
    mask = prune_mask(weights, 0.5)
    decoded = decode_layer(_round_trip(weights, mask, bits, 8))
    shared = np.unique(decoded[mask])
    if bits == 1:
        assert len(shared) == 2 and shared[0] < 0 < shared[1]  # kept weights: two signed tails
    else:
        assert np.abs(decoded[mask] - weights[mask]).max() < 1e-3


def test_float64_weights_and_odd_shapes() -> None:
    weights = np.random.default_rng(9).standard_normal((3, 5, 7))  # float64
    _round_trip(weights, prune_mask(weights, 0.4), 6, 4)
    _round_trip(np.array(1.5), np.array(True), 3, 2)  # a 0-d layer
    _round_trip(np.zeros((0, 4), dtype=np.float32), np.zeros((0, 4), dtype=bool), 3, 2)


def test_realistic_conv_layer_compresses_over_10x() -> None:
    weights = np.random.default_rng(0).standard_normal((256, 64, 3, 3)).astype(np.float32)
    mask = prune_mask(weights, 0.33)
    data = _round_trip(weights, mask, 8, 8)
    ratio = weights.nbytes / len(data)
    assert ratio > 10.0, ratio  # measured 10.38 (56,833 bytes for 589,824)
    # unpruned, 8-bit sharing alone gives about 4x (measured 4.03: Huffman saves little on the
    # indices of Gaussian weights, and every gap is 1)
    assert weights.nbytes / len(encode_layer(weights, prune_mask(weights, 1.0), bits=8, index_bits=8)) > 3.9


def _network() -> tuple[dict[str, tuple[np.ndarray, np.ndarray]], dict[str, np.ndarray]]:
    rng = np.random.default_rng(10)
    shapes = {"conv1.weight": (96, 3, 7, 7), "fire2.squeeze.weight": (16, 96, 1, 1),
              "fire2.expand1x1.weight": (64, 16, 1, 1), "fire2.expand3x3.weight": (64, 16, 3, 3),
              "conv10.weight": (10, 128, 1, 1)}
    layers = {}
    for name, shape in shapes.items():
        weights = (rng.standard_normal(shape) / np.sqrt(np.prod(shape[1:]))).astype(np.float32)
        layers[name] = (weights, prune_mask(weights, 0.35))
    dense = {"conv1.bias": rng.standard_normal(96).astype(np.float32),
             "fire2.bn.weight": rng.standard_normal(16), "fire2.bn.running_var": rng.random(16) + 0.5,
             "conv10.bias": rng.standard_normal(10).astype(np.float32)}
    return layers, dense


def test_a_given_sharing_is_stored_as_is() -> None:
    # fine-tuned centroids: out of order, a -0.0, one unused, two equal values
    rng = np.random.default_rng(7)
    weights = rng.normal(size=(6, 5, 3, 3)).astype(np.float32)
    mask = prune_mask(weights, 0.4)
    codebook = np.array([0.5, -0.0, -1.25, 2.0, 0.5], dtype=np.float32)
    indices = rng.choice([0, 1, 2, 4], size=int(mask.sum()))
    expected = np.zeros(weights.size, dtype=np.float32)
    expected[np.flatnonzero(mask)] = codebook[indices] + np.float32(0.0)
    blob = encode_layer(weights, mask, bits=3, index_bits=4, sharing=(codebook, indices))
    assert _same_bits(decode_layer(blob), expected.reshape(weights.shape))
    assert _same_bits(quantised(weights, mask, bits=3, sharing=(codebook, indices)),
                      expected.reshape(weights.shape))
    network = encode_network({"w": (weights, mask)}, {}, bits=3, index_bits=4,
                             sharing={"w": (codebook, indices)})
    assert _same_bits(decode_network(network)["w"], expected.reshape(weights.shape))


@pytest.mark.parametrize(("sharing", "message"), [
    ((np.zeros(9, dtype=np.float32), np.zeros(4, dtype=np.int64)), "at most 2\\*\\*bits = 8"),
    ((np.zeros(2, dtype=np.float32), np.zeros(3, dtype=np.int64)), "must be 4 integers"),
    ((np.zeros(2, dtype=np.float32), np.array([0, 1, 2, 0])), "in 0..1"),
    ((np.array([np.nan, 1.0]), np.zeros(4, dtype=np.int64)), "finite numbers"),
])
def test_a_sharing_that_does_not_fit_is_refused(sharing: tuple[np.ndarray, np.ndarray],
                                                message: str) -> None:
    weights = np.arange(8, dtype=np.float32)
    mask = weights >= 4
    with pytest.raises(ValueError, match=message):
        encode_layer(weights, mask, bits=3, index_bits=4, sharing=sharing)
    with pytest.raises(ValueError, match="not a layer"):
        encode_network({"w": (weights, mask)}, {}, bits=3, index_bits=4,
                       sharing={"v": sharing})


def test_network_round_trip_and_header() -> None:
    layers, dense = _network()
    bits = {"conv1.weight": 8, "fire2.squeeze.weight": 8, "fire2.expand1x1.weight": 6,
            "fire2.expand3x3.weight": 5, "conv10.weight": 4}
    data = encode_network(layers, dense, bits=bits, index_bits=8)
    decoded = decode_network(data)
    assert list(decoded) == [*layers, *dense]
    for name, (weights, mask) in layers.items():
        assert _same_bits(decoded[name], quantised(weights, mask, bits=bits[name]))
    for name, value in dense.items():
        assert _same_bits(decoded[name], value.astype(np.float32))
    header = network_header(data)
    assert header["format"] == "dse.compress" and header["version"] == 1
    entries = {e["name"]: e for e in header["tensors"]}
    assert entries["fire2.expand3x3.weight"] == {"name": "fire2.expand3x3.weight", "kind": "sparse",
                                                 "shape": [64, 16, 3, 3], "bits": 5, "index_bits": 8,
                                                 "nbytes": entries["fire2.expand3x3.weight"]["nbytes"]}
    assert entries["fire2.bn.running_var"] == {"name": "fire2.bn.running_var", "kind": "dense",
                                               "shape": [16], "nbytes": 64}
    header_bytes = len(zlib.compress(json.dumps(header, separators=(",", ":")).encode(), 9))
    assert header["meta"] == {}
    assert len(data) == 8 + header_bytes + sum(e["nbytes"] for e in header["tensors"])
    dense_bytes = sum(4 * v.size for v in dense.values()) + sum(4 * w.size for w, _ in layers.values())
    ratio = dense_bytes / len(data)
    assert ratio > 7.5, ratio  # measured 8.18 (13,347 bytes for 109,224), 35% kept, header included


def test_network_size_is_len_of_the_bytes_and_tracks_settings() -> None:
    layers, dense = _network()
    sizes = [len(encode_network(layers, dense, bits=b, index_bits=8)) for b in (2, 4, 8)]
    assert sizes[0] < sizes[1] < sizes[2]
    assert len(encode_network({}, {}, bits=8, index_bits=8)) < 100
    assert decode_network(encode_network({}, {}, bits=8, index_bits=8)) == {}


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"bits": 0, "index_bits": 8}, r"^bits must be an integer in 1\.\.16, got 0$"),
    ({"bits": 17, "index_bits": 8}, r"^bits must be an integer in 1\.\.16, got 17$"),
    ({"bits": 8, "index_bits": 0}, r"^index_bits must be an integer in 1\.\.16, got 0$"),
    ({"bits": 8, "index_bits": 17}, r"^index_bits must be an integer in 1\.\.16, got 17$"),
    ({"bits": 8, "index_bits": 8, "iterations": -1}, r"^iterations must be an integer >= 0, got -1$"),
])
def test_layer_settings_out_of_range_are_refused(kwargs: dict[str, int], message: str) -> None:
    weights = np.ones((4, 4), dtype=np.float32)
    with pytest.raises(ValueError, match=message):
        encode_layer(weights, weights > 0, **kwargs)


def test_bad_masks_are_refused() -> None:
    weights = np.ones((4, 4), dtype=np.float32)
    with pytest.raises(ValueError, match=r"^mask shape \(4, 3\) must equal the weights' shape \(4, 4\)$"):
        encode_layer(weights, np.ones((4, 3), dtype=bool), bits=8, index_bits=8)
    with pytest.raises(ValueError, match=r"^mask must be a boolean array, got dtype float32$"):
        quantised(weights, weights, bits=8)


def test_bad_network_input_is_refused() -> None:
    layers, dense = _network()
    cases = [
        ({"bits": {"conv1.weight": 8}}, r"^bits has no entry for layer 'fire2\.squeeze\.weight'"),
        ({"bits": {**dict.fromkeys(layers, 8), "fc": 8}},
         r"^bits has an entry for 'fc', which is not a layer$"),
        ({"bits": {**dict.fromkeys(layers, 8), "conv10.weight": 17}},
         r"^bits\['conv10\.weight'\] must be an integer in 1\.\.16, got 17$"),
        ({"index_bits": dict.fromkeys(layers, 0)},
         r"^index_bits\['conv1\.weight'\] must be an integer in 1\.\.16, got 0$"),
    ]
    for override, message in cases:
        kwargs = {"bits": 8, "index_bits": 8, **override}
        with pytest.raises(ValueError, match=message):
            encode_network(layers, dense, **kwargs)
    bad_mask = {**layers, "conv10.weight": (layers["conv10.weight"][0], np.ones((10, 128), dtype=bool))}
    with pytest.raises(ValueError, match=r"^layers\['conv10\.weight'\]: mask shape \(10, 128\) must equal"):
        encode_network(bad_mask, dense, bits=8, index_bits=8)
    with pytest.raises(ValueError, match=r"^dense\['steps'\] must be a floating-point array, got int64"):
        encode_network(layers, {"steps": np.array(3, dtype=np.int64)}, bits=8, index_bits=8)
    with pytest.raises(ValueError, match="not both"):
        encode_network(layers, {"conv1.weight": np.ones(3)}, bits=8, index_bits=8)


def test_corrupt_bytes_are_refused() -> None:
    weights = np.random.default_rng(11).standard_normal((8, 8)).astype(np.float32)
    layer = encode_layer(weights, prune_mask(weights, 0.5), bits=4, index_bits=3)
    for bad in (layer[:-1], layer + b"\x00", b"\x02" + layer[1:]):
        with pytest.raises(ValueError, match="corrupt"):
            decode_layer(bad)
    layers, dense = _network()
    network = encode_network(layers, dense, bits=8, index_bits=8)
    for bad in (network[:-1], network + b"\x00", b"XXXX" + network[4:], network[:20]):
        with pytest.raises(ValueError, match="corrupt network data"):
            decode_network(bad)


def test_pure_core_imports_no_framework() -> None:
    heavy = ["torch", "optuna", "sqlalchemy", "hydra", "lightning", "pytorch_lightning", "omegaconf"]
    code = f"import sys, dse.compress; print([m for m in {heavy!r} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
