"""Deep Compression of a trained network (Han et al. 2016; SqueezeNet paper Table 2).

For each setting, starting from the trained weights:
1. prune: the network keeps its `keep` fraction of largest-magnitude convolution weights, by
   one threshold for all layers (global, the default: on digits, pruning to 33 % kept 88.9 %
   test top-1 before any fine-tune, against 33 % when every layer kept 33 %: the thin stem and
   the classifier lose as much as the wide expand layers), or per layer; the batch-norm statistics
   are measured again on training batches (the pruned layers' outputs shrank, and stale
   statistics alone drop a small network to chance), then a masked fine-tune;
2. fold batch norm into the convolutions, as inference does: each channel's scale goes into
   its weights (pruned ones stay zero) and its shift into a bias; the batch-norm layers become
   identities plus that bias, so a channel costs one stored float instead of four;
3. share: each convolution's kept weights are clustered by k-means into 2**bits centroids
   (linear initialisation), then an optional fine-tune moves each centroid by the mean
   gradient of its weights (Deep Compression's summed gradient over the cluster, divided by the
   cluster's size, so that a large cluster steps at a single weight's scale);
4. encode with dse.core.compression_codec: codebooks, Huffman-coded cluster indices and relative position
   gaps; the biases (conv10's and the folded ones) as raw float32. The bytes are decoded
   into a fresh network and that network is evaluated: the stored size and accuracy are of
   what a user would ship.
Knows nothing of Optuna or the store.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from dse.core.compression_codec import decode_network, encode_network, global_masks, prune_mask, share_weights
from dse.core.config import LAYER_KINDS, CompressConfig, CompressSetting, TrainConfig
from dse.core.expand import NetSpec
from dse.training.data import DataModule
from dse.training.model import SqueezeNet, build_model
from dse.training.train import evaluate

__all__ = ["Compressed", "compress_network", "conv_layers", "layer_kind", "load_decoded"]

RECALIBRATION_BATCHES = 50  # training batches that measure batch-norm statistics after pruning
# the shared-weight fine-tune's learning rate, relative to the pruning fine-tune's: it trains
# the network with batch norm folded, which diverged at the same rate (digits: 89 % -> 17 %)
SHARE_LR = 0.1
FOLDED = "folded"  # the stream's meta["batch_norm"]: only each batch norm's bias is stored


@dataclass(frozen=True)
class Compressed:
    """One setting applied to one trained network: its bytes and how the decoded network does."""

    setting: CompressSetting
    data: bytes  # the encoded network (dse.core.compression_codec.encode_network); its size is len(data)
    kept_fraction: float  # convolution weights kept / convolution weights
    val_top1: float
    val_top5: float
    test_top1: float
    test_top5: float
    time_s: float


def layer_kind(name: str) -> str:
    """The kind (one of LAYER_KINDS) of a convolution weight by its parameter name.

    Raises:
        ValueError: a name that is none of a generated SqueezeNet's convolutions.
    """
    parts = name.split(".")
    for kind, part in (("squeeze", "squeeze"), ("expand1x1", "expand1x1"),
                       ("expand3x3", "expand3x3"), ("bypass", "shortcut")):
        if part in parts:
            return kind
    if parts[0] == "final_conv":
        return "conv10"
    if parts[:2] == ["features", "0"]:
        return "conv1"
    raise ValueError(f"unknown layer kind of {name!r}; valid: {', '.join(LAYER_KINDS)}")


def conv_layers(model: SqueezeNet) -> dict[str, nn.Parameter]:
    """The network's convolution weights by parameter name (a shared module once)."""
    return {f"{name}.weight": module.weight for name, module in model.named_modules()
            if isinstance(module, nn.Conv2d)}


def _dense(model: SqueezeNet) -> dict[str, torch.Tensor]:
    """The biases of a network with batch norm folded: conv10's and each batch norm's."""
    return {f"{name}.bias": module.bias for name, module in model.named_modules()
            if isinstance(module, nn.Conv2d | nn.BatchNorm2d) and module.bias is not None}


def load_decoded(net: NetSpec, tensors: dict[str, np.ndarray], *, folded: bool) -> SqueezeNet:
    """A fresh network holding decoded tensors; every weight and statistic must be among them.

    With `folded` batch norm, each batch-norm layer is an identity plus its decoded bias.

    Raises:
        ValueError: a tensor the network lacks, or a floating-point tensor not decoded.
    """
    model = build_model(net)
    targets = dict(model.named_parameters())
    targets.update(model.named_buffers())
    if folded:
        for name, module in model.named_modules():
            if isinstance(module, nn.BatchNorm2d):
                _identity(module)
                for part in ("weight", "running_mean", "running_var"):
                    targets.pop(f"{name}.{part}")
    missing = [n for n, t in targets.items() if t.is_floating_point() and n not in tensors]
    extra = [n for n in tensors if n not in targets]
    if missing or extra:
        raise ValueError(f"decoded tensors do not fit the network: missing {missing[:3]}, "
                         f"unknown {extra[:3]}")
    with torch.no_grad():
        for name, value in tensors.items():
            targets[name].copy_(torch.from_numpy(value))
    return model.eval()


def _identity(bn: nn.BatchNorm2d) -> None:
    """Make a batch norm (in eval mode) an identity plus its bias: scale 1, mean 0, variance
    1 - eps (so that var + eps is 1)."""
    with torch.no_grad():
        bn.weight.fill_(1.0)  # type: ignore[union-attr]
        bn.running_mean.zero_()  # type: ignore[union-attr]
        bn.running_var.fill_(1.0 - bn.eps)  # type: ignore[union-attr]


@torch.no_grad()
def fold_batch_norm(model: SqueezeNet) -> None:
    """Fold each batch norm into the convolution before it (identity + bias afterwards)."""
    for module in model.modules():
        if isinstance(module, nn.Sequential) and len(module) > 1 and \
                isinstance(module[0], nn.Conv2d) and isinstance(module[1], nn.BatchNorm2d):
            conv, bn = module[0], module[1]
            scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)  # type: ignore[operator]
            conv.weight.mul_(scale.view(-1, 1, 1, 1))
            bn.bias.sub_(bn.running_mean * scale)  # type: ignore[operator]
            _identity(bn)


@torch.no_grad()
def _recalibrate(model: SqueezeNet, data: DataModule, device: torch.device, channels_last: bool
                 ) -> None:
    """Measure every batch norm's statistics again: a cumulative average over training batches."""
    norms = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    for bn in norms:
        bn.reset_running_stats()
        bn.momentum = None  # cumulative: every batch counts alike
    model.train()
    for step, (images, _) in enumerate(data.train_dataloader()):
        if step == RECALIBRATION_BATCHES:
            break
        images = images.to(device)
        model(images.contiguous(memory_format=torch.channels_last) if channels_last else images)
    for bn in norms:
        bn.momentum = 0.1
    model.eval()


def _masks(weights: dict[str, np.ndarray], setting: CompressSetting, scope: str
           ) -> dict[str, np.ndarray]:
    """Which weights each convolution keeps."""
    if scope == "global":
        return global_masks(weights, setting.keep)
    return {name: prune_mask(w, setting.keep) for name, w in weights.items()}


class _Centroids:
    """The shared weights of one convolution: codebook, cluster of each kept weight."""

    def __init__(self, weight: nn.Parameter, mask: np.ndarray, bits: int, iterations: int) -> None:
        """Cluster the kept weights and write the shared values into the layer."""
        flat = weight.detach().reshape(-1).cpu().numpy()
        positions = np.flatnonzero(mask)
        if positions.size:
            codebook, indices = share_weights(flat[positions], bits, iterations)
        else:  # a global threshold can empty a layer: all its weights are zero
            codebook, indices = np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.uint16)
        self.weight = weight
        self.positions = torch.from_numpy(positions).to(weight.device)
        self.indices = torch.from_numpy(indices.astype(np.int64)).to(weight.device)
        self.codebook = torch.from_numpy(codebook).to(weight.device)
        counts = torch.bincount(self.indices, minlength=self.codebook.numel())
        self.size = counts.clamp_min(1).to(self.codebook.dtype)
        self.write()

    def write(self) -> None:
        """Set the layer to its shared weights (zero where pruned)."""
        with torch.no_grad():
            flat = torch.zeros(self.weight.numel(), dtype=self.weight.dtype,
                               device=self.weight.device)
            flat[self.positions] = self.codebook[self.indices]
            self.weight.copy_(flat.view_as(self.weight))

    def step(self, lr: float) -> None:
        """Move each centroid by the mean gradient of its weights, then rewrite the layer."""
        grad = self.weight.grad
        if grad is None:
            return
        sums = torch.zeros_like(self.codebook).index_add_(
            0, self.indices, grad.reshape(-1)[self.positions])
        self.codebook -= lr * sums / self.size
        self.write()

    def sharing(self) -> tuple[np.ndarray, np.ndarray]:
        """(codebook, indices) as dse.core.compression_codec takes them."""
        return self.codebook.cpu().numpy().astype(np.float32), self.indices.cpu().numpy()


def _batches(data: DataModule, steps: int) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """`steps` training batches, epoch after epoch."""
    while steps > 0:
        for batch in data.train_dataloader():
            if steps == 0:
                return
            steps -= 1
            yield batch


def _train(model: SqueezeNet, data: DataModule, train: TrainConfig, *, steps: int, lr: float,
           device: torch.device, masks: dict[str, torch.Tensor] | None = None,
           shared: Sequence[_Centroids] = ()) -> None:
    """Fine-tune for `steps` batches, the learning rate falling linearly from `lr` to 0:
    pruned weights stay zero; shared layers move by centroid, with batch norm folded (held in
    eval mode, an identity plus its trained bias)."""
    if steps == 0:
        return
    frozen = {id(c.weight) for c in shared}
    for module in model.modules():
        if shared and isinstance(module, nn.BatchNorm2d):
            frozen.update({id(module.weight)})
    params = [p for p in model.parameters() if id(p) not in frozen]
    optimizer = torch.optim.SGD(params, lr=lr, momentum=train.momentum,
                                weight_decay=train.weight_decay)
    layers = conv_layers(model)
    model.train()
    if shared:
        for module in model.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.eval()
    for step, (images, labels) in enumerate(_batches(data, steps)):
        rate = lr * (1 - step / steps)
        for group in optimizer.param_groups:
            group["lr"] = rate
        images, labels = images.to(device), labels.to(device).view(-1)
        if train.channels_last:
            images = images.contiguous(memory_format=torch.channels_last)
        loss = F.cross_entropy(model(images), labels, label_smoothing=train.label_smoothing)
        optimizer.zero_grad(set_to_none=True)
        for c in shared:
            c.weight.grad = None
        loss.backward()
        for name, mask in (masks or {}).items():
            layers[name].grad.mul_(mask)  # type: ignore[union-attr]
        optimizer.step()
        with torch.no_grad():
            for name, mask in (masks or {}).items():
                layers[name].mul_(mask)
        for c in shared:
            c.step(rate)
    model.eval()


def _compress_one(state: dict[str, torch.Tensor], net: NetSpec, data: DataModule,
                  cfg: CompressConfig, setting: CompressSetting, train: TrainConfig, *,
                  seed: int, device: torch.device) -> Compressed:
    """One setting: prune, fine-tune, share, fine-tune, encode, decode, evaluate."""
    start = time.perf_counter()
    torch.manual_seed(seed)
    model = build_model(net)
    model.load_state_dict(state, strict=True)
    model.to(device)
    if train.channels_last:
        model.to(memory_format=torch.channels_last)
    layers = conv_layers(model)
    weights = {name: p.detach().cpu().numpy() for name, p in layers.items()}
    masks = _masks(weights, setting, cfg.prune)
    torch_masks = {name: torch.from_numpy(m).to(device=device, dtype=torch.float32)
                   for name, m in masks.items()}
    with torch.no_grad():
        for name, mask in torch_masks.items():
            layers[name].mul_(mask)
    lr = train.lr * cfg.lr_scale
    data.configure(batch_size=train.batch_size, seeds=[seed], device=device)
    run = train.epochs * len(data.train_dataloader())  # the training run's steps
    if any(not m.all() for m in masks.values()):
        _recalibrate(model, data, device, train.channels_last)
    _train(model, data, train, steps=round(cfg.prune_fraction * run), lr=lr, device=device,
           masks=torch_masks)
    fold_batch_norm(model)
    shared = [_Centroids(layers[name], masks[name], setting.bits[layer_kind(name)],
                         cfg.iterations) for name in layers]
    _train(model, data, train, steps=round(cfg.share_fraction * run), lr=lr * SHARE_LR,
           device=device, shared=shared)
    cpu = {name: p.detach().cpu().contiguous().numpy() for name, p in layers.items()}
    encoded = encode_network(
        {name: (cpu[name], masks[name]) for name in layers},
        {name: t.detach().cpu().contiguous().numpy() for name, t in _dense(model).items()},
        bits={name: setting.bits[layer_kind(name)] for name in layers},
        index_bits=cfg.index_bits, iterations=cfg.iterations,
        sharing={c_name: c.sharing() for c_name, c in zip(layers, shared, strict=True)},
        meta={"batch_norm": FOLDED})
    decoded = load_decoded(net, decode_network(encoded), folded=True).to(device)
    val = evaluate(decoded, data.eval_batches("val"), device)
    test = evaluate(decoded, data.eval_batches("test"), device)
    kept = sum(int(m.sum()) for m in masks.values()) / sum(m.size for m in masks.values())
    return Compressed(setting, encoded, kept, *val, *test, time_s=time.perf_counter() - start)


def compress_network(state: dict[str, torch.Tensor], net: NetSpec, data: DataModule,
                     cfg: CompressConfig, train: TrainConfig, *, seed: int,
                     device: torch.device | str = "cpu",
                     settings: Sequence[CompressSetting] | None = None) -> list[Compressed]:
    """Compress a trained one-copy network with each setting and evaluate what decodes.

    Args:
        state: the trained state dict (dse.training.weights.decode_weights gives one).
        net: the expanded network it belongs to.
        data: the data it was trained on (fine-tunes read its training split; the decoded
            network is evaluated on its validation and test splits).
        cfg: the `compress` node: fine-tune epochs, learning-rate scale, scope, index bits.
        train: the training config (batch size, momentum, weight decay, smoothing, layout).
        seed: seeds the fine-tunes' shuffling.
        device: where fine-tunes and evaluation run.
        settings: the settings to apply; cfg.settings when None.

    Returns:
        One Compressed per setting, in order.
    """
    data.setup()
    target = torch.device(device)
    return [_compress_one(state, net, data, cfg, s, train, seed=seed, device=target)
            for s in (cfg.settings if settings is None else settings)]
