"""The study summary (dashboard note, report table) and the HTML page and CSV writers."""

from __future__ import annotations

import csv
from html.parser import HTMLParser
from pathlib import Path

from figrecords import net, result, sweep

from dse.analysis.figures import (
    Section,
    compact,
    render_page,
    study_summary,
    summary_markdown,
    write_csv,
)
from dse.analysis.figures._fig3 import FIG3A
from dse.analysis.figures._sweep import plot_sweep


def test_summary_counts_statuses_and_finds_best_and_front() -> None:
    results, archs = sweep("sr", {0.25: [(0.5, 0.9), (0.6, 0.9)], 0.75: [(0.7, 0.95)]},
                           sizes={0.25: 0.4, 0.75: 1.0})
    extra = net(9, size_mb=2.0, sr=1.0)
    results.append(result(extra, {"sr": 1.0}, status="failed", trial=9))
    summary = study_summary("s", results, [*archs, extra])
    assert summary.results == 4 and summary.statuses == {"complete": 3, "failed": 1}
    assert summary.best is not None and summary.best.point == {"sr": 0.75}
    assert [g.point for g in summary.front] == [{"sr": 0.25}, {"sr": 0.75}]
    text = summary_markdown(summary, figures=[("Figure 3a", "what it shows")])
    assert text.startswith("## dse summary: s")
    assert "| sr=0.25 | - | 2 | 0.400 | 55.0% ± 7.1 |" in text
    assert "| sr=1.0 | - | 0 | 2.000 | - | - | failed 1 |" in text
    assert "- **Figure 3a**: what it shows" in text


def test_write_csv_uses_first_seen_columns_and_json_for_dicts(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "x.csv", [{"a": 1, "p": {"sr": 0.5}}, {"b": None, "a": 2}])
    with path.open() as f:
        rows = list(csv.DictReader(f))
    assert rows == [{"a": "1", "p": '{"sr": 0.5}', "b": ""}, {"a": "2", "p": "", "b": ""}]


def test_page_embeds_plotly_once_and_loads_nothing_from_outside() -> None:
    results, archs = sweep("sr", {0.25: [(0.5, 0.9)]}, sizes={0.25: 0.4})
    fig = plot_sweep(FIG3A.info(results, archs))
    body = fig.to_html(full_html=False, include_plotlyjs=False)
    sections = [Section("a", "A", body), Section("b", "B", body)]
    page = render_page("t <1>", [("study", "s")], sections)
    assert page.count("Plotly.newPlot") == 2
    assert "t &lt;1&gt;" in page
    links = _Links()
    links.feed(page)
    assert sum(size > 1_000_000 for size in links.scripts) == 1  # plotly.js, once
    assert links.external == []


class _Links(HTMLParser):
    """Sizes of the inline scripts, and src/href attributes that leave the page."""

    def __init__(self) -> None:
        """Start empty."""
        super().__init__()
        self.scripts: list[int] = []
        self.external: list[str] = []
        self._script = False

    def handle_starttag(self, tag: str, attrs: list) -> None:
        """Note what an opening tag starts."""
        self._script = tag == "script"
        if self._script:
            self.scripts.append(0)
        self.external += [v for k, v in attrs if k in ("src", "href") and v and "://" in v]

    def handle_endtag(self, tag: str) -> None:
        """Leave the element."""
        self._script = False

    def handle_data(self, data: str) -> None:
        """Keep the text of the element it is in."""
        if self._script:
            self.scripts[-1] += len(data)


def test_compact_copy_fits_a_dashboard_panel() -> None:
    results, archs = sweep("sr", {0.25: [(0.5, 0.9)]}, sizes={0.25: 0.4})
    fig = plot_sweep(FIG3A.info(results, archs))
    small = compact(fig)
    assert small.layout.height == 440 and fig.layout.height == 560
    assert not any(a.name == "footnote" for a in small.layout.annotations)
    assert any(a.name == "footnote" for a in fig.layout.annotations)
    assert len(small.data) == len(fig.data)


def test_write_csv_of_no_rows_is_empty(tmp_path: Path) -> None:
    assert write_csv(tmp_path / "e.csv", []).read_text().strip() == ""
