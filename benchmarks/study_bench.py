"""Study-level figures: the default sweep's wall time and trend, trials per hour with 1 and 2
worker processes, and the storage overhead per trial on SQLite and PostgreSQL.

    .venv/bin/python benchmarks/study_bench.py [--quick] [--json PATH]

Every study runs for real (digits, the cpu_proxy recipe) into databases under a temporary
folder. Storage overhead is the time spent executing SQL (measured with SQLAlchemy cursor
events on every engine of the process: the project's store and Optuna's) divided by the
trials' wall time. It needs the local PostgreSQL server (started here if down).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from dse.cli import compose, to_plain  # noqa: E402
from dse.core.config import run_config  # noqa: E402
from dse.search import run_study  # noqa: E402
from dse.store import load_results  # noqa: E402

SQL_SECONDS = [0.0]


def _before(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool
            ) -> None:
    """Start the clock of one SQL statement."""
    conn.info.setdefault("dse_t0", []).append(time.perf_counter())


def _after(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool
           ) -> None:
    """Add the statement's time to the total."""
    SQL_SECONDS[0] += time.perf_counter() - conn.info["dse_t0"].pop()


event.listen(Engine, "before_cursor_execute", _before)
event.listen(Engine, "after_cursor_execute", _after)


def run(url: str, *overrides: str) -> tuple[float, float, str]:
    """Run a study in this process; return (wall seconds, SQL seconds, study name)."""
    values = to_plain(compose("config", [f"storage.url={url}", "study.report=false",
                                         *overrides]))
    cfg = run_config(values)
    SQL_SECONDS[0] = 0.0
    start = time.perf_counter()
    run_study(cfg)
    return time.perf_counter() - start, SQL_SECONDS[0], cfg.study_name


def default_sweep(tmp: Path, seeds: int, workers: int) -> dict[str, Any]:
    """The default sweep (+sweep=squeeze_ratio) with `workers` processes: time and trend."""
    url = f"sqlite:///{tmp}/default-{workers}.db"
    wall, _, name = run(url, "+sweep=squeeze_ratio", f"study.seeds={seeds}",
                        f"study.workers={workers}")
    results = load_results(url, name)
    by_sr: dict[float, list[float]] = defaultdict(list)
    for r in results:
        if r.test_top1 is not None:
            by_sr[r.point["sr"]].append(r.test_top1)
    trend = {sr: (statistics.fmean(v), statistics.pstdev(v)) for sr, v in sorted(by_sr.items())}
    return {"workers": workers, "trials": len(results), "wall_s": wall,
            "trials_per_hour": 3600 * len(results) / wall, "test_top1_by_sr": trend}


def storage_overhead(tmp: Path, url: str, label: str, seeds: int) -> dict[str, Any]:
    """SQL time as a share of wall time for a small grid on one backend."""
    wall, sql, name = run(url, "+sweep=squeeze_ratio", "sweep.grid.sr=[0.125,0.5,1.0]",
                          f"study.seeds={seeds}", f"study.name=overhead-{label}")
    n = len(load_results(url, name))
    return {"backend": label, "trials": n, "wall_s": wall, "sql_s": sql,
            "sql_per_trial_ms": 1000 * sql / n, "share": sql / wall}


def main() -> None:
    """Run everything and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 seed: a smoke run")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    seeds = 1 if args.quick else 3
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        figures["default_1"] = default_sweep(tmp, seeds, 1)
        figures["default_2"] = default_sweep(tmp, seeds, 2)
        from pgserver import create_pg_database, drop_pg_database, ensure_server, pg_url

        ensure_server()
        database = create_pg_database()
        try:
            figures["overhead"] = [
                storage_overhead(tmp, f"sqlite:///{tmp}/overhead.db", "sqlite", seeds),
                storage_overhead(tmp, pg_url(database), "postgresql", seeds),
            ]
        finally:
            drop_pg_database(database)

    one, two = figures["default_1"], figures["default_2"]
    print("\n== Default sweep: +sweep=squeeze_ratio on digits (8 SR x "
          f"{seeds} seeds, cpu_proxy) ==")
    print(f"{'workers':>7} {'trials':>6} {'wall s':>8} {'trials/h':>9}")
    for row in (one, two):
        print(f"{row['workers']:>7} {row['trials']:>6} {row['wall_s']:>8.1f} "
              f"{row['trials_per_hour']:>9.0f}")
    print(f"2 workers / 1 worker throughput: {two['trials_per_hour'] / one['trials_per_hour']:.2f}")
    print("test top-1 by SR (1 worker run, mean ± sd over seeds):")
    for sr, (mean, sd) in one["test_top1_by_sr"].items():
        print(f"  SR {sr:<6} {mean:.3f} ± {sd:.3f}")
    print("\n== Storage overhead per trial (1 worker, 3 SR points) ==")
    print(f"{'backend':<11} {'trials':>6} {'wall s':>8} {'SQL s':>7} {'SQL ms/trial':>13} "
          f"{'share':>7}")
    for row in figures["overhead"]:
        print(f"{row['backend']:<11} {row['trials']:>6} {row['wall_s']:>8.1f} "
              f"{row['sql_s']:>7.2f} {row['sql_per_trial_ms']:>13.1f} {row['share']:>7.1%}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, default=str))


if __name__ == "__main__":
    main()
