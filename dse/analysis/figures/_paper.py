"""The paper's published numbers that the figures show beside a study (see PAPER.md).

Only the points the paper states are here: nothing is read off its plots or interpolated.
Accuracies are fractions (0.803 = 80.3%); sizes are the paper's "MB" (2^20 bytes, 32-bit).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["FIG3A_PAPER", "FIG3B_PAPER", "PAPER_SOURCE", "TABLE2_PAPER", "TABLE3_PAPER",
           "CompressionPaperRow", "PaperPoint", "PaperReference", "PaperRow"]

PAPER_SOURCE = "Iandola et al. 2016, SqueezeNet (arXiv:1602.07360)"


@dataclass(frozen=True)
class PaperPoint:
    """One point of a paper figure, as the text states it."""

    value: float  # the swept metaparameter (SR or pct3x3)
    top5: float  # ImageNet top-5 accuracy, fraction
    size_mb: float  # model size in MB (2^20 bytes)
    size_label: str  # the size as the paper prints it, e.g. "4.8MB"


@dataclass(frozen=True)
class PaperReference:
    """The stated points of one paper figure, with what the paper says without a number."""

    figure: str  # "Figure 3a"
    key: str  # swept metaparameter: "sr" or "pct3x3"
    dataset: str
    metric: str
    points: tuple[PaperPoint, ...]
    notes: tuple[str, ...]  # statements without a number

    @property
    def label(self) -> str:
        """Legend text that says whose numbers these are."""
        return f"paper ({self.figure}, {self.dataset} {self.metric})"


@dataclass(frozen=True)
class PaperRow:
    """One row of the paper's Table 3."""

    label: str  # the paper's name of the architecture
    top1: float
    top5: float
    size_mb: float
    size_label: str


FIG3A_PAPER = PaperReference(
    figure="Figure 3a", key="sr", dataset="ImageNet", metric="top-5",
    points=(PaperPoint(0.125, 0.803, 4.8, "4.8MB"), PaperPoint(0.75, 0.860, 19.0, "19MB")),
    notes=("SR=1.0: a larger model and no better accuracy (the paper gives no number)",),
)
FIG3B_PAPER = PaperReference(
    figure="Figure 3b", key="pct3x3", dataset="ImageNet", metric="top-5",
    points=(PaperPoint(0.5, 0.856, 13.0, "~13MB"),),
    notes=("plateau at 85.6% from 50% 3x3 filters: more add size, no accuracy",
           "below ~25% 3x3 filters accuracy drops (the paper gives no number)"),
)
# bypass kind -> the paper's Table 3 row (ImageNet).
TABLE3_PAPER = {
    "none": PaperRow("vanilla SqueezeNet", 0.575, 0.803, 4.8, "4.8MB"),
    "simple": PaperRow("SqueezeNet + simple bypass", 0.604, 0.825, 4.8, "4.8MB"),
    "complex": PaperRow("SqueezeNet + complex bypass", 0.588, 0.820, 7.7, "7.7MB"),
}


@dataclass(frozen=True)
class CompressionPaperRow:
    """One row of the paper's Table 2 (model compression, ImageNet)."""

    network: str  # AlexNet or SqueezeNet
    compression: str  # the approach, as the paper names it
    size_mb: float
    size_label: str
    top1: float
    top5: float
    vs_alexnet: float  # reduction in size vs 32-bit AlexNet, as the paper prints it
    vs_squeezenet: float | None = None  # vs 32-bit SqueezeNet (4.8MB); None for AlexNet rows

    @property
    def label(self) -> str:
        """'SqueezeNet, Deep Compression, 6 bit'."""
        return f"{self.network}, {self.compression}"


# Table 2, in the paper's order and words ("33% sparsity": 33% of the weights kept); the
# ratios to SqueezeNet follow from the printed sizes (4.8 / 0.66 = 7.3x, 4.8 / 0.47 = 10.2x).
TABLE2_PAPER = (
    CompressionPaperRow("AlexNet", "none, 32 bit", 240.0, "240MB", 0.572, 0.803, 1.0),
    CompressionPaperRow("AlexNet", "SVD", 48.0, "48MB", 0.560, 0.794, 5.0),
    CompressionPaperRow("AlexNet", "network pruning", 27.0, "27MB", 0.572, 0.803, 9.0),
    CompressionPaperRow("AlexNet", "Deep Compression, 5-8 bit", 6.9, "6.9MB", 0.572, 0.803, 35.0),
    CompressionPaperRow("SqueezeNet", "none, 32 bit", 4.8, "4.8MB", 0.575, 0.803, 50.0, 1.0),
    CompressionPaperRow("SqueezeNet", "Deep Compression, 8 bit, 33% sparsity", 0.66, "0.66MB",
                        0.575, 0.803, 363.0, 4.8 / 0.66),
    CompressionPaperRow("SqueezeNet", "Deep Compression, 6 bit", 0.47, "0.47MB", 0.575, 0.803,
                        510.0, 4.8 / 0.47),
)
