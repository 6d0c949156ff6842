"""scripts/dashboard_screenshots.py: the README's dashboard pictures, from a real study."""

from __future__ import annotations

import struct
import subprocess
import sys
from pathlib import Path

import pytest
from test_report import ROOT, STUDY, build_real_study


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    data = path.read_bytes()[:24]
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", data[16:24])


@pytest.mark.browser
@pytest.mark.slow
def test_screenshots_of_a_given_store(tmp_path_factory: pytest.TempPathFactory,
                                      tmp_path: Path) -> None:
    study = build_real_study(tmp_path_factory.getbasetemp() / "real-study")
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "dashboard_screenshots.py"),
         "--storage", study.url, "--study", STUDY, "--out", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    written = [tmp_path / "dashboard-study.png", tmp_path / "dashboard-note.png"]
    assert proc.stdout.splitlines()[-2:] == [f"wrote {p}" for p in written]
    (width, study_height), (note_width, _) = (png_size(p) for p in written)
    assert width == note_width == 1400
    assert study_height > 1500  # the whole study page: history, figures, attributes
