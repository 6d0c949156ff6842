"""The compression stage of a study: each measured result's kept weights, compressed with every
configured setting (dse.compression), stored once per (study, trial, setting)."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import replace

import torch

from dse.compression import compress_network
from dse.config import RunConfig
from dse.expand import expand, fingerprint
from dse.records import ArchRecord, CompressionRecord, ResultRecord
from dse.search._artifacts import read_artifact
from dse.search._objective import Outcome, data_for
from dse.spec import ArchSpec
from dse.store import Store
from dse.train import resolve_device
from dse.weights import decode_weights

__all__ = ["COMPRESSED_FILENAME", "KeepBytes", "compress_outcome", "compress_result"]

log = logging.getLogger(__name__)
COMPRESSED_FILENAME = "compressed-{setting}.dsec"  # an encoded network, as an artifact
# Uploads bytes as an artifact of a trial: (trial number, filename, bytes) -> artifact id.
KeepBytes = Callable[[int, str, bytes], str]


def compress_result(cfg: RunConfig, store: Store, result: ResultRecord, arch: ArchRecord, *,
                    threads: int | None, keep: KeepBytes | None = None
                    ) -> list[CompressionRecord]:
    """Compress one measured result's kept weights with the settings it has no record of.

    Args:
        cfg: the run's config (compress, train, dataset).
        store: where the records go (and are looked up).
        result: a measured result that names its weights artifact.
        arch: its network.
        threads: torch CPU threads (None: as configured).
        keep: uploads each encoded network; None keeps only the record.

    Returns:
        Every stored record of this trial, one per configured setting, in settings order.

    Raises:
        ValueError: the result kept no weights, or they cannot be read or do not match.
    """
    if not result.weights_artifact or not result.weights_store:
        raise ValueError(f"trial {result.trial_number} of study {result.study} kept no weights "
                         "(artifacts.keep was false, or it ran before weights were kept); "
                         "compression starts from them: run it again with artifacts.keep=true")
    stored = {c.setting: c for c in store.compressions(result.study)
              if c.trial_number == result.trial_number}
    todo = [s for s in cfg.compress.settings if s.name not in stored]
    if todo:
        state, _ = decode_weights(read_artifact(result.weights_store, result.weights_artifact))
        spec = ArchSpec.from_dict(arch.arch)
        net = expand(spec)
        if fingerprint(net) != result.fingerprint:
            raise ValueError(f"trial {result.trial_number}'s network {arch.fingerprint} is not "
                             f"the result's {result.fingerprint}")
        torch.set_num_threads(threads or cfg.train.threads or os.cpu_count() or 1)
        accelerator = resolve_device(cfg.train.accelerator)
        device = torch.device("cuda" if accelerator == "gpu" else accelerator)
        done = compress_network(state, net, data_for(cfg.dataset, spec.input_size), cfg.compress,
                                cfg.train, seed=result.seed, device=device, settings=todo)
        for c in done:
            artifact = None
            if keep is not None and cfg.compress.keep_bytes:
                artifact = keep(result.trial_number,
                                COMPRESSED_FILENAME.format(setting=c.setting.name), c.data)
            record = CompressionRecord(
                study=result.study, trial_number=result.trial_number, seed=result.seed,
                fingerprint=result.fingerprint, setting=c.setting.name,
                setting_hash=cfg.compress.setting_hash(c.setting, cfg.train_hash),
                keep=c.setting.keep, bits=c.setting.bits, index_bits=cfg.compress.index_bits,
                prune=cfg.compress.prune, kept_fraction=c.kept_fraction,
                compressed_bytes=len(c.data), original_bytes=arch.size_bytes,
                val_top1=c.val_top1, val_top5=c.val_top5, test_top1=c.test_top1,
                test_top5=c.test_top5, time_s=c.time_s, artifact=artifact)
            store.save_compression(record)
            stored.setdefault(record.setting, record)
    return [stored[s.name] for s in cfg.compress.settings]


def compress_outcome(cfg: RunConfig, store: Store, outcome: Outcome, *, threads: int | None,
                     keep: KeepBytes | None = None) -> Outcome:
    """A measured outcome compressed (when the run compresses), with the first setting's size.

    A result whose weights were not kept (reused from a run without them) is left
    uncompressed, with a warning.
    """
    rec = outcome.record
    if not cfg.compress.enabled or not rec.status.measured:
        return outcome
    if not rec.weights_artifact:
        log.warning("trial %d reuses %s trial %s, which kept no weights: not compressed",
                    rec.trial_number, rec.reused_from_study, rec.reused_from)
        return outcome
    records = compress_result(cfg, store, rec, outcome.arch, threads=threads, keep=keep)
    return replace(outcome, compressed_mb=records[0].compressed_mb)


def compress_all(cfg: RunConfig, store: Store, pairs: Sequence[tuple[ResultRecord, ArchRecord]],
                 *, threads: int | None, keep: KeepBytes | None = None
                 ) -> list[CompressionRecord]:
    """compress_result for each (result, network) pair, in order; every record they have."""
    return [c for result, arch in pairs
            for c in compress_result(cfg, store, result, arch, threads=threads, keep=keep)]
