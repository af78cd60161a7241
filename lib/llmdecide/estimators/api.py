"""Third-party API models: latency, price (genai-prices) and per-request impacts (EcoLogits).

Both libraries are pinned (pyproject.toml) and used offline from their bundled data. Prices are
looked up at a fixed date (the catalog's ``prices_as_of``) so that a run is reproducible.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache


def api_latency_s(
    ttft_s: float, output_tokens: float, output_tokens_per_s: float, fixed_s: float
) -> float:
    """Time to first token + output tokens / generation speed + fixed parts (network, retrieval)."""
    return ttft_s + output_tokens / output_tokens_per_s + fixed_s


def api_p95_latency_s(generation_s: float, p95_factor: float, fixed_s: float) -> float:
    """p95 latency of an API call: its generation time inflated by the provider-side queueing
    factor (p95 / mean), plus the fixed parts (network round trip, retrieval)."""
    return generation_s * p95_factor + fixed_s


@lru_cache(maxsize=4096)
def api_usd_per_request(
    model_ref: str,
    provider_id: str,
    input_tokens: int,
    output_tokens: int,
    batch: bool,
    as_of: datetime,
    cache_read_tokens: int = 0,
    cache_write_tokens: int = 0,
) -> float:
    """Price of one request from genai-prices (``calc_price``); the batch price variant in batch
    mode (the same price where the provider publishes no batch discount). ``input_tokens``
    counts the whole prompt; the cache-read and cache-write tokens among them are billed at the
    model's cache prices (genai-prices bills written tokens at the input price where the model
    has no cache-write price). Reasoning tokens are output tokens."""
    # genai-prices (~1 s to import): only API candidates need it
    from genai_prices import Usage, calc_price

    context = {"processing": "batch"} if batch else None
    price = calc_price(
        Usage(
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            cache_read_tokens=cache_read_tokens or None,
            cache_write_tokens=cache_write_tokens or None,
        ),
        model_ref=model_ref,
        provider_id=provider_id,
        genai_request_timestamp=as_of,
        price_context=context,
    )
    return float(price.total_price)


@dataclass(frozen=True)
class ApiImpacts:
    """EcoLogits' per-request energy and GWP ranges (usage phase + embodied), and its warnings."""

    energy_kwh_low: float
    energy_kwh_high: float
    gwp_kg_low: float
    gwp_kg_high: float
    zone: str
    warnings: tuple[str, ...]

    @property
    def energy_kwh(self) -> float:
        return (self.energy_kwh_low + self.energy_kwh_high) / 2

    @property
    def gwp_kg(self) -> float:
        return (self.gwp_kg_low + self.gwp_kg_high) / 2


def _bounds(value: object) -> tuple[float, float]:
    low = getattr(value, "min", None)
    if low is None:
        v = float(value)  # type: ignore[arg-type]
        return v, v
    return float(low), float(value.max)  # type: ignore[attr-defined]


@lru_cache(maxsize=4096)
def api_impacts_per_request(
    provider: str, model_name: str, output_tokens: int, latency_s: float, zone: str | None
) -> ApiImpacts | None:
    """EcoLogits ``llm_impacts`` for one request (offline, bundled data). EcoLogits models the
    generated tokens only (input tokens are ignored: the report says so). ``None`` when EcoLogits
    does not know the model or the zone."""
    # ecologits (~0.8 s to import): only API candidates need it
    from ecologits.tracers.utils import llm_impacts

    logging.getLogger("ecologits").setLevel(logging.ERROR)
    impacts = llm_impacts(provider, model_name, output_tokens, latency_s, zone)
    if impacts.errors or impacts.energy is None or impacts.gwp is None:
        return None
    e_low, e_high = _bounds(impacts.energy.value)
    g_low, g_high = _bounds(impacts.gwp.value)
    warnings = tuple(sorted({w.code for w in (impacts.warnings or [])}))
    return ApiImpacts(e_low, e_high, g_low, g_high, zone or "", warnings)


def cached_prompt_usd_per_request(
    price_hit_usd: float, price_miss_usd: float, hit_rate: float
) -> float:
    """Mean price of a request whose shared prefix is read from the cache with probability
    ``hit_rate`` (cache-read price) and written to it otherwise (cache-write price)."""
    return hit_rate * price_hit_usd + (1.0 - hit_rate) * price_miss_usd


@lru_cache(maxsize=256)
def has_cache_prices(model_ref: str, provider_id: str, as_of: datetime) -> bool:
    """Whether genai-prices publishes a cache-read price for the model."""
    # genai-prices (~1 s to import): only API candidates need it
    from genai_prices import Usage, calc_price

    with_cache = calc_price(
        Usage(input_tokens=1_000_000, cache_read_tokens=1_000_000, output_tokens=0),
        model_ref=model_ref,
        provider_id=provider_id,
        genai_request_timestamp=as_of,
    )
    plain = calc_price(
        Usage(input_tokens=1_000_000, output_tokens=0),
        model_ref=model_ref,
        provider_id=provider_id,
        genai_request_timestamp=as_of,
    )
    return float(with_cache.total_price) < float(plain.total_price)


@lru_cache(maxsize=256)
def ecologits_deployment(provider: str, model_name: str) -> tuple[float, float] | None:
    """(ttft_s, output tokens per second) EcoLogits ships for the model (OpenRouter measurements)."""
    # ecologits (~0.8 s to import): only API candidates need it
    from ecologits.model_repository import models

    model = models.find_model(provider=provider, model_name=model_name)
    if model is None or model.deployment is None:
        return None
    if model.deployment.ttft is None or model.deployment.tps is None:
        return None
    return float(model.deployment.ttft), float(model.deployment.tps)


@lru_cache(maxsize=256)
def ecologits_datacenter_zone(provider: str) -> str | None:
    """The electricity-mix zone EcoLogits assigns to a provider's data centres."""
    # ecologits (~0.8 s to import): only API candidates need it
    from ecologits.tracers.utils import PROVIDER_CONFIG_MAP

    config = PROVIDER_CONFIG_MAP.get(provider)
    return getattr(config, "datacenter_location", None) if config else None
