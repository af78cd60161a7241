"""Queueing closed forms for a replica under Poisson arrivals (vectorised: numpy arrays or floats).

A replica with continuous batching is modelled as two queues a request passes through:
- a wait for one of its ``slots`` (the engine's ``max_num_seqs`` or the KV-cache limit): M/G/c,
  Erlang C with the Allen–Cunneen correction for general service times;
- a wait for the prefill share of the GPU, shared with the decodes of the running batch: an
  M/G/1 queue of prefill work at the replica's compute utilisation (Pollaczek–Khinchine mean,
  exponential tail).
Both waits have exponential tails; the quantile of a wait ``W`` with ``P(W > 0) = p`` and
``P(W > t) = p · exp(−t / θ)`` is ``θ · ln(p / (1 − q))`` when ``p > 1 − q``, else 0.
Derivations and the domain where they are weak (utilisation above ~0.9, few slots, heavy-tailed
outputs) in docs/method.md; tests check them against the seeded simulation.
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
from numpy.typing import ArrayLike, NDArray

Array = NDArray[np.float64]


def erlang_c(servers: ArrayLike, offered_load: ArrayLike) -> Array:
    """Probability that an arrival waits in an M/M/c queue with ``servers`` servers and offered
    load ``a = λ · S`` (Erlang C). Erlang B is the Poisson(a) mass at c over its distribution
    function at c, B = P(N = c) / P(N ≤ c) (exact, computed in log space by scipy's regularised
    gamma functions), and C = B / (1 − ρ·(1 − B)) with ρ = a / c. 1 when a ≥ c (unstable)."""
    # scipy.special (~1 s): only the M/M/c queue needs it, not every importer of serving
    from scipy.special import gammaln, pdtr

    c = np.atleast_1d(np.asarray(servers, dtype=float))
    a = np.atleast_1d(np.asarray(offered_load, dtype=float))
    c, a = np.broadcast_arrays(c, a)
    c = np.maximum(1.0, np.floor(np.nan_to_num(c, nan=1.0)))
    a = np.nan_to_num(a, nan=np.inf)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        safe_a = np.where(np.isfinite(a) & (a > 0), a, 1.0)
        log_pmf = c * np.log(safe_a) - safe_a - gammaln(c + 1.0)
        cdf = pdtr(c, safe_a)
        b = np.where(cdf > 0, np.exp(log_pmf) / cdf, 1.0)
        rho = a / c
        out = b / (1.0 - rho * (1.0 - b))
    out = np.where(a <= 0, 0.0, out)
    return np.clip(np.where(rho < 1.0, out, 1.0), 0.0, 1.0)


def wait_quantile_s(p_wait: ArrayLike, tail_s: ArrayLike, quantile: float) -> Array:
    """Quantile ``q`` of a wait with atom ``1 − p_wait`` at 0 and an exponential tail of mean
    ``tail_s``: θ · ln(p / (1 − q)) when p > 1 − q, else 0."""
    p = np.asarray(p_wait, dtype=float)
    theta = np.asarray(tail_s, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = theta * np.log(np.maximum(p, 1e-300) / (1.0 - quantile))
    return np.where(p > 1.0 - quantile, t, 0.0)


def slot_wait_quantile_s(
    slots: ArrayLike,
    arrival_rps: ArrayLike,
    service_s: ArrayLike,
    service_cv2: ArrayLike,
    quantile: float,
) -> Array:
    """Quantile of the wait for a free slot (M/G/c, Allen–Cunneen): P(wait) = Erlang C, tail mean
    S / (c − a) × (1 + cs²) / 2. Infinite when the slots are saturated (a ≥ c)."""
    c = np.asarray(slots, dtype=float)
    lam = np.asarray(arrival_rps, dtype=float)
    s = np.asarray(service_s, dtype=float)
    a = lam * s
    p = erlang_c(c, a).reshape(np.broadcast(c, a).shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        tail = s / (c - a) * (1.0 + np.asarray(service_cv2, dtype=float)) / 2.0
    q = wait_quantile_s(p, tail, quantile)
    return np.where(a < c, q, np.inf)


def mg1_wait_mean_s(utilisation: ArrayLike, service_s: ArrayLike, service_cv2: ArrayLike) -> Array:
    """Pollaczek–Khinchine mean wait of an M/G/1 queue: ρ · S · (1 + cs²) / (2 (1 − ρ))."""
    rho = np.asarray(utilisation, dtype=float)
    s = np.asarray(service_s, dtype=float)
    cv2 = np.asarray(service_cv2, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        w = rho * s * (1.0 + cv2) / (2.0 * (1.0 - rho))
    return np.where(rho < 1.0, w, np.inf)


def mg1_wait_quantile_s(
    utilisation: ArrayLike, service_s: ArrayLike, service_cv2: ArrayLike, quantile: float
) -> Array:
    """Quantile of the M/G/1 wait: P(wait) = ρ, exponential tail whose mean makes the overall
    mean the Pollaczek–Khinchine one (tail mean = W̄ / ρ)."""
    rho = np.asarray(utilisation, dtype=float)
    mean = mg1_wait_mean_s(rho, service_s, service_cv2)
    with np.errstate(divide="ignore", invalid="ignore"):
        tail = np.where(rho > 0, mean / np.maximum(rho, 1e-300), 0.0)
    return np.where(rho < 1.0, wait_quantile_s(rho, tail, quantile), np.inf)


def normal_z(quantile: float) -> float:
    """Standard normal quantile (Acklam's rational approximation, |error| < 1.2e-9)."""

    return NormalDist().inv_cdf(quantile)


def occupancy_quantile(mean_in_service: ArrayLike, quantile: float) -> Array:
    """Quantile of the number of requests in service of an M/G/∞ system (Poisson with the given
    mean), normal approximation with continuity: n̄ + z·√n̄."""
    n = np.asarray(mean_in_service, dtype=float)
    return n + normal_z(quantile) * np.sqrt(np.maximum(n, 0.0))
