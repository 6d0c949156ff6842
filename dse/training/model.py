"""The torch network, built from an expanded NetSpec only (never from raw config).

One module can hold K independent copies of the same network (one per seed), stacked as
grouped convolutions: copy k owns the k-th slice of every layer's channels, so each operator
runs once for all K copies while no value passes from one copy to another. Copy k is
initialised and drops out from its own generator, seeded by its seed, so it is the network a
single-copy model with that seed would be (`copy_state` reads it back out).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from dse.core.expand import FireSpec, NetSpec

__all__ = ["Fire", "SeededDropout", "SqueezeNet", "build_model", "copy_state"]


def _conv_unit(in_ch: int, out_ch: int, kernel: int, *, copies: int, stride: int = 1,
               padding: int = 0, batch_norm: bool, relu: bool = True) -> nn.Sequential:
    """Conv, then batch norm (replacing the conv bias) if asked, then ReLU if asked."""
    layers: list[nn.Module] = [
        nn.Conv2d(copies * in_ch, copies * out_ch, kernel, stride=stride, padding=padding,
                  groups=copies, bias=not batch_norm)
    ]
    if batch_norm:
        layers.append(nn.BatchNorm2d(copies * out_ch))
    if relu:
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


class Fire(nn.Module):
    """Squeeze 1x1 -> (expand 1x1 | expand 3x3) concatenated, each followed by ReLU (Sec. 3.2).

    A bypass, when present, is added after the module's final ReLU (Sec. 6): an identity, or a
    1x1 convolution where the channel counts differ.
    """

    def __init__(self, spec: FireSpec, *, batch_norm: bool, copies: int = 1) -> None:
        """Build the module's convolutions from its spec."""
        super().__init__()
        self.copies = copies
        unit = {"batch_norm": batch_norm, "copies": copies}
        self.squeeze = _conv_unit(spec.in_channels, spec.s1x1, 1, **unit)
        self.expand1x1 = _conv_unit(spec.s1x1, spec.e1x1, 1, **unit) if spec.e1x1 else None
        self.expand3x3 = (
            _conv_unit(spec.s1x1, spec.e3x3, 3, padding=1, **unit) if spec.e3x3 else None
        )
        self.bypass = spec.bypass
        self.shortcut = (
            _conv_unit(spec.in_channels, spec.out_channels, 1, relu=False, **unit)
            if spec.bypass == "conv"
            else None
        )

    def _concat(self, branches: list[torch.Tensor]) -> torch.Tensor:
        """Concatenate the expand branches per copy: [copy0 e1, copy0 e3, copy1 e1, ...]."""
        if len(branches) == 1:
            return branches[0]
        if self.copies == 1:
            return torch.cat(branches, dim=1)
        n, _, h, w = branches[0].shape
        if branches[0].is_contiguous(memory_format=torch.channels_last):
            # NHWC: channels are the last axis in memory; cat there keeps the layout (no copy back)
            parts = [b.permute(0, 2, 3, 1).reshape(n, h, w, self.copies, -1) for b in branches]
            return torch.cat(parts, dim=4).reshape(n, h, w, -1).permute(0, 3, 1, 2)
        parts = [b.reshape(n, self.copies, -1, h, w) for b in branches]
        return torch.cat(parts, dim=2).reshape(n, -1, h, w)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply the module (and its bypass)."""
        squeezed = self.squeeze(x)
        out = self._concat([b(squeezed) for b in (self.expand1x1, self.expand3x3) if b is not None])
        if self.shortcut is not None:
            out = out + self.shortcut(x)
        elif self.bypass == "identity":
            out = out + x
        return out


class SeededDropout(nn.Module):
    """Dropout whose mask for copy k comes from generator k (same masks at any copy count)."""

    def __init__(self, p: float, generators: Sequence[torch.Generator]) -> None:
        """Drop with probability `p`; one generator per copy."""
        super().__init__()
        self.p = p
        self.generators = list(generators)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Zero each activation with probability p and scale the rest by 1 / (1 - p)."""
        if not self.training or self.p == 0:
            return x
        n, c, h, w = x.shape
        shape = (n, c // len(self.generators), h, w)
        keep = torch.cat([torch.rand(shape, generator=g) >= self.p for g in self.generators], 1)
        return x * keep.to(x.device, x.dtype) / (1 - self.p)


class SqueezeNet(nn.Module):
    """conv1 -> Fire modules with max-pools -> dropout -> conv10 -> ReLU -> global avg-pool.

    The ReLU after conv10 is the paper's; `final_relu=False` drops it (on 10 classes a class
    whose score is negative for every image gets no gradient and never recovers).

    With K = len(seeds) copies the input is (batch, K * channels, H, W), copy k's image in the
    k-th channel slice, and the output is (batch, K, classes); one copy gives (batch, classes).
    """

    def __init__(self, net: NetSpec, *, seeds: Sequence[int] = (0,)) -> None:
        """Build every layer of `net` once per seed and apply the paper's initialisation."""
        super().__init__()
        if not seeds:
            raise ValueError("a network needs at least one seed")
        self.spec = net
        self.copies = k = len(seeds)
        self.generators = [torch.Generator().manual_seed(int(s)) for s in seeds]
        stem = net.stem
        layers: list[nn.Module] = [
            _conv_unit(net.in_channels, net.stem_channels, stem.kernel, stride=stem.stride,
                       padding=stem.padding, batch_norm=net.batch_norm, copies=k)
        ]
        if net.pool_after_stem:
            layers.append(nn.MaxPool2d(3, stride=2, ceil_mode=True))
        for fire in net.fires:
            layers.append(Fire(fire, batch_norm=net.batch_norm, copies=k))
            if fire.pool_after:
                layers.append(nn.MaxPool2d(3, stride=2, ceil_mode=True))
        self.features = nn.Sequential(*layers)
        self.final_conv = nn.Conv2d(k * net.fires[-1].out_channels, k * net.num_classes, 1,
                                    groups=k)
        self.classifier = nn.Sequential(
            SeededDropout(net.dropout, self.generators),
            self.final_conv,
            nn.ReLU(inplace=True) if net.final_relu else nn.Identity(),
            nn.AdaptiveAvgPool2d(1),
        )
        self._init_weights()

    @torch.no_grad()
    def _init_weights(self) -> None:
        """conv10 normal(0, 0.01), other convs kaiming-uniform, biases zero (as torchvision).

        Copy k's slice of each layer is drawn from generator k, layer by layer in one order.
        """
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                for weight, gen in zip(module.weight.chunk(self.copies), self.generators):
                    if module is self.final_conv:
                        nn.init.normal_(weight, mean=0.0, std=0.01, generator=gen)
                    else:
                        nn.init.kaiming_uniform_(weight, generator=gen)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class logits: (batch, classes), or (batch, K, classes) for K > 1 copies."""
        logits = torch.flatten(self.classifier(self.features(x)), 1)
        return logits if self.copies == 1 else logits.view(len(logits), self.copies, -1)


def build_model(net: NetSpec, *, seeds: Sequence[int] = (0,)) -> SqueezeNet:
    """Build the torch network for an expanded spec, one copy per seed."""
    return SqueezeNet(net, seeds=seeds)


def copy_state(model: SqueezeNet, k: int) -> dict[str, torch.Tensor]:
    """The state dict of copy k, as a one-copy model of the same spec would hold it."""
    state = {}
    for name, value in model.state_dict().items():
        state[name] = value.chunk(model.copies)[k].clone() if value.ndim else value.clone()
    return state
