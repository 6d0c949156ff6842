"""Metaparameters -> per-layer network spec, and its fingerprint (pure Python).

Rounding rule (documented in the README): a width w = x * e_i is rounded half up,
floor(x * e_i + 0.5). The squeeze keeps at least 1 filter; for 0 < pct3x3 < 1 both
expand branches keep at least 1 filter (e3x3 is clamped to [1, e_i - 1]).
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass

from dse.core.spec import FIRE_NAMES, NUM_FIRE, STEMS, ArchSpec, MetaParams, StemSpec

__all__ = [
    "FireSpec",
    "NetSpec",
    "conv_output_size",
    "expand",
    "expand_widths",
    "fingerprint",
    "pool_output_size",
]


@dataclass(frozen=True)
class FireSpec:
    """One Fire module with its bypass, as built."""

    name: str  # fire2 .. fire9
    in_channels: int
    s1x1: int  # squeeze filters
    e1x1: int  # 1x1 expand filters
    e3x3: int  # 3x3 expand filters
    bypass: str  # "none", "identity" or "conv" (a 1x1 convolution shortcut)
    pool_after: bool  # a 3x3/2 max-pool follows this module

    @property
    def out_channels(self) -> int:
        """Channels after concatenating the two expand branches."""
        return self.e1x1 + self.e3x3


@dataclass(frozen=True)
class NetSpec:
    """The expanded network: everything the torch model and the accounting need."""

    in_channels: int
    input_size: int
    stem: StemSpec
    stem_channels: int
    pool_after_stem: bool
    fires: tuple[FireSpec, ...]
    num_classes: int
    dropout: float
    batch_norm: bool
    final_relu: bool = True

    def to_dict(self) -> dict[str, object]:
        """JSON-ready dict of the expanded network."""
        return asdict(self)


def _round_half_up(x: float) -> int:
    """Round to the nearest integer, halves up (Python's round() rounds halves to even)."""
    return math.floor(x + 0.5)


def expand_widths(meta: MetaParams) -> list[tuple[int, int, int]]:
    """Return (s1x1, e1x1, e3x3) for the 8 Fire modules, per the paper's formulas."""
    widths = []
    for i in range(NUM_FIRE):
        e_i = meta.base_e + meta.incr_e * (i // meta.freq)
        e3 = _round_half_up(meta.pct3x3 * e_i)
        if 0 < meta.pct3x3 < 1:
            e3 = min(max(e3, 1), e_i - 1)
        s = max(1, _round_half_up(meta.sr * e_i))
        widths.append((s, e_i - e3, e3))
    return widths


def pool_output_size(size: int) -> int:
    """Output size of a 3x3/2 max-pool in ceil mode, as PyTorch computes it."""
    out = -(-(size - 3) // 2) + 1
    if out > 0 and (out - 1) * 2 >= size:
        out -= 1
    return out


def conv_output_size(size: int, kernel: int, stride: int, padding: int) -> int:
    """Output size of a convolution."""
    return (size + 2 * padding - kernel) // stride + 1


def _check_spatial(arch: ArchSpec) -> None:
    """Raise ValueError when the input is too small for the stem and the pooling stack."""
    stem = STEMS[arch.stem]
    size = conv_output_size(arch.input_size, stem.kernel, stem.stride, stem.padding)
    if size < 1:
        raise ValueError(
            f"input_size={arch.input_size} is too small for the {arch.stem!r} stem "
            f"({stem.kernel}x{stem.kernel}/{stem.stride}); it needs at least "
            f"{stem.kernel - 2 * stem.padding}"
        )
    for name in ("conv1", *FIRE_NAMES):
        if name in arch.pool_after:
            pooled = pool_output_size(size)
            if pooled < 1:
                raise ValueError(
                    f"input_size={arch.input_size} is too small for the pooling stack: the "
                    f"feature map is {size}x{size} at the max-pool after {name}, which needs "
                    f"at least 2x2; use a larger input_size or fewer pool_after layers"
                )
            size = pooled


def expand(arch: ArchSpec) -> NetSpec:
    """Expand an ArchSpec into the per-layer NetSpec the model and accounting use."""
    _check_spatial(arch)
    fires = []
    channels = arch.stem_channels
    for index, (name, (s, e1, e3)) in enumerate(zip(FIRE_NAMES, expand_widths(arch.meta))):
        out = e1 + e3
        # Simple bypass: identity around fire3/5/7/9 (odd positions) where channels match.
        # Complex bypass: those identities plus a 1x1-conv shortcut around every other module.
        bypass = "none"
        if arch.bypass != "none":
            if index % 2 == 1 and channels == out:
                bypass = "identity"
            elif arch.bypass == "complex":
                bypass = "conv"
        fires.append(FireSpec(name, channels, s, e1, e3, bypass, name in arch.pool_after))
        channels = out
    return NetSpec(
        in_channels=arch.in_channels,
        input_size=arch.input_size,
        stem=STEMS[arch.stem],
        stem_channels=arch.stem_channels,
        pool_after_stem="conv1" in arch.pool_after,
        fires=tuple(fires),
        num_classes=arch.num_classes,
        dropout=arch.dropout,
        batch_norm=arch.batch_norm,
        final_relu=arch.final_relu,
    )


def fingerprint(net: NetSpec) -> str:
    """Stable 16-hex-digit hash of the expanded network (equal networks, equal hash)."""
    canonical = json.dumps(net.to_dict(), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]
