"""API models and cloud offers of the December 2026 catalog (issue 12 items 1, 4, 5, 6; issue 13
item 4): every API id resolves in the pinned genai-prices and EcoLogits (offline), reasoning
fields are consistent, catalog speeds follow EcoLogits, commitment prices never exceed the
on-demand price, and the offers waiting for new GPU records load once those records exist."""

from __future__ import annotations

import itertools
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from _catalog_edit import copy_catalog as _copy
from _catalog_edit import edit as _edit
from _catalog_edit import problems as _problems
from llmdecide import catalog

ROOT = Path(__file__).resolve().parents[1]
FOLDER = ROOT / "params" / "catalog"

SPEC_V1 = {"gpt-4o", "gpt-4o-mini", "mistral-large"}
SPEC_V2 = {
    "gpt-6-sol",
    "gpt-6-luna",
    "gpt-5.4-mini",
    "gpt-5.4-nano",
    "claude-opus-5-5",
    "claude-sonnet-5-5",
    "claude-haiku-5-5",
    "gemini-3.1-pro-preview",
    "gemini-3.8-flash",
    "gemini-3.5-flash-lite",
    "mistral-large-4",
    "mistral-medium-3-5",
    "mistral-small-2603",
}
NEW_GPUS = {"H200-SXM", "B200", "MI300X", "MI325X", "RTX-PRO-6000"}
EUROPE = ("FRA", "DEU", "IRL", "NLD", "SWE", "GBR")

CAT = catalog.load()
API_IDS = sorted(CAT.api_models)


def _genai_model(provider: str, model_ref: str) -> Any:
    from genai_prices.data import providers

    (prov,) = [p for p in providers if p.id == provider]
    matches = [m for m in prov.models if m.id == model_ref]
    return matches[0] if matches else None


# ------------------------------------------------------------------------------------------------
# Ids against the pinned libraries (offline, bundled data)


def test_the_spec_model_list_is_in_the_catalog() -> None:
    assert set(CAT.api_models) >= SPEC_V1 | SPEC_V2


@pytest.mark.parametrize("name", API_IDS)
def test_api_id_resolves_in_genai_prices(name: str) -> None:
    from genai_prices import Usage, calc_price

    model = CAT.api_model(name)
    assert model.genai_prices_id is not None
    price = calc_price(
        Usage(input_tokens=1000, output_tokens=1000),
        model_ref=model.genai_prices_id,
        provider_id=model.provider,
        genai_request_timestamp=datetime.combine(CAT.method["prices_as_of"], datetime.min.time()),
    )
    assert float(price.total_price) > 0
    # the exact id, not a fuzzy match on another model
    assert price.model.id == model.genai_prices_id


@pytest.mark.parametrize("name", API_IDS)
def test_api_id_resolves_in_ecologits(name: str) -> None:
    from ecologits.model_repository import models

    model = CAT.api_model(name)
    found = models.find_model(provider=model.ecologits_provider, model_name=model.ecologits_id)
    assert found is not None, f"{model.ecologits_provider}/{model.ecologits_id}"
    assert found.name == model.ecologits_id


@pytest.mark.parametrize("name", API_IDS)
def test_ttft_and_speed_values_are_ecologits_deployment_figures(name: str) -> None:
    from llmdecide.estimators import api

    model = CAT.api_model(name)
    measured = api.ecologits_deployment(model.ecologits_provider, model.ecologits_id or name)
    assert measured is not None and model.ttft_s is not None
    assert model.output_tokens_per_s is not None
    assert model.ttft_s.value == pytest.approx(measured[0])
    assert model.output_tokens_per_s.value == pytest.approx(measured[1])
    # a spread, and a physical one
    assert 0 < model.ttft_s.low < model.ttft_s.value < model.ttft_s.high
    assert 0 < model.output_tokens_per_s.low < model.output_tokens_per_s.high


@pytest.mark.parametrize("name", API_IDS)
def test_context_window_is_genai_prices_where_it_carries_one(name: str) -> None:
    model = CAT.api_model(name)
    info = _genai_model(model.provider, model.genai_prices_id or name)
    assert info is not None
    if info.context_window is not None:
        assert model.context_tokens == info.context_window
    else:  # gemini-3.1-pro-preview: Google's page (input token limit 1,048,576)
        assert model.context_tokens > 0 and "ai.google.dev" in model.source


def test_hand_checked_api_records() -> None:
    # genai-prices 0.2.3 context windows; EcoLogits 0.11.3 deployment figures
    assert CAT.api_model("gpt-6-sol").context_tokens == 1_050_000
    assert CAT.api_model("claude-haiku-5-5").output_tokens_per_s.value == 147  # type: ignore[union-attr]
    assert CAT.api_model("mistral-medium-3-5").ttft_s.value == 0.36  # type: ignore[union-attr]
    # ttft spread 0.5x-2.5x of the value (assumption api_ttft_s: 0.3-1.5 around 0.6)
    ttft = CAT.api_model("gpt-4o-mini").ttft_s
    assert ttft is not None and (ttft.low, ttft.high) == (0.27, 1.35)  # 0.54*0.5, 0.54*2.5
    # GPQA Diamond 88.0 % on 198 questions: 1.96*sqrt(0.88*0.12/198) = 0.045
    mini = CAT.api_model("gpt-5.4-mini")
    assert mini.accuracy_proxy is not None
    assert mini.accuracy_proxy.value == 0.88
    assert (mini.accuracy_proxy.low, mini.accuracy_proxy.high) == (0.835, 0.925)
    assert "GPQA Diamond" in (mini.accuracy_benchmark or "")


def test_unknown_precision_is_null_not_invented() -> None:
    unknown = [
        name
        for name, m in CAT.api_models.items()
        if m.accuracy_proxy is None and not m.accuracy_by_effort
    ]
    # Artificial Analysis publishes no GPQA Diamond for GPT-6 Sol or Claude Opus 5.5 (null)
    assert "claude-opus-5-5" in unknown and "gpt-6-sol" in unknown
    for name in unknown:
        assert CAT.api_model(name).accuracy_benchmark is None, name


# Artificial Analysis's GPQA Diamond per effort variant (API v2 evaluations.gpqa, transcribed in
# fstandhartinger/model-market-comparison data/raw/artificialanalysis.json, 028ed7e / e1e200f),
# range = 95 % binomial interval on 198 questions, rounded to 3 decimals:
#   Gemini 3.8 Flash (Low) 0.920: 1.96*sqrt(0.920*0.080/198) = 0.0378 -> 0.882..0.958
#   Gemini 3.8 Flash (Medium) 0.935: 0.0343 -> 0.901..0.969; (High) 0.953: 0.0295 -> 0.924..0.982
#   GPT-5.4 mini (Medium) 0.823: 0.0532 -> 0.770..0.876 (no Low / High variant)
#   Mistral Small 4 (Non-reasoning) 0.571 at none: 0.0689 -> 0.502..0.640; (Reasoning) 0.769 at
#   high: 0.0587 -> 0.710..0.828
AA_GPQA = {
    "gemini-3.8-flash": {
        "low": (0.920, 0.882, 0.958),
        "medium": (0.935, 0.901, 0.969),
        "high": (0.953, 0.924, 0.982),
    },
    "gpt-5.4-mini": {"medium": (0.823, 0.770, 0.876)},
    "mistral-small-2603": {"none": (0.571, 0.502, 0.640), "high": (0.769, 0.710, 0.828)},
}


@pytest.mark.parametrize("name", sorted(AA_GPQA))
def test_published_accuracy_by_effort_is_recorded_with_its_interval(name: str) -> None:
    model = CAT.api_model(name)
    by_effort = model.accuracy_by_effort or {}
    assert set(by_effort) == set(AA_GPQA[name])  # only the published efforts
    for effort, (value, low, high) in AA_GPQA[name].items():
        r = by_effort[effort]  # type: ignore[index]
        assert (r.value, r.low, r.high) == (value, low, high), effort
    assert "GPQA Diamond" in (model.accuracy_benchmark or "")
    assert "secondary" in (model.note or "") and "artificialanalysis.json" in model.source


@pytest.mark.parametrize("name", API_IDS)
def test_every_accuracy_by_effort_is_a_198_question_interval(name: str) -> None:
    """Every recorded GPQA Diamond figure's range is its 95 % binomial interval on 198
    questions (to the 3-decimal rounding), and a higher effort never scores lower here."""
    by_effort = CAT.api_model(name).accuracy_by_effort or {}
    for effort, r in by_effort.items():
        half = 1.96 * (r.value * (1 - r.value) / 198) ** 0.5
        assert r.low == pytest.approx(r.value - half, abs=6e-4), effort
        assert r.high == pytest.approx(r.value + half, abs=6e-4), effort
    order = [e for e in catalog.REASONING_EFFORTS if e in by_effort]
    for lo, hi in itertools.pairwise(order):
        assert by_effort[lo].value < by_effort[hi].value, (name, lo, hi)  # type: ignore[index]


# ------------------------------------------------------------------------------------------------
# Reasoning


@pytest.mark.parametrize("name", API_IDS)
def test_reasoning_tokens_are_given_exactly_for_reasoning_models(name: str) -> None:
    model = CAT.api_model(name)
    if not model.reasoning:
        assert model.reasoning_tokens is None
        assert model.reasoning_efforts == []
        assert model.accuracy_by_effort is None
    else:
        assert model.reasoning_tokens is not None
        assert model.reasoning_efforts
        assert set(model.reasoning_tokens) == set(model.reasoning_efforts) - {"none"}
        assert set(model.reasoning_efforts) <= set(catalog.REASONING_EFFORTS)


def test_v1_models_do_not_reason_and_v2_ones_do() -> None:
    assert not any(CAT.api_model(n).reasoning for n in SPEC_V1)
    assert all(CAT.api_model(n).reasoning for n in SPEC_V2)


def test_reasoning_tokens_for_an_effort() -> None:
    zero = catalog.Range(value=0, low=0, high=0)
    # a non-reasoning model ignores the option
    assert CAT.api_model("gpt-4o").reasoning_tokens_for("high") == zero
    # Mistral Small 4 accepts none (0 tokens) and high (Artificial Analysis: 9,420.4 reasoning
    # tokens per index task, rounded, no spread)
    small = CAT.api_model("mistral-small-2603")
    assert small.reasoning_tokens_for("none") == zero
    assert small.reasoning_tokens_for("high") == catalog.Range(value=9420, low=9420, high=9420)
    assert small.reasoning_tokens_for("low") is None  # not accepted
    # Mistral Large 4 accepts high, but no figure is published: unknown, not invented
    assert CAT.api_model("mistral-large-4").reasoning_tokens_for("high") is None
    # Claude Opus 5.5 always thinks: 'none' is not available
    assert CAT.api_model("claude-opus-5-5").reasoning_tokens_for("none") is None


# Artificial Analysis's reasoning tokens per Intelligence Index v4.1 task (intelligenceIndex-
# OutputTokensPerTask.reasoning, transcription of 2026-10-03), rounded to whole tokens:
# GPT-6 Sol (Low/Medium/High) 699.66 / 2336.80 / 4993.81; Claude Opus 5.5 (Low/Medium/High,
# Default Fallback) 3376.03 / 11695.71 / 18236.59; Gemini 3.8 Flash (Medium/High) 26955.83 /
# 42727.14, no Low variant
AA_REASONING = {
    "gpt-6-sol": {"low": 700, "medium": 2337, "high": 4994},
    "claude-opus-5-5": {"low": 3376, "medium": 11696, "high": 18237},
    "gemini-3.8-flash": {"low": None, "medium": 26956, "high": 42727},
}


@pytest.mark.parametrize("name", sorted(AA_REASONING))
def test_published_reasoning_tokens_are_recorded_without_spread(name: str) -> None:
    model = CAT.api_model(name)
    for effort, tokens in AA_REASONING[name].items():
        got = model.reasoning_tokens_for(effort)
        if tokens is None:
            assert got is None, effort  # not published: unknown
        else:
            assert got == catalog.Range(value=tokens, low=tokens, high=tokens), effort
    assert "secondary" in (model.note or "") and "artificialanalysis.ai" in model.source


@pytest.mark.parametrize("name", API_IDS)
def test_a_higher_effort_never_reasons_less(name: str) -> None:
    """Monotonicity: where two efforts of one model have a figure, the higher one is larger."""
    model = CAT.api_model(name)
    if not model.reasoning:
        return  # every effort is 0 tokens
    known = [
        (e, r)
        for e in ("low", "medium", "high")
        if (r := model.reasoning_tokens_for(e)) is not None
    ]
    for (lo_effort, lo), (hi_effort, hi) in itertools.pairwise(known):
        assert lo.value < hi.value, (name, lo_effort, hi_effort)


def _api(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "provider": "openai",
        "ecologits_provider": "openai",
        "context_tokens": 1000,
        "source": "test",
        "retrieved": "2026-12-01",
    }
    return base | fields


def test_api_model_validation() -> None:
    rng = {"value": 500, "low": 200, "high": 900}
    ok = catalog.ApiModel.model_validate(
        _api(reasoning=True, reasoning_efforts=["none", "high"], reasoning_tokens={"high": rng})
    )
    assert ok.reasoning_tokens_for("high") == catalog.Range.model_validate(rng)
    bad = [
        _api(reasoning=False, reasoning_tokens={"high": rng}),  # tokens without reasoning
        _api(reasoning=True, reasoning_efforts=["low", "high"], reasoning_tokens={"high": rng}),
        _api(reasoning=True, reasoning_efforts=["high"]),  # efforts without tokens
        _api(reasoning=True, reasoning_tokens={"high": rng}),  # no efforts
        _api(accuracy_proxy=0.8),  # a proxy without its benchmark
        _api(accuracy_proxy=1.5, accuracy_benchmark="x"),  # not a fraction
        _api(reasoning=True, reasoning_efforts=["high", "high"], reasoning_tokens={"high": None}),
        _api(reasoning=True, reasoning_efforts=["extreme"], reasoning_tokens={}),
        _api(context_tokens=0),
    ]
    for fields in bad:
        with pytest.raises(ValidationError):
            catalog.ApiModel.model_validate(fields)


def test_a_bad_api_record_names_file_and_key(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    _edit(
        folder,
        "api_models.yaml",
        lambda d: d["api_models"]["mistral-small-2603"]["reasoning_tokens"].pop("high"),
    )
    problems = _problems(folder)
    message = problems["api_models.mistral-small-2603"]
    assert "api_models.yaml" in message and "reasoning_tokens needs exactly" in message


# ------------------------------------------------------------------------------------------------
# Cloud offers


def _offer(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "provider": "x",
        "gpu": "L4",
        "price_per_gpu_hour_usd": 2.0,
        "source": "test",
        "retrieved": "2026-12-01",
    }
    return base | fields


def test_commitment_prices_never_exceed_on_demand() -> None:
    ok = catalog.CloudOffer.model_validate(
        _offer(price_per_gpu_hour_usd_1y=1.5, price_per_gpu_hour_usd_3y=1.0)
    )
    assert (ok.price_usd("on_demand"), ok.price_usd("1y"), ok.price_usd("3y")) == (2.0, 1.5, 1.0)
    assert catalog.CloudOffer.model_validate(_offer()).price_usd("3y") is None
    for fields in (
        _offer(price_per_gpu_hour_usd_1y=2.5),  # 1y dearer than on demand
        _offer(price_per_gpu_hour_usd_1y=1.0, price_per_gpu_hour_usd_3y=1.2),  # 3y > 1y
        _offer(price_per_gpu_hour_usd_3y=2.1),  # 3y > on demand, no 1y published
        _offer(price_per_gpu_hour_usd_1y=0),
        _offer(price_per_gpu_hour_usd_3y=-1),
        _offer(price_per_gpu_hour_usd=-1),
    ):
        with pytest.raises(ValidationError):
            catalog.CloudOffer.model_validate(fields)


prices = st.floats(min_value=0.01, max_value=100, allow_nan=False)


@given(on_demand=prices, one=st.one_of(st.none(), prices), three=st.one_of(st.none(), prices))
def test_a_longer_commitment_never_raises_the_hourly_price(
    on_demand: float, one: float | None, three: float | None
) -> None:
    fields = _offer(
        price_per_gpu_hour_usd=on_demand,
        price_per_gpu_hour_usd_1y=one,
        price_per_gpu_hour_usd_3y=three,
    )
    chain = [p for p in (on_demand, one, three) if p is not None]
    monotone = all(a >= b for a, b in itertools.pairwise(chain))
    try:
        offer = catalog.CloudOffer.model_validate(fields)
    except ValidationError:
        assert not monotone
        return
    assert monotone
    published = [offer.price_usd(c) for c in ("on_demand", "1y", "3y")]
    known = [p for p in published if p is not None]
    assert known == sorted(known, reverse=True)


def test_a_dearer_commitment_in_the_catalog_is_rejected_with_its_key(tmp_path: Path) -> None:
    folder = _copy(tmp_path)

    def dearer(d: dict[str, Any]) -> None:
        offer = next(o for o in d["cloud_offers"] if o.get("price_per_gpu_hour_usd_1y"))
        offer["price_per_gpu_hour_usd_1y"] = offer["price_per_gpu_hour_usd"] * 2

    _edit(folder, "cloud_offers.yaml", dearer)
    problems = _problems(folder)
    assert any("never raises the price" in p for p in problems.values())


def test_every_offer_region_and_the_european_regions_exist() -> None:
    assert set(EUROPE) | {"USA"} <= set(CAT.regions)


@pytest.mark.parametrize("region", ["FRA", "DEU", "IRL", "NLD", "SWE", "GBR", "ESP", "USA"])
def test_a_client_in_this_region_gets_a_cloud_option(region: str) -> None:
    """The issue's regression: a French client allowed FRA/IRL/DEU got no cloud option
    (Ireland and the Netherlands had none until the Azure and GCP records)."""
    assert any(CAT.offers_for(gpu, region) for gpu in CAT.gpus), region


def test_offers_per_gpu_hour_are_the_instance_price_divided() -> None:
    # AWS p5.48xlarge eu-north-1: 58.8928 USD/h for 8 H100 = 7.3616 per GPU-hour
    (stockholm,) = [o for o in CAT.offers_for("H100-SXM", "SWE") if o.provider == "aws"]
    assert stockholm.gpus_per_instance == 8
    assert stockholm.price_per_gpu_hour_usd == pytest.approx(58.8928 / 8)
    # AWS p4de.24xlarge eu-central-1: 1-year 21.740553 USD/h / 8 = 2.7176 per GPU-hour
    (frankfurt,) = [o for o in CAT.offers_for("A100-80GB", "DEU") if o.provider == "aws"]
    assert frankfurt.price_per_gpu_hour_usd_1y == pytest.approx(21.740553 / 8, abs=1e-4)


def test_the_current_cheapest_offer_choice_still_works() -> None:
    # configurations.py picks min(offers, key=price_per_gpu_hour_usd) per (gpu, region)
    offers = CAT.offers_for("L40S", "USA")
    cheapest = min(offers, key=lambda o: o.price_per_gpu_hour_usd)
    assert cheapest is offers[0]


def test_secondary_sources_say_so() -> None:
    for i, offer in enumerate(CAT.cloud_offers):
        if "transcribed" in offer.source or "vantage" in offer.source:
            assert offer.note and "econdary" in offer.note, i


def test_new_gpus_have_cloud_offers_cheapest_first() -> None:
    """The H200/B200/MI300X/RTX PRO 6000 offers (once pending on their GPU records) load."""
    h200 = [o.price_per_gpu_hour_usd for o in CAT.offers_for("H200-SXM", "USA")]
    assert h200 == sorted(h200) and len(h200) >= 3
    assert CAT.offers_for("B200", "FRA")
    for gpu in NEW_GPUS:
        if gpu != "MI325X":  # no published offer found (docs/catalog.md)
            assert any(o.gpu == gpu for o in CAT.cloud_offers), gpu


# ------------------------------------------------------------------------------------------------
# Currency rates and the prices converted at them (issue 12 item 4: rates with their date)


def test_currency_rates_are_the_ecb_reference_rates_of_one_day() -> None:
    eur, gbp = CAT.currency_rates["EUR"], CAT.currency_rates["GBP"]
    # ECB 30 October 2026: 1.1172 USD and 0.83380 GBP per EUR
    assert eur.usd_per_unit == 1.1172
    # GBP is the cross rate of the same day: 1.1172 / 0.83380 = 1.33989 -> 1.3399
    assert gbp.usd_per_unit == pytest.approx(1.1172 / 0.83380, abs=5e-5)
    assert eur.date == gbp.date == datetime(2026, 10, 30).date()
    assert CAT.usd_per("gbp") == gbp.usd_per_unit


_CONVERTED = re.compile(r"([\d.]+) (EUR/h|EUR/kWh|p/kWh) x ([\d.]+) USD/(EUR|GBP) \(catalog rate")


def _converted_records() -> list[tuple[str, float, float, str, float]]:
    """(name, catalog figure, original figure, currency, rate written) of every record whose
    note says it was converted at the catalog's rate."""
    out = []
    for i, offer in enumerate(CAT.cloud_offers):
        for m in _CONVERTED.finditer(offer.note or ""):
            out.append(
                (f"cloud_offers[{i}]", offer.price_per_gpu_hour_usd, float(m[1]), m[4], float(m[3]))
            )
    for code, region in CAT.regions.items():
        for m in _CONVERTED.finditer(region.note or ""):
            pence = m[2] == "p/kWh"
            original = float(m[1]) / (100 if pence else 1)
            out.append(
                (
                    f"regions.{code}",
                    region.electricity_price_usd_per_kwh,
                    original,
                    m[4],
                    float(m[3]),
                )
            )
    return out


def test_converted_prices_follow_the_catalog_rate() -> None:
    """A refreshed rate that leaves a converted price behind fails here, naming the record."""
    records = _converted_records()
    # the 3 Scaleway EUR prices and the 7 European electricity prices (6 EUR, 1 GBP)
    assert len(records) == 10
    for name, figure, original, currency, rate in records:
        assert rate == CAT.usd_per(currency), name
        # catalog figures are rounded to at most 3 decimals
        assert figure == pytest.approx(original * rate, abs=5e-4), name


def test_hand_checked_converted_prices() -> None:
    (h100,) = [o for o in CAT.offers_for("H100-PCIe", "FRA") if o.provider == "scaleway"]
    assert h100.price_per_gpu_hour_usd == 3.05  # 2.73 EUR x 1.1172 = 3.0500
    assert CAT.regions["FRA"].electricity_price_usd_per_kwh == 0.173  # 0.155 x 1.1172 = 0.1732
    assert CAT.regions["GBR"].electricity_price_usd_per_kwh == 0.308  # 0.23 GBP x 1.3399 = 0.3082


def test_new_european_and_single_gpu_offers() -> None:
    # AWS eu-south-2 (Spain): p5en.48xlarge 68.35968 USD/h / 8 H200 = 8.54496 per GPU-hour
    (madrid,) = [o for o in CAT.offers_for("H200-SXM", "ESP") if o.provider == "aws"]
    assert madrid.price_per_gpu_hour_usd == pytest.approx(68.35968 / 8)
    # g6e.xlarge eu-south-2: 1-year reserved 1.23543 below on demand 1.961
    (l40s,) = CAT.offers_for("L40S", "ESP")
    assert (l40s.price_per_gpu_hour_usd, l40s.price_per_gpu_hour_usd_1y) == (1.961, 1.23543)
    # p5.4xlarge: one H100 at the p5.48xlarge price per GPU-hour (55.04 / 8 = 6.88 in us-east-1)
    single = [o for o in CAT.offers_for("H100-SXM", "USA") if o.instance == "p5.4xlarge"]
    assert [(o.gpus_per_instance, o.price_per_gpu_hour_usd) for o in single] == [(1, 55.04 / 8)]


def test_aws_b200_in_stockholm_and_paris() -> None:
    # gpuhunt book of 2026-10-10: per-GPU rows, p6-b200.48xlarge (8 x B200) eu-north-1 17.90525125
    # (x 8 = 143.242 USD/h) and eu-west-3 21.7896475 (x 8 = 174.3172 USD/h); no commitment price
    (swe,) = [o for o in CAT.offers_for("B200", "SWE") if o.provider == "aws"]
    (fra,) = [o for o in CAT.offers_for("B200", "FRA") if o.provider == "aws"]
    assert swe.price_per_gpu_hour_usd * 8 == pytest.approx(143.242)
    assert fra.price_per_gpu_hour_usd * 8 == pytest.approx(174.3172)
    assert swe.price_usd("1y") is None and swe.price_usd("3y") is None
    # Stockholm is dearer than us-east-1 (14.2416) and cheaper than Paris
    (usa,) = [o for o in CAT.offers_for("B200", "USA") if o.provider == "aws"]
    assert usa.price_per_gpu_hour_usd < swe.price_per_gpu_hour_usd < fra.price_per_gpu_hour_usd


def test_gcp_and_azure_european_offers_hand_checked() -> None:
    # GCP a3-highgpu-8g europe-west4 (NLD), Billing catalogue of 2026-07-30:
    # 112.540479 USD/h / 8 = 14.0676; 1-year 56991.97 USD/month / 730 h / 8 = 9.7589;
    # 3-year 36078.20 USD/month / 730 h / 8 = 6.1778 per GPU-hour
    (a3,) = [o for o in CAT.offers_for("H100-SXM", "NLD") if o.provider == "gcp"]
    assert [a3.price_usd(c) for c in ("on_demand", "1y", "3y")] == [14.0676, 9.7589, 6.1778]
    assert a3.price_per_gpu_hour_usd_3y == pytest.approx(36078.20074112 / 730 / 8, abs=5e-5)
    # Azure ND96isr H200 v5 North Europe (IRL): 101.76 USD/h / 8 = 12.72, no commitment price
    (h200,) = [o for o in CAT.offers_for("H200-SXM", "IRL") if o.provider == "azure"]
    assert h200.price_per_gpu_hour_usd == pytest.approx(101.76 / 8)
    assert h200.price_usd("1y") is None and h200.price_usd("3y") is None
    # Azure ND96amsr A100 v4 West Europe: 40.962 / 8 = 5.1203, 1-year savings plan
    # 35.3051478 / 8 = 4.4131 per GPU-hour
    (a100,) = [o for o in CAT.offers_for("A100-80GB", "NLD") if o.provider == "azure"]
    assert (a100.price_per_gpu_hour_usd, a100.price_per_gpu_hour_usd_1y) == (5.1203, 4.4131)


@pytest.mark.parametrize("region", ["NLD", "DEU", "GBR", "FRA", "ESP", "USA"])
def test_a_3_year_price_is_published_in_this_region(region: str) -> None:
    """GCP's committed-use prices: the first 3-year prices of the catalog (IRL and SWE have
    none: no GCP region there, and neither AWS nor Azure's transcriptions carry a 3-year term)."""
    offers = [o for gpu in CAT.gpus for o in CAT.offers_for(gpu, region)]
    assert any(o.price_usd("3y") is not None for o in offers), region
