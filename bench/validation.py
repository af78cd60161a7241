"""The serving estimator against published measurements: prints the validation table.

Every row of bench/validation_measurements.yaml is rebuilt from catalog names
(``llmdecide.validation``) and compared: measured, ours, ratio ours/measured. Rows whose model,
GPU or a needed field is not in the catalog, or whose source lacks a figure the estimate needs,
are listed with the reason and left out of the statistics.

Run: PYTHONPATH=lib .venv/bin/python bench/validation.py [--markdown]
Target: every evaluated ratio in [1/2, 2], median |ln ratio| <= ln 1.4, at least 20 rows.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

from llmdecide import catalog, validation

MEASUREMENTS = Path(__file__).resolve().parent / "validation_measurements.yaml"


def _fmt(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x:.3g}" if abs(x) < 1000 else f"{x:,.0f}"


def table(rows: list[validation.Row], markdown: bool = False) -> list[str]:
    if markdown:
        out = [
            "| id | metric | setting | measured | ours | ratio | note |",
            "|---|---|---|---|---|---|---|",
        ]
        for r in rows:
            note = "; ".join(r.flags) if r.status == "ok" else r.status
            ratio = "-" if r.ratio is None else f"{r.ratio:.2f}"
            out.append(
                f"| {r.id} | {r.metric} | {r.setting} | {_fmt(r.measured)} | {_fmt(r.ours)} "
                f"| {ratio} | {note} |"
            )
        return out
    out = [f"{'id':44} {'metric':28} {'measured':>10} {'ours':>10} {'ratio':>6}  note"]
    for r in rows:
        ratio = "" if r.ratio is None else f"{r.ratio:6.2f}"
        note = "; ".join(r.flags) if r.status == "ok" else r.status
        out.append(
            f"{r.id:44} {r.metric:28} {_fmt(r.measured):>10} {_fmt(r.ours):>10} {ratio:>6}  {note}"
        )
    return out


def main(argv: list[str] | None = None) -> dict[str, object]:
    """Print the table and the statistics; return the bench row of ``make bench`` (bench/all.py)."""
    argv = sys.argv[1:] if argv is None else argv
    rows = validation.evaluate(validation.load(MEASUREMENTS), catalog.load())
    for line in table(rows, markdown="--markdown" in argv):
        print(line)
    s = validation.summarise(rows)
    excluded = len(rows) - s.evaluated
    print()
    print(
        f"{len(rows)} measurements: {s.evaluated} evaluated, {excluded} excluded "
        f"(not in catalog or not reproducible from the published setting; reason per row)."
    )
    print(
        f"within [1/2, 2]: {s.within}/{s.evaluated}; median |ln ratio| = "
        f"{s.median_abs_log_ratio:.3f} (target <= ln 1.4 = {math.log(1.4):.3f}); "
        f"at least {validation.MIN_EVALUATED} rows needed."
    )
    if s.worst:
        print("outside [1/2, 2]: " + ", ".join(s.worst))
    print("PASS" if s.passes else "FAIL")
    return {
        "name": f"validation: median |ln ours/measured| ({s.within}/{s.evaluated} rows within 2x)",
        "value": round(s.median_abs_log_ratio, 3),
        "unit": "",
        "target": f"<= {math.log(1.4):.3f}, all within 2x, >= {validation.MIN_EVALUATED} rows",
        "ok": s.passes,
    }


if __name__ == "__main__":
    sys.exit(0 if main()["ok"] else 1)
