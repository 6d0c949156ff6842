"""The torch model has exactly the analytic parameter count and output shapes, for every spec."""

from __future__ import annotations

import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch import nn

from dse.core.complexity import count
from dse.core.expand import expand
from dse.core.presets import preset
from dse.core.spec import FIRE_NAMES, ArchSpec, MetaParams
from dse.training.model import Fire, build_model

torch.set_num_threads(1)


def _shapes(model: nn.Module, x: torch.Tensor) -> list[tuple[int, int, int]]:
    """Output (h, w, c) of every layer that the accounting lists, in order."""
    shapes: list[tuple[int, int, int]] = []
    for layer in model.features:
        x = layer(x)
        shapes.append((x.shape[2], x.shape[3], x.shape[1]))
    x = model.classifier[1](model.classifier[0](x))
    shapes.append((x.shape[2], x.shape[3], x.shape[1]))
    x = model.classifier[3](model.classifier[2](x))
    shapes.append((x.shape[2], x.shape[3], x.shape[1]))
    return shapes


def check_model_matches_accounting(arch: ArchSpec) -> None:
    """Build the network and compare its parameters and shapes to the analytic twin."""
    net = expand(arch)
    model = build_model(net).eval()
    comp = count(net)
    assert sum(p.numel() for p in model.parameters()) == comp.params
    x = torch.randn(1, arch.in_channels, arch.input_size, arch.input_size)
    with torch.no_grad():
        assert _shapes(model, x) == [row.output_shape for row in comp.layers]
        assert model(x).shape == (1, arch.num_classes)


def test_squeezenet_1_0_at_227() -> None:
    check_model_matches_accounting(preset("squeezenet1_0"))


def test_paper_initialisation() -> None:
    model = build_model(expand(preset("squeezenet1_0")))
    assert abs(model.final_conv.weight.std().item() - 0.01) < 0.001
    assert all(
        m.bias is None or torch.count_nonzero(m.bias) == 0
        for m in model.modules() if isinstance(m, nn.Conv2d)
    )


def test_identity_bypass_adds_input() -> None:
    net = expand(preset("cpu_proxy", bypass="simple", batch_norm=False))
    fire = Fire(net.fires[1], batch_norm=False).eval()
    assert fire.bypass == "identity"
    x = torch.randn(2, net.fires[1].in_channels, 5, 5)
    plain = torch.cat([fire.expand1x1(fire.squeeze(x)), fire.expand3x3(fire.squeeze(x))], 1)
    assert torch.allclose(fire(x), plain + x)


archs = st.builds(
    lambda base_e, incr_e, freq, sr, pct3x3, bypass, stem, bn, pools, size, classes, chans: (
        ArchSpec(
            meta=MetaParams(base_e=base_e, incr_e=incr_e, freq=freq, sr=sr, pct3x3=pct3x3),
            bypass=bypass, stem=stem, batch_norm=bn, pool_after=tuple(pools),
            input_size=size, num_classes=classes, in_channels=chans, stem_channels=8,
        )
    ),
    base_e=st.integers(2, 19),
    incr_e=st.integers(0, 13),
    freq=st.integers(1, 8),
    sr=st.floats(0.01, 1.0),
    pct3x3=st.one_of(st.sampled_from([0.0, 1.0, 0.01, 0.99]), st.floats(0.0, 1.0)),
    bypass=st.sampled_from(["none", "simple", "complex"]),
    stem=st.sampled_from(["paper", "v1_1", "small"]),
    bn=st.booleans(),
    pools=st.lists(st.sampled_from(("conv1", *FIRE_NAMES)), max_size=4, unique=True),
    size=st.integers(7, 40),
    classes=st.integers(2, 12),
    chans=st.integers(1, 3),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(arch=archs)
def test_model_matches_accounting_for_random_specs(arch: ArchSpec) -> None:
    try:
        expand(arch)
    except ValueError as exc:  # input too small for this pooling stack: rejected up front
        assert "too small" in str(exc)
        return
    check_model_matches_accounting(arch)


def test_odd_specs() -> None:
    for overrides in (
        {"freq": 3, "base_e": 13, "incr_e": 7},
        {"pct3x3": 0.01}, {"pct3x3": 0.99}, {"pct3x3": 0.0}, {"pct3x3": 1.0},
        {"bypass": "complex", "freq": 1}, {"sr": 1.0, "bypass": "simple"},
    ):
        check_model_matches_accounting(preset("cpu_proxy", **overrides))


def test_final_relu_is_the_papers_and_optional() -> None:
    x = torch.randn(4, 1, 16, 16)
    with_relu = build_model(expand(preset("cpu_proxy", final_relu=True))).eval()
    without = build_model(expand(preset("cpu_proxy", final_relu=False))).eval()
    with torch.no_grad():
        assert (with_relu(x) >= 0).all()
        assert (without(x) < 0).any()
    assert expand(preset("squeezenet1_0")).final_relu
    check_model_matches_accounting(preset("cpu_proxy", final_relu=False, bypass="simple"))
