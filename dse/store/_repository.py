"""The Store: saving and querying architecture and result records."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import fields
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

from sqlalchemy import func, inspect, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from dse.core.records import (
    ArchRecord,
    CompressionRecord,
    HypervolumeRecord,
    LatencyRecord,
    ResultRecord,
    Status,
)
from dse.core.study_records import StudyRecords
from dse.core.sweep import item_key
from dse.store._curves import CurveMethods
from dse.store._engine import connect
from dse.store._lock import named_lock
from dse.store._queue import WorkQueue, item_done
from dse.store._tables import ArchRow, CompressionRow, HypervolumeRow, LatencyRow, ResultRow
from dse.store._urls import redact_url

__all__ = ["Store", "open_store", "unknown_study"]

_ARCH_FIELDS = tuple(f.name for f in fields(ArchRecord))
_LATENCY_FIELDS = tuple(f.name for f in fields(LatencyRecord))
_COMPRESSION_FIELDS = tuple(f.name for f in fields(CompressionRecord) if f.name != "id")
_RESULT_FIELDS = tuple(f.name for f in fields(ResultRecord) if f.name != "id")
_METRICS = ("val_top1", "val_top5", "test_top1", "test_top5", "train_loss", "wall_time_s",
            "images_per_s")
_IN_CHUNK = 500  # fingerprints per IN (...) list


def _utc(moment: datetime | None) -> datetime:
    """An aware UTC datetime; naive ones (SQLite drops the zone) are taken as UTC."""
    if moment is None:
        return datetime.now(UTC)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _no_nan(value: Any) -> Any:
    """None for NaN, else the value: SQLite stores NaN as NULL, so PostgreSQL must too."""
    return None if isinstance(value, float) and math.isnan(value) else value


def _arch_values(rec: ArchRecord) -> dict[str, Any]:
    """Column values of dse_architectures for `rec`."""
    values = {name: getattr(rec, name) for name in _ARCH_FIELDS}
    return {**values, "created_at": datetime.now(UTC)}


def _result_values(rec: ResultRecord) -> dict[str, Any]:
    """Column values of dse_results for `rec` (the id is the database's to choose)."""
    values = {name: getattr(rec, name) for name in _RESULT_FIELDS}
    for name in _METRICS:
        values[name] = _no_nan(values[name])
    values["created_at"] = _utc(rec.created_at)
    values["status"] = rec.status.value  # the plain text, whatever the driver makes of enums
    return values


def _arch_record(row: ArchRow) -> ArchRecord:
    """The record of a dse_architectures row."""
    return ArchRecord(**{name: getattr(row, name) for name in _ARCH_FIELDS})


def _result_record(row: ResultRow) -> ResultRecord:
    """The record of a dse_results row."""
    values = {name: getattr(row, name) for name in _RESULT_FIELDS}
    values["created_at"] = _utc(row.created_at)
    return ResultRecord(id=row.id, **values)


class Store(CurveMethods):
    """Architectures, results and their learning curves (save_curve, curves) in one SQL
    database (a SQLite file or PostgreSQL).

    Safe to use from several processes at once; each process opens its own Store.
    """

    def __init__(self, engine: Engine) -> None:
        """Wrap an engine whose tables exist (open_store makes one)."""
        self._engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @property
    def url(self) -> str:
        """The database URL with its password hidden."""
        return self._engine.url.render_as_string(hide_password=True)

    def __repr__(self) -> str:
        """Store(<url with password hidden>)."""
        return f"Store({self.url})"

    def save_arch(self, rec: ArchRecord) -> None:
        """Store a network unless its fingerprint is already stored (the first write wins).

        Idempotent and safe when several processes save the same network at once.

        Args:
            rec: the network's record.
        """
        dialect = postgresql if self._engine.dialect.name == "postgresql" else sqlite
        statement = (
            dialect.insert(ArchRow)
            .values(**_arch_values(rec))
            .on_conflict_do_nothing(index_elements=["fingerprint"])
        )
        with self._sessions.begin() as session:
            session.execute(statement)

    def save_result(self, rec: ResultRecord) -> int:
        """Append one result; NaN metrics are stored as None.

        A final result marks its grid item done (dse.store._queue) in the same transaction.

        Args:
            rec: the result; its id, if any, is ignored.

        Returns:
            The new row's id.
        """
        row = ResultRow(**_result_values(rec))
        with self._sessions.begin() as session:
            session.add(row)
            session.flush()
            if rec.status.final and rec.budget is not None:  # its grid item is done with it
                session.execute(item_done(rec.study, item_key(rec.point, rec.budget), rec.seed))
            return row.id

    def find_reusable(
        self, *, fingerprint: str, seed: int, dataset: str, train_config_hash: str
    ) -> ResultRecord | None:
        """A stored result that training this network again would reproduce, from any study.

        Only "complete" and "diverged" results count; the earliest stored one is returned.

        Args:
            fingerprint: the network's fingerprint.
            seed: the training seed.
            dataset: the dataset's name.
            train_config_hash: hash of the training configuration.

        Returns:
            The result, or None when there is none.
        """
        query = (
            select(ResultRow)
            .where(
                ResultRow.fingerprint == fingerprint,
                ResultRow.seed == seed,
                ResultRow.dataset == dataset,
                ResultRow.train_config_hash == train_config_hash,
                ResultRow.status.in_([s.value for s in Status if s.reusable]),
            )
            .order_by(ResultRow.id)
            .limit(1)
        )
        with self._sessions() as session:
            row = session.scalars(query).first()
            return None if row is None else _result_record(row)

    def results(self, study: str) -> list[ResultRecord]:
        """Every result of `study`, by trial number (then by order of saving).

        Args:
            study: the study's name.

        Returns:
            The results; empty for an unknown study.
        """
        query = (
            select(ResultRow)
            .where(ResultRow.study == study)
            .order_by(ResultRow.trial_number, ResultRow.id)
        )
        with self._sessions() as session:
            return [_result_record(row) for row in session.scalars(query)]

    def archs(self, fingerprints: Iterable[str]) -> dict[str, ArchRecord]:
        """The stored networks among `fingerprints`, keyed by fingerprint.

        Args:
            fingerprints: fingerprints to look up; unknown ones are left out of the answer.

        Returns:
            fingerprint -> ArchRecord.
        """
        wanted = sorted(set(fingerprints))
        found: dict[str, ArchRecord] = {}
        with self._sessions() as session:
            for start in range(0, len(wanted), _IN_CHUNK):
                chunk = wanted[start : start + _IN_CHUNK]
                query = select(ArchRow).where(ArchRow.fingerprint.in_(chunk))
                found.update((row.fingerprint, _arch_record(row)) for row in session.scalars(query))
        return found

    def save_latency(self, rec: LatencyRecord) -> None:
        """Store a latency unless its (network, device, runtime, threads, batch) is stored.

        The first write wins; safe when several processes measure the same network at once.
        """
        dialect = postgresql if self._engine.dialect.name == "postgresql" else sqlite
        values = {name: getattr(rec, name) for name in _LATENCY_FIELDS}
        statement = (
            dialect.insert(LatencyRow)
            .values(**values, created_at=datetime.now(UTC))
            .on_conflict_do_nothing(index_elements=["fingerprint", "device", "runtime", "threads",
                                                    "batch"])
        )
        with self._sessions.begin() as session:
            session.execute(statement)

    def latencies(self, fingerprints: Iterable[str]) -> list[LatencyRecord]:
        """Every stored latency of the networks among `fingerprints`."""
        wanted = sorted(set(fingerprints))
        found: list[LatencyRecord] = []
        with self._sessions() as session:
            for start in range(0, len(wanted), _IN_CHUNK):
                query = select(LatencyRow).where(
                    LatencyRow.fingerprint.in_(wanted[start : start + _IN_CHUNK]))
                found += [LatencyRecord(**{name: getattr(row, name) for name in _LATENCY_FIELDS})
                          for row in session.scalars(query)]
        return found

    def save_compression(self, rec: CompressionRecord) -> bool:
        """Store a compression unless its (study, trial, setting) is stored; the first wins.

        Returns:
            Whether this record was stored (False: one was there already).
        """
        dialect = postgresql if self._engine.dialect.name == "postgresql" else sqlite
        values = {name: getattr(rec, name) for name in _COMPRESSION_FIELDS}
        for name in ("val_top1", "val_top5", "test_top1", "test_top5"):
            values[name] = _no_nan(values[name])
        statement = (
            dialect.insert(CompressionRow)
            .values(**{**values, "created_at": _utc(rec.created_at)})
            .on_conflict_do_nothing(index_elements=["study", "trial_number", "setting"])
            .returning(CompressionRow.id)  # a row back: inserted (rowcount is -1 on psycopg)
        )
        with self._sessions.begin() as session:
            return session.execute(statement).first() is not None

    def compressions(self, study: str) -> list[CompressionRecord]:
        """Every stored compression of `study`, in save order."""
        query = select(CompressionRow).where(CompressionRow.study == study).order_by(
            CompressionRow.id)
        with self._sessions() as session:
            return [CompressionRecord(id=row.id, **{
                name: _utc(row.created_at) if name == "created_at" else getattr(row, name)
                for name in _COMPRESSION_FIELDS}) for row in session.scalars(query)]

    def save_hypervolume(self, study: str, rec: HypervolumeRecord) -> None:
        """Store `study`'s hypervolume history, replacing the one stored (the study layer's).

        Args:
            study: the study's name.
            rec: its objectives, reference point and history.
        """
        dialect = postgresql if self._engine.dialect.name == "postgresql" else sqlite
        values = {"objectives": list(rec.objectives), "reference": list(rec.reference),
                  "history": [[n, v] for n, v in rec.history], "updated_at": datetime.now(UTC)}
        statement = dialect.insert(HypervolumeRow).values(study=study, **values)
        statement = statement.on_conflict_do_update(index_elements=["study"], set_=values)
        with self._sessions.begin() as session:
            session.execute(statement)

    def hypervolume(self, study: str) -> HypervolumeRecord | None:
        """`study`'s stored hypervolume history, or None (not a multi-objective search)."""
        with self._sessions() as session:
            row = session.get(HypervolumeRow, study)
            if row is None:
                return None
            return HypervolumeRecord(list(row.objectives), [float(v) for v in row.reference],
                                     [(int(n), float(v)) for n, v in row.history])

    def study_records(self, study: str) -> StudyRecords:
        """Everything stored of `study` that its summary, verdicts and figures read.

        Args:
            study: the study's name.

        Returns:
            Its results (empty for an unknown study), their networks, those networks'
            latencies, its compressions, its hypervolume history and its learning curves.
        """
        results = self.results(study)
        archs = self.archs(r.fingerprint for r in results)
        return StudyRecords(study, results, archs, latencies=self.latencies(archs),
                            compressions=self.compressions(study),
                            hypervolume=self.hypervolume(study), curves=self.curves(study))

    def studies(self) -> list[str]:
        """Names of the studies that have results, sorted."""
        query = select(ResultRow.study).distinct().order_by(ResultRow.study)
        with self._sessions() as session:
            return list(session.scalars(query))

    def count_results(self, study: str, *, final_upto_trial: int | None = None) -> int:
        """How many results `study` has (0 for an unknown study); with `final_upto_trial`, how
        many final ones were saved up to that trial's latest (the study-wide count as of it)."""
        query = select(func.count()).select_from(ResultRow).where(ResultRow.study == study)
        if final_upto_trial is not None:
            last = select(func.max(ResultRow.id)).where(
                ResultRow.study == study, ResultRow.trial_number == final_upto_trial)
            query = query.where(ResultRow.id <= last.scalar_subquery(),
                                ResultRow.status != Status.FAILED.value)
        with self._sessions() as session:
            return int(session.scalar(query) or 0)

    def trial_statuses(self, study: str, numbers: Iterable[int]) -> dict[int, tuple[Status, str]]:
        """The status and reason of the latest result of each of these trials that has one."""
        query = (select(ResultRow.trial_number, ResultRow.status, ResultRow.reason)
                 .where(ResultRow.study == study, ResultRow.trial_number.in_(set(numbers)))
                 .order_by(ResultRow.id))
        with self._sessions() as session:
            return {n: (Status(status), reason or "") for n, status, reason in session.execute(query)}

    def has_tables(self, *names: str) -> bool:
        """Whether the database has every one of these tables (another library's, too)."""
        return set(names) <= set(inspect(self._engine).get_table_names())

    def queue(self, study: str) -> WorkQueue:
        """The work queue of a grid study (its items and their leases)."""
        return WorkQueue(self._engine, study)

    def lock(self, name: str) -> AbstractContextManager[None]:
        """A lock that every process using this store shares, to run a critical section.

        It never blocks other connections' reads or writes (Optuna's included), and a process
        that dies releases it. Not reentrant: do not take the same name twice in one process.
        PostgreSQL uses an advisory lock; a SQLite file, flock() on <file>.locks/<hash>.

        Args:
            name: what is locked, e.g. "study:<name>".

        Returns:
            A context manager holding the lock for the with-block.
        """
        return named_lock(self._engine, name)

    def close(self) -> None:
        """Close every pooled connection."""
        self._engine.dispose()

    def __enter__(self) -> Store:
        """Use the store in a with-block that closes it."""
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        """Close the store."""
        self.close()


def open_store(url: str) -> Store:
    """Open the store at `url`, creating its tables where missing (never dropping any).

    Args:
        url: sqlite:///path/to/file.db or postgresql://user:password@host:port/database.

    Returns:
        The store; close it (or use it in a with-block) when done.

    Raises:
        ValueError: the URL is malformed or unsupported, or the database cannot be reached
            or prepared; one line, with the password hidden.
    """
    return Store(connect(url))


def unknown_study(study: str, studies: Sequence[str], storage_url: str) -> str:
    """The one-line message for a study the store does not have.

    Args:
        study: the name asked for.
        studies: the names the store has.
        storage_url: the store's URL (shown with its password hidden).

    Returns:
        The message.
    """
    known = f"studies there: {', '.join(studies)}" if studies else "it has no studies yet"
    return f"unknown study {study!r} in {redact_url(storage_url)}; {known}"
