"""The `compress` config node: Deep Compression settings applied to each trained network.

Each setting (a fraction of convolution weights kept, bits per layer kind) is one compressed
version of every trained network: pruned, fine-tuned, weight-shared, Huffman-coded, decoded and
evaluated (dse.training.compression_stage). Pure Python, like the rest of dse.core.config.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from dse.core.compression_codec import MAX_BITS
from dse.core.sweep import stable_hash
from dse.core.typed import (
    from_mapping,
    is_int,
    require,
    require_bool,
    require_choice,
    require_int,
    require_number,
)

__all__ = ["LAYER_KINDS", "PRUNE_SCOPES", "CompressConfig", "CompressSetting", "compress_config"]

# The convolutions of a generated SqueezeNet, by role (dse.training.model names them so): the stem,
# each Fire module's squeeze and expand layers, complex-bypass 1x1 convolutions, the classifier.
LAYER_KINDS = ("conv1", "squeeze", "expand1x1", "expand3x3", "bypass", "conv10")
PRUNE_SCOPES = ("global", "layer")
PAPER_KEEP = 0.33  # Table 2: 1,248,424 -> 421,098 parameters kept (33.7 %), "33% sparsity"


@dataclass(frozen=True)
class CompressSetting:
    """One compressed version: the fraction kept and the bits of each layer kind."""

    keep: float  # fraction of each layer's (or the network's) convolution weights kept, (0, 1]
    bits: dict[str, int]  # layer kind -> bits per shared weight, 1..16, every kind given
    name: str  # unique within the node; e.g. 8bit-33pct

    @property
    def uniform_bits(self) -> int | None:
        """The bits when every layer kind has the same, else None."""
        values = set(self.bits.values())
        return values.pop() if len(values) == 1 else None


def _bits(where: str, value: Any) -> dict[str, int]:
    """Bits per layer kind from an int (every kind) or a mapping (kinds, or `default`)."""
    if is_int(value):
        require_int(f"{where}.bits", value, minimum=1, maximum=MAX_BITS)
        return dict.fromkeys(LAYER_KINDS, int(value))
    require(isinstance(value, Mapping),
            f"{where}.bits must be an integer in [1, {MAX_BITS}] or a mapping of layer kind to "
            f"bits, got {value!r}")
    unknown = [k for k in value if k not in (*LAYER_KINDS, "default")]
    require(not unknown, f"{where}.bits: unknown layer kind {unknown[0] if unknown else ''!r}; "
                         f"valid: {', '.join(LAYER_KINDS)} (and default)")
    for kind, bits in value.items():
        require_int(f"{where}.bits.{kind}", bits, minimum=1, maximum=MAX_BITS)
    missing = [k for k in LAYER_KINDS if k not in value]
    require(not missing or "default" in value,
            f"{where}.bits has no entry for layer kind {missing[0] if missing else ''!r}; give "
            f"every kind or a default")
    return {k: int(value.get(k, value.get("default"))) for k in LAYER_KINDS}


def _setting(where: str, value: Any) -> CompressSetting:
    """One checked setting from its config node."""
    require(isinstance(value, Mapping), f"{where} must be a mapping with keep and bits, got "
                                        f"{value!r}")
    unknown = sorted(set(value) - {"keep", "bits", "name"})
    require(not unknown, f"unknown {where} key(s) {unknown}; valid: ['bits', 'keep', 'name']")
    require("keep" in value and "bits" in value, f"{where} needs keep and bits, got {dict(value)}")
    require_number(f"{where}.keep", value["keep"], low=0, high=1, low_open=True)
    bits = _bits(where, value["bits"])
    uniform = set(bits.values())
    default = f"{uniform.pop()}bit" if len(uniform) == 1 else "mixed"
    name = value.get("name") or f"{default}-{round(100 * value['keep'])}pct"
    require(isinstance(name, str) and bool(name.strip()) and "/" not in name,
            f"{where}.name must be a non-empty name without '/', got {name!r}")
    return CompressSetting(float(value["keep"]), bits, name)


@dataclass(frozen=True)
class CompressConfig:
    """Keys of the `compress` node."""

    enabled: bool = False  # compress every trained network after training
    # each: {keep: fraction kept, bits: int or {kind: bits, default: bits}, name: optional}
    settings: tuple[CompressSetting, ...] = field(default_factory=tuple)
    prune: str = "global"  # global: one magnitude threshold for all layers; layer: each keeps `keep`
    index_bits: int = 8  # bits of a position gap (Deep Compression: 8 for convolutions)
    # fine-tune lengths as fractions of the training run's steps (train.epochs x batches), so
    # that a preset's compression costs the same share of its training: 0.15 of digits' 20
    # epochs is 3 epochs, of CIFAR-10's 5 is 0.75
    prune_fraction: float = 0.2  # masked fine-tune after pruning
    share_fraction: float = 0.05  # fine-tune of the shared weights after k-means; 0: none
    lr_scale: float = 0.2  # fine-tunes start at train.lr * lr_scale and fall linearly to 0
    iterations: int = 30  # most Lloyd iterations of each layer's k-means
    keep_bytes: bool = True  # upload each encoded network as an artifact of its trial

    def __post_init__(self) -> None:
        """Validate every key; settings arrive as plain mappings and leave as CompressSetting."""
        require_bool("compress.enabled", self.enabled)
        require_bool("compress.keep_bytes", self.keep_bytes)
        raw = self.settings
        require(isinstance(raw, (list, tuple)), f"compress.settings must be a list, got {raw!r}")
        settings = tuple(s if isinstance(s, CompressSetting) else _setting(
            f"compress.settings[{i}]", s) for i, s in enumerate(raw))
        names = [s.name for s in settings]
        require(len(set(names)) == len(names), f"compress.settings names must differ, got {names}")
        require(not self.enabled or bool(settings),
                "compress.enabled=true needs at least one entry in compress.settings")
        object.__setattr__(self, "settings", settings)
        require_choice("compress.prune", self.prune, PRUNE_SCOPES)
        require_int("compress.index_bits", self.index_bits, minimum=1, maximum=MAX_BITS)
        require_number("compress.prune_fraction", self.prune_fraction, low=0, high=10)
        require_number("compress.share_fraction", self.share_fraction, low=0, high=10)
        require_number("compress.lr_scale", self.lr_scale, low=0, low_open=True, high=10)
        require_int("compress.iterations", self.iterations, minimum=0)

    def setting_hash(self, setting: CompressSetting, train_hash: str) -> str:
        """Hash of what makes a compression of the same trained weights give the same bytes."""
        stage = {k: v for k, v in asdict(self).items() if k not in ("enabled", "settings",
                                                                     "keep_bytes")}
        return stable_hash({"keep": setting.keep, "bits": setting.bits, **stage,
                            "train": train_hash})


def compress_config(values: Mapping[str, Any]) -> CompressConfig:
    """The typed `compress` node (missing keys take their defaults).

    Raises:
        ValueError: an unknown key, or a value outside its rule (naming both).
    """
    return from_mapping(CompressConfig, dict(values), node="compress")
