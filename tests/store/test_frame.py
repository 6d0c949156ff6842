"""Reading studies back: load_results and the joined frame."""

from __future__ import annotations

import math

import pandas as pd

from dse.core.records import ResultRecord
from dse.store import load_results, load_results_frame, open_store, results_frame
from store._records import proxy_arch, result

FIXED = ["study", "trial_number", "point", "seed", "fingerprint", "status", "val_top1",
         "params", "size_bytes", "size_mb", "macs", "activations",
         "base_e", "incr_e", "freq", "sr", "pct3x3", "bypass", "stem", "batch_norm"]


def _fill(url: str) -> list[ResultRecord]:
    """Store two networks and three results of study "s" (one rejected, never stored)."""
    small, large = proxy_arch(sr=0.25), proxy_arch(sr=0.75)
    with open_store(url) as store:
        store.save_arch(small)
        store.save_arch(large)
        store.save_result(result(large, trial_number=1, point={"sr": 0.75}, val_top1=0.5))
        store.save_result(result(small, trial_number=0, point={"sr": 0.25}, val_top1=0.25))
        store.save_result(result(small, trial_number=2, point={"sr": 0.5}, status="rejected",
                                 fingerprint="f" * 16, val_top1=None, val_top5=None))
        store.save_result(result(small, study="other"))
        return store.results("s")


def test_load_results(store_url: str) -> None:
    stored = _fill(store_url)
    assert load_results(store_url, "s") == stored
    assert [r.trial_number for r in stored] == [0, 1, 2]


def test_load_results_frame(store_url: str) -> None:
    _fill(store_url)
    frame = load_results_frame(store_url, "s")
    assert set(FIXED) <= set(frame.columns)
    assert "point_sr" in frame.columns
    assert frame["trial_number"].tolist() == [0, 1, 2]
    assert frame["point_sr"].tolist() == [0.25, 0.75, 0.5]
    first, second, rejected = (frame.iloc[i] for i in range(3))
    small, large = proxy_arch(sr=0.25), proxy_arch(sr=0.75)
    assert (first["params"], first["macs"], first["sr"]) == (small.params, small.macs, 0.25)
    assert second["size_bytes"] == large.size_bytes
    assert second["size_mb"] == large.size_bytes / 2**20
    assert first["stem"] == "small" and bool(first["batch_norm"])
    assert first["pool_after"] == ["conv1", "fire4", "fire8"]
    # The rejected trial's network was never stored: its network columns are missing values.
    assert pd.isna(rejected["params"]) and pd.isna(rejected["sr"]) and pd.isna(rejected["val_top1"])
    assert frame["params"].dtype == "Int64" and frame["base_e"].dtype == "Int64"
    assert frame["val_top1"].dtype == "float64"
    assert str(frame["created_at"].dtype) == "datetime64[us, UTC]"


def test_an_empty_study_has_the_same_columns_and_dtypes(store_url: str) -> None:
    _fill(store_url)
    full = load_results_frame(store_url, "s")
    empty = load_results_frame(store_url, "nope")
    assert empty.empty
    shared = [c for c in full.columns if not c.startswith("point_")]
    assert list(empty.columns) == shared
    assert empty.dtypes.to_dict() == full[shared].dtypes.to_dict()


def test_results_frame_is_pure() -> None:
    arch = proxy_arch()
    rec = result(arch, train_loss=None, val_top1=math.inf)
    frame = results_frame([rec], {arch.fingerprint: arch})
    assert frame.loc[0, "params"] == arch.params and frame.loc[0, "val_top1"] == math.inf
