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

from dse.analysis.figures import (
    SECTIONS,
    FigureSpec,
    Section,
    SectionSpec,
    render_page,
    select_figures,
    swept_keys,
    write_csv,
    write_static,
)
from dse.cli import entry_point
from dse.core.config import run_target
from dse.core.records import ArchRecord, ResultRecord
from dse.core.typed import from_mapping, require_bool, require_int, require_number
from dse.store import open_store, redact_url, results_frame, unknown_study

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


def _results_csv(path: Path, results: Sequence[ResultRecord], archs: Mapping[str, ArchRecord]
                 ) -> Path:
    """One row per result joined with its network; dict columns as JSON."""
    frame = results_frame(results, archs)
    for column in ("point", "versions"):
        frame[column] = [json.dumps(v, sort_keys=True) for v in frame[column]]
    frame.to_csv(path, index=False)
    return path


def _meta(study: str, storage_url: str, results: Sequence[ResultRecord]) -> list[tuple[str, str]]:
    """The page's header rows: what this report is of, and when it was made."""
    counts = ", ".join(f"{n} {s}" for s, n in sorted(Counter(r.status for r in results).items()))
    commits = sorted({r.git_commit[:12] for r in results if r.git_commit})
    return [("study", study), ("storage", redact_url(storage_url)),
            ("dataset", ", ".join(sorted({r.dataset for r in results}))),
            ("results", f"{len(results)} ({counts})"),
            ("swept keys", ", ".join(swept_keys(results)) or "none (one point)"),
            ("git commit", ", ".join(commits) or "unknown"),
            ("generated", datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"))]


def _section(spec: FigureSpec | SectionSpec, info: Any, html: str, files: list[str]) -> Section:
    """The page section of one registry entry, from its data step's info."""
    return Section(spec.name, info.title, html, info.caption(), files)


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
        records = store.study_records(study)
        if not records.results:
            raise ValueError(unknown_study(study, store.studies(), storage_url))
    results = records.results
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    specs = select_figures(records)
    infos = {spec.name: spec.data(records) for spec in specs}
    figs = {spec.name: spec.draw(infos[spec.name]) for spec in specs}
    for name, info in infos.items():
        write_csv(out_dir / f"{name}.csv", info.rows())
    _results_csv(out_dir / "results.csv", results, records.archs)
    written, skipped = write_static(figs, out_dir, width=width, height=height, scale=scale) \
        if static else ([], "report.static is false")
    names = {p.name for p in written}
    sections = []
    for part in SECTIONS.values():  # the summary and the verdicts, then the figures
        info = part.data(records)
        if f"{part.name}.csv" in part.files:  # the summary's is results.csv, written above
            write_csv(out_dir / f"{part.name}.csv", info.rows())
        sections.append(_section(part, info, part.html(info), list(part.files)))
    for spec in specs:
        files = [f for f in (f"{spec.name}.png", f"{spec.name}.svg") if f in names]
        sections.append(_section(spec, infos[spec.name], spec.html(infos[spec.name],
                                 figs[spec.name]), [*files, f"{spec.name}.csv"]))
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
