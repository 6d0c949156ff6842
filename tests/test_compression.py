"""The compression stage on a really trained digits network: what decodes is what was measured."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dse.core.compression_codec import (
    decode_layer,
    decode_network,
    encode_layer,
    network_header,
    prune_mask,
    quantised,
)
from dse.core.config import LAYER_KINDS, DigitsConfig, compress_config
from dse.core.expand import expand
from dse.core.presets import preset
from dse.core.records import arch_record
from dse.core.spec import ArchSpec
from dse.training.compression_stage import (
    compress_network,
    conv_layers,
    fold_batch_norm,
    layer_kind,
    load_decoded,
)
from dse.training.data import build_data
from dse.training.model import build_model
from dse.training.train import TrainConfig, evaluate, fit

SIZE = 8
CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def trained() -> tuple[ArchSpec, dict[str, torch.Tensor], object, TrainConfig, float]:
    """A cpu_proxy network trained by its preset recipe (20 epochs) on 8x8 digits: spec,
    weights, data, training config and its test top-1."""
    spec = ArchSpec.from_dict({**preset("cpu_proxy").to_dict(), "num_classes": 10,
                               "in_channels": 1, "input_size": SIZE})
    data = build_data(DigitsConfig(input_size=SIZE), input_size=SIZE)
    cfg = TrainConfig(epochs=20, lr=0.08, weight_decay=0.0002, threads=1, progress=False)
    result = fit(spec, data, cfg, seed=0)
    assert result.weights is not None and result.test_top1 is not None
    return spec, result.weights, data, cfg, result.test_top1


def test_the_decoded_network_is_what_the_record_measured(trained) -> None:  # type: ignore[no-untyped-def]
    spec, weights, data, train, _ = trained
    cfg = compress_config({"settings": [{"keep": 0.33, "bits": 6}], "share_fraction": 0.25})
    [done] = compress_network(weights, expand(spec), data, cfg, train, seed=0)
    header = network_header(done.data)
    assert header["meta"] == {"batch_norm": "folded"}
    tensors = decode_network(done.data)
    model = load_decoded(expand(spec), tensors, folded=True)
    assert evaluate(model, data.eval_batches("test"), CPU) == (done.test_top1, done.test_top5)
    assert evaluate(model, data.eval_batches("val"), CPU) == (done.val_top1, done.val_top5)
    layers = conv_layers(model)
    kept = sum(int((p != 0).sum()) for p in layers.values())
    total = sum(p.numel() for p in layers.values())
    assert kept / total == pytest.approx(done.kept_fraction, abs=1e-3)
    assert done.kept_fraction == pytest.approx(0.33, abs=1e-3)  # one global threshold
    for name, p in layers.items():
        assert len(torch.unique(p[p != 0])) <= 2**6, name  # shared weights
    # only biases are dense: one float per channel; every layer is sparse
    dense = [e for e in header["tensors"] if e["kind"] == "dense"]
    assert all(e["name"].endswith(".bias") for e in dense)
    assert {e["name"] for e in header["tensors"] if e["kind"] == "sparse"} == set(layers)
    assert arch_record(spec).size_bytes / len(done.data) > 7  # measured 8.5x


@pytest.mark.parametrize(("keep", "bits"), [(1.0, 8), (0.33, 8), (0.33, 6), (0.05, 2)])
def test_trained_layers_round_trip_bit_for_bit(trained, keep: float, bits: int) -> None:  # type: ignore[no-untyped-def]
    _, weights, _, _, _ = trained
    for name, value in weights.items():
        if value.ndim != 4:
            continue
        w = value.numpy()
        mask = prune_mask(w, keep)
        blob = encode_layer(w, mask, bits=bits, index_bits=8)
        decoded = decode_layer(blob)
        want = quantised(w, mask, bits=bits)
        assert decoded.dtype == want.dtype and decoded.tobytes() == want.tobytes(), name
        assert len(np.unique(decoded[mask])) <= 2**bits and not decoded[~mask].any()


def test_keeping_everything_at_16_bits_keeps_the_accuracy(trained) -> None:  # type: ignore[no-untyped-def]
    spec, weights, data, train, top1 = trained
    cfg = compress_config({"settings": [{"keep": 1.0, "bits": 16}], "prune_fraction": 0,
                           "share_fraction": 0})
    [done] = compress_network(weights, expand(spec), data, cfg, train, seed=0)
    assert done.kept_fraction == 1.0
    assert abs(done.test_top1 - top1) <= 1 / 360  # at most one test image of 360 changes


def test_a_short_fine_tune_recovers_what_pruning_lost(trained) -> None:  # type: ignore[no-untyped-def]
    spec, weights, data, train, top1 = trained
    settings = [{"keep": 0.25, "bits": 8}]
    bare = compress_config({"settings": settings, "prune_fraction": 0, "share_fraction": 0})
    tuned = compress_config({"settings": settings})  # the default fine-tunes
    [before] = compress_network(weights, expand(spec), data, bare, train, seed=0)
    [after] = compress_network(weights, expand(spec), data, tuned, train, seed=0)
    assert after.test_top1 > before.test_top1 + 0.02 and after.test_top1 > top1 - 0.02


def test_per_layer_pruning_keeps_each_layers_fraction(trained) -> None:  # type: ignore[no-untyped-def]
    spec, weights, data, train, _ = trained
    cfg = compress_config({"settings": [{"keep": 0.5, "bits": 4}], "prune": "layer",
                           "prune_fraction": 0, "share_fraction": 0})
    [done] = compress_network(weights, expand(spec), data, cfg, train, seed=0)
    model = load_decoded(expand(spec), decode_network(done.data), folded=True)
    for name, p in conv_layers(model).items():
        assert int((p != 0).sum()) == pytest.approx(p.numel() / 2, abs=1), name


def test_folding_batch_norm_keeps_the_outputs(trained) -> None:  # type: ignore[no-untyped-def]
    spec, weights, data, _, _ = trained
    model = build_model(expand(spec))
    model.load_state_dict(weights)
    model.eval()
    images = next(iter(data.eval_batches("test")))[0].float()
    before = model(images)
    fold_batch_norm(model)
    assert torch.allclose(model(images), before, atol=1e-4)
    assert not torch.equal(model(images), before)  # the weights did change


def test_every_convolution_has_a_kind() -> None:
    spec = ArchSpec.from_dict({**preset("cpu_proxy").to_dict(), "num_classes": 10,
                               "in_channels": 1, "input_size": SIZE, "bypass": "complex"})
    kinds = {layer_kind(name) for name in conv_layers(build_model(expand(spec)))}
    assert kinds == set(LAYER_KINDS)
    with pytest.raises(ValueError, match="unknown layer kind of 'classifier.fc.weight'; valid: conv1"):
        layer_kind("classifier.fc.weight")


def test_per_kind_bits_reach_the_stream(trained) -> None:  # type: ignore[no-untyped-def]
    spec, weights, data, train, _ = trained
    cfg = compress_config({"settings": [{"keep": 0.5, "bits": {"expand3x3": 3, "default": 7}}],
                           "prune_fraction": 0, "share_fraction": 0})
    [done] = compress_network(weights, expand(spec), data, cfg, train, seed=0)
    bits = {e["name"]: e["bits"] for e in network_header(done.data)["tensors"] if "bits" in e}
    assert {b for n, b in bits.items() if "expand3x3" in n} == {3}
    assert {b for n, b in bits.items() if "expand3x3" not in n} == {7}
    decoded = decode_network(done.data)
    assert all(len(np.unique(v[v != 0])) <= 8 for n, v in decoded.items()
               if "expand3x3" in n and n.endswith(".weight"))
