"""Validation of the metaparameter spec: one clear ValueError per bad field."""

from __future__ import annotations

import pytest

from dse.core.presets import PRESETS, preset
from dse.core.spec import ArchSpec, MetaParams


@pytest.mark.parametrize(
    ("field", "value", "needle"),
    [
        ("sr", 0.0, "sr must be in (0, 1], got 0.0"),
        ("sr", 1.5, "sr must be in (0, 1], got 1.5"),
        ("pct3x3", 1.5, "pct3x3 must be in [0, 1], got 1.5"),
        ("pct3x3", -0.1, "pct3x3 must be in [0, 1]"),
        ("freq", 0, "freq must be an integer >= 1, got 0"),
        ("base_e", 0, "base_e must be an integer >= 1"),
        ("base_e", 12.5, "base_e must be an integer >= 1, got 12.5"),
        ("incr_e", -1, "incr_e must be an integer >= 0"),
        ("sr", float("nan"), "sr must be a finite number"),
        ("sr", "abc", "sr must be a finite number, got 'abc'"),
    ],
)
def test_bad_metaparameters_name_field_value_and_rule(field: str, value: object, needle: str) -> None:
    with pytest.raises(ValueError, match=None) as info:
        MetaParams(**{field: value})  # type: ignore[arg-type]
    assert needle in str(info.value)


def test_pct3x3_strictly_inside_needs_two_expand_filters() -> None:
    with pytest.raises(ValueError, match="base_e must be >= 2 when 0 < pct3x3 < 1"):
        MetaParams(base_e=1, incr_e=1, pct3x3=0.5)
    assert MetaParams(base_e=1, incr_e=1, pct3x3=1.0).base_e == 1


@pytest.mark.parametrize(
    ("field", "value", "needle"),
    [
        ("bypass", "weird", "bypass must be one of none, simple, complex, got 'weird'"),
        ("stem", "huge", "stem must be one of paper, v1_1, small, got 'huge'"),
        ("num_classes", 1, "num_classes must be an integer >= 2, got 1"),
        ("input_size", 0, "input_size must be an integer >= 1"),
        ("dropout", 1.0, "dropout must be in [0, 1), got 1.0"),
        ("pool_after", ("conv1", "fire42"), "pool_after names unknown layers ['fire42']"),
        ("pool_after", ("fire4", "fire4"), "pool_after lists a layer twice"),
        ("batch_norm", "yes", "batch_norm must be true or false"),
    ],
)
def test_bad_macroarchitecture(field: str, value: object, needle: str) -> None:
    with pytest.raises(ValueError) as info:
        ArchSpec(**{field: value})  # type: ignore[arg-type]
    assert needle in str(info.value)


def test_from_dict_round_trips_and_rejects_unknown_keys() -> None:
    arch = preset("squeezenet1_1", sr=0.25, bypass="complex")
    assert ArchSpec.from_dict(arch.to_dict()) == arch
    with pytest.raises(ValueError, match=r"unknown arch key\(s\) \['srr'\]; valid: .*sr"):
        ArchSpec.from_dict({"srr": 0.5})


def test_unknown_preset_lists_valid_ones() -> None:
    with pytest.raises(ValueError, match="unknown arch preset 'nope'; valid: " + ", ".join(PRESETS)):
        preset("nope")
