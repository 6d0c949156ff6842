"""The compression stage of a study: each measured result's kept weights, compressed with every
configured setting (dse.training.compression_stage), stored once per (study, trial, setting)."""

from __future__ import annotations

import io
import logging
import os
import uuid
from collections.abc import Callable
from dataclasses import replace

import torch

from dse.core.candidate import Candidate
from dse.core.config import RunConfig
from dse.core.records import CompressionRecord, ResultRecord, counted_results, percent
from dse.core.sweep import point_label
from dse.search._artifacts import open_artifact_store, read_artifact
from dse.search._objective import TrialOutcome, data_for
from dse.store import Store, open_store, unknown_study
from dse.training.compression_stage import compress_network
from dse.training.train import torch_device
from dse.training.weights import decode_weights

__all__ = ["COMPRESSED_FILENAME", "KeepBytes", "compress_outcome", "compress_result",
           "compress_study"]

log = logging.getLogger(__name__)
COMPRESSED_FILENAME = "compressed-{setting}.dsec"  # an encoded network, as an artifact
# Uploads bytes as an artifact of a trial: (trial number, filename, bytes) -> artifact id.
KeepBytes = Callable[[int, str, bytes], str]


def compress_result(cfg: RunConfig, store: Store, result: ResultRecord, candidate: Candidate, *,
                    threads: int | None, keep: KeepBytes | None = None
                    ) -> list[CompressionRecord]:
    """Compress one measured result's kept weights with the settings it has no record of.

    Args:
        cfg: the run's config (compress, train, dataset).
        store: where the records go (and are looked up).
        result: a measured result that names its weights artifact.
        candidate: its network (resolved once by the caller).
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
        if candidate.fingerprint != result.fingerprint:
            raise ValueError(f"trial {result.trial_number}'s network {candidate.fingerprint} is "
                             f"not the result's {result.fingerprint}")
        torch.set_num_threads(threads or cfg.train.threads or os.cpu_count() or 1)
        device = torch_device(cfg.train.accelerator)
        data = data_for(cfg.dataset, candidate.input_size)
        done = compress_network(state, candidate.net, data, cfg.compress, cfg.train,
                                seed=result.seed, device=device, settings=todo)
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
                compressed_bytes=len(c.data), original_bytes=candidate.arch.size_bytes,
                val_top1=c.val_top1, val_top5=c.val_top5, test_top1=c.test_top1,
                test_top5=c.test_top5, time_s=c.time_s, artifact=artifact)
            store.save_compression(record)
            stored.setdefault(record.setting, record)
    return [stored[s.name] for s in cfg.compress.settings]


def compress_outcome(cfg: RunConfig, store: Store, outcome: TrialOutcome, candidate: Candidate, *,
                     threads: int | None, keep: KeepBytes | None = None) -> TrialOutcome:
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
    records = compress_result(cfg, store, rec, candidate, threads=threads, keep=keep)
    return replace(outcome, compressed_mb=records[0].compressed_mb)


def _study_results(cfg: RunConfig, store: Store) -> list[ResultRecord]:
    """The study's measured results that kept weights; ValueError when there are none, or
    when the config's data or training is not the study's."""
    results = store.results(cfg.study_name)
    if not results:
        raise ValueError(unknown_study(cfg.study_name, store.studies(), cfg.storage_url))
    measured = [r for r in counted_results(results) if r.status.measured]
    kept = [r for r in measured if r.weights_artifact and r.weights_store]
    if not kept:
        raise ValueError(f"study {cfg.study_name!r} has {len(measured)} measured result(s) and "
                         "none kept its weights (artifacts.keep was false, or it ran before "
                         "weights were kept); compression starts from them: run the sweep "
                         "again with artifacts.keep=true")
    for key, mine, theirs in (("training", cfg.train_hash, kept[0].train_config_hash),
                              ("dataset", cfg.dataset_key, kept[0].dataset)):
        if mine != theirs:
            raise ValueError(f"this config's {key} ({mine}) is not the one study "
                             f"{cfg.study_name!r} trained with ({theirs}): pass the overrides "
                             "its run had (fine-tunes follow its training)")
    return kept


def compress_study(cfg: RunConfig, *, threads: int | None = None) -> list[CompressionRecord]:
    """Compress every measured result of a finished study that kept its weights, with each
    setting it has no record of; prints a line per trial. Every record of those trials.

    Raises:
        ValueError: an unknown study, no kept weights, or a config whose data or training
            is not the study's (nothing is stored then).
    """
    location = cfg.artifact_location
    with open_store(cfg.storage_url) as store:
        kept = _study_results(cfg, store)
        archs = store.archs(r.fingerprint for r in kept)
        artifacts = open_artifact_store(location, create=True) if location and \
            cfg.compress.keep_bytes else None

        def keep(_: int, __: str, data: bytes) -> str:  # a finished trial takes no new link
            artifact_id = str(uuid.uuid4())
            artifacts.write(artifact_id, io.BytesIO(data))  # type: ignore[union-attr]
            return artifact_id

        print(f"compressing {len(kept)} result(s) of study '{cfg.study_name}' with "
              f"{len(cfg.compress.settings)} setting(s)", flush=True)
        done: list[CompressionRecord] = []
        for result in kept:
            records = compress_result(cfg, store, result,
                                      Candidate.of_record(archs[result.fingerprint], result.point),
                                      threads=threads, keep=keep if artifacts else None)
            print(f"  trial {result.trial_number} {point_label(result.point)} seed={result.seed}: "
                  + "; ".join(f"{c.setting} {c.compressed_mb:.3f} MB ({c.ratio:.1f}x) test "
                              f"{percent(c.test_top1)}" for c in records), flush=True)
            done += records
    return done
