"""Deliver Ctrl-C where Python swallows its KeyboardInterrupt."""

from __future__ import annotations

import signal


class CtrlCWhenCollected:
    """Ctrl-C arriving while garbage collection runs a finalizer (as it does inside torch)."""

    def __del__(self) -> None:
        """Deliver SIGINT here: its KeyboardInterrupt is printed as "Exception ignored"."""
        signal.raise_signal(signal.SIGINT)
