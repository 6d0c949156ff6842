"""A simulated-annealing sampler for Optuna (the paper cites annealing for design search).

Stateless between calls: the current state is recomputed from the study's finished trials by
replaying the Metropolis acceptance rule with random numbers seeded per trial, so several
worker processes sharing one study see the same chain.
"""

from __future__ import annotations

import math
import random
import zlib
from collections.abc import Sequence
from typing import Any

import optuna
from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from optuna.samplers import BaseSampler, RandomSampler
from optuna.search_space import IntersectionSearchSpace
from optuna.study import StudyDirection
from optuna.trial import FrozenTrial, TrialState

__all__ = ["AnnealingSampler"]


class AnnealingSampler(BaseSampler):
    """Propose a neighbour of the current state; accept worse states with exp(-dE / T).

    Multi-objective studies anneal a scalar energy: each objective scaled to [0, 1] over the
    finished trials (sign flipped for maximised ones) and summed with equal weights.
    """

    def __init__(self, *, seed: int = 0, n_startup_trials: int = 5,
                 initial_temperature: float = 0.1, cooling: float = 0.9,
                 step_scale: float = 0.25, categorical_flip: float = 0.3) -> None:
        """Configure the schedule: T_k = initial_temperature * cooling^k after k trials."""
        if initial_temperature <= 0 or not 0 < cooling <= 1:
            raise ValueError("anneal needs initial_temperature > 0 and cooling in (0, 1], got "
                             f"{initial_temperature!r}, {cooling!r}")
        self.seed = seed
        self.n_startup_trials = n_startup_trials
        self.t0, self.cooling = initial_temperature, cooling
        self.step_scale, self.categorical_flip = step_scale, categorical_flip
        self._space = IntersectionSearchSpace()

    def infer_relative_search_space(self, study: optuna.Study, trial: FrozenTrial
                                    ) -> dict[str, BaseDistribution]:
        """The parameters every finished trial shares."""
        return self._space.calculate(study)

    def _energies(self, study: optuna.Study, trials: Sequence[FrozenTrial]) -> list[float]:
        """Scalar energy per trial (lower is better)."""
        signs = [1.0 if d == StudyDirection.MINIMIZE else -1.0 for d in study.directions]
        columns = list(zip(*[t.values for t in trials]))
        energy = [0.0] * len(trials)
        for sign, column in zip(signs, columns):
            low, high = min(column), max(column)
            span = high - low if high > low else 1.0
            for i, value in enumerate(column):
                energy[i] += sign * (value - low) / span
        return energy

    def _current(self, study: optuna.Study, trials: list[FrozenTrial]) -> FrozenTrial:
        """Replay the Metropolis chain over the finished trials; return the current state."""
        energies = self._energies(study, trials)
        current, e_current = 0, energies[0]
        for k in range(1, len(trials)):
            temperature = self.t0 * self.cooling ** k
            delta = energies[k] - e_current
            rng = random.Random(self.seed * 1_000_003 + trials[k].number)
            if delta <= 0 or rng.random() < math.exp(-delta / max(temperature, 1e-12)):
                current, e_current = k, energies[k]
        return trials[current]

    def sample_relative(self, study: optuna.Study, trial: FrozenTrial,
                        search_space: dict[str, BaseDistribution]) -> dict[str, Any]:
        """A neighbour of the current state (random until n_startup_trials have finished)."""
        finished = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        if len(finished) < self.n_startup_trials or not search_space:
            return {}
        finished = sorted(finished, key=lambda t: t.number)
        state = self._current(study, finished)
        temperature = self.t0 * self.cooling ** len(finished)
        spread = self.step_scale * max(temperature / self.t0, 0.05)
        rng = random.Random(self.seed * 7_919 + trial.number)
        return {name: self._neighbour(dist, state.params[name], spread, rng)
                for name, dist in search_space.items() if name in state.params}

    def _neighbour(self, dist: BaseDistribution, value: Any, spread: float,
                   rng: random.Random) -> Any:
        """Perturb one parameter within its distribution."""
        if isinstance(dist, CategoricalDistribution):
            if len(dist.choices) > 1 and rng.random() < self.categorical_flip:
                return rng.choice([c for c in dist.choices if c != value])
            return value
        if isinstance(dist, (FloatDistribution, IntDistribution)):
            low, high = float(dist.low), float(dist.high)
            if dist.log:
                lo, hi, x = math.log(low), math.log(high), math.log(value)
            else:
                lo, hi, x = low, high, float(value)
            x = min(hi, max(lo, x + rng.gauss(0.0, spread * (hi - lo))))
            new = math.exp(x) if dist.log else x
            step = dist.step
            if step:
                new = low + round((new - low) / step) * step
            new = min(high, max(low, new))
            return int(round(new)) if isinstance(dist, IntDistribution) else new
        return value

    def sample_independent(self, study: optuna.Study, trial: FrozenTrial, param_name: str,
                           param_distribution: BaseDistribution) -> Any:
        """Parameters outside the relative space are drawn at random, seeded per trial.

        Each (trial, parameter) has its own stream, so parallel workers draw distinct points.
        """
        seed = (self.seed * 7_919 + trial.number) * 1_000_003 + zlib.crc32(param_name.encode())
        return RandomSampler(seed=seed % 2**32).sample_independent(
            study, trial, param_name, param_distribution)
