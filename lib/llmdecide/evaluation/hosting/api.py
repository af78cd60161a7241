"""Third-party API: a price per request (genai-prices, less the client's quoted discount), latency
from the model's TTFT and output speed, footprint per request (EcoLogits), and the integration /
operations share of staff. No fleet to size.

``evaluate`` chains small steps, one candidate at a time: ``workload.tokens`` → ``latency``
(``speed``) → ``usd_per_request`` → ``money`` → ``footprint`` → ``precision.accuracy`` →
``columns`` (the configurations.csv columns of the row)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from llmdecide.estimators import api, cost, energy
from llmdecide.evaluation import precision, retrieval, workload
from llmdecide.evaluation.context import OPTIMISTIC, VALUE, Context, pick
from llmdecide.evaluation.hosting import tco
from llmdecide.units import SECONDS_PER_HOUR

if TYPE_CHECKING:
    from llmdecide.space import Candidate


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


@dataclass(frozen=True)
class ApiLatency:
    """The latencies of one request at the scenario (the p95 ones NaN in batch mode).
    ``generation_s``: the mean time from sending to the last token, without the network and
    retrieval (EcoLogits' latency input)."""

    generation_s: float
    ttft_s: float
    p95_latency_s: float
    tpot_p95_ms: float
    turnaround_h: float


def latency(
    ctx: Context,
    t: workload.Tokens,
    rag: str,
    batch: bool,
    ttft_s: float,
    tokens_per_s: float,
    scenario: str,
) -> ApiLatency:
    """Tokens → latency: the model's TTFT and output speed (``speed``), reasoning tokens waited
    for before the answer, the provider-side p95/mean factor and the fixed parts (network,
    retrieval); batch mode: the provider's batch window instead."""
    p95_factor = ctx.assumption("queueing_factor", scenario, "low")
    fixed = workload.fixed_latency_s(ctx, rag, scenario)
    # reasoning tokens are generated before the answer: the user waits for them
    first_answer_s = ttft_s + t.reasoning / tokens_per_s
    generation_s = api.api_latency_s(first_answer_s, t.output, tokens_per_s, 0.0)
    if batch:
        window_h = ctx.assumption("api_batch_window_h", scenario, "low")
        return ApiLatency(generation_s, math.nan, math.nan, math.nan, window_h)
    p95 = api.api_p95_latency_s(generation_s, p95_factor, fixed)
    if t.output_extra_q > 0:  # a usage log's p95 request: its extra tokens at the speed
        p95 = (
            generation_s
            + fixed
            + math.hypot(generation_s * (p95_factor - 1.0), t.output_extra_q / tokens_per_s)
        )
    ttft_p95_s = first_answer_s * p95_factor + fixed
    return ApiLatency(
        generation_s, ttft_p95_s, p95, 1000.0 * p95_factor / tokens_per_s, p95 / SECONDS_PER_HOUR
    )


def usd_per_request(
    ctx: Context, model: str, t: workload.Tokens, batch: bool, scenario: str
) -> float:
    """Tokens → price of one request (USD): genai-prices' price of the prompt and the generated
    tokens (a shared prefix at the cache prices, at the hit rate), less the client's quoted
    discount."""
    rec = ctx.catalog.api_models[model]
    model_ref = rec.genai_prices_id or model
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
    return usd_request * (1.0 - tco.api_discount(ctx, model))


@dataclass(frozen=True)
class ApiMoney:
    """The monthly cost parts and the set-up cost of an API configuration (USD)."""

    api_usd: float
    staff_usd: float
    rag_usd: float
    setup_usd: float

    @property
    def monthly_usd(self) -> float:
        return self.api_usd + self.rag_usd + self.staff_usd


def money(
    ctx: Context, c: Candidate, usd_request: float, requests_month: float, scenario: str
) -> ApiMoney:
    """Price per request → the month: the requests, the integration staff, retrieval."""
    api_usd = cost.api_usd_per_month(usd_request, requests_month)
    staff = tco.staff_cost_usd(ctx, "api", scenario)
    rag_month, rag_setup = retrieval.rag_costs_usd(ctx, c.rag, ctx.usage_at(scenario), scenario)
    setup = ctx.assumption("setup_cost_api_usd", scenario, "low") + rag_setup
    return ApiMoney(api_usd, staff, rag_month, setup)


@dataclass(frozen=True)
class ApiFootprint:
    """Energy and emissions of a month of requests (NaN: a model EcoLogits does not know)."""

    energy_kwh_per_month: float
    kgco2e_per_month: float
    carbon_method: str


def footprint(
    ctx: Context,
    model: str,
    generated_tokens: int,
    latency_s: float,
    requests_month: float,
    scenario: str,
) -> ApiFootprint:
    """Generated tokens and latency (s) → EcoLogits' energy and emissions per request (its
    range end at the scenario, in the provider's data-centre zone) × the requests of the month."""
    rec = ctx.catalog.api_models[model]
    zone = api.ecologits_datacenter_zone(rec.ecologits_provider)
    impacts = api.api_impacts_per_request(
        rec.ecologits_provider, rec.ecologits_id or model, generated_tokens, latency_s, zone
    )
    if impacts is None:
        return ApiFootprint(math.nan, math.nan, "unknown to ecologits")
    e_req = {VALUE: impacts.energy_kwh, OPTIMISTIC: impacts.energy_kwh_low}.get(
        scenario, impacts.energy_kwh_high
    )
    g_req = {VALUE: impacts.gwp_kg, OPTIMISTIC: impacts.gwp_kg_low}.get(
        scenario, impacts.gwp_kg_high
    )
    return ApiFootprint(e_req * requests_month, g_req * requests_month, f"ecologits ({zone})")


def evaluate(ctx: Context, c: Candidate, scenario: str) -> dict[str, Any]:
    """Every column of one API configuration at the scenario (USD): tokens → latency → price →
    the month's money → footprint → precision."""
    requests_month = ctx.usage_at(scenario)["requests_per_day"] * ctx.days_per_month
    t = workload.tokens(ctx, c.model, c.reasoning_effort, c.prompt_caching, c.rag, scenario, True)
    excluded = t.unknown or workload.context_problem(ctx, c.model, t)
    if excluded:
        return {"excluded_because": excluded}
    batch = c.deployment_mode == "batch"
    ttft, tps = speed(ctx.catalog, c.model, scenario)
    lat = latency(ctx, t, c.rag, batch, ttft, tps, scenario)
    usd_request = usd_per_request(ctx, c.model, t, batch, scenario)
    bill = money(ctx, c, usd_request, requests_month, scenario)
    fp = footprint(
        ctx, c.model, round(t.generated), round(lat.generation_s, 3), requests_month, scenario
    )
    acc = precision.accuracy(
        ctx,
        c.hosting,
        c.model,
        c.optimisation,
        c.rag,
        c.output_format,
        scenario,
        c.reasoning_effort,
    )
    wh_1k = energy.wh_per_1k_output_tokens(fp.energy_kwh_per_month, t.output * requests_month)
    return columns(lat, acc, bill, fp, wh_1k)


def columns(
    lat: ApiLatency, acc: tuple[float, str], bill: ApiMoney, fp: ApiFootprint, wh_1k: float
) -> dict[str, Any]:
    """The configurations.csv columns of an API row: the self-hosted sizing columns n/a."""
    nan = math.nan
    return {
        "excluded_because": "",
        "gpus_per_replica": nan,
        "replicas": nan,
        "gpus_total": nan,
        "servers": nan,
        "ttft_s": lat.ttft_s,
        "p95_latency_s": lat.p95_latency_s,
        "tpot_p95_ms": lat.tpot_p95_ms,
        "turnaround_h": lat.turnaround_h,
        "peak_utilisation": nan,
        "decode_ms_per_token_batch1": nan,
        "max_tokens_per_s_per_gpu": nan,
        "tokens_per_s_per_replica": nan,
        "batch_per_replica": nan,
        "gpu_hours_per_month": nan,
        "utilisation": nan,
        "gpu_joules_per_output_token": nan,
        "cloud_commitment": "",
        "accuracy": acc[0],
        "accuracy_source": acc[1],
        "cost_compute": 0.0,
        "cost_api": bill.api_usd,
        "cost_rag": bill.rag_usd,
        "cost_energy": 0.0,
        "cost_operations": 0.0,
        "cost_capex": 0.0,
        "cost_staff": bill.staff_usd,
        "monthly_cost": bill.monthly_usd,
        "setup_cost": bill.setup_usd,
        "energy_kwh_per_month": fp.energy_kwh_per_month,
        "wh_per_1k_output_tokens": wh_1k,
        "operational_kgco2e": fp.kgco2e_per_month,
        "embodied_kgco2e": 0.0,
        "monthly_kgco2e": fp.kgco2e_per_month,
        "carbon_method": fp.carbon_method,
    }
