"""Sampler and pruner registries: a name in the config -> an Optuna object.

The names and the options each sampler takes are defined once, in dse.core.config
(SAMPLER_OPTIONS, PRUNER_NAMES); a test checks that every name has a factory here.
"""

from __future__ import annotations

from collections.abc import Callable

import optuna

from dse.core.config import SamplerConfig
from dse.core.sweep import stable_hash
from dse.search._anneal import AnnealingSampler

__all__ = ["PRUNERS", "SAMPLERS", "make_pruner", "make_sampler", "trial_seed"]

Factory = Callable[[SamplerConfig, int], optuna.samplers.BaseSampler]

SAMPLERS: dict[str, Factory] = {
    "tpe": lambda c, seed: optuna.samplers.TPESampler(seed=seed,
                                                      n_startup_trials=c.n_startup_trials),
    "gp": lambda c, seed: optuna.samplers.GPSampler(seed=seed, n_startup_trials=c.n_startup_trials),
    "nsga2": lambda c, seed: optuna.samplers.NSGAIISampler(
        seed=seed, population_size=c.population_size or 8),
    "random": lambda c, seed: optuna.samplers.RandomSampler(seed=seed),
    # Sobol points are indexed by the study's own counter: one scramble seed for every trial.
    "qmc": lambda c, seed: optuna.samplers.QMCSampler(seed=c.seed, qmc_type="sobol", scramble=True),
    # The annealing chain is replayed from the study with the base seed; its proposals and
    # start-up draws are already seeded per trial.
    "anneal": lambda c, seed: AnnealingSampler(
        seed=c.seed, n_startup_trials=c.n_startup_trials,
        initial_temperature=c.initial_temperature or 0.1, cooling=c.cooling or 0.9),
}

PRUNERS: dict[str, Callable[[], optuna.pruners.BasePruner]] = {
    "none": optuna.pruners.NopPruner,
    "median": lambda: optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=2),
    "hyperband": lambda: optuna.pruners.HyperbandPruner(min_resource=2),
    "size_aware": optuna.pruners.NopPruner,  # dse.search._pruning prunes, from a callback
}


def trial_seed(base: int, trial_number: int) -> int:
    """The sampler seed of one trial: derived from sampler.seed and the trial's number.

    Workers that share a study therefore draw from distinct streams, and a trial's draw does
    not depend on which worker took it.
    """
    return int(stable_hash([base, trial_number])[:8], 16)


def make_sampler(cfg: SamplerConfig, *, trial_number: int | None = None
                 ) -> optuna.samplers.BaseSampler:
    """The sampler of the `sampler` group, seeded for `trial_number` (or with sampler.seed)."""
    seed = cfg.seed if trial_number is None else trial_seed(cfg.seed, trial_number)
    return SAMPLERS[cfg.name](cfg, seed)


def make_pruner(name: str) -> optuna.pruners.BasePruner:
    """The pruner named by study.pruner (validated by dse.core.config)."""
    return PRUNERS[name]()
