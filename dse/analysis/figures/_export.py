"""Writing figures out: PNG and SVG through kaleido, one HTML page with plotly.js inside."""

from __future__ import annotations

import csv
import json
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import plotly.graph_objects as go

__all__ = ["FOOTNOTE", "STATIC_FORMATS", "Section", "compact", "plotly_div", "render_page",
           "static_size", "write_csv", "write_static"]

STATIC_FORMATS = ("png", "svg")
FOOTNOTE = "footnote"  # name of annotations that small layouts leave out
_CHATTY = ("kaleido", "choreographer", "logistro")  # loggers quieted to WARNING unless set
_NO_CHROME = ("no Chrome/Chromium found for kaleido (install chromium, or set BROWSER_PATH "
              "to a Chrome binary)")
_CSS = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1200px; color: #222; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.25rem; margin-top: 2.5rem; }
table { border-collapse: collapse; margin: 1rem 0; font-size: 0.9rem; }
th, td { border: 1px solid #ccc; padding: 0.3rem 0.6rem; text-align: left; }
th { background: #f0f3f8; } caption { caption-side: bottom; color: #555; padding-top: 0.4rem; }
.meta td:first-child { font-weight: 600; } .files { font-size: 0.85rem; color: #555; }
.note { color: #555; font-size: 0.9rem; }
"""


def _cell(value: Any) -> Any:
    """A CSV cell: dicts and lists as JSON, None as empty, the rest as is."""
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, sort_keys=True, default=str)
    return "" if value is None else value


def write_csv(path: Path, rows: Sequence[Mapping[str, Any]]) -> Path:
    """Write dict rows as CSV (columns in first-seen order); return the path.

    Args:
        path: the file to write.
        rows: the rows.

    Returns:
        `path`.
    """
    columns = list(dict.fromkeys(key for row in rows for key in row))
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=columns)
        writer.writeheader()
        writer.writerows({k: _cell(row.get(k)) for k in columns} for row in rows)
    return path


def _reason(exc: Exception) -> str:
    """One line saying why the static export failed."""
    text = " ".join(str(exc).split())
    if "requires Google Chrome" in text or type(exc).__name__ == "ChromeNotFoundError":
        where = os.environ.get("BROWSER_PATH")
        return f"no Chrome/Chromium at BROWSER_PATH={where}" if where else _NO_CHROME
    return f"{type(exc).__name__}: {text[:300]}" if text else type(exc).__name__


def static_size(fig: go.Figure, width: int, height: int) -> tuple[int, int]:
    """The image size of `fig`: its own for a table (drawn to fit its columns and rows, which
    a narrower image would wrap and cut off), else `width` x `height`.

    Args:
        fig: the figure.
        width: the width asked for plots, in CSS pixels.
        height: the height asked for plots, in CSS pixels.

    Returns:
        Width and height in CSS pixels.
    """
    tables = bool(fig.data) and all(trace.type == "table" for trace in fig.data)
    if tables and fig.layout.width and fig.layout.height:
        return int(fig.layout.width), int(fig.layout.height)
    return width, height


def write_static(figures: Mapping[str, go.Figure], out_dir: Path, *, width: int, height: int,
                 scale: float = 1.0) -> tuple[list[Path], str | None]:
    """Write every figure as <name>.png and <name>.svg, in one browser session.

    kaleido renders with a Chrome or Chromium it finds on the PATH (or at BROWSER_PATH).

    Args:
        figures: file stem -> figure.
        out_dir: the folder to write into.
        width: image width of plots in CSS pixels.
        height: image height of plots in CSS pixels (a table keeps its own size: static_size).
        scale: PNG pixels per CSS pixel.

    Returns:
        The files written, and None; or no files and the one-line reason they were skipped.
    """
    import plotly.io as pio

    for name in _CHATTY:  # their INFO lines (tabs, temp folders) would swamp a run's output
        if logging.getLogger(name).level == logging.NOTSET:
            logging.getLogger(name).setLevel(logging.WARNING)
    paths = [out_dir / f"{name}.{fmt}" for name in figures for fmt in STATIC_FORMATS]
    figs = [fig for fig in figures.values() for _ in STATIC_FORMATS]
    if not figs:
        return [], None
    sizes = [static_size(fig, width, height) for fig in figs]
    try:
        pio.write_images(figs, paths, width=[w for w, _ in sizes], height=[h for _, h in sizes],
                         scale=scale)
    except Exception as exc:  # no browser, or it failed: the HTML and CSV are still written
        for path in paths:
            path.unlink(missing_ok=True)
        return [], _reason(exc)
    return paths, None


def compact(fig: go.Figure, *, height: int = 440) -> go.Figure:
    """A copy of `fig` laid out for a small panel (optuna-dashboard's are 450 px high).

    Args:
        fig: a figure drawn for the report.
        height: the panel's height in pixels.

    Returns:
        The copy: smaller fonts and margins, footnotes left out, the width left to the panel,
        the legend below the plot (or at its side when the figure has it there).
    """
    import plotly.graph_objects as go

    small = go.Figure(fig)
    small.layout.annotations = [a for a in small.layout.annotations if a.name != FOOTNOTE]
    small.update_annotations(font_size=11)
    beside = small.layout.legend.orientation == "v"  # a legend of long lines: kept at the side
    small.update_layout(height=height, width=None, font_size=10, title_font_size=13,
                        margin={"l": 55, "r": 15, "t": 60, "b": 40},
                        legend={"font_size": 10} if beside
                        else {"orientation": "h", "y": -0.3, "font_size": 10})
    return small


def plotly_div(fig: go.Figure, *, div_id: str) -> str:
    """`fig` as a <div> for a page that loads plotly.js itself (render_page does).

    Args:
        fig: the figure.
        div_id: the div's id.

    Returns:
        The HTML element, with the script that draws it.
    """
    return fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id,
                       config={"displaylogo": False, "responsive": True})


@dataclass(frozen=True)
class Section:
    """One part of the page: a heading, a note, a figure or table, links to its files."""

    anchor: str
    heading: str
    body_html: str  # a Plotly div or a table, already HTML
    note: str = ""  # plain text
    files: list[str] = field(default_factory=list)  # file names beside the page


def render_page(title: str, meta: Sequence[tuple[str, str]], sections: Sequence[Section]) -> str:
    """A self-contained HTML page: plotly.js embedded once, no external resources.

    Args:
        title: the page title.
        meta: (label, value) rows shown under the title (plain text).
        sections: the page's parts, in order.

    Returns:
        The HTML document.
    """
    from plotly.offline import get_plotlyjs

    rows = "".join(f"<tr><td>{escape(k)}</td><td>{escape(v)}</td></tr>" for k, v in meta)
    toc = "".join(f'<li><a href="#{escape(s.anchor)}">{escape(s.heading)}</a></li>'
                  for s in sections)
    parts = []
    for s in sections:
        links = " · ".join(f'<a href="{escape(f)}">{escape(f)}</a>' for f in s.files)
        parts.append(
            f'<section id="{escape(s.anchor)}"><h2>{escape(s.heading)}</h2>'
            + (f'<p class="note">{escape(s.note)}</p>' if s.note else "")
            + s.body_html + (f'<p class="files">files: {links}</p>' if links else "")
            + "</section>"
        )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{_CSS}</style>"
        f'<script type="text/javascript">{get_plotlyjs()}</script></head><body>'
        f'<h1>{escape(title)}</h1><table class="meta">{rows}</table><ul>{toc}</ul>'
        + "".join(parts) + "</body></html>\n"
    )
