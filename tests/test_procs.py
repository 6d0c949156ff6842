"""Test children answer Ctrl-C even when the test run ignores SIGINT (tests/procs.py)."""

from __future__ import annotations

import signal
import subprocess
import sys

from procs import SIGINT_DEFAULT

HAS_HANDLER = "import signal; print(signal.getsignal(signal.SIGINT) is signal.default_int_handler)"


def _child_has_python_handler(**kwargs: object) -> str:
    """Start a child while SIGINT is ignored here; whether it got Python's Ctrl-C handler."""
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        done = subprocess.run([sys.executable, "-c", HAS_HANDLER], capture_output=True,
                              text=True, timeout=60, check=True, **kwargs)  # type: ignore[call-overload]
    finally:
        signal.signal(signal.SIGINT, previous)
    return done.stdout.strip()


def test_a_child_inherits_an_ignored_sigint_unless_put_back_to_default() -> None:
    assert _child_has_python_handler() == "False"  # what `trap '' INT` or `cmd &` in a script do
    assert _child_has_python_handler(**SIGINT_DEFAULT) == "True"


def test_the_default_sigint_fixture_puts_python_s_handler_in_place(default_sigint: None) -> None:
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
