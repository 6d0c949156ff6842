"""One pruned, weight-shared layer as bytes (Deep Compression's sparse format) and back.

The kept weights (mask True) are taken in flat row-major order and clustered by
share_weights. The codebook is then compacted: only the centroids some kept weight uses are
stored, ascending, and the cluster indices renumbered to match (with 2**bits centroids and
fewer kept weights, or equal weights, most centroids would otherwise be stored for nothing;
the shared-weight values are the same either way).

Positions are stored as gaps: each entry's gap is its flat position minus the previous
entry's (the first counts from -1), an integer in 1..2**index_bits - 1 (Deep Compression: 8
index bits for conv layers, 5 for fully connected ones). A longer gap is bridged by filler
entries, each at the largest gap, 2**index_bits - 1. A filler is an explicit zero weight: its
cluster index is one past the stored codebook's end (code c for a codebook of c entries),
reserved for zero, so no centroid is spent or added on it, and a layer without fillers never
codes it. (The paper's Figure 2 bridges a gap of 8 with 3 bits, so it stores gap - 1; here the
gap is stored as is, as this project defines index_bits.)

Bytes of encode_layer (varints are unsigned LEB128):

    varint  format version (1)
    varint  ndim, then each dimension
    varint  bits, index_bits
    varint  w, the bytes of a codebook value: 2 (float16) or 4 (float32)
    varint  c, then c little-endian floats of w bytes: the compacted codebook
    varint  byte length, then huffman_encode(cluster index of each entry, fillers coded c)
    varint  byte length, then huffman_encode(gap of each entry)

The codebook is stored as float16 when every shared weight fits float16's range: half the
bytes, and a rounding (relative 2**-11) far below the spacing of 2**bits shared weights; the
shared weights are the rounded values, so what decodes is what quantised() gives. A codebook
with a value beyond float16's range stays float32.

Decoding puts codebook[index] at each real entry's position and +0.0 everywhere else, so it
gives back quantised(weights, mask, bits=bits) bit for bit (the codebook never holds -0.0).
"""

from __future__ import annotations

import math

import numpy as np

from dse.core.compression_codec._checks import check_int, check_real_array
from dse.core.compression_codec._huffman import huffman_decode, huffman_encode
from dse.core.compression_codec._kmeans import MAX_BITS, share_weights
from dse.core.compression_codec._varint import Reader, varint

__all__ = ["MAX_INDEX_BITS", "Sharing", "decode_layer", "encode_layer", "quantised"]

# A layer's weight sharing worked out by the caller (share_weights, then fine-tuned centroids):
# (codebook of at most 2**bits values, the codebook index of each kept weight in flat order).
Sharing = tuple[np.ndarray, np.ndarray]

MAX_INDEX_BITS = 16
HALF_MAX = float(np.finfo(np.float16).max)  # a codebook within +-65504 is stored as float16
_VERSION = 1
_MAX_NDIM = 32


def quantised(weights: np.ndarray, mask: np.ndarray, *, bits: int, iterations: int = 30,
              sharing: Sharing | None = None) -> np.ndarray:
    """The layer a decoder reproduces: shared weights where the mask keeps one, 0.0 elsewhere.

    Args:
        weights: the layer's weights, any shape, finite real numbers within float32 range.
        mask: a bool array of the weights' shape; True keeps the weight.
        bits: 1..16; at most 2**bits distinct shared weights.
        iterations: the most Lloyd iterations of the k-means, >= 0.
        sharing: the (codebook, indices) to use instead of running k-means here.

    Returns:
        A float32 array of the weights' shape, equal bit for bit to decode_layer(encode_layer(
        weights, mask, bits=bits, index_bits=any, iterations=iterations, sharing=sharing)).

    Raises:
        ValueError: bad bits or iterations, weights not finite real numbers, a mask that is not
            boolean or not of the weights' shape.
    """
    shape, positions, codebook, indices = _share(weights, mask, bits, iterations, sharing)
    out = np.zeros(math.prod(shape), dtype=np.float32)
    out[positions] = codebook[indices].astype(np.float32)
    return out.reshape(shape)


def encode_layer(weights: np.ndarray, mask: np.ndarray, *, bits: int, index_bits: int,
                 iterations: int = 30, sharing: Sharing | None = None) -> bytes:
    """Prune, share and Huffman-code one layer into the bytes this module's docstring describes.

    Args:
        weights: the layer's weights, any shape, finite real numbers within float32 range.
        mask: a bool array of the weights' shape; True keeps the weight.
        bits: 1..16; at most 2**bits distinct shared weights.
        index_bits: 1..16; gaps between stored positions are at most 2**index_bits - 1.
        iterations: the most Lloyd iterations of the k-means, >= 0.
        sharing: the (codebook, indices) of the kept weights to store instead of running
            k-means here (the weights' values at kept positions are then not read).

    Returns:
        The layer's bytes; their len() is its compressed size.

    Raises:
        ValueError: bad bits, index_bits or iterations, weights not finite real numbers, a mask
            that is not boolean or not of the weights' shape, or a sharing that does not fit
            the bits or the kept weights.
    """
    index_bits = check_int("index_bits", index_bits, 1, MAX_INDEX_BITS)
    shape, positions, codebook, indices = _share(weights, mask, bits, iterations, sharing)
    widest = 2**index_bits - 1
    gaps = np.diff(positions, prepend=-1)
    fillers = (gaps - 1) // widest  # each filler bridges `widest` positions
    real = np.cumsum(fillers + 1) - 1  # where each kept weight lands among the entries
    entry_gaps = np.full(real[-1] + 1 if real.size else 0, widest, dtype=np.int64)
    entry_gaps[real] = gaps - fillers * widest
    entry_codes = np.full(entry_gaps.size, codebook.size, dtype=np.int64)  # fillers: code c, zero
    entry_codes[real] = indices
    codes_blob, gaps_blob = huffman_encode(entry_codes), huffman_encode(entry_gaps)
    out = bytearray(varint(_VERSION) + varint(len(shape)))
    for dim in shape:
        out += varint(dim)
    width = 2 if codebook.dtype == np.float16 else 4
    out += varint(int(bits)) + varint(index_bits) + varint(width) + varint(codebook.size)
    out += codebook.astype("<f2" if width == 2 else "<f4").tobytes()
    out += varint(len(codes_blob)) + codes_blob + varint(len(gaps_blob)) + gaps_blob
    return bytes(out)


def decode_layer(data: bytes) -> np.ndarray:
    """The dense float32 layer that encode_layer wrote into `data`.

    Args:
        data: bytes from encode_layer, nothing before or after them.

    Returns:
        A float32 array: codebook values at the kept positions, +0.0 elsewhere.

    Raises:
        ValueError: the bytes are not a well-formed layer.
    """
    reader = Reader(data, "layer data")
    version = reader.varint()
    if version != _VERSION:
        raise reader.corrupt(f"format version {version}, this code reads {_VERSION}")
    ndim = reader.varint(_MAX_NDIM)
    shape = tuple(reader.varint(2**40) for _ in range(ndim))
    size = math.prod(shape)
    if size > 2**40:
        raise reader.corrupt(f"shape {shape} holds more than 2**40 weights")
    bits = reader.varint(MAX_BITS)
    index_bits = reader.varint(MAX_INDEX_BITS)
    if not (1 <= bits and 1 <= index_bits):
        raise reader.corrupt(f"bits {bits}, index_bits {index_bits}; both must be >= 1")
    width = reader.varint(4)
    if width not in (2, 4):
        raise reader.corrupt(f"codebook values of {width} bytes; 2 or 4 are allowed")
    codebook = reader.floats(reader.varint(2**bits), width)
    codes = huffman_decode(reader.take(reader.varint()))
    gaps = huffman_decode(reader.take(reader.varint()))
    reader.expect_end()
    if codes.size != gaps.size:
        raise reader.corrupt(f"{codes.size} cluster indices but {gaps.size} gaps")
    if gaps.size and (gaps.min() < 1 or gaps.max() > 2**index_bits - 1):
        raise reader.corrupt(f"gaps must be in 1..{2**index_bits - 1}")
    if codes.size and codes.max() > codebook.size:
        raise reader.corrupt(f"cluster index {codes.max()} beyond the codebook's {codebook.size} + filler")
    positions = np.cumsum(gaps) - 1
    if positions.size and positions[-1] >= size:
        raise reader.corrupt(f"position {positions[-1]} beyond the layer's {size} weights")
    out = np.zeros(size, dtype=np.float32)
    real = codes < codebook.size
    out[positions[real]] = codebook[codes[real]]
    return out.reshape(shape)


def _share(weights: np.ndarray, mask: np.ndarray, bits: int, iterations: int,
           sharing: Sharing | None = None
           ) -> tuple[tuple[int, ...], np.ndarray, np.ndarray, np.ndarray]:
    """(shape, kept flat positions, compacted codebook as it is stored (float16 or float32),
    int64 index of each kept weight)."""
    bits = check_int("bits", bits, 1, MAX_BITS)
    iterations = check_int("iterations", iterations, 0)
    array = check_real_array("weights", weights)
    keep = np.asarray(mask)
    if keep.dtype != np.bool_:
        raise ValueError(f"mask must be a boolean array, got dtype {keep.dtype}")
    if keep.shape != array.shape:
        raise ValueError(f"mask shape {keep.shape} must equal the weights' shape {array.shape}")
    positions = np.flatnonzero(keep)
    if sharing is not None:
        codebook, indices = _given(sharing, bits, positions.size)
    elif positions.size == 0:
        return array.shape, positions, np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
    else:
        codebook, indices = share_weights(array.reshape(-1)[positions], bits, iterations)
    used = np.unique(indices)
    values = codebook[used].astype(np.float32) + np.float32(0.0)  # + 0.0: no -0.0 is stored
    if np.all(np.abs(values) <= HALF_MAX):
        values = values.astype(np.float16) + np.float16(0.0)
    order = np.argsort(values, kind="stable")  # ascending, as k-means leaves them
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    return array.shape, positions, values[order], rank[np.searchsorted(used, indices)].astype(np.int64)


def _given(sharing: Sharing, bits: int, kept: int) -> tuple[np.ndarray, np.ndarray]:
    """A caller's (codebook, indices), checked against the bits and the kept weights."""
    if not isinstance(sharing, tuple) or len(sharing) != 2:
        raise ValueError("sharing must be a (codebook, indices) tuple")
    codebook = check_real_array("sharing codebook", sharing[0])
    indices = np.asarray(sharing[1])
    if codebook.ndim != 1 or codebook.size > 2**bits:
        raise ValueError(f"sharing codebook must be 1-D with at most 2**bits = {2**bits} entries, "
                         f"got shape {codebook.shape}")
    if indices.shape != (kept,) or not np.issubdtype(indices.dtype, np.integer):
        raise ValueError(f"sharing indices must be {kept} integers, one per kept weight, got "
                         f"shape {indices.shape} of {indices.dtype}")
    if kept and (indices.min() < 0 or indices.max() >= codebook.size):
        raise ValueError(f"sharing indices must be in 0..{codebook.size - 1}")
    return codebook.astype(np.float32), indices.astype(np.int64)
