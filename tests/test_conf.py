"""The Hydra arch configs spell the same networks as the Python presets."""

from __future__ import annotations

import pytest

from dse.cli import compose, to_plain
from dse.core.presets import PRESETS


@pytest.mark.parametrize(
    ("arch", "dataset"),
    [("squeezenet1_0", "imagenet"), ("squeezenet1_1", "imagenet"), ("cpu_proxy", "digits"),
     ("cifar_proxy", "cifar10_folder")],
)
def test_arch_config_equals_preset(arch: str, dataset: str) -> None:
    cfg = compose("inspect", [f"arch={arch}", f"dataset={dataset}"])
    assert to_plain(cfg.arch) == PRESETS[arch]
