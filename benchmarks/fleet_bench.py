"""Fleet figures of the grid claim path on PostgreSQL: N simulated workers (real processes running
the real worker loop, claim, store and Optuna calls; only training is a sleep) on studies of 1 k,
20 k and 100 k items, with 5 % of the workers SIGKILLed or SIGSTOPped at random moments.

    .venv/bin/python benchmarks/fleet_bench.py [--quick] [--full] [--items 1000 ...]
        [--workers 10 ...] [--cap-s 60] [--work-s 1.0] [--first-only | --no-first] [--json PATH]

Each cell (items x workers) runs in a database of its own on the local PostgreSQL server
(tests/pgserver.py, started if down; max_connections is raised, with a restart, when the fleet
needs it, and restored at the end, Ctrl-C included). The parent queues the grid (open_study),
forks the workers (benchmarks/_fleet_worker.py: torch-free), SIGKILLs half of the faulty ones and
SIGSTOPs the rest for 1-3 leases, and polls pg_locks every 50 ms. A cell ends when every worker
has exited, or at --cap-s ("capped": the rest are SIGKILLed). Per cell: warm claim latency p50/p99
(claims after a process's first that took an item), first claims, open_study times, claims per
second from the first to the last item taken (and once every worker has claimed), the longest
gap between two claims, the shares of samples with a session waiting for a lock and with an
advisory lock held, peak connections per worker, and the exactly-once invariants. Without a cell
selection it also times a fresh process's open_study + first claim on a fresh 100 k grid (which
open_study queues) and on a 100 k grid with 99 k results and COMPLETE Optuna trials (bulk-inserted
with SQLAlchemy core, then ANALYZE), and prints the goals. --quick: 1 k items, 10 workers, 20 s
cap. --full: the 20 k x 200 cell runs to completion (no cap).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import _fleet_worker as fleet  # first: its stand-ins keep torch out of every process

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import pgserver  # noqa: E402
import psycopg  # noqa: E402

from dse.core.config import RunConfig  # noqa: E402
from dse.search._grid_claim import lease_seconds  # noqa: E402
from dse.store import open_store  # noqa: E402

SAMPLE_S = 0.05  # lock sampler period
LOCKS = """
SELECT count(DISTINCT a.pid), count(l.pid) FILTER (WHERE NOT l.granted),
       count(l.pid) FILTER (WHERE l.locktype = 'advisory' AND l.granted),
       array_agg(DISTINCT left(regexp_replace(a.query, '\\s+', ' ', 'g'), 60))
           FILTER (WHERE NOT l.granted)
FROM pg_stat_activity a LEFT JOIN pg_locks l ON l.pid = a.pid
WHERE a.datname = current_database() AND a.pid <> pg_backend_pid()"""


def _restart_postgres() -> None:
    """Restart the local cluster (a new max_connections needs it) and wait until it is ready."""
    for command in (["pg_ctlcluster", "15", "main", "restart"],
                    ["su", "postgres", "-c", "pg_ctlcluster 15 main restart"]):
        if subprocess.run(command, capture_output=True, timeout=120).returncode == 0:
            break
    pgserver.start_postgres()


@contextmanager
def connection_limit(needed: int) -> Iterator[None]:
    """Raise the server's max_connections to max(needed, 1000) while the block runs, when it is
    below `needed`; restore it (and restart) afterwards, whatever stopped the block."""
    with psycopg.connect(pgserver.pg_url("postgres"), autocommit=True) as conn:
        current, source = conn.execute("SELECT setting::int, coalesce(sourcefile, '') "
                                       "FROM pg_settings WHERE name = 'max_connections'").fetchone()
    if current >= needed:
        yield
        return
    print(f"raising PostgreSQL max_connections {current} -> {max(needed, 1000)} (restart)",
          flush=True)
    pgserver.psql_as_superuser(f"ALTER SYSTEM SET max_connections = {max(needed, 1000)}")
    try:
        _restart_postgres()
        yield
    finally:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C waits
        try:
            pgserver.psql_as_superuser(f"ALTER SYSTEM SET max_connections = {current}"
                              if source.endswith("postgresql.auto.conf")
                              else "ALTER SYSTEM RESET max_connections")
            _restart_postgres()
            print(f"PostgreSQL max_connections restored to {current}", flush=True)
        finally:
            signal.signal(signal.SIGINT, previous)


class LockSampler(threading.Thread):
    """Polls the cell's database every SAMPLE_S: whether a session waits for a lock (and on
    which statement), whether an advisory lock is held, how many sessions are open, and (every
    2 s) how many items are done."""

    def __init__(self, url: str, study: str) -> None:
        """Prepare the thread (started by the caller)."""
        super().__init__(daemon=True)
        self.url, self.study, self.halt = url, study, threading.Event()
        self.samples = self.waiting = self.advisory = self.peak = self.done = 0
        self.queries: Counter[str] = Counter()

    def run(self) -> None:
        """Sample until halted."""
        with psycopg.connect(self.url, autocommit=True) as conn:
            while not self.halt.wait(SAMPLE_S):
                sessions, waits, advisory, queries = conn.execute(LOCKS).fetchone()
                self.samples += 1
                self.waiting += waits > 0
                self.advisory += advisory > 0
                self.peak = max(self.peak, sessions)
                self.queries.update(queries or [])
                if self.samples % 40 == 0:
                    self.done = conn.execute("SELECT count(*) FROM dse_work_items WHERE study = %s "
                                             "AND state = 'done'", (self.study,)).fetchone()[0]


def plan_faults(rng: random.Random, workers: int, share: float, horizon: float, lease_s: float
                ) -> list[tuple[float, int, str]]:
    """(moment s, worker, kill | stop | cont): share x workers victims (at least 1), half
    SIGKILLed, half SIGSTOPped and SIGCONTed after 1-3 leases, at uniform moments."""
    count = max(1, round(share * workers)) if share > 0 else 0
    plan = []
    for n, index in enumerate(rng.sample(range(workers), count)):
        at = rng.uniform(1.0, max(1.5, 0.8 * horizon))
        if n < count // 2:
            plan.append((at, index, "kill"))
        else:
            plan += [(at, index, "stop"), (at + rng.uniform(1, 3) * lease_s, index, "cont")]
    return sorted(plan)


def inflict(procs: list[Any], plan: list[tuple[float, int, str]], start: float,
            halt: threading.Event, done: list[str]) -> None:
    """Send the planned signals at their moments (a worker that has exited is spared)."""
    sig = {"kill": signal.SIGKILL, "stop": signal.SIGSTOP, "cont": signal.SIGCONT}
    for at, index, action in plan:
        if halt.wait(max(0.0, start + at - time.monotonic())):
            return
        if procs[index].exitcode is None:
            os.kill(procs[index].pid, sig[action])
            done.append(f"{action} w{index} at {at:.1f}s")


def pct(values: list[float], q: float) -> float | None:
    """The q-quantile (nearest rank) of `values`, or None when empty."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else None


def queue_grid(cfg: RunConfig) -> float:
    """Open the study in this process (creating it queues the grid); return the seconds taken.
    Every engine is disposed, so no forked worker inherits a connection."""
    start = time.perf_counter()
    with open_store(cfg.storage_url) as store:
        storage = fleet.study_storage(cfg, store)
        fleet.open_study(cfg, storage, store)
        storage.engine.dispose()
    return time.perf_counter() - start


def run_cell(items: int, workers: int, cap: float | None, args: argparse.Namespace, tmp: Path
             ) -> dict[str, Any]:
    """One fleet run in a fresh database; its figures and invariants."""
    database = pgserver.create_pg_database()
    try:
        cfg = fleet.grid_config(pgserver.pg_url(database), items, tmp, f"fleet-{items}-{workers}")
        queued = queue_grid(cfg)
        folder = tmp / f"cell-{items}-{workers}"
        folder.mkdir()
        ctx = multiprocessing.get_context("fork")
        procs = [ctx.Process(target=fleet.fleet_worker,
                             args=(cfg, i, folder, args.work_s, args.seed * 100_000 + i))
                 for i in range(workers)]
        rng = random.Random(args.seed)
        horizon = min(cap or float("inf"), items * args.work_s / workers)
        plan = plan_faults(rng, workers, args.faults, horizon, lease_seconds(cfg))
        start, faults, halt = time.monotonic(), [], threading.Event()
        busy, marks = fleet.cpu_busy_s(), []  # marks: (CPU busy s, items done) every 15 s
        sampler = LockSampler(cfg.storage_url, cfg.study_name)
        try:
            for proc in procs:
                proc.start()
            sampler.start()
            threading.Thread(target=inflict, args=(procs, plan, start, halt, faults),
                             daemon=True).start()
            shown = time.monotonic()
            while any(p.exitcode is None for p in procs) and \
                    (cap is None or time.monotonic() - start < cap):
                time.sleep(0.2)
                if time.monotonic() - shown >= 15:
                    shown = time.monotonic()
                    print(f"  {shown - start:5.0f} s: {sampler.done} of {items} done", flush=True)
                    marks.append((fleet.cpu_busy_s(), sampler.done))
        finally:
            halt.set()
            capped = [p for p in procs if p.pid is not None and p.exitcode is None]
            for proc in capped:
                os.kill(proc.pid, signal.SIGKILL)
            for proc in procs:
                if proc.pid is not None:
                    proc.join()
            sampler.halt.set()
            if sampler.is_alive():
                sampler.join()
        wall, busy = time.monotonic() - start, fleet.cpu_busy_s() - busy
        found = [fleet.read_worker(folder, i) for i in range(workers)]
        claims = [c for w in found for c in w["claims"]]
        taken = [c for c in claims if c[3] > 0]
        span = max(c[0] + c[1] for c in taken) - min(c[0] for c in taken) if taken else 0.0
        warm = [c[1] for c in taken if not c[2]]
        first = [c[1] for c in claims if c[2]]
        opens = [w["open"] for w in found if w["open"] is not None]
        killed = {int(f.split()[1][1:]) for f in faults if f.startswith("kill")}
        errors = [i for i, p in enumerate(procs) if p.exitcode not in (0, -signal.SIGKILL)
                  or found[i]["error"]]
        over = sum(w["taken_over"] for w in found)
        starts = sorted(c[0] for c in taken)
        ready = max((c[0] for c in claims if c[2]), default=0.0)  # every worker has claimed
        steady = [t for t in starts if t >= ready]
        checks = fleet.invariants(cfg, complete=not capped, taken_over=over)
        checks["checks"]["no worker loaded torch"] = not any(w["torch"] for w in found)
        checks["checks"]["no worker failed"] = not errors
        return {
            "items": items, "workers": workers, "capped": bool(capped), "wall_s": wall,
            "queue_s": queued, "taken": len(taken), "empty_claims": len(claims) - len(taken),
            "taken_over": over, "warm_p50_s": pct(warm, 0.5),
            "warm_p99_s": pct(warm, 0.99), "first_p50_s": pct(first, 0.5),
            "first_max_s": max(first, default=None), "open_p50_s": pct(opens, 0.5),
            "open_max_s": max(opens, default=None),
            "claims_per_s": len(taken) / span if span else None,
            "cpu_ms_per_claim": 1000 * busy / max(len(taken), 1), "cores": os.cpu_count(),
            "steady_cpu_ms_per_item": steady_cpu_ms(marks, workers),
            "steady_claims_per_s": len(steady) / (steady[-1] - ready) if len(steady) > 1 else None,
            "longest_gap_s": max((b - a for a, b in zip(starts, starts[1:])), default=None),
            "leases_lost": sum(w["leases_lost"] for w in found),
            "lock_wait_share": sampler.waiting / max(sampler.samples, 1),
            "advisory_share": sampler.advisory / max(sampler.samples, 1),
            "conn_per_worker": sampler.peak / workers, "samples": sampler.samples,
            "waiting_on": sampler.queries.most_common(3), "faults": faults,
            "killed": sorted(killed), "late_results": sum(w["late"] for w in found),
            "failed_workers": errors, **checks}
    finally:
        pgserver.drop_pg_database(database)


def steady_cpu_ms(marks: list[tuple[float, int]], workers: int) -> float | None:
    """Machine CPU ms per item done once start-up is over (from the first mark with as many
    items done as workers to the last); None when the run was too short to tell."""
    steady = [m for m in marks if m[1] >= workers]
    if len(steady) < 2 or steady[-1][1] == steady[0][1]:
        return None
    return 1000 * (steady[-1][0] - steady[0][0]) / (steady[-1][1] - steady[0][1])


def fresh_process(cfg: RunConfig, path: Path, warm: int) -> dict[str, Any]:
    """Fork a process that times open_study + its first claim (and `warm` more); its figures."""
    proc = multiprocessing.get_context("fork").Process(target=fleet.first_claim,
                                                       args=(cfg, path, warm))
    proc.start()
    try:
        proc.join()
    finally:
        if proc.exitcode is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.join()
    if proc.exitcode != 0:
        raise RuntimeError(f"the first-claim process failed (exit {proc.exitcode})")
    return json.loads(path.read_text())


def first_claims(tmp: Path) -> dict[str, Any]:
    """(a) a fresh 100 k grid: open_study (queues it) + first claim; (b) the same grid with 99 k
    final results and COMPLETE trials: a fresh process's open_study + first claim, + 20 warm."""
    database = pgserver.create_pg_database()
    try:
        cfg = fleet.grid_config(pgserver.pg_url(database), 100_000, tmp, "fleet-first-100000")
        fresh = fresh_process(cfg, tmp / "first-a.json", warm=0)
        print(f"(a) fresh 100k grid: open_study {fresh['open_study_s']:.2f} s + first claim "
              f"{fresh['claim_s'] * 1000:.0f} ms (store and Optuna tables {fresh['store_s']:.2f} s)",
              flush=True)
        filled = fleet.bulk_finish(cfg, 99_000)
        full = fresh_process(cfg, tmp / "first-b.json", warm=20)
        print(f"(b) 99k results (bulk insert {filled:.0f} s): open_study "
              f"{full['open_study_s']:.2f} s + first claim {full['claim_s'] * 1000:.0f} ms, warm "
              f"claim p50 {statistics.median(full['warm_s']) * 1000:.1f} ms", flush=True)
        return {"fresh_grid": fresh, "at_100k_results": full, "bulk_insert_s": filled}
    finally:
        pgserver.drop_pg_database(database)


def _ms(value: float | None) -> str:
    """Seconds as whole milliseconds ('-' for None)."""
    return "-" if value is None else f"{value * 1000:.0f}" if value >= 0.01 else \
        f"{value * 1000:.1f}"


def _ceiling(cell: dict[str, Any]) -> str:
    """Steady CPU ms per item and the rate the machine's cores allow at that cost."""
    cost = cell.get("steady_cpu_ms_per_item")
    return "-" if not cost else f"{cost:.0f} ({1000 * cell['cores'] / cost:.0f})"


def report(cells: list[dict[str, Any]], first: dict[str, Any] | None) -> None:
    """Print the table of cells (markdown) and the goals with met/not."""
    print("\n| items | workers | run | wall s | claims | warm p50 ms | warm p99 ms | first p50 ms "
          "| open p50/max s | claims/s (all open) | CPU ms/claim, steady (ceiling/s) | longest gap s "
          "| lock wait | advisory | conn/worker | kills/stops | late dups | invariants |")
    print("|" + "---|" * 18)
    for c in cells:
        checks = c["checks"]
        verdict = "PASS" if all(checks.values()) else \
            "FAIL: " + "; ".join(k for k, ok in checks.items() if not ok)
        print(f"| {c['items']} | {c['workers']} | {'capped' if c['capped'] else 'done'} "
              f"| {c['wall_s']:.0f} | {c['taken']} | {_ms(c['warm_p50_s'])} "
              f"| {_ms(c['warm_p99_s'])} | {_ms(c['first_p50_s'])} "
              f"| {c['open_p50_s'] or 0:.2f}/{c['open_max_s'] or 0:.2f} "
              f"| {c['claims_per_s'] or 0:.1f} ({c['steady_claims_per_s'] or 0:.1f}) "
              f"| {c['cpu_ms_per_claim']:.0f}, {_ceiling(c)} "
              f"| {c['longest_gap_s'] or 0:.1f} "
              f"| {c['lock_wait_share']:.1%} "
              f"| {c['advisory_share']:.1%} | {c['conn_per_worker']:.1f} "
              f"| {sum(f.startswith('kill') for f in c['faults'])}/"
              f"{sum(f.startswith('stop') for f in c['faults'])} "
              f"| {c['late_duplicates']} | {verdict} |")
    goals: list[tuple[str, str, bool | None]] = []
    p50s = {(c["items"], c["workers"]): c["warm_p50_s"] for c in cells if c["warm_p50_s"]}
    if p50s:
        goals.append(("warm claim p50 <= 20 ms (every cell)",
                      f"max {_ms(max(p50s.values()))} ms", max(p50s.values()) <= 0.02))
    for n in sorted({w for _, w in p50s}):
        if (1000, n) in p50s and (100_000, n) in p50s:
            ratio = p50s[(100_000, n)] / p50s[(1000, n)]
            goals.append((f"flat: p50 at 100k / at 1k <= 1.5 ({n} workers)", f"{ratio:.2f}x",
                          ratio <= 1.5))
    if first:
        a, b = first["fresh_grid"], first["at_100k_results"]
        goals.append(("a 100k grid's first claim (open_study queues it + claim) <= 5 s",
                      f"{a['open_study_s'] + a['claim_s']:.2f} s",
                      a["open_study_s"] + a["claim_s"] <= 5))
        goals.append(("first claim of a process at 100k results (open_study + claim) <= 1 s",
                      f"{b['open_study_s'] + b['claim_s']:.2f} s",
                      b["open_study_s"] + b["claim_s"] <= 1))
    for c in cells:
        if (c["items"], c["workers"]) == (20_000, 200) and not c["capped"]:
            rate = c["steady_claims_per_s"] or c["claims_per_s"] or 0
            ok = all(c["checks"].values()) and rate >= 50
            goals.append(("200 workers finish 20k items exactly once, none RUNNING, >= 50 "
                          "claims/s (all open), with faults", f"{rate:.1f} claims/s, "
                          f"invariants {'PASS' if all(c['checks'].values()) else 'FAIL'}", ok))
    print("\n| goal | figure | met? |\n|---|---|---|")
    for goal, figure, met in goals:
        print(f"| {goal} | {figure} | {'yes' if met else 'no'} |")


def _terminate(signum: int, frame: Any) -> None:
    """SIGTERM ends the run like Ctrl-C: workers killed, databases dropped, limit restored."""
    raise KeyboardInterrupt


def main() -> None:
    """Run the selected cells (and the first-claim figures), print the figures and goals."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1k items, 10 workers, 20 s cap")
    parser.add_argument("--full", action="store_true", help="run 20k x 200 to completion")
    parser.add_argument("--items", type=int, nargs="+", help="cells' study sizes")
    parser.add_argument("--workers", type=int, nargs="+", help="cells' fleet sizes")
    parser.add_argument("--cap-s", type=float, default=60.0, help="cell time cap (0: none)")
    parser.add_argument("--work-s", type=float, default=1.0, help="mean simulated training s")
    parser.add_argument("--faults", type=float, default=0.05, help="share of faulty workers")
    parser.add_argument("--seed", type=int, default=0, help="seed of draws and faults")
    parser.add_argument("--first-only", action="store_true", help="only the first-claim figures")
    parser.add_argument("--no-first", action="store_true", help="skip the first-claim figures")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    selected = args.items is not None or args.workers is not None
    items = [1000] if args.quick else args.items or [1000, 20_000, 100_000]
    workers = [10] if args.quick else args.workers or [10, 50, 200]
    cap = 20.0 if args.quick else args.cap_s or None
    cells = [] if args.first_only else [(i, n) for i in items for n in workers]
    first = args.first_only or not (args.quick or args.no_first or selected)
    signal.signal(signal.SIGTERM, _terminate)
    pgserver.ensure_server()
    figures: dict[str, Any] = {"cells": [], "first": None, "work_s": args.work_s}
    with tempfile.TemporaryDirectory() as name, \
            connection_limit(4 * max(n for _, n in cells) + 20 if cells else 0):
        for i, n in cells:
            uncapped = args.full and (i, n) == (20_000, 200)
            limit = "no cap" if uncapped or not cap else f"cap {cap:.0f} s"
            print(f"cell {i} items x {n} workers ({limit})", flush=True)
            cell = run_cell(i, n, None if uncapped else cap, args, Path(name))
            figures["cells"].append(cell)
            print(f"  {'capped' if cell['capped'] else 'done'} after {cell['wall_s']:.0f} s: "
                  f"{cell['taken']} claims, {cell['taken_over']} taken over, {cell['lost_tries']} "
                  f"lost tries stored, faults {cell['faults']}, waiting on "
                  f"{cell['waiting_on']}; " + ", ".join(
                      f"{k}: {'PASS' if ok else 'FAIL'}" for k, ok in cell["checks"].items()),
                  flush=True)
        if first:
            figures["first"] = first_claims(Path(name))
    report(figures["cells"], figures["first"])
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, default=str))


if __name__ == "__main__":
    main()
