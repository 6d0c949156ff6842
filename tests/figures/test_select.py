"""The figure registry: each entry's steps, and how it goes into an HTML page; the public surface."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from figrecords import sweep

import dse.analysis.figures
from dse.analysis.figures._select import FIGURES
from dse.analysis.figures._table2 import table2_html
from dse.analysis.figures._table3 import table3_html


class _Tags(HTMLParser):
    """The start tags of a fragment, with their attributes."""

    def __init__(self) -> None:
        """Start empty."""
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Keep the tag."""
        self.tags.append((tag, dict(attrs)))


def _tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    """Parse an HTML fragment's start tags."""
    parser = _Tags()
    parser.feed(html)
    return parser.tags


@pytest.mark.parametrize(("name", "key", "values"), [
    ("fig3a", "sr", (0.25, 0.75)),
    ("fig3b", "pct3x3", (0.25, 0.5)),
    ("table3", "bypass", ("none", "simple")),
    ("accuracy_vs_size", "sr", (0.25, 0.75)),
])
def test_each_entry_renders_itself_into_html(name: str, key: str, values: tuple) -> None:
    results, archs = sweep(key, {v: [(0.6, 0.9)] for v in values},
                           sizes=dict(zip(values, (0.3, 0.6))))
    spec = FIGURES[name]
    info = spec.info(results, archs)
    html = spec.html(info, spec.draw(info))
    tags = _tags(html)
    if name == "table3":
        assert html == table3_html(info) and tags[0] == ("table", {"class": "table3"})
    else:
        plots = [a for tag, a in tags if tag == "div" and a.get("class") == "plotly-graph-div"]
        assert [a["id"] for a in plots] == [f"fig-{name}"]
        assert "Plotly.newPlot" in html and '"displaylogo": false' in html
        assert not any(tag == "table" for tag, _ in tags)


def test_only_the_tables_carry_a_table() -> None:
    assert {name for name, spec in FIGURES.items() if spec.table} == {"table2", "table3"}
    # each carries its own HTML table, not another's nor a placeholder
    assert FIGURES["table2"].table is table2_html and FIGURES["table3"].table is table3_html


def test_public_surface_is_what_the_rest_of_the_project_uses() -> None:
    assert sorted(dse.analysis.figures.__all__) == sorted([
        "FigureSpec", "Section", "compact", "render_page", "select_figures", "write_csv",
        "write_static", "swept_keys",  # dse.report, dse.dashboard
        "StudySummary", "front_text", "study_summary", "summary_html", "summary_markdown", "summary_text",
        "MEASURED_STATUSES", "PointGroup", "Stat", "group_points", "varying_keys",  # _stats
        "verdicts_html", "verdicts_markdown", "verdicts_text",  # dse.report, dashboard, run
        "SECTIONS", "SectionSpec", "study_note", "study_text",  # the summary and verdicts
        "pareto_front",  # dse.export
    ])
    assert all(hasattr(dse.analysis.figures, name) for name in dse.analysis.figures.__all__)
