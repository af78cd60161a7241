"""The browser check: open the HTML report in headless Chromium and list the problems (charts not
drawn, console errors)."""

from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")

CHART_DIV = re.compile(r'<div\b[^>]*\bclass="chart-view\b[^"]*"[^>]*>', re.IGNORECASE)
TAG_ID = re.compile(r'\bid="(?P<id>[^"]+)"')


def _chromium_args(html_path: Path, budget_ms: int) -> list[str]:
    return [
        str(CHROMIUM),
        "--headless",
        "--disable-gpu",
        "--no-sandbox",
        "--no-first-run",
        "--disable-extensions",
        "--disable-background-networking",
        "--disable-component-update",
        "--allow-file-access-from-files",
        f"--virtual-time-budget={budget_ms}",
        "--enable-logging=stderr",
        "--v=0",
    ]


def browser_check(
    html_path: Path,
    screenshot_path: Path | None = None,
    *,
    budget_ms: int = 15000,
    timeout_s: float = 120,
    window: tuple[int, int] = (1280, 2400),
) -> list[str]:
    """Open the HTML in headless Chromium and return the problems found (empty = fine).

    Checks that every chart container got an ``<svg>`` from vega-embed (nothing flagged as failed)
    and that the console logged no error; writes a screenshot when asked. Chromium runs with a
    private profile and background networking off."""
    if not CHROMIUM.exists():
        return [f"{CHROMIUM} not found: apt-get install -y chromium"]
    html_path = Path(html_path).resolve()
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="llmdecide-chromium-") as profile:
        base = [*_chromium_args(html_path, budget_ms), f"--user-data-dir={profile}"]
        dump = subprocess.run(
            [*base, "--dump-dom", html_path.as_uri()],
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
        if dump.returncode != 0 and not dump.stdout:
            return [f"chromium failed ({dump.returncode}): {dump.stderr.strip()[-500:]}"]
        problems += _dom_problems(dump.stdout)
        problems += _console_problems(dump.stderr)
        if screenshot_path is not None:
            shot = subprocess.run(
                [
                    *base,
                    f"--window-size={window[0]},{window[1]}",
                    "--hide-scrollbars",
                    f"--screenshot={Path(screenshot_path).resolve()}",
                    html_path.as_uri(),
                ],
                capture_output=True,
                text=True,
                timeout=timeout_s,
                check=False,
            )
            if not Path(screenshot_path).is_file():
                problems.append(f"no screenshot written: {shot.stderr.strip()[-500:]}")
    return problems


def _dom_problems(dom: str) -> list[str]:
    """Each chart container (``div.chart-view``) must hold an svg drawn by vega-embed."""
    problems = []
    starts = list(CHART_DIV.finditer(dom))
    if not starts:
        return ["no chart container found in the page"]
    for index, match in enumerate(starts):
        end = starts[index + 1].start() if index + 1 < len(starts) else len(dom)
        chunk = dom[match.end() : end]
        tag = match.group(0)
        found = TAG_ID.search(tag)
        name = found.group("id") if found else f"#{index + 1}"
        if 'data-state="error"' in tag:
            problems.append(f"chart {name}: vega-embed failed")
        elif 'data-state="drawn"' not in tag:
            problems.append(f"chart {name}: not drawn (vega-embed did not finish)")
        elif "<svg" not in chunk:
            problems.append(f"chart {name}: no svg drawn")
    return problems


def _console_problems(stderr: str) -> list[str]:
    """Every message the page logged (Chromium prints them as ``…:CONSOLE…] "message", source:``):
    the report logs nothing when all is well, so any message (a Vega warning included) counts."""
    problems = []
    for line in stderr.splitlines():
        if ":CONSOLE" in line:
            message = line.split("] ", 1)[-1].strip()
            problems.append(f"console: {message[:400]}")
    return problems
