"""Weights files: safetensors bytes that carry their network, rebuilt only into that network."""

from __future__ import annotations

import json
import struct

import pytest
import torch

from dse.core.expand import expand
from dse.core.presets import preset
from dse.core.records import arch_record
from dse.core.spec import ArchSpec
from dse.training.model import build_model, copy_state
from dse.training.weights import decode_weights, encode_weights, rebuild, weights_metadata

torch.set_num_threads(1)


def _arch(**changes: object) -> ArchSpec:
    """The cpu_proxy network on 1-channel 16x16 images with 10 classes."""
    return ArchSpec.from_dict({**preset("cpu_proxy").to_dict(), "num_classes": 10, "in_channels": 1,
                               "input_size": 16, **changes})


def test_a_copy_of_a_stacked_model_round_trips_bit_for_bit_and_rebuilds_the_same_network() -> None:
    spec = _arch(bypass="complex")
    stacked = build_model(expand(spec), seeds=[3, 4, 5])
    state = copy_state(stacked, 1)
    data = encode_weights(state, arch_record(spec), seed=4, study="s")
    decoded, meta = decode_weights(data)
    assert decoded.keys() == state.keys()
    assert all(torch.equal(decoded[k], state[k]) for k in state)
    assert meta["seed"] == 4 and meta["arch"]["fingerprint"] == arch_record(spec).fingerprint
    model, _ = rebuild(data)
    assert not model.training
    x = torch.randn(4, 1, 16, 16)
    alone = build_model(expand(spec))
    alone.load_state_dict(state)
    with torch.inference_mode():
        assert torch.equal(model(x), alone.eval()(x))


def test_the_header_alone_gives_the_metadata() -> None:
    spec = _arch()
    data = encode_weights(build_model(expand(spec)).state_dict(), arch_record(spec), trial=7)
    (length,) = struct.unpack("<Q", data[:8])
    assert weights_metadata(data[: 8 + length])["trial"] == 7


def test_a_file_whose_network_does_not_match_its_fingerprint_is_refused() -> None:
    spec = _arch()
    record = arch_record(spec)
    data = encode_weights(build_model(expand(spec)).state_dict(), record)
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + length])
    meta = json.loads(header["__metadata__"]["dse"])
    meta["arch"]["arch"]["sr"] = 0.5  # another network under the same fingerprint
    header["__metadata__"]["dse"] = json.dumps(meta)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    tampered = struct.pack("<Q", len(text)) + text + data[8 + length :]
    with pytest.raises(ValueError, match=f"not its stored fingerprint {record.fingerprint}"):
        rebuild(tampered)


@pytest.mark.parametrize("data", [b"", b"not a safetensors file at all", struct.pack("<Q", 2) + b"{}"])
def test_bytes_that_are_not_a_dse_weights_file_are_refused(data: bytes) -> None:
    with pytest.raises(ValueError, match="not a dse weights file"):
        rebuild(data)
