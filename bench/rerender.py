"""Re-render time of the report (``llmdecide report <slug>``) against version 1, in the same run.

Figures, each product re-rendering its own tests/fixtures/report_context.json (the example client
as that version's report shows it):
- ``llmdecide report <slug>`` in a fresh process (start-up, imports and rendering), median of 3 —
  target < 3 s;
- the same command of version 1 (``BASELINE_COMMIT``, extracted with ``git archive`` into a
  temporary folder and run with the same interpreter), median of 3, the two commands alternated so
  that a load change on the machine hits both;
- their ratio — issue 15 asks a re-render to stay within 1.2 x of version 1;
- ``report.render`` (HTML + PDF, charts included) in one process, median of 3 — target < 3 s —
  with the PDF on two cores as ``llmdecide report`` renders it, and on one (for reference).
Both products reuse their content-addressed SVG cache after a first, unmeasured render, as a
consultant's re-render does. Run: .venv/bin/python bench/rerender.py [baseline commit]
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from llmdecide import report
from llmdecide.report import pdf

REPO = Path(__file__).resolve().parents[1]
FIXTURE = Path("tests") / "fixtures" / "report_context.json"
TARGET_S = 3.0
TARGET_VS_V1 = 1.2
BASELINE_COMMIT = "4091646"  # main before issue 11 (as bench/run_time.py), before issue 15
REPEATS = 3
SLUG = "bench-rerender"
CLI = "import sys; from llmdecide.cli import main; sys.exit(main())"


def _median_seconds(action: Any, repeats: int = REPEATS) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _product(root: Path, work: Path) -> tuple[Path, dict[str, str]]:
    """A reports folder holding the product's own fixture as a published run, and the
    environment that imports that product's ``lib/``."""
    reports = work / "reports"
    (reports / SLUG / "data").mkdir(parents=True)
    shutil.copy(root / FIXTURE, reports / SLUG / "data" / "report_context.json")
    return reports, {**os.environ, "PYTHONPATH": str(root / "lib")}


def _command_seconds(reports: Path, env: dict[str, str]) -> float:
    command = [sys.executable, "-c", CLI, "report", SLUG, "--reports-dir", str(reports)]
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, cwd=reports.parent, env=env)
    return time.perf_counter() - started


def _baseline_tree(work: Path, commit: str) -> Path | None:
    """The product at ``commit`` (None without git or without that commit, e.g. a shallow clone)."""
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", commit], capture_output=True, check=False
    )
    if archive.returncode != 0:
        return None
    old = work / "v1"
    old.mkdir()
    subprocess.run(["tar", "-x", "-C", str(old)], input=archive.stdout, check=True)
    return old


def _commands(work: Path, commit: str) -> tuple[float, float | None]:
    """Median seconds of ``llmdecide report`` now and at ``commit``, alternated, after a warm-up
    of each (SVG cache, bytecode)."""
    now = _product(REPO, work / "now")
    old_tree = _baseline_tree(work, commit)
    old = _product(old_tree, work / "v1-reports") if old_tree is not None else None
    products = [now] if old is None else [now, old]
    for reports, env in products:
        _command_seconds(reports, env)
    times: list[list[float]] = [[] for _ in products]
    for _ in range(REPEATS):
        for i, (reports, env) in enumerate(products):
            times[i].append(_command_seconds(reports, env))
    medians = [statistics.median(t) for t in times]
    return medians[0], (medians[1] if old is not None else None)


def main(commit: str = BASELINE_COMMIT) -> list[dict[str, Any]]:
    baseline = f"version 1 ({commit})" if commit == BASELINE_COMMIT else f"baseline {commit}"
    context = json.loads((REPO / FIXTURE).read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory(prefix="llmdecide-bench-") as tmp:
        work = Path(tmp)
        command_s, v1_s = _commands(work, commit)
        report.render(context, work / "warm-up")  # imports, bundle, vl-convert start
        render_s = _median_seconds(lambda: report.render(context, work / "out", processes=2))
        one_core_s = _median_seconds(lambda: report.render(context, work / "out1", processes=1))
    rows: list[dict[str, Any]] = [
        {
            "name": "llmdecide report <slug> (fresh process), median of 3",
            "value": command_s,
            "unit": "s",
            "target": f"< {TARGET_S:g} s",
            "met": command_s < TARGET_S,
        }
    ]
    if v1_s is not None:
        ratio = command_s / v1_s
        rows += [
            {
                "name": f"{baseline}: llmdecide report, median of 3",
                "value": v1_s,
                "unit": "s",
                "target": "reference",
                "met": None,
            },
            {
                "name": f"llmdecide report now / {baseline}",
                "value": ratio,
                "unit": "x",
                "target": f"<= {TARGET_VS_V1:g} x",
                "met": ratio <= TARGET_VS_V1,
            },
        ]
    else:
        print(f"{baseline} not available here (no git history): no ratio")
    rows.append(
        {
            "name": "report.render (HTML + PDF, the PDF on two cores) in one process, median of 3",
            "value": render_s,
            "unit": "s",
            "target": f"< {TARGET_S:g} s",
            "met": render_s < TARGET_S,
        }
    )
    rows.append(
        {
            "name": "report.render with the PDF on one core, median of 3",
            "value": one_core_s,
            "unit": "s",
            "target": "reference",
            "met": None,
        }
    )
    for row in rows:
        print(f"{row['name']}: {row['value']:.3g} {row['unit']} (target {row['target']})")
    print(f"the PDF's fonts subset by {pdf.font_subsetter()}")
    return rows


if __name__ == "__main__":
    rows = main(*sys.argv[1:2])
    sys.exit(0 if all(r["met"] is not False for r in rows) else 1)
