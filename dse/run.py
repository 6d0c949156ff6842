"""`python -m dse.run [+sweep=<name>] [key=value ...]`: run (or resume) a study.

Thin Hydra entry: compose the config, convert it to typed objects, call the study layer.
"""

from __future__ import annotations

import sys
from typing import Any

import hydra
from omegaconf import DictConfig

from dse.cli import compose, fail, to_plain


def _hydra_options(args: list[str]) -> bool:
    """True when Hydra's own flags ask for multirun or config printing (skip pre-checks)."""
    return any(a in ("-m", "--multirun") or a.startswith("--") or a.startswith("-c")
               for a in args)


def _overrides(args: list[str]) -> list[str]:
    """The config overrides among the arguments (Hydra's own settings left out)."""
    return [a for a in args if not a.startswith("-")
            and not a.lstrip("+~").startswith("hydra")]


def _run(values: dict[str, Any]) -> int:
    """Convert, run the study, print the summary, write the report."""
    from dse.search import print_summary, run_config, run_study
    from dse.store import redact_url

    try:
        cfg = run_config(values)
        report = run_study(cfg)
    except (ValueError, FileNotFoundError) as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        print("interrupted: run the same command again to finish what is left", file=sys.stderr)
        return 130
    print_summary(report, cfg)
    if cfg.study.report:
        from dse.dashboard import publish_to_dashboard
        from dse.report import write_report

        write_report(cfg.storage_url, cfg.study_name, out_dir=cfg.output_dir())
        publish_to_dashboard(cfg.storage_url, cfg.study_name)
        print(f"dashboard: python -m dse.dashboard storage.url={redact_url(cfg.storage_url)}",
              flush=True)
    return 0


@hydra.main(config_path="../conf", config_name="config", version_base="1.3")
def _hydra_main(cfg: DictConfig) -> None:
    """The Hydra task: one study run (one worker group) per job."""
    code = _run(to_plain(cfg))
    if code:
        raise SystemExit(code)


def main() -> None:
    """Check the overrides compose (one-line error, exit 2), then hand over to Hydra."""
    args = sys.argv[1:]
    if not _hydra_options(args):
        to_plain(compose("config", _overrides(args)))
    _hydra_main()


if __name__ == "__main__":
    main()
