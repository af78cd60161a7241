"""Re-render time of the report (``llmdecide report <slug>``) vs rendering the HTML alone.

Figures, measured in the same run on tests/fixtures/report_context.json (the example client):
- ``report.render`` (HTML + PDF, charts included), median of 3 in one process — target < 3 s;
- the baseline: the Jinja HTML alone (no chart, no PDF), median of 3 — shows what charts and
  WeasyPrint cost on top of templating;
- the whole ``llmdecide report <slug>`` command in a fresh process (start-up, imports and
  vl-convert's first call included), median of 3 — target < 3 s as well.
Run: .venv/bin/python bench/rerender.py
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from llmdecide import report
from llmdecide.report import templating, view

REPO = Path(__file__).resolve().parents[1]
FIXTURE = REPO / "tests" / "fixtures" / "report_context.json"
TARGET_S = 3.0
REPEATS = 3
SLUG = "bench-rerender"


def _median_seconds(action: Any, repeats: int = REPEATS) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _html_only(context: dict[str, Any]) -> None:
    """The baseline: the same templates and messages, no chart built, no PDF."""
    templating.environment().get_template(templating.TEMPLATE).render(
        view.template_vars(context, {}, pdf=False)
    )


def _command_seconds(reports: Path) -> float:
    llmdecide = Path(sys.executable).with_name("llmdecide")
    command = [str(llmdecide), "report", SLUG, "--reports-dir", str(reports)]
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, cwd=reports.parent)
    return time.perf_counter() - started


def main() -> list[dict[str, Any]]:
    context = json.loads(FIXTURE.read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory(prefix="llmdecide-bench-") as tmp:
        work = Path(tmp)
        report.render(context, work / "warm-up")  # imports, bundle, vl-convert start
        render_s = _median_seconds(lambda: report.render(context, work / "out"))
        baseline_s = _median_seconds(lambda: _html_only(context))
        reports = work / "reports"
        (reports / SLUG / "data").mkdir(parents=True)
        shutil.copy(FIXTURE, reports / SLUG / "data" / "report_context.json")
        command_s = statistics.median(_command_seconds(reports) for _ in range(REPEATS))
    rows = [
        {
            "name": "report.render (HTML + PDF), median of 3",
            "value": render_s,
            "unit": "s",
            "target": f"< {TARGET_S:g} s",
            "met": render_s < TARGET_S,
        },
        {
            "name": "baseline: Jinja HTML only (no charts, no PDF)",
            "value": baseline_s,
            "unit": "s",
            "target": "reference",
            "met": True,
        },
        {
            "name": "render / baseline",
            "value": render_s / baseline_s if baseline_s else float("inf"),
            "unit": "x",
            "target": "reference",
            "met": True,
        },
        {
            "name": "llmdecide report <slug> (fresh process), median of 3",
            "value": command_s,
            "unit": "s",
            "target": f"< {TARGET_S:g} s",
            "met": command_s < TARGET_S,
        },
    ]
    for row in rows:
        print(f"{row['name']}: {row['value']:.3g} {row['unit']} (target {row['target']})")
    return rows


if __name__ == "__main__":
    sys.exit(0 if all(r["met"] for r in main()) else 1)
