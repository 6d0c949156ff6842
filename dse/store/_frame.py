"""Reading a study back: records, or one table row per result joined with its network."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, fields
from typing import TYPE_CHECKING, Any

from dse.core.records import ArchRecord, ResultRecord
from dse.core.spec import ArchSpec
from dse.store._repository import open_store

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["load_results", "load_results_frame", "results_frame"]

_RESULT_COLUMNS = tuple(f.name for f in fields(ResultRecord))
_ARCH_COLUMNS = ("params", "size_bytes", "size_mb", "macs", "activations")
# Fixed dtypes, so that an empty study gives the same schema as a full one. Optional ints are
# nullable (Int64); text is pandas' str dtype (missing = NaN); times are UTC.
_DTYPES = {
    **dict.fromkeys(("trial_number", "seed"), "int64"),
    **dict.fromkeys(("epochs", "budget", "reused_from", "id", "params", "size_bytes", "macs",
                     "activations"), "Int64"),
    **dict.fromkeys(("val_top1", "val_top5", "test_top1", "test_top5", "train_loss", "wall_time_s",
                     "images_per_s", "size_mb"), "float64"),
    **dict.fromkeys(("study", "fingerprint", "dataset", "train_config_hash", "status", "device",
                     "reason", "reused_from_study", "git_commit", "config_hash"), "str"),
    "created_at": "datetime64[us, UTC]",
}
_SPEC = ArchSpec().to_dict()


def _dtype_of(default: Any) -> str:
    """Frame dtype of an ArchSpec field, from its default (bool first: a bool is an int)."""
    for kind, dtype in ((bool, "boolean"), (int, "Int64"), (float, "float64"), (str, "str")):
        if isinstance(default, kind):
            return dtype
    return "object"


def load_results(storage_url: str, study: str) -> list[ResultRecord]:
    """Every result of `study` in the store at `storage_url`, by trial number.

    Args:
        storage_url: the store's database URL.
        study: the study's name.

    Returns:
        The results; empty for an unknown study.
    """
    with open_store(storage_url) as store:
        return store.results(study)


def _row(result: ResultRecord, arch: ArchRecord | None) -> dict[str, Any]:
    """One frame row: the result's fields, its point as point_<key>, its network's fields."""
    row = asdict(result)
    row.update({f"point_{key}": value for key, value in result.point.items()})
    if arch is not None:
        row.update(arch.arch)
        row.update(
            params=arch.params, size_bytes=arch.size_bytes, size_mb=arch.size_mb,
            macs=arch.macs, activations=arch.activations,
        )
    return row


def results_frame(results: Sequence[ResultRecord], archs: Mapping[str, ArchRecord]) -> pd.DataFrame:
    """One row per result, joined with its network (pure: no database).

    Columns: every ResultRecord field (point and versions stay dicts), point_<key> for each
    swept value, the network's accounting (params, size_bytes, size_mb in 2^20 bytes, macs,
    activations) and its flat ArchSpec fields (base_e, sr, pct3x3, bypass, ...). A result
    whose network is not in `archs` has NA there.

    Args:
        results: the results, in the order the rows should have.
        archs: fingerprint -> network, as Store.archs returns them.

    Returns:
        The frame; with no results, empty but with the same fixed columns and dtypes.
    """
    import pandas as pd  # lazy: only the analysis needs pandas

    rows = [_row(result, archs.get(result.fingerprint)) for result in results]
    point_columns = sorted({key for row in rows for key in row if key.startswith("point_")})
    extra = sorted({key for row in rows for key in row} - set(_RESULT_COLUMNS) - set(_ARCH_COLUMNS)
                   - set(_SPEC) - set(point_columns))
    columns = [*_RESULT_COLUMNS, *point_columns, *_ARCH_COLUMNS, *_SPEC, *extra]
    dtypes = {**_DTYPES, **{name: _dtype_of(default) for name, default in _SPEC.items()}}
    return pd.DataFrame(rows, columns=columns).astype(dtypes)


def load_results_frame(storage_url: str, study: str) -> pd.DataFrame:
    """One row per result of `study`, joined with its network (see results_frame).

    Args:
        storage_url: the store's database URL.
        study: the study's name.

    Returns:
        The frame, ordered by trial number.
    """
    with open_store(storage_url) as store:
        results = store.results(study)
        archs = store.archs(result.fingerprint for result in results)
    return results_frame(results, archs)
