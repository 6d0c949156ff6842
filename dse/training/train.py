"""Train one generated network with PyTorch Lightning and measure it. Knows nothing of Optuna."""

from __future__ import annotations

import functools
import math
import os
import signal
import statistics
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import pytorch_lightning as pl
import torch
import torch.nn.functional as F

from dse.core import interrupt
from dse.core.config import ACCELERATORS, Status, TrainConfig, train_config
from dse.core.expand import NetSpec, expand
from dse.core.spec import ArchSpec
from dse.core.terminal import interactive
from dse.training.data import DataModule
from dse.training.model import SqueezeNet, build_model, copy_state

__all__ = ["TrainConfig", "TrainResult", "fit", "fit_seeds", "resolve_device", "step_seconds",
           "torch_device", "train_config"]


@dataclass(frozen=True)
class TrainResult:
    """What one training run measured."""

    status: Status  # COMPLETE, DIVERGED or STOPPED (a callback ended training early)
    seed: int
    device: str
    threads: int  # torch CPU threads it ran with (results depend on it, slightly)
    seed_batch: int  # seeds trained together in its pass (1 = alone)
    epochs: int  # epochs actually run
    val_top1: float | None = None
    val_top5: float | None = None
    test_top1: float | None = None
    test_top5: float | None = None
    train_loss: float | None = None  # mean loss of the last epoch
    wall_time_s: float = 0.0  # the whole call, evaluation included
    train_time_s: float = 0.0  # time inside training epochs
    images_per_s: float = 0.0  # training images per second
    history: list[float] = field(default_factory=list)  # val top-1 after each epoch
    history_top5: list[float] = field(default_factory=list)  # val top-5 after each epoch
    # mean train loss of each epoch (NaN or infinite once diverged; None: no step ran)
    history_loss: list[float | None] = field(default_factory=list)
    # the trained network's state dict, as a one-copy model holds it
    weights: dict[str, torch.Tensor] | None = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (without the weights)."""
        return {k: v for k, v in asdict(self).items() if k != "weights"}


def resolve_device(accelerator: str) -> str:
    """Lightning accelerator name for a config value ('auto' -> gpu when CUDA is present).

    Raises ValueError when the asked-for device is not on this machine.
    """
    if accelerator not in ACCELERATORS:
        raise ValueError(f"train.accelerator must be one of {', '.join(ACCELERATORS)}, "
                         f"got {accelerator!r}")
    if accelerator == "auto":
        return "gpu" if torch.cuda.is_available() else "cpu"
    if accelerator in ("gpu", "cuda") and not torch.cuda.is_available():
        raise ValueError(f"train.accelerator={accelerator} but no CUDA GPU is available here; "
                         "use train.accelerator=auto or cpu")
    if accelerator == "mps" and not torch.backends.mps.is_available():
        raise ValueError("train.accelerator=mps but MPS is not available here; "
                         "use train.accelerator=auto or cpu")
    return "gpu" if accelerator == "cuda" else accelerator


def torch_device(accelerator: str) -> torch.device:
    """The torch device of a config's accelerator (resolve_device's checks and rules)."""
    resolved = resolve_device(accelerator)
    return torch.device("cuda" if resolved == "gpu" else resolved)


def _topk_correct(logits: torch.Tensor, labels: torch.Tensor) -> tuple[int, int]:
    """Number of top-1 and top-5 hits in a batch (top-k capped at the class count)."""
    k = min(5, logits.shape[1])
    top = logits.topk(k, dim=1).indices
    hits = top.eq(labels[:, None])
    return int(hits[:, 0].sum()), int(hits.any(dim=1).sum())


def _side_by_side(images: torch.Tensor, copies: int) -> torch.Tensor:
    """One batch as every copy's input: (batch, copies * C, H, W); no copy for one copy."""
    return images if copies == 1 else images.repeat(1, copies, 1, 1)


class Classifier(pl.LightningModule):
    """A thin LightningModule around a generated network of K seed copies (K >= 1).

    Training batches hold one batch per copy (labels (batch, K)); each copy's loss is its own
    mean cross-entropy, and their sum is minimised, so every copy gets exactly its own gradient.
    A copy whose loss stops being finite is diverged: it leaves the sum, the others go on.
    """

    def __init__(self, model: SqueezeNet, cfg: TrainConfig, *, steps_per_epoch: int) -> None:
        """Wrap `model` with the optimiser and schedule of `cfg`."""
        super().__init__()
        self.model, self.cfg, self.steps_per_epoch = model, cfg, steps_per_epoch
        self.copies = model.copies
        self.diverged = [False] * self.copies
        self.seen = 0  # training images per copy
        self.train_time = 0.0
        # per copy, after each epoch: val top-1 (a pruner reads it), val top-5, mean train loss
        self.history: list[list[float]] = [[] for _ in range(self.copies)]
        self.history_top5: list[list[float]] = [[] for _ in range(self.copies)]
        self.history_loss: list[list[float | None]] = [[] for _ in range(self.copies)]
        self._epoch_losses: list[torch.Tensor] = []
        self.last_train_loss: list[float | None] = [None] * self.copies
        self._val = torch.zeros(3, self.copies, dtype=torch.long)
        self._t0 = 0.0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class logits (batch, K, classes) for input with every copy's image (batch, K*C, H, W)."""
        if self.cfg.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        logits = self.model(x)
        return logits.view(len(logits), self.copies, -1)

    def training_step(self, batch: tuple[torch.Tensor, torch.Tensor], _: int) -> torch.Tensor | None:
        """Sum of the copies' cross-entropies; a copy with a non-finite loss is diverged."""
        images, labels = batch
        labels = labels.view(len(labels), -1)  # (batch, K); one copy's loader gives (batch,)
        logits = self(images)  # (batch, K, classes)
        smoothing = self.cfg.label_smoothing
        if self.copies == 1:  # the plain loss: no per-example losses to reduce
            losses = F.cross_entropy(logits[:, 0], labels[:, 0], label_smoothing=smoothing)[None]
        else:
            losses = F.cross_entropy(logits.permute(0, 2, 1), labels, reduction="none",
                                     label_smoothing=smoothing).mean(0)
        finite = torch.isfinite(losses).tolist()
        for k, ok in enumerate(finite):
            self.diverged[k] = self.diverged[k] or not ok
        live = [k for k in range(self.copies) if not self.diverged[k]]
        if not live:
            self.trainer.should_stop = True
            return None
        self.seen += len(labels)
        self._epoch_losses.append(losses.detach())
        interrupt.check()  # a Ctrl-C whose KeyboardInterrupt was swallowed stops here
        return losses[live].sum() if len(live) < self.copies else losses.sum()

    def on_train_epoch_start(self) -> None:
        """Start the epoch clock."""
        self._epoch_losses = []
        self._t0 = time.perf_counter()

    def on_train_epoch_end(self) -> None:
        """Stop the epoch clock and record each copy's mean loss (after the epoch's validation)."""
        self.train_time += time.perf_counter() - self._t0
        means: list[float | None] = [None] * self.copies
        if self._epoch_losses:
            means = [float(m) for m in torch.stack(self._epoch_losses).mean(0).tolist()]
            self.last_train_loss = means
        for k in range(self.copies):
            self.history_loss[k].append(means[k])

    def validation_step(self, batch: tuple[torch.Tensor, torch.Tensor], _: int) -> None:
        """Count each copy's top-1 and top-5 hits (every copy sees the same images)."""
        images, labels = batch
        logits = self(_side_by_side(images, self.copies))
        for k in range(self.copies):
            top1, top5 = _topk_correct(logits[:, k], labels)
            self._val[:, k] += torch.tensor([top1, top5, len(labels)])

    def on_validation_epoch_end(self) -> None:
        """Record each copy's val top-1 and top-5; publish val_top1 of the first copy (read by
        callbacks such as a pruner)."""
        # hits / images in double precision: the last epoch's equals the result's val top-1
        top1, top5 = (self._val[:2].double() / self._val[2].clamp_min(1)).tolist()
        self._val.zero_()
        if not self.trainer.sanity_checking:
            for k in range(self.copies):
                self.history[k].append(top1[k])
                self.history_top5[k].append(top5[k])
        self.log("val_top1", top1[0], prog_bar=True, logger=False)

    def configure_optimizers(self) -> Any:
        """Optimiser and a per-step schedule (warm-up, then linear/cosine/constant).

        Both optimisers act element by element, so K stacked copies step as K separate ones.
        """
        cfg = self.cfg
        if cfg.optimizer == "sgd":
            opt: torch.optim.Optimizer = torch.optim.SGD(
                self.parameters(), lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay
            )
        else:
            opt = torch.optim.AdamW(self.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
        factor = functools.partial(lr_factor, cfg, self.steps_per_epoch)
        sched = torch.optim.lr_scheduler.LambdaLR(opt, factor)
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}


def lr_factor(cfg: TrainConfig, steps_per_epoch: int, step: int) -> float:
    """Learning-rate multiplier at optimiser step `step`: warm-up, then the schedule.

    The warm-up rises linearly from 0.1 to 1 over `warmup_epochs`, capped at half the run so a
    short run (a 1-epoch smoke test) still follows its schedule.
    """
    total = max(1, cfg.epochs * steps_per_epoch)
    warm = min(cfg.warmup_epochs, cfg.epochs // 2) * steps_per_epoch
    if step < warm:
        return 0.1 + 0.9 * step / warm
    progress = (step - warm) / max(1, total - warm)
    if cfg.schedule == "linear":
        return max(0.0, 1.0 - progress)
    if cfg.schedule == "cosine":
        return 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))
    return 1.0


@torch.inference_mode()
def evaluate(model: torch.nn.Module, batches: Iterable[tuple[torch.Tensor, torch.Tensor]],
             device: torch.device) -> tuple[float, float]:
    """Top-1 and top-5 accuracy of a one-copy `model` over `batches`."""
    return _evaluate_copies(model, batches, device, copies=1)[0]


@torch.inference_mode()
def _evaluate_copies(model: torch.nn.Module, batches: Iterable[tuple[torch.Tensor, torch.Tensor]],
                     device: torch.device, *, copies: int) -> list[tuple[float, float]]:
    """Top-1 and top-5 accuracy of each of the `copies` copies of `model` over `batches`."""
    model.eval()
    hits = torch.zeros(copies, 2, dtype=torch.long)
    total = 0
    for images, labels in batches:
        images, labels = images.to(device), labels.to(device)
        logits = model(_side_by_side(images, copies)).view(len(labels), copies, -1)
        for k in range(copies):
            hits[k] += torch.tensor(_topk_correct(logits[:, k], labels))
        total += len(labels)
    return [(int(a) / max(1, total), int(b) / max(1, total)) for a, b in hits]


def _show_progress(cfg: TrainConfig) -> bool:
    """Progress bar when asked, or by default when interactive and not under CI."""
    return cfg.progress if cfg.progress is not None else interactive("stderr")


def _fit_interruptible(trainer: pl.Trainer, module: pl.LightningModule, data: DataModule) -> None:
    """trainer.fit, re-raising Ctrl-C as KeyboardInterrupt (Lightning turns it into exit(1))."""
    handler = signal.getsignal(signal.SIGINT)
    try:
        trainer.fit(module, datamodule=data)
    except SystemExit:
        interrupt.check()  # SIGTERM or Ctrl-C inside fit: raise what the signal means
        if trainer.interrupted:
            raise KeyboardInterrupt from None
        raise
    finally:
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, handler)


def fit(arch: ArchSpec, data: DataModule, cfg: TrainConfig, *, seed: int,
        callbacks: Sequence[pl.Callback] = ()) -> TrainResult:
    """Train the network of `arch` on `data` with one seed and measure it.

    Args:
        arch: the network to build (expanded here).
        data: the data module; its class count must match arch.num_classes.
        cfg: optimiser, schedule, epochs, device and threads.
        seed: seeds initialisation, shuffling, augmentation and dropout.
        callbacks: extra Lightning callbacks (e.g. a pruner); one that raises stops the run.

    Returns:
        A TrainResult; status "diverged" when the loss became NaN or infinite.
    """
    return fit_seeds(arch, data, cfg, seeds=[seed], callbacks=callbacks)[0]


def fit_seeds(arch: ArchSpec, data: DataModule, cfg: TrainConfig, *, seeds: Sequence[int],
              callbacks: Sequence[pl.Callback] = (), net: NetSpec | None = None
              ) -> list[TrainResult]:
    """Train one copy of the network of `arch` per seed, all in one pass, and measure each.

    Copy k is initialised, shuffled, augmented and dropped out from seeds[k] alone, so it is
    the network fit(seed=seeds[k]) trains, up to floating-point rounding (grouped convolutions
    add in another order). Data modules that cannot stack seeds train them one after another.

    Args:
        arch: the network to build (expanded here, unless `net` is given).
        data: the data module; its class count must match arch.num_classes.
        cfg: optimiser, schedule, epochs, device and threads.
        seeds: one per copy, distinct.
        callbacks: extra Lightning callbacks; allowed with one seed only (they read one metric).
        net: expand(arch), when the caller has resolved it already (dse.core.candidate).

    Returns:
        One TrainResult per seed, in order; wall and training time are the pass's, divided
        by the number of seeds (what each seed cost).
    """
    if len(set(seeds)) != len(seeds) or not seeds:
        raise ValueError(f"seeds must be distinct and at least one, got {list(seeds)}")
    if callbacks and len(seeds) > 1:
        raise ValueError("training callbacks (a pruner) need one seed per pass")
    if len(seeds) > 1 and not data.stacks_seeds:
        return [fit_seeds(arch, data, cfg, seeds=[s], net=net)[0] for s in seeds]
    start = time.perf_counter()
    threads = cfg.threads or os.cpu_count() or 1
    torch.set_num_threads(threads)
    accelerator = resolve_device(cfg.accelerator)
    device = torch_device(cfg.accelerator)
    if accelerator == "gpu":
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    data.setup()
    if data.num_classes != arch.num_classes or data.in_channels != arch.in_channels:
        raise ValueError(
            f"the dataset has {data.num_classes} classes and {data.in_channels} channels but the "
            f"network expects {arch.num_classes} and {arch.in_channels}"
        )
    data.configure(batch_size=cfg.batch_size, seeds=seeds, device=device)
    pl.seed_everything(seeds[0], workers=True, verbose=False)
    model = build_model(net or expand(arch), seeds=seeds)
    if cfg.channels_last:
        model.to(memory_format=torch.channels_last)
    steps = len(data.train_dataloader())
    module = Classifier(model, cfg, steps_per_epoch=steps)
    trainer = pl.Trainer(
        accelerator=accelerator, devices=1, max_epochs=cfg.epochs, precision=cfg.precision,
        deterministic=cfg.deterministic if accelerator == "cpu" else False,
        logger=False, enable_checkpointing=False, enable_model_summary=False,
        num_sanity_val_steps=0, enable_progress_bar=_show_progress(cfg),
        callbacks=list(callbacks), log_every_n_steps=max(1, steps),
    )
    _fit_interruptible(trainer, module, data)
    interrupt.check()  # a stop that arrived as training ended
    stopped = trainer.should_stop and module.current_epoch + 1 < cfg.epochs
    module.to(device)
    val = _evaluate_copies(module.model, data.eval_batches("val"), device, copies=len(seeds))
    test = _evaluate_copies(module.model, data.eval_batches("test"), device, copies=len(seeds))
    share = 1 / len(seeds)
    elapsed = time.perf_counter() - start
    results = []
    for k, seed in enumerate(seeds):
        status = Status.DIVERGED if module.diverged[k] else \
            Status.STOPPED if stopped else Status.COMPLETE
        metrics = {} if status is Status.DIVERGED else {
            "val_top1": val[k][0], "val_top5": val[k][1],
            "test_top1": test[k][0], "test_top5": test[k][1]}
        results.append(TrainResult(
            status=status, seed=seed, device=str(device) if device.type != "cuda"
            else torch.cuda.get_device_name(device), threads=threads, seed_batch=len(seeds),
            epochs=len(module.history[k]) or trainer.current_epoch,
            train_loss=module.last_train_loss[k],
            wall_time_s=elapsed * share, train_time_s=module.train_time * share,
            images_per_s=module.seen / (module.train_time * share) if module.train_time else 0.0,
            history=module.history[k], history_top5=module.history_top5[k],
            history_loss=module.history_loss[k], weights=copy_state(module.model, k), **metrics,
        ))
    return results


def step_seconds(arch: ArchSpec, cfg: TrainConfig, *, copies: Sequence[int], threads: int,
                 steps: int = 8, warmup: int = 2) -> dict[int, float]:
    """Median seconds of one CPU training step (forward, backward, SGD update) of the network
    of `arch` stacked `k` times, for each k in `copies`, on random inputs of a batch of
    cfg.batch_size. The k alternate step by step, so a change in machine load hits all alike;
    `warmup` untimed steps each come first (oneDNN builds its kernels then). With 3 timed steps
    the same digits network measured 0.91x and 0.97x in two runs; 8 steady that."""
    torch.set_num_threads(threads)
    layout = torch.channels_last if cfg.channels_last else torch.contiguous_format
    work = {}
    for k in copies:
        model = build_model(expand(arch), seeds=range(k)).to(memory_format=layout)
        images = torch.randn(cfg.batch_size, arch.in_channels * k, arch.input_size,
                             arch.input_size).contiguous(memory_format=layout)
        labels = torch.randint(0, arch.num_classes, (cfg.batch_size,))
        work[k] = (model, torch.optim.SGD(model.parameters(), lr=1e-3), images, labels)
    times: dict[int, list[float]] = {k: [] for k in copies}
    for step in range(warmup + steps):
        for k, (model, optimizer, images, labels) in work.items():
            start = time.perf_counter()
            logits = model(images)
            loss = F.cross_entropy(logits.reshape(-1, arch.num_classes), labels.repeat_interleave(k))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            if step >= warmup:
                times[k].append(time.perf_counter() - start)
    return {k: statistics.median(t) for k, t in times.items()}
