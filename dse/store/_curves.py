"""Learning curves in the store (dse_curves): each trial's validation top-1 and top-5 and train
loss after every epoch, the Store's methods for them (Store inherits CurveMethods)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from dse.core.records import CurvePoint
from dse.store._tables import CurveRow

__all__ = ["CurveMethods"]

_METRICS = ("val_top1", "val_top5", "train_loss")


def _finite(value: float | None) -> float | None:
    """None for NaN and infinities (a diverged epoch's loss), else the value as a float."""
    return None if value is None or not math.isfinite(value) else float(value)


def _values(point: CurvePoint) -> dict[str, Any]:
    """Column values of dse_curves for `point`."""
    return {"study": point.study, "trial_number": point.trial_number, "epoch": point.epoch,
            **{name: _finite(getattr(point, name)) for name in _METRICS}}


class CurveMethods:
    """Saving and reading learning curves; mixed into Store, whose engine and sessions they use."""

    _engine: Engine
    _sessions: sessionmaker[Session]

    def save_curve(self, points: Sequence[CurvePoint]) -> None:
        """Store a trial's curve in one transaction; epochs already stored are kept as they are
        (the first write wins), so saving a curve twice stores it once.

        Safe when several processes save the same trial's curve at once. NaN and infinite
        values are stored as None.

        Args:
            points: the curve, one point per epoch (any order).
        """
        if not points:
            return
        dialect = postgresql if self._engine.dialect.name == "postgresql" else sqlite
        statement = dialect.insert(CurveRow).on_conflict_do_nothing(
            index_elements=["study", "trial_number", "epoch"])
        with self._sessions.begin() as session:
            session.execute(statement, [_values(p) for p in points])

    def curves(self, study: str, *, trial_number: int | None = None) -> list[CurvePoint]:
        """The stored curves of `study` (of one trial when `trial_number` is given).

        Args:
            study: the study's name.
            trial_number: only this trial's curve.

        Returns:
            The points, by trial number and epoch; empty for a study or trial without any.
        """
        query = select(CurveRow).where(CurveRow.study == study)
        if trial_number is not None:
            query = query.where(CurveRow.trial_number == trial_number)
        query = query.order_by(CurveRow.trial_number, CurveRow.epoch)
        with self._sessions() as session:
            return [CurvePoint(study=row.study, trial_number=row.trial_number, epoch=row.epoch,
                               **{name: getattr(row, name) for name in _METRICS})
                    for row in session.scalars(query)]
