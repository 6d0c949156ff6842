"""`python -m dse.compress [+sweep=<name>] [key=value ...]`: compress a finished study's networks.

Takes the keys of dse.run (the same overrides as the study's run, so that fine-tunes follow
its data and training; a mismatch is refused) and the `compress` node: every measured trial
that kept its weights is compressed with each compress.settings entry it has no record of,
and the study's report is written again. compress.enabled need not be set: this command is
the compression. Exit 2 with one line, nothing stored, for an unknown study, a study without
kept weights, or bad settings.

It trains (fine-tunes), so it imports torch; the codec itself is dse.core.compression_codec.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dse.cli import entry_point, quiet_libraries

USAGE = ("usage: python -m dse.compress [+sweep=<name>] [study.name=<study>] [storage.url=...] "
         "[the run's other overrides] [compress.settings=[...]] [compress.<key>=...]")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: compose the config as dse.run does, compress, write the report."""
    def run(values: dict[str, Any]) -> int:
        from dse.core.config import run_config

        values = {**values, "compress": {**dict(values.get("compress") or {}), "enabled": True}}
        cfg = run_config(values)
        quiet_libraries()
        from dse.search import compress_study

        compress_study(cfg)
        if cfg.study.report:
            from dse.report import write_report

            write_report(cfg.storage_url, cfg.study_name, out_dir=cfg.output_dir())
        return 0

    return entry_point("config", USAGE, argv, run)


if __name__ == "__main__":
    raise SystemExit(main())
