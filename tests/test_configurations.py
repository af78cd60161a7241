"""One configuration per hosting type, checked by hand against the catalog (the arithmetic in
the comments), and properties of the sizing search over the configuration space.

The client is the retail example (40 000 requests/day, peak 12/s, 600 input and 200 output
tokens, 16 active hours, 36 months, EUR at 1.1172 USD). Figures read from the catalog are named
in the comments with their value at the time of writing; the test reads them again so that a
catalog update changes the expectation, not the arithmetic.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest
from genai_prices import Usage, calc_price

from llmdecide import configurations as conf
from llmdecide import stages
from llmdecide.catalog import Range
from llmdecide.estimators import serving

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


def test_api_configuration_by_hand(ctx: conf.Context) -> None:
    cat = ctx.catalog
    row = _row(ctx, API)
    rec = cat.api_models["gpt-4o-mini"]
    ttft, tps = rec.ttft_s.value, rec.output_tokens_per_s.value  # 0.54 s, 79 tokens/s
    q = cat.assumption("queueing_factor").value.value  # 1.5
    rtt = cat.assumption("network_rtt_s").value.value  # 0.05 s
    # p95 = (0.54 + 200 / 79) × 1.5 + 0.05 = 4.657 s; TTFT p95 = 0.54 × 1.5 + 0.05 = 0.86 s
    assert row["p95_latency_s"] == pytest.approx((ttft + 200 / tps) * q + rtt)
    assert row["ttft_s"] == pytest.approx(ttft * q + rtt)
    # one request: 600 input + 200 output tokens at genai-prices' gpt-4o-mini price
    price = calc_price(
        Usage(input_tokens=600, output_tokens=200),
        model_ref="gpt-4o-mini",
        provider_id="openai",
        genai_request_timestamp=ctx.prices_as_of,
    )
    days = cat.assumption("hours_per_month").value.value / 24  # 730 h / 24 = 30.4167
    # monthly = price × 40 000 × 30.4167 / 1.1172 USD per EUR
    expected = float(price.total_price) * 40_000 * days / cat.usd_per("EUR")
    assert row["cost_api"] == pytest.approx(expected)
    # staff: 0.2 FTE of integration upkeep × 11 800 USD per FTE-month / 1.1172 = 2 112 EUR
    staff = (
        cat.assumption("staff_fte_api").value.value
        * cat.assumption("staff_cost_per_fte_month_usd").value.value
        / cat.usd_per("EUR")
    )
    assert row["cost_staff"] == pytest.approx(staff)
    assert row["monthly_cost"] == pytest.approx(expected + staff)
    assert math.isnan(row["gpus_per_replica"])


def test_cloud_configuration_by_hand(ctx: conf.Context) -> None:
    cat = ctx.catalog
    row = _row(ctx, CLOUD)
    g = cat.gpus["H100-SXM"]
    eff = cat.efficiencies["vllm"]
    # decode at batch 1: 16.06 GB of BF16 weights / (3 350 GB/s × 0.75) = 6.392 ms, plus the KV
    # cache of one sequence (600 prompt + 100 mean output tokens × 131 072 B = 91.75 MB:
    # 0.037 ms), plus 1 ms of step overhead; compute (2 × 8.03e9 / (989.5e12 × 0.35) = 0.046 ms)
    # is below the memory time, and one GPU has no all-reduce
    weights = 8.03 * 2 / (g.bandwidth_gb_s * eff.bandwidth_efficiency.value)
    kv = 700 * 2 * 32 * 8 * 128 * 2 / 1e9 / (g.bandwidth_gb_s * eff.bandwidth_efficiency.value)
    expected_ms = (weights + kv) * 1000 + eff.step_overhead_ms.value
    assert row["decode_ms_per_token_batch1"] == pytest.approx(expected_ms, rel=1e-6)
    # the search met the limits at the peak, below the utilisation ceiling
    assert row["p95_latency_s"] <= 3.0
    assert row["peak_utilisation"] <= cat.method["max_peak_utilisation"]
    r = row["serving_replicas"]
    assert r >= 1 and r == int(r)
    # the example keeps one spare replica (operations.availability.spare_replicas: 1)
    assert row["replicas"] == r + 1
    # GPU-hours: 1 GPU × ((r + 1 spare) × 16 h + (1 always-on + 1 spare) × 8 h) × 30.4167 days
    days = cat.assumption("hours_per_month").value.value / 24
    hours = 1 * ((r + 1) * 16 + (1 + 1) * 8) * days
    assert row["gpu_hours_per_month"] == pytest.approx(hours)
    # the cheapest USA offer (per GPU-hour), converted to EUR; no USA H100 offer publishes a
    # commitment price, so on demand
    price = min(o.price_per_gpu_hour_usd for o in cat.offers_for("H100-SXM", "USA"))
    assert row["cloud_commitment"] == "on_demand"
    assert row["cost_compute"] == pytest.approx(hours * price / cat.usd_per("EUR"))
    # staff: 1 FTE × 11 800 USD / 1.1172 = 10 562 EUR a month
    staff = (
        cat.assumption("staff_fte_cloud").value.value
        * cat.assumption("staff_cost_per_fte_month_usd").value.value
        / cat.usd_per("EUR")
    )
    assert row["monthly_cost"] == pytest.approx(row["cost_compute"] + staff)
    assert row["gpus_total"] == (r + 1) * 1


def test_on_premise_configuration_by_hand(ctx: conf.Context) -> None:
    cat = ctx.catalog
    row = _row(ctx, OWN)
    own = cat.on_premise["H100-SXM"]
    gpus = row["gpus_total"]
    eur = cat.usd_per("EUR")
    # capex: GPUs × 37 500 USD (GPU + server share) / 36 months
    assert row["cost_capex"] == pytest.approx(gpus * own.server_price_usd_per_gpu / 36 / eur)
    # operations: GPUs × 500 USD per GPU-month
    assert row["cost_operations"] == pytest.approx(gpus * own.operations_usd_per_gpu_month / eur)
    # set-up: 30 000 USD of project + the servers bought
    setup = cat.assumption("setup_cost_self_hosted_usd").value.value
    assert row["setup_cost"] == pytest.approx((setup + gpus * own.server_price_usd_per_gpu) / eur)
    # energy bill: kWh × the region's electricity price
    price = cat.regions["FRA"].electricity_price_usd_per_kwh
    assert row["cost_energy"] == pytest.approx(row["energy_kwh_per_month"] * price / eur)
    parts = ("cost_capex", "cost_operations", "cost_energy", "cost_rag", "cost_staff")
    assert row["monthly_cost"] == pytest.approx(sum(row[p] for p in parts))
    # owned GPUs are on all day: at least idle power × 730 h × PUE
    idle_kwh = gpus * cat.gpus["H100-SXM"].idle_w * 730 * cat.pue("FRA") / 1000
    assert row["energy_kwh_per_month"] >= idle_kwh


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


def test_estimate_holds_the_columns_of_a_self_hosted_row(ctx: conf.Context) -> None:
    from llmdecide.columns import EXTRA_COLUMNS, SPEC_COLUMNS
    from llmdecide.evaluation import estimate

    scoring_own = {"feasible", "rejected_because", "score", "rank"}
    assert set(estimate.COLUMNS) == set(SPEC_COLUMNS + EXTRA_COLUMNS) - scoring_own
    for cand in (CLOUD, OWN):
        row = _row(ctx, cand)
        est = estimate.Estimate.of(row)
        assert est.config_id == cand.config_id and est.hosting == cand.hosting
        assert est.gpus_per_replica == 1.0 and est.replicas >= 1
        back = est.as_row()
        for column in estimate.COLUMNS:  # every cell as the table has it (n/a: NaN or "")
            value = row[column]
            if isinstance(value, str):
                assert back[column] == value, column
            elif value is None or value != value:
                assert back[column] != back[column] or back[column] == "", column
            else:
                assert back[column] == float(value), column
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
