"""One configuration per hosting type (API, cloud, on premise), evaluated by the product
(``configurations.estimate``: the candidate through ``llmdecide.evaluation``, read back as its
frozen ``Estimate``) and checked by hand against the catalog (the arithmetic in the comments),
and properties of the sizing search over the configuration space.

The client is the retail example (40 000 requests/day, peak 12/s, 600 input and 200 output
tokens, 16 active hours, 36 months, EUR at 1.1172 USD). Figures read from the catalog are named
in the comments with their value at the time of writing; the test reads them again so that a
catalog update changes the expectation, not the arithmetic.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from pathlib import Path

import numpy as np
import pytest
from genai_prices import Usage, calc_price

from llmdecide import configurations as conf
from llmdecide import stages
from llmdecide.catalog import Range
from llmdecide.estimators import api, serving

ROOT = Path(__file__).resolve().parents[1]
RETAIL = ROOT / "params" / "clients" / "example-retail.yaml"


@pytest.fixture(scope="module")
def ctx() -> conf.Context:
    inputs = stages.load_inputs(RETAIL)
    intensity = {r: g.g_per_kwh for r, g in stages.intensities(inputs).items()}
    return conf.make_context(inputs.client, inputs.catalog, inputs.usage, intensity)


def _row(ctx: conf.Context, cand: conf.Candidate) -> dict:
    frame = conf.evaluate_candidates(ctx, [cand])
    return frame.iloc[0].to_dict()


CLOUD = conf.Candidate(
    "cloud", "USA", "H100-SXM", 1, "llama-3.1-8b", "fp16", "fp16", "none", "text", "real_time"
)
OWN = conf.Candidate(
    "on_premise", "FRA", "H100-SXM", 1, "llama-3.1-8b", "fp16", "fp16", "none", "text", "real_time"
)
API = conf.Candidate("api", "", "", 0, "gpt-4o-mini", "", "", "none", "text", "real_time")


def _assumption(ctx: conf.Context, name: str) -> float:
    return float(ctx.catalog.assumption(name).value.value)


def _busy_power_w(ctx: conf.Context, est: conf.Estimate, serving_replicas: float) -> float:
    """The GPU power the serving model gives at the mean load of the active hours, read back
    from the row: J per output token × output tokens/s of one replica (40 000 requests over
    16 active hours / the serving replicas × 200 tokens) / its GPUs."""
    u = ctx.usage
    rate = u["requests_per_day"] / (u["active_hours_per_day"] * 3600) / serving_replicas
    return est.gpu_joules_per_output_token * rate * u["output_tokens"] / est.gpus_per_replica


def test_api_configuration_by_hand(ctx: conf.Context) -> None:
    cat = ctx.catalog
    est = conf.estimate(ctx, API)
    assert est.hosting == "api" and est.excluded_because == ""
    rec = cat.api_models["gpt-4o-mini"]
    ttft, tps = rec.ttft_s.value, rec.output_tokens_per_s.value  # 0.54 s, 79 tokens/s
    q = _assumption(ctx, "queueing_factor")  # 1.5
    rtt = _assumption(ctx, "network_rtt_s")  # 0.05 s
    # p95 = (0.54 + 200 / 79) × 1.5 + 0.05 = 4.657 s; TTFT p95 = 0.54 × 1.5 + 0.05 = 0.86 s;
    # TPOT p95 = 1 000 × 1.5 / 79 = 18.99 ms; turnaround = 4.657 s / 3 600 = 0.00129 h
    assert est.p95_latency_s == pytest.approx((ttft + 200 / tps) * q + rtt)
    assert est.ttft_s == pytest.approx(ttft * q + rtt)
    assert est.tpot_p95_ms == pytest.approx(1000 * q / tps)
    assert est.turnaround_h == pytest.approx(((ttft + 200 / tps) * q + rtt) / 3600)
    # one request: 600 input + 200 output tokens at genai-prices' gpt-4o-mini price
    # (0.15 + 0.60 USD per M: 600 × 0.15e-6 + 200 × 0.60e-6 = 0.00021 USD)
    price = calc_price(
        Usage(input_tokens=600, output_tokens=200),
        model_ref="gpt-4o-mini",
        provider_id="openai",
        genai_request_timestamp=ctx.prices_as_of,
    )
    eur = cat.usd_per("EUR")  # 1.1172 USD per EUR
    requests_month = 40_000 * _assumption(ctx, "hours_per_month") / 24  # × 730 h / 24 = 30.4167
    # monthly = 0.00021 USD × 40 000 × 30.4167 / 1.1172 = 228.70 EUR
    expected = float(price.total_price) * requests_month / eur
    assert est.cost_api == pytest.approx(expected)
    # staff: 0.2 FTE of integration upkeep × 11 800 USD per FTE-month / 1.1172 = 2 112 EUR
    staff = (
        _assumption(ctx, "staff_fte_api") * _assumption(ctx, "staff_cost_per_fte_month_usd") / eur
    )
    assert est.cost_staff == pytest.approx(staff)
    assert est.monthly_cost == pytest.approx(expected + staff)
    # set-up: 5 000 USD of integration / 1.1172 = 4 475 EUR
    assert est.setup_cost == pytest.approx(_assumption(ctx, "setup_cost_api_usd") / eur)
    # footprint: EcoLogits (pinned) for 200 output tokens in (0.54 + 200 / 79) = 3.072 s in its
    # openai zone (USA), × 1.2169e6 requests a month (≈ 17.7 kWh, 7.4 kgCO2e at the time of
    # writing); Wh per 1 000 output tokens = kWh × 1 000 / (200 × requests / 1 000)
    zone = api.ecologits_datacenter_zone("openai")
    impacts = api.api_impacts_per_request(
        "openai", "gpt-4o-mini", 200, round(ttft + 200 / tps, 3), zone
    )
    assert impacts is not None
    assert est.energy_kwh_per_month == pytest.approx(impacts.energy_kwh * requests_month)
    assert est.monthly_kgco2e == pytest.approx(impacts.gwp_kg * requests_month)
    assert est.embodied_kgco2e == 0.0 and est.carbon_method == f"ecologits ({zone})"
    wh_1k = impacts.energy_kwh * requests_month * 1000 / (200 * requests_month / 1000)
    assert est.wh_per_1k_output_tokens == pytest.approx(wh_1k)
    # no fleet: the sizing columns are n/a
    assert math.isnan(est.gpus_per_replica) and math.isnan(est.gpus_total)
    assert est.cost_compute == est.cost_capex == est.cost_energy == 0.0


@pytest.mark.parametrize("candidate", [API, CLOUD, OWN], ids=["api", "cloud", "on_premise"])
def test_longer_answers_never_lower_energy_carbon_nor_cost(
    ctx: conf.Context, candidate: conf.Candidate
) -> None:
    """The product's chain (tokens → latency → energy → money), not a copy of it: more output
    tokens a request never cost less energy, emissions nor money a month."""
    rows = []
    for tokens in (20, 50, 200):
        usage = {**ctx.usage, "output_tokens": tokens}
        longer = conf.make_context(ctx.client, ctx.catalog, usage, ctx.intensity_g_per_kwh)
        rows.append(conf.estimate(longer, candidate))
    assert all(e.excluded_because == "" for e in rows)
    for figure in ("energy_kwh_per_month", "monthly_kgco2e", "monthly_cost", "p95_latency_s"):
        values = [getattr(e, figure) for e in rows]
        assert all(b >= a for a, b in itertools.pairwise(values)), (figure, values)


def test_cloud_configuration_by_hand(ctx: conf.Context) -> None:
    cat = ctx.catalog
    est = conf.estimate(ctx, CLOUD)
    assert est.hosting == "cloud" and est.excluded_because == ""
    g = cat.gpus["H100-SXM"]
    eff = cat.efficiencies["vllm"]
    # decode at batch 1: 16.06 GB of BF16 weights / (3 350 GB/s × 0.75) = 6.392 ms, plus the KV
    # cache of one sequence (600 prompt + 100 mean output tokens × 131 072 B = 91.75 MB:
    # 0.037 ms), plus 1 ms of step overhead; compute (2 × 8.03e9 / (989.5e12 × 0.35) = 0.046 ms)
    # is below the memory time, and one GPU has no all-reduce
    weights = 8.03 * 2 / (g.bandwidth_gb_s * eff.bandwidth_efficiency.value)
    kv = 700 * 2 * 32 * 8 * 128 * 2 / 1e9 / (g.bandwidth_gb_s * eff.bandwidth_efficiency.value)
    expected_ms = (weights + kv) * 1000 + eff.step_overhead_ms.value
    assert est.decode_ms_per_token_batch1 == pytest.approx(expected_ms, rel=1e-6)
    # the search met the limits at the peak, below the utilisation ceiling; a token at load
    # takes at least its batch-1 step
    assert est.p95_latency_s <= 3.0
    assert est.peak_utilisation <= cat.method["max_peak_utilisation"]
    assert est.tpot_p95_ms >= est.decode_ms_per_token_batch1
    # the example keeps one spare replica (operations.availability.spare_replicas: 1): the
    # sized replicas r = replicas − 1, each of 1 GPU
    r = est.replicas - 1
    assert r >= 1 and r == int(r)
    assert est.gpus_total == (r + 1) * 1
    # GPU-hours: 1 GPU × ((r + 1 spare) × 16 h + (1 always-on + 1 spare) × 8 h) × 30.4167 days
    # (r = 1: 48 GPU-h a day, 1 460 a month)
    days = _assumption(ctx, "hours_per_month") / 24
    hours = 1 * ((r + 1) * 16 + (1 + 1) * 8) * days
    assert est.gpu_hours_per_month == pytest.approx(hours)
    # the cheapest USA offer (3.90 USD per GPU-hour at the time of writing), converted to EUR;
    # no USA H100 offer publishes a commitment price, so on demand: 1 460 × 3.90 / 1.1172
    # = 5 097 EUR
    eur = cat.usd_per("EUR")
    price = min(o.price_per_gpu_hour_usd for o in cat.offers_for("H100-SXM", "USA"))
    assert est.cloud_commitment == "on_demand"
    assert est.cost_compute == pytest.approx(hours * price / eur)
    # staff: 1 FTE × 11 800 USD / 1.1172 = 10 562 EUR a month
    staff = (
        _assumption(ctx, "staff_fte_cloud") * _assumption(ctx, "staff_cost_per_fte_month_usd") / eur
    )
    assert est.cost_staff == pytest.approx(staff)
    assert est.monthly_cost == pytest.approx(est.cost_compute + staff)
    # set-up: 30 000 USD of project + the offer's set-up fee (0) / 1.1172 = 26 853 EUR
    setup = (
        _assumption(ctx, "setup_cost_self_hosted_usd")
        + cat.offers_for("H100-SXM", "USA")[0].setup_cost_usd
    )
    assert est.setup_cost == pytest.approx(setup / eur)
    # energy: the busy GPU-hours (1 GPU × r × 16 h a day) at the serving model's power P (the
    # row's 2.10 J/token × 138.9 tokens/s = 291 W, between idle and TDP), the other rented hours
    # (48 − 16 = 32 GPU-h a day) at idle 70 W, each with the 400 W server share and the USA PUE
    # 1.56: (16 × (291 + 400) + 32 × (70 + 400)) × 30.4167 × 1.56 / 1 000 = 1 239 kWh
    power = _busy_power_w(ctx, est, r)
    assert g.idle_w <= power <= g.tdp_w
    server = cat.on_premise["H100-SXM"].server_power_w_per_gpu
    busy_h, idle_h = 1 * r * 16, hours / days - 1 * r * 16
    kwh = (busy_h * (power + server) + idle_h * (g.idle_w + server)) * days * cat.pue("USA") / 1000
    assert est.energy_kwh_per_month == pytest.approx(kwh)
    # carbon: 1 239 kWh × the USA grid's 369.5 g/kWh (codecarbon) = 457.6 kg, plus embodied
    # (150 kg GPU + 312 kg server share) × 1 460 / 730 GPUs rented / (5 years × 12) = 15.4 kg
    assert est.operational_kgco2e == pytest.approx(kwh * ctx.intensity_g_per_kwh["USA"] / 1000)
    own = cat.on_premise["H100-SXM"]
    per_gpu = g.embodied_kgco2e.value + own.server_embodied_kgco2e_per_gpu.value
    embodied = per_gpu * (hours / _assumption(ctx, "hours_per_month")) / (own.life_years * 12)
    assert est.embodied_kgco2e == pytest.approx(embodied)
    assert est.monthly_kgco2e == pytest.approx(est.operational_kgco2e + embodied)


def test_on_premise_configuration_by_hand(ctx: conf.Context) -> None:
    cat = ctx.catalog
    est = conf.estimate(ctx, OWN)
    assert est.hosting == "on_premise" and est.excluded_because == ""
    own = cat.on_premise["H100-SXM"]
    g = cat.gpus["H100-SXM"]
    eur = cat.usd_per("EUR")
    # the same sizing as in the cloud (the region only changes the bill): r sized replicas
    # + 1 spare, of 1 GPU; an 8-GPU server holds ⌊8 / 1⌋ = 8 replicas, so ⌈(r + 1) / 8⌉ servers
    # are bought, all 8 of their GPUs owned (r = 1: 1 server, 8 GPUs)
    r = est.replicas - 1
    assert est.replicas == conf.estimate(ctx, CLOUD).replicas
    per_server = g.gpus_per_server // 1  # replicas a server holds: ⌊8 GPUs / 1 GPU⌋
    servers = math.ceil((r + 1) / per_server)
    assert est.servers == servers
    gpus = servers * g.gpus_per_server
    assert est.gpus_total == gpus
    # capex: 8 GPUs × 37 500 USD (GPU + server share) / 36 months / 1.1172 = 7 459 EUR
    assert est.cost_capex == pytest.approx(gpus * own.server_price_usd_per_gpu / 36 / eur)
    # operations: 8 GPUs × 500 USD per GPU-month / 1.1172 = 3 580 EUR
    assert est.cost_operations == pytest.approx(gpus * own.operations_usd_per_gpu_month / eur)
    # set-up: (30 000 USD of project + 8 × 37 500 USD of servers) / 1.1172 = 295 381 EUR
    setup = _assumption(ctx, "setup_cost_self_hosted_usd")
    assert est.setup_cost == pytest.approx((setup + gpus * own.server_price_usd_per_gpu) / eur)
    # staff: 1.5 FTE × 11 800 USD / 1.1172 = 15 843 EUR
    staff = (
        _assumption(ctx, "staff_fte_on_premise")
        * _assumption(ctx, "staff_cost_per_fte_month_usd")
        / eur
    )
    assert est.cost_staff == pytest.approx(staff)
    # energy: owned GPUs are on all day — the busy ones (1 GPU × r × 16 h) at the serving
    # model's power (291 W, as in the cloud), the other 8 × 24 − 16 = 176 GPU-h a day at idle
    # 70 W, each with the 400 W server share and the FRA PUE 1.56:
    # (16 × (291 + 400) + 176 × (70 + 400)) × 30.4167 × 1.56 / 1 000 = 4 450 kWh
    days = _assumption(ctx, "hours_per_month") / 24
    power = _busy_power_w(ctx, est, r)
    server = own.server_power_w_per_gpu
    busy_h = 1 * r * 16
    idle_h = gpus * 24 - busy_h
    kwh = (busy_h * (power + server) + idle_h * (g.idle_w + server)) * days * cat.pue("FRA") / 1000
    assert est.energy_kwh_per_month == pytest.approx(kwh)
    # energy bill: 4 450 kWh × 0.173 USD/kWh (FRA) / 1.1172 = 689 EUR
    price = cat.regions["FRA"].electricity_price_usd_per_kwh
    assert est.cost_energy == pytest.approx(kwh * price / eur)
    # monthly: 7 459 + 3 580 + 689 + 0 (no RAG) + 15 843 = 27 572 EUR
    parts = (est.cost_capex, est.cost_operations, est.cost_energy, est.cost_rag, est.cost_staff)
    assert est.cost_rag == 0.0
    assert est.monthly_cost == pytest.approx(sum(parts))
    # carbon: 4 450 kWh × FRA's 56.0 g/kWh (no renewable contract) = 249.4 kg, plus embodied
    # (150 + 312 kg) × 8 GPUs / (5 years × 12) = 61.6 kg
    assert est.operational_kgco2e == pytest.approx(kwh * ctx.intensity_g_per_kwh["FRA"] / 1000)
    per_gpu = g.embodied_kgco2e.value + own.server_embodied_kgco2e_per_gpu.value
    embodied = per_gpu * gpus / (own.life_years * 12)
    assert est.embodied_kgco2e == pytest.approx(embodied)
    assert est.monthly_kgco2e == pytest.approx(est.operational_kgco2e + embodied)


def test_more_gpus_per_replica_decode_faster_and_fewer_replicas_never_break_limits(
    ctx: conf.Context,
) -> None:
    rows = conf.evaluate_candidates(
        ctx,
        [
            conf.Candidate(
                "cloud",
                "USA",
                "H100-SXM",
                tp,
                "llama-3.1-70b",
                "fp8",
                "fp16",
                "none",
                "text",
                "real_time",
            )
            for tp in (1, 2, 4, 8)
        ],
    )
    ok = rows[rows["excluded_because"] == ""]
    reasons = dict(zip(rows["gpus_per_replica"], rows["excluded_because"], strict=True))
    # 70.6 GB of fp8 weights on 72 GB usable leave room for 5 sequences, too slow anyway
    assert reasons[1]
    # 2 GPUs: each step streams 141 GB / 1.9 over 2 × 2 512 GB/s ≈ 15 ms, 200 tokens > 3 s
    assert "no replica count meets the latency limits" in reasons[2]
    assert list(ok["gpus_per_replica"]) == [4, 8]
    decode = ok["decode_ms_per_token_batch1"].to_numpy()
    assert np.all(np.diff(decode) < 0)  # more bandwidth per replica: faster steps
    assert (ok["p95_latency_s"] <= 3.0).all()
    # per GPU, a larger replica never serves 3× more than a smaller one (no free lunch)
    per_gpu = ok["max_tokens_per_s_per_gpu"].to_numpy()
    assert per_gpu.max() <= 3 * per_gpu.min()


@pytest.mark.parametrize("factor", [0.5, 2.0, 8.0])
def test_more_traffic_never_fewer_replicas(ctx: conf.Context, factor: float) -> None:
    base = _row(ctx, CLOUD)["replicas"]
    scaled = conf.make_context(
        ctx.client,
        ctx.catalog,
        conf.scaled_usage(ctx.usage, factor),
        ctx.intensity_g_per_kwh,
    )
    more = _row(scaled, CLOUD)["replicas"]
    assert (more >= base) if factor > 1 else (more <= base)


def test_the_search_keeps_the_fewest_replicas(ctx: conf.Context) -> None:
    """One replica fewer than the search's count breaks a limit or the utilisation ceiling
    (at 8 × the retail volume: a peak of 96 requests/s needs several H100 replicas)."""
    ctx = conf.make_context(
        ctx.client, ctx.catalog, conf.scaled_usage(ctx.usage, 8.0), ctx.intensity_g_per_kwh
    )
    row = _row(ctx, CLOUD)
    r = int(row["serving_replicas"])  # the sized replicas (the example adds one spare)
    assert r > 1
    assert row["replicas"] == r + 1
    from llmdecide.evaluation import fit as fit_step
    from llmdecide.evaluation import step
    from llmdecide.evaluation.rows import Rows

    rows = Rows([CLOUD])
    one = np.ones(1)
    w = serving.Workload(
        context_tokens=600 * one, prefill_tokens=600 * one, output_tokens=200 * one
    )
    fit = fit_step.fit(ctx, rows, w)
    m = step.replica_model(ctx, rows, fit.kv_bytes_per_token, "value")
    engine = serving.Engine(
        max_seqs=np.array([row["batch_per_replica"]]),
        token_budget=np.array([8192.0]),
        kv_capacity_tokens=fit.kv_capacity_tokens,
    )
    rate = 96.0 / (r - 1)
    lat = serving.replica_latency(m, w, engine, rate)
    rho = serving.utilisation(m, w, engine, rate)
    fixed = ctx.catalog.assumption("network_rtt_s").value.value
    too_slow = float(np.ravel(lat.e2e_q_s)[0]) + fixed > 3.0
    too_busy = float(np.ravel(rho)[0]) > ctx.catalog.method["max_peak_utilisation"]
    assert too_slow or too_busy


def test_estimate_holds_the_columns_of_a_row(ctx: conf.Context) -> None:
    from llmdecide.columns import EXTRA_COLUMNS, SPEC_COLUMNS
    from llmdecide.evaluation import estimate

    scoring_own = {"feasible", "rejected_because", "score", "rank"}
    assert set(estimate.COLUMNS) == set(SPEC_COLUMNS + EXTRA_COLUMNS) - scoring_own
    for cand in (API, CLOUD, OWN):
        row = _row(ctx, cand)
        est = conf.estimate(ctx, cand)
        assert est.config_id == cand.config_id and est.hosting == cand.hosting
        back = est.as_row()
        for column in estimate.COLUMNS:  # every cell as the table has it (n/a: NaN or "")
            value = row[column]
            if isinstance(value, str):
                assert back[column] == value, column
            elif value is None or value != value:
                assert back[column] != back[column] or back[column] == "", column
            else:
                assert back[column] == float(value), column
    assert math.isnan(conf.estimate(ctx, API).gpus_per_replica)
    assert conf.estimate(ctx, CLOUD).gpus_per_replica == 1.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        est.replicas = 2.0  # type: ignore[misc]


OSS_MEDIUM = conf.Candidate(
    "cloud",
    "USA",
    "H100-SXM",
    1,
    "gpt-oss-20b",
    "fp16",
    "fp16",
    "none",
    "text",
    "real_time",
    "medium",
)


def test_a_measured_reasoning_effort_is_costed_waited_for_and_drawn(ctx: conf.Context) -> None:
    from llmdecide.evaluation import workload
    from llmdecide.evaluation.context import OPTIMISTIC, PESSIMISTIC

    # gpt-oss-20b at medium effort: ML.ENERGY's GPQA Diamond runs, 1 979 to 2 599 tokens
    # (mean of the run means 2 181) per request; fewer tokens favour the client
    rec = ctx.catalog.open_models["gpt-oss-20b"]
    assert rec.reasoning_tokens is not None
    assert set(rec.reasoning_tokens) == {"medium"}  # low and high: unknown, not invented
    for scenario, hidden in (("value", 2181), (OPTIMISTIC, 1979), (PESSIMISTIC, 2599)):
        t = workload.tokens(ctx, "gpt-oss-20b", "medium", "", "none", scenario, False)
        assert t.reasoning == hidden and not t.unknown
    t = workload.tokens(ctx, "gpt-oss-20b", "medium", "", "none", "value", False)
    # every hidden token is decoded: 2 181 reasoning + 200 answer = 2 381 generated tokens;
    # the window holds 600 prompt + 2 381 = 2 981 tokens (of 131 072)
    assert t.generated == 2181 + 200 == 2381
    assert t.context == 600 + 2381 == 2981
    assert (
        "unknown" in workload.tokens(ctx, "gpt-oss-20b", "low", "", "none", "value", False).unknown
    )
    # real time, the 3 s p95 limit of the example cannot wait for 2 381 generated tokens on
    # one H100: each is a decode step of at least the batch-1 step (4.9 ms at the time of
    # writing: 2 381 x 4.9 ms = 11.7 s), while the same model without reasoning tokens (a test
    # catalog, not a record) meets it
    bare_rec = rec.model_copy(
        update={"reasoning_tokens": {"medium": Range(value=0, low=0, high=0)}}
    )
    models = {**ctx.catalog.open_models, "gpt-oss-20b": bare_rec}
    bare = dataclasses.replace(ctx, catalog=dataclasses.replace(ctx.catalog, open_models=models))
    assert "latency limits" in _row(ctx, OSS_MEDIUM)["excluded_because"]
    assert _row(bare, OSS_MEDIUM)["excluded_because"] == ""
    # with a 60 s limit the configuration is costed, with its latency and its energy
    # (medium needs > 3 s: 2 381 x the batch-1 step is checked below)
    client = ctx.client.model_copy(deep=True)
    client.critical_performance.performance.limit = 60.0
    slow, slow_bare = (dataclasses.replace(c, client=client) for c in (ctx, bare))
    row, none = _row(slow, OSS_MEDIUM), _row(slow_bare, OSS_MEDIUM)
    assert row["excluded_because"] == "" == none["excluded_because"]
    assert row["monthly_cost"] > 0 and row["energy_kwh_per_month"] > 0
    # the user waits for the 2 181 hidden tokens before the first answer token, each at least
    # one batch-1 decode step: TTFT >= 2 181 x decode_ms_per_token_batch1 / 1000
    assert row["ttft_s"] >= 2181 * row["decode_ms_per_token_batch1"] / 1000
    assert 2381 * row["decode_ms_per_token_batch1"] / 1000 > 3.0
    assert none["ttft_s"] < row["ttft_s"]
    # 2 381 instead of 200 decoded tokens a request: more energy, never a cheaper fleet
    assert none["energy_kwh_per_month"] < row["energy_kwh_per_month"]
    assert none["monthly_cost"] <= row["monthly_cost"]


def test_evaluate_one_of_an_api_candidate_is_its_table_row() -> None:
    """An API candidate's dict (no one-row table) holds the values, and their types, of the row
    of its one-row ``evaluate_many`` table, under every scenario and at a scaled volume."""
    path = Path(__file__).resolve().parents[1] / "params/clients/example-retail.yaml"
    inputs = stages.load_inputs(path)
    intensity = {r: g.g_per_kwh for r, g in stages.intensities(inputs).items()}
    apis = [c for c in conf.space(inputs.client, inputs.catalog).candidates if c.hosting == "api"]
    assert apis
    for factor in (1.0, 20.0):
        usage = conf.scaled_usage(inputs.usage, factor)
        ctx = conf.make_context(inputs.client, inputs.catalog, usage, intensity)
        for scenario in (conf.VALUE, conf.OPTIMISTIC, conf.PESSIMISTIC):
            for c in apis:
                table = conf.evaluate_many(ctx, [c], scenario)
                row = {k: conf._plain(v) for k, v in table.iloc[0].items()}
                # repr: the same keys, types and values, NaN equal to NaN
                assert repr(conf.evaluate_one(ctx, c, scenario)) == repr(row)


def test_labels_of_a_table_are_each_rows_label() -> None:
    """``labels`` (each part once per distinct value of its columns) gives every row the label
    ``label`` makes of it: n/a numbers (NaN) as one value, a None beside a NaN kept apart."""
    import pandas as pd

    rows = [
        ("api", "", "", math.nan, math.nan, "gpt-4o-mini", "", "", "", "", "none", "text", "batch"),
        (
            "cloud",
            "FRA",
            "H100",
            2.0,
            3.0,
            "llama",
            "fp8",
            "fp8",
            "high",
            "on",
            "rag",
            "json",
            "real_time",
        ),
        (
            "cloud",
            "FRA",
            "H100",
            2.0,
            math.nan,
            "llama",
            "fp8",
            "fp16",
            "",
            "",
            "none",
            "text",
            "batch",
        ),
        (
            "on_premise",
            "DEU",
            "L4",
            1.0,
            12.0,
            "llama",
            None,
            "fp16",
            math.nan,
            "",
            "rag",
            "text",
            "batch",
        ),
        (
            "on_premise",
            "DEU",
            "L4",
            1.0,
            12.0,
            "llama",
            math.nan,
            "fp16",
            None,
            "",
            "rag",
            "text",
            "batch",
        ),
    ]
    columns = (*conf.HEAD, *conf.MODEL, *conf.TAIL)
    frame = pd.DataFrame([dict(zip(columns, r, strict=True)) for r in rows * 3])
    # an object column keeps None beside NaN (the constructor above would make both NaN)
    frame["optimisation"] = pd.Series([r[6] for r in rows * 3], dtype=object)
    expected = [conf.label(row) for row in frame.to_dict("records")]
    assert conf.labels(frame) == expected
    assert expected[1] == (
        "cloud · FRA · 3×2 H100 · llama fp8 kv-fp8 (high effort) · cache · RAG · json · real time"
    )
    assert expected[2].startswith("cloud · FRA · 2 H100 per replica · llama fp8 ·")
    assert expected[3] != expected[4]  # optimisation None (left out) vs NaN ("nan")
