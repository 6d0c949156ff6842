"""Trained weights as safetensors bytes that carry their network, and the network rebuilt from them.

Why safetensors and not a pickled torch state dict: loading one runs no code (a pickle can), any
framework reads it, and its header holds text metadata, so each file carries the network it
belongs to. The metadata `dse` key is the network's ArchRecord (flat metaparameters, widths,
fingerprint, accounting) as JSON; a rebuilt network must expand to the same fingerprint, so a
file is never loaded into another network, whatever the current config says.
"""

from __future__ import annotations

import json
import struct
from dataclasses import asdict
from typing import Any

import torch
from safetensors.torch import load, save

from dse.core.expand import expand, fingerprint
from dse.core.records import ArchRecord
from dse.core.spec import ArchSpec
from dse.training.model import SqueezeNet, build_model

__all__ = ["WEIGHTS_FILENAME", "WEIGHTS_MIMETYPE", "decode_weights", "encode_weights", "rebuild",
           "weights_metadata"]

WEIGHTS_FILENAME = "weights.safetensors"
WEIGHTS_MIMETYPE = "application/octet-stream"
_KEY = "dse"


def encode_weights(state: dict[str, torch.Tensor], arch: ArchRecord, **extra: Any) -> bytes:
    """The safetensors bytes of a one-copy state dict, with the network and `extra` as metadata.

    Args:
        state: the state dict of a one-copy network (dse.training.model.copy_state gives one).
        arch: the network the weights belong to.
        extra: JSON-ready facts to keep beside it (study, trial, seed, dataset, metrics).

    Returns:
        The file's bytes.
    """
    meta = {"arch": asdict(arch), **extra}
    # cloned, contiguous: a module registered twice shares a tensor, and channels_last weights
    # are strided; safetensors refuses both
    tensors = {name: value.detach().cpu().clone(memory_format=torch.contiguous_format)
               for name, value in state.items()}
    return save(tensors, metadata={_KEY: json.dumps(meta, sort_keys=True)})


def weights_metadata(data: bytes) -> dict[str, Any]:
    """The metadata `encode_weights` wrote, read from the header alone.

    Raises:
        ValueError: the bytes are not a safetensors file written by dse.
    """
    try:
        (length,) = struct.unpack("<Q", data[:8])
        header = json.loads(data[8 : 8 + length])
        return json.loads(header["__metadata__"][_KEY])
    except (struct.error, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"not a dse weights file (safetensors with dse metadata): {exc}") from None


def decode_weights(data: bytes) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """The state dict and metadata of `encode_weights` bytes."""
    meta = weights_metadata(data)
    return load(data), meta


def rebuild(data: bytes) -> tuple[SqueezeNet, dict[str, Any]]:
    """The network a weights file describes, with its weights loaded, in eval mode.

    Built from the file's own network spec; its fingerprint must equal the stored one.

    Raises:
        ValueError: not a dse weights file, or the spec does not expand to its fingerprint.
    """
    state, meta = decode_weights(data)
    record = ArchRecord(**meta["arch"])
    net = expand(ArchSpec.from_dict(record.arch))
    if fingerprint(net) != record.fingerprint:
        raise ValueError(f"the weights file's network expands to {fingerprint(net)}, not its "
                         f"stored fingerprint {record.fingerprint}")
    model = build_model(net)
    model.load_state_dict(state, strict=True)
    return model.eval(), meta
