"""`python -m dse.inspect [--json] [overrides...]`: a network's per-layer table and totals.

Takes the same overrides and keys as `dse.run` (e.g. `arch.sr=0.75 arch.bypass=complex`),
with the paper's SqueezeNet 1.0 on ImageNet-sized input as the default.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any

from dse.cli import compose, one_line_errors, to_plain
from dse.core.complexity import MB, Complexity, count
from dse.core.expand import NetSpec, expand, fingerprint
from dse.core.spec import ArchSpec

USAGE = "usage: python -m dse.inspect [--json] [key=value ...]   (e.g. arch.sr=0.75)"


def summary(arch: ArchSpec) -> dict[str, Any]:
    """JSON-ready description of a network: totals, fingerprint and per-layer rows."""
    net = expand(arch)
    comp = count(net)
    return {
        "params": comp.params,
        "size_bytes": comp.size_bytes(),
        "size_mb": comp.size_bytes() / MB,
        "macs": comp.macs,
        "activations": comp.activations,
        "fingerprint": fingerprint(net),
        "arch": arch.to_dict(),
        "layers": [
            {
                "name": row.name,
                "output_shape": list(row.output_shape),
                "s1x1": row.s1x1,
                "e1x1": row.e1x1,
                "e3x3": row.e3x3,
                "bypass": row.bypass,
                "params": row.params,
                "macs": row.macs,
            }
            for row in comp.layers
        ],
    }


def format_table(net: NetSpec, comp: Complexity) -> str:
    """The per-layer table (like the paper's Table 1) followed by the totals."""
    header = f"{'layer':<10} {'output':>14} {'s1x1':>6} {'e1x1':>6} {'e3x3':>6} {'bypass':>8} " \
             f"{'params':>11} {'MACs':>14}"
    lines = [header, "-" * len(header)]
    for row in comp.layers:
        h, w, c = row.output_shape
        cells = [("" if v is None else str(v)) for v in (row.s1x1, row.e1x1, row.e3x3)]
        bypass = "" if row.bypass in (None, "none") else row.bypass
        lines.append(
            f"{row.name:<10} {f'{h}x{w}x{c}':>14} {cells[0]:>6} {cells[1]:>6} {cells[2]:>6} "
            f"{bypass:>8} {row.params:>11,} {row.macs:>14,}"
        )
    lines.append("-" * len(header))
    size = comp.size_bytes()
    lines += [
        f"params       {comp.params:,}",
        f"size         {size:,} bytes = {size / MB:.2f} MB (2^20 bytes, 32-bit weights)",
        f"MACs/image   {comp.macs:,}",
        f"activations  {comp.activations:,} per image",
        f"input        {net.input_size}x{net.input_size}x{net.in_channels}",
        f"fingerprint  {fingerprint(net)}",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    if "-h" in args or "--help" in args:
        print(USAGE)
        return 0
    as_json = "--json" in args
    overrides = [a for a in args if a != "--json"]

    def run() -> int:
        cfg = compose("inspect", overrides)
        arch = ArchSpec.from_dict(to_plain(cfg.arch))
        if as_json:
            print(json.dumps(summary(arch)))
        else:
            net = expand(arch)
            print(format_table(net, count(net)))
        return 0

    return one_line_errors(run)


if __name__ == "__main__":
    raise SystemExit(main())
