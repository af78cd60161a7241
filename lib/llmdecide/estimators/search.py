"""The sizing search of a self-hosted configuration (AIConfigurator's shape, vectorised).

For each row (a configuration at one tensor-parallel degree and one batch cap) find the fewest
replicas such that, with the peak arrival rate split evenly over them, every latency limit holds
at its quantile and the binding resource stays below the peak-utilisation ceiling. The latency
of a replica falls as its share of the load falls, so the fewest replicas are found by doubling
from a capacity estimate, then bisection. A row whose limits fail even at (near) zero load has no
replica count: it gets 0 and the caller rejects it with that reason — never a fallback that
multiplies replicas at batch 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from llmdecide.estimators import serving

Array = NDArray[np.float64]
MAX_DOUBLINGS = 14  # up to 16 384 × the capacity estimate


@dataclass(frozen=True)
class LatencyLimits:
    """Limits on the quantile latencies of a replica (seconds; inf = no limit), excluding the
    fixed parts (network, retrieval) the caller has already subtracted."""

    e2e_s: Array
    ttft_s: Array
    tpot_s: Array
    max_utilisation: float
    hidden_tokens: Array | float = 0.0
    """Tokens generated before the answer (reasoning): the user's first answer token waits
    for them, so the TTFT limit applies to TTFT + hidden tokens × TPOT."""


def within(lat: serving.Latency, rho: Array, limits: LatencyLimits) -> NDArray[np.bool_]:
    """Rows whose latencies and utilisation all meet the limits."""
    hidden = np.asarray(limits.hidden_tokens, dtype=float)
    with np.errstate(invalid="ignore"):
        wait = np.where(hidden > 0, hidden * lat.tpot_q_s, 0.0)
    return (
        (lat.e2e_q_s <= limits.e2e_s)
        & (lat.ttft_q_s + wait <= limits.ttft_s)
        & (lat.tpot_q_s <= limits.tpot_s)
        & (rho <= limits.max_utilisation)
    )


def _select(model: serving.StepModel, rows: NDArray[np.intp]) -> serving.StepModel:
    def take(x: object) -> object:
        a = np.asarray(x, dtype=float)
        return a[rows] if a.ndim else a

    return serving.StepModel(**{k: take(v) for k, v in vars(model).items()})  # type: ignore[arg-type]


def _select_w(w: serving.Workload, rows: NDArray[np.intp]) -> serving.Workload:
    return serving.Workload(
        **{k: (np.asarray(v, float)[rows] if np.ndim(v) else v) for k, v in vars(w).items()}
    )


def _select_e(e: serving.Engine, rows: NDArray[np.intp]) -> serving.Engine:
    return serving.Engine(
        **{k: (np.asarray(v, float)[rows] if np.ndim(v) else v) for k, v in vars(e).items()}
    )


def _ok_at(
    m: serving.StepModel,
    w: serving.Workload,
    e: serving.Engine,
    peak_rps: Array,
    replicas: Array,
    limits: LatencyLimits,
    rows: NDArray[np.intp],
    quantile: float,
    curve: serving.LoadCurve,
) -> NDArray[np.bool_]:
    ms, ws, es = _select(m, rows), _select_w(w, rows), _select_e(e, rows)
    sub_curve = curve.rows(rows)
    rate = peak_rps[rows] / replicas[rows]
    lat = serving.replica_latency(ms, ws, es, rate, quantile, sub_curve)
    rho = serving.utilisation(ms, ws, es, rate, sub_curve)
    hidden = np.asarray(limits.hidden_tokens, dtype=float)
    sub = LatencyLimits(
        limits.e2e_s[rows],
        limits.ttft_s[rows],
        limits.tpot_s[rows],
        limits.max_utilisation,
        hidden[rows] if hidden.ndim else hidden,
    )
    return within(lat, rho, sub)


def fewest_replicas(
    m: serving.StepModel,
    w: serving.Workload,
    engine: serving.Engine,
    peak_rps: Array,
    limits: LatencyLimits,
    quantile: float,
) -> Array:
    """Fewest replicas meeting the limits at ``peak_rps`` (0 where no count does)."""
    n = peak_rps.shape[0]
    curve = serving.load_curve(m, w, engine)  # independent of the rate: computed once
    # near zero load: does any replica count meet the limits?
    tiny = np.maximum(peak_rps * 1e-9, 1e-12)
    zero = within(
        serving.replica_latency(m, w, engine, tiny, quantile, curve),
        serving.utilisation(m, w, engine, tiny, curve),
        limits,
    )
    cap = curve.capacity_rps
    with np.errstate(divide="ignore", invalid="ignore"):
        start = np.ceil(peak_rps / (limits.max_utilisation * cap) - 1e-9)
    start = np.where(np.isfinite(start) & (start >= 1), start, 1.0)
    hi = start.copy()
    found = np.zeros(n, dtype=bool)
    active = np.flatnonzero(zero)
    for _ in range(MAX_DOUBLINGS + 1):
        if active.size == 0:
            break
        ok = _ok_at(m, w, engine, peak_rps, hi, limits, active, quantile, curve)
        found[active[ok]] = True
        active = active[~ok]
        hi[active] *= 2.0
    # bisection on integers between the last failing count and the first passing one; below
    # ``start`` the utilisation ceiling fails by construction (utilisation = rate / capacity)
    lo = np.where(hi > start, np.floor(hi / 2.0), start - 1.0)
    rows = np.flatnonzero(found & (hi - lo > 1))
    while rows.size:
        mid = np.floor((lo[rows] + hi[rows]) / 2.0)
        trial = hi.copy()
        trial[rows] = mid
        ok = _ok_at(m, w, engine, peak_rps, trial, limits, rows, quantile, curve)
        hi[rows[ok]] = mid[ok]
        lo[rows[~ok]] = mid[~ok]
        rows = rows[hi[rows] - lo[rows] > 1]
    return np.where(found, hi, 0.0)
