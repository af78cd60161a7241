"""Monthly cost of each hosting, set-up cost, RAG cost and the API / self-hosted break-even.

Every amount here is in USD (catalog prices are in USD); ``to_currency`` converts at the catalog
rate, whose date is shown in the report.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from llmdecide.units import MILLION

Num = Any  # a float or a numpy array (one element per configuration)


def cloud_compute_usd_per_month(
    gpu_hours_per_month: Num, price_per_gpu_hour_usd: Num, cloud_price_factor: Num
) -> Num:
    """Rented GPUs: GPU-hours × hourly price per GPU × the region's price factor."""
    return gpu_hours_per_month * price_per_gpu_hour_usd * cloud_price_factor


def capex_usd_per_month(gpus: Num, server_price_usd_per_gpu: Num, horizon_months: Num) -> Num:
    """Owned servers: purchase price (GPU + its share of the server) amortised over the horizon."""
    return gpus * server_price_usd_per_gpu / horizon_months


def capex_usd(gpus: Num, server_price_usd_per_gpu: Num) -> Num:
    """Up-front purchase of the servers (a set-up cost)."""
    return gpus * server_price_usd_per_gpu


def energy_usd_per_month(energy_kwh_per_month: Num, electricity_usd_per_kwh: Num) -> Num:
    """Electricity bill of owned servers (the energy already includes the PUE)."""
    return energy_kwh_per_month * electricity_usd_per_kwh


def operations_usd_per_month(gpus: Num, operations_usd_per_gpu_month: Num) -> Num:
    """Operating owned servers (hosting space, maintenance, staff share) per GPU and month."""
    return gpus * operations_usd_per_gpu_month


def api_usd_per_month(usd_per_request: float, requests_per_month: float) -> float:
    """Third-party API: price per request × requests (linear in volume)."""
    return usd_per_request * requests_per_month


def vector_store_usd_per_month(documents_gb: float, usd_per_gb_month: float) -> float:
    """Hosting the RAG document index."""
    return documents_gb * usd_per_gb_month


def embedding_usd(tokens: float, usd_per_million_tokens: float) -> float:
    """Embedding ``tokens`` tokens (documents once at set-up, or queries each month)."""
    return tokens / MILLION * usd_per_million_tokens


def to_currency(amount_usd: float, usd_per_unit: float) -> float:
    """USD → client currency at a catalog rate (USD per unit of the currency)."""
    return amount_usd / usd_per_unit


def break_even_requests_per_day(
    requests_per_day: Sequence[float],
    api_cost: Sequence[float],
    self_hosted_cost: Sequence[float],
) -> float | None:
    """The smallest daily volume from which self-hosting costs no more than the API, by linear
    interpolation on a cost curve sampled at increasing volumes; ``None`` when it never does."""
    points = [
        (v, a, s)
        for v, a, s in zip(requests_per_day, api_cost, self_hosted_cost, strict=True)
        if a == a and s == s  # a sample with a missing cost (NaN) is skipped
    ]
    for i, (volume, api, own) in enumerate(points):
        if own <= api:
            if i == 0:
                return volume
            v0, a0, s0 = points[i - 1]
            gap0, gap1 = s0 - a0, own - api
            return v0 + (volume - v0) * gap0 / (gap0 - gap1) if gap0 != gap1 else volume
    return None
