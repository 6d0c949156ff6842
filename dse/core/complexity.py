"""Exact analytic accounting of a NetSpec: params, bytes, MACs, activations, Table-1 rows.

Conventions (mirrored by dse.training.model, and checked against it by tests):
- a convolution has a bias unless batch norm follows it; batch norm adds 2 parameters per
  channel (its running statistics are buffers, not parameters);
- conv10 always has a bias and no batch norm;
- MACs count the multiply-accumulates of convolutions only (pools, ReLU, bias, batch norm
  and bypass additions are not multiply-accumulates);
- activations count the output elements of every row of the table, per image.
"""

from __future__ import annotations

from dataclasses import dataclass

from dse.core.expand import FireSpec, NetSpec, conv_output_size, pool_output_size

__all__ = ["Complexity", "LayerRow", "count", "size_bytes", "size_mb"]

MB = 2**20  # the paper's "MB": 2^20 bytes


@dataclass(frozen=True)
class LayerRow:
    """One row of the paper's Table 1."""

    name: str
    output_shape: tuple[int, int, int]  # height, width, channels
    params: int
    macs: int
    s1x1: int | None = None
    e1x1: int | None = None
    e3x3: int | None = None
    bypass: str | None = None

    @property
    def activations(self) -> int:
        """Output elements of this layer."""
        h, w, c = self.output_shape
        return h * w * c


@dataclass(frozen=True)
class Complexity:
    """Totals and per-layer rows for one network at its input size."""

    layers: tuple[LayerRow, ...]

    @property
    def params(self) -> int:
        """Total learnable parameters."""
        return sum(row.params for row in self.layers)

    @property
    def macs(self) -> int:
        """Multiply-accumulates per image (forward pass)."""
        return sum(row.macs for row in self.layers)

    @property
    def activations(self) -> int:
        """Output elements of every layer, per image."""
        return sum(row.activations for row in self.layers)

    def size_bytes(self, bits: int = 32) -> int:
        """Model size in bytes with `bits` per weight."""
        return size_bytes(self.params, bits=bits)


def size_bytes(params: int, *, bits: int = 32) -> int:
    """Bytes taken by `params` weights of `bits` bits each, rounded up to whole bytes."""
    if not isinstance(bits, int) or bits < 1:
        raise ValueError(f"bits must be an integer >= 1, got {bits!r}")
    return -(-params * bits // 8)


def size_mb(params: int, *, bits: int = 32) -> float:
    """Model size in the paper's MB (2^20 bytes)."""
    return size_bytes(params, bits=bits) / MB


def _conv(in_ch: int, out_ch: int, kernel: int, out_hw: int, *, batch_norm: bool) -> tuple[int, int]:
    """(params, MACs) of one convolution, with its bias or batch norm."""
    weights = kernel * kernel * in_ch * out_ch
    extra = 2 * out_ch if batch_norm else out_ch
    return weights + extra, weights * out_hw * out_hw


def _fire(fire: FireSpec, hw: int, *, batch_norm: bool) -> tuple[int, int]:
    """(params, MACs) of a Fire module with its bypass at spatial size hw."""
    parts = [_conv(fire.in_channels, fire.s1x1, 1, hw, batch_norm=batch_norm)]
    if fire.e1x1:
        parts.append(_conv(fire.s1x1, fire.e1x1, 1, hw, batch_norm=batch_norm))
    if fire.e3x3:
        parts.append(_conv(fire.s1x1, fire.e3x3, 3, hw, batch_norm=batch_norm))
    if fire.bypass == "conv":
        parts.append(_conv(fire.in_channels, fire.out_channels, 1, hw, batch_norm=batch_norm))
    return sum(p for p, _ in parts), sum(m for _, m in parts)


def _pool_row(after: str, hw: int, channels: int) -> LayerRow:
    """The max-pool row that follows layer `after` (named maxpool1, maxpool4, ...)."""
    number = after.removeprefix("conv").removeprefix("fire")
    return LayerRow(f"maxpool{number}", (hw, hw, channels), params=0, macs=0)


def count(net: NetSpec) -> Complexity:
    """Per-layer and total accounting of `net` at its input size."""
    rows = []
    stem = net.stem
    hw = conv_output_size(net.input_size, stem.kernel, stem.stride, stem.padding)
    params, macs = _conv(net.in_channels, net.stem_channels, stem.kernel, hw, batch_norm=net.batch_norm)
    rows.append(LayerRow("conv1", (hw, hw, net.stem_channels), params, macs))
    if net.pool_after_stem:
        hw = pool_output_size(hw)
        rows.append(_pool_row("conv1", hw, net.stem_channels))
    channels = net.stem_channels
    for fire in net.fires:
        params, macs = _fire(fire, hw, batch_norm=net.batch_norm)
        channels = fire.out_channels
        rows.append(
            LayerRow(
                fire.name, (hw, hw, channels), params, macs,
                s1x1=fire.s1x1, e1x1=fire.e1x1, e3x3=fire.e3x3, bypass=fire.bypass,
            )
        )
        if fire.pool_after:
            hw = pool_output_size(hw)
            rows.append(_pool_row(fire.name, hw, channels))
    params, macs = _conv(channels, net.num_classes, 1, hw, batch_norm=False)
    rows.append(LayerRow("conv10", (hw, hw, net.num_classes), params, macs))
    rows.append(LayerRow("avgpool10", (1, 1, net.num_classes), params=0, macs=0))
    return Complexity(tuple(rows))
