"""The published verdicts (results/<dataset>/<study>/verdicts.csv) recompute from the published
results.csv beside them, cell for cell: the verdict engine still says what it said.

They are what the report writes (the verdicts section's rows: each claim on test top-1 and
top-5, at each training budget); regenerated when columns were added (metric, paper_metric,
budget, network, stability), with every cell of the columns before them unchanged.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from dse.analysis.figures import SECTIONS, write_csv
from dse.core.records import ArchRecord, ResultRecord
from dse.core.study_records import StudyRecords

RESULTS = Path(__file__).resolve().parents[1] / "results"
FOLDERS = sorted(p.parent for p in RESULTS.glob("*/*/verdicts.csv"))
# The metaparameters a claim compares, as ArchSpec.to_dict() types them
TYPES: dict[str, Any] = {"base_e": int, "incr_e": int, "freq": int, "sr": float, "pct3x3": float,
                         "bypass": str}


def _optional(text: str | None) -> float | None:
    """A float cell, or None when empty (or when the file has no such column)."""
    return float(text) if text else None


def _whole(text: str | None) -> int | None:
    """An integer cell, or None when empty (or when the file has no such column)."""
    return int(text) if text else None


def _records(path: Path) -> tuple[list[ResultRecord], dict[str, ArchRecord]]:
    """The results and networks of a published results.csv (the columns the verdicts use)."""
    results, archs = [], {}
    with path.open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            results.append(ResultRecord(
                study=row["study"], trial_number=int(row["trial_number"]),
                point=json.loads(row["point"]), seed=int(row["seed"]), fingerprint=row["fingerprint"],
                dataset=row["dataset"], train_config_hash=row["train_config_hash"],
                status=row["status"], test_top1=_optional(row["test_top1"]),
                test_top5=_optional(row["test_top5"]), epochs=_whole(row["epochs"]),
                budget=_whole(row.get("budget")), id=int(row["id"])))
            archs[row["fingerprint"]] = ArchRecord(
                fingerprint=row["fingerprint"], arch={k: t(row[k]) for k, t in TYPES.items()},
                widths=[], params=int(row["params"]), size_bytes=int(row["size_bytes"]),
                macs=int(row["macs"]), activations=int(row["activations"]))
    return results, archs


@pytest.mark.skipif(not FOLDERS, reason="no published results in this checkout")
@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: p.name)
def test_published_verdicts_recompute_cell_for_cell(folder: Path, tmp_path: Path) -> None:
    results, archs = _records(folder / "results.csv")
    info = SECTIONS["verdicts"].data(StudyRecords(folder.name, results, archs))
    written = write_csv(tmp_path / "verdicts.csv", info.rows())
    with written.open(newline="", encoding="utf-8") as f:
        recomputed = list(csv.DictReader(f))
    published = list(csv.DictReader(io.StringIO((folder / "verdicts.csv").read_text("utf-8"))))
    assert recomputed == published
    # one training budget per published study: every claim on top-1 and top-5 at it
    assert len({row["budget"] for row in published}) == 1
    assert [r["metric"] for r in published if r["claim"] == "fig3a_rise"] == ["top-1", "top-5"]
