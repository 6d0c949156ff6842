"""Training real generated networks on real data."""

from __future__ import annotations

import signal
from dataclasses import replace
from pathlib import Path

import pytest
import pytorch_lightning as pl
from ctrlc import CtrlCWhenCollected
from realdata import write_cifar_pickles, write_image_folder

from dse.cli import compose, to_plain
from dse.core import interrupt
from dse.core.config import run_config
from dse.core.presets import preset
from dse.training.data import build_data
from dse.training.train import TrainConfig, fit, lr_factor, train_config

FAST = TrainConfig(epochs=6, batch_size=128, lr=0.08, threads=2)


@pytest.fixture(scope="module")
def digits():  # type: ignore[no-untyped-def]
    """The digits data module at 16x16, shared by the tests of this module."""
    return build_data({"name": "digits"}, input_size=16)


@pytest.mark.slow
def test_cpu_proxy_learns_digits(digits) -> None:  # type: ignore[no-untyped-def]
    result = fit(preset("cpu_proxy"), digits, FAST, seed=0)
    assert result.status == "complete"
    assert result.val_top1 is not None and result.val_top1 > 0.6  # chance is 0.1
    assert result.test_top1 is not None and result.test_top1 > 0.6
    assert result.test_top5 is not None and result.test_top5 >= result.test_top1
    assert result.epochs == 6 and len(result.history) == 6
    assert result.images_per_s > 0 and result.train_time_s <= result.wall_time_s
    assert result.device == "cpu" and result.seed == 0 and result.threads == 2
    assert result.train_loss is not None and result.train_loss < 2.0


@pytest.mark.slow
@pytest.mark.parametrize("channels_last", [True, False])
def test_equal_seeds_give_equal_metrics(digits, channels_last: bool) -> None:  # type: ignore[no-untyped-def]
    cfg = TrainConfig(epochs=2, batch_size=64, threads=2, channels_last=channels_last)
    a = fit(preset("cpu_proxy", bypass="complex"), digits, cfg, seed=7)
    b = fit(preset("cpu_proxy", bypass="complex"), digits, cfg, seed=7)
    c = fit(preset("cpu_proxy", bypass="complex"), digits, cfg, seed=8)
    assert (a.val_top1, a.test_top1, a.train_loss, a.history) == \
        (b.val_top1, b.test_top1, b.train_loss, b.history)
    assert a.train_loss != c.train_loss
    assert a.test_top1 is not None and a.test_top1 > 0.2  # chance is 0.1


class CtrlCInGarbageCollection(pl.Callback):
    """At the 3rd training step, Ctrl-C arrives while a finalizer runs: Python ignores it."""

    def on_train_batch_end(self, trainer: pl.Trainer, *args: object) -> None:
        """Deliver SIGINT inside a finalizer."""
        if trainer.global_step == 3:
            CtrlCWhenCollected()


@pytest.mark.usefixtures("default_sigint")  # even if pytest started ignoring SIGINT
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # on purpose
def test_a_swallowed_ctrl_c_still_stops_training(digits) -> None:  # type: ignore[no-untyped-def]
    with interrupt.guard(), pytest.raises(KeyboardInterrupt):
        fit(preset("cpu_proxy"), digits, replace(FAST, epochs=3), seed=0,
            callbacks=[CtrlCInGarbageCollection()])
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_absurd_learning_rate_reports_diverged(digits) -> None:  # type: ignore[no-untyped-def]
    result = fit(preset("cpu_proxy"), digits, TrainConfig(epochs=3, lr=1e9, threads=2), seed=0)
    assert result.status == "diverged"
    assert result.test_top1 is None


def test_class_count_mismatch_is_a_clear_error(digits) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="dataset has 10 classes and 1 channels but the network "
                                         "expects 1000 and 3"):
        fit(preset("squeezenet1_0", input_size=16, stem="small"), digits, FAST, seed=0)


@pytest.mark.slow
def test_trains_on_tiny_real_cifar(tmp_path: Path) -> None:
    root = write_cifar_pickles(tmp_path, 20, 10)
    data = build_data({"name": "cifar10", "root": str(root), "val_size": 50}, input_size=32)
    arch = preset("cpu_proxy", in_channels=3, input_size=32)
    result = fit(arch, data, TrainConfig(epochs=2, batch_size=64, threads=2), seed=0)
    assert result.status == "complete" and result.epochs == 2
    assert 0.0 <= result.test_top1 <= 1.0 and result.test_top5 >= result.test_top1


@pytest.mark.slow
def test_cifar_proxy_preset_learns_real_cifar_images_above_chance(tmp_path: Path) -> None:
    """The CIFAR-10 presets (arch, recipe and CIFAR-style folder) on 200 real training images.

    Only the length changes: at the preset's 5 epochs of batch 128, 180 images are 5 steps.
    """
    root = write_image_folder(tmp_path, 20, 10, held_out="test")
    cfg = run_config(to_plain(compose("config", [
        "arch=cifar_proxy", "train=cifar_proxy", "dataset=cifar10_folder", f"dataset.root={root}",
        "dataset.cache=false", "train.epochs=30", "train.batch_size=32", "train.threads=2"])))
    data = build_data(cfg.dataset, input_size=cfg.arch.input_size)
    result = fit(cfg.arch, data, cfg.train, seed=0)
    assert result.status == "complete" and result.epochs == 30
    # 100 test images, 10 classes: P(>= 20 right by chance) = 0.002. Measured: 25 right.
    assert result.test_top1 >= 0.20, result.test_top1


@pytest.mark.slow
def test_trains_on_tiny_image_folder(tmp_path: Path) -> None:
    root = write_image_folder(tmp_path, 20, 5, classes=("automobile", "cat", "ship"))
    data = build_data({"name": "imagefolder", "root": str(root), "input_size": 24},
                      input_size=24)
    arch = preset("cpu_proxy", in_channels=3, num_classes=3, input_size=24)
    result = fit(arch, data, TrainConfig(epochs=3, batch_size=16, threads=2), seed=0)
    assert result.status == "complete" and result.epochs == 3
    assert result.test_top5 == 1.0  # 3 classes: top-5 always hits


@pytest.mark.parametrize(
    ("values", "needle"),
    [
        ({"epochs": 0}, "train.epochs must be an integer >= 1, got 0"),
        ({"optimizer": "lbfgs"}, "train.optimizer must be one of sgd, adamw, got 'lbfgs'"),
        ({"lr": -1}, "train.lr must be a finite number >= 0, got -1"),
        ({"schedule": "step"}, "train.schedule must be one of linear, cosine, constant"),
        ({"threads": 0}, "train.threads must be null or an integer >= 1"),
        ({"lrr": 0.1}, "unknown train key(s) ['lrr']"),
        ({"precision": "bf17"}, "train.precision must be one of 32-true, 32, 16-mixed"),
        ({"warmup_epochs": -1}, "train.warmup_epochs must be an integer >= 0, got -1"),
    ],
)
def test_bad_train_config(values: dict[str, object], needle: str) -> None:
    with pytest.raises(ValueError) as info:
        train_config(values)
    assert needle in str(info.value)


def test_warm_up_rises_then_the_linear_schedule_decays() -> None:
    cfg = TrainConfig(epochs=10, warmup_epochs=2, schedule="linear")
    factors = [lr_factor(cfg, 5, step) for step in range(50)]
    assert factors[0] == pytest.approx(0.1)
    assert factors[:10] == sorted(factors[:10])  # rises over 2 epochs of 5 steps
    assert factors[10] == pytest.approx(1.0)
    assert factors[10:] == sorted(factors[10:], reverse=True)
    assert factors[-1] == pytest.approx(1 / 40)  # linear to 0 over the 40 steps after warm-up


def test_warm_up_longer_than_a_short_run_is_capped_at_half() -> None:
    one_epoch = TrainConfig(epochs=1, warmup_epochs=2)
    assert lr_factor(one_epoch, 5, 0) == pytest.approx(1.0)  # no room for warm-up
    three = TrainConfig(epochs=3, warmup_epochs=5)
    assert [round(lr_factor(three, 2, s), 2) for s in range(3)] == [0.1, 0.55, 1.0]
