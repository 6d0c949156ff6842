"""Child processes that answer Ctrl-C, even when the test run itself ignores SIGINT.

A process started with SIGINT ignored (a background job of a script, `nohup cmd &`,
`trap '' INT`) passes SIG_IGN on to its children, and Python then installs no KeyboardInterrupt
handler in them: a SIGINT a test sends would be lost. Pass `**SIGINT_DEFAULT` to
subprocess.run/Popen for every child a test may interrupt.
"""

from __future__ import annotations

import signal
from typing import Any

__all__ = ["SIGINT_DEFAULT", "sigint_at_default"]


def sigint_at_default() -> None:
    """In the child, between fork and exec: SIGINT back to its default action."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


SIGINT_DEFAULT: dict[str, Any] = {"preexec_fn": sigint_at_default}
