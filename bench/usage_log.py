"""Usage-log ingestion: ``read_usage_log`` on 1 000 000 CSV rows against a plain ``pandas.read_csv``.

The file is seeded (``SEED``) and written to a temporary folder; both reads are timed in the same
run, median of ``REPEATS``. Targets: ``read_usage_log`` ≤ ``TARGET_RATIO`` × the plain read of the
same file, and ≥ ``TARGET_ROWS_PER_S`` rows/s (1 million rows in a few seconds).
Pilot calibration (issue 14): a fresh process reads the same log keeping its requests and
calibrates the example pilot on it (``params/clients/example-pilot.yaml``: prediction, fit,
calibrated catalog); targets ``TARGET_SECONDS`` and ``TARGET_PEAK_MIB`` for the two together.
Run: .venv/bin/python bench/usage_log.py [--rows N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from llmdecide import catalog
from llmdecide.measurements import read_usage_log

SEED = 20250301
ROWS = 1_000_000
REPEATS = 3
METHOD = catalog.load().method
PEAK_WINDOW_S = int(METHOD["peak_window_s"])
LOG = {k: float(METHOD[k]) for k in ("peak_quantile", "active_hour_share")}
LOG_ARGS = ", ".join(f"{k}={v!r}" for k, v in LOG.items())
TARGET_RATIO = 2.5
TARGET_ROWS_PER_S = 200_000.0


def write_log(path: Path, rows: int = ROWS, seed: int = SEED) -> Path:
    """A seeded usage log: 30 days, ISO 8601 timestamps with a zone, tokens, latency, ttft."""
    rng = np.random.default_rng(seed)
    start = np.datetime64("2025-03-01T00:00:00", "s")
    offsets = np.sort(rng.integers(0, 30 * 86400, size=rows))
    stamps = np.datetime_as_string(start + offsets.astype("timedelta64[s]"), unit="s")
    frame = pd.DataFrame(
        {
            "timestamp": np.char.add(stamps.astype(str), "Z"),
            "input_tokens": rng.lognormal(6.5, 0.6, rows).round().astype(np.int64),
            "output_tokens": rng.lognormal(5.3, 0.5, rows).round().astype(np.int64),
            "latency_s": rng.gamma(4.0, 0.5, rows).round(3),
            "ttft_s": rng.gamma(3.0, 0.1, rows).round(3),
        }
    )
    frame.to_csv(path, index=False)
    return path


def _median_time(action: Callable[[], Any], repeats: int = REPEATS) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


TARGET_SECONDS = 10.0
TARGET_PEAK_MIB = 1024.0


def _peak_rss_mib(path: Path) -> float:
    """Peak resident memory of a fresh Python process that reads the log (Linux: KiB)."""
    import subprocess

    code = (
        "import resource, sys; from llmdecide.measurements import read_usage_log; "
        f"read_usage_log(sys.argv[1], 'bench', 'measurements.usage_log', {PEAK_WINDOW_S}, "
        f"{LOG_ARGS}); "
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True
    )
    return int(out.stdout.strip().splitlines()[-1]) / 1024


PILOT_PARAMS = Path(__file__).resolve().parent.parent / "params" / "clients" / "example-pilot.yaml"


def _calibration_run(path: Path) -> tuple[float, float, str]:
    """(seconds, peak RSS MiB, refusal or "") of ingesting the log and calibrating the example
    pilot on it, in a fresh process (imports excluded from the time, included in the memory)."""
    import json
    import subprocess

    code = (
        "import json, resource, sys, time\n"
        "from llmdecide import calibration, catalog, params\n"
        "from llmdecide.measurements import read_usage_log\n"
        "client = params.load(sys.argv[2], check_files=False); cat = catalog.load()\n"
        "t = time.perf_counter(); rows = {}\n"
        f"read_usage_log(sys.argv[1], 'bench', 'measurements.usage_log', {PEAK_WINDOW_S}, {LOG_ARGS}, "
        "requests=rows)\n"
        "c = calibration.calibrate(client, cat, client.usage.model_dump(), rows)\n"
        "s = time.perf_counter() - t\n"
        "print(json.dumps([s, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "
        "c.data['refused']]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(path), str(PILOT_PARAMS)],
        capture_output=True,
        text=True,
        check=True,
    )
    seconds, kib, refused = json.loads(out.stdout.strip().splitlines()[-1])
    return float(seconds), int(kib) / 1024, str(refused)


def main(rows: int = ROWS) -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="llmdecide-bench-usage-") as tmp:
        path = write_log(Path(tmp) / "usage.csv", rows)
        size_mb = path.stat().st_size / 1e6
        baseline = _median_time(lambda: pd.read_csv(path))
        measured = _median_time(
            lambda: read_usage_log(path, "bench", "measurements.usage_log", PEAK_WINDOW_S, **LOG)
        )
        summary = read_usage_log(path, "bench", "measurements.usage_log", PEAK_WINDOW_S, **LOG)
        peak_mib = _peak_rss_mib(path)
        cal_s, cal_mib, cal_refused = _calibration_run(path)
    assert summary.rows_used == rows, summary.bad_rows
    ratio = measured / baseline if baseline else float("inf")
    rows_per_s = rows / measured if measured else float("inf")
    results = [
        {
            "name": "usage_log.plain_read_csv",
            "value": baseline,
            "unit": "s",
            "target": None,
            "met": None,
        },
        {
            "name": "usage_log.read_usage_log",
            "value": measured,
            "unit": "s",
            "target": TARGET_RATIO * baseline,
            "met": measured <= TARGET_RATIO * baseline,
        },
        {
            "name": "usage_log.ratio_to_plain_read",
            "value": ratio,
            "unit": "x",
            "target": TARGET_RATIO,
            "met": ratio <= TARGET_RATIO,
        },
        {
            "name": "usage_log.rows_per_s",
            "value": rows_per_s,
            "unit": "rows/s",
            "target": TARGET_ROWS_PER_S,
            "met": rows_per_s >= TARGET_ROWS_PER_S,
        },
        {
            "name": "usage_log.seconds (issue: <= 10 s)",
            "value": measured,
            "unit": "s",
            "target": TARGET_SECONDS,
            "met": measured <= TARGET_SECONDS,
        },
        {
            "name": "usage_log.peak_rss (fresh process)",
            "value": peak_mib,
            "unit": "MiB",
            "target": TARGET_PEAK_MIB,
            "met": peak_mib <= TARGET_PEAK_MIB,
        },
        {
            "name": "usage_log.ingest_and_calibrate (issue 14: <= 10 s)",
            "value": cal_s,
            "unit": "s",
            "target": TARGET_SECONDS,
            "met": cal_s <= TARGET_SECONDS,
        },
        {
            "name": "usage_log.ingest_and_calibrate_peak_rss (fresh process)",
            "value": cal_mib,
            "unit": "MiB",
            "target": TARGET_PEAK_MIB,
            "met": cal_mib <= TARGET_PEAK_MIB,
        },
    ]
    print(
        f"usage log + pilot calibration: {cal_s:.2f} s (target <= {TARGET_SECONDS:.0f} s), "
        f"peak RSS {cal_mib:.0f} MiB (target <= {TARGET_PEAK_MIB:.0f} MiB)"
        + (f"; the fit was refused on these random latencies: {cal_refused}" if cal_refused else "")
    )
    print(
        f"usage log: peak RSS of a fresh process reading it {peak_mib:.0f} MiB "
        f"(target <= {TARGET_PEAK_MIB:.0f} MiB)"
    )
    print(
        f"usage log: {rows:,} rows ({size_mb:.0f} MB CSV), median of {REPEATS}: plain "
        f"pandas.read_csv {baseline:.2f} s, read_usage_log {measured:.2f} s, ratio {ratio:.2f}x "
        f"(target <= {TARGET_RATIO}x) {'OK' if results[2]['met'] else 'MISSED'}, "
        f"{rows_per_s:,.0f} rows/s (target >= {TARGET_ROWS_PER_S:,.0f}) "
        f"{'OK' if results[3]['met'] else 'MISSED'} (cpus: {os.cpu_count()})"
    )
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=ROWS)
    outcome = main(parser.parse_args().rows)
    sys.exit(0 if all(r["met"] is not False for r in outcome) else 1)
