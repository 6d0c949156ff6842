"""The project's canonical Huffman coder against bitarray's, on a trained network's real streams.

    .venv/bin/python benchmarks/huffman_bench.py [--seed 0] [--repeats 7] [--threads 2]
        [key=value ...]

Needs `pip install bitarray` (not a dependency of the project). Trains the digits default
network (arch=cpu_proxy, train=cpu_proxy), compresses it with the first compress.settings
entry (the paper's 8-bit, 33 % kept: global pruning, fine-tune, k-means, fine-tune of the
shared weights) through dse.training.compression_stage, and reads the real symbol streams back
out of the encoded bytes: for each convolution, its cluster indices and its position gaps, plus
all layers' indices and all layers' gaps joined (the largest real streams).

Each stream is coded three ways:
- project: dse.core.compression_codec.huffman_encode / huffman_decode (numpy);
- bitarray: bitarray.util.canonical_huffman, bitarray.encode, canonical_decode (C). Its code
  table is stored as the project stores one (symbol count, longest length, symbols per length
  as varints) but with the symbols in bitarray's canonical order, which within a length is not
  ascending, so each is a whole varint rather than a gap;
- hybrid: the project's code lengths, canonical codes and table, so the very bytes of
  huffman_encode (checked), with bitarray packing the bits and canonical_decode reading them.

Printed per stream: symbols, distinct symbols, bytes of each (table included), and the median
encode and decode time of --repeats runs of each (ms); the compress stage's time, for scale.
Every decode is checked equal to the stream.
About a minute on 2 quiet cores (most of it training).
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np
from bitarray import bitarray
from bitarray.util import canonical_decode, canonical_huffman

from dse.cli import compose, to_plain
from dse.core.compression_codec import (
    canonical_codes,
    huffman_decode,
    huffman_encode,
    huffman_lengths,
    network_header,
)
from dse.core.config import run_config
from dse.core.expand import expand
from dse.training.compression_stage import compress_network
from dse.training.data import build_data
from dse.training.train import fit


def leb128(value: int) -> bytes:
    """Unsigned LEB128, as the project's varints."""
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def read_leb128(data: bytes, at: int) -> tuple[int, int]:
    """(value, next offset) of the varint at `at`."""
    value = shift = 0
    while True:
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, at


def layer_blobs(layer: bytes) -> tuple[bytes, bytes]:
    """The Huffman-coded cluster indices and gaps of one encode_layer blob (see _sparse's format)."""
    at = read_leb128(layer, 0)[1]  # format version
    ndim, at = read_leb128(layer, at)
    for _ in range(ndim + 2):  # the dimensions, bits, index_bits
        at = read_leb128(layer, at)[1]
    width, at = read_leb128(layer, at)
    entries, at = read_leb128(layer, at)
    at += entries * width
    blobs = []
    for _ in range(2):
        size, at = read_leb128(layer, at)
        blobs.append(layer[at : at + size])
        at += size
    return blobs[0], blobs[1]


def real_streams(args: argparse.Namespace) -> dict[str, np.ndarray]:
    """Train, compress with the first setting, and read each layer's index and gap streams back."""
    cfg = run_config(to_plain(compose("config", ["compress.enabled=true", *args.overrides])))
    spec = cfg.arch_for({"sr": 0.5, "pct3x3": 0.5})
    train = replace(cfg.train, threads=args.threads, progress=False)
    data = build_data(cfg.dataset, input_size=spec.input_size)
    trained = fit(spec, data, train, seed=args.seed)
    assert trained.weights is not None
    compress = replace(cfg.compress, settings=cfg.compress.settings[:1])
    start = time.perf_counter()
    encoded = compress_network(trained.weights, expand(spec), data, compress, train, seed=args.seed)[0]
    compress_s = time.perf_counter() - start
    header = network_header(encoded.data)
    at = 8 + int.from_bytes(encoded.data[4:8], "little")
    streams: dict[str, np.ndarray] = {}
    for entry in header["tensors"]:
        blob, at = encoded.data[at : at + entry["nbytes"]], at + entry["nbytes"]
        if entry["kind"] == "sparse":
            name = entry["name"].removesuffix(".weight")
            indices, gaps = layer_blobs(blob)
            streams[f"{name} idx"], streams[f"{name} gap"] = huffman_decode(indices), huffman_decode(gaps)
    print(f"{cfg.dataset.name}: test top-1 {100 * trained.test_top1:.2f}% trained, "
          f"{100 * encoded.test_top1:.2f}% compressed ({encoded.setting.name}, "
          f"{len(encoded.data):,} bytes) in {compress_s:.2f} s (prune, fine-tunes, k-means, code, "
          f"decode, evaluate)", flush=True)
    streams["all layers idx"] = np.concatenate([s for n, s in streams.items() if n.endswith("idx")])
    streams["all layers gap"] = np.concatenate([s for n, s in streams.items() if n.endswith("gap")])
    return streams


def bitarray_encode(symbols: np.ndarray) -> bytes:
    """The symbols coded with bitarray's canonical Huffman code, its table in front."""
    values, counts = np.unique(symbols, return_counts=True)
    code, per_length, order = canonical_huffman(dict(zip(values.tolist(), counts.tolist())))
    out = bytearray(leb128(symbols.size) + leb128(len(per_length) - 1))
    for count in per_length[1:]:
        out += leb128(count)
    for symbol in order:
        out += leb128(symbol)
    bits = bitarray(endian="big")
    bits.encode(code, symbols.tolist())
    return bytes(out) + bits.tobytes()


def _read_counts(data: bytes) -> tuple[int, list[int], int]:
    """(symbol count, codes per length from length 0, offset of the symbol table) of `data`."""
    count, at = read_leb128(data, 0)
    longest, at = read_leb128(data, at)
    per_length = [0]
    for _ in range(longest):
        value, at = read_leb128(data, at)
        per_length.append(value)
    return count, per_length, at


def _decode_bits(data: bytes, at: int, count: int, per_length: list[int], order: list[int]
                 ) -> np.ndarray:
    """The first `count` symbols of the bits from `at` on, with bitarray's canonical decoder."""
    bits = bitarray(endian="big")
    bits.frombytes(data[at:])
    # the zero padding of the last byte may decode as more symbols: stop after `count`
    decoded = itertools.islice(canonical_decode(bits, per_length, order), count)
    return np.fromiter(decoded, dtype=np.int64, count=count)


def bitarray_decode(data: bytes) -> np.ndarray:
    """The symbols bitarray_encode coded into `data`."""
    count, per_length, at = _read_counts(data)
    order = []
    for _ in range(sum(per_length)):
        value, at = read_leb128(data, at)
        order.append(value)
    return _decode_bits(data, at, count, per_length, order)


def hybrid_encode(symbols: np.ndarray) -> bytes:
    """The project's bytes (its lengths, canonical codes and table), the bits packed by bitarray."""
    values, counts = np.unique(symbols, return_counts=True)
    lengths = huffman_lengths(dict(zip(values.tolist(), counts.tolist())))
    codes = canonical_codes(lengths)
    order = sorted(lengths, key=lambda s: (lengths[s], s))
    longest = lengths[order[-1]]
    per_length = [0] * (longest + 1)
    for symbol in order:
        per_length[lengths[symbol]] += 1
    out = bytearray(leb128(symbols.size) + leb128(longest))
    for count in per_length[1:]:
        out += leb128(count)
    previous = {}
    for symbol in order:
        before = previous.get(lengths[symbol])
        out += leb128(symbol if before is None else symbol - before - 1)
        previous[lengths[symbol]] = symbol
    code = {s: bitarray(format(codes[s], f"0{lengths[s]}b"), endian="big") for s in order}
    bits = bitarray(endian="big")
    bits.encode(code, symbols.tolist())
    return bytes(out) + bits.tobytes()


def hybrid_decode(data: bytes) -> np.ndarray:
    """The symbols hybrid_encode (or huffman_encode) coded into `data`."""
    count, per_length, at = _read_counts(data)
    order = []
    for length in range(1, len(per_length)):
        previous = -1
        for _ in range(per_length[length]):
            value, at = read_leb128(data, at)
            previous = value if previous < 0 else previous + 1 + value
            order.append(previous)
    return _decode_bits(data, at, count, per_length, order)


def median_s(action: Callable[[Any], object], argument: Any, repeats: int) -> float:
    """Median wall time of `repeats` runs of action(argument) (after one warm-up run)."""
    action(argument)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        action(argument)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    """Get the real streams, code each both ways, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("overrides", nargs="*", help="config overrides, as for dse.run")
    args = parser.parse_args()
    streams = real_streams(args)
    coders = {"project": (huffman_encode, huffman_decode), "bitarray": (bitarray_encode, bitarray_decode),
              "hybrid": (hybrid_encode, hybrid_decode)}
    names = " ".join(f"{c[:7]:>7}" for c in coders)
    width = len(names)
    print(f"\n{'stream':<26} {'symbols':>8} {'distinct':>8} | {'bytes':>{width}} | "
          f"{'encode ms':>{width}} | {'decode ms':>{width}}")
    print(f"{'':<26} {'':>8} {'':>8} | {names} | {names} | {names}")
    totals = np.zeros((3, len(coders)))
    for name, symbols in streams.items():
        row = np.zeros((3, len(coders)))
        for k, (coder, (encode, decode)) in enumerate(coders.items()):
            blob = encode(symbols)
            assert np.array_equal(decode(blob), symbols), f"{coder} does not round-trip {name}"
            row[:, k] = (len(blob), 1e3 * median_s(encode, symbols, args.repeats),
                         1e3 * median_s(decode, blob, args.repeats))
        assert hybrid_encode(symbols) == huffman_encode(symbols), f"hybrid's bytes differ on {name}"
        if not name.startswith("all layers"):
            totals += row
        print(f"{name:<26} {symbols.size:>8,} {np.unique(symbols).size:>8} | {_cells(row)}")
    print(f"{'sum over the layer streams':<44} | {_cells(totals)}")


def _cells(row: np.ndarray) -> str:
    """Bytes, encode ms and decode ms of each coder, as table cells."""
    return " | ".join(" ".join(f"{x:>7,.0f}" if i == 0 else f"{x:>7.2f}" for x in row[i]) for i in range(3))

if __name__ == "__main__":
    main()
