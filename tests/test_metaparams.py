"""The table of metaparameters against ArchSpec, and how values and accuracies print."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import pytest

from dse.analysis.verdicts import PAPER_CLAIMS
from dse.core.metaparams import INTEGER_NAMES, METAPARAMETERS, NAMES
from dse.core.records import percent
from dse.core.spec import ArchSpec, MetaParams
from dse.core.sweep import SWEEPABLE, SweepSpec


def test_table_names_are_archspecs_metaparameters() -> None:
    expected = (*(f.name for f in fields(MetaParams)), "bypass")
    assert NAMES == expected
    assert set(NAMES) <= set(ArchSpec().to_dict())  # the keys stored networks carry
    assert SWEEPABLE == NAMES
    assert {c.key for c in PAPER_CLAIMS} <= set(NAMES)


def test_integer_flags_follow_the_field_types() -> None:
    types = {f.name: f.type for f in fields(MetaParams)}
    assert INTEGER_NAMES == tuple(name for name, kind in types.items() if kind == "int")
    space = SweepSpec.from_dict({"kind": "search", "space": {
        "base_e": {"low": 16, "high": 64}, "sr": {"low": 0.1, "high": 1.0}}})
    assert space.space["base_e"].integer and not space.space["sr"].integer


def test_figure_labels_come_from_the_table() -> None:
    from dse.analysis.figures._fig3 import FIG3A, FIG3B

    assert FIG3A.axis_title == METAPARAMETERS["sr"].label == "squeeze ratio SR (s1x1 / e)"
    assert FIG3B.axis_title == METAPARAMETERS["pct3x3"].label == \
        "3x3 filters (pct3x3, share of expand filters)"


@pytest.mark.parametrize(("name", "value", "shown"), [
    ("base_e", 128, "128"), ("base_e", 5.0, "5"), ("base_e", "-", "-"),
    ("sr", 0.125, "0.125"), ("sr", 1 / 3, "0.3333"), ("sr", 1, "1"), ("sr", True, "True"),
    ("pct3x3", 0.99, "0.99"), ("bypass", "simple", "simple"), ("bypass", None, "None"),
])
def test_values_print_as_the_front_table_prints_them(name: str, value: Any, shown: str) -> None:
    assert METAPARAMETERS[name].show(value) == shown


@pytest.mark.parametrize(("mean", "sd", "shown"), [
    (0.61234, None, "61.2%"), (0.61234, 0.01349, "61.2% ± 1.3"), (1.0, 0.0, "100.0% ± 0.0"),
    (None, None, "-"), (None, 0.1, "-"),
])
def test_percent_gives_the_strings_the_figures_print(mean: float | None, sd: float | None,
                                                     shown: str) -> None:
    assert percent(mean, sd) == shown
