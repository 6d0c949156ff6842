"""A trained network as ONNX, checked against PyTorch by ONNX Runtime (the `export` extra).

The exporter is torch's torch.export-based one (dynamo=True, torch's default since 2.9; the
TorchScript exporter is deprecated); the batch dimension stays dynamic, so one file serves
batch 1 and any batch. Verification runs the same real images through both and compares logits.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import tempfile
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

__all__ = ["Verification", "onnx_session", "require_export", "to_onnx", "verify"]

INPUT, OUTPUT = "images", "logits"
DEFAULT_TOLERANCE = 1e-3  # max abs logit difference allowed, relative to the largest |logit| (>= 1)


def _need(module: str) -> Any:
    """Import an optional dependency of the `export` extra, or say how to install it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise ValueError(f"{module} is not installed; install the export extra: "
                         "pip install -e '.[export]'") from None


def require_export() -> None:
    """Raise the one-line error of `_need` unless the export extra is installed."""
    _need("onnxscript")
    _need("onnxruntime")


def to_onnx(model: torch.nn.Module, *, in_channels: int, input_size: int) -> bytes:
    """The ONNX bytes of a one-copy network in eval mode, with a dynamic batch dimension."""
    _need("onnxscript")
    model = model.eval()
    example = torch.zeros(2, in_channels, input_size, input_size)
    logging.getLogger("torch.onnx").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory() as folder, warnings.catch_warnings(), \
            contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        path = os.path.join(folder, "model.onnx")
        torch.onnx.export(model, (example,), path, dynamo=True, external_data=False,
                          input_names=[INPUT], output_names=[OUTPUT], verbose=False,
                          dynamic_shapes=({0: torch.export.Dim("batch")},))
        with open(path, "rb") as file:
            return file.read()


def onnx_session(data: bytes, *, threads: int) -> Any:
    """An ONNX Runtime CPU session on ONNX bytes, with `threads` intra-op threads."""
    ort = _need("onnxruntime")
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    return ort.InferenceSession(data, sess_options=options, providers=["CPUExecutionProvider"])


@dataclass(frozen=True)
class Verification:
    """ONNX Runtime's logits against PyTorch's on the same real images."""

    images: int
    max_abs_diff: float  # largest |logit difference|
    largest_logit: float  # largest |logit| of PyTorch's (the scale of the difference)
    top1_agreement: float  # share of images whose top-1 class is the same
    torch_top1: float  # accuracy of each on these images' labels
    onnx_top1: float
    tolerance: float  # max_abs_diff allowed, relative to max(1, largest_logit)

    @property
    def passed(self) -> bool:
        """Logits within tolerance and the same top-1 class for every image."""
        return self.max_abs_diff <= self.tolerance * max(1.0, self.largest_logit) and \
            self.top1_agreement == 1.0

    def line(self) -> str:
        """One line for the terminal."""
        verdict = "ok" if self.passed else "FAILED"
        return (f"ONNX Runtime vs PyTorch on {self.images} test images: max |logit diff| "
                f"{self.max_abs_diff:.2e} (largest |logit| {self.largest_logit:.1f}), top-1 "
                f"agreement {self.top1_agreement:.1%}, top-1 {self.onnx_top1:.1%} vs "
                f"{self.torch_top1:.1%}: {verdict}")


@torch.inference_mode()
def verify(model: torch.nn.Module, onnx: bytes, images: torch.Tensor, labels: torch.Tensor, *,
           tolerance: float = DEFAULT_TOLERANCE) -> Verification:
    """Compare a network's PyTorch and ONNX Runtime logits on real images.

    Args:
        model: the one-copy network (CPU, eval mode).
        onnx: its ONNX bytes (to_onnx).
        images: a batch of (N, C, H, W) float images as the network takes them.
        labels: their classes (N,).
        tolerance: max abs logit difference allowed, relative to max(1, largest |logit|).

    Returns:
        The comparison; `passed` says whether it holds.
    """
    expected = model.eval()(images).numpy()
    session = onnx_session(onnx, threads=torch.get_num_threads())
    got = session.run([OUTPUT], {INPUT: images.numpy()})[0]
    truth = labels.numpy()
    return Verification(
        images=len(images), max_abs_diff=float(np.abs(got - expected).max()),
        largest_logit=float(np.abs(expected).max()),
        top1_agreement=float((got.argmax(1) == expected.argmax(1)).mean()),
        torch_top1=float((expected.argmax(1) == truth).mean()),
        onnx_top1=float((got.argmax(1) == truth).mean()), tolerance=tolerance,
    )
