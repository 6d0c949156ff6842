"""The work queue of a grid study: one row per (point, budget, seed) item, taken under a lease.

An item is `waiting`, `leased` (a worker runs it until `lease_until`), `done` (a final result
is stored: Store.save_result marks it in the same transaction) or `exhausted` (its retries are
used up). Leases are seconds since the Unix epoch
read from the database's clock, so neither the workers' clocks nor their session time zones
(PGTZ) change what has expired.

Every claim is one short transaction of indexed statements that lock only the rows they take
(PostgreSQL: FOR UPDATE SKIP LOCKED; SQLite serialises its writers), so its cost does not grow
with the study, and a stopped worker holds nothing but its own items until their lease ends.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import and_, case, func, literal_column, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.sql.dml import Update

from dse.store._tables import ItemRow

__all__ = ["ItemLease", "ItemState", "QueueCounts", "WorkQueue", "item_done"]



class ItemState(StrEnum):
    """Where an item stands (stored as the value)."""

    WAITING = "waiting"
    LEASED = "leased"
    DONE = "done"
    EXHAUSTED = "exhausted"


WAITING, LEASED, DONE, EXHAUSTED = (state.value for state in ItemState)  # plain str for SQL
_INSERT_CHUNK = 10_000  # rows per executemany when a grid is first queued


@dataclass(frozen=True)
class ItemLease:
    """An item a claim took: run it while the lease holds.

    A taken-over item's last worker stopped renewing its lease; `exhausted` says that the lost
    try used the item's last retry, so it was not taken.
    """

    key: str
    seed: int
    token: str
    tries: int = 0  # failed tries that used a retry, the lost one included
    taken_over: bool = False  # its last worker's lease ran out
    exhausted: bool = False


@dataclass(frozen=True)
class QueueCounts:
    """The items of a study by state, as one indexed aggregate reads them."""

    waiting: int
    leased: int
    running: int  # held by a live claim (leased, or done and its trial still being told)
    expired: int  # leased, lease expired: the next claim takes them over
    orphaned: int  # done, but the claim's hold lapsed before its trial was told
    done: int
    exhausted: int
    next_expiry_s: float | None  # seconds until the first live hold ends

    @property
    def finished(self) -> int:
        """Items with nothing more to run (a final result, or retries used up)."""
        return self.done + self.exhausted

    @property
    def total(self) -> int:
        """Every item queued."""
        return self.waiting + self.leased + self.finished


def _now(engine: Engine) -> literal_column:
    """The database clock in seconds since the epoch (UTC by definition); PostgreSQL reads it at
    the start of the transaction, so one statement sees one time."""
    if engine.dialect.name == "postgresql":
        return literal_column("extract(epoch from now())::double precision")
    return literal_column("((julianday('now') - 2440587.5) * 86400.0)")


def item_done(study: str, key: str, seed: int) -> Update:
    """The statement that marks an item done (Store.save_result runs it with a final result);
    the claim holding it keeps its hold until its trial is told (WorkQueue.finish)."""
    return (update(ItemRow)
            .where(ItemRow.study == study, ItemRow.item_key == key, ItemRow.seed == seed)
            .values(state=DONE))


class WorkQueue:
    """The items of one grid study in the store's database."""

    def __init__(self, engine: Engine, study: str) -> None:
        """A queue over `engine` for `study` (open it through Store.queue)."""
        self._engine, self.study = engine, study
        self._now = _now(engine)

    def size(self) -> int:
        """How many items are queued (an indexed count)."""
        query = select(func.count()).select_from(ItemRow).where(ItemRow.study == self.study)
        with self._engine.connect() as conn:
            return int(conn.scalar(query) or 0)

    def fill(self, items: Sequence[tuple[str, int]],
             prior: dict[tuple[str, int], tuple[ItemState, int]] | None = None) -> None:
        """Queue the items not queued yet, in order; safe to run from many processes at once.

        Args:
            items: every (point key, seed) of the grid, in the order they should run.
            prior: (state, tries) of items that earlier runs settled before the queue existed.
        """
        prior = prior or {}
        dialect = postgresql if self._engine.dialect.name == "postgresql" else sqlite
        rows = [{"study": self.study, "item_key": key, "seed": seed, "position": position,
                 "state": str(prior.get((key, seed), (WAITING, 0))[0]),
                 "tries": prior.get((key, seed), (WAITING, 0))[1]}
                for position, (key, seed) in enumerate(items)]
        statement = dialect.insert(ItemRow).on_conflict_do_nothing()
        with self._engine.begin() as conn:
            for start in range(0, len(rows), _INSERT_CHUNK):
                conn.execute(statement, rows[start:start + _INSERT_CHUNK])  # executemany

    def claim(self, worker: str, *, lease_s: float, group: int, max_retries: int
              ) -> list[ItemLease]:
        """Take the next item, and up to `group` - 1 waiting seeds of its point with it.

        An expired lease is taken over first: its lost try counts against the item's retries
        (max_retries), and an item that has none left is marked exhausted and reported, not
        taken. Returns [] when nothing can be taken now; the items taken share one token.
        """
        token = uuid.uuid4().hex
        taken: list[ItemLease] = []
        with self._engine.begin() as conn:
            while not taken or taken[-1].exhausted:
                first = self._take(conn, worker, token, lease_s, max_retries, expired=True) or \
                    self._take(conn, worker, token, lease_s, max_retries, expired=False)
                if first is None:
                    break
                taken.append(first)
            if taken and not taken[-1].exhausted and group > 1:
                taken += self._same_point(conn, worker, taken[-1], lease_s, group - 1)
        return taken

    def _take(self, conn: Connection, worker: str, token: str, lease_s: float,
              max_retries: int, *, expired: bool) -> ItemLease | None:
        """Lease the first waiting item, or the first whose lease expired (one statement)."""
        where = and_(ItemRow.study == self.study, ItemRow.state == LEASED,
                     ItemRow.lease_until < self._now) if expired else \
            and_(ItemRow.study == self.study, ItemRow.state == WAITING)
        pick = (select(ItemRow.id).where(where).order_by(ItemRow.position).limit(1)
                .with_for_update(skip_locked=True).scalar_subquery())
        lost = ItemRow.state == LEASED
        spent = and_(lost, ItemRow.tries + 1 > max_retries)
        row = conn.execute(
            update(ItemRow).where(ItemRow.id == pick)
            .values(tries=ItemRow.tries + case((lost, 1), else_=0),
                    state=case((spent, EXHAUSTED), else_=LEASED),
                    lease_until=case((spent, None), else_=self._now + lease_s), worker=worker,
                    token=case((spent, None), else_=token))
            .returning(ItemRow.item_key, ItemRow.seed, ItemRow.state, ItemRow.tries)
        ).first()
        if row is None:
            return None
        return ItemLease(row.item_key, row.seed, token, tries=row.tries, taken_over=expired,
                         exhausted=row.state == EXHAUSTED)

    def _same_point(self, conn: Connection, worker: str, first: ItemLease, lease_s: float,
                    more: int) -> list[ItemLease]:
        """Lease up to `more` waiting seeds of `first`'s point (they train in one pass)."""
        pick = (select(ItemRow.id)
                .where(ItemRow.study == self.study, ItemRow.item_key == first.key,
                       ItemRow.state == WAITING)
                .order_by(ItemRow.position).limit(more).with_for_update(skip_locked=True))
        rows = conn.execute(
            update(ItemRow).where(ItemRow.id.in_(pick))
            .values(state=LEASED, lease_until=self._now + lease_s, worker=worker,
                    token=first.token)
            .returning(ItemRow.item_key, ItemRow.seed, ItemRow.tries)
        ).all()
        return sorted((ItemLease(r.item_key, r.seed, first.token, tries=r.tries) for r in rows),
                      key=lambda item: item.seed)

    def _mine(self, item: ItemLease, *states: str) -> list:
        """The WHERE clause of `item`'s row while its claim holds it (in one of `states`)."""
        return [ItemRow.study == self.study, ItemRow.item_key == item.key,
                ItemRow.seed == item.seed, ItemRow.token == item.token,
                ItemRow.state.in_(states or (LEASED,))]

    def attach(self, item: ItemLease, trial_number: int, *, lease_s: float) -> bool:
        """Note the trial that runs a leased item, and renew its lease (the trial may have
        waited to be opened); False when the lease was lost already."""
        with self._engine.begin() as conn:
            return bool(conn.execute(update(ItemRow).where(*self._mine(item)).values(
                trial_number=trial_number, lease_until=self._now + lease_s)).rowcount)

    def renew(self, token: str, lease_s: float) -> int:
        """Extend the leases of one claim's items, done ones included (their trials are still
        being told); how many the claim still holds."""
        with self._engine.begin() as conn:
            return int(conn.execute(
                update(ItemRow).where(ItemRow.study == self.study, ItemRow.token == token)
                .values(lease_until=self._now + lease_s)).rowcount or 0)

    def finish(self, item: ItemLease) -> None:
        """End the claim's hold on an item that is done (its trial has been told)."""
        with self._engine.begin() as conn:
            conn.execute(update(ItemRow).where(*self._mine(item, DONE))
                         .values(token=None, lease_until=None))

    def orphans(self) -> list[int]:
        """End the holds that lapsed on done items, and return their trial numbers: their
        workers stopped after saving the result, before telling Optuna (an index on the
        holders, so it reads a few rows)."""
        with self._engine.begin() as conn:
            rows = conn.execute(
                update(ItemRow).where(ItemRow.study == self.study, ItemRow.token.is_not(None),
                                      ItemRow.state == DONE, ItemRow.lease_until < self._now)
                .values(token=None, lease_until=None).returning(ItemRow.trial_number)).all()
        return [number for (number,) in rows if number is not None]

    def release(self, item: ItemLease, *, failed: bool, max_retries: int) -> None:
        """Give a leased item back: after an interrupt it waits again with no try used; after
        a failure that uses a retry, it waits again, or is exhausted once they are used up.
        An item whose lease was lost already is left to its new holder."""
        spent = ItemRow.tries + 1 > max_retries
        state = case((spent, EXHAUSTED), else_=WAITING) if failed else WAITING
        with self._engine.begin() as conn:
            conn.execute(update(ItemRow).where(*self._mine(item))
                         .values(state=state, tries=ItemRow.tries + (1 if failed else 0),
                                 token=None, lease_until=None))

    def counts(self) -> QueueCounts:
        """The items by state (an index-only count), and the claims' holds (an index on them)."""
        by_state = select(ItemRow.state, func.count()).where(ItemRow.study == self.study) \
            .group_by(ItemRow.state)
        live = ItemRow.lease_until >= self._now
        holds = (select(ItemRow.state, live, func.count(), func.min(ItemRow.lease_until - self._now))
                 .where(ItemRow.study == self.study, ItemRow.token.is_not(None))
                 .group_by(ItemRow.state, live))
        with self._engine.connect() as conn:
            by = {state: n for state, n in conn.execute(by_state)}
            held = conn.execute(holds).all()
        running = sum(n for _, is_live, n, _ in held if is_live)
        waits = [float(first) for _, is_live, _, first in held if is_live]
        return QueueCounts(
            waiting=by.get(WAITING, 0), leased=by.get(LEASED, 0), running=running,
            expired=sum(n for state, is_live, n, _ in held if state == LEASED and not is_live),
            orphaned=sum(n for state, is_live, n, _ in held if state == DONE and not is_live),
            done=by.get(DONE, 0), exhausted=by.get(EXHAUSTED, 0),
            next_expiry_s=max(min(waits), 0.0) if waits else None)

    def finished(self) -> int:
        """Items with nothing more to run (an index-only count)."""
        query = select(func.count()).where(ItemRow.study == self.study,
                                           ItemRow.state.in_((DONE, EXHAUSTED)))
        with self._engine.connect() as conn:
            return int(conn.scalar(query) or 0)

    def exhausted(self) -> list[tuple[str, int, int | None]]:
        """(point key, seed, last trial number) of every item whose retries are used up."""
        query = (select(ItemRow.item_key, ItemRow.seed, ItemRow.trial_number)
                 .where(ItemRow.study == self.study, ItemRow.state == EXHAUSTED)
                 .order_by(ItemRow.position))
        with self._engine.connect() as conn:
            return [(key, seed, number) for key, seed, number in conn.execute(query)]
