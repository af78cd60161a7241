"""Write the example pilot's usage log from a known "true" configuration (seeded, reproducible).

    PYTHONPATH=lib python scripts/make_pilot_usage_log.py [--out measurements/example-pilot/usage.csv.gz]

The pilot of ``params/clients/example-pilot.yaml`` (one H100 SXM, llama-3.1-8b fp8, fp16 KV cache,
max_num_seqs 64) is modelled by the serving model itself with TRUE_FACTORS in place of the
catalog's efficiency values; each request's latencies are the model's typical TTFT and TPOT at
its own lengths and at the load of the minute around it (``estimators.calibration.predict_requests``),
times independent log-normal noise of median 1 (``NOISE_LOG_SD``). So the fit must find
TRUE_FACTORS again (tests/test_calibration.py checks it within 5 %).

Arrivals: two weekdays (2026-11-16 and 17), 08:00–20:00 UTC, a non-homogeneous Poisson process:
the mean rate of each minute follows a two-peak office profile (PROFILE_RPS, per hour) times a
log-normal burst factor of that minute (BURST_LOG_SD), uniform inside the minute. Prompt and
output lengths: gamma distributions (means and cv² below, rounded, at least 1 token).
"""

from __future__ import annotations

import argparse
import gzip
import io
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from llmdecide import calibration, catalog, params
from llmdecide.estimators import calibration as cal
from llmdecide.estimators import serving

ROOT = Path(__file__).resolve().parent.parent
PARAMS = ROOT / "params" / "clients" / "example-pilot.yaml"
OUT = ROOT / "measurements" / "example-pilot" / "usage.csv.gz"
SEED = 20261201
TRUE_FACTORS = {
    "bandwidth_efficiency": 0.68,
    "mfu_decode": 0.35,  # the catalog value: decode at these batches is memory-bound (not seen)
    "mfu_prefill": 0.47,
    "step_overhead_ms": 1.6,
}
NOISE_LOG_SD = 0.15
BURST_LOG_SD = 0.5
DAYS = ("2026-11-16", "2026-11-17")
FIRST_HOUR, LAST_HOUR = 8, 20
# mean requests per second of each active hour (08:00 … 19:00): peaks late morning and afternoon
PROFILE_RPS = (0.2, 0.45, 0.7, 0.8, 0.55, 0.4, 0.6, 0.8, 0.7, 0.5, 0.35, 0.2)
INPUT_MEAN, INPUT_CV2 = 1100.0, 0.35
OUTPUT_MEAN, OUTPUT_CV2 = 220.0, 0.5


def arrivals(rng: np.random.Generator) -> np.ndarray:
    """Epoch seconds of every request, sorted."""
    times = []
    for day in DAYS:
        start = datetime.fromisoformat(day).replace(tzinfo=UTC).timestamp()
        for h, rate in zip(range(FIRST_HOUR, LAST_HOUR), PROFILE_RPS, strict=True):
            burst = rng.lognormal(-(BURST_LOG_SD**2) / 2.0, BURST_LOG_SD, 60)
            counts = rng.poisson(rate * 60.0 * burst)
            for minute, c in enumerate(counts):
                t0 = start + h * 3600.0 + minute * 60.0
                times.append(t0 + np.sort(rng.uniform(0.0, 60.0, c)))
    return np.concatenate(times)


def lengths(rng: np.random.Generator, mean: float, cv2: float, n: int) -> np.ndarray:
    return np.maximum(1, np.rint(rng.gamma(1.0 / cv2, mean * cv2, n))).astype(int)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    rng = np.random.default_rng(SEED)
    t = arrivals(rng)
    n = len(t)
    p = lengths(rng, INPUT_MEAN, INPUT_CV2, n)
    o = lengths(rng, OUTPUT_MEAN, OUTPUT_CV2, n)
    client = params.load(PARAMS, check_files=False)
    cat = catalog.load()
    w = serving.Workload(float(p.mean()), float(p.mean()), float(o.mean()), cal.cv2(o), cal.cv2(p))
    m0, engine, start, _ = calibration._replica(client, cat, client.usage.model_dump(), w)
    m = cal.scaled_step_model(m0, start, TRUE_FACTORS)
    window_s = float(cat.method["peak_window_s"])
    rate = cal.local_rate_rps(t, window_s) / client.measurements.pilot.replicas
    pred = cal.predict_requests(m, engine, p, o, rate, cal.cv2(o), cal.cv2(p))
    ttft = pred.ttft_s * rng.lognormal(0.0, NOISE_LOG_SD, n)
    tpot = pred.tpot_s * rng.lognormal(0.0, NOISE_LOG_SD, n)
    latency = ttft + (o - 1) * tpot
    buf = io.StringIO()
    buf.write("timestamp,input_tokens,output_tokens,latency_s,ttft_s\n")
    for row in zip(t, p, o, latency, ttft, strict=True):
        buf.write(f"{row[0]:.3f},{row[1]},{row[2]},{row[3]:.4f},{row[4]:.4f}\n")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with gzip.GzipFile(args.out, "wb", mtime=0) as fh:  # mtime 0: byte-identical re-runs
        fh.write(buf.getvalue().encode())
    print(f"{args.out}: {n} requests, true factors {TRUE_FACTORS}")


if __name__ == "__main__":
    main()
