"""Named network variants (pure Python). Each is a flat dict of ArchSpec fields."""

from __future__ import annotations

from typing import Any

from dse.core.spec import ArchSpec

__all__ = ["PRESETS", "preset"]

PRESETS: dict[str, dict[str, Any]] = {
    # The paper's SqueezeNet (v1.0), Table 1: 1,248,424 parameters at 227x227x3, 1000 classes.
    "squeezenet1_0": {
        "base_e": 128, "incr_e": 128, "freq": 2, "sr": 0.125, "pct3x3": 0.5,
        "bypass": "none", "num_classes": 1000, "in_channels": 3, "input_size": 227,
        "stem": "paper", "stem_channels": 96, "pool_after": ["conv1", "fire4", "fire8"],
        "dropout": 0.5, "batch_norm": False, "final_relu": True,
    },
    # SqueezeNet 1.1 (official repo): 64 3x3/2 stem, pools after conv1, fire3, fire5.
    "squeezenet1_1": {
        "base_e": 128, "incr_e": 128, "freq": 2, "sr": 0.125, "pct3x3": 0.5,
        "bypass": "none", "num_classes": 1000, "in_channels": 3, "input_size": 227,
        "stem": "v1_1", "stem_channels": 64, "pool_after": ["conv1", "fire3", "fire5"],
        "dropout": 0.5, "batch_norm": False, "final_relu": True,
    },
    # The SqueezeNet shape at a quarter of the widths, with batch norm and a 3x3/1 stem, so that
    # it trains on 16x16 digits in seconds on a 2-core CPU. Same SR and pct3x3 as the paper.
    # No ReLU after conv10: on 10 classes, classes whose score starts negative for every image
    # get no gradient; with it, bypass variants stalled near chance on digits.
    "cpu_proxy": {
        "base_e": 32, "incr_e": 32, "freq": 2, "sr": 0.125, "pct3x3": 0.5,
        "bypass": "none", "num_classes": 10, "in_channels": 1, "input_size": 16,
        "stem": "small", "stem_channels": 24, "pool_after": ["conv1", "fire4", "fire8"],
        "dropout": 0.5, "batch_norm": True, "final_relu": False,
    },
}
# cpu_proxy's widths with SqueezeNet 1.1's pools, for 32x32 CIFAR-10 on a CPU: fire2-3 run at
# 16x16, fire4-5 at 8x8, fire6-9 at 4x4 (results/README.md).
PRESETS["cifar_proxy"] = {**PRESETS["cpu_proxy"], "in_channels": 3, "input_size": 32,
                          "pool_after": ["conv1", "fire3", "fire5"]}


def preset(name: str, **overrides: Any) -> ArchSpec:
    """Build the named preset, with any field overridden.

    Raises:
        ValueError: the name is unknown (the message lists the valid ones) or a value is invalid.
    """
    if name not in PRESETS:
        raise ValueError(f"unknown arch preset {name!r}; valid: {', '.join(PRESETS)}")
    return ArchSpec.from_dict({**PRESETS[name], **overrides})
