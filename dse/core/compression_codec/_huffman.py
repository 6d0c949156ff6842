# Why this hand-written coder and not bitarray's (benchmarks/huffman_bench.py: a trained digits
# network, 8-bit 33 % kept, the 52 real index and gap streams of its 26 convolutions):
# - size: bitarray.util.canonical_huffman is 1.4 % larger in all (76,096 vs 75,038 bytes; up to
#   6.5 % on a small index stream): within a code length its canonical order is not ascending, so
#   its table cannot store symbols as gaps. The bit streams are equally long (both optimal).
# - encode: no faster (35 vs 34 ms for all streams; 2x faster only on the largest streams).
# - decode: bitarray.util.canonical_decode is about 6x faster (5 vs 33 ms for all streams), also
#   when it reads this module's very bytes (the "hybrid" column).
# Kept, because that decode gain is about 30 ms per compressed network, about 1 % of the compress
# stage it serves (2.5 s per setting on digits, fine-tunes included), and it would cost a compiled
# dependency in the pure core plus this module's own corruption checks (stray code, padding)
# written again around canonical_decode. Rerun the benchmark if decode time starts to matter.
"""Canonical Huffman coding of non-negative integer symbols (Deep Compression, step 3).

Format of `huffman_encode`'s bytes (varints are unsigned LEB128, see _varint):

    varint  n           number of symbols coded
    varint  L           longest code length in bits (0 when n == 0; then nothing follows)
    varint  c_1..c_L    how many symbols have a code of each length 1..L
    symbols             for each length 1..L, its c_l symbols ascending: the first as a varint,
                        each next one as a varint of (gap - 1) from the one before
    bit stream          the n codes, most significant bit first, zero-padded to a whole byte

The table is the (symbol, length) pairs only: canonical codes follow from it, assigned in
(length, symbol) order, each the previous one plus one, shifted left when the length grows.
A lone distinct symbol gets the 1-bit code 0. Codes are at most 57 bits (decoding reads a
64-bit word at any bit offset); Huffman codes reach that only past about 10**11 symbols.
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Integral

import numpy as np

from dse.core.compression_codec._varint import Reader, varint

__all__ = ["MAX_CODE_LENGTH", "MAX_SYMBOL", "canonical_codes", "huffman_decode", "huffman_encode",
           "huffman_lengths"]

MAX_CODE_LENGTH = 57
MAX_SYMBOL = 2**32 - 1
_TABLE_BITS = 16  # decode by direct lookup when the longest code has at most this many bits
_CHUNK = 1 << 20  # bit positions looked up at once while decoding


def huffman_lengths(counts: dict[int, int]) -> dict[int, int]:
    """Huffman code lengths for symbol frequencies.

    Args:
        counts: symbol (int >= 0) -> how often it occurs (int >= 0); symbols counted 0 times
            get no code.

    Returns:
        symbol -> code length in bits, ascending by symbol; a lone symbol gets length 1, and
        no symbols give {}. Ties between equal counts are settled by symbol, so the lengths
        depend on the counts alone.

    Raises:
        ValueError: a symbol or a count is not a non-negative integer.
    """
    for symbol, count in counts.items():
        _check_symbol(symbol)
        if not isinstance(count, Integral) or isinstance(count, bool) or count < 0:
            raise ValueError(f"counts[{symbol!r}] must be an integer >= 0, got {count!r}")
    used = sorted(int(s) for s, c in counts.items() if c > 0)
    lengths = _lengths([int(counts[s]) for s in used])
    return dict(zip(used, lengths))


def canonical_codes(lengths: dict[int, int]) -> dict[int, int]:
    """The canonical prefix code for given code lengths.

    Args:
        lengths: symbol (int >= 0) -> code length in 1..57 bits; the lengths must satisfy the
            Kraft inequality (sum of 2**-length <= 1).

    Returns:
        symbol -> code (an int of `lengths[symbol]` bits), in (length, symbol) order: the first
        code is all zeros, each next one is the previous plus one, shifted left by the growth
        in length.

    Raises:
        ValueError: a symbol or length out of range, or lengths that no prefix code has.
    """
    for symbol, length in lengths.items():
        _check_symbol(symbol)
        if not isinstance(length, Integral) or isinstance(length, bool) or not 1 <= length <= MAX_CODE_LENGTH:
            raise ValueError(f"lengths[{symbol!r}] must be an integer in 1..{MAX_CODE_LENGTH}, "
                             f"got {length!r}")
    order = sorted(lengths, key=lambda s: (lengths[s], s))
    codes = _canonical([int(lengths[s]) for s in order])
    return {int(s): c for s, c in zip(order, codes)}


def huffman_encode(symbols: Sequence[int] | np.ndarray) -> bytes:
    """Huffman-code a sequence of symbols into self-describing bytes (table, count, bit stream).

    Args:
        symbols: a 1-D sequence of integers in 0..2**32 - 1; may be empty.

    Returns:
        The bytes described in this module's docstring; huffman_decode gives the symbols back.

    Raises:
        ValueError: symbols not 1-D, not integers, or out of range.
    """
    array = np.asarray(symbols)
    if array.ndim != 1:
        raise ValueError(f"symbols must be a 1-D sequence, got shape {array.shape}")
    if array.size == 0:
        return varint(0) + varint(0)
    if array.dtype == np.bool_ or not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"symbols must be integers, got dtype {array.dtype}")
    if array.min() < 0 or array.max() > MAX_SYMBOL:
        raise ValueError(f"symbols must be integers in 0..{MAX_SYMBOL}, got {array.min()}..{array.max()}")
    unique, inverse = np.unique(array.astype(np.int64), return_inverse=True)
    lengths = np.array(_lengths(np.bincount(inverse).tolist()), dtype=np.int64)
    order = np.lexsort((unique, lengths))  # canonical order: by length, then symbol
    sorted_lengths = lengths[order]
    longest = int(sorted_lengths[-1])
    if longest > MAX_CODE_LENGTH:  # needs about 10**11 symbols of Fibonacci-like frequencies
        raise ValueError(f"symbol frequencies too skewed: a code of {longest} bits exceeds {MAX_CODE_LENGTH}")
    codes = np.zeros(unique.size, dtype=np.uint64)
    codes[order] = np.array(_canonical(sorted_lengths.tolist()), dtype=np.uint64)

    out = bytearray(varint(array.size) + varint(longest))
    per_length = np.bincount(sorted_lengths, minlength=longest + 1)[1:]
    for count in per_length.tolist():
        out += varint(count)
    start = 0
    for count in per_length.tolist():
        group = unique[order[start : start + count]].tolist()
        start += count
        previous = -1
        for symbol in group:
            out += varint(symbol if previous < 0 else symbol - previous - 1)
            previous = symbol
    out += _bit_stream(lengths[inverse], codes[inverse])
    return bytes(out)


def huffman_decode(data: bytes) -> np.ndarray:
    """The symbols that huffman_encode coded into `data`.

    Args:
        data: bytes from huffman_encode, nothing before or after them.

    Returns:
        The symbols, as a 1-D int64 array.

    Raises:
        ValueError: the bytes are not a well-formed Huffman stream.
    """
    reader = Reader(data, "Huffman data")
    count = reader.varint()
    longest = reader.varint()
    if count == 0:
        if longest != 0:
            raise reader.corrupt("no symbols but a code table")
        reader.expect_end()
        return np.zeros(0, dtype=np.int64)
    if not 1 <= longest <= MAX_CODE_LENGTH:
        raise reader.corrupt(f"longest code of {longest} bits, allowed 1..{MAX_CODE_LENGTH}")
    per_length = [reader.varint(MAX_SYMBOL + 1) for _ in range(longest)]
    if sum(c * 2 ** (longest - n) for n, c in enumerate(per_length, 1)) > 2**longest:
        raise reader.corrupt("code lengths violate the Kraft inequality")
    symbols: list[int] = []
    lengths: list[int] = []
    for length, group in enumerate(per_length, 1):
        previous = -1
        for _ in range(group):
            previous = reader.varint(MAX_SYMBOL) if previous < 0 else previous + 1 + reader.varint(MAX_SYMBOL)
            if previous > MAX_SYMBOL:
                raise reader.corrupt(f"symbol {previous} exceeds {MAX_SYMBOL}")
            symbols.append(previous)
            lengths.append(length)
    if not symbols or len(set(symbols)) != len(symbols):
        raise reader.corrupt("empty or repeated code table")
    stream = reader.rest()
    if count > 8 * len(stream):
        raise reader.corrupt(f"{count} symbols cannot fit in {len(stream)} bytes")
    codes = _canonical(lengths)
    index = _CodeIndex(stream, codes, lengths)
    positions, end = index.walk(count, reader)
    if (end + 7) // 8 != len(stream) or (end % 8 and stream[-1] & ((1 << (8 - end % 8)) - 1)):
        raise reader.corrupt("bit stream length or padding does not match its symbols")
    return np.array(symbols, dtype=np.int64)[index.lookup(positions)]


def _check_symbol(symbol: object) -> None:
    """Fail unless `symbol` is an int in 0..MAX_SYMBOL."""
    if not isinstance(symbol, Integral) or isinstance(symbol, bool) or not 0 <= symbol <= MAX_SYMBOL:
        raise ValueError(f"symbols must be integers in 0..{MAX_SYMBOL}, got {symbol!r}")


def _lengths(counts: list[int]) -> list[int]:
    """Huffman code lengths for positive counts listed in symbol order (a tie goes to the earlier).

    Two-queue construction: leaves sorted by (count, symbol order) in one queue, merged nodes in
    a second queue that fills in non-decreasing weight order; each step merges the two lightest
    fronts, a leaf before a merged node of equal weight.
    """
    size = len(counts)
    if size <= 1:
        return [1] * size
    leaves = sorted(range(size), key=lambda i: (counts[i], i))
    leaf_weight = [counts[i] for i in leaves]
    merged_weight: list[int] = []
    parent = [0] * (2 * size - 1)  # nodes: leaves 0..size-1 in `leaves` order, then merges
    next_leaf = next_merged = 0

    def lightest() -> tuple[int, int]:
        nonlocal next_leaf, next_merged
        if next_leaf < size and (next_merged >= len(merged_weight)
                                 or leaf_weight[next_leaf] <= merged_weight[next_merged]):
            next_leaf += 1
            return next_leaf - 1, leaf_weight[next_leaf - 1]
        next_merged += 1
        return size + next_merged - 1, merged_weight[next_merged - 1]

    for _ in range(size - 1):
        (a, weight_a), (b, weight_b) = lightest(), lightest()
        parent[a] = parent[b] = size + len(merged_weight)
        merged_weight.append(weight_a + weight_b)
    depth = [0] * (2 * size - 1)
    for node in range(2 * size - 3, -1, -1):  # a parent is numbered after its children
        depth[node] = depth[parent[node]] + 1
    lengths = [0] * size
    for node, symbol in enumerate(leaves):
        lengths[symbol] = depth[node]
    return lengths


def _canonical(lengths: list[int]) -> list[int]:
    """Canonical codes for lengths already in (length, symbol) order; checks the Kraft inequality."""
    codes: list[int] = []
    code = 0
    previous = lengths[0] if lengths else 0
    for length in lengths:
        code <<= length - previous
        if code >= 1 << length:
            raise ValueError("code lengths violate the Kraft inequality (sum of 2**-length > 1)")
        codes.append(code)
        code += 1
        previous = length
    return codes


def _bit_stream(lengths: np.ndarray, codes: np.ndarray) -> bytes:
    """The codes of every symbol in turn, most significant bit first, zero-padded to a byte."""
    ends = np.cumsum(lengths)
    starts = ends - lengths
    bits = np.zeros(int(ends[-1]), dtype=np.uint8)
    for length in np.unique(lengths).tolist():
        chosen = lengths == length
        where, code = starts[chosen], codes[chosen]
        for bit in range(length):
            bits[where + bit] = (code >> np.uint64(length - 1 - bit)) & np.uint64(1)
    return np.packbits(bits).tobytes()


class _CodeIndex:
    """Which code starts at a bit position of a stream, for canonical codes in canonical order."""

    def __init__(self, stream: bytes, codes: list[int], lengths: list[int]) -> None:
        self.size = 8 * len(stream)
        self.longest = max(lengths)
        padded = np.concatenate((np.frombuffer(stream, dtype=np.uint8), np.zeros(8, dtype=np.uint8)))
        words = np.zeros(len(stream), dtype=np.uint64)  # bytes i..i+7 as a big-endian word
        for k in range(8):
            words |= padded[k : k + len(stream)].astype(np.uint64) << np.uint64(56 - 8 * k)
        self.words = words
        shifts = [self.longest - n for n in lengths]
        # canonical codes, left-justified to the longest length, tile [0, covered) in order
        self.starts = np.array([c << s for c, s in zip(codes, shifts)], dtype=np.uint64)
        self.covered = sum(1 << s for s in shifts)
        self.lengths = np.array(lengths + [0], dtype=np.int64)  # entry -1: no code
        self.table = None
        if self.longest <= _TABLE_BITS:
            table = np.full(1 << self.longest, -1, dtype=np.int64)
            table[: self.covered] = np.repeat(np.arange(len(codes)), [1 << s for s in shifts])
            self.table = table

    def lookup(self, positions: np.ndarray) -> np.ndarray:
        """Index (canonical order) of the code starting at each bit position; -1 where none does."""
        p = positions.astype(np.uint64)
        window = (self.words[p >> np.uint64(3)] << (p & np.uint64(7))) >> np.uint64(64 - self.longest)
        if self.table is not None:
            return self.table[window]
        found = np.searchsorted(self.starts, window, side="right") - 1
        return np.where(window < self.covered, found, -1)

    def walk(self, count: int, reader: Reader) -> tuple[np.ndarray, int]:
        """Start positions of the first `count` codes, and the bit where the last one ends."""
        positions: list[int] = []
        append = positions.append
        here = 0
        for first in range(0, self.size, _CHUNK):
            last = min(first + _CHUNK, self.size)
            if here >= last:
                continue
            steps = self.lengths[self.lookup(np.arange(first, last))].tolist()
            while here < last and len(positions) < count:
                step = steps[here - first]
                if step == 0:
                    raise reader.corrupt(f"no code starts at bit {here}")
                append(here)
                here += step
            if len(positions) == count:
                break
        if len(positions) < count or here > self.size:
            raise reader.corrupt(f"bit stream ends before its {count} symbols")
        return np.array(positions, dtype=np.int64), here

