"""The inspector CLI: defaults, overrides, JSON output and one-line errors."""

from __future__ import annotations

import json

import pytest
from conftest import run_module


def test_defaults_print_paper_parameter_count() -> None:
    out = run_module("dse.inspect", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["params"] == 1_248_424
    assert data["size_bytes"] == 1_248_424 * 4
    assert data["macs"] > 0 and len(data["fingerprint"]) == 16
    layers = {row["name"]: row for row in data["layers"]}
    assert layers["maxpool1"]["output_shape"] == [55, 55, 96]
    assert layers["conv10"]["output_shape"] == [13, 13, 1000]
    assert layers["fire2"]["params"] == 11_920


def test_overrides_use_run_key_names() -> None:
    out = run_module("dse.inspect", "--json", "arch.sr=0.75", "arch.bypass=complex",
                     "arch.input_size=227")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["arch"]["sr"] == 0.75 and data["arch"]["bypass"] == "complex"
    assert 19 < data["size_mb"] < 22


def test_table_output() -> None:
    out = run_module("dse.inspect", "arch=cpu_proxy", "dataset=digits")
    assert out.returncode == 0, out.stderr
    assert "fire9" in out.stdout and "16x16x1" in out.stdout


@pytest.mark.parametrize(
    ("override", "needle"),
    [
        ("arch.sr=1.5", "sr must be in (0, 1], got 1.5"),
        ("arch.pct3x3=2", "pct3x3 must be in [0, 1], got 2"),
        ("arch.bypass=weird", "bypass must be one of none, simple, complex"),
        ("arch=nope", "Available options in 'arch': cifar_proxy cpu_proxy squeezenet1_0"
         " squeezenet1_1"),
        ("arch.nokey=1", "Could not override 'arch.nokey'"),
        ("arch.input_size=5", "input_size=5 is too small"),
    ],
)
def test_bad_values_give_one_line_and_exit_2(override: str, needle: str) -> None:
    out = run_module("dse.inspect", "--json", override)
    assert out.returncode == 2
    assert out.stdout == ""
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert needle in lines[0]
