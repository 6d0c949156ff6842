"""Fault injection for studies shared by worker processes: randomised kills, stops, restarts.

A schedule is a seeded plan of signals (`make_plan`) played against real `python -m dse.run`
workers of one small grid study (`run_schedule`):

- three workers start at once; every POLL_S the harness reads the study's trials (one SQL
  query) and who holds the study lock, and fires the plan's events one after another, each at
  its moment: `claim` (a trial newly RUNNING: the signal goes to the worker claiming it, the
  holder of the study lock while the trial has no `worker` attr yet, else to that attr),
  `lease` (a worker newly seen holding a lease on grid items, right after its claim, or the
  study lock, opening the study), `train`
  (a trial runs: its worker, after a short delay), `random` (a random worker that is past its
  imports and not done, a random time after the event's turn came);
- signals: SIGKILL, SIGTERM, SIGINT, or SIGSTOP held for 4-6 s (longer than the heartbeat
  grace of 3 s), followed by SIGCONT alone or by a kill delivered while the worker is stopped;
- a worker the harness killed is replaced at once by a new process with the same arguments
  while the study has work left (an item without a counted result, or a trial RUNNING or
  WAITING), so the study goes on; a worker that crashes by itself is a failure, not replaced;
- every worker must exit by itself with the code its last kill calls for (SIGKILL -9,
  SIGTERM 143, SIGINT 130; 0 when it got none, and then every item must be counted already);
  one still running EXIT_BOUND_S after its start or SIGCONT, or a trial RUNNING for STUCK_S,
  is a hang: the harness kills what is left and says so;
- then one more undisturbed run must exit 0 and print "nothing left to do", and the store must
  hold exactly one counted result (dse.core.records.counted_results) per (point, seed), figure
  data (dse.analysis.figures.group_points) n == seeds per grid point and no other group, and no trial
  RUNNING or WAITING (`check_study`).

The plan is a function of the seed alone; which trial and which worker each event meets
depends on timing, and the one-line summary of each schedule says what happened and when
(`phases`: workers up, each event, all exited, final run done).
"""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import TextClause, create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from workers import optuna_url, start_worker, trials

from dse.analysis.figures import group_points
from dse.core.records import counted_results
from dse.store import open_store

STUDY = "squeeze_ratio-digits"
GRID_SR = (0.25, 0.5, 1.0)
SEEDS = 2
HEARTBEAT_S = 1  # grace = 3 x heartbeat
ARGS = ("+sweep=squeeze_ratio", f"sweep.grid.sr=[{','.join(map(str, GRID_SR))}]",
        f"study.seeds={SEEDS}", f"study.heartbeat_s={HEARTBEAT_S}", "study.max_retries=50",
        "study.workers=1", "study.seed_batching=true")  # replayable: no timed decision
ITEMS = frozenset((sr, seed) for sr in GRID_SR for seed in range(SEEDS))
WORKERS = 3

POLL_S = 0.025  # how often the harness looks at trials and locks
STOP_S = (4.0, 6.0)  # SIGSTOP held this long: more than the grace of 3 x HEARTBEAT_S
EXIT_BOUND_S = 240.0  # a worker exits by itself within this, from its start or its SIGCONT
STUCK_S = 60.0  # a trial RUNNING this long is lost (trials take about a second)
SCHEDULE_S = 420.0  # the whole schedule, whatever happens
FINAL_RUN_S = 120.0  # the last, undisturbed run
MAX_PROCS = 12  # restarts stop here

KILLS = {"SIGKILL": -signal.SIGKILL, "SIGTERM": 143, "SIGINT": 130}  # signal -> exit code
SIGNALS = ("SIGKILL", "SIGTERM", "SIGINT", "SIGSTOP")
MOMENTS = ("claim", "lease", "train", "random")
STARTED = ("study '", "nothing left to do")  # a worker's first line once in the study layer
FINISHED = ("nothing left to do", "results: study '")  # a worker with no work left prints


# --- the plan ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Event:
    """One signal of a plan, and the moment it waits for."""

    signal: str  # SIGKILL | SIGTERM | SIGINT | SIGSTOP
    moment: str  # claim | lease | train | random
    nth: int = 1  # claim, lease: the nth such moment after the event's turn came
    delay_s: float = 0.0  # train: after the trial is seen; random: after the turn came
    hold_s: float = 0.0  # SIGSTOP: how long the worker stays stopped
    then: str = "SIGCONT"  # SIGSTOP: SIGCONT alone, or a kill sent while stopped

    def __str__(self) -> str:
        """E.g. 'SIGSTOP 4.6s+SIGTERM @claim#2'."""
        sig = self.signal
        if sig == "SIGSTOP":
            sig += f" {self.hold_s:.1f}s" + ("" if self.then == "SIGCONT" else f"+{self.then}")
        where = f"{self.moment}#{self.nth}" if self.moment in ("claim", "lease") else \
            f"{self.moment}+{self.delay_s:.2f}s"
        return f"{sig} @{where}"


def _combo(index: int) -> tuple[str, str]:
    """Signal and moment number `index` of 16, in an order where any 4 in a row that start at
    a multiple of 4 cover every signal and every moment."""
    return SIGNALS[index % 4], MOMENTS[(index + index // 4) % 4]


def _event(rng: random.Random, sig: str, moment: str) -> Event:
    """An event of `sig` at `moment`, its details drawn from `rng`."""
    delay = rng.uniform(0.0, 0.4) if moment == "train" else \
        rng.uniform(0.0, 3.0) if moment == "random" else 0.0
    hold, then = 0.0, "SIGCONT"
    if sig == "SIGSTOP":
        hold = rng.uniform(*STOP_S)
        then = rng.choice(("SIGCONT", "SIGCONT", "SIGKILL", "SIGTERM", "SIGINT"))
    return Event(sig, moment, nth=rng.randint(1, 3), delay_s=round(delay, 3),
                 hold_s=round(hold, 2), then=then)


def make_plan(seed: int) -> list[Event]:
    """The events of schedule `seed`: the first cycles through every signal x moment with the
    seed, the others (one or two) are drawn at random."""
    rng = random.Random(seed)
    events = [_event(rng, *_combo(seed % 16))]
    for _ in range(rng.choice((1, 2))):
        events.append(_event(rng, rng.choice(SIGNALS), rng.choice(MOMENTS)))
    return events


# --- watching the study -----------------------------------------------------------------------

def _lock_digest(name: str) -> bytes:
    """The hash dse.store names its locks by (dse/store/_lock.py), to label the study lock."""
    return hashlib.sha256(f"dse-lock:{name}".encode()).digest()


@dataclass(frozen=True)
class TrialRow:
    """What the harness polls of one trial."""

    number: int
    state: str  # RUNNING, WAITING, COMPLETE, FAIL, PRUNED
    worker: str | None  # the `worker` user attr ("host:pid"), once set


class Watch:
    """Cheap, frequent reads of a study's trials and of who holds the study lock.

    Trials are read with one SQL query on Optuna's tables (optuna.load_study per poll would
    cost the 2 cores more than the workers). Lock holders: for a SQLite file, the flock()s
    that /proc/locks lists on the files beside it; for PostgreSQL, the granted advisory locks
    in pg_locks, named by the `application_name` each worker is started with (PGAPPNAME).
    """

    TRIALS = text(
        "SELECT t.number, CAST(t.state AS VARCHAR(16)), a.value_json FROM trials t "
        "JOIN studies s ON s.study_id = t.study_id "
        "LEFT JOIN trial_user_attributes a ON a.trial_id = t.trial_id AND a.key = 'worker' "
        "WHERE s.study_name = :study ORDER BY t.number")
    LEASES = text("SELECT DISTINCT worker, token FROM dse_work_items "
                  "WHERE study = :study AND state = 'leased'")
    PG_LOCKS = text(
        "SELECT a.application_name, l.classid, l.objid FROM pg_locks l "
        "JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.locktype = 'advisory' AND l.granted AND a.datname = current_database()")

    def __init__(self, url: str, study: str) -> None:
        """Watch `study` in the database at `url` (nothing is opened before it is needed)."""
        self.url, self.study = url, study
        self.sqlite = url.startswith("sqlite")
        self.db_path = Path(url.split(":///", 1)[1]) if self.sqlite else None
        self._engine: Engine | None = None
        study_key = int.from_bytes(_lock_digest(f"study:{study}")[:8], "big", signed=True)
        self.study_lock_pg = ((study_key >> 32) & 0xFFFFFFFF, study_key & 0xFFFFFFFF)
        self.study_lock_file = _lock_digest(f"study:{study}").hex()[:16]

    def _connect(self) -> Engine | None:
        """The harness's engine; for SQLite only once a worker has created the file."""
        if self._engine is None:
            if self.sqlite:
                assert self.db_path is not None
                if not self.db_path.exists():
                    return None
                self._engine = create_engine(f"sqlite:///{self.db_path}",
                                             connect_args={"timeout": 30})
            else:
                self._engine = create_engine(optuna_url(self.url), pool_pre_ping=True)
        return self._engine

    def trials(self) -> list[TrialRow] | None:
        """The study's trials now (empty before the file exists; None when the read failed,
        e.g. before Optuna's tables exist)."""
        rows = self._read(self.TRIALS)
        return None if rows is None else [TrialRow(n, state, value.strip('"') if value else None)
                                          for n, state, value in rows]

    def _read(self, query: TextClause) -> list[Any] | None:
        """The rows of a query on the study (none before the file exists; None when it failed,
        e.g. before the tables exist)."""
        engine = self._connect()
        if engine is None:
            return []
        try:
            with engine.connect() as conn:
                return list(conn.execute(query, {"study": self.study}).all())
        except DBAPIError:
            return None

    def lock_holders(self) -> dict[str, str]:
        """Who holds a dse lock now: pid (SQLite) or application_name (PostgreSQL) -> label
        ('study' for the study lock, 'other' for any other), and who holds a lease on grid
        items: '<pid>#<token>' -> 'lease' (one key per claim)."""
        held = self._file_lock_holders() if self.sqlite else self._pg_lock_holders()
        return {**held, **{key: "lease" for key in self._leases()}}

    def _leases(self) -> list[str]:
        """'<pid>#<token>' of every claim that holds a lease now (none before the table exists)."""
        return [f"{worker.rsplit(':', 1)[-1]}#{token}"
                for worker, token in self._read(self.LEASES) or [] if worker]

    def _file_lock_holders(self) -> dict[str, str]:
        """flock() holders of the lock files beside the SQLite file, from /proc/locks."""
        assert self.db_path is not None
        folder = Path(f"{self.db_path}.locks")
        try:
            files = {}
            for entry in os.scandir(folder):
                st = entry.stat()
                dev = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
                files[dev] = "study" if entry.name == self.study_lock_file else "other"
            lines = Path("/proc/locks").read_text().splitlines() if files else []
        except OSError:
            return {}
        holders = {}
        for line in lines:
            parts = line.split()
            # "1: FLOCK  ADVISORY  WRITE 8284 fe:00:2147027 0 EOF"; waiters have "->" after "1:"
            if len(parts) >= 6 and parts[1] == "FLOCK" and parts[5] in files:
                holders[parts[4]] = files[parts[5]]
        return holders

    def _pg_lock_holders(self) -> dict[str, str]:
        """Application names of the sessions holding advisory locks in the study's database."""
        engine = self._connect()
        assert engine is not None
        try:
            with engine.connect() as conn:
                rows = conn.execute(self.PG_LOCKS).all()
        except DBAPIError:
            return {}
        return {app: "study" if (classid, objid) == self.study_lock_pg else "other"
                for app, classid, objid in rows if app}

    def close(self) -> None:
        """Close the harness's connections."""
        if self._engine is not None:
            self._engine.dispose()


def counted_items(url: str, study: str = STUDY) -> set[tuple[float, int]]:
    """The (sr, seed) items that hold a counted result (dse.core.records.counted_results)."""
    with open_store(url) as store:
        results = store.results(study)
    return {(float(r.point.get("sr", "nan")), r.seed) for r in counted_results(results)}


# --- the schedule -----------------------------------------------------------------------------

@dataclass
class Worker:
    """One `python -m dse.run` process of a schedule and what the harness did to it."""

    index: int
    proc: subprocess.Popen[str]
    log: Path
    app: str  # its PostgreSQL application_name
    started_at: float  # monotonic
    bound_from: float  # its exit bound runs from here (start, or SIGCONT)
    stopped_until: float | None = None  # SIGSTOPped until then
    then: str = "SIGCONT"  # what follows the stop
    signals: list[str] = field(default_factory=list)
    expected: int | None = None  # exit code its kill calls for
    raced: bool = False  # the kill met it finishing: 0 or the signal's default death are fine
    code: int | None = None
    killed_by_harness: bool = False
    finished: bool = False  # it printed its last line
    in_study: bool = False  # seen holding the study lock or owning a trial

    def started(self) -> bool:
        """Whether it is past its imports, in the study layer."""
        self.in_study = self.in_study or any(s in self.text() for s in STARTED)
        return self.in_study

    def done(self) -> bool:
        """Whether it has printed its last line (once true, stays true)."""
        self.finished = self.finished or any(s in self.text() for s in FINISHED)
        return self.finished

    @property
    def name(self) -> str:
        """w<index>/<pid>."""
        return f"w{self.index}/{self.proc.pid}"

    def text(self) -> str:
        """Its output so far."""
        try:
            return self.log.read_text(errors="replace")
        except OSError:
            return ""

    def tail(self, n: int = 1500) -> str:
        """The end of its output."""
        return self.text()[-n:]


@dataclass
class Outcome:
    """What one schedule did, and what went wrong."""

    seed: int
    backend: str
    plan: list[Event]
    fired: list[str] = field(default_factory=list)  # event descriptions, as they happened
    workers: list[Worker] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    final_code: int | None = None
    final_log: str = ""
    wall_s: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)  # phase -> seconds from the start
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line for the CI log."""
        events = "; ".join(self.fired) or "none"
        missed = len(self.plan) - len(self.fired)
        return (f"[faults] seed={self.seed} backend={self.backend} "
                f"plan=[{'; '.join(map(str, self.plan))}] fired=[{events}]"
                f"{f' not-fired={missed}' if missed else ''} procs={len(self.workers)} "
                f"exits={[w.code for w in self.workers]} final={self.final_code} "
                f"{' '.join(self.notes)} "
                f"phases=[{' '.join(f'{k}={v:.1f}s' for k, v in self.phases.items())}] "
                f"wall={self.wall_s:.1f}s "
                f"problems={len(self.problems)}")

    def report(self) -> str:
        """The failure message: the replay seed, what was violated, each worker's output."""
        lines = [self.summary(), f"replay: -k 'seed{self.seed}' (random.Random({self.seed}))",
                 "violations:", *(f"  - {p}" for p in self.problems), "workers:"]
        for w in self.workers:
            lines.append(f"  {w.name} signals={w.signals} exit={w.code} expected="
                         f"{w.expected if w.expected is not None else 0}"
                         f"{' (raced with its exit)' if w.raced else ''} log tail:")
            lines.extend("    | " + line for line in w.tail().splitlines()[-15:])
        if self.final_log:
            lines.append(f"  final run exit={self.final_code} log tail:")
            lines.extend("    | " + line for line in self.final_log[-1500:].splitlines()[-15:])
        return "\n".join(lines)


class Schedule:
    """Plays one plan against the workers of one study (see the module docstring)."""

    def __init__(self, tmp: Path, url: str, backend: str, seed: int) -> None:
        """Prepare schedule `seed` on the database at `url`; logs go under `tmp`."""
        self.tmp, self.url = tmp, url
        self.out = Outcome(seed, backend, make_plan(seed))
        self.rng = random.Random(seed * 7919 + 1)  # target choices of `random` moments
        self.watch = Watch(url, STUDY)
        self.t0, self.cpu0 = time.monotonic(), time.process_time()
        self.running_since: dict[int, float] = {}  # trial number -> first seen RUNNING
        self.holding: set[str] = set()  # who held the study lock or a lease at the last poll
        self.event = 0  # index of the event whose turn it is
        self.turn_since = self.t0
        self.seen = 0  # claim/lease moments seen since the turn came
        self.train_at: tuple[float, Worker, int] | None = None  # pending `train` shot
        self.first_started: float | None = None
        self.hung = False

    # workers

    def start(self) -> Worker:
        """Start one more worker."""
        index = len(self.out.workers)
        app = f"dse-fault-{self.out.seed}-w{index}"
        log = self.tmp / f"s{self.out.seed}-w{index}.log"
        proc = start_worker(self.tmp, self.url, *ARGS, log=log, env={"PGAPPNAME": app})
        now = time.monotonic()
        worker = Worker(index, proc, log, app, now, now)
        self.out.workers.append(worker)
        return worker

    def live(self) -> list[Worker]:
        """Workers that have not exited."""
        return [w for w in self.out.workers if w.code is None]

    def targets(self) -> list[Worker]:
        """Live workers that are neither stopped, nor killed already, nor done with their run."""
        return [w for w in self.live()
                if w.stopped_until is None and w.expected is None and not w.done()]

    def by_owner(self, owner: str | None) -> Worker | None:
        """The worker whose `worker` attr is `owner` ("host:pid")."""
        if owner is None:
            return None
        pid = owner.rsplit(":", 1)[-1]
        return next((w for w in self.targets() if str(w.proc.pid) == pid), None)

    def by_holder(self, holder: str) -> Worker | None:
        """The worker behind a lock holder (pid for SQLite, application_name for PostgreSQL)."""
        holder = holder.split("#", 1)[0]  # a lease's key: '<pid>#<token>'
        return next((w for w in self.targets() if holder in (str(w.proc.pid), w.app)), None)

    def at(self) -> str:
        """Seconds since the schedule began."""
        return f"t={time.monotonic() - self.t0:.1f}s"

    # signals

    def send(self, worker: Worker, sig: str) -> bool:
        """Send `sig` to a live worker; False when it had exited already."""
        if worker.proc.poll() is not None:
            return False
        worker.proc.send_signal(getattr(signal, sig))
        worker.signals.append(sig)
        return True

    def expect_exit(self, worker: Worker, sig: str) -> None:
        """Note the exit code that the kill `sig`, just sent to `worker`, calls for."""
        worker.expected = KILLS[sig]
        if worker.done():  # it had printed its last line: it may exit 0 first
            worker.raced = True

    def fire(self, worker: Worker, detail: str) -> None:
        """Fire the current event at `worker`, then give the turn to the next event."""
        event = self.out.plan[self.event]
        if not self.send(worker, event.signal):
            return  # exited meanwhile: wait for the next such moment
        now = time.monotonic()
        if event.signal == "SIGSTOP":
            worker.stopped_until, worker.then = now + event.hold_s, event.then
        else:
            self.expect_exit(worker, event.signal)
        self.out.fired.append(f"{event} {self.at()} {worker.name} ({detail})")
        self.out.phases[f"event{self.event + 1}"] = now - self.t0
        self.event += 1
        self.turn_since, self.seen, self.train_at = now, 0, None

    def resume_stopped(self) -> None:
        """SIGCONT the workers whose stop is over (after the kill that follows it, if any)."""
        now = time.monotonic()
        for w in self.live():
            if w.stopped_until is None or now < w.stopped_until:
                continue
            if w.then != "SIGCONT" and self.send(w, w.then):
                self.expect_exit(w, w.then)
            self.send(w, "SIGCONT")
            w.stopped_until, w.bound_from = None, time.monotonic()

    # the moments

    def look_for_moment(self, rows: list[TrialRow], new_running: list[TrialRow],
                        holders: dict[str, str]) -> None:
        """Fire the current event if its moment has come."""
        if self.event >= len(self.out.plan):
            return
        event, now = self.out.plan[self.event], time.monotonic()
        if event.moment == "claim":
            in_lock = [self.by_holder(h) for h, label in holders.items() if label == "study"]
            claimer = next((w for w in in_lock if w is not None), None)
            for row in new_running:
                worker = self.by_owner(row.worker) if row.worker else claimer
                if worker is None:
                    continue
                self.seen += 1
                if self.seen >= event.nth:
                    how = "worker attr set" if row.worker else "no worker attr yet, lock holder"
                    self.fire(worker, f"trial {row.number} new RUNNING, {how}")
                    return
        elif event.moment == "lease":
            now_holding = {h for h, label in holders.items() if label in ("study", "lease")}
            for holder in sorted(now_holding - self.holding):
                worker = self.by_holder(holder)
                if worker is None:
                    continue
                self.seen += 1
                if self.seen >= event.nth:
                    self.fire(worker, "holding a lease" if "#" in holder else
                              "holding the study lock")
                    break
            self.holding = now_holding
        elif event.moment == "train":
            if self.train_at is None:
                for row in rows:
                    worker = self.by_owner(row.worker) if row.state == "RUNNING" else None
                    if worker is not None:
                        self.train_at = (now + event.delay_s, worker, row.number)
                        break
            if self.train_at is not None and now >= self.train_at[0]:
                _, worker, number = self.train_at
                self.train_at = None
                if worker in self.targets():
                    self.fire(worker, f"{event.delay_s:.2f}s after trial {number} seen RUNNING")
        elif event.moment == "random":
            if self.first_started is None:
                return
            if now >= max(self.turn_since, self.first_started) + event.delay_s:
                busy = [w for w in self.targets() if w.started()]
                if busy:
                    self.fire(self.rng.choice(busy), "random busy worker")

    # exits and hangs

    def reap(self) -> None:
        """Note the workers that exited, check their codes, restart where needed."""
        for w in self.live():
            code = w.proc.poll()
            if code is None:
                continue
            w.code = code
            expected = w.expected if w.expected is not None else 0
            allowed = {expected}
            if w.raced and w.signals:  # the last kill sent: its default action is fine too
                kill = next(s for s in reversed(w.signals) if s in KILLS)
                allowed |= {0, -getattr(signal, kill)}
            if code not in allowed:
                self.out.problems.append(
                    f"{w.name} exited {code}, expected {expected} (signals {w.signals})")
            if code == 0:
                missing = ITEMS - counted_items(self.url)
                if missing:
                    self.out.problems.append(
                        f"{w.name} exited 0 while items {sorted(missing)} had no counted result")
            if w.expected is not None and len(self.out.workers) < MAX_PROCS and \
                    self.unfinished():
                self.start()  # killed while work is left: the study goes on

    def unfinished(self) -> bool:
        """Whether an item has no counted result yet, or a trial is still RUNNING or WAITING
        (what a restarted worker would find to do)."""
        rows = self.watch.trials()
        if rows is None or any(r.state in ("RUNNING", "WAITING") for r in rows):
            return True
        return bool(ITEMS - counted_items(self.url))

    def check_hangs(self, now: float) -> None:
        """A worker past its exit bound, a trial RUNNING too long, or the schedule too long."""
        for w in self.live():
            if w.stopped_until is None and now - w.bound_from > EXIT_BOUND_S:
                self.out.problems.append(f"hang: {w.name} did not exit within {EXIT_BOUND_S:.0f}"
                                         f" s of its start/SIGCONT")
                self.hung = True
        for number, since in self.running_since.items():
            if now - since > STUCK_S:
                self.out.problems.append(f"hang: trial {number} RUNNING for {STUCK_S:.0f} s "
                                         f"(workers live: {[w.name for w in self.live()]})")
                self.hung = True
        if now - self.t0 > SCHEDULE_S:
            self.out.problems.append(f"hang: schedule not over after {SCHEDULE_S:.0f} s")
            self.hung = True

    def kill_all(self, why: str) -> None:
        """Kill what is left (the harness never waits unbounded)."""
        for w in self.live():
            w.killed_by_harness = True
            self.out.problems.append(f"{w.name} had to be killed by the harness ({why})")
            w.proc.send_signal(signal.SIGKILL)
            w.proc.send_signal(signal.SIGCONT)
        for w in self.live():
            try:
                w.code = w.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                w.code = None

    # the whole

    def poll_trials(self, now: float) -> tuple[list[TrialRow], list[TrialRow]]:
        """The trials now, and those newly seen RUNNING (none when they were unreadable)."""
        rows = self.watch.trials()
        if rows is None:  # not readable (yet): nothing new this time
            return [], []
        running = {r.number for r in rows if r.state == "RUNNING"}
        new_running = [r for r in rows if r.state == "RUNNING"
                       and r.number not in self.running_since]
        for r in new_running:
            self.running_since[r.number] = now
        self.running_since = {n: t for n, t in self.running_since.items() if n in running}
        return rows, new_running

    def play(self) -> Outcome:
        """Run the schedule, the final run and the checks; return the outcome."""
        try:
            for _ in range(WORKERS):
                self.start()
            while self.live():
                now = time.monotonic()
                rows, new_running = self.poll_trials(now)
                holders = self.watch.lock_holders()
                for w in self.live():
                    w.in_study = w.in_study or any(
                        h.split("#", 1)[0] in (str(w.proc.pid), w.app) for h in holders) or any(
                        r.worker and r.worker.endswith(f":{w.proc.pid}") for r in rows)
                if self.first_started is None and any(w.started() for w in self.live()):
                    self.first_started = now
                    self.out.phases["up"] = now - self.t0
                self.look_for_moment(rows, new_running, holders)
                self.resume_stopped()
                self.reap()
                self.check_hangs(now)
                if self.hung:
                    self.kill_all("hang")
                    break
                time.sleep(POLL_S)
            self.out.phases["exited"] = time.monotonic() - self.t0
            if not self.out.fired:
                self.out.problems.append("no event fired: the harness met none of the planned "
                                         "moments (the schedule exercised nothing)")
            if not self.hung:
                self.final_run()
                self.out.phases["final"] = time.monotonic() - self.t0
            self.out.problems.extend(check_study(self.url, notes=self.out.notes))
        finally:
            self.kill_all("cleanup")
            self.watch.close()
            self.out.wall_s = time.monotonic() - self.t0
            self.out.notes.append(f"harness-cpu={time.process_time() - self.cpu0:.1f}s")
        return self.out

    def final_run(self) -> None:
        """One more undisturbed run: it must find nothing left to do and exit 0."""
        log = self.tmp / f"s{self.out.seed}-final.log"
        proc = start_worker(self.tmp, self.url, *ARGS, log=log)
        try:
            self.out.final_code = proc.wait(timeout=FINAL_RUN_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=30)
            self.out.problems.append(f"hang: the final run did not exit within {FINAL_RUN_S} s")
        self.out.final_log = log.read_text(errors="replace")
        if self.out.final_code != 0:
            self.out.problems.append(f"final run exited {self.out.final_code}, expected 0")
        if "nothing left to do" not in self.out.final_log:
            self.out.problems.append("final run did not print 'nothing left to do'")


def _status(value: object) -> str:
    """A status as its text (a str, or an enum of them)."""
    return str(getattr(value, "value", value))


def check_study(url: str, study: str = STUDY, notes: list[str] | None = None) -> list[str]:
    """What the store and the trials violate of 'each (point, seed) counted exactly once'."""
    problems = []
    with open_store(url) as store:
        results = store.results(study)
        archs = store.archs({r.fingerprint for r in results})
    counted = Counter((float(r.point.get("sr", "nan")), r.seed)
                      for r in counted_results(results))
    if set(counted) != ITEMS or set(counted.values()) != {1}:
        problems.append(f"counted results per (sr, seed) {dict(sorted(counted.items()))}, "
                        f"expected one for each of {sorted(ITEMS)}")
    groups = group_points(results, archs)
    per_sr = {float(g.point["sr"]): g.n for g in groups if "sr" in g.point}
    if per_sr != dict.fromkeys(GRID_SR, SEEDS):
        problems.append(f"group_points n per sr {per_sr}, expected {SEEDS} for each of "
                        f"{list(GRID_SR)}")
    strays = [(g.point, g.statuses) for g in groups if "sr" not in g.point]
    if strays:
        problems.append(f"group_points has groups for points outside the grid: {strays} "
                        f"(results stored without their grid point)")
    states = Counter(t.state.name for t in trials(url, study))
    if states["RUNNING"] or states["WAITING"]:
        left = [(t.number, t.state.name, t.user_attrs.get("worker"))
                for t in trials(url, study) if t.state.name in ("RUNNING", "WAITING")]
        problems.append(f"trials left pending at the end: {left}")
    if notes is not None:
        notes.append(f"trials={dict(states)} "
                     f"results={dict(Counter(_status(r.status) for r in results))}")
    return problems


def run_schedule(tmp: Path, url: str, backend: str, seed: int) -> Outcome:
    """Play schedule `seed` against a fresh study at `url`; print its one-line summary."""
    outcome = Schedule(tmp, url, backend, seed).play()
    print(f"\n{outcome.summary()}", flush=True)
    return outcome


def describe(plans: Iterable[int]) -> str:
    """The plans of some seeds, one per line (for reading or replaying)."""
    return "\n".join(f"seed {s}: {'; '.join(map(str, make_plan(s)))}" for s in plans)
