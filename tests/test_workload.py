"""Issue 12's request-level features, end to end through the evaluation: prompt caching priced
with genai-prices' cache prices, reasoning tokens billed and waited for, context windows that
exclude, unknown precision never invented, a client evaluation's binomial interval."""

from __future__ import annotations

import dataclasses
import itertools
import math
from pathlib import Path
from typing import Any

import pytest
from genai_prices import Usage, calc_price

from _method import LOG
from llmdecide import configurations as conf
from llmdecide import scoring, stages
from llmdecide.catalog import Range
from llmdecide.estimators import precision

ROOT = Path(__file__).resolve().parents[1]
RETAIL = ROOT / "params" / "clients" / "example-retail.yaml"


def _ctx(**usage: Any) -> conf.Context:
    inputs = stages.load_inputs(RETAIL)
    client = inputs.client.model_copy(deep=True)
    for key, value in usage.items():
        setattr(client.usage, key, value)
    intensity = {r: g.g_per_kwh for r, g in stages.intensities(inputs).items()}
    merged = {**inputs.usage, **usage}
    return conf.make_context(client, inputs.catalog, merged, intensity)


def _api(model: str, *, effort: str = "", caching: str = "", rag: str = "none") -> conf.Candidate:
    return conf.Candidate(
        "api", "", "", 0, model, "", "", rag, "text", "real_time", effort, caching
    )


def _row(ctx: conf.Context, cand: conf.Candidate) -> dict:
    return conf.evaluate_candidates(ctx, [cand]).iloc[0].to_dict()


def test_prompt_caching_bills_the_prefix_at_the_cache_prices() -> None:
    ctx = _ctx()  # 600 input tokens of which a 400-token cached prefix, 200 output
    hit = ctx.catalog.assumption("api_prompt_cache_hit_rate").value.value  # 0.9
    model = "claude-haiku-5-5"  # has cache-read and cache-write prices in genai-prices 0.2.3
    rec = ctx.catalog.api_models[model]
    tokens = rec.reasoning_tokens_for("low")
    if tokens is not None:
        pytest.fail("the catalog now publishes Haiku 5.5's reasoning tokens: pick another model")

    def price(**cache: int) -> float:
        usage = Usage(input_tokens=600, output_tokens=200, **cache)
        p = calc_price(
            usage,
            model_ref=model,
            provider_id="anthropic",
            genai_request_timestamp=ctx.prices_as_of,
        )
        return float(p.total_price)

    # mean price = 0.9 × price(400 read from cache) + 0.1 × price(400 written to it)
    expected = hit * price(cache_read_tokens=400) + (1 - hit) * price(cache_write_tokens=400)
    assert expected < price()  # caching saves money on this model
    from llmdecide.estimators import api

    priced = api.api_usd_per_request(model, "anthropic", 600, 200, False, ctx.prices_as_of, 400)
    assert priced == pytest.approx(price(cache_read_tokens=400))
    mean = api.cached_prompt_usd_per_request(
        priced,
        api.api_usd_per_request(model, "anthropic", 600, 200, False, ctx.prices_as_of, 0, 400),
        hit,
    )
    assert mean == pytest.approx(expected)


def test_a_cached_prefix_makes_the_api_cheaper_end_to_end() -> None:
    ctx = _ctx()
    on = _row(ctx, _api("gpt-4o-mini", caching="on"))
    off = _row(ctx, _api("gpt-4o-mini", caching="off"))
    assert on["cost_api"] < off["cost_api"]
    assert on["p95_latency_s"] == pytest.approx(off["p95_latency_s"])


def _with_reasoning_tokens(ctx: conf.Context, model: str, tokens: dict[str, Range]) -> conf.Context:
    rec = ctx.catalog.api_models[model].model_copy(update={"reasoning_tokens": tokens})
    models = {**ctx.catalog.api_models, model: rec}
    return dataclasses.replace(ctx, catalog=dataclasses.replace(ctx.catalog, api_models=models))


def test_reasoning_tokens_are_billed_as_output_and_waited_for() -> None:
    # a catalog where gpt-6-sol's reasoning tokens were published (a test figure, not a record)
    ctx = _with_reasoning_tokens(
        _ctx(),
        "gpt-6-sol",
        {
            e: Range(value=v, low=v, high=v)
            for e, v in (("low", 500), ("medium", 2000), ("high", 8000))
        },
    )
    none = _row(ctx, _api("gpt-6-sol", effort="none"))
    low = _row(ctx, _api("gpt-6-sol", effort="low"))
    high = _row(ctx, _api("gpt-6-sol", effort="high"))
    assert none["cost_api"] < low["cost_api"] < high["cost_api"]
    rec = ctx.catalog.api_models["gpt-6-sol"]
    tps = rec.output_tokens_per_s.value
    q = ctx.catalog.assumption("queueing_factor").value.value
    # 500 hidden tokens at tps come before the first answer token, × the queueing factor
    assert low["ttft_s"] - none["ttft_s"] == pytest.approx(500 / tps * q)
    assert high["p95_latency_s"] - none["p95_latency_s"] == pytest.approx(8000 / tps * q)
    # billed as output: the cost grows by 500 output tokens' price per request
    as_of = ctx.prices_as_of
    extra = float(
        calc_price(
            Usage(input_tokens=600, output_tokens=700),
            model_ref="gpt-6-sol",
            provider_id="openai",
            genai_request_timestamp=as_of,
        ).total_price
    ) - float(
        calc_price(
            Usage(input_tokens=600, output_tokens=200),
            model_ref="gpt-6-sol",
            provider_id="openai",
            genai_request_timestamp=as_of,
        ).total_price
    )
    requests = 40_000 * ctx.catalog.assumption("hours_per_month").value.value / 24
    assert low["cost_api"] - none["cost_api"] == pytest.approx(extra * requests / ctx.usd_per_unit)


def test_an_unpublished_reasoning_effort_is_excluded_not_invented() -> None:
    # Gemini 3.8 Flash accepts low, but only its medium and high figures are published
    row = _row(_ctx(), _api("gemini-3.8-flash", effort="low"))
    assert "reasoning tokens per request unknown" in row["excluded_because"]
    assert math.isnan(row.get("monthly_cost", math.nan))  # no price without its tokens


def _accuracy(row: dict) -> tuple[float, float, float]:
    return row["accuracy"], row["accuracy_low"], row["accuracy_high"]


def test_a_reasoning_effort_gets_the_precision_published_at_that_effort() -> None:
    # Artificial Analysis's GPQA Diamond per effort (catalog accuracy_by_effort, 95 % interval on
    # 198 questions): Gemini 3.8 Flash low 0.920 (0.882..0.958), medium 0.935 (0.901..0.969),
    # high 0.953 (0.924..0.982). The retail client has no evaluation of this model, no uploads,
    # text output and no RAG here, so no delta: the row's accuracy is the figure itself.
    ctx = _ctx()
    medium = _row(ctx, _api("gemini-3.8-flash", effort="medium"))
    high = _row(ctx, _api("gemini-3.8-flash", effort="high"))
    assert _accuracy(medium) == (0.935, 0.901, 0.969)
    assert _accuracy(high) == (0.953, 0.924, 0.982)
    assert medium["accuracy_source"] == high["accuracy_source"] == precision.PROXY
    # low has no published reasoning-token figure (excluded, above); with a test figure for the
    # tokens (not a record) the low configuration is evaluated and gets low's 0.920
    tokens = {e: Range(value=1000, low=1000, high=1000) for e in ("low", "medium", "high")}
    flash = _with_reasoning_tokens(ctx, "gemini-3.8-flash", tokens)
    low = _row(flash, _api("gemini-3.8-flash", effort="low"))
    assert low["excluded_because"] == ""
    assert _accuracy(low) == (0.920, 0.882, 0.958)
    assert low["accuracy"] < high["accuracy"]
    # an effort without a published figure keeps the model's proxy: GPT-5.4 mini medium 0.823
    # (0.770..0.876) is published, low and high fall back to OpenAI's xhigh proxy 0.880
    # (0.835..0.925)
    mini = _with_reasoning_tokens(ctx, "gpt-5.4-mini", tokens)
    assert _accuracy(_row(mini, _api("gpt-5.4-mini", effort="medium"))) == (0.823, 0.770, 0.876)
    for effort in ("low", "high"):
        row = _row(mini, _api("gpt-5.4-mini", effort=effort))
        assert _accuracy(row) == (0.880, 0.835, 0.925), effort
    # and a figure published for 'none' only where the model accepts it: Mistral Small 4 without
    # reasoning 0.571 (0.502..0.640), with (high) 0.769 (0.710..0.828)
    none = _row(ctx, _api("mistral-small-2603", effort="none"))
    small_high = _row(ctx, _api("mistral-small-2603", effort="high"))
    assert _accuracy(none) == (0.571, 0.502, 0.640)
    assert _accuracy(small_high) == (0.769, 0.710, 0.828)


def test_a_500k_token_prompt_excludes_the_models_whose_window_it_exceeds() -> None:
    ctx = _ctx(input_tokens=500_000, cached_prefix_tokens=0)
    small = _row(ctx, _api("gpt-4o-mini"))  # 128 000-token window
    large = _row(ctx, _api("gpt-6-sol", effort="none"))  # 1 050 000-token window
    assert "context of 128000 tokens < 500200 needed" in small["excluded_because"]
    assert large["excluded_because"] == ""
    own = conf.Candidate(
        "cloud", "USA", "H100-SXM", 8, "llama-3.1-8b", "fp8", "fp8", "none", "text", "real_time"
    )
    assert "context of 131072 tokens" in _row(ctx, own)["excluded_because"]


def test_unknown_precision_is_never_invented_and_never_passes() -> None:
    ctx = _ctx()
    # GPT-6 Sol: no published proxy, and Artificial Analysis publishes no GPQA Diamond for it
    row = _row(ctx, _api("gpt-6-sol", effort="none"))
    assert math.isnan(row["accuracy"]) and row["accuracy_source"] == precision.UNKNOWN
    frame = conf.evaluate_candidates(ctx, [_api("gpt-6-sol", effort="none")])
    crits = scoring.criteria(
        {"precision": {"metric": "accuracy", "limit": 0.5}}, {"precision": 1}, ctx.catalog.method
    )
    rejected = scoring.reject(frame, crits, None)
    assert not rejected["feasible"].iloc[0]
    assert "precision unknown" in rejected["rejected_because"].iloc[0]


def test_a_client_evaluation_on_n_questions_is_a_range() -> None:
    # retail: mistral-small with RAG, 0.93 on 400 questions → Wilson 95 % interval 0.901..0.951
    ctx = _ctx()
    cand = conf.Candidate(
        "cloud",
        "USA",
        "H100-SXM",
        2,
        "mistral-small",
        "fp16",
        "fp8",
        "rag",
        "text",
        "real_time",
        "",
        "on",
    )
    row = _row(ctx, cand)
    low, high = precision.wilson_interval(0.93, 400, 0.95)
    assert row["accuracy"] == pytest.approx(0.93)
    assert row["accuracy_low"] == pytest.approx(low, abs=0.02)  # the fp8 KV-cache delta aside
    assert row["accuracy_high"] == pytest.approx(high)


# ------------------------------------------------------------------- a usage log's load (14.4)


def _trace_usage(tmp_path: Path, counts: list[int], name: str) -> dict[str, float]:
    """The usage a run takes from a log whose minute i (from 09:00 UTC) holds counts[i]
    requests, evenly spaced; tokens depend on the request's rank only (same multiset for the
    same volume)."""
    import pandas as pd

    from llmdecide import measurements

    start = 1740992400  # 2025-03-03T09:00:00Z
    rows = []
    for i, c in enumerate(counts):
        for j in range(c):
            n = len(rows)
            rows.append((start + 60.0 * i + 60.0 * j / c, 200 + (n * 37) % 800, 50 + n % 300))
    path = tmp_path / f"{name}.csv"
    pd.DataFrame(rows, columns=["timestamp", "input_tokens", "output_tokens"]).to_csv(
        path, index=False
    )
    m = measurements.read_usage_log(path, "u.yaml", "measurements.usage_log", 60, **LOG)
    return {**m.as_usage_override(), **m.token_distribution()}


def _measured_ctx(usage: dict[str, float]) -> conf.Context:
    inputs = stages.load_inputs(RETAIL)
    intensity = {r: g.g_per_kwh for r, g in stages.intensities(inputs).items()}
    merged = {**inputs.usage, **usage}
    return conf.make_context(inputs.client, inputs.catalog, merged, intensity, measured_usage=True)


def _self_hosted_candidates(ctx: conf.Context, limit: int = 40) -> list[conf.Candidate]:
    from llmdecide.evaluation.self_hosted import serving_key

    seen, out = set(), []
    for c in conf.space(ctx.client, ctx.catalog).candidates:
        key = serving_key(c)
        if c.hosting == "cloud" and c.deployment_mode == "real_time" and key not in seen:
            seen.add(key)
            out.append(c)
    return out[:limit]


def test_a_burstier_trace_of_the_same_volume_never_gets_fewer_replicas(tmp_path: Path) -> None:
    # 100 minutes, 12 000 requests: every 10th minute 10 × (12 + 9b), the 9 others 10 × (12 − b);
    # the p99 of the 1-minute rates (ranks 98.01 of 99: two burst minutes) is 10 × (12 + 9b) / 60
    # = 2, 5, 9.5, 18.5 requests/s for b = 0, 2, 5, 11; volume, active hours, tokens unchanged
    replicas = []
    for b in (0, 2, 5, 11):
        counts = [10 * (12 + 9 * b) if i % 10 == 0 else 10 * (12 - b) for i in range(100)]
        usage = _trace_usage(tmp_path, counts, f"b{b}")
        assert usage["peak_requests_per_second"] == pytest.approx(10 * (12 + 9 * b) / 60)
        assert usage["requests_per_day"] == 12000
        ctx = _measured_ctx(usage)
        frame = conf.evaluate_candidates(ctx, _self_hosted_candidates(ctx))
        replicas.append(frame["replicas"].fillna(math.inf).to_numpy())
    for calmer, burstier in itertools.pairwise(replicas):
        assert (burstier >= calmer).all()
    finite = replicas[0] < math.inf
    assert (replicas[-1][finite] > replicas[0][finite]).any(), "the bursts must cost replicas"


def test_the_trace_token_spread_lengthens_the_p95_latency(tmp_path: Path) -> None:
    counts = [60] * 100
    usage = _trace_usage(tmp_path, counts, "steady")
    # tokens: input 200 + (37 n mod 800) and output 50 + (n mod 300): their p95 lie above the means
    assert usage["output_tokens_p95"] > usage["output_tokens"] + 100
    spread = _measured_ctx(usage)
    means_only = {k: v for k, v in usage.items() if "_p95" not in k and "_cv2" not in k}
    flat = _measured_ctx(means_only)
    cands = _self_hosted_candidates(spread, 8)
    a = conf.evaluate_candidates(spread, cands)
    b = conf.evaluate_candidates(flat, cands)
    ok = a["excluded_because"].eq("") & b["excluded_because"].eq("")
    ok &= a["replicas"].eq(b["replicas"])
    assert ok.any()
    # the p95 request's longer answer: a higher p95 end-to-end latency at the same replicas;
    # the means (throughput, cost of the same fleet) do not move
    assert (a.loc[ok, "p95_latency_s"] > b.loc[ok, "p95_latency_s"]).all()
    assert (a.loc[ok, "monthly_cost"] == b.loc[ok, "monthly_cost"]).all()
