"""The shared records (dse.records): construction from a spec, validation, purity."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from dse.complexity import count
from dse.expand import expand, fingerprint
from dse.presets import preset
from dse.records import RESULT_STATUSES, ArchRecord, ResultRecord, arch_record


def test_arch_record_of_squeezenet_matches_table_1() -> None:
    arch = preset("squeezenet1_0")
    rec = arch_record(arch)
    assert rec.params == 1_248_424
    assert rec.size_bytes == 4 * 1_248_424
    assert rec.fingerprint == fingerprint(expand(arch))
    assert rec.macs == count(expand(arch)).macs
    assert rec.widths[0] == [16, 64, 64] and rec.widths[-1] == [64, 256, 256]
    assert len(rec.widths) == 8
    assert rec.arch == arch.to_dict()
    json.dumps(rec.arch)  # JSON-ready as it is


def test_arch_record_rejects_a_malformed_fingerprint() -> None:
    with pytest.raises(ValueError, match="fingerprint must be 16 lowercase hex digits, got 'xyz'"):
        ArchRecord("xyz", {}, [], 0, 0, 0, 0)


@pytest.mark.parametrize("status", RESULT_STATUSES)
def test_result_record_accepts_every_status(status: str) -> None:
    rec = ResultRecord(study="s", trial_number=0, point={}, seed=0, fingerprint="f",
                       dataset="d", train_config_hash="h", status=status)
    assert rec.versions == {} and rec.id is None and rec.created_at is None


def test_result_record_rejects_an_unknown_status() -> None:
    with pytest.raises(ValueError, match="status must be one of complete, .*, got 'done'"):
        ResultRecord(study="s", trial_number=0, point={}, seed=0, fingerprint="f",
                     dataset="d", train_config_hash="h", status="done")


def test_records_load_no_framework() -> None:
    code = (
        "import sys, json, dse.records\n"
        "print(json.dumps([m for m in ('torch', 'optuna', 'sqlalchemy', 'pandas') "
        "if m in sys.modules]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []
