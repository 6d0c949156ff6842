"""Golden tests of the analytic accounting against the paper's published figures."""

from __future__ import annotations

import pytest

from dse.core.complexity import MB, count, size_bytes, size_mb
from dse.core.expand import expand
from dse.core.presets import preset

TABLE_1 = [  # name, output (h, w, c), s1x1, e1x1, e3x3, params
    ("conv1", (111, 111, 96), None, None, None, 14_208),
    ("maxpool1", (55, 55, 96), None, None, None, 0),
    ("fire2", (55, 55, 128), 16, 64, 64, 11_920),
    ("fire3", (55, 55, 128), 16, 64, 64, 12_432),
    ("fire4", (55, 55, 256), 32, 128, 128, 45_344),
    ("maxpool4", (27, 27, 256), None, None, None, 0),
    ("fire5", (27, 27, 256), 32, 128, 128, 49_440),
    ("fire6", (27, 27, 384), 48, 192, 192, 104_880),
    ("fire7", (27, 27, 384), 48, 192, 192, 111_024),
    ("fire8", (27, 27, 512), 64, 256, 256, 188_992),
    ("maxpool8", (13, 13, 512), None, None, None, 0),
    ("fire9", (13, 13, 512), 64, 256, 256, 197_184),
    ("conv10", (13, 13, 1000), None, None, None, 513_000),
    ("avgpool10", (1, 1, 1000), None, None, None, 0),
]


def test_squeezenet_1_0_matches_table_1_row_by_row() -> None:
    comp = count(expand(preset("squeezenet1_0")))
    rows = [(r.name, r.output_shape, r.s1x1, r.e1x1, r.e3x3, r.params) for r in comp.layers]
    assert rows == TABLE_1
    assert comp.params == 1_248_424


def test_fire2_worked_example() -> None:
    assert (96 + 1) * 16 + (16 + 1) * 64 + (3 * 3 * 16 + 1) * 64 == 11_920


def test_model_size_in_paper_mb() -> None:
    assert f"{size_mb(count(expand(preset('squeezenet1_0'))).params):.1f}" == "4.8"
    sr75 = size_mb(count(expand(preset("squeezenet1_0", sr=0.75))).params)
    assert 18.0 < sr75 < 19.5  # the paper's "19MB"
    sr05 = size_mb(count(expand(preset("squeezenet1_0", sr=0.5))).params)
    assert 12.5 < sr05 < 13.5  # Figure 3b's "about 13MB" at pct3x3 = 50%


def test_squeezenet_1_1_parameter_count() -> None:
    assert count(expand(preset("squeezenet1_1"))).params == 1_235_496


def test_simple_bypass_adds_no_parameters_and_complex_adds_shortcut_convs() -> None:
    base = count(expand(preset("squeezenet1_0"))).params
    assert count(expand(preset("squeezenet1_0", bypass="simple"))).params == base
    shortcuts = 97 * 128 + 129 * 256 + 257 * 384 + 385 * 512
    assert count(expand(preset("squeezenet1_0", bypass="complex"))).params == base + shortcuts


def test_bytes_at_bit_widths() -> None:
    assert size_bytes(1_248_424) == 1_248_424 * 4
    assert size_bytes(1_248_424, bits=8) == 1_248_424
    assert size_bytes(3, bits=6) == 3  # 18 bits round up to 3 bytes
    assert size_bytes(421_098, bits=6) / MB == pytest.approx(0.30, abs=0.01)
    with pytest.raises(ValueError, match="bits must be an integer >= 1, got 0"):
        size_bytes(10, bits=0)


def test_macs_of_conv1() -> None:
    conv1 = count(expand(preset("squeezenet1_0"))).layers[0]
    assert conv1.macs == 111 * 111 * 96 * 7 * 7 * 3


def test_batch_norm_replaces_conv_biases() -> None:
    plain = count(expand(preset("squeezenet1_0", batch_norm=False)))
    normed = count(expand(preset("squeezenet1_0", batch_norm=True)))
    conv1_plain, conv1_bn = plain.layers[0].params, normed.layers[0].params
    assert conv1_bn - conv1_plain == 96  # +2 per channel for BN, -1 per channel of bias
