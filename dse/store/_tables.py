"""ORM tables of the store.

Every name starts with dse_: Optuna keeps its own tables in the same database, and ours must
never collide with them. Strings are unbounded so that SQLite and PostgreSQL accept the same
rows (SQLite ignores VARCHAR lengths; PostgreSQL enforces them).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Double,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = ["ADDED_COLUMNS", "ArchRow", "Base", "CompressionRow", "CurveRow", "HypervolumeRow",
           "ItemRow", "LatencyRow", "ResultRow"]


class Base(DeclarativeBase):
    """Declarative base holding only the store's tables."""


class ArchRow(Base):
    """One network, keyed by the fingerprint of its expanded spec (dse_architectures)."""

    __tablename__ = "dse_architectures"

    fingerprint: Mapped[str] = mapped_column(String(16), primary_key=True)
    arch: Mapped[dict[str, Any]] = mapped_column(JSON)
    widths: Mapped[list[list[int]]] = mapped_column(JSON)
    # 64-bit: MACs of a full-size network at a large input pass 2^31.
    params: Mapped[int] = mapped_column(BigInteger)
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    macs: Mapped[int] = mapped_column(BigInteger)
    activations: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ResultRow(Base):
    """One trial outcome (dse_results); its columns are the fields of ResultRecord.

    No foreign key to dse_architectures: a rejected trial may name a network that was never
    stored, and results are joined to architectures only when read.
    """

    __tablename__ = "dse_results"
    __table_args__ = (
        # find_reusable looks across all studies, so the study is not part of this index.
        Index("ix_dse_results_reuse", "fingerprint", "seed", "dataset", "train_config_hash"),
        Index("ix_dse_results_study", "study", "trial_number"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    study: Mapped[str] = mapped_column(String)
    trial_number: Mapped[int] = mapped_column(Integer)
    point: Mapped[dict[str, Any]] = mapped_column(JSON)
    seed: Mapped[int] = mapped_column(BigInteger)
    fingerprint: Mapped[str] = mapped_column(String)
    dataset: Mapped[str] = mapped_column(String)
    train_config_hash: Mapped[str] = mapped_column(String)
    status: Mapped[str] = mapped_column(String)
    val_top1: Mapped[float | None] = mapped_column(Double)
    val_top5: Mapped[float | None] = mapped_column(Double)
    test_top1: Mapped[float | None] = mapped_column(Double)
    test_top5: Mapped[float | None] = mapped_column(Double)
    train_loss: Mapped[float | None] = mapped_column(Double)
    epochs: Mapped[int | None] = mapped_column(Integer)
    budget: Mapped[int | None] = mapped_column(Integer)
    wall_time_s: Mapped[float | None] = mapped_column(Double)
    images_per_s: Mapped[float | None] = mapped_column(Double)
    device: Mapped[str | None] = mapped_column(String)
    threads: Mapped[int | None] = mapped_column(Integer)
    seed_batch: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(Text)
    reused_from: Mapped[int | None] = mapped_column(Integer)
    reused_from_study: Mapped[str | None] = mapped_column(String)
    git_commit: Mapped[str | None] = mapped_column(String)
    config_hash: Mapped[str | None] = mapped_column(String)
    versions: Mapped[dict[str, str]] = mapped_column(JSON)
    weights_artifact: Mapped[str | None] = mapped_column(String)
    weights_store: Mapped[str | None] = mapped_column(Text)
    weights_bytes: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LatencyRow(Base):
    """Inference latency of a network, once per (network, device, runtime, threads, batch)."""

    __tablename__ = "dse_latency"
    __table_args__ = (
        UniqueConstraint("fingerprint", "device", "runtime", "threads", "batch",
                         name="uq_dse_latency_setting"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    fingerprint: Mapped[str] = mapped_column(String)
    device: Mapped[str] = mapped_column(String)
    runtime: Mapped[str] = mapped_column(String)
    threads: Mapped[int] = mapped_column(Integer)
    batch: Mapped[int] = mapped_column(Integer)
    median_ms: Mapped[float] = mapped_column(Double)
    q1_ms: Mapped[float] = mapped_column(Double)
    q3_ms: Mapped[float] = mapped_column(Double)
    repeats: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CompressionRow(Base):
    """A trial's network compressed with one setting, once per (study, trial, setting)."""

    __tablename__ = "dse_compression"
    __table_args__ = (
        UniqueConstraint("study", "trial_number", "setting", name="uq_dse_compression_setting"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    study: Mapped[str] = mapped_column(String)
    trial_number: Mapped[int] = mapped_column(Integer)
    seed: Mapped[int] = mapped_column(BigInteger)
    fingerprint: Mapped[str] = mapped_column(String)
    setting: Mapped[str] = mapped_column(String)
    setting_hash: Mapped[str] = mapped_column(String)
    keep: Mapped[float] = mapped_column(Double)
    bits: Mapped[dict[str, int]] = mapped_column(JSON)
    index_bits: Mapped[int] = mapped_column(Integer)
    prune: Mapped[str] = mapped_column(String)
    kept_fraction: Mapped[float] = mapped_column(Double)
    compressed_bytes: Mapped[int] = mapped_column(BigInteger)
    original_bytes: Mapped[int] = mapped_column(BigInteger)
    val_top1: Mapped[float | None] = mapped_column(Double)
    val_top5: Mapped[float | None] = mapped_column(Double)
    test_top1: Mapped[float | None] = mapped_column(Double)
    test_top5: Mapped[float | None] = mapped_column(Double)
    time_s: Mapped[float] = mapped_column(Double)
    artifact: Mapped[str | None] = mapped_column(String)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class HypervolumeRow(Base):
    """A multi-objective study's hypervolume history and reference point, one row per study.

    The study layer rewrites it as trials end (Optuna computes it); readers never need Optuna.
    """

    __tablename__ = "dse_hypervolume"

    study: Mapped[str] = mapped_column(String, primary_key=True)
    objectives: Mapped[list[str]] = mapped_column(JSON)
    reference: Mapped[list[float]] = mapped_column(JSON)  # one value per objective
    history: Mapped[list[list[float]]] = mapped_column(JSON)  # [trial number, hypervolume]
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CurveRow(Base):
    """One epoch of a trial's learning curve (dse_curves; dse.store._curves), once per
    (study, trial, epoch). A store made before curves existed gains the table when opened."""

    __tablename__ = "dse_curves"
    # its index also serves the reads, by study or by (study, trial): they are its prefixes
    __table_args__ = (
        UniqueConstraint("study", "trial_number", "epoch", name="uq_dse_curves_epoch"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    study: Mapped[str] = mapped_column(String)
    trial_number: Mapped[int] = mapped_column(Integer)
    epoch: Mapped[int] = mapped_column(Integer)  # 1-based
    val_top1: Mapped[float | None] = mapped_column(Double)
    val_top5: Mapped[float | None] = mapped_column(Double)
    train_loss: Mapped[float | None] = mapped_column(Double)  # mean over the epoch's steps


class ItemRow(Base):
    """One (point, budget, seed) of a grid study and who runs it (dse_work_items;
    dse.store._queue).

    The table of the first release, dse_items, keyed items by point and seed alone; it is left
    as it was and unused: a study's queue is rebuilt from its stored results (what
    dse.search fills a queue from for a study that has none).
    """

    __tablename__ = "dse_work_items"
    __table_args__ = (
        UniqueConstraint("study", "item_key", "seed", name="uq_dse_work_items_item"),
        Index("ix_dse_work_items_next", "study", "state", "position"),  # every claim reads it
        Index("ix_dse_work_items_holder", "study", "token"),  # renewals, who holds what
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    study: Mapped[str] = mapped_column(String)
    item_key: Mapped[str] = mapped_column(Text)  # point and budget (dse.core.sweep.item_key)
    seed: Mapped[int] = mapped_column(BigInteger)
    position: Mapped[int] = mapped_column(Integer)  # grid order: items run in this order
    state: Mapped[str] = mapped_column(String)  # waiting, leased, done, exhausted
    tries: Mapped[int] = mapped_column(Integer, default=0)  # failures that used a retry
    lease_until: Mapped[float | None] = mapped_column(Double)  # database clock, epoch seconds
    worker: Mapped[str | None] = mapped_column(String)
    token: Mapped[str | None] = mapped_column(String)  # the claim holding it (renews its lease)
    trial_number: Mapped[int | None] = mapped_column(Integer)  # the Optuna trial running it


# Nullable columns added after the first release: a database without them gets them (ALTER
# TABLE ADD COLUMN; its rows read NULL there). No other change is ever made to a table.
ADDED_COLUMNS = {"dse_results": ("threads", "seed_batch", "weights_artifact", "weights_store",
                                  "weights_bytes", "budget")}
