"""The torch network, built from an expanded NetSpec only (never from raw config)."""

from __future__ import annotations

import torch
from torch import nn

from dse.expand import FireSpec, NetSpec

__all__ = ["Fire", "SqueezeNet", "build_model"]


def _conv_unit(in_ch: int, out_ch: int, kernel: int, *, stride: int = 1, padding: int = 0,
               batch_norm: bool, relu: bool = True) -> nn.Sequential:
    """Conv, then batch norm (replacing the conv bias) if asked, then ReLU if asked."""
    layers: list[nn.Module] = [
        nn.Conv2d(in_ch, out_ch, kernel, stride=stride, padding=padding, bias=not batch_norm)
    ]
    if batch_norm:
        layers.append(nn.BatchNorm2d(out_ch))
    if relu:
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


class Fire(nn.Module):
    """Squeeze 1x1 -> (expand 1x1 | expand 3x3) concatenated, each followed by ReLU (Sec. 3.2).

    A bypass, when present, is added after the module's final ReLU (Sec. 6): an identity, or a
    1x1 convolution where the channel counts differ.
    """

    def __init__(self, spec: FireSpec, *, batch_norm: bool) -> None:
        """Build the module's convolutions from its spec."""
        super().__init__()
        self.squeeze = _conv_unit(spec.in_channels, spec.s1x1, 1, batch_norm=batch_norm)
        self.expand1x1 = (
            _conv_unit(spec.s1x1, spec.e1x1, 1, batch_norm=batch_norm) if spec.e1x1 else None
        )
        self.expand3x3 = (
            _conv_unit(spec.s1x1, spec.e3x3, 3, padding=1, batch_norm=batch_norm)
            if spec.e3x3
            else None
        )
        self.bypass = spec.bypass
        self.shortcut = (
            _conv_unit(spec.in_channels, spec.out_channels, 1, batch_norm=batch_norm, relu=False)
            if spec.bypass == "conv"
            else None
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply the module (and its bypass)."""
        squeezed = self.squeeze(x)
        branches = [b(squeezed) for b in (self.expand1x1, self.expand3x3) if b is not None]
        out = torch.cat(branches, dim=1) if len(branches) > 1 else branches[0]
        if self.shortcut is not None:
            out = out + self.shortcut(x)
        elif self.bypass == "identity":
            out = out + x
        return out


class SqueezeNet(nn.Module):
    """conv1 -> Fire modules with max-pools -> dropout -> conv10 -> ReLU -> global avg-pool.

    The ReLU after conv10 is the paper's; `final_relu=False` drops it (on 10 classes a class
    whose score is negative for every image gets no gradient and never recovers).
    """

    def __init__(self, net: NetSpec) -> None:
        """Build every layer of `net` and apply the paper's initialisation."""
        super().__init__()
        self.spec = net
        stem = net.stem
        layers: list[nn.Module] = [
            _conv_unit(net.in_channels, net.stem_channels, stem.kernel, stride=stem.stride,
                       padding=stem.padding, batch_norm=net.batch_norm)
        ]
        if net.pool_after_stem:
            layers.append(nn.MaxPool2d(3, stride=2, ceil_mode=True))
        for fire in net.fires:
            layers.append(Fire(fire, batch_norm=net.batch_norm))
            if fire.pool_after:
                layers.append(nn.MaxPool2d(3, stride=2, ceil_mode=True))
        self.features = nn.Sequential(*layers)
        self.final_conv = nn.Conv2d(net.fires[-1].out_channels, net.num_classes, 1)
        self.classifier = nn.Sequential(
            nn.Dropout(p=net.dropout),
            self.final_conv,
            nn.ReLU(inplace=True) if net.final_relu else nn.Identity(),
            nn.AdaptiveAvgPool2d(1),
        )
        self._init_weights()

    def _init_weights(self) -> None:
        """conv10 normal(0, 0.01), other convs kaiming-uniform, biases zero (as torchvision)."""
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                if module is self.final_conv:
                    nn.init.normal_(module.weight, mean=0.0, std=0.01)
                else:
                    nn.init.kaiming_uniform_(module.weight)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Return class logits of shape (batch, num_classes)."""
        return torch.flatten(self.classifier(self.features(x)), 1)


def build_model(net: NetSpec) -> SqueezeNet:
    """Build the torch network for an expanded spec."""
    return SqueezeNet(net)
