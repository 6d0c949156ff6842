"""The project's SQL store: the only package that owns SQL engines and sessions.

Works unchanged on a SQLite file and on PostgreSQL. Its tables are named dse_* so that Optuna's
tables can live in the same database.
"""

from __future__ import annotations

from dse.store._engine import database_failure, pg_connect_args, prepare_pg_engine
from dse.store._frame import load_results, load_results_frame, results_frame
from dse.store._queue import ItemLease, ItemState, QueueCounts, WorkQueue
from dse.store._repository import Store, open_store, unknown_study
from dse.store._urls import SUPPORTED_DIALECTS, driver_url, redact_url

__all__ = [
    "SUPPORTED_DIALECTS",
    "ItemLease",
    "ItemState",
    "QueueCounts",
    "Store",
    "WorkQueue",
    "database_failure",
    "driver_url",
    "load_results",
    "load_results_frame",
    "open_store",
    "pg_connect_args",
    "prepare_pg_engine",
    "redact_url",
    "results_frame",
    "unknown_study",
]
