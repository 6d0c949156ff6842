"""Sampler and pruner registries: a name in the config -> an Optuna object."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import optuna

from dse.search._anneal import AnnealingSampler

__all__ = ["PRUNERS", "SAMPLERS", "make_pruner", "make_sampler"]


def _tpe(seed: int, n_startup_trials: int, **_: Any) -> optuna.samplers.BaseSampler:
    """Tree-structured Parzen estimator."""
    return optuna.samplers.TPESampler(seed=seed, n_startup_trials=n_startup_trials)


def _gp(seed: int, n_startup_trials: int, **_: Any) -> optuna.samplers.BaseSampler:
    """Gaussian-process Bayesian optimisation."""
    return optuna.samplers.GPSampler(seed=seed, n_startup_trials=n_startup_trials)


def _nsga2(seed: int, population_size: int = 8, **_: Any) -> optuna.samplers.BaseSampler:
    """NSGA-II genetic algorithm."""
    return optuna.samplers.NSGAIISampler(seed=seed, population_size=population_size)


def _random(seed: int, **_: Any) -> optuna.samplers.BaseSampler:
    """Random search."""
    return optuna.samplers.RandomSampler(seed=seed)


def _qmc(seed: int, **_: Any) -> optuna.samplers.BaseSampler:
    """Scrambled Sobol quasi-Monte Carlo."""
    return optuna.samplers.QMCSampler(seed=seed, qmc_type="sobol", scramble=True)


def _anneal(seed: int, n_startup_trials: int, initial_temperature: float = 0.1,
            cooling: float = 0.9, **_: Any) -> optuna.samplers.BaseSampler:
    """Simulated annealing."""
    return AnnealingSampler(seed=seed, n_startup_trials=n_startup_trials,
                            initial_temperature=initial_temperature, cooling=cooling)


SAMPLERS: dict[str, Callable[..., optuna.samplers.BaseSampler]] = {
    "tpe": _tpe, "gp": _gp, "nsga2": _nsga2, "random": _random, "qmc": _qmc, "anneal": _anneal,
}

PRUNERS: dict[str, Callable[[], optuna.pruners.BasePruner]] = {
    "none": optuna.pruners.NopPruner,
    "median": lambda: optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=2),
    "hyperband": lambda: optuna.pruners.HyperbandPruner(min_resource=2),
}


def make_sampler(values: dict[str, Any]) -> optuna.samplers.BaseSampler:
    """The sampler named in the `sampler` config group, with its options."""
    options = dict(values)
    name = options.pop("name", None)
    if name not in SAMPLERS:
        raise ValueError(f"unknown sampler {name!r}; valid: {', '.join(SAMPLERS)}")
    options.setdefault("seed", 0)
    options.setdefault("n_startup_trials", 5)
    factory = SAMPLERS[name]
    accepted = (set(inspect.signature(factory).parameters) - {"_"}) | {"seed", "n_startup_trials"}
    unknown = sorted(set(options) - accepted)
    if unknown:
        raise ValueError(f"unknown option(s) {unknown} for sampler {name}; valid: {sorted(accepted)}")
    return factory(**options)


def make_pruner(name: str) -> optuna.pruners.BasePruner:
    """The pruner named by study.pruner."""
    if name not in PRUNERS:
        raise ValueError(f"study.pruner must be one of {', '.join(PRUNERS)}, got {name!r}")
    return PRUNERS[name]()
