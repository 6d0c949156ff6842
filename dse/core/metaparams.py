"""The metaparameters a sweep varies, as one table: name, label, unit, print format (pure Python).

Every list of these keys (the sweepable keys, the claims' keys, the figures' hover text and
front columns, a trial's attrs) reads this table; a test checks it against ArchSpec's fields
(MetaParams and bypass), so a new field cannot be left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["INTEGER_NAMES", "METAPARAMETERS", "NAMES", "Metaparameter"]


@dataclass(frozen=True)
class Metaparameter:
    """One swept field of a network."""

    name: str  # as the config and ArchSpec.to_dict spell it
    label: str  # how a figure titles an axis of it
    unit: str  # what its values count ("" for a choice)
    format: str  # format spec of a value in tables, e.g. ".4g"
    integer: bool  # whole numbers only (a search samples integers)

    def show(self, value: Any) -> str:
        """A value as tables print it, e.g. '0.125'; one of another type as str() ('.4g' if float)."""
        if not isinstance(value, bool):
            try:
                return format(value, self.format)
            except (TypeError, ValueError):
                pass
        return f"{value:.4g}" if isinstance(value, float) else str(value)


# MetaParams' fields in their order (paper Sec. 5.1), then bypass (Sec. 6): the column order of tables.
METAPARAMETERS: dict[str, Metaparameter] = {m.name: m for m in (
    Metaparameter("base_e", "expand filters of the first Fire module (base_e)", "filters", "d", True),
    Metaparameter("incr_e", "expand filters added every freq modules (incr_e)", "filters", "d", True),
    Metaparameter("freq", "Fire modules between increments of e (freq)", "Fire modules", "d", True),
    Metaparameter("sr", "squeeze ratio SR (s1x1 / e)", "s1x1 / e", ".4g", False),
    Metaparameter("pct3x3", "3x3 filters (pct3x3, share of expand filters)", "share of expand filters",
                  ".4g", False),
    Metaparameter("bypass", "bypass connections (bypass)", "", "s", False),
)}
NAMES = tuple(METAPARAMETERS)
INTEGER_NAMES = tuple(name for name, m in METAPARAMETERS.items() if m.integer)
