"""Third-party API: a price per request (genai-prices, less the client's quoted discount), latency
from the model's TTFT and output speed, footprint per request (EcoLogits), and the integration /
operations share of staff. No fleet to size."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from llmdecide.estimators import api, cost, energy
from llmdecide.evaluation import precision, retrieval, workload
from llmdecide.evaluation.context import OPTIMISTIC, VALUE, Context, pick
from llmdecide.evaluation.hosting import tco
from llmdecide.units import SECONDS_PER_HOUR

if TYPE_CHECKING:
    from llmdecide.configurations import Candidate


def speed(catalog: Any, model: str, scenario: str) -> tuple[float, float]:
    """(TTFT s, output tokens/s) of an API model at the scenario: the catalog's ranges, else
    EcoLogits' deployment figures, else the catalog's generic assumptions."""
    rec = catalog.api_models[model]
    measured = api.ecologits_deployment(rec.ecologits_provider, rec.ecologits_id or model)
    ttft_range = getattr(rec, "ttft_s", None)
    tps_range = getattr(rec, "output_tokens_per_s", None)
    if ttft_range is not None:
        ttft = pick(ttft_range, scenario, "low")
    elif measured is not None:
        ttft = measured[0]
    else:
        ttft = pick(catalog.assumption("api_ttft_s").value, scenario, "low")
    if tps_range is not None:
        tps = pick(tps_range, scenario, "high")
    elif measured is not None:
        tps = measured[1]
    else:
        tps = pick(catalog.assumption("api_output_tokens_per_s").value, scenario, "high")
    return ttft, tps


def evaluate(ctx: Context, c: Candidate, scenario: str) -> dict[str, Any]:
    """Every column of one API configuration at the scenario (USD)."""
    cat = ctx.catalog
    rec = cat.api_models[c.model]
    u = ctx.usage_at(scenario)
    requests_month = u["requests_per_day"] * ctx.days_per_month
    t = workload.tokens(ctx, c.model, c.reasoning_effort, c.prompt_caching, c.rag, scenario, True)
    excluded = t.unknown or workload.context_problem(ctx, c.model, t)
    if excluded:
        return {"excluded_because": excluded}
    ttft, tps = speed(cat, c.model, scenario)
    p95_factor = ctx.assumption("queueing_factor", scenario, "low")
    fixed = workload.fixed_latency_s(ctx, c.rag, scenario)
    # reasoning tokens are generated before the answer: the user waits for them
    first_answer_s = ttft + t.reasoning / tps
    generation_s = api.api_latency_s(first_answer_s, t.output, tps, 0.0)
    batch = c.deployment_mode == "batch"
    if batch:
        p95 = ttft_s = tpot_ms = math.nan
        turnaround_h = ctx.assumption("api_batch_window_h", scenario, "low")
    else:
        p95 = api.api_p95_latency_s(generation_s, p95_factor, fixed)
        if t.output_extra_q > 0:  # a usage log's p95 request: its extra tokens at the speed
            p95 = (
                generation_s
                + fixed
                + math.hypot(generation_s * (p95_factor - 1.0), t.output_extra_q / tps)
            )
        ttft_s = first_answer_s * p95_factor + fixed
        tpot_ms = 1000.0 * p95_factor / tps
        turnaround_h = p95 / SECONDS_PER_HOUR
    model_ref = rec.genai_prices_id or c.model
    prompt, out = round(t.prompt), round(t.generated)
    # a model without a cache price is priced without the cache (the params check warns)
    if t.cached and api.has_cache_prices(model_ref, rec.provider, ctx.prices_as_of):
        prefix = round(t.cached / ctx.assumption("api_prompt_cache_hit_rate", scenario, "high"))
        hit = api.api_usd_per_request(
            model_ref, rec.provider, prompt, out, batch, ctx.prices_as_of, cache_read_tokens=prefix
        )
        miss = api.api_usd_per_request(
            model_ref, rec.provider, prompt, out, batch, ctx.prices_as_of, cache_write_tokens=prefix
        )
        usd_request = api.cached_prompt_usd_per_request(
            hit, miss, ctx.assumption("api_prompt_cache_hit_rate", scenario, "high")
        )
    else:
        usd_request = api.api_usd_per_request(
            model_ref, rec.provider, prompt, out, batch, ctx.prices_as_of
        )
    # a client's negotiated discount off the price list (quotes: api_discount)
    usd_request *= 1.0 - tco.api_discount(ctx, c.model)
    api_usd = cost.api_usd_per_month(usd_request, requests_month)
    staff = tco.staff_cost_usd(ctx, "api", scenario)
    rag_month, rag_setup = retrieval.rag_costs_usd(ctx, c.rag, u, scenario)
    zone = api.ecologits_datacenter_zone(rec.ecologits_provider)
    impacts = api.api_impacts_per_request(
        rec.ecologits_provider, rec.ecologits_id or c.model, out, round(generation_s, 3), zone
    )
    if impacts is not None:
        e_req = {VALUE: impacts.energy_kwh, OPTIMISTIC: impacts.energy_kwh_low}.get(
            scenario, impacts.energy_kwh_high
        )
        g_req = {VALUE: impacts.gwp_kg, OPTIMISTIC: impacts.gwp_kg_low}.get(
            scenario, impacts.gwp_kg_high
        )
        kwh = e_req * requests_month
        kg = g_req * requests_month
        carbon_method = f"ecologits ({zone})"
    else:
        kwh = kg = math.nan
        carbon_method = "unknown to ecologits"
    accuracy, source = precision.accuracy(
        ctx,
        c.hosting,
        c.model,
        c.optimisation,
        c.rag,
        c.output_format,
        scenario,
        c.reasoning_effort,
    )
    nan = math.nan
    return {
        "excluded_because": "",
        "gpus_per_replica": nan,
        "replicas": nan,
        "gpus_total": nan,
        "servers": nan,
        "ttft_s": ttft_s,
        "p95_latency_s": p95,
        "tpot_p95_ms": tpot_ms,
        "turnaround_h": turnaround_h,
        "peak_utilisation": nan,
        "decode_ms_per_token_batch1": nan,
        "max_tokens_per_s_per_gpu": nan,
        "tokens_per_s_per_replica": nan,
        "batch_per_replica": nan,
        "gpu_hours_per_month": nan,
        "utilisation": nan,
        "gpu_joules_per_output_token": nan,
        "cloud_commitment": "",
        "accuracy": accuracy,
        "accuracy_source": source,
        "cost_compute": 0.0,
        "cost_api": api_usd,
        "cost_rag": rag_month,
        "cost_energy": 0.0,
        "cost_operations": 0.0,
        "cost_capex": 0.0,
        "cost_staff": staff,
        "monthly_cost": api_usd + rag_month + staff,
        "setup_cost": ctx.assumption("setup_cost_api_usd", scenario, "low") + rag_setup,
        "energy_kwh_per_month": kwh,
        "wh_per_1k_output_tokens": energy.wh_per_1k_output_tokens(kwh, t.output * requests_month),
        "operational_kgco2e": kg,
        "embodied_kgco2e": 0.0,
        "monthly_kgco2e": kg,
        "carbon_method": carbon_method,
    }
