"""Estimators (docs/method.md): hand-computed values, edge cases and monotonicity over grids.

Each test checks one estimator function of ``llmdecide.estimators`` on its own, with the expected
figure worked out by hand in the comment beside it (catalog-like inputs: llama-3.1-8b's 8.03 B
parameters, H100-SXM's 700 W TDP and 70 W idle). The chain of those functions over a real
candidate (tokens → sizing → energy → cost, per hosting type) is the product's
(``llmdecide.evaluation``), checked by hand in tests/test_configurations.py — never rebuilt here.
No mocks: the API estimators call the pinned genai-prices 0.2.3 and EcoLogits 0.11.3 on their
bundled data, offline.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from datetime import datetime

import pytest

from llmdecide.estimators import api, cost, energy, memory, precision

REL = 1e-9
AS_OF = datetime(2026, 11, 1)


def approx(value: float) -> object:
    return pytest.approx(value, rel=REL)


def non_decreasing(values: list[float]) -> bool:
    return all(b >= a for a, b in itertools.pairwise(values))


# --------------------------------------------------------------------------------------------
# memory.py


@pytest.mark.parametrize(
    ("params_b", "bits", "expected_gb"),
    [
        (8.03, 16, 16.06),  # 8.03e9 × 16 / 8 = 16.06e9 B = 16.06 GB
        (8.03, 8, 8.03),  # 8.03e9 × 8 / 8 = 8.03 GB
        (8.03, 4, 4.015),  # 8.03e9 × 4 / 8 = 4.015 GB
        (70.55, 16, 141.1),  # 70.55e9 × 2 B = 141.1 GB
    ],
)
def test_weights_gb(params_b: float, bits: int, expected_gb: float) -> None:
    assert memory.weights_gb(params_b, bits) == approx(expected_gb)


def test_api_p95_latency() -> None:
    # p95 = 1.2295 s generation × 1.5 + 0.05 (network) + 0.1 (retrieval) = 1.99425 s
    assert api.api_p95_latency_s(1.2295, 1.5, 0.15) == approx(1.99425)
    # factor 1, nothing fixed: the mean itself
    assert api.api_p95_latency_s(2.0, 1.0, 0.0) == approx(2.0)


# --------------------------------------------------------------------------------------------
# cost.py


def test_cloud_and_on_premise_costs() -> None:
    # 2 400 GPU-h × 2.50 USD × region factor 1.1 = 6 600 USD/month
    assert cost.cloud_compute_usd_per_month(2_400, 2.5, 1.1) == approx(6_600.0)
    # 8 GPUs × 40 000 USD / 36 months = 8 888.89 USD/month; up front 320 000 USD
    assert cost.capex_usd_per_month(8, 40_000, 36) == approx(320_000 / 36)
    assert cost.capex_usd(8, 40_000) == approx(320_000.0)
    # 3 398.88 kWh × 0.20 USD/kWh = 679.776 USD
    assert cost.energy_usd_per_month(3_398.88, 0.2) == approx(679.776)
    # 8 GPUs × 150 USD/GPU-month = 1 200 USD
    assert cost.operations_usd_per_month(8, 150.0) == approx(1_200.0)


def test_api_and_rag_costs() -> None:
    # 0.00045 USD/request × 100 000 requests = 45 USD
    assert cost.api_usd_per_month(0.00045, 100_000) == approx(45.0)
    # 10 GB × 0.33 USD/GB-month = 3.30 USD
    assert cost.vector_store_usd_per_month(10, 0.33) == approx(3.3)
    # 5 000 000 tokens / 1e6 × 0.02 USD = 0.10 USD; 10 GB × 50 M tokens/GB → 500 M × 0.02 = 10 USD
    assert cost.embedding_usd(5_000_000, 0.02) == approx(0.1)
    assert cost.embedding_usd(10 * 50_000_000, 0.02) == approx(10.0)


def test_to_currency() -> None:
    # 116 USD at 1.16 USD per EUR = 100 EUR; USD to USD unchanged
    assert cost.to_currency(116.0, 1.16) == approx(100.0)
    assert cost.to_currency(42.0, 1.0) == 42.0


VOLUMES = [100.0, 1_000.0, 10_000.0, 100_000.0]
API_COST = [10.0, 100.0, 1_000.0, 10_000.0]  # 0.10 USD per daily request


def test_break_even_interpolates_between_samples() -> None:
    # own 500 flat: above the API at 1 000 (gap 400), below at 10 000 (gap −500)
    # → 1 000 + 9 000 × 400 / (400 + 500) = 5 000 (where 0.1 × v = 500)
    own = [500.0, 500.0, 500.0, 500.0]
    assert cost.break_even_requests_per_day(VOLUMES, API_COST, own) == approx(5_000.0)
    # own 2 000 + 0.05 × v: gap −ve first at 100 000 (7 000 vs 10 000); at 10 000 gap 1 500
    # → 10 000 + 90 000 × 1 500 / (1 500 + 3 000) = 40 000 (2 000 + 0.05 v = 0.1 v)
    own = [2_000 + 0.05 * v for v in VOLUMES]
    assert cost.break_even_requests_per_day(VOLUMES, API_COST, own) == approx(40_000.0)


def test_break_even_at_a_sample_and_from_the_start() -> None:
    # equal at 10 000 (1 000 = 1 000): gap 0 there → exactly 10 000
    own = [1_000.0, 1_000.0, 1_000.0, 1_000.0]
    assert cost.break_even_requests_per_day(VOLUMES, API_COST, own) == approx(10_000.0)
    # cheaper from the first volume → the first volume
    assert cost.break_even_requests_per_day(VOLUMES, API_COST, [1.0, 1.0, 1.0, 1.0]) == 100.0


def test_break_even_none_when_never_cheaper() -> None:
    own = [20_000.0] * 4
    assert cost.break_even_requests_per_day(VOLUMES, API_COST, own) is None
    assert cost.break_even_requests_per_day([], [], []) is None


def test_break_even_skips_a_missing_sample() -> None:
    # self-hosted cost unknown at 100, cheaper from 1 000 on → expected 1 000 (first finite crossing)
    own = [math.nan, 50.0, 50.0, 50.0]
    assert cost.break_even_requests_per_day(VOLUMES, API_COST, own) == 1_000.0


def test_break_even_rejects_mismatched_curves() -> None:
    with pytest.raises(ValueError):
        cost.break_even_requests_per_day(VOLUMES, API_COST, [1.0])


# --------------------------------------------------------------------------------------------
# energy.py


def test_gpu_power_w() -> None:
    # H100-SXM: 70 + (700 − 70) × 0.5 = 385 W; idle at 0, TDP at 1
    assert energy.gpu_power_w(700, 70, 0.5) == approx(385.0)
    assert energy.gpu_power_w(700, 70, 0.0) == approx(70.0)
    assert energy.gpu_power_w(700, 70, 1.0) == approx(700.0)


def test_energy_kwh() -> None:
    # 8 GPUs × (385 W + 100 W server share) × 730 h × PUE 1.2 / 1 000 = 3 398.88 kWh
    assert energy.energy_kwh(8, 385, 100, 730, 1.2) == approx(3_398.88)
    # idle floor: 1 GPU × 70 W × 16 h × 30 days × 1.0 = 33.6 kWh
    assert energy.energy_kwh(1, 70, 0, 16 * 30, 1.0) == approx(33.6)
    assert energy.energy_kwh(0, 385, 100, 730, 1.2) == 0.0


def test_wh_per_1k_output_tokens() -> None:
    # 3 398.88 kWh = 3 398 880 Wh over 1e8 tokens = 1e5 thousands → 33.9888 Wh per 1 000 tokens
    assert energy.wh_per_1k_output_tokens(3_398.88, 1e8) == approx(33.9888)
    assert math.isnan(energy.wh_per_1k_output_tokens(math.nan, 1e8))


# --------------------------------------------------------------------------------------------
# precision.py


@pytest.mark.parametrize(
    ("base", "deltas", "expected"),
    [
        (0.8, [], 0.8),  # no delta
        (0.8, [-0.02, 0.05], 0.83),  # 0.8 − 0.02 + 0.05 = 0.83
        (0.694, [-0.01, -0.03], 0.654),  # llama-3.1-8b proxy, int8 −1 pt, uploads −3 pts
        (0.98, [0.05], 1.0),  # 1.03 clipped to 1
        (0.01, [-0.05], 0.0),  # −0.04 clipped to 0
    ],
)
def test_accuracy(base: float, deltas: list[float], expected: float) -> None:
    assert precision.accuracy(base, deltas) == pytest.approx(expected, abs=1e-12)


def test_accuracy_takes_any_iterable() -> None:
    assert precision.accuracy(0.5, (d for d in (0.1, 0.1))) == pytest.approx(0.7)
    assert {precision.MEASURED, precision.PROXY} == {"measured", "proxy"}


# --------------------------------------------------------------------------------------------
# api.py (genai-prices 0.2.3 and EcoLogits 0.11.3, bundled data, offline)


def test_api_latency_s() -> None:
    # 0.54 s TTFT + 500 tokens / 79 tokens/s (6.3291 s) + 0.05 s network = 6.9191 s
    assert api.api_latency_s(0.54, 500, 79, 0.05) == approx(0.54 + 500 / 79 + 0.05)
    assert api.api_latency_s(0.54, 500, 79, 0.05) == pytest.approx(6.9191, abs=1e-4)
    # no output: TTFT + fixed
    assert api.api_latency_s(0.6, 0, 70, 0.15) == approx(0.75)


def test_api_usd_per_request_gpt_4o_mini() -> None:
    # gpt-4o-mini: 0.15 USD per M input, 0.60 per M output → 1 M + 1 M = 0.15 + 0.60 = 0.75 USD
    assert api.api_usd_per_request(
        "gpt-4o-mini", "openai", 1_000_000, 1_000_000, False, AS_OF
    ) == pytest.approx(0.75)
    # batch API: half price → 0.375 USD
    assert api.api_usd_per_request(
        "gpt-4o-mini", "openai", 1_000_000, 1_000_000, True, AS_OF
    ) == pytest.approx(0.375)
    # 1 000 in + 500 out: 1 000 × 0.15e-6 + 500 × 0.60e-6 = 0.00015 + 0.0003 = 0.00045 USD
    assert api.api_usd_per_request("gpt-4o-mini", "openai", 1_000, 500, False, AS_OF) == (
        pytest.approx(0.00045)
    )
    assert api.api_usd_per_request("gpt-4o-mini", "openai", 1_000, 500, True, AS_OF) == (
        pytest.approx(0.000225)
    )


def test_api_usd_per_request_gpt_4o() -> None:
    # gpt-4o: 2.50 USD per M input + 10 per M output = 12.50 USD; batch 6.25 USD
    assert api.api_usd_per_request(
        "gpt-4o", "openai", 1_000_000, 1_000_000, False, AS_OF
    ) == pytest.approx(12.5)
    assert api.api_usd_per_request(
        "gpt-4o", "openai", 1_000_000, 1_000_000, True, AS_OF
    ) == pytest.approx(6.25)


def test_ecologits_deployment_gpt_4o_mini() -> None:
    found = api.ecologits_deployment("openai", "gpt-4o-mini")
    assert found is not None
    ttft, tps = found
    assert ttft > 0 and tps > 0
    assert ttft < 5 and tps < 1_000  # seconds and tokens per second, not ms or tokens per minute
    assert api.ecologits_deployment("openai", "no-such-model-xyz") is None


def test_ecologits_datacenter_zone() -> None:
    zone = api.ecologits_datacenter_zone("openai")
    assert isinstance(zone, str) and zone
    assert api.ecologits_datacenter_zone("no-such-provider-xyz") is None


def test_api_impacts_per_request_gpt_4o_mini() -> None:
    zone = api.ecologits_datacenter_zone("openai")
    impacts = api.api_impacts_per_request("openai", "gpt-4o-mini", 500, 7.0, zone)
    assert impacts is not None
    assert 0 < impacts.energy_kwh_low <= impacts.energy_kwh_high
    assert 0 < impacts.gwp_kg_low <= impacts.gwp_kg_high
    assert impacts.energy_kwh == approx((impacts.energy_kwh_low + impacts.energy_kwh_high) / 2)
    assert impacts.gwp_kg == approx((impacts.gwp_kg_low + impacts.gwp_kg_high) / 2)
    assert impacts.zone == zone
    assert isinstance(impacts.warnings, tuple)
    # a few hundred tokens of a small model: well under 0.01 kWh per request
    assert impacts.energy_kwh_high < 0.01


def test_api_impacts_per_request_unknown() -> None:
    assert api.api_impacts_per_request("openai", "no-such-model-xyz", 500, 7.0, "USA") is None
    # an electricity-mix zone EcoLogits does not know
    assert api.api_impacts_per_request("openai", "gpt-4o-mini", 500, 7.0, "XYZ") is None


def test_api_impacts_without_zone_reports_empty_zone() -> None:
    impacts = api.api_impacts_per_request("openai", "gpt-4o-mini", 500, 7.0, None)
    assert impacts is not None and impacts.zone == ""


# --------------------------------------------------------------------------------------------
# Monotonicity over grids


@pytest.mark.parametrize("params_b", [0.5, 8.03, 70.55, 405.0])
def test_more_bits_never_lower_weights(params_b: float) -> None:
    assert non_decreasing([memory.weights_gb(params_b, b) for b in (4, 8, 16, 32)])


@pytest.mark.parametrize("output_tokens", [50, 500])
def test_more_traffic_or_tokens_never_lowers_api_cost(output_tokens: int) -> None:
    per_request = [
        api.api_usd_per_request("gpt-4o-mini", "openai", n, output_tokens, False, AS_OF)
        for n in (0, 100, 1_000, 10_000)
    ]
    assert non_decreasing(per_request)
    per_month = [cost.api_usd_per_month(per_request[-1], n) for n in (0, 1e3, 1e5, 1e7)]
    assert non_decreasing(per_month)
    # the batch price is never above the real-time one
    batch = api.api_usd_per_request("gpt-4o-mini", "openai", 1_000, output_tokens, True, AS_OF)
    assert batch <= per_request[2]


def test_more_output_tokens_never_lower_api_energy() -> None:
    # EcoLogits' impacts of one request at a fixed latency: more generated tokens, never less
    # energy nor emissions (the API evaluation's own chain, with its latency from the tokens,
    # is checked in tests/test_configurations.py)
    zone = api.ecologits_datacenter_zone("openai")
    rows = [
        api.api_impacts_per_request("openai", "gpt-4o-mini", n, 7.0, zone)
        for n in (10, 100, 500, 2_000)
    ]
    assert all(r is not None for r in rows)
    assert non_decreasing([r.energy_kwh for r in rows if r is not None])
    assert non_decreasing([r.gwp_kg for r in rows if r is not None])


@pytest.mark.parametrize(("tdp", "idle"), [(700, 70), (350, 45), (72, 16), (100, 100)])
def test_more_utilisation_never_lowers_power(tdp: float, idle: float) -> None:
    powers = [energy.gpu_power_w(tdp, idle, u) for u in (0.0, 0.1, 0.25, 0.5, 0.9, 1.0)]
    assert non_decreasing(powers)
    assert powers[0] == approx(idle) and powers[-1] == approx(tdp)


@pytest.mark.parametrize("hours", [1.0, 730.0])
def test_more_gpus_hours_or_pue_never_lower_energy(hours: float) -> None:
    assert non_decreasing([energy.energy_kwh(g, 385, 100, hours, 1.2) for g in (0, 1, 2, 8)])
    assert non_decreasing([energy.energy_kwh(8, 385, 100, h, 1.2) for h in (0, hours, 2 * hours)])
    assert non_decreasing([energy.energy_kwh(8, 385, 100, hours, p) for p in (1.0, 1.1, 1.56, 2)])


PRICES = [0.0, 0.01, 0.2, 2.5, 40_000.0]


@pytest.mark.parametrize(
    "cost_at",
    [
        lambda p: cost.cloud_compute_usd_per_month(2_400, p, 1.1),
        lambda p: cost.cloud_compute_usd_per_month(2_400, 2.5, 1 + p),
        lambda p: cost.capex_usd_per_month(8, p, 36),
        lambda p: cost.capex_usd(8, p),
        lambda p: cost.energy_usd_per_month(3_398.88, p),
        lambda p: cost.operations_usd_per_month(8, p),
        lambda p: cost.api_usd_per_month(p, 100_000),
        lambda p: cost.vector_store_usd_per_month(10, p),
        lambda p: cost.embedding_usd(5e6, p),
    ],
    ids=[
        "cloud-price",
        "cloud-factor",
        "capex-month",
        "capex",
        "electricity",
        "operations",
        "api",
        "vector-store",
        "embedding",
    ],
)
def test_higher_price_never_lowers_cost(cost_at: Callable[[float], float]) -> None:
    assert non_decreasing([cost_at(p) for p in PRICES])


@pytest.mark.parametrize("horizon", [12.0, 36.0, 60.0])
def test_longer_horizon_never_raises_monthly_capex(horizon: float) -> None:
    assert cost.capex_usd_per_month(8, 40_000, 2 * horizon) <= cost.capex_usd_per_month(
        8, 40_000, horizon
    )


@pytest.mark.parametrize(
    "deltas", [[], [-0.01], [-0.01, -0.03], [0.05, -0.02, -0.1], [0.5], [-0.9]]
)
def test_accuracy_stays_within_0_and_1_and_grows_with_base(deltas: list[float]) -> None:
    values = [precision.accuracy(b, deltas) for b in (0.0, 0.3, 0.694, 0.82, 1.0)]
    assert all(0.0 <= v <= 1.0 for v in values)
    assert non_decreasing(values)
