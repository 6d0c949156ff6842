"""The one door to Optuna's hypervolume: a private function of Optuna's, so it is reached here only.

optuna._hypervolume.compute_hypervolume is the function behind
optuna.visualization.plot_hypervolume_history; Optuna does not promise to keep its name or
signature, and tests/search/test_optuna_hv.py fails loudly when either (or its result) changes.
"""

from __future__ import annotations

import numpy as np
from optuna._hypervolume import compute_hypervolume

__all__ = ["hypervolume"]


def hypervolume(points: np.ndarray, reference: np.ndarray) -> float:
    """The volume dominated by `points` and bounded by `reference`, every objective minimised.

    Args:
        points: one row per point (losses: smaller is better), each below `reference`.
        reference: the reference point, one value per objective.

    Returns:
        The hypervolume; 0.0 for no points.
    """
    if len(points) == 0:
        return 0.0
    return float(compute_hypervolume(np.asarray(points, dtype=float),
                                     np.asarray(reference, dtype=float)))
