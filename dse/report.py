"""`python -m dse.report [+sweep=<name>] [key=value ...]`: a study's report, from the store.

Takes the same storage and study keys as `dse.run` (study.name, or <sweep.name>-<dataset.name>)
and writes into <study.output_dir>/<study name>/: report.html (self-contained: it opens
offline), each figure as PNG and SVG (kaleido, with a Chrome or Chromium), and the data as CSV.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dse.cli import entry_point
from dse.analysis.compression_claims import compression_verdicts
from dse.core.config import run_target
from dse.analysis.figures import (
    FigureSpec,
    Section,
    render_page,
    select_figures,
    study_summary,
    summary_html,
    swept_keys,
    verdicts_html,
    write_csv,
    write_static,
)
from dse.core.records import ArchRecord, ResultRecord
from dse.store import open_store, redact_url, results_frame, unknown_study
from dse.core.typed import from_mapping, require_bool, require_int, require_number
from dse.analysis.verdicts import verdicts

__all__ = ["ReportOptions", "main", "report_options", "write_report"]

USAGE = ("usage: python -m dse.report [+sweep=<name>] [key=value ...]   (the keys of dse.run, "
         "e.g. storage.url=... study.name=..., and report.width/height/scale/static)")


@dataclass(frozen=True)
class ReportOptions:
    """Keys of the `report` config node: the static images' size and whether to write them."""

    width: int = 1000  # PNG/SVG width in CSS pixels
    height: int = 560  # PNG/SVG height in CSS pixels
    scale: float = 1.0  # PNG pixels per CSS pixel
    static: bool = True  # write PNG and SVG (needs a Chrome or Chromium)

    def __post_init__(self) -> None:
        """Validate sizes and flags."""
        for key in ("width", "height"):
            require_int(f"report.{key}", getattr(self, key), minimum=1, maximum=10000)
        require_number("report.scale", self.scale, low=0, high=10, low_open=True)
        require_bool("report.static", self.static)


def report_options(values: dict[str, Any]) -> ReportOptions:
    """The typed `report` node; unknown keys list the valid ones.

    Args:
        values: the node's plain values.

    Returns:
        The options.
    """
    return from_mapping(ReportOptions, values, node="report")


def _results_csv(path: Path, results: list[ResultRecord], archs: Mapping[str, ArchRecord]) -> Path:
    """One row per result joined with its network; dict columns as JSON."""
    frame = results_frame(results, archs)
    for column in ("point", "versions"):
        frame[column] = [json.dumps(v, sort_keys=True) for v in frame[column]]
    frame.to_csv(path, index=False)
    return path


def _meta(study: str, storage_url: str, results: list[ResultRecord]) -> list[tuple[str, str]]:
    """The page's header rows: what this report is of, and when it was made."""
    counts = ", ".join(f"{n} {s}" for s, n in sorted(Counter(r.status for r in results).items()))
    commits = sorted({r.git_commit[:12] for r in results if r.git_commit})
    return [("study", study), ("storage", redact_url(storage_url)),
            ("dataset", ", ".join(sorted({r.dataset for r in results}))),
            ("results", f"{len(results)} ({counts})"),
            ("swept keys", ", ".join(swept_keys(results)) or "none (one point)"),
            ("git commit", ", ".join(commits) or "unknown"),
            ("generated", datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"))]


VERDICTS_CAPTION = (
    "Each claim compares two values of one metaparameter on test top-1, each (point, seed) "
    "counted once; effect = difference of means over seeds, with Welch's 95 % interval. "
    "'No better' claims allow a 1 pp margin. A claim this study's points cannot test is "
    "'not tested'. Every column: verdicts.csv.")
COMPRESSION_CAPTION = (
    " Table 2 claims compare each compressed network with the same trial at 32 bits: the "
    "top-1 drop (paired t interval, 1 pp allowed) and the size ratio (t interval over trials, "
    "against the paper's 7.3x and 10.2x).")


def _hypervolume(storage_url: str, study: str) -> Any:
    """The study's hypervolume history (Optuna, loaded only here), or None."""
    from dse.search._hypervolume import study_hypervolume

    return study_hypervolume(storage_url, study)


def _section(spec: FigureSpec, info: Any, fig: Any, files: list[str]) -> Section:
    """The page section of one figure, drawn into HTML as its registry entry says."""
    return Section(spec.name, info.title, spec.html(info, fig), info.caption(), files)


def write_report(storage_url: str, study: str, *, out_dir: Path, width: int = 1000,
                 height: int = 560, scale: float = 1.0, static: bool = True) -> Path:
    """Write the report of `study`: HTML, each figure as PNG and SVG, the data as CSV.

    Prints where it wrote, and one line saying why PNG/SVG were skipped when they were.

    Args:
        storage_url: the store's database URL.
        study: the study's name.
        out_dir: the folder to write into (created if missing).
        width: PNG/SVG width in CSS pixels.
        height: PNG/SVG height in CSS pixels.
        scale: PNG pixels per CSS pixel.
        static: write PNG and SVG at all.

    Returns:
        The path of report.html.

    Raises:
        ValueError: the store has no results of `study` (the message lists its studies), or
            the URL is bad.
    """
    with open_store(storage_url) as store:
        results = store.results(study)
        if not results:
            raise ValueError(unknown_study(study, store.studies(), storage_url))
        archs = store.archs(r.fingerprint for r in results)
        latencies = store.latencies(archs)
        compressions = store.compressions(study)
    hypervolume = _hypervolume(storage_url, study)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stored = {"latencies": latencies, "compressions": compressions, "hypervolume": hypervolume}
    specs = select_figures(results, **stored)
    infos = {spec.name: spec.data(results, archs, **stored) for spec in specs}
    figs = {spec.name: spec.draw(infos[spec.name]) for spec in specs}
    for name, info in infos.items():
        write_csv(out_dir / f"{name}.csv", info.rows())
    _results_csv(out_dir / "results.csv", results, archs)
    written, skipped = write_static(figs, out_dir, width=width, height=height, scale=scale) \
        if static else ([], "report.static is false")
    names = {p.name for p in written}
    sections = [Section("summary", "Summary: every point over seeds",
                        summary_html(study_summary(study, results, archs)),
                        "Test accuracy: mean ± sd over seeds; size in MB = 2^20 bytes.",
                        ["results.csv"])]
    judged = verdicts(results, archs)
    if compressions:
        judged += compression_verdicts(results, compressions)
    write_csv(out_dir / "verdicts.csv", [v.to_dict() for v in judged])
    sections.append(Section("verdicts", "Paper claims: reproduced, contradicted or not",
                            verdicts_html(judged), VERDICTS_CAPTION +
                            (COMPRESSION_CAPTION if compressions else ""), ["verdicts.csv"]))
    for spec in specs:
        files = [f for f in (f"{spec.name}.png", f"{spec.name}.svg") if f in names]
        sections.append(_section(spec, infos[spec.name], figs[spec.name],
                                 [*files, f"{spec.name}.csv"]))
    html_path = out_dir / "report.html"
    html_path.write_text(render_page(f"dse report: {study}", _meta(study, storage_url, results),
                                     sections), encoding="utf-8")
    print(f"report of study '{study}': {html_path}", flush=True)
    print(f"  {len(specs)} figure(s) ({', '.join(infos)}): "
          f"{'PNG + SVG, ' if written else ''}CSV in {out_dir}", flush=True)
    if skipped:
        print(f"PNG/SVG skipped: {skipped}; HTML and CSV written", flush=True)
    return html_path


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: compose the config as dse.run does, write the report; the exit code."""
    def run(values: dict[str, Any]) -> int:
        options = report_options(dict(values.pop("report", None) or {}))
        target = run_target(values)
        write_report(target.storage_url, target.study_name, out_dir=target.output_dir,
                     width=options.width, height=options.height, scale=options.scale,
                     static=options.static)
        return 0

    return entry_point("report", USAGE, argv, run)


if __name__ == "__main__":
    raise SystemExit(main())
