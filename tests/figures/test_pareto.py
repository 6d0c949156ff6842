"""Accuracy vs size: the Pareto front (max accuracy, min size) and the plot data."""

from __future__ import annotations

import itertools
from dataclasses import replace

import pytest
from figrecords import compressed, net, records, result
from hypothesis import given
from hypothesis import strategies as st

from dse.analysis.figures._pareto import label, pareto_front, pareto_info, plot_pareto
from dse.analysis.figures._pareto_plot import LABEL_EVERY_POINT
from dse.analysis.figures._select import FIGURES
from dse.analysis.figures._summary import front_text, study_summary
from dse.core.records import ArchRecord, CompressionRecord, LatencyRecord, ResultRecord


def _dominates(a: tuple[float, float], b: tuple[float, float]) -> bool:
    """a is no larger and no less accurate than b, and strictly better in one."""
    return a[0] <= b[0] and a[1] >= b[1] and (a[0] < b[0] or a[1] > b[1])


@pytest.mark.parametrize(("points", "front"), [
    ([], []),
    ([(1.0, 0.5)], [0]),
    ([(1.0, 0.5), (2.0, 0.6), (3.0, 0.55)], [0, 1]),  # larger and less accurate: off
    ([(2.0, 0.6), (1.0, 0.6)], [1]),  # same accuracy, smaller wins
    ([(1.0, 0.5), (1.0, 0.7)], [1]),  # same size, more accurate wins
    ([(1.0, 0.5), (1.0, 0.5)], [0, 1]),  # equal points do not dominate each other
    ([(3.0, 0.9), (1.0, 0.2), (2.0, 0.5)], [1, 2, 0]),  # ordered by size
])
def test_pareto_front_cases(points: list[tuple[float, float]], front: list[int]) -> None:
    assert pareto_front(points) == front


@given(st.lists(st.tuples(st.integers(1, 6).map(float), st.integers(0, 6).map(float)),
                max_size=12))
def test_pareto_front_is_exactly_the_undominated_points(points: list) -> None:
    front = set(pareto_front(points))
    for i, p in enumerate(points):
        dominated = any(_dominates(q, p) for q in points)
        assert (i in front) == (not dominated)
    for i, j in itertools.combinations(sorted(front), 2):
        assert not _dominates(points[i], points[j]) and not _dominates(points[j], points[i])


def test_info_averages_seeds_marks_the_front_and_keeps_metaparameters() -> None:
    small = net(1, size_mb=0.5, sr=0.125, pct3x3=0.25, bypass="simple")
    big = net(2, size_mb=2.0, sr=0.75)
    worse = net(3, size_mb=3.0, sr=1.0)
    results = [
        result(small, {"sr": 0.125}, seed=0, top1=0.60, top5=0.9),
        result(small, {"sr": 0.125}, seed=1, top1=0.64, top5=0.9, trial=1),
        result(big, {"sr": 0.75}, top1=0.80, trial=2),
        result(worse, {"sr": 1.0}, top1=0.79, trial=3),
        result(worse, {"sr": 0.9}, status="failed", trial=4),  # never measured: left out
    ]
    info = pareto_info(results, [small, big, worse])
    assert [(p.group.point["sr"], p.on_front) for p in info.points] == [
        (0.125, True), (0.75, True), (1.0, False)]
    first = info.points[0]
    assert first.group.n == 2 and first.group.top1.mean == pytest.approx(0.62)
    assert first.size_mb == 0.5
    assert [p.group.point["sr"] for p in info.front] == [0.125, 0.75]
    row = info.rows()[0]
    assert (row["sr"], row["pct3x3"], row["bypass"], row["pareto"]) == (0.125, 0.25, "simple",
                                                                          True)


def test_drawing_highlights_the_front_and_hover_shows_metaparameters() -> None:
    a, b, c = net(1, size_mb=0.5, sr=0.125), net(2, size_mb=2.0, sr=0.75), net(3, size_mb=3.0)
    results = [result(a, {"sr": 0.125}, top1=0.6), result(b, {"sr": 0.75}, top1=0.8, trial=1),
               result(c, {"sr": 1.0}, top1=0.7, trial=2)]
    fig = plot_pareto(pareto_info(results, [a, b, c]))
    traces = {t.name: t for t in fig.data if t.visible is not False}  # the size axis
    front, rest = traces["Pareto front"], traces["dominated"]
    assert list(front.x) == [0.5, 2.0] and list(front.y) == [0.6, 0.8]
    assert list(rest.x) == [3.0]
    hover = front.hovertext[0]
    for text in ("base_e=32", "incr_e=32", "freq=2", "sr=0.125", "pct3x3=0.5", "bypass=none",
                 "0.500 MB", "n=1"):
        assert text in hover


def _latency(network: ArchRecord, ms: float, *, runtime: str = "torch", threads: int = 1
             ) -> LatencyRecord:
    """A batch-1 latency of `network`."""
    return LatencyRecord(fingerprint=network.fingerprint, device="cpu", runtime=runtime,
                         threads=threads, batch=1, median_ms=ms, q1_ms=ms, q3_ms=ms, repeats=5)


def test_each_cost_axis_has_its_own_front_and_buttons_switch_between_them() -> None:
    # sizes 0.5 < 2.0 < 3.0, MACs 1000 < 2000 < 3000 (figrecords), latency reversed for c
    a, b, c = net(1, size_mb=0.5, sr=0.125), net(2, size_mb=2.0, sr=0.75), net(3, size_mb=3.0)
    results = [result(a, {"sr": 0.125}, top1=0.6), result(b, {"sr": 0.75}, top1=0.8, trial=1),
               result(c, {"sr": 1.0}, top1=0.7, trial=2)]
    latencies = [_latency(a, 2.0), _latency(b, 3.0), _latency(c, 1.0),
                 _latency(a, 9.0, runtime="onnxruntime")]  # another setting, fewer networks
    info = pareto_info(results, [a, b, c], latencies)
    assert info.axes == ["size_mb", "macs", "latency_ms"]
    assert info.latency_setting == "torch on cpu, 1 thread(s), batch 1"
    fronts = {p.group.point["sr"]: p.fronts for p in info.points}
    assert fronts == {0.125: {"size_mb", "macs"}, 0.75: {"size_mb", "macs", "latency_ms"},
                      1.0: {"latency_ms"}}
    assert [(r["macs"], r["latency_ms"], r["pareto_latency"]) for r in info.rows()] == [
        (1000, 2.0, False), (2000, 3.0, True), (3000, 1.0, True)]
    fig = plot_pareto(info)
    assert [(t.name, t.visible) for t in fig.data] == [
        ("dominated", True), ("Pareto front", True), ("dominated", False),
        ("Pareto front", False), ("dominated", False), ("Pareto front", False)]
    latency_front = fig.data[5]
    assert list(latency_front.x) == [1.0, 3.0] and list(latency_front.y) == [0.7, 0.8]
    buttons = {b.label: b for b in fig.layout.updatemenus[0].buttons}
    assert list(buttons) == ["size", "MACs", "latency"]
    assert buttons["latency"].args[0]["visible"] == [False, False, False, False, True, True]
    assert buttons["latency"].args[1]["xaxis.title.text"] == \
        "latency (ms, median; torch on cpu, 1 thread(s), batch 1)"
    assert "size 3.000 MB, 3,000 MACs, 1.000 ms" in fig.data[0].hovertext[0]  # c, dominated
    assert pareto_info(results, [a, b, c]).axes == ["size_mb", "macs"]  # nothing measured


def test_points_are_labelled_with_the_keys_that_vary() -> None:
    a, b = net(1, size_mb=0.5, sr=0.125), net(2, size_mb=2.0, sr=0.75, bypass="simple")
    results = [result(a, {"sr": 0.125, "bypass": "none", "pct3x3": 0.5}, top1=0.6),
               result(b, {"sr": 0.75, "bypass": "simple", "pct3x3": 0.5}, top1=0.8, trial=1)]
    info = pareto_info(results, [a, b])
    assert [p.label for p in info.points] == ["sr=0.125 bypass=none", "sr=0.75 bypass=simple"]
    assert label({"sr": 0.0661234, "freq": 3}, ["freq", "sr", "bypass"]) == "freq=3 sr=0.0661"
    assert label({}, ["sr"]) == ""


def _grid(n: int) -> tuple[list, list]:
    """A one-key grid of n points; every other point is on the front."""
    nets = [net(i + 1, size_mb=0.1 * (i + 1), sr=i / 100) for i in range(n)]
    results = [result(a, {"sr": i / 100}, top1=0.5 + 0.01 * i - 0.02 * (i % 2), trial=i)
               for i, a in enumerate(nets)]
    return results, nets


def test_static_figure_labels_every_point_of_a_small_study() -> None:
    results, nets = _grid(6)
    fig = FIGURES["accuracy_vs_size"].draw(pareto_info(results, nets))
    traces = {t.name: t for t in fig.data if t.visible is not False}  # the size axis
    front, rest = traces["Pareto front"], traces["dominated"]
    assert "text" in front.mode and "text" in rest.mode
    assert list(front.text) == ["sr=0", "sr=0.02", "sr=0.04"]
    assert list(rest.text) == ["sr=0.01", "sr=0.03", "sr=0.05"]
    assert front.textposition == "top right" and rest.textposition == "bottom right"
    assert front.hovertext[0].startswith("base_e=32")  # hover kept for the HTML figure
    assert fig.layout.xaxis.type == "linear"  # 0.1 to 0.6 MB


def test_a_large_study_labels_its_front_only() -> None:
    results, nets = _grid(LABEL_EVERY_POINT + 2)
    fig = plot_pareto(pareto_info(results, nets))
    traces = {t.name: t for t in fig.data if t.visible is not False}  # the size axis
    assert all(traces["Pareto front"].text) and len(traces["Pareto front"].text) == 7
    assert not any(traces["dominated"].text)
    assert fig.layout.xaxis.type == "linear"  # 0.1 to 1.4 MB: less than LOG_AXIS_SPAN


def test_a_search_numbers_its_front_and_spells_the_numbers_out_in_the_legend() -> None:
    nets, results = [], []
    for i, (size, acc) in enumerate([(0.02, 0.6), (0.1, 0.7), (0.5, 0.65), (4.0, 0.8)]):
        point = {"base_e": 8 * (i + 1), "incr_e": 8, "sr": 0.125 * (i + 1),
                 "bypass": ("none", "simple")[i % 2]}
        nets.append(net(i + 1, size_mb=size, **point))
        results.append(result(nets[-1], point, top1=acc, trial=i))
    fig = plot_pareto(pareto_info(results, nets))
    traces = {t.name: t for t in fig.data if t.visible is not False}  # the size axis
    assert list(traces["Pareto front"].text) == ["1", "2", "3"]  # by size
    assert not any(traces["dominated"].text)
    legend = [t.name for t in fig.data if t.legendgroup == "numbers"]
    assert legend == ["1: base_e=8 sr=0.125 bypass=none", "2: base_e=16 sr=0.25 bypass=simple",
                      "3: base_e=32 sr=0.5 bypass=simple"]
    assert fig.layout.legend.orientation == "v"
    assert fig.layout.xaxis.type == "log" and "log scale" in fig.layout.xaxis.title.text


def _compressed_study() -> tuple[list[ResultRecord], list[ArchRecord], list[CompressionRecord]]:
    """Three networks at 32 bits (front: a, b) and compressed (front: a, c), and a second setting
    stored later that would beat everything if it were used."""
    a, b, c = net(1, size_mb=0.5, sr=0.125), net(2, size_mb=2.0, sr=0.75), net(3, size_mb=3.0)
    a0, a1 = (result(a, {"sr": 0.125}, seed=s, top1=t, trial=s) for s, t in ((0, 0.6), (1, 0.62)))
    b0 = result(b, {"sr": 0.75}, top1=0.8, trial=2)
    c0 = result(c, {"sr": 1.0}, top1=0.7, trial=3)
    failed = result(c, {"sr": 1.0}, seed=1, status="failed", trial=4)
    comps = [compressed(a0, a, mb=0.0625, top1=0.55), compressed(a1, a, mb=0.125, top1=0.57),
             compressed(b0, b, mb=0.25, top1=0.75), compressed(c0, c, mb=0.125, top1=0.78),
             compressed(failed, c, mb=0.01, top1=0.99),  # not counted
             compressed(b0, b, mb=0.01, top1=0.99, setting="6bit-33pct", bits=6)]
    return [a0, a1, b0, c0, failed], [a, b, c], comps


def test_compressed_size_axis_uses_the_first_setting_and_has_its_own_front() -> None:
    results, nets, comps = _compressed_study()
    info = pareto_info(results, nets, compressions=comps)
    assert info.compressed_setting == "8bit-33pct"
    assert info.axes == ["size_mb", "macs", "compressed_mb"]
    assert info.default_axis == "compressed_mb"
    by_sr = {p.group.point["sr"]: p for p in info.points}
    assert by_sr[0.125].compressed_mb == pytest.approx((0.0625 + 0.125) / 2)  # mean over seeds
    top1 = by_sr[0.125].compressed_top1
    assert top1 is not None and top1.mean == pytest.approx(0.56) and top1.n == 2
    assert by_sr[0.125].accuracy("compressed_mb") is top1
    assert by_sr[0.125].accuracy("size_mb").mean == pytest.approx(0.61)
    assert {sr: p.fronts for sr, p in by_sr.items()} == {
        0.125: {"size_mb", "macs", "compressed_mb"}, 0.75: {"size_mb", "macs"},
        1.0: {"compressed_mb"}}
    rows = info.rows()
    assert [(r["compressed_mb"], r["compressed_top1_mean"], r["pareto_compressed"])
            for r in rows] == [(pytest.approx(0.09375), pytest.approx(0.56), True),
                                        (0.25, 0.75, False), (0.125, 0.78, True)]
    assert rows[0]["compressed_top1_sd"] == pytest.approx(0.01414, abs=1e-5)
    assert "8bit-33pct" in info.caption()


def test_compressed_view_is_shown_first_with_32_bit_points_linked_to_compressed_ones() -> None:
    results, nets, comps = _compressed_study()
    fig = plot_pareto(pareto_info(results, nets, compressions=comps))
    assert [(t.name, t.visible) for t in fig.data] == [
        ("dominated", False), ("Pareto front", False), ("dominated", False),
        ("Pareto front", False), ("32 bit → compressed", True), ("32 bit", True),
        ("dominated", True), ("Pareto front", True)]
    links, full, rest, front = fig.data[4:]
    assert list(links.x) == [0.5, pytest.approx(0.09375), None, 2.0, 0.25, None, 3.0, 0.125, None]
    assert list(links.y) == [pytest.approx(0.61), pytest.approx(0.56), None, 0.8, 0.75, None,
                             0.7, 0.78, None]
    assert links.mode == "lines" and links.line.width == 1
    assert list(full.x) == [0.5, 2.0, 3.0] and list(full.y) == [pytest.approx(0.61), 0.8, 0.7]
    assert list(front.x) == [pytest.approx(0.09375), 0.125]
    assert list(front.y) == [pytest.approx(0.56), 0.78] and list(rest.x) == [0.25]
    assert "compressed 0.250 MB, test top-1 75.0% ± 0.0" in rest.hovertext[0]
    assert "compressed (8bit-33pct)" in fig.layout.xaxis.title.text
    assert fig.layout.xaxis.type == "log"  # 0.094 to 3 MB
    assert "decoded" in fig.layout.yaxis.title.text
    menu = fig.layout.updatemenus[0]
    buttons = {b.label: b for b in menu.buttons}
    assert list(buttons) == ["size", "MACs", "compressed size"] and menu.active == 2
    assert buttons["size"].args[0]["visible"] == [True, True] + [False] * 6
    assert buttons["compressed size"].args[0]["visible"] == [False] * 4 + [True] * 4
    assert buttons["size"].args[1]["yaxis.title.text"] == "test top-1 (mean ± sd over seeds)"


def test_without_counted_compressions_there_is_no_compressed_axis() -> None:
    results, nets, comps = _compressed_study()
    for stored in ([], comps[4:5]):  # none, or only a failed trial's
        info = pareto_info(results, nets, compressions=stored)
        assert info.compressed_setting == "" and info.default_axis == "size_mb"
        assert "compressed_mb" not in info.axes
        assert all(r["pareto_compressed"] is None for r in info.rows())
        fig = plot_pareto(info)
        assert [t.visible for t in fig.data] == [True, True, False, False]
        assert fig.layout.updatemenus[0].active == 0


def test_registry_passes_latencies_and_compressions_to_the_pareto_step() -> None:
    results, nets, comps = _compressed_study()
    spec = FIGURES["accuracy_vs_size"]
    assert spec.extras == ("latencies", "compressions")
    info = spec.data(records(results, nets, latencies=[_latency(nets[0], 1.0)],
                             compressions=comps))
    assert info.axes == ["size_mb", "macs", "latency_ms", "compressed_mb"]


def test_the_front_is_picked_on_validation_accuracy_not_test() -> None:
    small, large = net(1, size_mb=1.0, sr=0.25), net(2, size_mb=2.0, sr=0.5)
    # the larger network scores best on test, but the smaller one is better on validation:
    # picked on validation, the larger is dominated (on test it would be on the front)
    results = [replace(result(small, {"sr": 0.25}, top1=0.80, trial=0), val_top1=0.90),
               replace(result(large, {"sr": 0.5}, top1=0.95, trial=1), val_top1=0.85)]
    info = pareto_info(results, [small, large])
    assert [p.label for p in info.front] == ["sr=0.25"]
    assert [p.group.top1.mean for p in info.points] == [0.80, 0.95]  # drawn at test top-1
    assert "picked on validation top-1" in info.caption()
    summary = study_summary("s", results, [small, large])
    assert [g.point for g in summary.front] == [{"sr": 0.25}]
    text = front_text(summary, title="front")
    assert "1 of 2 points on the Pareto front" in text.splitlines()[1]
    assert text.splitlines()[2].split() == ["size", "MB", "val", "top-1", "test", "top-1",
                                            "base_e", "incr_e", "freq", "sr", "pct3x3", "bypass"]
    assert text.splitlines()[3].split()[:4] == ["1.000", "90.0%", "80.0%", "32"]
