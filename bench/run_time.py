"""Run time of the example client vs the papermill floor, and vs version 1, in the same run.

Floor: papermill executing three empty notebooks (one parameters cell) with the same kernel.
Target: the median of 3 (run / floor) ratios <= 3 (issue 16), each run measured right after its
floor so that a change of load on a shared machine hits both; the goal beyond it is 2.5 x.
Version 1: the same example run by the product as it was before the sizing engine v2
(``BASELINE_COMMIT``, extracted with ``git archive`` into a temporary folder and run with the same
interpreter): issue 11 asks a client run to stay within 1.2 x of it.
Run: .venv/bin/python bench/run_time.py
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from llmdecide import notebook_run, runner
from llmdecide.report import pdf

TARGET_RATIO = 3.0
GOAL_RATIO = 2.5
TARGET_VS_V1 = 1.2
BASELINE_COMMIT = "4091646"  # main before issue 11 (sizing engine v2)
REPEATS = 3
CLIENT = runner.REPO_DIR / "params" / "clients" / "example-retail.yaml"


def _empty_notebook(path: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell('params_path = ""\noutput_dir = ""')
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell]
    nb.metadata["kernelspec"] = {
        "name": notebook_run.KERNEL_NAME,
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)
    return path


def floor_seconds(work: Path) -> float:
    empty = _empty_notebook(work / "empty.ipynb")
    started = time.perf_counter()
    for i in range(len(notebook_run.NOTEBOOKS)):
        notebook_run.execute_notebook(
            empty, work / f"out{i}.ipynb", {"params_path": "", "output_dir": str(work)}, cwd=work
        )
    return time.perf_counter() - started


def v1_seconds(work: Path) -> float | None:
    """Median of REPEATS runs of the example client by the version-1 product (None without git
    or without that commit, e.g. in a shallow clone)."""
    import os
    import subprocess

    old = work / "v1"
    old.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(runner.REPO_DIR), "archive", BASELINE_COMMIT],
        capture_output=True,
        check=False,
    )
    if archive.returncode != 0:
        return None
    subprocess.run(["tar", "-x", "-C", str(old)], input=archive.stdout, check=True)
    env = {**os.environ, "PYTHONPATH": str(old / "lib")}
    client = old / "params" / "clients" / "example-retail.yaml"
    code = "import sys; from llmdecide.cli import main; sys.exit(main())"
    times = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", code, "run", str(client), "--reports-dir", str(old / "reports")],
            cwd=old,
            env=env,
            capture_output=True,
            check=False,
        )
        if done.returncode != 0:
            return None
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> list[dict[str, float | bool | str | None]]:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        floors, runs = [], []
        for _ in range(REPEATS):  # alternated, so that a change of load hits both
            floors.append(floor_seconds(work))
            started = time.perf_counter()
            runner.run(CLIENT, work / "reports")
            runs.append(time.perf_counter() - started)
        v1 = v1_seconds(work)
    floor, run = statistics.median(floors), statistics.median(runs)
    ratio = statistics.median(r / f for r, f in zip(runs, floors, strict=True))
    print(
        "pairs (run s / floor s):",
        ", ".join(f"{r:.1f}/{f:.1f}" for r, f in zip(runs, floors, strict=True)),
    )
    ok = ratio <= TARGET_RATIO
    line = (
        f"run time: example client {run:.1f} s vs papermill floor {floor:.1f} s "
        f"= {ratio:.2f}x (target <= {TARGET_RATIO}x) {'OK' if ok else 'MISSED'}, "
        f"goal {GOAL_RATIO}x {'met' if ratio <= GOAL_RATIO else 'not met'} "
        f"(PDF fonts subset by {pdf.font_subsetter()})"
    )
    if v1 is not None:
        vs = run / v1
        line += (
            f"; version 1 ({BASELINE_COMMIT}) {v1:.1f} s: {vs:.2f}x "
            f"(target <= {TARGET_VS_V1}x) {'OK' if vs <= TARGET_VS_V1 else 'MISSED'}"
        )
    else:
        line += f"; version 1 ({BASELINE_COMMIT}) not available here (no git history)"
    print(line)
    rows: list[dict[str, float | bool | str | None]] = [
        {
            "name": "run_time",
            "value": ratio,
            "unit": "x floor",
            "target": TARGET_RATIO,
            "ok": ok,
            "line": line,
        }
    ]
    if v1 is not None:
        rows.append(
            {
                "name": "run_time_vs_v1",
                "value": run / v1,
                "unit": "x version 1",
                "target": TARGET_VS_V1,
                "ok": run / v1 <= TARGET_VS_V1,
                "line": line,
            }
        )
    return rows


if __name__ == "__main__":
    sys.exit(0 if all(r["ok"] for r in main()) else 1)
