"""Expansion of metaparameters to per-layer widths, the input-size check, and fingerprints."""

from __future__ import annotations

import pytest

from dse.core.expand import expand, expand_widths, fingerprint, pool_output_size
from dse.core.presets import preset
from dse.core.spec import MetaParams


def test_squeezenet_widths_match_table_1() -> None:
    widths = expand_widths(MetaParams())
    assert widths == [
        (16, 64, 64), (16, 64, 64), (32, 128, 128), (32, 128, 128),
        (48, 192, 192), (48, 192, 192), (64, 256, 256), (64, 256, 256),
    ]


def test_pct3x3_is_the_share_of_3x3_filters() -> None:
    (s, e1, e3), *_ = expand_widths(MetaParams(pct3x3=0.75))
    assert (e1, e3) == (32, 96)


def test_rounding_rule_keeps_one_filter_per_branch_and_squeeze() -> None:
    (s, e1, e3), *_ = expand_widths(MetaParams(base_e=10, incr_e=3, sr=0.01, pct3x3=0.01))
    assert (s, e1, e3) == (1, 9, 1)
    (s, e1, e3), *_ = expand_widths(MetaParams(base_e=10, incr_e=3, pct3x3=0.99))
    assert (e1, e3) == (1, 9)
    # pct3x3 = 0 or 1 removes a branch entirely.
    assert expand_widths(MetaParams(pct3x3=0.0))[0][2] == 0
    assert expand_widths(MetaParams(pct3x3=1.0))[0][1] == 0


def test_rounding_is_half_up() -> None:
    # 0.5 * 13 = 6.5 -> 7 (Python's round() would give 6).
    (_, e1, e3), *_ = expand_widths(MetaParams(base_e=13, pct3x3=0.5))
    assert (e1, e3) == (6, 7)


def test_freq_groups_modules() -> None:
    es = [e1 + e3 for _, e1, e3 in expand_widths(MetaParams(base_e=8, incr_e=8, freq=3))]
    assert es == [8, 8, 8, 16, 16, 16, 24, 24]


@pytest.mark.parametrize(("size", "expected"), [(2, 1), (3, 1), (4, 2), (5, 2), (55, 27), (111, 55)])
def test_pool_output_size_matches_ceil_mode(size: int, expected: int) -> None:
    assert pool_output_size(size) == expected


def test_bypass_layout() -> None:
    simple = [f.bypass for f in expand(preset("squeezenet1_0", bypass="simple")).fires]
    assert simple == ["none", "identity"] * 4
    complex_ = [f.bypass for f in expand(preset("squeezenet1_0", bypass="complex")).fires]
    assert complex_ == ["conv", "identity"] * 4
    # Where a fire3/5/7/9 module changes the channel count (freq=1), simple bypass skips it
    # and complex bypass uses a 1x1 convolution.
    odd = [f.bypass for f in expand(preset("squeezenet1_0", bypass="complex", freq=1)).fires]
    assert odd == ["conv"] * 8


def test_input_too_small_for_pooling_stack_says_so() -> None:
    with pytest.raises(ValueError, match="input_size=7 is too small for the pooling stack"):
        expand(preset("cpu_proxy", input_size=7))
    with pytest.raises(ValueError, match="input_size=5 is too small for the 'paper' stem"):
        expand(preset("squeezenet1_0", input_size=5))


def test_fingerprint_equal_for_networks_that_round_alike() -> None:
    a = expand(preset("squeezenet1_0", sr=0.125))
    b = expand(preset("squeezenet1_0", sr=0.1255))  # 0.1255 * 512 = 64.3 -> 64, like 0.125
    c = expand(preset("squeezenet1_0", sr=0.25))
    assert preset("squeezenet1_0", sr=0.125) != preset("squeezenet1_0", sr=0.1255)
    assert fingerprint(a) == fingerprint(b)
    assert fingerprint(a) != fingerprint(c)
    assert len(fingerprint(a)) == 16
