"""A whole network's compressed bytes: sparse layers and dense tensors behind a JSON header.

Layers (convolution weights) are pruned, shared and Huffman-coded by encode_layer. Dense
tensors (biases, batch-norm weights, biases and running statistics) are stored as raw
little-endian float32: in a SqueezeNet they are a fraction of a percent of the parameters, so
compressing them would save next to nothing. Integer buffers such as batch norm's
num_batches_tracked are not weights and are refused; leave them out.

Bytes of encode_network:

    b"DSEC"                     magic
    uint32 little-endian        byte length of the header
    header                      zlib-compressed UTF-8 JSON (the tensor names repeat their
                                prefixes; compressed, a header costs a few hundred bytes):
                                {"format": "dse.compress", "version": 1, "meta": {...},
                                "tensors": [{"name", "kind": "sparse" | "dense", "shape",
                                "nbytes", and for sparse ones "bits", "index_bits"}, ...]}
    payload                     each tensor's bytes in header order, `nbytes` each

A network's compressed size is len() of these bytes, header included; network_header gives
each tensor's share.
"""

from __future__ import annotations

import json
import math
import struct
import zlib
from typing import Any

import numpy as np

from dse.core.compression_codec._checks import check_int, check_real_array
from dse.core.compression_codec._kmeans import MAX_BITS
from dse.core.compression_codec._sparse import MAX_INDEX_BITS, Sharing, decode_layer, encode_layer

__all__ = ["decode_network", "encode_network", "network_header"]

MAGIC = b"DSEC"
_FORMAT = "dse.compress"
_VERSION = 1


def encode_network(layers: dict[str, tuple[np.ndarray, np.ndarray]], dense: dict[str, np.ndarray], *,
                   bits: dict[str, int] | int, index_bits: dict[str, int] | int,
                   iterations: int = 30, sharing: dict[str, Sharing] | None = None,
                   meta: dict[str, Any] | None = None) -> bytes:
    """A network's compressed bytes.

    Args:
        layers: name -> (weights, bool mask of the same shape): the pruned, shared layers.
        dense: name -> floating-point array stored as raw float32 (biases, batch norm).
        bits: 1..16, for every layer or per layer name (every layer needs an entry).
        index_bits: 1..16, for every layer or per layer name (every layer needs an entry).
        iterations: the most Lloyd iterations of each layer's k-means, >= 0.
        sharing: layer name -> (codebook, indices) worked out by the caller (say, fine-tuned
            centroids); layers it leaves out run k-means here.
        meta: JSON-ready facts a decoder needs beside the tensors (say, how batch norm was
            folded); kept in the header under "meta".

    Returns:
        The bytes this module's docstring describes; tensors keep the order of `layers`, then
        `dense`.

    Raises:
        ValueError: a name in both dicts or not a non-empty string, a settings dict that misses
            or adds a layer, a setting out of range, a dense tensor that is not floating point,
            or a layer rejected by encode_layer (the message names the layer).
    """
    iterations = check_int("iterations", iterations, 0)
    for name in [*layers, *dense]:
        if not isinstance(name, str) or not name:
            raise ValueError(f"tensor names must be non-empty strings, got {name!r}")
    both = [name for name in layers if name in dense]
    if both:
        raise ValueError(f"names must be in layers or dense, not both: {both}")
    layer_bits = _per_layer("bits", bits, layers, MAX_BITS)
    layer_index_bits = _per_layer("index_bits", index_bits, layers, MAX_INDEX_BITS)
    stray = [name for name in sharing or {} if name not in layers]
    if stray:
        raise ValueError(f"sharing has an entry for {stray[0]!r}, which is not a layer")
    entries: list[dict[str, Any]] = []
    blobs: list[bytes] = []
    for name, pair in layers.items():
        if not isinstance(pair, tuple) or len(pair) != 2:
            raise ValueError(f"layers[{name!r}] must be a (weights, mask) tuple")
        weights, mask = pair
        try:
            blob = encode_layer(weights, mask, bits=layer_bits[name], index_bits=layer_index_bits[name],
                                iterations=iterations, sharing=(sharing or {}).get(name))
        except ValueError as error:
            raise ValueError(f"layers[{name!r}]: {error}") from None
        entries.append({"name": name, "kind": "sparse", "shape": list(np.shape(weights)),
                        "bits": layer_bits[name], "index_bits": layer_index_bits[name], "nbytes": len(blob)})
        blobs.append(blob)
    for name, value in dense.items():
        array = check_real_array(f"dense[{name!r}]", value)
        if not np.issubdtype(array.dtype, np.floating):
            raise ValueError(f"dense[{name!r}] must be a floating-point array, got {array.dtype}")
        blob = np.ascontiguousarray(array, dtype="<f4").tobytes()
        entries.append({"name": name, "kind": "dense", "shape": list(array.shape), "nbytes": len(blob)})
        blobs.append(blob)
    header = zlib.compress(json.dumps({"format": _FORMAT, "version": _VERSION, "meta": meta or {},
                                       "tensors": entries}, separators=(",", ":")).encode(), 9)
    return MAGIC + struct.pack("<I", len(header)) + header + b"".join(blobs)


def network_header(data: bytes) -> dict[str, Any]:
    """The JSON header of encode_network's bytes: format, version, meta, each tensor's entry.

    Raises:
        ValueError: the bytes do not start with a well-formed header.
    """
    return _header(data)[0]


def decode_network(data: bytes) -> dict[str, np.ndarray]:
    """The tensors encode_network stored: decoded layers and dense tensors, as float32 arrays.

    Args:
        data: bytes from encode_network, nothing before or after them.

    Returns:
        name -> float32 array, in the header's order; a layer comes back as its quantised
        version (shared weights where kept, 0.0 elsewhere).

    Raises:
        ValueError: the bytes are not a well-formed network.
    """
    header, start = _header(data)
    out: dict[str, np.ndarray] = {}
    for entry in header["tensors"]:
        name, shape, end = entry["name"], tuple(entry["shape"]), start + entry["nbytes"]
        if end > len(data):
            raise _corrupt(f"tensor {name!r} runs past the end of the data")
        blob = data[start:end]
        start = end
        if entry["kind"] == "dense":
            if len(blob) != 4 * math.prod(shape):
                raise _corrupt(f"dense tensor {name!r} has {len(blob)} bytes for shape {shape}")
            out[name] = np.frombuffer(blob, dtype="<f4").astype(np.float32).reshape(shape)
        else:
            layer = decode_layer(blob)
            if layer.shape != shape:
                raise _corrupt(f"layer {name!r} decodes to shape {layer.shape}, header says {shape}")
            out[name] = layer
    if start != len(data):
        raise _corrupt(f"{len(data) - start} unexpected trailing bytes")
    return out


def _per_layer(key: str, value: dict[str, int] | int, layers: dict[str, Any], hi: int) -> dict[str, int]:
    """A setting given for all layers or per layer, checked, as a dict with one entry per layer."""
    if not isinstance(value, dict):
        number = check_int(key, value, 1, hi)
        return {name: number for name in layers}
    missing = [name for name in layers if name not in value]
    if missing:
        raise ValueError(f"{key} has no entry for layer {missing[0]!r}; give one per layer or one int")
    extra = [name for name in value if name not in layers]
    if extra:
        raise ValueError(f"{key} has an entry for {extra[0]!r}, which is not a layer")
    return {name: check_int(f"{key}[{name!r}]", value[name], 1, hi) for name in layers}


def _corrupt(why: str) -> ValueError:
    return ValueError(f"corrupt network data: {why}")


def _header(data: bytes) -> tuple[dict[str, Any], int]:
    """The checked header and where the payload starts."""
    if data[:4] != MAGIC or len(data) < 8:
        raise _corrupt("does not start with the DSEC magic")
    (length,) = struct.unpack("<I", data[4:8])
    if 8 + length > len(data):
        raise _corrupt(f"header of {length} bytes runs past the end of the data")
    try:
        header = json.loads(zlib.decompress(data[8 : 8 + length]).decode())
    except (zlib.error, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise _corrupt(f"header is not JSON ({error})") from None
    if not isinstance(header, dict) or header.get("format") != _FORMAT:
        raise _corrupt(f"header format is not {_FORMAT!r}")
    if header.get("version") != _VERSION:
        raise _corrupt(f"format version {header.get('version')!r}, this code reads {_VERSION}")
    tensors = header.get("tensors")
    if not isinstance(tensors, list) or not all(_entry_ok(entry) for entry in tensors):
        raise _corrupt("header's tensor list is malformed")
    if len({entry["name"] for entry in tensors}) != len(tensors):
        raise _corrupt("header names a tensor twice")
    return header, 8 + length


def _entry_ok(entry: object) -> bool:
    """Whether a header entry has a name, a known kind, a shape and a byte count."""
    def count(x: object) -> bool:
        return isinstance(x, int) and not isinstance(x, bool) and x >= 0

    return (isinstance(entry, dict) and isinstance(entry.get("name"), str)
            and entry.get("kind") in ("sparse", "dense") and count(entry.get("nbytes"))
            and isinstance(entry.get("shape"), list) and all(count(d) for d in entry["shape"]))
