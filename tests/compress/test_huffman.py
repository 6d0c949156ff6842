"""Canonical Huffman coding: round trips, optimality, canonical codes, edge cases, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dse.core.compression_codec import canonical_codes, huffman_decode, huffman_encode, huffman_lengths

SKEWED = st.lists(st.integers(0, 20).map(lambda x: x * x), max_size=400)  # few symbols, uneven


def _round_trip(symbols: list[int] | np.ndarray) -> bytes:
    data = huffman_encode(symbols)
    decoded = huffman_decode(data)
    assert decoded.dtype == np.int64
    assert np.array_equal(decoded, np.asarray(symbols, dtype=np.int64).reshape(-1))
    return data


@settings(max_examples=60, deadline=None)
@given(symbols=st.one_of(SKEWED, st.lists(st.integers(0, 2**32 - 1), max_size=200),
                         st.lists(st.integers(0, 3), max_size=2000)))
def test_round_trip(symbols: list[int]) -> None:
    _round_trip(symbols)


@settings(max_examples=40, deadline=None)
@given(counts=st.dictionaries(st.integers(0, 5000), st.integers(1, 10**6), min_size=2, max_size=300))
def test_lengths_are_optimal_within_one_bit_of_the_entropy(counts: dict[int, int]) -> None:
    lengths = huffman_lengths(counts)
    assert set(lengths) == set(counts)
    total = sum(counts.values())
    mean = sum(counts[s] * lengths[s] for s in counts) / total
    entropy = -sum(c / total * math.log2(c / total) for c in counts.values())
    assert entropy - 1e-9 <= mean < entropy + 1
    assert mean <= math.ceil(math.log2(len(counts)))  # never worse than a fixed-length code
    assert sum(2.0 ** -n for n in lengths.values()) == 1.0  # a full binary tree: Kraft equality


def test_stream_is_the_code_lengths_and_beats_a_fixed_length_code() -> None:
    rng = np.random.default_rng(3)
    symbols = np.minimum(rng.geometric(0.2, 20000), 64) - 1  # 64 symbols, skewed
    data = _round_trip(symbols)
    unique, counts = np.unique(symbols, return_counts=True)
    lengths = huffman_lengths(dict(zip(unique.tolist(), counts.tolist())))
    stream = math.ceil(sum(lengths[s] * c for s, c in zip(unique.tolist(), counts.tolist())) / 8)
    table = len(data) - stream
    assert 0 < table < 2 * len(unique) + 16
    assert stream < symbols.size * math.ceil(math.log2(len(unique))) / 8 * 0.75


def test_canonical_codes_follow_length_then_symbol() -> None:
    codes = canonical_codes({10: 2, 3: 1, 7: 3, 2: 3})
    assert codes == {3: 0b0, 10: 0b10, 2: 0b110, 7: 0b111}
    lengths = huffman_lengths({0: 5, 1: 9, 2: 12, 3: 13, 4: 16, 5: 45})
    assert lengths == {0: 4, 1: 4, 2: 3, 3: 3, 4: 3, 5: 1}
    codes = canonical_codes(lengths)
    words = [format(codes[s], f"0{lengths[s]}b") for s in lengths]
    assert not any(a != b and b.startswith(a) for a in words for b in words)  # prefix-free


def test_empty_input() -> None:
    assert huffman_lengths({}) == {} and canonical_codes({}) == {}
    assert len(_round_trip([])) == 2
    assert huffman_decode(huffman_encode(np.zeros(0))).shape == (0,)


def test_a_lone_symbol_gets_a_one_bit_code() -> None:
    assert huffman_lengths({7: 5}) == {7: 1} and canonical_codes({7: 1}) == {7: 0}
    assert huffman_lengths({7: 5, 9: 0}) == {7: 1}  # a symbol counted 0 times gets no code
    one, many = _round_trip([42]), _round_trip([42] * 1000)
    assert len(many) - len(one) == (125 - 1) + (2 - 1)  # 1000 bits instead of 1; a 2-byte count


def test_large_alphabet_of_two_to_the_sixteen_symbols() -> None:
    rng = np.random.default_rng(4)
    symbols = np.concatenate([np.arange(2**16), rng.integers(0, 2**16, 50000)])
    rng.shuffle(symbols)
    _round_trip(symbols)


def test_codes_longer_than_the_lookup_table() -> None:
    fibonacci = [1, 1]
    while len(fibonacci) < 26:
        fibonacci.append(fibonacci[-1] + fibonacci[-2])
    lengths = huffman_lengths(dict(enumerate(fibonacci)))
    assert max(lengths.values()) == 25
    symbols = np.repeat(np.arange(26), fibonacci)
    np.random.default_rng(5).shuffle(symbols)
    _round_trip(symbols)


def test_corrupt_data_is_refused() -> None:
    data = huffman_encode([1, 2, 2, 3, 3, 3, 3] * 10)
    for bad in (data[:-1], data + b"\x00", data[:3], b"", b"\x05\x00"):
        with pytest.raises(ValueError, match="corrupt Huffman data"):
            huffman_decode(bad)


@pytest.mark.parametrize(("symbols", "message"), [
    ([1, -1], r"symbols must be integers in 0\.\.4294967295"),
    ([2**32], r"symbols must be integers in 0\.\.4294967295"),
    ([1.0, 2.0], "symbols must be integers, got dtype float64"),
    ([True], "symbols must be integers, got dtype bool"),
    ([[1, 2]], "symbols must be a 1-D sequence"),
])
def test_bad_symbols_are_refused(symbols: list[object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        huffman_encode(symbols)  # type: ignore[arg-type]


def test_bad_counts_and_lengths_are_refused() -> None:
    with pytest.raises(ValueError, match=r"counts\[1\] must be an integer >= 0, got -2"):
        huffman_lengths({1: -2})
    with pytest.raises(ValueError, match=r"symbols must be integers in 0\.\.4294967295, got -1"):
        huffman_lengths({-1: 2})
    with pytest.raises(ValueError, match=r"lengths\[0\] must be an integer in 1\.\.57, got 58"):
        canonical_codes({0: 58})
    with pytest.raises(ValueError, match="Kraft inequality"):
        canonical_codes({0: 1, 1: 1, 2: 1})
