"""`python -m dse.run [+sweep=<name>] [key=value ...]`: run (or resume) a study.

Thin Hydra entry: compose the config, convert it to typed objects, call the study layer.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import hydra
from omegaconf import DictConfig

from dse.cli import compose, fail, to_plain

if TYPE_CHECKING:
    from dse.core.config import RunConfig
    from dse.core.records import ResultRecord
    from dse.search import StudyReport


def _hydra_options(args: list[str]) -> bool:
    """True when Hydra's own flags ask for multirun or config printing (skip pre-checks)."""
    return any(a in ("-m", "--multirun") or a.startswith("--") or a.startswith("-c")
               for a in args)


def _overrides(args: list[str]) -> list[str]:
    """The config overrides among the arguments (Hydra's own settings left out)."""
    return [a for a in args if not a.startswith("-")
            and not a.lstrip("+~").startswith("hydra")]


def _print_summary(cfg: RunConfig, report: StudyReport) -> None:
    """The run's summary from the store: every point over its counted seeds."""
    from dse.analysis.figures import study_text
    from dse.store import open_store

    with open_store(cfg.storage_url) as store:
        records = store.study_records(cfg.study_name)
    search = cfg.sweep.kind == "search"  # one seed per point: the front says more than every row
    title = f"Summary of '{report.study}' (test accuracy: mean ± sd over seeds)"
    if search:
        title = f"Pareto front of '{report.study}'"
    elif cfg.sweep.name == "bypass":
        title = "Table 3 (bypass)"
    print(study_text(records, title=title, front=search), flush=True)
    print(f"results: study '{report.study}' in {report.storage}", flush=True)
    _print_weights(report.study, records.results)


def _print_weights(study: str, results: Sequence[ResultRecord]) -> None:
    """How many weights files the study's own trials keep, their size, and where."""
    from dse.core.complexity import MB

    kept = [r for r in results if r.weights_artifact and r.reused_from is None]
    if kept:
        where = ", ".join(sorted({r.weights_store for r in kept}))
        size = sum(r.weights_bytes or 0 for r in kept) / MB
        print(f"weights: {len(kept)} artifact(s), {size:.2f} MB in {where} (get one "
              f"out: python -m dse.export study.name={study} export.trial=N)", flush=True)


def _run(values: dict[str, Any]) -> int:
    """Convert, run the study, print the summary, write the report; the exit code.

    0 when every item has a counted result; 1 when some failed for good; 130 after Ctrl-C and
    143 after SIGTERM (run the same command again to finish).
    """
    from dse.cli import quiet_libraries
    from dse.core import interrupt
    from dse.core.config import run_config
    from dse.search import run_study
    from dse.store import database_failure, redact_url

    quiet_libraries()
    try:
        cfg = run_config(values)
        report = run_study(cfg, worker_setup=quiet_libraries)
    except (ValueError, FileNotFoundError) as exc:
        fail(str(exc))
    except Exception as exc:  # a lost connection, a lock wait that timed out: one line
        failure = database_failure(exc)
        if failure is None:
            raise
        fail(f"{failure}; every result stored so far is kept: run the same command again to "
             "go on", code=1)
    except KeyboardInterrupt as exc:
        what = "SIGTERM" if isinstance(exc, interrupt.Terminated) else "interrupted"
        print(f"{what}: stopped; run the same command again to finish what is left",
              file=sys.stderr)
        return interrupt.exit_code(exc)
    try:
        _print_summary(cfg, report)
        if cfg.study.report:
            from dse.dashboard import publish_to_dashboard
            from dse.report import write_report

            write_report(cfg.storage_url, cfg.study_name, out_dir=cfg.output_dir())
            publish_to_dashboard(cfg.storage_url, cfg.study_name)
            print(f"dashboard: python -m dse.dashboard storage.url={redact_url(cfg.storage_url)}",
                  flush=True)
    except Exception as exc:  # the database failed after the study ran: its results are stored
        failure = database_failure(exc)
        if failure is None:
            raise
        fail(f"{failure} while summarising; every result is stored: run the same command "
             "again for the summary and the report", code=1)
    if not report.complete:
        print(f"error: {len(report.failed)} item(s) of study '{report.study}' failed for good "
              f"(after study.max_retries={cfg.study.max_retries}): {report.failed[0]}"
              f"{' ...' if len(report.failed) > 1 else ''}; every result and its reason: "
              f"results.csv of python -m dse.report", file=sys.stderr)
        return 1
    return 0


@hydra.main(config_path="../conf", config_name="config", version_base="1.3")
def _hydra_main(cfg: DictConfig) -> None:
    """The Hydra task: one study run (one worker group) per job."""
    code = _run(to_plain(cfg))
    if code:
        raise SystemExit(code)


def _log_to_stdout() -> None:
    """What conf's `hydra/job_logging: stdout` sets up when Hydra runs the job: messages on stdout."""
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stdout)


def main() -> None:
    """Compose the config once (one-line error, exit 2) and run; Hydra runs multirun jobs.

    Ctrl-C and SIGTERM are handled from here on (exit 130 and 143), whatever the run is doing.
    """
    from dse.core import interrupt

    args = sys.argv[1:]
    with interrupt.guard():
        try:
            if _hydra_options(args) or len(_overrides(args)) < len(args):
                _hydra_main()  # multirun, a launcher or hydra.* settings: Hydra runs the job
                return
            values = to_plain(compose("config", args))
            _log_to_stdout()
            code = _run(values)
            if code:
                raise SystemExit(code)
        except KeyboardInterrupt as exc:
            raise SystemExit(interrupt.exit_code(exc)) from None


if __name__ == "__main__":
    main()
