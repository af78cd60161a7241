"""``make bench``: every performance figure of bench/, one table, each with its target.

Each bench module exposes ``main()`` returning a row (or a list of rows) with ``name``, ``value``,
``unit``, ``target`` and ``ok`` (or ``met``). Figures are ratios against a baseline measured in the
same run where a baseline exists. Exit status 0 when every target holds.
"""

from __future__ import annotations

import importlib.util
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

HERE = Path(__file__).resolve().parent
BENCHES = ("scoring", "validation", "usage_log", "rerender", "run_time", "peak_rss", "batch")


def _load(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(f"bench_{name}", HERE / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _rows(result: Any) -> list[dict[str, Any]]:
    rows = result if isinstance(result, list) else [result]
    out = []
    for r in rows:
        verdict = r.get("ok", r.get("met", False))
        # a row without a verdict (None) is a reference figure, shown but not judged
        out.append({**r, "ok": True if verdict is None else bool(verdict), "ref": verdict is None})
    return out


def main(selected: list[str]) -> int:
    console = Console()
    table = Table(title="llmdecide benchmarks")
    for col in ("bench", "figure", "value", "target", "holds", "took"):
        table.add_column(col)
    all_ok = True
    for name in selected or BENCHES:
        started = time.perf_counter()
        try:
            rows = _rows(_load(name).main())
        except Exception as exc:  # a broken bench is a missed target, shown, not hidden
            traceback.print_exc()
            rows = [{"name": name, "value": f"error: {exc}", "unit": "", "target": "", "ok": False}]
        took = time.perf_counter() - started
        for r in rows:
            value = r["value"]
            shown = f"{value:.3g} {r.get('unit', '')}" if isinstance(value, float) else str(value)
            table.add_row(
                name,
                str(r.get("name", "")),
                shown,
                str(r.get("target", "")),
                "reference" if r.get("ref") else ("[green]yes[/]" if r["ok"] else "[red]NO[/]"),
                f"{took:.1f} s",
            )
            all_ok &= r["ok"]
    console.print(table)
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
