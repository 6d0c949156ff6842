"""Metaparameters of a SqueezeNet-family network, with validation (pure Python).

The microarchitecture metaparameters follow the SqueezeNet paper, Sec. 5.1; the
macroarchitecture fields follow Sec. 3.3 and Sec. 6 (bypass connections).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

from dse.core.typed import require, require_bool, require_int, require_number

__all__ = [
    "BYPASS_KINDS",
    "FIRE_NAMES",
    "POOLABLE_LAYERS",
    "STEMS",
    "ArchSpec",
    "MetaParams",
    "StemSpec",
]

NUM_FIRE = 8
FIRE_NAMES = tuple(f"fire{i + 2}" for i in range(NUM_FIRE))  # fire2 .. fire9, as in Table 1
POOLABLE_LAYERS = ("conv1", *FIRE_NAMES)
BYPASS_KINDS = ("none", "simple", "complex")


@dataclass(frozen=True)
class StemSpec:
    """The first convolution (conv1): its kernel, stride and zero padding."""

    kernel: int
    stride: int
    padding: int


# conv1 variants: the paper's 7x7/2, SqueezeNet 1.1's 3x3/2, and a 3x3/1 stem that keeps
# the resolution of small images (8x8 to 32x32) for the CPU proxy.
STEMS: dict[str, StemSpec] = {
    "paper": StemSpec(kernel=7, stride=2, padding=0),
    "v1_1": StemSpec(kernel=3, stride=2, padding=0),
    "small": StemSpec(kernel=3, stride=1, padding=1),
}


@dataclass(frozen=True)
class MetaParams:
    """Microarchitecture metaparameters (paper Sec. 5.1) for the 8 Fire modules i = 0..7."""

    base_e: int = 128  # expand filters of the first Fire module
    incr_e: int = 128  # expand filters added every `freq` modules
    freq: int = 2  # e_i = base_e + incr_e * floor(i / freq)
    sr: float = 0.125  # squeeze ratio: s_1x1 / e_i, in (0, 1]
    pct3x3: float = 0.5  # share of the e_i expand filters that are 3x3, in [0, 1]

    def __post_init__(self) -> None:
        """Validate every field; raise ValueError naming the field, value and rule."""
        require_int("base_e", self.base_e, minimum=1)
        require_int("incr_e", self.incr_e, minimum=0)
        require_int("freq", self.freq, minimum=1)
        require_number("sr", self.sr, low=0, high=1, low_open=True)
        require_number("pct3x3", self.pct3x3, low=0, high=1)
        if 0 < self.pct3x3 < 1:
            require(
                self.base_e >= 2,
                f"base_e must be >= 2 when 0 < pct3x3 < 1 (both expand branches keep a filter), "
                f"got {self.base_e}",
            )


@dataclass(frozen=True)
class ArchSpec:
    """A whole network: microarchitecture plus macroarchitecture choices."""

    meta: MetaParams = field(default_factory=MetaParams)
    bypass: str = "none"  # one of BYPASS_KINDS (paper Sec. 6)
    num_classes: int = 1000  # filters of conv10
    in_channels: int = 3  # channels of the input image
    input_size: int = 227  # height = width of the input image
    stem: str = "paper"  # key of STEMS
    stem_channels: int = 96  # filters of conv1
    pool_after: tuple[str, ...] = ("conv1", "fire4", "fire8")  # 3x3/2 max-pool follows these
    dropout: float = 0.5  # dropout probability before conv10
    batch_norm: bool = False  # off in the paper; speeds up training on small data
    final_relu: bool = True  # ReLU on conv10's output, as the paper; see the cpu_proxy preset

    def __post_init__(self) -> None:
        """Validate the macroarchitecture fields (the input-size check lives in expand)."""
        require(
            isinstance(self.bypass, str) and self.bypass in BYPASS_KINDS,
            f"bypass must be one of {', '.join(BYPASS_KINDS)}, got {self.bypass!r}",
        )
        require_int("num_classes", self.num_classes, minimum=2)
        require_int("in_channels", self.in_channels, minimum=1)
        require_int("input_size", self.input_size, minimum=1)
        require(
            isinstance(self.stem, str) and self.stem in STEMS,
            f"stem must be one of {', '.join(STEMS)}, got {self.stem!r}",
        )
        require_int("stem_channels", self.stem_channels, minimum=1)
        pool_after = tuple(self.pool_after)
        unknown = [name for name in pool_after if name not in POOLABLE_LAYERS]
        require(
            not unknown,
            f"pool_after names unknown layers {unknown}; valid: {', '.join(POOLABLE_LAYERS)}",
        )
        require(
            len(set(pool_after)) == len(pool_after),
            f"pool_after lists a layer twice: {list(pool_after)}",
        )
        object.__setattr__(self, "pool_after", pool_after)
        require_number("dropout", self.dropout, low=0, high=1, high_open=True)
        for key in ("batch_norm", "final_relu"):
            require_bool(key, getattr(self, key))

    def to_dict(self) -> dict[str, Any]:
        """Flat dict of every field (metaparameters inlined), as the config spells them."""
        flat = {k: v for k, v in asdict(self).items() if k != "meta"}
        flat.update(asdict(self.meta))
        flat["pool_after"] = list(self.pool_after)
        return flat

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> ArchSpec:
        """Build from a flat mapping of field names (as in the `arch` config group).

        Unknown keys raise ValueError listing the valid ones.
        """
        meta_keys = {f.name for f in fields(MetaParams)}
        arch_keys = {f.name for f in fields(cls)} - {"meta"}
        unknown = sorted(set(values) - meta_keys - arch_keys)
        require(
            not unknown,
            f"unknown arch key(s) {unknown}; valid: {', '.join(sorted(meta_keys | arch_keys))}",
        )
        meta = MetaParams(**{k: v for k, v in values.items() if k in meta_keys})
        rest = {k: v for k, v in values.items() if k in arch_keys}
        if "pool_after" in rest:
            require(
                isinstance(rest["pool_after"], (list, tuple)),
                f"pool_after must be a list of layer names, got {rest['pool_after']!r}",
            )
            rest["pool_after"] = tuple(rest["pool_after"])
        return cls(meta=meta, **rest)
