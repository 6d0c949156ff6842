"""`python -m dse.export [key=value ...]`: take a study's trained networks out, verified.

For a trial number, a point (and seed), or every member of the study's Pareto front (validation
accuracy vs size: the model-selection split, not the test split), writes to
<export.out>/<study>/trial-<N>/:
  spec.json           the network (metaparameters, per-Fire widths, fingerprint, accounting), the
                      trial's metrics, and the check and latency below
  weights.safetensors the trained weights, as the run stored them (the network is in its header)
  model.onnx          the network in ONNX (opset of torch's exporter), batch dimension dynamic
The network is rebuilt from the stored weights file's own spec, never from the current config.
Each export is checked before it is written: ONNX Runtime's logits on real test images of the
study's own dataset must match PyTorch's (max |difference| and top-1 agreement are printed). A
folder is written whole or not at all (built beside it, then renamed).

Exit codes: 0 every export verified; 1 some failed their check (nothing written for them);
2 bad input (one line: unknown study or trial, no stored weights, unwritable folder, ...).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from dse.cli import entry_point, quiet_libraries
from dse.core.records import ResultRecord, counted_results
from dse.core.sweep import point_key, point_label
from dse.core.typed import from_mapping, require, require_bool, require_int, require_number

__all__ = ["ExportOptions", "export_options", "main", "select_results"]

USAGE = ("usage: python -m dse.export study.name=<study> (export.trial=N | 'export.point={sr: 0.25}' "
         "[export.seed=0] | export.pareto=true) [export.out=exports] [storage.url=...]")
NO_WEIGHTS = ("it has no stored weights: it ran with artifacts.keep=false or before dse kept "
              "weights; train it again in a new study (artifacts.keep=true is the default)")


@dataclass(frozen=True)
class ExportOptions:
    """Keys of the `export` node."""

    trial: int | None = None
    point: dict[str, Any] | None = None
    seed: int = 0
    pareto: bool = False
    out: str = "exports"
    images: int = 256
    tolerance: float = 1e-3
    latency: bool = True

    def __post_init__(self) -> None:
        """Exactly one selection; counts and tolerance in range."""
        chosen = [k for k, v in (("export.trial", self.trial), ("export.point", self.point),
                                 ("export.pareto", self.pareto or None)) if v is not None]
        require(len(chosen) == 1, f"give exactly one of export.trial, export.point, "
                                  f"export.pareto=true, got {chosen or 'none'}")
        require_int("export.trial", self.trial, minimum=0, optional=True)
        require(self.point is None or (isinstance(self.point, dict) and bool(self.point)),
                f"export.point must be a mapping such as {{sr: 0.25}}, got {self.point!r}")
        require_int("export.seed", self.seed, minimum=0)
        require_bool("export.pareto", self.pareto)
        require(isinstance(self.out, str) and bool(self.out),
                f"export.out must be a folder path, got {self.out!r}")
        require_int("export.images", self.images, minimum=1)
        require_number("export.tolerance", self.tolerance, low=0, low_open=True)
        require_bool("export.latency", self.latency)


def export_options(values: dict[str, Any]) -> ExportOptions:
    """The typed `export` node; unknown keys list the valid ones."""
    return from_mapping(ExportOptions, values, node="export")


def select_results(study: str, results: Sequence[ResultRecord], sizes: dict[str, float],
                   options: ExportOptions) -> list[ResultRecord]:
    """The counted results an export names, each measured and with stored weights; a study
    trained at several budgets exports its largest budget's (unless a trial is named).

    Args:
        study: the study's name (for messages).
        results: the study's results.
        sizes: fingerprint -> size in MB (for the Pareto front).
        options: the selection.

    Raises:
        ValueError: no such trial or point, or it has no trained network or weights.
    """
    from dse.analysis.figures import pareto_front

    counted = counted_results(results)
    budgets = sorted({r.budget for r in counted if r.budget is not None})
    if len(budgets) > 1 and options.trial is None:
        counted = [r for r in counted if r.budget in (budgets[-1], None)]
    if options.pareto:
        measured = [r for r in counted if r.status.measured and r.val_top1 is not None
                    and r.fingerprint in sizes and r.weights_artifact]
        require(bool(measured), f"study {study!r} has no measured trial with stored weights; "
                                f"{NO_WEIGHTS}")
        front = pareto_front([(sizes[r.fingerprint], r.val_top1) for r in measured])
        return [measured[i] for i in front]
    if options.trial is not None:
        found = [r for r in counted if r.trial_number == options.trial]
        what = f"trial {options.trial}"
        trials = sorted({r.trial_number for r in counted})
        known = f"trials with results: {trials[0]}..{trials[-1]}" if trials else "no results"
    else:
        key = point_key(options.point or {})
        found = [r for r in counted if point_key(r.point) == key and r.seed == options.seed]
        what = f"point {point_label(options.point or {})} seed {options.seed}"
        points = sorted({point_label(r.point) for r in counted})
        known = f"its points: {', '.join(points[:8])}{' ...' if len(points) > 8 else ''}"
    require(bool(found), f"study {study!r} has no counted result for {what}; {known}")
    result = found[0]
    require(result.status.measured, f"{what} of study {study!r} is {result.status.value} "
                                    f"({result.reason or 'no reason stored'}): no trained network")
    require(result.weights_artifact is not None, f"{what} of study {study!r}: {NO_WEIGHTS}")
    return [result]


def _test_images(definition: dict[str, Any], *, input_size: int, count: int) -> tuple[Any, Any]:
    """Up to `count` images and labels of the study's own test split, as the network takes them."""
    import torch

    from dse.core.config import dataset_config
    from dse.search import data_for

    data = data_for(dataset_config(dict(definition["dataset"])), input_size)
    data.setup()
    data.configure(batch_size=min(count, 256), seeds=[0], device=torch.device("cpu"))
    images, labels = [], []
    for batch, classes in data.eval_batches("test"):
        images.append(batch)
        labels.append(classes)
        if sum(len(b) for b in images) >= count:
            break
    return torch.cat(images)[:count].float(), torch.cat(labels)[:count]


def _writable(folder: Path) -> None:
    """Fail with one line, before any work, when `folder` could not be made or written."""
    existing = folder.resolve()
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise ValueError(f"cannot write to {folder} (export.out): {existing} is not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ValueError(f"cannot write to {folder} (export.out): {existing} is not writable")


def _write_whole(folder: Path, files: dict[str, bytes]) -> None:
    """Write `files` into `folder`, replacing it, so that it is never left half written."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}-"))
    umask = os.umask(0)
    os.umask(umask)
    try:
        staging.chmod(0o777 & ~umask)  # mkdtemp's folder is private; an export is not
        for name, data in files.items():
            (staging / name).write_bytes(data)
        old = folder.with_name(f".{folder.name}-old")
        if folder.exists():
            os.replace(folder, old)
        os.replace(staging, folder)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _export_one(result: ResultRecord, *, storage_url: str, definition: dict[str, Any],
                options: ExportOptions, latency_cfg: Any, out: Path) -> bool:
    """Export one trial; True when it was verified and written."""
    import torch

    from dse.search import read_artifact
    from dse.store import open_store
    from dse.training.deploy import to_onnx, verify
    from dse.training.latency import measure_all
    from dse.training.weights import WEIGHTS_FILENAME, rebuild

    data = read_artifact(str(result.weights_store), str(result.weights_artifact))
    model, meta = rebuild(data)
    arch = meta["arch"]
    if arch["fingerprint"] != result.fingerprint:
        raise ValueError(f"trial {result.trial_number}: its weights artifact holds network "
                         f"{arch['fingerprint']}, not the trial's {result.fingerprint}")
    spec = arch["arch"]
    onnx = to_onnx(model, in_channels=spec["in_channels"], input_size=spec["input_size"])
    images, labels = _test_images(definition, input_size=spec["input_size"], count=options.images)
    check = verify(model, onnx, images, labels, tolerance=options.tolerance)
    name = f"trial {result.trial_number} ({point_label(result.point)}, seed {result.seed})"
    print(f"{name}: {check.line()}", flush=True)
    if not check.passed:
        return False
    latencies = []
    if options.latency:
        threads = torch.get_num_threads()
        latencies = measure_all(model, fingerprint=result.fingerprint, cfg=latency_cfg,
                                threads=threads, device=torch.device("cpu"), onnx=onnx,
                                shape=(spec["in_channels"], spec["input_size"], spec["input_size"]),
                                runtimes=("torch", "onnxruntime"))
        with open_store(storage_url) as store:
            for record in latencies:
                store.save_latency(record)
        print("  latency (ms, median [quartiles]): " + ", ".join(
            f"{r.runtime} batch {r.batch} {r.median_ms:.3f} [{r.q1_ms:.3f}, {r.q3_ms:.3f}]"
            for r in latencies) + f" on {threads} thread(s)", flush=True)
    facts = {
        "study": result.study, "trial": result.trial_number, "point": result.point,
        "seed": result.seed, "network": arch, "dataset": result.dataset,
        "metrics": {k: getattr(result, k) for k in ("val_top1", "val_top5", "test_top1",
                                                    "test_top5", "epochs")},
        "weights_artifact": result.weights_artifact, "onnx_check": asdict(check),
        "latency": [asdict(r) for r in latencies],
    }
    folder = out / f"trial-{result.trial_number}"
    _write_whole(folder, {"spec.json": json.dumps(facts, indent=2).encode(),
                          WEIGHTS_FILENAME: data, "model.onnx": onnx})
    print(f"  wrote {folder}: spec.json, {WEIGHTS_FILENAME} ({len(data) / 2**20:.2f} MB), "
          f"model.onnx ({len(onnx) / 2**20:.2f} MB)", flush=True)
    return True


def export(values: dict[str, Any], options: ExportOptions) -> int:
    """Select, check and write the exports of a composed config; the exit code."""
    from dse.core.config import LatencyConfig, run_target
    from dse.search import study_definition
    from dse.store import open_store, unknown_study

    target = run_target(values)
    latency_cfg = from_mapping(LatencyConfig, dict(values.get("latency") or {}), node="latency")
    with open_store(target.storage_url) as store:
        results = store.results(target.study_name)
        if not results:
            raise ValueError(unknown_study(target.study_name, store.studies(), target.storage_url))
        sizes = {a.fingerprint: a.size_mb for a in store.archs(r.fingerprint for r in results)
                 .values()}
    chosen = select_results(target.study_name, results, sizes, options)
    out = Path(options.out) / target.study_name
    _writable(out)
    definition = study_definition(target.storage_url, target.study_name)
    print(f"exporting {len(chosen)} network(s) of study '{target.study_name}' to {out}",
          flush=True)
    failed = [r.trial_number for r in chosen
              if not _export_one(r, storage_url=target.storage_url, definition=definition,
                                 options=options, latency_cfg=latency_cfg, out=out)]
    if failed:
        print(f"error: trial(s) {failed} failed the ONNX Runtime check; nothing was written for "
              "them", file=sys.stderr)
        return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: compose the config as dse.run does, export; the exit code."""
    def run(values: dict[str, Any]) -> int:
        options = export_options(dict(values.pop("export", None) or {}))
        quiet_libraries()
        return export(values, options)

    return entry_point("export", USAGE, argv, run)


if __name__ == "__main__":
    raise SystemExit(main())
