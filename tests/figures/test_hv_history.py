"""The hypervolume history figure: its data step on a hand-made history, and its selection."""

from __future__ import annotations

import pytest
from figrecords import net, records, result

from dse.analysis.figures._hypervolume import hypervolume_info, plot_hypervolume
from dse.analysis.figures._select import select_figures
from dse.core.records import HypervolumeRecord

RECORD = HypervolumeRecord(["accuracy", "size_mb"], [0.1, 32.75], [(0, 4.0), (1, 5.2), (3, 5.3)])


def test_the_history_and_its_reference_point_reach_the_csv_and_caption() -> None:
    network = net(1, size_mb=1.0)
    info = hypervolume_info([result(network, {"sr": 0.25}, top1=0.9)], [network],
                            hypervolume=RECORD)
    assert info.rows() == [
        {"trial": n, "hypervolume": v, "reference_accuracy": 0.1, "reference_size_mb": 32.75}
        for n, v in ((0, 4.0), (1, 5.2), (3, 5.3))]
    assert "validation top-1 0.1, MB 32.75" in info.caption() and "After 3 trials: 5.3" in \
        info.caption()
    fig = plot_hypervolume(info)
    assert list(fig.data[0].x) == [0, 1, 3] and list(fig.data[0].y) == [4.0, 5.2, 5.3]
    with pytest.raises(ValueError, match="needs the study's hypervolume history"):
        hypervolume_info([], [], hypervolume=None)


def test_a_study_gets_the_history_only_with_a_reference_and_the_edf_only_with_ten_points() -> None:
    networks = [net(i + 1, size_mb=0.1 * (i + 1), sr=0.05 * (i + 1)) for i in range(10)]
    results = [result(n, {"sr": n.arch["sr"]}, top1=0.5 + 0.01 * i, trial=i)
               for i, n in enumerate(networks)]
    names = [s.name for s in select_figures(records(results, networks, hypervolume=RECORD))]
    assert "hypervolume" in names and "edf" in names
    assert "hypervolume" not in [s.name for s in select_figures(records(results, networks))]
    assert "edf" not in [s.name for s in select_figures(records(results[:9], networks))]
