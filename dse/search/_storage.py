"""Optuna's storage on the store's database: built here once for the study layer and dashboard."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import optuna

from dse.store import driver_url, pg_connect_args, prepare_pg_engine

__all__ = ["SQLITE_TIMEOUT_S", "optuna_storage", "study_definition"]

SQLITE_TIMEOUT_S = 60  # seconds a SQLite connection waits for a lock


def optuna_storage(storage_url: str, *, heartbeat_s: int | None = None,
                   on_stale: Callable[[optuna.Study, Any], None] | None = None
                   ) -> optuna.storages.RDBStorage:
    """Optuna's RDBStorage on `storage_url`; with heartbeats when `heartbeat_s` is given.

    A trial whose worker sent no heartbeat for 3 x heartbeat_s is failed, and `on_stale`
    is called with it.
    """
    url = driver_url(storage_url)
    kwargs: dict[str, Any] = {"pool_pre_ping": True, "connect_args": pg_connect_args(url),
                              "pool_size": 1, "max_overflow": 1}  # one kept per process
    if url.startswith("sqlite"):
        kwargs = {"connect_args": {"timeout": SQLITE_TIMEOUT_S}}
    if heartbeat_s is None:
        storage = optuna.storages.RDBStorage(url, engine_kwargs=kwargs)
    else:
        storage = optuna.storages.RDBStorage(
            url, engine_kwargs=kwargs, heartbeat_interval=heartbeat_s,
            grace_period=3 * heartbeat_s, heartbeat_stale_trial_callback=on_stale)
    prepare_pg_engine(storage.engine)  # UTC heartbeats and bounded waits, as the store's
    return storage


def study_definition(storage_url: str, study: str) -> dict[str, Any]:
    """What dse.run stored as the study's definition (sweep, network, data, training, seeds).

    Raises:
        ValueError: Optuna has no study of that name there.
    """
    try:
        loaded = optuna.load_study(study_name=study, storage=optuna_storage(storage_url))
    except KeyError:
        raise ValueError(f"no Optuna study {study!r} in the database (dse.run makes it)") from None
    return dict(loaded.user_attrs.get("dse_definition") or {})
