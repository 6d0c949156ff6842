"""Whether a person watches the terminal (pure Python): progress bars and ETAs only then."""

from __future__ import annotations

import os
import sys

__all__ = ["interactive"]


def interactive(stream: str = "stdout") -> bool:
    """True when `stream` (stdout or stderr) is a terminal and CI is unset."""
    tty = getattr(sys, stream).isatty()
    return tty and os.environ.get("CI", "").lower() not in ("1", "true", "yes")
