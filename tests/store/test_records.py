"""The shared records (dse.core.records): construction from a spec, validation, purity."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from dse.core.complexity import count
from dse.core.expand import expand, fingerprint
from dse.core.presets import preset
from dse.core.records import ArchRecord, ResultRecord, Status, arch_record, counted_results


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


@pytest.mark.parametrize("status", [s.value for s in Status])
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
        "import sys, json, dse.core.records\n"
        "print(json.dumps([m for m in ('torch', 'optuna', 'sqlalchemy', 'pandas') "
        "if m in sys.modules]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


def _result(status: str, seed: int, rid: int, point: dict[str, object] | None = None
            ) -> ResultRecord:
    """A result of study s with a row id."""
    return ResultRecord(study="s", trial_number=rid, point=point or {"sr": 0.5}, seed=seed,
                        fingerprint="f", dataset="d", train_config_hash="h", status=status, id=rid)


def test_counted_results_keep_the_first_final_result_of_each_item() -> None:
    results = [_result("failed", 0, 1), _result("complete", 0, 2), _result("reused", 0, 3),
               _result("complete", 1, 5), _result("complete", 1, 4),
               _result("failed", 2, 6), _result("complete", 0, 7, {"sr": 0.25})]
    kept = counted_results(results)
    assert sorted(r.id for r in kept if r.id is not None) == [2, 4, 7]  # seed 2 only failed
    assert all(r.status.final for r in kept)


def test_status_values_are_stored_text() -> None:
    rec = ResultRecord(study="s", trial_number=0, point={}, seed=0, fingerprint="f",
                       dataset="d", train_config_hash="h", status="reused")
    assert rec.status is Status.REUSED and rec.status == "reused"
    assert {s for s in Status if not s.final} == {Status.FAILED}
