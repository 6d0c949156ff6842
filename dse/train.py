"""Train one generated network with PyTorch Lightning and measure it. Knows nothing of Optuna."""

from __future__ import annotations

import functools
import math
import os
import signal
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import pytorch_lightning as pl
import torch
import torch.nn.functional as F

from dse import interrupt
from dse.config import ACCELERATORS, Status, TrainConfig, train_config
from dse.data import DataModule
from dse.expand import expand
from dse.model import build_model
from dse.spec import ArchSpec
from dse.terminal import interactive

__all__ = ["TrainConfig", "TrainResult", "fit", "resolve_device", "train_config"]


@dataclass(frozen=True)
class TrainResult:
    """What one training run measured."""

    status: Status  # COMPLETE, DIVERGED or STOPPED (a callback ended training early)
    seed: int
    device: str
    threads: int
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

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return asdict(self)


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


def _topk_correct(logits: torch.Tensor, labels: torch.Tensor) -> tuple[int, int]:
    """Number of top-1 and top-5 hits in a batch (top-k capped at the class count)."""
    k = min(5, logits.shape[1])
    top = logits.topk(k, dim=1).indices
    hits = top.eq(labels[:, None])
    return int(hits[:, 0].sum()), int(hits.any(dim=1).sum())


class Classifier(pl.LightningModule):
    """A thin LightningModule around a generated network."""

    def __init__(self, model: torch.nn.Module, cfg: TrainConfig, *, steps_per_epoch: int) -> None:
        """Wrap `model` with the optimiser and schedule of `cfg`."""
        super().__init__()
        self.model, self.cfg, self.steps_per_epoch = model, cfg, steps_per_epoch
        self.diverged = False
        self.seen = 0
        self.train_time = 0.0
        self.history: list[float] = []
        self._epoch_losses: list[torch.Tensor] = []
        self.last_train_loss: float | None = None
        self._val = [0, 0, 0]
        self._t0 = 0.0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class logits."""
        if self.cfg.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        return self.model(x)

    def training_step(self, batch: tuple[torch.Tensor, torch.Tensor], _: int) -> torch.Tensor | None:
        """Cross-entropy step; a non-finite loss stops training as diverged."""
        images, labels = batch
        loss = F.cross_entropy(self(images), labels, label_smoothing=self.cfg.label_smoothing)
        if not torch.isfinite(loss):
            self.diverged = True
            self.trainer.should_stop = True
            return None
        self.seen += len(labels)
        self._epoch_losses.append(loss.detach())
        interrupt.check()  # a Ctrl-C whose KeyboardInterrupt was swallowed stops here
        return loss

    def on_train_epoch_start(self) -> None:
        """Start the epoch clock."""
        self._epoch_losses = []
        self._t0 = time.perf_counter()

    def on_train_epoch_end(self) -> None:
        """Stop the epoch clock and record the mean loss."""
        self.train_time += time.perf_counter() - self._t0
        if self._epoch_losses:
            self.last_train_loss = float(torch.stack(self._epoch_losses).mean())

    def validation_step(self, batch: tuple[torch.Tensor, torch.Tensor], _: int) -> None:
        """Count top-1 hits."""
        images, labels = batch
        top1, top5 = _topk_correct(self(images), labels)
        self._val[0] += top1
        self._val[1] += top5
        self._val[2] += len(labels)

    def on_validation_epoch_end(self) -> None:
        """Publish val_top1 (read by callbacks such as a pruner)."""
        top1 = self._val[0] / max(1, self._val[2])
        self._val = [0, 0, 0]
        if not self.trainer.sanity_checking:
            self.history.append(top1)
        self.log("val_top1", top1, prog_bar=True, logger=False)

    def configure_optimizers(self) -> Any:
        """Optimiser and a per-step schedule (warm-up, then linear/cosine/constant)."""
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
    """Top-1 and top-5 accuracy of `model` over `batches`."""
    model.eval()
    top1 = top5 = total = 0
    for images, labels in batches:
        a, b = _topk_correct(model(images.to(device)), labels.to(device))
        top1, top5, total = top1 + a, top5 + b, total + len(labels)
    return top1 / max(1, total), top5 / max(1, total)


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
    """Train the network of `arch` on `data` and measure it.

    Args:
        arch: the network to build (expanded here).
        data: the data module; its class count must match arch.num_classes.
        cfg: optimiser, schedule, epochs, device and threads.
        seed: seeds initialisation, shuffling, augmentation and dropout.
        callbacks: extra Lightning callbacks (e.g. a pruner); one that raises stops the run.

    Returns:
        A TrainResult; status "diverged" when the loss became NaN or infinite.
    """
    start = time.perf_counter()
    threads = cfg.threads or os.cpu_count() or 1
    torch.set_num_threads(threads)
    accelerator = resolve_device(cfg.accelerator)
    device = torch.device("cuda" if accelerator == "gpu" else accelerator)
    if accelerator == "gpu":
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    data.setup()
    if data.num_classes != arch.num_classes or data.in_channels != arch.in_channels:
        raise ValueError(
            f"the dataset has {data.num_classes} classes and {data.in_channels} channels but the "
            f"network expects {arch.num_classes} and {arch.in_channels}"
        )
    data.configure(batch_size=cfg.batch_size, seed=seed, device=device)
    pl.seed_everything(seed, workers=True, verbose=False)
    model = build_model(expand(arch))
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
    status = Status.DIVERGED if module.diverged else Status.COMPLETE
    if status is Status.COMPLETE and trainer.should_stop and module.current_epoch + 1 < cfg.epochs:
        status = Status.STOPPED
    metrics: dict[str, float | None] = dict.fromkeys(
        ("val_top1", "val_top5", "test_top1", "test_top5")
    )
    if status is not Status.DIVERGED:
        module.to(device)
        metrics["val_top1"], metrics["val_top5"] = evaluate(module, data.eval_batches("val"), device)
        metrics["test_top1"], metrics["test_top5"] = evaluate(
            module, data.eval_batches("test"), device)
    return TrainResult(
        status=status, seed=seed, device=str(device) if device.type != "cuda"
        else torch.cuda.get_device_name(device), threads=threads,
        epochs=len(module.history) or trainer.current_epoch,
        train_loss=module.last_train_loss,
        wall_time_s=time.perf_counter() - start, train_time_s=module.train_time,
        images_per_s=module.seen / module.train_time if module.train_time else 0.0,
        history=module.history, **metrics,
    )
