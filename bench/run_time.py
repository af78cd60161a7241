"""Run time of the example client vs the papermill floor, measured in the same process.

Floor: papermill executing three empty notebooks (one parameters cell) with the same kernel.
Target: median of 3 full runs <= 2.5 x the floor.  Run: .venv/bin/python bench/run_time.py
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from llmdecide import runner

TARGET_RATIO = 2.5
REPEATS = 3
CLIENT = runner.REPO_DIR / "params" / "clients" / "example-retail.yaml"


def _empty_notebook(path: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell('params_path = ""\noutput_dir = ""')
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell]
    nb.metadata["kernelspec"] = {
        "name": runner.KERNEL_NAME,
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)
    return path


def floor_seconds(work: Path) -> float:
    empty = _empty_notebook(work / "empty.ipynb")
    started = time.perf_counter()
    for i in range(len(runner.NOTEBOOKS)):
        runner.execute_notebook(
            empty, work / f"out{i}.ipynb", {"params_path": "", "output_dir": str(work)}, cwd=work
        )
    return time.perf_counter() - started


def main() -> dict[str, float | bool | str]:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        floors = [floor_seconds(work) for _ in range(REPEATS)]
        runs = []
        for _ in range(REPEATS):
            started = time.perf_counter()
            runner.run(CLIENT, work / "reports")
            runs.append(time.perf_counter() - started)
    floor, run = statistics.median(floors), statistics.median(runs)
    ratio = run / floor
    ok = ratio <= TARGET_RATIO
    line = (
        f"run time: example client {run:.1f} s vs papermill floor {floor:.1f} s "
        f"= {ratio:.2f}x (target <= {TARGET_RATIO}x) {'OK' if ok else 'MISSED'}"
    )
    print(line)
    return {
        "name": "run_time",
        "value": ratio,
        "unit": "x floor",
        "target": TARGET_RATIO,
        "ok": ok,
        "line": line,
    }


if __name__ == "__main__":
    sys.exit(0 if main()["ok"] else 1)
