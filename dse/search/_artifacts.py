"""Trained weights as Optuna artifacts: open a store by location, upload, read back.

A location is an absolute folder (Optuna's FileSystemArtifactStore), s3://bucket (Boto3,
needs boto3 and AWS credentials as boto3 finds them) or gs://bucket (GCS, needs
google-cloud-storage). Each result row records the location and the artifact id, so a result
can be read back whatever the current config says.
"""

from __future__ import annotations

import io
import os
import tempfile
import uuid
from typing import TYPE_CHECKING

import optuna
from optuna.artifacts import FileSystemArtifactStore, upload_artifact
from optuna.exceptions import UpdateFinishedTrialError

from dse.training.weights import WEIGHTS_FILENAME, WEIGHTS_MIMETYPE

if TYPE_CHECKING:
    from optuna.artifacts._protocol import ArtifactStore

__all__ = ["open_artifact_store", "read_artifact", "upload_bytes", "upload_weights"]


def open_artifact_store(location: str, *, create: bool = False) -> ArtifactStore:
    """The artifact store at `location` (see the module docstring).

    Raises:
        ValueError: a folder that is missing (unless `create`) or not writable, or a cloud
            store whose client library is not installed.
    """
    scheme, _, rest = location.partition("://")
    if rest and scheme in ("s3", "gs"):
        bucket = rest.split("/")[0]
        try:
            if scheme == "s3":
                from optuna.artifacts import Boto3ArtifactStore
                return Boto3ArtifactStore(bucket)
            from optuna.artifacts import GCSArtifactStore
            return GCSArtifactStore(bucket)
        except ImportError as exc:
            raise ValueError(f"artifacts.store={location} needs {exc.name}: pip install "
                             f"{'boto3' if scheme == 's3' else 'google-cloud-storage'}") from None
    folder = location  # ArtifactsConfig.location gives folders as absolute paths, no file://
    try:
        if create:
            os.makedirs(folder, exist_ok=True)
    except OSError as exc:
        raise ValueError(f"cannot create the artifact folder {folder} (artifacts.store): "
                         f"{exc.strerror or exc}") from None
    if not os.path.isdir(folder):
        raise ValueError(f"the artifact folder {folder} does not exist (artifacts.store)")
    if create and not os.access(folder, os.W_OK | os.X_OK):
        raise ValueError(f"the artifact folder {folder} is not writable (artifacts.store)")
    return FileSystemArtifactStore(folder)


def upload_weights(trial: optuna.Trial, store: ArtifactStore, data: bytes) -> str:
    """Upload a weights file as an artifact of `trial`; its id.

    A trial that another worker already failed (this one's heartbeat lapsed) cannot take
    attributes: its late result still keeps its weights, in the store without the trial's link
    (the result row names the artifact).
    """
    return upload_bytes(trial, store, data, filename=WEIGHTS_FILENAME, mimetype=WEIGHTS_MIMETYPE)


def upload_bytes(trial: optuna.Trial | optuna.trial.FrozenTrial, store: ArtifactStore, data: bytes,
                 *, filename: str, mimetype: str,
                 storage: optuna.storages.BaseStorage | None = None) -> str:
    """Upload bytes as a file `filename` of `trial` (a finished one needs its `storage`); the
    artifact id. A trial another worker failed meanwhile gets the bytes without the link."""
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, filename)
        with open(path, "wb") as file:
            file.write(data)
        try:
            return upload_artifact(artifact_store=store, file_path=path, study_or_trial=trial,
                                   mimetype=mimetype, storage=storage)
        except UpdateFinishedTrialError:
            artifact_id = str(uuid.uuid4())
            store.write(artifact_id, io.BytesIO(data))
            return artifact_id


def read_artifact(location: str, artifact_id: str) -> bytes:
    """The bytes of an artifact.

    Raises:
        ValueError: the store cannot be opened or has no such artifact.
    """
    store = open_artifact_store(location)
    try:
        with store.open_reader(artifact_id) as reader:
            return reader.read()
    except Exception as exc:  # each store raises its own kind (ArtifactNotFound, OSError, ...)
        raise ValueError(f"cannot read artifact {artifact_id} from {location}: "
                         f"{type(exc).__name__}: {exc}") from None
