"""Ctrl-C is never lost, even when Python swallows its KeyboardInterrupt."""

from __future__ import annotations

import signal

import pytest
from ctrlc import CtrlCWhenCollected

from dse.core import interrupt

pytestmark = pytest.mark.usefixtures("default_sigint")  # even if pytest started ignoring SIGINT


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # on purpose
def test_a_ctrl_c_swallowed_by_a_finalizer_is_still_seen() -> None:
    with interrupt.guard():
        CtrlCWhenCollected()  # collected at once: Python ignores the KeyboardInterrupt
        assert interrupt.requested()
        with pytest.raises(KeyboardInterrupt):
            interrupt.check()
    assert not interrupt.requested()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_without_a_ctrl_c_check_does_nothing() -> None:
    before = signal.getsignal(signal.SIGINT)
    with interrupt.guard():
        assert signal.getsignal(signal.SIGINT) is not before  # the guard is active ...
        assert interrupt.check() is None  # ... yet check neither raises nor records a stop
        assert not interrupt.requested()
    assert interrupt.check() is None
    assert not interrupt.requested()
    assert signal.getsignal(signal.SIGINT) is before
