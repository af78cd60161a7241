"""Pilot calibration, pure: the measured load of a usage log, the serving model's prediction of
the pilot at that load, and a bounded robust fit of the efficiency factors to the measured
latencies (docs/method.md, "Pilot calibration").

**Load.** A request sees the arrival rate of the ``window_s`` seconds centred on it
(the catalog's ``method.peak_window_s``)
(requests in the window ÷ its length); the pilot's load is the mean of those rates over the
requests (the rate the average request meets), shared by the replicas. The peak is the
``method.peak_quantile`` of the tumbling window rates (minutes without a request count as 0).

**Prediction.** Per request, the closed form (``serving.replica_latency``) at its own prompt
and output lengths and at its local rate gives its typical TTFT and TPOT (the means of the
model) and e2e = TTFT + (output − 1) · TPOT (the first token at TTFT, each further one a TPOT:
how a log measures them). The pilot's predicted figures (p50/p95) are percentiles of these over
the requests, like the measured ones; ``mean_workload_figures`` gives beside them the closed
form at the mean workload and load with the sizing's quantile (what the sizing compares with
the limits: it has no spread of the lengths, so it reads lower than a log's p95 when outputs
vary).

**Fit.** ``scipy.optimize.least_squares`` on log(predicted / measured) of every request's e2e,
TTFT and TPOT present (a seeded sample of at most ``FIT_SAMPLE`` requests), soft-L1 loss (scale
``LOSS_SCALE``: a request 10 % off weighs as in least squares, outliers linearly), each factor
bounded by its catalog range. A factor the log cannot see (its 10 % change moves the latencies
by less than ``MIN_SENSITIVITY``) stays at its catalog value; the uncertainty of the others is
the square root of the diagonal of s² (JᵀJ)⁻¹ at the solution (s² the residual variance).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from llmdecide.estimators import serving

Array = NDArray[np.float64]

FIT_SAMPLE = 1000
FIT_SEED = 0
MAX_EVALUATIONS = 40
"""Model evaluations the fit may make (each one is the closed form on the sample)."""
LOSS_SCALE = 0.1
MIN_SENSITIVITY = 0.002
"""A factor whose 10 % change moves the log latencies by less than this (RMS) is not seen."""
CONTRADICTION_LOG = math.log(2.0)
"""Median |log(predicted / measured)| above this after the fit: the log contradicts the pilot."""
TTFT_ABOVE_E2E_SHARE = 0.05
SELF_HOSTED_FACTORS = ("bandwidth_efficiency", "mfu_decode", "mfu_prefill", "step_overhead_ms")
API_FACTORS = ("ttft_s", "output_tokens_per_s")


# ----------------------------------------------------------------------------------- load


def local_rate_rps(t_s: Array, window_s: float) -> Array:
    """Per request (in the order given), the arrivals in ``[t − w/2, t + w/2)`` ÷ w."""
    t = np.asarray(t_s, float)
    order = np.argsort(t, kind="stable")
    s = t[order]
    counts = np.searchsorted(s, s + window_s / 2.0, "left") - np.searchsorted(
        s, s - window_s / 2.0, "left"
    )
    out = np.empty(len(t))
    out[order] = counts / window_s
    return out


def window_rates_rps(t_s: Array, window_s: float) -> Array:
    """Tumbling-window rates from the first request to the last (empty windows included)."""
    t = np.sort(np.asarray(t_s, float))
    edges = t[0] + window_s * np.arange(math.floor((t[-1] - t[0]) / window_s) + 2)
    return np.diff(np.searchsorted(t, edges, "left")) / window_s


def peak_rps(t_s: Array, window_s: float, quantile: float) -> float:
    """The ``quantile`` of the tumbling ``window_s`` rates (the p99 of 1-minute rates)."""
    return float(np.quantile(window_rates_rps(t_s, window_s), quantile))


def request_tpot_s(latency_s: Array, ttft_s: Array, output_tokens: Array, tpot_s: Array) -> Array:
    """Per request: the TPOT column where given, else (latency − TTFT) / (output − 1) for a
    request of more than one token with both figures; NaN otherwise."""
    lat, ttft, out = (np.asarray(a, float) for a in (latency_s, ttft_s, output_tokens))
    with np.errstate(invalid="ignore", divide="ignore"):
        derived = np.where(out > 1, (lat - ttft) / (out - 1.0), np.nan)
    given = np.asarray(tpot_s, float)
    return np.where(np.isfinite(given), given, derived)


def cv2(x: Array) -> float:
    """Squared coefficient of variation (variance / mean²) of token counts (0 if constant)."""
    x = np.asarray(x, float)
    m = float(x.mean())
    return float(x.var() / (m * m)) if m > 0 else 0.0


# ------------------------------------------------------------------------------- figures


@dataclass(frozen=True)
class Figures:
    """The latency figures compared (seconds; TPOT in ms); None: not measured / not predicted."""

    p50_latency_s: float | None = None
    p95_latency_s: float | None = None
    ttft_p95_s: float | None = None
    tpot_p95_ms: float | None = None

    def as_dict(self) -> dict[str, float | None]:
        return {k: (None if v is None else float(v)) for k, v in vars(self).items()}


def _pct(x: Array, q: float) -> float | None:
    x = np.asarray(x, float)
    x = x[np.isfinite(x)]
    return float(np.percentile(x, q)) if x.size else None


def measured_figures(latency_s: Array, ttft_s: Array, tpot_s: Array) -> Figures:
    """p50/p95 end-to-end, p95 TTFT and p95 TPOT of the requests that have them."""
    tpot = _pct(tpot_s, 95)
    return Figures(
        p50_latency_s=_pct(latency_s, 50),
        p95_latency_s=_pct(latency_s, 95),
        ttft_p95_s=_pct(ttft_s, 95),
        tpot_p95_ms=None if tpot is None else tpot * 1000.0,
    )


# ------------------------------------------------------------------------- self-hosted model


def scaled_step_model(
    m: serving.StepModel, base: Mapping[str, float], factors: Mapping[str, float]
) -> serving.StepModel:
    """The step model ``m`` (built with the ``base`` factors) at other ``factors``: reads scale
    with 1 / bandwidth efficiency, decode compute with 1 / MFU decode, prefill and attention
    compute with 1 / MFU prefill (``replica.step_model``); the overhead is the factor itself."""
    bw = base["bandwidth_efficiency"] / factors["bandwidth_efficiency"]
    md = base["mfu_decode"] / factors["mfu_decode"]
    mp = base["mfu_prefill"] / factors["mfu_prefill"]
    f = serving._f
    return replace(
        m,
        dense_read_s=f(m.dense_read_s) * bw,
        experts_read_s=f(m.experts_read_s) * bw,
        kv_read_s_per_token=f(m.kv_read_s_per_token) * bw,
        decode_compute_s_per_token=f(m.decode_compute_s_per_token) * md,
        prefill_compute_s_per_token=f(m.prefill_compute_s_per_token) * mp,
        attention_s_per_pair=f(m.attention_s_per_pair) * mp,
        overhead_s=factors["step_overhead_ms"] / 1000.0,
    )


@dataclass(frozen=True)
class RequestPrediction:
    """Per request: typical TTFT, TPOT and e2e (seconds) of the closed form."""

    ttft_s: Array
    tpot_s: Array
    e2e_s: Array


def predict_requests(
    m: serving.StepModel,
    engine: serving.Engine,
    input_tokens: Array,
    output_tokens: Array,
    rate_rps: Array,
    service_cv2: float = 1.0,
    prompt_cv2: float = 1.0,
) -> RequestPrediction:
    """The closed form at each request's lengths and load (means of the model; inf when the
    replica could not hold that load)."""
    p = np.maximum(np.asarray(input_tokens, float), 1.0)
    o = np.maximum(np.asarray(output_tokens, float), 1.0)
    w = serving.Workload(p, p, o, service_cv2, prompt_cv2)
    lat = serving.replica_latency(m, w, engine, np.asarray(rate_rps, float), 0.5)
    e2e = lat.ttft_mean_s + (o - 1.0) * lat.tpot_mean_s
    return RequestPrediction(lat.ttft_mean_s, lat.tpot_mean_s, e2e)


def prediction_figures(pred: RequestPrediction) -> Figures:
    """The pilot's predicted figures: percentiles over the requests of their predictions (each
    at its own lengths and load), as the measured ones are percentiles over the requests."""
    tpot = _pct(pred.tpot_s, 95)
    return Figures(
        p50_latency_s=_pct(pred.e2e_s, 50),
        p95_latency_s=_pct(pred.e2e_s, 95),
        ttft_p95_s=_pct(pred.ttft_s, 95),
        tpot_p95_ms=None if tpot is None else tpot * 1000.0,
    )


def mean_workload_figures(
    m: serving.StepModel,
    engine: serving.Engine,
    w: serving.Workload,
    rate_rps: float,
    quantile: float = 0.95,
) -> Figures:
    """The closed form at the mean workload and the mean load, with the sizing's quantile: the
    figure the sizing search compares with the limits (no spread of the lengths in it)."""
    med = serving.replica_latency(m, w, engine, rate_rps, 0.5)
    q = serving.replica_latency(m, w, engine, rate_rps, quantile)

    def one(x: Any) -> float | None:
        v = float(np.asarray(x).reshape(-1)[0])
        return v if math.isfinite(v) else None

    tpot = one(q.tpot_q_s)
    return Figures(
        p50_latency_s=one(med.e2e_q_s),
        p95_latency_s=one(q.e2e_q_s),
        ttft_p95_s=one(q.ttft_q_s),
        tpot_p95_ms=None if tpot is None else tpot * 1000.0,
    )


# ---------------------------------------------------------------------------------- the fit


@dataclass(frozen=True)
class FactorFit:
    """Fitted factors: value and standard error of each (catalog value and None when the log
    does not see it), the bounds, the residual scatter and how many requests were used;
    ``refused``: why no fit was made (then ``values`` are the starting ones)."""

    values: dict[str, float]
    std: dict[str, float | None]
    start: dict[str, float]
    bounds: dict[str, tuple[float, float]]
    fitted: list[str] = field(default_factory=list)
    not_seen: list[str] = field(default_factory=list)
    at_bound: list[str] = field(default_factory=list)
    residual_log_sd: float | None = None
    requests_used: int = 0
    refused: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            name: {
                "before": self.start[name],
                "after": self.values[name],
                "std": self.std.get(name),
                "low": self.bounds[name][0],
                "high": self.bounds[name][1],
                "fitted": name in self.fitted,
                "at_bound": name in self.at_bound,
            }
            for name in self.start
        }


Predict = Callable[[Mapping[str, float]], RequestPrediction]


def _residuals(pred: RequestPrediction, measured: Sequence[Array], masks: Sequence[Any]) -> Array:
    parts = []
    for value, meas, mask in zip(
        (pred.e2e_s, pred.ttft_s, pred.tpot_s), measured, masks, strict=True
    ):
        v = np.asarray(value, float)[mask]
        with np.errstate(divide="ignore", invalid="ignore"):
            r = np.log(np.where(np.isfinite(v) & (v > 0), v, 1e6) / meas[mask])
        parts.append(r)
    return np.concatenate(parts)


def sample_indices(n: int, size: int = FIT_SAMPLE, seed: int = FIT_SEED) -> NDArray[np.intp]:
    """A seeded sample of at most ``size`` of ``n`` rows, in row order."""
    if n <= size:
        return np.arange(n)
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n, size, replace=False))


def _refusal_before_fit(
    measured: Sequence[Array], masks: Sequence[Any], with_latency: int, min_requests: int
) -> str:
    """Why the log cannot be fitted at all ("" when it can): no latency, too few requests, or
    TTFT above e2e on more than ``TTFT_ABOVE_E2E_SHARE`` of the requests (swapped columns)."""
    if with_latency == 0:
        return "the usage log has no latency column (latency_s, ttft_s or tpot_s)"
    if with_latency < min_requests:
        return (
            f"only {with_latency} requests have a latency; at least {min_requests} are needed "
            "for a fit"
        )
    e2e, ttft = measured[0], measured[1]
    both = masks[0] & masks[1]
    if both.sum() and (ttft[both] > e2e[both]).mean() > TTFT_ABOVE_E2E_SHARE:
        share = (ttft[both] > e2e[both]).mean()
        return (
            f"{share:.0%} of the requests have a TTFT above their end-to-end latency: the "
            "columns are swapped or in different units"
        )
    return ""


Residuals = Callable[[Mapping[str, float]], Array]


def factors_seen(
    residuals_at: Residuals, start: Mapping[str, float], bounds: Mapping[str, tuple[float, float]]
) -> list[str]:
    """The factors the log sees: a 10 % change (inside the bounds) moves the log residuals by
    at least ``MIN_SENSITIVITY`` (RMS)."""
    base = residuals_at(start)
    seen = []
    for k in start:
        lo, hi = bounds[k]
        step = start[k] * 1.1 if start[k] * 1.1 <= hi else start[k] / 1.1
        if not lo <= step <= hi or hi <= lo:
            continue
        moved = residuals_at({**start, k: step}) - base
        if float(np.sqrt(np.mean(moved**2))) >= MIN_SENSITIVITY:
            seen.append(k)
    return seen


@dataclass(frozen=True)
class _Solution:
    """A bounded soft-L1 fit of the ``seen`` factors: their fitted values, the residuals at the
    solution and the Jacobian in the scaled variables (factor ÷ its start value ``scale``)."""

    fitted: dict[str, float]
    residuals: Array
    jacobian: Array
    scale: Array


def _least_squares(
    residuals_at: Residuals,
    start: Mapping[str, float],
    bounds: Mapping[str, tuple[float, float]],
    seen: Sequence[str],
) -> _Solution:
    """``scipy.optimize.least_squares`` on the ``seen`` factors scaled by their start values,
    the others held at their start (module docstring, "Fit")."""
    # scipy.optimize (~2 s): only a pilot's calibration fits
    from scipy.optimize import least_squares

    scale = np.array([start[k] for k in seen])

    def fun(z: Array) -> Array:
        values = {**start, **{k: float(v) for k, v in zip(seen, z * scale, strict=True)}}
        return residuals_at(values)

    lower = np.array([bounds[k][0] for k in seen]) / scale
    upper = np.array([bounds[k][1] for k in seen]) / scale
    z0 = np.clip(np.ones(len(seen)), lower, upper)
    sol = least_squares(
        fun,
        z0,
        bounds=(lower, upper),
        loss="soft_l1",
        f_scale=LOSS_SCALE,
        x_scale=1.0,
        diff_step=1e-3,
        xtol=1e-8,
        ftol=1e-8,
        gtol=1e-8,
        max_nfev=MAX_EVALUATIONS,
    )
    fitted = {k: float(v) for k, v in zip(seen, sol.x * scale, strict=True)}
    return _Solution(fitted, sol.fun, sol.jac, scale)


def residual_variance(residuals: Array, fitted_count: int) -> float:
    """s² = Σ r² / (n − p), n residuals, p fitted factors (at least one degree of freedom)."""
    dof = max(len(residuals) - fitted_count, 1)
    return float(np.sum(residuals**2) / dof)


def standard_errors(sol: _Solution, names: Sequence[str], s2: float) -> dict[str, float | None]:
    """Per factor, the square root of the diagonal of s² (JᵀJ)⁻¹ back in the factor's units
    (None for a factor not fitted, or when JᵀJ cannot be inverted)."""
    std: dict[str, float | None] = dict.fromkeys(names)
    try:
        cov = np.linalg.pinv(sol.jacobian.T @ sol.jacobian) * s2
        for i, k in enumerate(sol.fitted):
            std[k] = float(math.sqrt(max(cov[i, i], 0.0)) * sol.scale[i])
    except np.linalg.LinAlgError:
        pass
    return std


def factors_at_bound(
    fitted: Mapping[str, float], bounds: Mapping[str, tuple[float, float]]
) -> list[str]:
    """The fitted factors that ended on one of their bounds (relative tolerance 1e-6)."""
    return [
        k
        for k in fitted
        if math.isclose(fitted[k], bounds[k][0], rel_tol=1e-6)
        or math.isclose(fitted[k], bounds[k][1], rel_tol=1e-6)
    ]


def _contradiction(residuals: Array) -> str:
    """Why the fit is refused after all ("" when it is not): the median request still off by
    more than ``CONTRADICTION_LOG`` with the best factors inside the catalog ranges."""
    if float(np.median(np.abs(residuals))) <= CONTRADICTION_LOG:
        return ""
    return (
        f"with the best factors inside the catalog ranges the model is still off by a factor "
        f"{math.exp(float(np.median(np.abs(residuals)))):.1f} on the median request: the log "
        "contradicts the pilot configuration (another GPU, model or replica count?)"
    )


def fit_factors(
    predict: Predict,
    measured: tuple[Array, Array, Array],
    start: Mapping[str, float],
    bounds: Mapping[str, tuple[float, float]],
    min_requests: int,
) -> FactorFit:
    """Fit the factors of ``start`` within ``bounds`` to the measured (e2e, TTFT, TPOT) of the
    requests (NaN: not measured), ``predict`` giving the model's per-request figures."""
    names = list(start)
    x0 = {k: float(start[k]) for k in names}
    b = {k: (float(bounds[k][0]), float(bounds[k][1])) for k in names}
    meas = [np.asarray(a, float) for a in measured]
    masks = [np.isfinite(a) & (a > 0) for a in meas]
    with_latency = int(np.any(np.vstack(masks), axis=0).sum())

    def refuse(why: str, not_seen: list[str] | None = None) -> FactorFit:
        return FactorFit(
            x0,
            dict.fromkeys(names),
            x0,
            b,
            not_seen=not_seen or [],
            refused=why,
            requests_used=with_latency,
        )

    why = _refusal_before_fit(meas, masks, with_latency, min_requests)
    if why:
        return refuse(why)

    def res_at(values: Mapping[str, float]) -> Array:
        return _residuals(predict(values), meas, masks)

    seen = factors_seen(res_at, x0, b)
    not_seen = [k for k in names if k not in seen]
    if not seen:
        return refuse("no factor changes the predicted latencies of this log", not_seen)
    sol = _least_squares(res_at, x0, b, seen)
    s2 = residual_variance(sol.residuals, len(seen))
    std = standard_errors(sol, names, s2)
    why = _contradiction(sol.residuals)
    if why:
        return refuse(why, not_seen)
    return FactorFit(
        values={**x0, **sol.fitted},
        std=std,
        start=x0,
        bounds=b,
        fitted=seen,
        not_seen=not_seen,
        at_bound=factors_at_bound(sol.fitted, b),
        residual_log_sd=math.sqrt(s2),
        requests_used=with_latency,
    )


# ------------------------------------------------------------------------------------ API


def api_predict(
    ttft_s: float, output_tokens_per_s: float, output_tokens: Array
) -> RequestPrediction:
    """An API request: TTFT, then (output − 1) tokens at the model's speed."""
    o = np.maximum(np.asarray(output_tokens, float), 1.0)
    tpot = np.full(o.shape, 1.0 / output_tokens_per_s)
    ttft = np.full(o.shape, ttft_s)
    return RequestPrediction(ttft, tpot, ttft + (o - 1.0) * tpot)


def api_figures(ttft_s: float, output_tokens_per_s: float, output_tokens: Array) -> Figures:
    """An API pilot's figures: the percentiles of the per-request predictions (the model has
    one TTFT and one speed; the spread comes from the output lengths)."""
    pred = api_predict(ttft_s, output_tokens_per_s, output_tokens)
    return Figures(
        p50_latency_s=_pct(pred.e2e_s, 50),
        p95_latency_s=_pct(pred.e2e_s, 95),
        ttft_p95_s=float(ttft_s),
        tpot_p95_ms=1000.0 / output_tokens_per_s,
    )
