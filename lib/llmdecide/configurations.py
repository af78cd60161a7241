"""The configuration space of the six technical choices, and every configuration evaluated.

``space(client, catalog)`` enumerates the candidates (catalog × the client's options) and the
options excluded by a constraint, each with its reason. ``evaluate(...)`` sizes and costs every
candidate with the estimators under three scenarios of the uncertain inputs — the catalog's
``value``, the end of every range that favours the client (optimistic) and the other end
(pessimistic) — and returns the SPEC §4 table with ``_low``/``_high`` columns for the Monte Carlo.

Money is computed in USD (the catalog's unit) and converted once to the client's currency.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from llmdecide.estimators import api, cost, energy, memory, precision, roofline, sizing

if TYPE_CHECKING:
    import pandas as pd

    from llmdecide.catalog import Catalog
    from llmdecide.params import ClientParams

CHOICES = (
    "hosting",
    "region",
    "gpu",
    "gpus_per_replica",
    "replicas",
    "model",
    "optimisation",
    "rag",
    "output_format",
    "deployment_mode",
)
CHOICE_TABLES = (
    "hosting",
    "region",
    "gpu",
    "model",
    "optimisation",
    "rag",
    "output_format",
    "deployment_mode",
)
"""The choices with options of their own (per-choice tables; SPEC §1.2 with infrastructure split
into region and GPU); ``CHOICES`` adds the sizing the estimators decide."""
SPEC_COLUMNS = (
    *CHOICES,
    "ttft_s",
    "p95_latency_s",
    "decode_ms_per_token_batch1",
    "max_tokens_per_s_per_gpu",
    "tokens_per_s_per_replica",
    "accuracy",
    "accuracy_source",
    "monthly_cost",
    "setup_cost",
    "energy_kwh_per_month",
    "wh_per_1k_output_tokens",
    "monthly_kgco2e",
    "feasible",
    "rejected_because",
    "score",
    "rank",
)
CRITERIA_COLUMNS = (
    "p95_latency_s",
    "ttft_s",
    "turnaround_h",
    "accuracy",
    "accuracy_source",
    "monthly_cost",
    "setup_cost",
    "monthly_kgco2e",
)
"""What a configuration is judged on (the limits' columns, its precision's source, set-up cost)."""
COST_COLUMNS = (
    "cost_compute",
    "cost_api",
    "cost_rag",
    "cost_energy",
    "cost_operations",
    "cost_capex",
)
"""The parts of ``monthly_cost`` (the report's cost breakdown)."""
EXTRA_COLUMNS = (
    "config_id",
    "label",
    "turnaround_h",
    "batch_per_replica",
    "gpu_hours_per_month",
    "utilisation",
    *COST_COLUMNS,
    "operational_kgco2e",
    "embodied_kgco2e",
    "carbon_method",
    "excluded_because",
)
UNCERTAIN = (
    "p95_latency_s",
    "ttft_s",
    "turnaround_h",
    "accuracy",
    "monthly_cost",
    "monthly_kgco2e",
)
SELF_HOSTED = ("cloud", "on_premise")
ENGINE = "vllm"
MIN_REPLICAS_ALWAYS_ON = 1  # a real-time service keeps one replica up outside the active hours
SECONDS_PER_HOUR = 3600.0
HOURS_PER_DAY = 24.0

VALUE, OPTIMISTIC, PESSIMISTIC = "value", "optimistic", "pessimistic"
SCENARIOS = (VALUE, OPTIMISTIC, PESSIMISTIC)


# --------------------------------------------------------------------------------------------
# The space


@dataclass(frozen=True)
class Candidate:
    """One point of the space, before sizing (sizing decides GPUs per replica and replicas)."""

    hosting: str
    region: str
    gpu: str
    model: str
    optimisation: str
    rag: str
    output_format: str
    deployment_mode: str

    @classmethod
    def of(cls, row: Mapping[str, Any]) -> Candidate:
        """The candidate a configuration row was evaluated from (n/a cells: empty strings)."""
        return cls(*(row[k] or "" for k in CHOICE_TABLES))

    @property
    def config_id(self) -> str:
        return "|".join(
            (
                self.hosting,
                self.region or "-",
                self.gpu or "-",
                self.model,
                self.optimisation or "-",
                self.rag,
                self.output_format,
                self.deployment_mode,
            )
        )


@dataclass
class Space:
    candidates: list[Candidate]
    excluded: list[dict[str, str]] = field(default_factory=list)

    def exclude(self, choice: str, option: str, reason: str) -> None:
        entry = {"choice": choice, "option": option, "reason": reason}
        if entry not in self.excluded:
            self.excluded.append(entry)


def _options(given: Sequence[str] | None, every: Iterable[str]) -> list[str]:
    return list(given) if given else list(every)


def space(client: ClientParams, catalog: Catalog) -> Space:
    """Enumerate the candidates: the client's options (or every catalog entry), minus what a
    constraint or the catalog rules out (each exclusion kept with its reason)."""
    o = client.options
    result = Space([])
    hostings = _options(o.hosting, ("api", "cloud", "on_premise"))
    if client.constraints.confidential_data and "api" in hostings:
        hostings.remove("api")
        result.exclude("hosting", "api", "confidential data: third-party APIs are excluded")
    models = _options(o.models, [*catalog.open_models, *catalog.api_models])
    open_models = [m for m in models if m in catalog.open_models]
    api_models = [m for m in models if m in catalog.api_models and m not in catalog.open_models]
    gpus = _options(o.gpus, catalog.gpus)
    optimisations = _options(o.optimisation, catalog.quantisations)
    rags = _options(o.rag, ("none", "rag"))
    formats = _options(o.output_format, ("text",))
    modes = _options(o.deployment_mode, ("real_time", "batch"))
    regions = list(client.constraints.regions)

    if "api" in hostings:
        if not api_models:
            result.exclude("hosting", "api", "no API model among the candidate models")
        for model in api_models:
            for rag in rags:
                for fmt in formats:
                    for mode in modes:
                        result.candidates.append(
                            Candidate("api", "", "", model, "", rag, fmt, mode)
                        )
    for hosting in (h for h in hostings if h in SELF_HOSTED):
        if not open_models:
            result.exclude("hosting", hosting, "no open model among the candidate models")
            continue
        for region in regions:
            for gpu in gpus:
                if hosting == "cloud" and not catalog.offers_for(gpu, region):
                    result.exclude(
                        "gpu", f"{gpu} in {region}", "no cloud offer in the catalog for this region"
                    )
                    continue
                if hosting == "on_premise" and gpu not in catalog.on_premise:
                    result.exclude(
                        "gpu", f"{gpu} (on premise)", "no purchase record in the catalog"
                    )
                    continue
                for opt in optimisations:
                    if _compute_tflops(catalog, gpu, opt) is None:
                        result.exclude(
                            "optimisation", f"{opt} on {gpu}", f"{gpu} has no {opt} tensor cores"
                        )
                        continue
                    for model in open_models:
                        for rag in rags:
                            for fmt in formats:
                                for mode in modes:
                                    result.candidates.append(
                                        Candidate(hosting, region, gpu, model, opt, rag, fmt, mode)
                                    )
    return result


def _compute_tflops(catalog: Catalog, gpu: str, optimisation: str) -> float | None:
    """Peak dense throughput for the arithmetic the quantisation uses."""
    compute = catalog.quantisations[optimisation].compute
    g = catalog.gpus[gpu]
    value = {"bf16": g.bf16_tflops, "int8": g.int8_tops, "fp8": g.fp8_tflops}.get(compute)
    return float(value) if value else None


# --------------------------------------------------------------------------------------------
# Scenario picking


def pick(r: Any, scenario: str, good: str) -> float:
    """A catalog Range at the scenario: the value, or the end that is good (``"low"`` or
    ``"high"``) for the client in the optimistic scenario, the other end in the pessimistic one."""
    if not hasattr(r, "value"):
        return float(r)
    if scenario == VALUE:
        return float(r.value)
    favourable = scenario == OPTIMISTIC
    low_end = (good == "low") == favourable
    return float(r.low if low_end else r.high)


def spread(value: float, relative: float, scenario: str, good: str) -> float:
    """A point value widened by ± ``relative`` (usage hypotheses) at the scenario."""
    if scenario == VALUE:
        return value
    favourable = scenario == OPTIMISTIC
    low_end = (good == "low") == favourable
    return value * (1 - relative) if low_end else value * (1 + relative)


def _method(catalog: Catalog, key: str) -> Any:
    m = catalog.method
    return m[key] if isinstance(m, Mapping) else getattr(m, key)


# --------------------------------------------------------------------------------------------
# Evaluation


@dataclass(frozen=True)
class Context:
    """What every evaluation of a client needs, resolved once."""

    client: ClientParams
    catalog: Catalog
    usage: Mapping[str, float]
    usage_relative_range: float
    intensity_g_per_kwh: Mapping[str, float]
    usd_per_unit: float
    prices_as_of: datetime


def _a(ctx: Context, name: str, scenario: str, good: str) -> float:
    return pick(ctx.catalog.assumption(name).value, scenario, good)


def _usage(ctx: Context, scenario: str) -> dict[str, float]:
    u = ctx.usage
    rel = ctx.usage_relative_range
    return {
        "requests_per_day": spread(float(u["requests_per_day"]), rel, scenario, "low"),
        "peak_requests_per_second": spread(
            float(u["peak_requests_per_second"]), rel, scenario, "low"
        ),
        "input_tokens": spread(float(u["input_tokens"]), rel, scenario, "low"),
        "output_tokens": spread(float(u["output_tokens"]), rel, scenario, "low"),
        "active_hours_per_day": float(u["active_hours_per_day"]),
        "horizon_months": float(u["horizon_months"]),
    }


def _rag_tokens(ctx: Context, c: Candidate, scenario: str) -> float:
    if c.rag != "rag":
        return 0.0
    return _a(ctx, "rag_chunks", scenario, "low") * _a(ctx, "rag_tokens_per_chunk", scenario, "low")


def _fixed_latency_s(ctx: Context, c: Candidate, scenario: str) -> float:
    fixed = _a(ctx, "network_rtt_s", scenario, "low")
    if c.rag == "rag":
        fixed += _a(ctx, "retrieval_latency_s", scenario, "low")
    return fixed


def _accuracy(ctx: Context, c: Candidate, scenario: str) -> tuple[float, str]:
    """The client's evaluation when one covers the configuration, else the proxy; then the
    catalog deltas for what the base figure does not cover."""
    cat = ctx.catalog
    opt = c.optimisation or "fp16"
    best = None
    for ev in ctx.client.evaluations:
        if ev.model != c.model:
            continue
        ev_rag = ev.rag or "none"
        ev_opt = ev.optimisation or "fp16"
        if ev_rag != c.rag:
            continue
        exact = ev_opt == opt or c.hosting == "api"
        if best is None or (exact and not best[1]):
            best = (ev, exact)
    deltas: list[float] = []
    if best is not None:
        base, source = float(best[0].accuracy), precision.MEASURED
        covered_opt = best[1]
    else:
        record = cat.open_models.get(c.model) or cat.api_models[c.model]
        base, source = pick(record.accuracy_proxy, scenario, "high"), precision.PROXY
        covered_opt = False
        if c.rag == "rag":
            deltas.append(pick(cat.precision_deltas["rag"].delta, scenario, "high"))
    if c.hosting in SELF_HOSTED and opt != "fp16" and not covered_opt:
        deltas.append(pick(cat.precision_deltas[opt].delta, scenario, "high"))
    if ctx.client.options.user_uploads:
        deltas.append(pick(cat.precision_deltas["user_uploads"].delta, scenario, "high"))
    if c.output_format != "text":
        deltas.append(pick(cat.precision_deltas[c.output_format].delta, scenario, "high"))
    return precision.accuracy(base, deltas), source


def _rag_costs_usd(
    ctx: Context, c: Candidate, u: Mapping[str, float], scenario: str
) -> tuple[float, float]:
    """(monthly, set-up) cost of retrieval: the vector store and query embeddings each month,
    embedding the documents once at set-up."""
    if c.rag != "rag":
        return 0.0, 0.0
    docs_gb = float(ctx.client.options.documents_gb)
    embed_price = _a(ctx, "embedding_usd_per_million_tokens", scenario, "low")
    days = _a(ctx, "days_per_month", VALUE, "low")
    monthly = cost.vector_store_usd_per_month(
        docs_gb, _a(ctx, "vector_store_usd_per_gb_month", scenario, "low")
    ) + cost.embedding_usd(u["requests_per_day"] * days * u["input_tokens"], embed_price)
    setup = cost.embedding_usd(
        docs_gb * _a(ctx, "tokens_per_gb_documents", scenario, "low"), embed_price
    )
    return monthly, setup


def evaluate_one(
    ctx: Context, c: Candidate, scenario: str, batch: int | None = None
) -> dict[str, Any]:
    """Size, cost and footprint of one candidate under one scenario (USD, before conversion).

    ``batch`` fixes the batch per replica (an engine setting chosen in the value scenario): the
    other scenarios then vary the inputs, not the configuration."""
    if c.hosting == "api":
        return _evaluate_api(ctx, c, scenario)
    return _evaluate_self_hosted(ctx, c, scenario, batch)


def _evaluate_api(ctx: Context, c: Candidate, scenario: str) -> dict[str, Any]:
    cat = ctx.catalog
    rec = cat.api_models[c.model]
    u = _usage(ctx, scenario)
    days = _a(ctx, "days_per_month", VALUE, "low")
    requests_month = u["requests_per_day"] * days
    prompt = u["input_tokens"] + _rag_tokens(ctx, c, scenario)
    out = u["output_tokens"]
    eco_provider = rec.ecologits_provider
    eco_name = getattr(rec, "ecologits_id", None) or c.model
    measured = api.ecologits_deployment(eco_provider, eco_name)
    ttft_range = getattr(rec, "ttft_s", None)
    tps_range = getattr(rec, "output_tokens_per_s", None)
    if ttft_range is not None:
        ttft = pick(ttft_range, scenario, "low")
    elif measured is not None:
        ttft = measured[0]
    else:
        ttft = _a(ctx, "api_ttft_s", scenario, "low")
    if tps_range is not None:
        tps = pick(tps_range, scenario, "high")
    elif measured is not None:
        tps = measured[1]
    else:
        tps = _a(ctx, "api_output_tokens_per_s", scenario, "high")
    p95_factor = _a(ctx, "queueing_factor", scenario, "low")
    fixed = _fixed_latency_s(ctx, c, scenario)
    generation_s = api.api_latency_s(ttft, out, tps, 0.0)
    batch = c.deployment_mode == "batch"
    if batch:
        p95 = ttft_s = math.nan
        turnaround_h = _a(ctx, "api_batch_window_h", scenario, "low")
    else:
        p95 = sizing.p95_latency_s(generation_s, p95_factor, fixed)
        ttft_s = ttft * p95_factor + fixed
        turnaround_h = p95 / SECONDS_PER_HOUR
    usd_request = api.api_usd_per_request(
        getattr(rec, "genai_prices_id", None) or c.model,
        rec.provider,
        round(prompt),
        round(out),
        batch,
        ctx.prices_as_of,
    )
    api_usd = cost.api_usd_per_month(usd_request, requests_month)
    rag_month, rag_setup = _rag_costs_usd(ctx, c, u, scenario)
    zone = api.ecologits_datacenter_zone(eco_provider)
    impacts = api.api_impacts_per_request(
        eco_provider, eco_name, round(out), round(generation_s, 3), zone
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
    accuracy, source = _accuracy(ctx, c, scenario)
    return {
        "gpus_per_replica": math.nan,
        "replicas": math.nan,
        "ttft_s": ttft_s,
        "p95_latency_s": p95,
        "turnaround_h": turnaround_h,
        "decode_ms_per_token_batch1": math.nan,
        "max_tokens_per_s_per_gpu": math.nan,
        "tokens_per_s_per_replica": math.nan,
        "batch_per_replica": math.nan,
        "gpu_hours_per_month": math.nan,
        "utilisation": math.nan,
        "accuracy": accuracy,
        "accuracy_source": source,
        "cost_compute": 0.0,
        "cost_api": api_usd,
        "cost_rag": rag_month,
        "cost_energy": 0.0,
        "cost_operations": 0.0,
        "cost_capex": 0.0,
        "monthly_cost": api_usd + rag_month,
        "setup_cost": _a(ctx, "setup_cost_api_usd", scenario, "low") + rag_setup,
        "energy_kwh_per_month": kwh,
        "wh_per_1k_output_tokens": energy.wh_per_1k_output_tokens(kwh, out * requests_month),
        "operational_kgco2e": kg,
        "embodied_kgco2e": 0.0,
        "monthly_kgco2e": kg,
        "carbon_method": carbon_method,
    }


def _evaluate_self_hosted(
    ctx: Context, c: Candidate, scenario: str, fixed_batch: int | None = None
) -> dict[str, Any]:
    from llmdecide import carbon

    cat = ctx.catalog
    m = cat.open_models[c.model]
    g = cat.gpus[c.gpu]
    q = cat.quantisations[c.optimisation]
    eff = cat.efficiencies[ENGINE]
    region = cat.regions[c.region]
    own = cat.on_premise.get(c.gpu)
    u = _usage(ctx, scenario)
    days = _a(ctx, "days_per_month", VALUE, "low")
    requests_month = u["requests_per_day"] * days
    out = u["output_tokens"]
    prompt = u["input_tokens"] + _rag_tokens(ctx, c, scenario)
    context_tokens = prompt + out
    excluded = ""
    if context_tokens > m.context_tokens:
        excluded = f"{c.model} context of {m.context_tokens} tokens < {context_tokens:.0f} needed"

    w_gb = memory.weights_gb(m.params_b, q.bits)
    kv_token = memory.kv_bytes_per_token(m.layers, m.kv_heads, m.head_dim, q.kv_bits)
    kv_seq_gb = memory.kv_cache_gb(kv_token, context_tokens)
    headroom = _a(ctx, "kv_memory_headroom", VALUE, "low")
    max_gpus = int(_a(ctx, "max_gpus_per_replica", VALUE, "low"))
    gpr = memory.gpus_per_replica(w_gb, kv_seq_gb, g.memory_gb, headroom, max_gpus)
    if gpr is None:
        return {
            "excluded_because": f"{c.model} {c.optimisation} ({w_gb:.0f} GB of weights) does not "
            f"fit on {max_gpus} × {c.gpu}",
        }
    usable = memory.usable_memory_gb(g.memory_gb, gpr, headroom)
    max_batch = min(
        memory.max_batch_by_memory(usable, w_gb, kv_seq_gb), int(_a(ctx, "batch_max", VALUE, "low"))
    )
    tflops = _compute_tflops(cat, c.gpu, c.optimisation) or math.nan
    bw_eff = pick(eff.bandwidth_efficiency, scenario, "high")
    mfu_decode = pick(eff.mfu_decode, scenario, "high")
    mfu_prefill = pick(eff.mfu_prefill, scenario, "high")
    p95_factor = _a(ctx, "queueing_factor", scenario, "low")
    fixed = _fixed_latency_s(ctx, c, scenario)
    prefill = roofline.prefill_s(m.active_params_b, prompt, tflops, mfu_prefill, gpr)

    def step(batch: int) -> float:
        kv_gb = memory.kv_cache_gb(kv_token, batch * context_tokens)
        return roofline.decode_step_s(
            w_gb, kv_gb, g.bandwidth_gb_s, bw_eff, m.active_params_b, batch, tflops, mfu_decode, gpr
        )

    def p95_at(batch: int) -> float:
        return sizing.p95_latency_s(
            sizing.mean_latency_s(prefill, out, step(batch)), p95_factor, fixed
        )

    cp = ctx.client.critical_performance.performance
    batch_sizes = [int(b) for b in _method(cat, "batch_sizes")]
    active_h = u["active_hours_per_day"]
    if fixed_batch is not None:
        batch = min(fixed_batch, max(b for b in batch_sizes if b <= max(max_batch, 1)))
        batch = batch if max_batch else 0
    elif c.deployment_mode == "real_time":
        limit = cp.limit if cp.metric == "p95_latency_s" else None
        batch = sizing.largest_batch_meeting(batch_sizes, max_batch, p95_at, limit)
        if batch:
            peak = u["peak_requests_per_second"]

            def replicas_at(b: int) -> int:
                mean = sizing.mean_latency_s(prefill, out, step(b))
                return sizing.replicas_for(peak, sizing.capacity_rps(b, mean))

            batch = sizing.smallest_batch_with_replicas(batch_sizes, batch, replicas_at)
    else:
        batch = sizing.largest_batch_meeting(batch_sizes, max_batch, p95_at, None)
    if batch == 0:
        return {"excluded_because": f"no room for the KV cache of one request on {gpr} × {c.gpu}"}
    mean_s = sizing.mean_latency_s(prefill, out, step(batch))
    capacity = sizing.capacity_rps(batch, mean_s)
    busy_rps = sizing.active_rps(u["requests_per_day"], active_h)
    server_w = own.server_power_w_per_gpu if own else 0.0
    pue = region.pue if region.pue is not None else _a(ctx, "pue_default", scenario, "low")
    idle_w = g.idle_w
    if c.deployment_mode == "real_time":
        replicas = sizing.replicas_for(u["peak_requests_per_second"], capacity)
        gpu_hours = sizing.gpu_hours_per_month_real_time(
            gpr, replicas, MIN_REPLICAS_ALWAYS_ON, active_h, days
        )
        load = sizing.utilisation(busy_rps, replicas, capacity)
        p95 = p95_at(batch)
        ttft_s = prefill * p95_factor + fixed
        turnaround_h = p95 / SECONDS_PER_HOUR
        busy_kwh = energy.energy_kwh(
            gpr * replicas,
            energy.gpu_power_w(g.tdp_w, idle_w, load),
            server_w,
            active_h * days,
            pue,
        )
        off_gpus = MIN_REPLICAS_ALWAYS_ON if c.hosting == "cloud" else replicas
        off_hours = (HOURS_PER_DAY - active_h) * days
    else:
        interval_h = float(_method(cat, "batch_interval_h"))
        processing_h = sizing.batch_processing_h_per_day(u["requests_per_day"], capacity)
        runs = HOURS_PER_DAY / interval_h
        replicas = sizing.batch_replicas(processing_h, runs, interval_h)
        gpu_hours = sizing.gpu_hours_per_month_batch(gpr, processing_h, days)
        load = 1.0
        p95 = ttft_s = math.nan
        turnaround_h = sizing.batch_turnaround_h(interval_h, processing_h, runs, replicas)
        busy_kwh = energy.energy_kwh(gpr, g.tdp_w, server_w, processing_h * days, pue)
        off_gpus = 0 if c.hosting == "cloud" else replicas
        off_hours = max(0.0, HOURS_PER_DAY * days - processing_h * days / replicas)
    idle_kwh = energy.energy_kwh(gpr * off_gpus, idle_w, server_w, off_hours, pue)
    kwh = busy_kwh + idle_kwh
    gpus_total = gpr * replicas
    tokens_rep = sizing.tokens_per_s_per_replica(capacity, out)

    rag_month, rag_setup = _rag_costs_usd(ctx, c, u, scenario)
    setup_base = _a(ctx, "setup_cost_self_hosted_usd", scenario, "low")
    hours_per_month = _a(ctx, "hours_per_month", VALUE, "low")
    # Hardware life comes with the purchase record; without one, no embodied figure is claimed.
    life_years = own.life_years if own else 1.0
    embodied_per_gpu = (
        pick(g.embodied_kgco2e, scenario, "low") if g.embodied_kgco2e and own else 0.0
    )
    if own is not None and own.server_embodied_kgco2e_per_gpu is not None:
        embodied_per_gpu += pick(own.server_embodied_kgco2e_per_gpu, scenario, "low")
    intensity = ctx.intensity_g_per_kwh[c.region]
    costs = {"cost_compute": 0.0, "cost_energy": 0.0, "cost_operations": 0.0, "cost_capex": 0.0}
    if c.hosting == "cloud":
        offer = min(cat.offers_for(c.gpu, c.region), key=lambda o: o.price_per_gpu_hour_usd)
        costs["cost_compute"] = cost.cloud_compute_usd_per_month(
            gpu_hours, offer.price_per_gpu_hour_usd, region.cloud_price_factor
        )
        setup = setup_base + offer.setup_cost_usd + rag_setup
        # The provider's electricity: the client's low-carbon contract does not cover it.
        operational = carbon.operational_kgco2e(kwh, intensity)
        embodied = carbon.embodied_kgco2e_per_month(
            embodied_per_gpu, gpu_hours / hours_per_month, life_years
        )
    else:
        assert own is not None
        horizon = u["horizon_months"]
        costs["cost_capex"] = cost.capex_usd_per_month(
            gpus_total, own.server_price_usd_per_gpu, horizon
        )
        costs["cost_energy"] = cost.energy_usd_per_month(
            kwh, pick(region.electricity_price_usd_per_kwh, scenario, "low")
        )
        costs["cost_operations"] = cost.operations_usd_per_month(
            gpus_total, own.operations_usd_per_gpu_month
        )
        setup = setup_base + cost.capex_usd(gpus_total, own.server_price_usd_per_gpu) + rag_setup
        cb = ctx.client.carbon
        operational = carbon.operational_kgco2e(
            kwh, intensity, cb.renewable_share, _contract_intensity(ctx)
        )
        embodied = carbon.embodied_kgco2e_per_month(embodied_per_gpu, gpus_total, life_years)
    accuracy, source = _accuracy(ctx, c, scenario)
    return {
        "excluded_because": excluded,
        "gpus_per_replica": gpr,
        "replicas": replicas,
        "ttft_s": ttft_s,
        "p95_latency_s": p95,
        "turnaround_h": turnaround_h,
        "decode_ms_per_token_batch1": roofline.decode_ms_per_token(step(1)),
        "max_tokens_per_s_per_gpu": roofline.max_tokens_per_s_per_gpu(tokens_rep, gpr),
        "tokens_per_s_per_replica": tokens_rep,
        "batch_per_replica": batch,
        "gpu_hours_per_month": gpu_hours,
        "utilisation": load,
        "accuracy": accuracy,
        "accuracy_source": source,
        **costs,
        "cost_api": 0.0,
        "cost_rag": rag_month,
        "monthly_cost": sum(costs.values()) + rag_month,
        "setup_cost": setup,
        "energy_kwh_per_month": kwh,
        "wh_per_1k_output_tokens": energy.wh_per_1k_output_tokens(kwh, out * requests_month),
        "operational_kgco2e": operational,
        "embodied_kgco2e": embodied,
        "monthly_kgco2e": operational + embodied,
        "carbon_method": "roofline energy × codecarbon grid intensity + embodied",
    }


def _contract_intensity(ctx: Context) -> float | None:
    given = ctx.client.carbon.contract_intensity_g_per_kwh
    if given is not None:
        return float(given)
    return _a(ctx, "contract_intensity_g_per_kwh", VALUE, "low")


MONEY = ("monthly_cost", "setup_cost", *COST_COLUMNS)


def label(row: Mapping[str, Any]) -> str:
    """A short human label of a configuration (language-neutral: names and numbers only)."""
    parts = [row["hosting"].replace("_", "-")]
    if row["hosting"] != "api":
        parts.append(row["region"])
        gpr, reps = row.get("gpus_per_replica"), row.get("replicas")
        if isinstance(gpr, (int, float)) and not math.isnan(gpr) and reps is not None:
            parts.append(f"{int(reps)}×{int(gpr)} {row['gpu']}")
        else:
            parts.append(row["gpu"])
    model = row["model"] + (f" {row['optimisation']}" if row.get("optimisation") else "")
    parts.append(model)
    if row["rag"] == "rag":
        parts.append("RAG")
    if row["output_format"] != "text":
        parts.append(row["output_format"])
    parts.append(row["deployment_mode"].replace("_", " "))
    return " · ".join(parts)


def evaluate(
    client: ClientParams,
    catalog: Catalog,
    usage: Mapping[str, float],
    intensity_g_per_kwh: Mapping[str, float],
    *,
    measured_usage: bool = False,
    candidates: Iterable[Candidate] | None = None,
) -> pd.DataFrame:
    """Every candidate under the three scenarios → the SPEC §4 table (+ extras, ``_low``/``_high``).

    Rows a sizing rule rules out stay in the table with ``excluded_because`` set (the scoring
    rejects them with that reason). Money is in the client's currency.
    """
    import pandas as pd

    ctx = make_context(client, catalog, usage, intensity_g_per_kwh, measured_usage=measured_usage)
    cands = list(candidates) if candidates is not None else space(client, catalog).candidates
    rows = [evaluate_candidate(ctx, c) for c in cands]
    frame = pd.DataFrame(rows)
    if frame.empty:
        frame = pd.DataFrame(columns=[*SPEC_COLUMNS, *EXTRA_COLUMNS])
    ordered = [*SPEC_COLUMNS, *EXTRA_COLUMNS]
    for col in ordered:
        if col not in frame:
            frame[col] = math.nan if col not in ("rejected_because", "excluded_because") else ""
    extras = [f"{c}_{end}" for c in UNCERTAIN for end in ("low", "high")]
    return frame[[*ordered, *extras]].sort_values("config_id").reset_index(drop=True)


def make_context(
    client: ClientParams,
    catalog: Catalog,
    usage: Mapping[str, float],
    intensity_g_per_kwh: Mapping[str, float],
    *,
    measured_usage: bool = False,
) -> Context:
    key = "usage_uncertainty_measured" if measured_usage else "usage_uncertainty_hypothesis"
    as_of = _method(catalog, "prices_as_of")
    if not isinstance(as_of, datetime):
        as_of = datetime.fromisoformat(str(as_of))
    return Context(
        client=client,
        catalog=catalog,
        usage=usage,
        usage_relative_range=float(_method(catalog, key)),
        intensity_g_per_kwh=intensity_g_per_kwh,
        usd_per_unit=float(catalog.usd_per(client.client.currency)),
        prices_as_of=as_of,
    )


def evaluate_candidate(ctx: Context, c: Candidate) -> dict[str, Any]:
    """One row: the value scenario's figures, the range of the uncertain ones, money converted."""
    value = evaluate_one(ctx, c, VALUE)
    row: dict[str, Any] = {
        "hosting": c.hosting,
        "region": c.region,
        "gpu": c.gpu,
        "model": c.model,
        "optimisation": c.optimisation,
        "rag": c.rag,
        "output_format": c.output_format,
        "deployment_mode": c.deployment_mode,
        "config_id": c.config_id,
        "excluded_because": "",
    }
    row.update(value)
    if "accuracy" not in value:  # excluded by sizing: nothing else to compute
        row["label"] = label({**row, "gpus_per_replica": math.nan})
        return row
    batch = value.get("batch_per_replica")
    fixed = int(batch) if isinstance(batch, (int, float)) and batch == batch else None
    results = {VALUE: value}
    for s in (OPTIMISTIC, PESSIMISTIC):
        results[s] = evaluate_one(ctx, c, s, fixed)
    for col in MONEY:
        row[col] = cost.to_currency(row[col], ctx.usd_per_unit)
    for col in UNCERTAIN:
        ends = [results[s].get(col, math.nan) for s in SCENARIOS]
        if col in MONEY:
            ends = [cost.to_currency(v, ctx.usd_per_unit) for v in ends]
        finite = [v for v in ends if isinstance(v, (int, float)) and not math.isnan(v)]
        row[f"{col}_low"] = min(finite) if finite else math.nan
        row[f"{col}_high"] = max(finite) if finite else math.nan
    row["label"] = label(row)
    return row


def scaled_usage(usage: Mapping[str, float], factor: float) -> dict[str, float]:
    """The same usage profile at ``factor`` × the volume (break-even curves)."""
    out = dict(usage)
    out["requests_per_day"] = usage["requests_per_day"] * factor
    out["peak_requests_per_second"] = usage["peak_requests_per_second"] * factor
    return out


def cost_curve(
    ctx: Context, candidate: Candidate, factors: Iterable[float], make: Callable[..., Context]
) -> list[float]:
    """Monthly cost (client currency) of one candidate at scaled volumes."""
    out = []
    for f in factors:
        scaled = make(scaled_usage(ctx.usage, f))
        r = evaluate_one(scaled, candidate, VALUE)
        out.append(cost.to_currency(r.get("monthly_cost", math.nan), ctx.usd_per_unit))
    return out
