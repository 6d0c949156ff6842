"""Optuna's hypervolume, the private function dse reaches through dse.search._optuna_hv alone:
fronts whose volume is known exactly, so that an Optuna release that renames the function,
changes its signature or its result fails here first, by name."""

from __future__ import annotations

import numpy as np
import optuna._hypervolume

from dse.search import _optuna_hv
from dse.search._optuna_hv import hypervolume


def test_the_adapter_calls_optunas_own_function() -> None:
    assert _optuna_hv.compute_hypervolume is optuna._hypervolume.compute_hypervolume


def test_a_two_objective_staircase_has_its_exact_area() -> None:
    # boxes up to (4, 4): 3 x 1 from (1, 3), 2 x 1 more from (2, 2), 1 x 1 more from (3, 1);
    # (3, 3) is dominated and (0.5, 4) lies on the reference's edge: neither adds any
    front = np.array([[1.0, 3.0], [3.0, 1.0], [2.0, 2.0], [3.0, 3.0], [0.5, 4.0]])
    assert hypervolume(front, np.array([4.0, 4.0])) == 6.0
    assert hypervolume(front[:1], np.array([4.0, 4.0])) == 3.0


def test_a_three_objective_front_has_its_exact_volume() -> None:
    # three boxes of 6 up to (4, 4, 4); each pair overlaps in 2, all three in 1: 18 - 6 + 1
    front = np.array([[1.0, 2.0, 3.0], [2.0, 3.0, 1.0], [3.0, 1.0, 2.0]])
    assert hypervolume(front, np.array([4.0, 4.0, 4.0])) == 13.0


def test_no_points_have_no_volume() -> None:
    assert hypervolume(np.empty((0, 2)), np.array([1.0, 1.0])) == 0.0
