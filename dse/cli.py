"""Shared helpers of the command-line entry points: config composition and one-line errors."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

__all__ = ["CONF_DIR", "compose", "entry_point", "fail", "one_line_errors", "quiet_libraries", "to_plain"]

CONF_DIR = Path(__file__).resolve().parents[1] / "conf"


def fail(message: str, *, code: int = 2) -> NoReturn:
    """Print `error: message` on one line to stderr and exit with `code`."""
    one_line = " ".join(str(message).split())
    print(f"error: {one_line}", file=sys.stderr)
    raise SystemExit(code)


def _describe(exc: BaseException) -> str:
    """The exception's message and its causes' messages, joined on one line."""
    parts: list[str] = []
    while exc is not None:
        text = " ".join(str(exc).split())
        # OmegaConf appends "full_key: ..., object_type=..." context lines; keep the sentence.
        text = re.split(r"\s+(?:full_key:|Config search path:)", text)[0]
        if text and text not in parts:
            parts.append(text)
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return " ".join(parts) or "invalid configuration"


def compose(config_name: str, overrides: Sequence[str]) -> Any:
    """Compose a Hydra config from conf/ with command-line style overrides."""
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    try:
        with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
            return hydra_compose(config_name=config_name, overrides=list(overrides))
    except (HydraException, OmegaConfBaseException) as exc:
        fail(_describe(exc))


def to_plain(node: Any) -> dict[str, Any]:
    """Resolve an OmegaConf node into plain Python containers, with one-line errors."""
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    try:
        return OmegaConf.to_container(node, resolve=True, throw_on_missing=True)  # type: ignore[return-value]
    except OmegaConfBaseException as exc:
        fail(_describe(exc))


def entry_point(config_name: str, usage: str, argv: Sequence[str] | None,
                body: Callable[[dict[str, Any]], int | None]) -> int:
    """A `python -m dse.<tool> [key=value ...]` command: -h/--help prints `usage`; otherwise the
    config `config_name` is composed with the arguments and `body` runs on its plain values,
    with one-line errors (exit 2). Returns the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    if "-h" in args or "--help" in args:
        print(usage)
        return 0
    return one_line_errors(lambda: body(to_plain(compose(config_name, args))))


def one_line_errors(main: Callable[[], int | None]) -> int:
    """Run `main`, turning ValueError and FileNotFoundError into one-line errors (exit 2)."""
    try:
        return main() or 0
    except (ValueError, FileNotFoundError) as exc:
        fail(str(exc))


def quiet_libraries() -> None:
    """Entry points' logging: warnings of our own, not the libraries' routine chatter.

    Library modules never change logging or warning filters; entry points (and the worker
    processes they start) call this once.
    """
    import logging
    import warnings

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    for name in ("pytorch_lightning", "lightning_fabric", "lightning.pytorch", "optuna"):
        logging.getLogger(name).setLevel(logging.WARNING)
    for message in (".*does not have many workers.*", ".*GPU available but not used.*",
                    ".*`training_step` returned `None`.*", ".*`isinstance\\(treespec, LeafSpec\\)`.*",
                    "Heartbeat of storage is supposed to be used"):
        warnings.filterwarnings("ignore", message=message)
    from optuna.exceptions import ExperimentalWarning

    # Heartbeats are used with ask/tell on purpose (trials are claimed under the study lock).
    warnings.filterwarnings("ignore", category=ExperimentalWarning)
