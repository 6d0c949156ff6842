"""A point of a sweep resolved once into its network: the spec, the expansion and its record (pure).

A trial turns its point into a Candidate when it starts and hands it to everything that needs
the network (budget check, training, latency, compression, weights), so a point is expanded
once per trial rather than once per step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dse.core.expand import NetSpec, expand
from dse.core.records import ArchRecord, arch_record
from dse.core.spec import ArchSpec

__all__ = ["Candidate"]


@dataclass(frozen=True)
class Candidate:
    """One network of a sweep: the swept values, its spec, its expansion and its stored record."""

    point: dict[str, Any]  # the swept values, e.g. {"sr": 0.25} ({} for a stored network)
    spec: ArchSpec  # the whole network description (defaults plus the point)
    net: NetSpec  # expand(spec): per-layer widths
    arch: ArchRecord  # fingerprint and accounting of `net`

    @classmethod
    def of(cls, spec: ArchSpec, point: dict[str, Any] | None = None) -> Candidate:
        """Resolve `spec` (the network of `point`): expanded once here.

        Raises:
            ValueError: the input is too small for the network (see dse.core.expand.expand).
        """
        net = expand(spec)
        return cls(dict(point or {}), spec, net, arch_record(spec, net))

    @classmethod
    def of_record(cls, record: ArchRecord, point: dict[str, Any] | None = None) -> Candidate:
        """Resolve a stored network again from its flat fields; its fingerprint is recomputed
        (compare it with the record's to check the record still expands to itself)."""
        return cls.of(ArchSpec.from_dict(record.arch), point)

    @property
    def fingerprint(self) -> str:
        """The fingerprint of the expanded network."""
        return self.arch.fingerprint

    @property
    def input_size(self) -> int:
        """The input image side, in pixels."""
        return self.spec.input_size
