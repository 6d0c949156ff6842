"""Regenerate the README's dashboard pictures from a real run of the default sweep.

    .venv/bin/python scripts/dashboard_screenshots.py [--storage URL] [--study NAME] [--out DIR]

Without --storage it runs the default sweep (`python -m dse.run +sweep=squeeze_ratio`: 24
trials, about 3.5 minutes on 2 cores) into a temporary SQLite file. Then it serves
`python -m dse.dashboard` on a free local port, opens the study in Debian's headless Chromium
(/usr/bin/chromium, through playwright) with a fresh profile, and writes into DIR (default
dashboards/): dashboard-study.png (the study page with the published figures) and
dashboard-note.png (the summary note).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
DEFAULT_STUDY = "squeeze_ratio-digits"  # the default sweep's study name
VIEWPORT = {"width": 1400, "height": 1000}
WAIT_S = 120  # for the dashboard to publish and listen, and for a page to draw


def run_default_sweep(url: str, output_dir: Path) -> None:
    """Train the default sweep into the store at `url` (its progress lines pass through)."""
    command = [sys.executable, "-m", "dse.run", "+sweep=squeeze_ratio", f"storage.url={url}",
               f"study.output_dir={output_dir}"]
    print("running:", " ".join(command), flush=True)
    subprocess.run(command, cwd=ROOT, check=True)


def start_dashboard(url: str, study: str, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    """Start dse.dashboard on a free port; the process and the URL it prints."""
    command = [sys.executable, "-m", "dse.dashboard", f"storage.url={url}",
               f"study.name={study}", "dashboard.port=0"]
    with log.open("wb") as out:
        proc = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        match = re.search(r"optuna-dashboard: (http://\S+)", log.read_text(errors="replace"))
        if match:
            return proc, match.group(1)
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    stop(proc)
    raise SystemExit(f"dse.dashboard did not start: {log.read_text(errors='replace')[-2000:]}")


def stop(proc: subprocess.Popen[bytes]) -> None:
    """End the dashboard process."""
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def screenshot(dashboard_url: str, study: str, out_dir: Path) -> list[Path]:
    """Open the study and its note in headless Chromium; save both pages as PNG."""
    from playwright.sync_api import sync_playwright

    study_png, note_png = out_dir / "dashboard-study.png", out_dir / "dashboard-note.png"
    with tempfile.TemporaryDirectory(prefix="dse-chromium-") as profile, \
            sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
            viewport=VIEWPORT)
        try:
            page = context.pages[0] if context.pages else context.new_page()
            page.goto(dashboard_url)
            page.get_by_text(study).first.click()
            page.wait_for_url(re.compile(r".*/dashboard/studies/\d+$"), timeout=WAIT_S * 1000)
            study_url = page.url
            for name in ("fig3a", "accuracy_vs_size"):
                page.locator(f'[id="user-defined-plot:dse-{name}"] svg.main-svg').first \
                    .wait_for(timeout=WAIT_S * 1000)
            page.wait_for_timeout(2000)  # the dashboard's own plots draw after ours
            page.screenshot(path=str(study_png), full_page=True)
            page.goto(f"{study_url}/note")
            page.get_by_text(f"dse summary: {study}").wait_for(timeout=WAIT_S * 1000)
            page.screenshot(path=str(note_png), full_page=True)
        finally:
            context.close()
    return [study_png, note_png]


def main() -> int:
    """Parse the arguments, make or reuse the study, take the screenshots; the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--storage", help="a store that holds the study already (default: run "
                                          "the default sweep into a temporary SQLite file)")
    parser.add_argument("--study", default=DEFAULT_STUDY, help=f"default: {DEFAULT_STUDY}")
    parser.add_argument("--out", type=Path, default=ROOT / "dashboards",
                        help="folder for the PNGs (default: dashboards/)")
    args = parser.parse_args()
    if not os.access(CHROMIUM, os.X_OK):
        print(f"error: no Chromium at {CHROMIUM}: run scripts/setup.sh as root, or "
              "sudo apt-get install chromium", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="dse-screenshots-") as tmp:
        url = args.storage or f"sqlite:///{Path(tmp) / 'dse.db'}"
        if args.storage is None:
            run_default_sweep(url, Path(tmp) / "out")
        proc, dashboard_url = start_dashboard(url, args.study, Path(tmp) / "dashboard.log")
        try:
            args.out.mkdir(parents=True, exist_ok=True)
            for path in screenshot(dashboard_url, args.study, args.out):
                print(f"wrote {path}", flush=True)
        finally:
            stop(proc)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
