"""`python -m dse.dashboard [key=value ...]`: optuna-dashboard on the studies' database.

First publishes each study's figures (Figure 3a/3b or Table 3 as its swept keys warrant, and
accuracy vs size) and a summary note into Optuna's tables (optuna-dashboard's plotly-figure and
note attributes), then serves optuna-dashboard on dashboard.host:dashboard.port. What is
published stays in the database: plain `optuna-dashboard <url>` shows it too. Trials' user
attributes (status, seed, size_mb, test_top1, ...) are the worker's, shown by the dashboard.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from socketserver import ThreadingMixIn
from typing import TYPE_CHECKING, Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

from dse.analysis.figures import compact, select_figures, study_note
from dse.cli import entry_point
from dse.core.config import ArtifactsConfig
from dse.core.typed import from_mapping, require_bool, require_int
from dse.store import driver_url, open_store, redact_url, unknown_study

if TYPE_CHECKING:
    from optuna.storages import RDBStorage

__all__ = ["DashboardOptions", "dashboard_options", "main", "optuna_storage_url",
           "publish_to_dashboard", "serve"]

USAGE = ("usage: python -m dse.dashboard [key=value ...]   (storage.url=..., study.name=... "
         "(default: every study), dashboard.host=127.0.0.1 dashboard.port=8080)")
GRAPH_ID_PREFIX = "dse-"  # ids of the published figures: dse-fig3a, dse-accuracy_vs_size, ...
NOTE_HEADING = "## dse summary"  # a study note that starts otherwise is the user's: kept


@dataclass(frozen=True)
class DashboardOptions:
    """Keys of the `dashboard` config node."""

    host: str = "127.0.0.1"  # interface to bind; 0.0.0.0 exposes the dashboard to the network
    port: int = 8080  # 0 = any free port
    publish: bool = True  # publish the studies' figures and notes before serving

    def __post_init__(self) -> None:
        """Validate the address and flag."""
        if not isinstance(self.host, str) or not self.host.strip():
            raise ValueError(f"dashboard.host must be a host name or address, got {self.host!r}")
        require_int("dashboard.port", self.port, minimum=0, maximum=65535)
        require_bool("dashboard.publish", self.publish)


def dashboard_options(values: dict[str, Any]) -> DashboardOptions:
    """The typed `dashboard` node; unknown keys list the valid ones.

    Args:
        values: the node's plain values.

    Returns:
        The options.
    """
    return from_mapping(DashboardOptions, values, node="dashboard")


optuna_storage_url = driver_url  # the store's URL as optuna-dashboard takes it


def _optuna_storage(storage_url: str) -> RDBStorage:
    """Optuna's storage on the store's database (the study layer builds it)."""
    from dse.search import optuna_storage

    return optuna_storage(storage_url)


def publish_to_dashboard(storage_url: str, study: str, *,
                         storage: RDBStorage | None = None) -> list[str]:
    """Save `study`'s figures and a summary note where optuna-dashboard shows them.

    Republishing overwrites the figures (fixed ids) and the note, unless the note was
    written by someone else (it does not start with the dse heading).

    Args:
        storage_url: the store's database URL (Optuna's tables are in the same database).
        study: the study's name.
        storage: an open Optuna storage on that database (made from the URL when None).

    Returns:
        The ids of the published figures.

    Raises:
        ValueError: the store has no results of `study`, or Optuna has no study of that name.
    """
    import optuna
    from optuna_dashboard import get_note, save_note, save_plotly_graph_object

    with open_store(storage_url) as store:
        records = store.study_records(study)
        if not records.results:
            raise ValueError(unknown_study(study, store.studies(), storage_url))
    try:
        target = optuna.load_study(study_name=study, storage=storage or
                                   _optuna_storage(storage_url))
    except KeyError:
        raise ValueError(f"study {study!r} has results in {redact_url(storage_url)} but no "
                         "Optuna study there (dse.run makes both)") from None
    ids: list[str] = []
    captions: list[tuple[str, str]] = []
    for spec in select_figures(records):
        info = spec.data(records)
        ids.append(save_plotly_graph_object(target, compact(spec.draw(info)),
                                            graph_object_id=GRAPH_ID_PREFIX + spec.name))
        captions.append((info.title, info.caption()))
    note = study_note(records, figures=captions)
    current = get_note(target)
    if current != note and (not current or current.startswith(NOTE_HEADING)):
        save_note(target, note)
    return ids


class _Server(ThreadingMixIn, WSGIServer):
    """A WSGI server that answers the dashboard's parallel requests in threads."""

    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    """Request handler that does not log every request."""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base's name)
        """Drop the access log line."""


def serve(storage_url: str, *, host: str = "127.0.0.1", port: int = 8080,
          artifacts: str | None = None) -> None:
    """Serve optuna-dashboard on the database until interrupted; print its URL first.

    Args:
        storage_url: the store's database URL.
        host: interface to bind.
        port: port to bind (0: any free port; the URL printed says which).
        artifacts: the artifact store's location (artifacts.store), whose trials' weights
            the dashboard lists and serves; None: no artifacts.

    Raises:
        ValueError: the address cannot be bound.
    """
    from wsgiref.simple_server import make_server

    from optuna_dashboard import wsgi

    from dse.search import open_artifact_store

    store = open_artifact_store(artifacts, create=True) if artifacts else None
    app = wsgi(_optuna_storage(storage_url), artifact_store=store)
    try:
        server = make_server(host, port, app, server_class=_Server, handler_class=_QuietHandler)
    except OSError as exc:
        raise ValueError(f"cannot listen on {host}:{port} (dashboard.host, dashboard.port): "
                         f"{exc.strerror or exc}") from None
    shown = f"[{host}]" if ":" in host else host
    print(f"optuna-dashboard: http://{shown}:{server.server_port}/dashboard  "
          f"(storage {redact_url(storage_url)}; Ctrl-C to stop)", flush=True)
    folder = f" --artifact-dir {artifacts}" if artifacts and "://" not in artifacts else ""
    print(f"the same without dse: optuna-dashboard '{redact_url(optuna_storage_url(storage_url))}'"
          f"{folder}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def _publish_all(storage_url: str, name: str | None) -> None:
    """Publish the named study (it must exist), or every study of the store (skips noted)."""
    with open_store(storage_url) as store:
        studies = store.studies()
    if name is not None and name not in studies:
        raise ValueError(unknown_study(name, studies, storage_url))
    for study in [name] if name else studies:
        try:
            ids = publish_to_dashboard(storage_url, study)
        except ValueError as exc:
            if name:
                raise
            print(f"skipped study '{study}': {exc}", flush=True)
            continue
        print(f"published to study '{study}': {', '.join(ids)} and a summary note", flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: compose the config, publish the figures, serve; the exit code."""
    def run(values: dict[str, Any]) -> int:
        options = dashboard_options(dict(values.get("dashboard") or {}))
        storage_url = str(values["storage"]["url"])
        if options.publish:
            _publish_all(storage_url, values["study"]["name"])
        keep = from_mapping(ArtifactsConfig, dict(values.get("artifacts") or {}),
                            node="artifacts")
        serve(storage_url, host=options.host, port=options.port,
              artifacts=keep.location(str(values["study"]["output_dir"])))
        return 0

    return entry_point("dashboard", USAGE, argv, run)


if __name__ == "__main__":
    raise SystemExit(main())
