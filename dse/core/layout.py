"""How many worker processes and torch threads a run uses: a documented rule (pure Python).

Measured on a 2-core machine (benchmarks/throughput_bench.py; benchmarks/README.md): torch's
second thread speeds one training step up 1.5-1.7x at every network size tried (0.8 to 226
MMACs per image), a second worker process nearly 2x, and a trial with 2 threads runs several
times slower as soon as another CPU-bound process shares the cores (threads wait on each
other at every operator), while a 1-thread trial barely notices. Hence, on a CPU, with
`cores` the cores found idle when the run starts (dse.core.machine.free_cores):

- workers = min(cores, units of work left, workers that fit in half the memory);
- threads = cores // workers (1 when there are as many workers as cores).

A unit of work is a grid point's seeds trained together (or one trial). Large networks get
fewer workers, with more threads each, when their training memory would not fit. With a GPU,
one worker drives it with every core. `study.workers` and `train.threads` override the rule;
results depend slightly on the thread count (floating-point sums in another order), so every
result records its thread count.

Seed batching (study.seed_batching=auto) is decided by measurement, not by rule: stacking K
seeds as grouped convolutions ran a digits step (16x16, 1 channel) at 0.89-0.93x the time per
seed of one alone but a CIFAR-10 step (32x32, 3 channels) at 1.34-1.55x, on the same core. So a
run times a few training steps of the first point both ways and batches only when it pays
(batching_pays).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["BATCHING_GAIN", "Layout", "batching_pays", "choose_layout", "training_bytes"]

MEMORY_SHARE = 0.5  # share of the machine's memory the workers' training may take
BATCHING_GAIN = 0.95  # batch seeds when a pass of K costs under this share of K lone steps


def batching_pays(single_s: float, batched_s: float, copies: int) -> bool:
    """Whether a step of `copies` stacked seeds (batched_s) beats `copies` lone steps clearly."""
    if single_s <= 0 or batched_s <= 0 or copies < 2:
        raise ValueError(f"step times must be > 0 and copies >= 2, got {single_s!r}, "
                         f"{batched_s!r}, {copies!r}")
    return batched_s < BATCHING_GAIN * copies * single_s


@dataclass(frozen=True)
class Layout:
    """Worker processes and torch threads per worker, with why."""

    workers: int
    threads: int
    reason: str

    def describe(self) -> str:
        """One line for the start of a run."""
        return f"{self.workers} worker(s) x {self.threads} thread(s) ({self.reason})"


def training_bytes(*, activations: int, params: int, batch_size: int, copies: int) -> int:
    """Rough peak memory of training one network: saved activations, their gradients, weights.

    Args:
        activations: output values of every layer for one image (dse.core.complexity).
        params: parameters of one copy.
        batch_size: images per step and copy.
        copies: seeds trained together.
    """
    # each activation is kept, gets a gradient and a batch-norm copy; each weight has a
    # gradient, a momentum buffer and a spare for the optimiser's temporaries
    per_copy = 3 * activations * batch_size + 4 * params
    return 4 * copies * per_copy


def choose_layout(*, cores: int, units: int, gpu: bool = False, workers: int | None = None,
                  threads: int | None = None, worker_bytes: int | None = None,
                  memory_bytes: int | None = None) -> Layout:
    """The layout of a run, by the rule in the module docstring.

    Args:
        cores: CPU cores free for this run (measured at its start).
        units: units of work left (grid points' seed groups, or trials); at least 1 is assumed.
        gpu: whether training runs on a GPU.
        workers: study.workers when set (overrides the rule).
        threads: train.threads when set (overrides the rule).
        worker_bytes: estimated training memory of one worker (see training_bytes).
        memory_bytes: the machine's memory.
    """
    cores, units = max(1, cores), max(1, units)
    if workers is not None:
        reason = "study.workers as set"
    elif gpu:
        workers, reason = 1, "one worker drives the GPU"
    else:
        workers = min(cores, units)
        reason = "1 thread per worker, as many workers as cores" if workers == cores else \
            f"{units} unit(s) of work left: threads share the cores"
        if worker_bytes and memory_bytes:
            fit = max(1, int(memory_bytes * MEMORY_SHARE) // worker_bytes)
            if fit < workers:
                workers = fit
                reason = (f"a worker needs about {worker_bytes / 2**30:.1f} GiB to train: "
                          f"{fit} fit in half the memory")
    if threads is not None:
        reason += "; train.threads as set"
    else:
        threads = max(1, cores // workers)
    return Layout(workers, threads, reason)
