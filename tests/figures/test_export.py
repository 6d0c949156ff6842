"""PNG/SVG export: the images' sizes (a table fits its rows), in a real kaleido + Chromium; and
the Chromium it needs, from scripts/setup.sh on a machine without one."""

from __future__ import annotations

import hashlib
import os
import shutil
import struct
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from figrecords import net, result, sweep

from dse.analysis.figures import compact, write_static
from dse.analysis.figures._export import static_size
from dse.analysis.figures._pareto import pareto_info, plot_pareto
from dse.analysis.figures._table3 import plot_table3, table3_info, table_height

ROOT = Path(__file__).resolve().parents[2]
TABLE_SCORES = {"none": [(0.6, 0.9)], "simple": [(0.66, 0.93)], "complex": [(0.7, 0.95)]}


def _table3():
    """Table 3 of a three-kind bypass study, drawn."""
    results, archs = sweep("bypass", TABLE_SCORES, sizes=dict.fromkeys(TABLE_SCORES, 0.5))
    return plot_table3(table3_info(results, archs))


def _pareto():
    """Accuracy vs size of a small sweep, drawn."""
    results, archs = sweep("sr", {0.25: [(0.6, 0.9)], 0.75: [(0.7, 0.95)]},
                           sizes={0.25: 0.3, 0.75: 0.9})
    return plot_pareto(pareto_info(results, archs))


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    data = path.read_bytes()[:24]
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", data[16:24])


def test_a_table_keeps_its_own_size_and_plots_take_the_asked_one() -> None:
    assert static_size(_table3(), 640, 480) == (1000, table_height(3))
    assert static_size(_pareto(), 640, 480) == (640, 480)


@pytest.mark.browser
def test_static_images_have_those_sizes(tmp_path: Path) -> None:
    written, skipped = write_static({"table3": _table3(), "accuracy_vs_size": _pareto()},
                                    tmp_path, width=800, height=450)
    assert skipped is None, skipped
    assert {p.name for p in written} == {"table3.png", "table3.svg", "accuracy_vs_size.png",
                                         "accuracy_vs_size.svg"}
    assert png_size(tmp_path / "table3.png") == (1000, table_height(3))
    assert png_size(tmp_path / "accuracy_vs_size.png") == (800, 450)
    svg = (tmp_path / "accuracy_vs_size.svg").read_text()
    assert ">sr=0.25<" in svg and ">sr=0.75<" in svg  # the labels are in the image itself


def test_compact_keeps_a_numbered_legend_at_the_side() -> None:
    keys = {"incr_e": 8, "freq": 2, "pct3x3": 0.5}
    nets = [net(i, size_mb=s, base_e=8 * i, sr=0.1 * i, bypass=b, **keys)
            for i, s, b in ((1, 0.02, "none"), (2, 1.0, "simple"))]
    results = [result(a, {"base_e": a.arch["base_e"], "sr": a.arch["sr"],
                          "bypass": a.arch["bypass"]}, top1=0.5 + 0.1 * i, trial=i)
               for i, a in enumerate(nets)]
    fig = plot_pareto(pareto_info(results, nets))
    assert fig.layout.legend.orientation == "v"
    assert compact(fig).layout.legend.orientation == "v"
    assert compact(_pareto()).layout.legend.orientation == "h"


@pytest.fixture
def world_readable() -> Iterator[Path]:
    """An empty folder that every user can read (pytest's own tmp_path is the owner's only)."""
    folder = Path(tempfile.mkdtemp(prefix="dse-setup-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder)


def _fresh_checkout(base: Path) -> Path:
    """scripts/setup.sh in a folder whose .venv is set up (its stamp matches pyproject.toml)."""
    repo = base / "repo"
    (repo / "scripts").mkdir(parents=True)
    (repo / ".venv" / "bin").mkdir(parents=True)
    shutil.copy(ROOT / "scripts" / "setup.sh", repo / "scripts" / "setup.sh")
    shutil.copy(ROOT / "pyproject.toml", repo / "pyproject.toml")
    digest = hashlib.sha256((repo / "pyproject.toml").read_bytes()).hexdigest()
    (repo / ".venv" / ".dse-installed").write_text(digest + "\n")
    for path in repo.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    repo.chmod(0o755)
    # setup.sh only checks that it is executable (by anyone: the venv's python may lie under
    # /root). Linked after the chmod, which would follow a link to its target.
    (repo / ".venv" / "bin" / "python").symlink_to(shutil.which("true") or "/bin/true")
    return repo


def _path_without_chromium(base: Path) -> str:
    """A PATH holding just the tools setup.sh uses: a machine with no chromium."""
    bin_dir = base / "bin"
    bin_dir.mkdir()
    for tool in ("dirname", "sha256sum", "cut", "cat", "id", "grep", "tr"):
        (bin_dir / tool).symlink_to(shutil.which(tool) or f"/usr/bin/{tool}")
    bin_dir.chmod(0o755)
    return str(bin_dir)


def test_setup_without_chromium_and_root_says_what_to_run(world_readable: Path) -> None:
    repo = _fresh_checkout(world_readable)
    command = ["/bin/bash", str(repo / "scripts" / "setup.sh")]
    if os.geteuid() == 0:  # as a user who may not install packages
        setpriv = shutil.which("setpriv") or "setpriv"
        command = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", *command]
    env = {"PATH": _path_without_chromium(world_readable), "HOME": str(world_readable)}
    proc = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == 1 and proc.stderr == ""
    assert "sudo apt-get install chromium" in lines[0] and "PNG/SVG" in lines[0]
    assert "skipped" in lines[0]


def test_setup_a_second_time_is_silent_and_fast(tmp_path: Path) -> None:
    if shutil.which("chromium") is None:
        pytest.fail("chromium is missing: run scripts/setup.sh (as root it installs it)",
                    pytrace=False)
    repo = _fresh_checkout(tmp_path)
    start = time.monotonic()
    proc = subprocess.run(["bash", str(repo / "scripts" / "setup.sh")], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == proc.stderr == ""  # nothing installed, nothing to say
    assert time.monotonic() - start < 5
