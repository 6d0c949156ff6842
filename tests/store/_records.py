"""Record factories shared by the store tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, create_engine

from dse.core.presets import preset
from dse.core.records import ArchRecord, ResultRecord, arch_record
from dse.store import driver_url, open_store

BUDGET = 20  # the training budget (epochs) of the results `result` makes


def proxy_arch(**overrides: Any) -> ArchRecord:
    """The CPU proxy network's record, with any ArchSpec field overridden."""
    return arch_record(preset("cpu_proxy", **overrides))


def result(arch: ArchRecord, **fields: Any) -> ResultRecord:
    """A complete result of `arch` in study "s", trial 0, at BUDGET, with any field overridden."""
    values: dict[str, Any] = {
        "study": "s", "trial_number": 0, "point": {"sr": arch.arch["sr"]}, "seed": 0,
        "fingerprint": arch.fingerprint, "dataset": "digits", "train_config_hash": "t" * 16,
        "status": "complete", "val_top1": 0.9, "val_top5": 0.99, "budget": BUDGET,
    }
    return ResultRecord(**{**values, **fields})


def as_older_release(store_url: str, change: Callable[[Connection], None]) -> ArchRecord:
    """Store one result of the proxy network, then `change` the schema back, as an older dse had it."""
    arch = proxy_arch()
    with open_store(store_url) as store:
        store.save_arch(arch)
        store.save_result(result(arch))
    engine = create_engine(driver_url(store_url))
    with engine.begin() as conn:
        change(conn)
    engine.dispose()
    return arch
