"""Pilot calibration against the catalog: the pilot's replica from the catalog, its prediction
at the measured load, the fit of its factors, and the calibrated catalog the chain re-runs on.

The pure parts are in ``estimators/calibration.py``; this layer only reads the catalog and the
params (``measurements.pilot``). The calibrated factors apply to every configuration that shares
them: a self-hosted pilot's efficiencies to every configuration on the same GPU (the catalog
gains an efficiency record ``vllm@<gpu>``, read by ``evaluation.step.engine_efficiency``), an API
pilot's TTFT and speed to that API model (its catalog ranges replaced).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from llmdecide.catalog import Range
from llmdecide.estimators import calibration as cal
from llmdecide.estimators import serving
from llmdecide.evaluation import step
from llmdecide.evaluation.context import VALUE, make_context
from llmdecide.evaluation.fit import fit as memory_fit
from llmdecide.evaluation.hosting import api as api_hosting
from llmdecide.evaluation.rows import Rows
from llmdecide.space import Candidate

if TYPE_CHECKING:
    from llmdecide.catalog import Catalog
    from llmdecide.params import ClientParams, Pilot

CALIBRATED_SOURCE = "pilot calibration: fitted to the client's usage log"


@dataclass(frozen=True)
class PilotTrace:
    """The usage log's requests as the calibration reads them (aligned arrays, time order)."""

    timestamp_s: np.ndarray
    input_tokens: np.ndarray
    output_tokens: np.ndarray
    latency_s: np.ndarray
    ttft_s: np.ndarray
    tpot_s: np.ndarray

    @classmethod
    def of(cls, rows: Mapping[str, np.ndarray]) -> PilotTrace:
        """From ``measurements.read_usage_log(..., requests=rows)``: missing columns are NaN."""
        t = np.asarray(rows["timestamp_s"], float)
        order = np.argsort(t, kind="stable")
        nan = np.full(len(t), np.nan)

        def col(name: str) -> np.ndarray:
            return np.asarray(rows.get(name, nan), float)[order]

        latency, ttft, out = col("latency_s"), col("ttft_s"), col("output_tokens")
        return cls(
            t[order],
            col("input_tokens"),
            out,
            latency,
            ttft,
            cal.request_tpot_s(latency, ttft, out, col("tpot_s")),
        )


@dataclass(frozen=True)
class Calibration:
    """What ``results.json`` ``calibration`` holds, and the calibrated catalog (None: no fit)."""

    data: dict[str, Any]
    catalog: Catalog | None


MAX_PLAUSIBLE_MEDIAN_S = 600.0
"""A median latency above this (10 minutes) in a seconds column: milliseconds, most likely."""


def log_problems(
    rows: Mapping[str, np.ndarray], bad_rows: Mapping[str, int], examples: Mapping[str, list[int]]
) -> list[str]:
    """What makes a usage log unfit for a pilot calibration (errors, exit 2): negative
    latencies, timestamps that go backwards. Each message names the rows."""
    problems = []
    if bad_rows.get("negative_latency"):
        shown = ", ".join(map(str, examples.get("negative_latency", [])))
        problems.append(
            f"{bad_rows['negative_latency']} request(s) have a negative latency_s, ttft_s or "
            f"tpot_s (data rows {shown}…): a duration cannot be negative; export end − start "
            "in seconds, or drop those rows"
        )
    t = np.asarray(rows["timestamp_s"], float)
    back = np.flatnonzero(t[1:] < t[:-1])
    if back.size:
        row = np.asarray(rows.get("row", np.arange(1, len(t) + 1)))
        shown = ", ".join(str(int(row[i + 1])) for i in back[:5])
        problems.append(
            f"timestamps go backwards at {back.size} request(s) (data rows {shown}…): a pilot "
            "log must be in time order, one request per row; sort it by timestamp (or check "
            "that the column is the request's start time)"
        )
    return problems


def plausibility_warnings(trace: PilotTrace) -> list[str]:
    """Legal but likely wrong: a median latency above ``MAX_PLAUSIBLE_MEDIAN_S``."""
    out = []
    for name in ("latency_s", "ttft_s", "tpot_s"):
        x = getattr(trace, name)
        x = x[np.isfinite(x)]
        if x.size and float(np.median(x)) > MAX_PLAUSIBLE_MEDIAN_S:
            out.append(
                f"the median {name} is {float(np.median(x)):.0f} s (above "
                f"{MAX_PLAUSIBLE_MEDIAN_S:.0f} s): milliseconds in a seconds column? Divide by "
                "1000; the calibration is not made on these figures"
            )
    return out


def pilot_dict(pilot: Pilot) -> dict[str, Any]:
    keys = (
        ("hosting", "model")
        if pilot.hosting == "api"
        else (
            "hosting",
            "gpu",
            "gpus_per_replica",
            "replicas",
            "model",
            "optimisation",
            "kv_cache",
            "max_batch_per_replica",
        )
    )
    return {k: getattr(pilot, k) for k in keys}


def _fitted(fit: cal.FactorFit, idx: np.ndarray) -> dict[str, Any]:
    """The fields of an accepted fit (self-hosted or API) in calibration.json."""
    return {
        "factors": fit.as_dict(),
        "not_seen": fit.not_seen,
        "residual_log_sd": fit.residual_log_sd,
        "requests_fitted": int(min(len(idx), fit.requests_used)),
        "refused": "",
    }


def _load(trace: PilotTrace, replicas: int, method: Mapping[str, Any]) -> dict[str, float]:
    window_s, quantile = float(method["peak_window_s"]), float(method["peak_quantile"])
    rate = cal.local_rate_rps(trace.timestamp_s, window_s)
    return {
        "mean_rps_per_request": float(rate.mean()),
        "load_rps_per_replica": float(rate.mean()) / replicas,
        "peak_rps": cal.peak_rps(trace.timestamp_s, window_s, quantile),
        "peak_quantile": quantile,
        "window_s": window_s,
    }


def _measured(trace: PilotTrace) -> dict[str, Any]:
    fig = cal.measured_figures(trace.latency_s, trace.ttft_s, trace.tpot_s)
    out = fig.as_dict()
    out["requests"] = len(trace.timestamp_s)
    out["requests_with_latency"] = int(
        (np.isfinite(trace.latency_s) | np.isfinite(trace.ttft_s) | np.isfinite(trace.tpot_s)).sum()
    )
    return out


# --------------------------------------------------------------------------------- self-hosted


def _context(client: ClientParams, catalog: Catalog, usage: Mapping[str, float]) -> Any:
    return make_context(client, catalog, usage, {}, measured_usage=True)


def _replica(
    client: ClientParams, catalog: Catalog, usage: Mapping[str, float], w: serving.Workload
) -> tuple[serving.StepModel, serving.Engine, dict[str, float], dict[str, tuple[float, float]]]:
    """The pilot's step model (catalog values), engine, factors and their catalog ranges."""

    pilot = client.measurements.pilot
    assert pilot is not None and pilot.gpu is not None
    ctx = _context(client, catalog, usage)
    cand = Candidate(
        hosting=pilot.hosting,
        region="",
        gpu=pilot.gpu,
        gpus_per_replica=pilot.gpus_per_replica,
        model=pilot.model,
        optimisation=pilot.optimisation,
        kv_cache=pilot.kv_cache,
        rag="none",
        output_format="text",
        deployment_mode="real_time",
    )
    rows = Rows([cand])
    one = serving.Workload(*(np.atleast_1d(np.asarray(v, float)) for v in vars(w).values()))
    fit_ = memory_fit(ctx, rows, one)
    if fit_.excluded[0]:
        raise ValueError(fit_.excluded[0])
    m = step.replica_model(ctx, rows, fit_.kv_bytes_per_token, VALUE)
    m = serving.StepModel(**{k: float(np.asarray(v).reshape(-1)[0]) for k, v in vars(m).items()})
    eff = step.engine_efficiency(catalog, pilot.gpu)
    mem = float(catalog.gpus[pilot.gpu].memory_gb)
    engine = serving.Engine(
        max_seqs=float(pilot.max_batch_per_replica or eff.max_seqs(mem)),
        token_budget=float(eff.token_budget(mem)),
        kv_capacity_tokens=float(fit_.kv_capacity_tokens[0]),
    )
    start = {k: float(getattr(eff, k).value) for k in cal.SELF_HOSTED_FACTORS}
    bounds = {
        k: (float(getattr(eff, k).low), float(getattr(eff, k).high))
        for k in cal.SELF_HOSTED_FACTORS
    }
    return m, engine, start, bounds


def _fitted_range(f: Mapping[str, Any], floor: float = 0.0) -> Any:
    """A fitted factor as a catalog Range: the value and its 95 % interval, inside the bounds."""

    v, sd = float(f["after"]), float(f.get("std") or 0.0)
    lo, hi = float(f["low"]), float(f["high"])
    return Range(
        value=v,
        low=max(lo, floor * v, min(v, v - 1.96 * sd)),
        high=min(hi, max(v, v + 1.96 * sd)),
    )


def calibrated_catalog(catalog: Catalog, data: Mapping[str, Any] | None) -> Catalog:
    """The catalog with the fitted factors of ``data`` (``results.json`` ``calibration``) in
    place: an efficiency record ``vllm@<gpu>`` for a self-hosted pilot, the API model's TTFT and
    speed for an API pilot. Unchanged when there is no calibration or it was refused."""

    if not data or data.get("refused") or not data.get("factors"):
        return catalog
    pilot = data["pilot"]
    factors = {k: f for k, f in data["factors"].items() if f.get("fitted")}
    if not factors:
        return catalog
    note = (
        f"{CALIBRATED_SOURCE}; fitted: {', '.join(factors)} on "
        f"{data.get('requests_fitted', data['measured']['requests'])} requests; range = the 95 % "
        "interval of the fit"
    )
    if pilot["hosting"] == "api":
        rec = catalog.api_models[pilot["model"]]
        update: dict[str, Any] = {k: _fitted_range(f, 0.5) for k, f in factors.items()}
        update["note"] = f"{rec.note or ''} TTFT and speed: {note}.".strip()
        models = {**catalog.api_models, pilot["model"]: rec.model_copy(update=update)}
        return dataclasses.replace(catalog, api_models=models)
    eff = step.engine_efficiency(catalog, pilot["gpu"])
    update = {k: _fitted_range(f) for k, f in factors.items()}
    record = eff.model_copy(update={**update, "source": CALIBRATED_SOURCE, "note": note})
    engine = catalog.method["engine"]
    efficiencies = {**catalog.efficiencies, f"{engine}@{pilot['gpu']}": record}
    return dataclasses.replace(catalog, efficiencies=efficiencies)


def _extra_q(tokens: np.ndarray) -> float:
    return max(float(np.percentile(tokens, 95)) - float(tokens.mean()), 0.0)


def _self_hosted(
    client: ClientParams, catalog: Catalog, usage: Mapping[str, float], trace: PilotTrace
) -> Calibration:
    pilot = client.measurements.pilot
    assert pilot is not None and pilot.gpu is not None
    quantile = float(catalog.method["latency_quantile"])
    load = _load(trace, pilot.replicas, catalog.method)
    w = serving.Workload(
        context_tokens=float(trace.input_tokens.mean()),
        prefill_tokens=float(trace.input_tokens.mean()),
        output_tokens=float(trace.output_tokens.mean()),
        service_cv2=cal.cv2(trace.output_tokens),
        prompt_cv2=cal.cv2(trace.input_tokens),
        # the sizing's p95 request (evaluation/workload.token_spread): p95 − mean, ≥ 0
        prompt_extra_q=_extra_q(trace.input_tokens),
        output_extra_q=_extra_q(trace.output_tokens),
    )
    data: dict[str, Any] = {
        "pilot": pilot_dict(pilot),
        "load": load,
        "measured": _measured(trace),
        "applies_to": f"every self-hosted configuration on {pilot.gpu} (engine vllm)",
    }
    try:
        m0, engine, start, bounds = _replica(client, catalog, usage, w)
    except ValueError as exc:
        data.update(
            predicted_before=None,
            predicted_after=None,
            factors={},
            refused=f"the pilot configuration cannot run this log's requests: {exc}",
        )
        return Calibration(data, None)
    rate = load["load_rps_per_replica"]
    idx = cal.sample_indices(len(trace.timestamp_s))
    local = cal.local_rate_rps(trace.timestamp_s, load["window_s"])[idx] / pilot.replicas
    cv_out, cv_in = float(w.service_cv2), float(w.prompt_cv2)  # type: ignore[arg-type]

    def predict(values: Mapping[str, float]) -> cal.RequestPrediction:
        m = cal.scaled_step_model(m0, start, values)
        return cal.predict_requests(
            m, engine, trace.input_tokens[idx], trace.output_tokens[idx], local, cv_out, cv_in
        )

    before = cal.prediction_figures(predict(start))
    data["sizing_before"] = cal.mean_workload_figures(m0, engine, w, rate, quantile).as_dict()
    measured = (trace.latency_s[idx], trace.ttft_s[idx], trace.tpot_s[idx])
    fit = cal.fit_factors(
        predict, measured, start, bounds, int(catalog.method["calibration_min_requests"])
    )
    if fit.refused or not fit.fitted:
        data.update(
            predicted_before=before.as_dict(),
            predicted_after=None,
            factors=fit.as_dict(),
            refused=fit.refused or "no factor is seen by this log",
        )
        return Calibration(data, None)
    after = cal.prediction_figures(predict(fit.values))
    m_after = cal.scaled_step_model(m0, start, fit.values)
    data["sizing_after"] = cal.mean_workload_figures(m_after, engine, w, rate, quantile).as_dict()
    data.update(
        predicted_before=before.as_dict(), predicted_after=after.as_dict(), **_fitted(fit, idx)
    )
    return Calibration(data, calibrated_catalog(catalog, data))


# ------------------------------------------------------------------------------------- API


API_BOUNDS = {"ttft_s": (1e-3, 120.0), "output_tokens_per_s": (0.5, 10_000.0)}
"""Physical bounds only: an API pilot's measured speed replaces the catalog's."""


def _api(client: ClientParams, catalog: Catalog, trace: PilotTrace) -> Calibration:
    pilot = client.measurements.pilot
    assert pilot is not None

    # the catalog's speed as the API evaluation reads it
    ttft0, tps0 = api_hosting.speed(catalog, pilot.model, VALUE)
    start = {"ttft_s": ttft0, "output_tokens_per_s": tps0}
    data: dict[str, Any] = {
        "pilot": pilot_dict(pilot),
        "load": _load(trace, 1, catalog.method),
        "measured": _measured(trace),
        "applies_to": f"every configuration of the API model {pilot.model}",
        "predicted_before": cal.api_figures(ttft0, tps0, trace.output_tokens).as_dict(),
    }
    idx = cal.sample_indices(len(trace.timestamp_s))
    out = trace.output_tokens[idx]

    def predict(values: Mapping[str, float]) -> cal.RequestPrediction:
        return cal.api_predict(values["ttft_s"], values["output_tokens_per_s"], out)

    measured = (trace.latency_s[idx], trace.ttft_s[idx], trace.tpot_s[idx])
    fit = cal.fit_factors(
        predict, measured, start, API_BOUNDS, int(catalog.method["calibration_min_requests"])
    )
    if fit.refused or not fit.fitted:
        data.update(
            predicted_after=None, factors=fit.as_dict(), refused=fit.refused or "no factor seen"
        )
        return Calibration(data, None)
    after = cal.api_figures(fit.values["ttft_s"], fit.values["output_tokens_per_s"], out)
    data.update(predicted_after=after.as_dict(), **_fitted(fit, idx))
    return Calibration(data, calibrated_catalog(catalog, data))


def calibrate(
    client: ClientParams,
    catalog: Catalog,
    usage: Mapping[str, float],
    rows: Mapping[str, np.ndarray],
) -> Calibration:
    """Predict the declared pilot at the log's load, fit its factors, and the calibrated
    catalog (``None`` when the fit is refused: ``data["refused"]`` says why)."""
    pilot = client.measurements.pilot
    if pilot is None:
        raise ValueError("no measurements.pilot")
    trace = PilotTrace.of(rows)
    warnings = plausibility_warnings(trace)
    if warnings:
        data = {
            "pilot": pilot_dict(pilot),
            "load": _load(trace, pilot.replicas, catalog.method),
            "measured": _measured(trace),
            "predicted_before": None,
            "predicted_after": None,
            "factors": {},
            "warnings": warnings,
            "refused": warnings[0],
        }
        return Calibration(data, None)
    if pilot.hosting == "api":
        return _api(client, catalog, trace)
    return _self_hosted(client, catalog, usage, trace)


def finite_or_none(x: Any) -> Any:
    """JSON-friendly figure: NaN and inf become None."""
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x
