"""The simulated workers of fleet_bench.py: the real worker loop (dse.search._worker.run_worker:
claim, heartbeat, settle, idle back-off) with only training replaced by a sleep; and the store
fixtures and exactly-once checks of the benchmark.

dse.search._study (open_study, study_storage) and dse.search._worker import torch through
dse.training.train, dse.search._objective, dse.search._artifacts and dse.search._trial, none of
which a grid claim calls. Importing this module first puts stand-ins for those four modules in
sys.modules, so the real study, claim, store and Optuna code runs in processes without torch
(200 processes with torch would not fit in memory); `run_claim`'s stand-in is the simulated
training. Every worker records whether torch was loaded.
"""

from __future__ import annotations

import json
import logging
import os
import random
import signal
import sys
import time
import types
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO


def _unavailable(*_args: Any, **_kwargs: Any) -> Any:
    """What the stand-ins of torch-side functions do: refuse (the claim path never calls them)."""
    raise RuntimeError("not available in a simulated fleet worker (training is replaced)")


def _stand_in(name: str, **names: Any) -> None:
    """Register module `name` holding `names`, unless the real one is loaded already."""
    if name in sys.modules:
        raise RuntimeError(f"{name} was imported before benchmarks/_fleet_worker.py")
    module = types.ModuleType(name, "stand-in of fleet_bench (training replaced by a sleep)")
    module.__dict__.update(names)
    sys.modules[name] = module


def simulated_run_claim(cfg: Any, store: Any, study: Any, storage: Any, trials: list[Any],
                        progress: Any, threads: int | None) -> None:
    """Stand-in of dse.search._trial.run_claim: sleep a drawn training time, then for each trial
    ask its point as _suggest does, store a final result, set the attrs and tell Optuna as
    _tell does (a trial failed meanwhile by another worker only warns), store the hypervolume."""
    took = _STATE["rng"].expovariate(1 / _STATE["work_s"]) if _STATE["work_s"] > 0 else 0.0
    time.sleep(took)
    for trial in trials:
        point = {k: trial.suggest_categorical(k, v) for k, v in cfg.sweep.grid.items()}
        arch = _arch(cfg, store, point)
        value = _STATE["rng"].uniform(0.5, 0.99)
        store.save_result(new_record(
            cfg, trial_number=trial.number, point=point, seed=int(trial.user_attrs["seed"]),
            arch=arch, status=Status.COMPLETE, val_top1=value, test_top1=value, epochs=1,
            wall_time_s=took, device="cpu", threads=1, seed_batch=1))
        attrs = {"status": "complete", "seed": int(trial.user_attrs["seed"]),
                 "size_mb": arch.size_mb, "params": arch.params, "macs": arch.macs,
                 "fingerprint": arch.fingerprint, "val_top1": value, "test_top1": value,
                 "test_top5": None, "wall_time_s": took,
                 **{f"arch_{k}": v for k, v in arch.arch.items() if k in METAPARAMETER_NAMES}}
        try:
            for key, attr in attrs.items():
                trial.set_user_attr(key, attr)
            study.tell(trial, value)
        except (UpdateFinishedTrialError, ValueError):
            if storage.get_trial(trial._trial_id).state == TrialState.RUNNING:
                raise
            _STATE["out"].write(f"late {trial.number}\n")
            logging.getLogger(__name__).warning("trial %d was failed by another worker while "
                                                "this one ran", trial.number)
        record_hypervolume(store, study, trial.number)


_STATE: dict[str, Any] = {"rng": random.Random(0), "work_s": 0.0, "out": sys.stderr, "archs": {}}
_stand_in("dse.training.train", resolve_device=_unavailable, step_seconds=_unavailable)
_stand_in("dse.search._objective", data_for=_unavailable)
_stand_in("dse.search._artifacts", open_artifact_store=_unavailable)
_stand_in("dse.search._trial", run_claim=simulated_run_claim)

import optuna  # noqa: E402
import psycopg  # noqa: E402
from optuna.exceptions import ExperimentalWarning, UpdateFinishedTrialError  # noqa: E402
from optuna.storages._rdb.models import StudyModel, TrialModel, TrialValueModel  # noqa: E402
from optuna.trial import TrialState  # noqa: E402
from sqlalchemy import create_engine, func, insert, select, text, update  # noqa: E402

from dse.cli import compose, to_plain  # noqa: E402
from dse.core.config import RunConfig, Status, run_config  # noqa: E402
from dse.core.metaparams import NAMES as METAPARAMETER_NAMES  # noqa: E402
from dse.core.records import ArchRecord, ResultRecord, arch_record, counted_results  # noqa: E402
from dse.core.sweep import item_key, point_key  # noqa: E402
from dse.search import _worker  # noqa: E402
from dse.search._claim import Lease, claim  # noqa: E402
from dse.search._hypervolume import record_hypervolume  # noqa: E402
from dse.search._progress import Progress  # noqa: E402
from dse.search._provenance import provenance  # noqa: E402
from dse.search._results import new_record  # noqa: E402
from dse.search._storage import optuna_storage  # noqa: E402
from dse.search._study import open_study, study_storage  # noqa: E402
from dse.store import driver_url, open_store  # noqa: E402
from dse.store._tables import ItemRow, ResultRow  # noqa: E402

POINTS = 1000  # distinct squeeze ratios of a fleet grid; items = points x seeds
provenance()  # cached before the fork: no worker runs git
warnings.filterwarnings("ignore", category=ExperimentalWarning)  # heartbeats, metric names
optuna.logging.set_verbosity(optuna.logging.WARNING)


def _arch(cfg: RunConfig, store: Any, point: dict[str, Any]) -> ArchRecord:
    """The point's network record, computed and stored once per point in each process."""
    key = json.dumps(point, sort_keys=True)
    if key not in _STATE["archs"]:
        _STATE["archs"][key] = arch_record(cfg.arch_for(point))
        store.save_arch(_STATE["archs"][key])
    return _STATE["archs"][key]


def grid_config(url: str, items: int, output_dir: Path, name: str) -> RunConfig:
    """A grid of min(items, 1000) squeeze ratios in (0, 1] x items / points seeds, one item per
    claim, 2 s heartbeats (6 s leases), 2 retries."""
    points = min(POINTS, items)
    if items % points:
        raise ValueError(f"items must be a multiple of {POINTS} above it, got {items}")
    ratios = ",".join(repr(round((i + 1) / points, 6)) for i in range(points))
    cfg = run_config(to_plain(compose("config", [
        "+sweep=squeeze_ratio", f"sweep.grid.sr=[{ratios}]", f"study.seeds={items // points}",
        "study.seed_batching=false", "study.heartbeat_s=2", "study.max_retries=2",
        "artifacts.keep=false", f"storage.url={url}", f"study.output_dir={output_dir}",
        f"study.name={name}"])))
    if cfg.total() != items or cfg.seed_group() != 1:
        raise ValueError(f"grid has {cfg.total()} items in groups of {cfg.seed_group()}")
    return cfg


def _timed(real: Callable[..., Lease], out: TextIO) -> Callable[..., Lease]:
    """`claim`, timed: one line per call (wall start, seconds, first of the process, trials
    taken)."""
    first = [1]

    def timed(*args: Any) -> Lease:
        """Run the real claim and write its line."""
        wall, start = time.time(), time.perf_counter()
        lease = real(*args)
        took = time.perf_counter() - start
        out.write(f"claim {wall:.6f} {took:.6f} {first[0]} {len(lease.trials)}\n")
        first[0] = 0
        return lease
    return timed


def fleet_worker(cfg: RunConfig, index: int, folder: Path, work_s: float, seed: int) -> None:
    """Entry of one simulated worker (a forked process): open the store and study as
    dse.search._study.worker_process does, then run the real worker loop; its timings go to
    <folder>/w<index>.txt line by line (a SIGKILL loses none), its warnings to w<index>.log."""
    os.setsid()  # Ctrl-C in the terminal reaches the parent only, which stops every worker
    signal.signal(signal.SIGINT, signal.default_int_handler)  # not the parent's handlers
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    logging.basicConfig(filename=folder / f"w{index}.log", level=logging.WARNING, force=True,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    out = open(folder / f"w{index}.txt", "a", buffering=1)  # noqa: SIM115 (lives with the process)
    _STATE.update(rng=random.Random(seed), work_s=work_s, out=out)
    start = time.perf_counter()
    try:
        with open_store(cfg.storage_url) as store:
            storage = study_storage(cfg, store)
            study = open_study(cfg, storage, store)
            out.write(f"open {time.perf_counter() - start:.6f}\n")
            _worker.claim = _timed(claim, out)  # type: ignore[attr-defined]
            ran = _worker.run_worker(cfg, store, study, storage, Progress(cfg.total()),
                                     threads=1)
        out.write(f"end {ran} {int('torch' in sys.modules)}\n")
    except BaseException:
        logging.getLogger(__name__).exception("worker %d failed", index)
        out.write("error\n")
        raise


def first_claim(cfg: RunConfig, path: Path, warm: int) -> None:
    """Entry of a fresh process that times opening the store, open_study (which queues a new
    grid) and its first claim, then `warm` more claims; writes the figures to `path` (JSON)."""
    os.setsid()
    start = time.perf_counter()
    with open_store(cfg.storage_url) as store:
        storage = study_storage(cfg, store)
        opened = time.perf_counter()
        study = open_study(cfg, storage, store)
        studied = time.perf_counter()
        lease = claim(cfg, store, study, storage)
        claimed = time.perf_counter()
        warm_s = []
        for _ in range(warm):
            begin = time.perf_counter()
            claim(cfg, store, study, storage)
            warm_s.append(time.perf_counter() - begin)
    path.write_text(json.dumps({
        "store_s": opened - start, "open_study_s": studied - opened, "claim_s": claimed - studied,
        "took": len(lease.trials), "warm_s": warm_s, "torch": "torch" in sys.modules}))


def invariants(cfg: RunConfig, complete: bool, taken_over: int) -> dict[str, Any]:
    """The exactly-once checks on what the store and Optuna hold after a cell (`taken_over`:
    items that claims took over from a lost lease, the only way to a second final result)."""
    name, grid = cfg.study_name, {(item_key(p, b), s) for p, s, b in cfg.grid_items()}
    with open_store(cfg.storage_url) as store:
        results = store.results(name)
        counts = store.queue(name).counts()
    counted = {(item_key(r.point, cfg.result_budget(r)), r.seed)
               for r in counted_results(results)}
    finals = Counter((item_key(r.point, cfg.result_budget(r)), r.seed) for r in results
                     if r.status.final)
    with psycopg.connect(cfg.storage_url) as conn:
        done = {(k, int(s)) for k, s in conn.execute(
            "SELECT item_key, seed FROM dse_work_items WHERE study = %s AND state = 'done'", (name,))}
    storage = optuna_storage(cfg.storage_url)
    open_trials = len(storage.get_all_trials(storage.get_study_id_from_name(name), deepcopy=False,
                                             states=(TrialState.RUNNING, TrialState.WAITING)))
    storage.engine.dispose()
    duplicates = sum(finals.values()) - len(finals)
    return {"counted": len(counted), "late_duplicates": duplicates,
            "lost_tries": sum(r.status is Status.FAILED for r in results),
            "open_trials": open_trials, "exhausted": counts.exhausted, "queue_done": counts.done,
            "checks": {
                "counted items are grid items": counted <= grid,
                "queue's done items = items with a final result": done == set(finals),
                "second final results only after a lost lease": duplicates <= taken_over,
                **({"every item counted exactly once": counted == grid,
                    "no Optuna trial RUNNING or WAITING": open_trials == 0,
                    "queue: every item done, none exhausted": counts.done == len(grid)
                    and counts.exhausted == 0} if complete else {})}}


def bulk_finish(cfg: RunConfig, count: int) -> float:
    """Store final results of the grid's first `count` items, mark those items done and add a
    COMPLETE Optuna trial (with its value) for each, in chunks of SQLAlchemy core inserts; then
    ANALYZE, as autovacuum would have. Returns the seconds taken."""
    start, now = time.perf_counter(), datetime.now(UTC)
    archs = {point_key(p): arch_record(cfg.arch_for(p)).fingerprint for p in cfg.sweep.points()}
    base = new_record(cfg, trial_number=0, point={}, seed=0, arch=None,
                      status=Status.COMPLETE)
    template = {f.name: getattr(base, f.name) for f in fields(ResultRecord) if f.name != "id"}
    engine = create_engine(driver_url(cfg.storage_url))
    items = cfg.grid_items()[:count]
    with engine.begin() as conn:
        study_id = conn.scalar(select(StudyModel.study_id)
                               .where(StudyModel.study_name == cfg.study_name))
        first = conn.scalar(select(func.count()).select_from(TrialModel)
                            .where(TrialModel.study_id == study_id))
        trials = TrialModel.__table__
        for at in range(0, count, 5000):
            chunk = list(enumerate(items[at:at + 5000], start=first + at))
            ids = conn.execute(insert(trials).returning(trials.c.trial_id,
                                                        sort_by_parameter_order=True),
                               [{"number": n, "study_id": study_id, "state": TrialState.COMPLETE,
                                 "datetime_start": now.replace(tzinfo=None),
                                 "datetime_complete": now.replace(tzinfo=None)}
                                for n, _ in chunk]).scalars().all()
            conn.execute(insert(TrialValueModel.__table__), [
                {"trial_id": i, "objective": 0, "value": 0.9,
                 "value_type": TrialValueModel.TrialValueType.FINITE} for i in ids])
            conn.execute(insert(ResultRow.__table__), [
                {**template, "trial_number": n, "point": p, "seed": s, "status": "complete",
                 "fingerprint": archs[point_key(p)], "val_top1": 0.9, "created_at": now}
                for n, (p, s, _) in chunk])
        conn.execute(update(ItemRow).where(ItemRow.study == cfg.study_name,
                                           ItemRow.position < count)
                     .values(state="done", token=None, lease_until=None))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))
    engine.dispose()
    return time.perf_counter() - start


def cpu_busy_s() -> float:
    """CPU seconds the whole machine has spent busy since boot (every process, PostgreSQL's
    too), from /proc/stat: a cell's difference over its claims is its CPU cost per claim."""
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(
        int, Path("/proc/stat").read_text().split()[1:9])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def read_worker(folder: Path, index: int) -> dict[str, Any]:
    """One worker's figures from its files: open time, claims, late results, end, torch, and
    the takeovers (claims that took over a lost item) and lost leases its log reports."""
    found: dict[str, Any] = {"open": None, "claims": [], "late": 0, "ended": False,
                             "torch": None, "error": False}
    for line in (folder / f"w{index}.txt").read_text().splitlines():
        kind, *fields = line.split()
        if kind == "open":
            found["open"] = float(fields[0])
        elif kind == "claim" and len(fields) == 4:  # a SIGKILL may cut the last line
            wall, took, first, trials = fields
            found["claims"].append((float(wall), float(took), first == "1", int(trials)))
        elif kind == "late":
            found["late"] += 1
        elif kind == "end" and len(fields) == 2:
            found["ended"], found["torch"] = True, fields[1] == "1"
        elif kind == "error":
            found["error"] = True
    log = folder / f"w{index}.log"
    text = log.read_text() if log.exists() else ""
    found["taken_over"] = text.count(" lost its worker ")
    found["leases_lost"] = text.count("lease on trial(s)")
    return found
