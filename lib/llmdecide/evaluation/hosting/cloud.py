"""Rented GPUs: the running fleet's GPU-hours at the cheapest offer's price in the region, on
demand or committed (1 or 3 years, where the offer publishes the price and the horizon covers
it), plus the staff who run it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from llmdecide.catalog import Commitment
from llmdecide.estimators import carbon
from llmdecide.evaluation.context import Context
from llmdecide.evaluation.hosting import fleet as common
from llmdecide.evaluation.hosting import tco
from llmdecide.units import HOURS_PER_DAY

if TYPE_CHECKING:
    from llmdecide.evaluation.rows import Array, Rows


def committed_cost_usd(
    committed_gpus: Any,
    hours_per_month: float,
    commit_price: Any,
    on_demand_price: Any,
    peak_gpus: Any,
    peak_h_per_month: Any,
    base_gpus: Any,
    base_h_per_month: Any,
) -> Any:
    """Monthly cost with G GPUs committed (paid every hour of the month at the commitment price)
    and the rest of the running fleet on demand: G × H × p_c + p_od × ((P − G)⁺ × h_P +
    (B − G)⁺ × h_B). Piecewise linear in G: its minimum is at G = 0, B or P."""
    extra_peak = np.maximum(peak_gpus - committed_gpus, 0.0) * peak_h_per_month
    extra_base = np.maximum(base_gpus - committed_gpus, 0.0) * base_h_per_month
    extra = extra_peak + extra_base
    on_demand = np.where(extra > 0, on_demand_price * extra, 0.0)
    committed = np.where(committed_gpus > 0, committed_gpus * hours_per_month * commit_price, 0.0)
    return committed + on_demand


def cheapest_commitment(
    prices: Mapping[Commitment, Any],
    peak_gpus: Any,
    peak_h_per_month: Any,
    base_gpus: Any,
    base_h_per_month: Any,
    hours_per_month: float,
) -> tuple[Any, Any]:
    """(monthly compute cost, commitment) of every row: the cheapest of on demand and, for each
    offered commitment with a price, committing the base or the peak GPUs (ties: the shorter)."""
    od = np.asarray(prices["on_demand"], float)
    best = np.where(
        np.isnan(od), np.inf, od * (peak_gpus * peak_h_per_month + base_gpus * base_h_per_month)
    )
    which = np.array(["on_demand"] * len(best), dtype=object)
    for term, price in prices.items():
        if term == "on_demand":
            continue
        price = np.asarray(price, float)
        for level in (base_gpus, peak_gpus):
            c = committed_cost_usd(
                level,
                hours_per_month,
                price,
                od,
                peak_gpus,
                peak_h_per_month,
                base_gpus,
                base_h_per_month,
            )
            c = np.where(np.isnan(c) | np.isnan(price) | (level <= 0), np.inf, c)
            better = c < best * (1 - 1e-12)
            best = np.where(better, c, best)
            which = np.where(better, term, which)
    return np.where(np.isinf(best), np.nan, best), which


def bill(ctx: Context, rows: Rows, fleet: Mapping[str, Any], scenario: str) -> dict[str, Any]:
    """Monthly cost parts, set-up, energy and emissions of the rented fleet (USD): the running
    fleet with its spares and sites, priced at the cheapest commitment, plus the staff."""
    cat = ctx.catalog
    n = len(rows.cands)
    spares, sites = tco.availability(ctx)
    gpu_hours = common.gpu_hours_per_month(fleet, spares, sites)
    peak, peak_h, base, base_h = common.running_profile(fleet, spares, sites)
    days = fleet["days"]
    keys = ("gpu", "region")
    terms = tco.offered_commitments(ctx)

    def hourly(term: Commitment) -> Array:
        return rows.floats(keys, lambda k: tco.cloud_price_usd(ctx, k[0], k[1], term)[0])

    prices = {term: hourly(term) for term in terms}

    def offer_setup(key: tuple[str, str]) -> float:
        offers = cat.offers_for(*key)
        return offers[0].setup_cost_usd if offers else 0.0

    setup_offer = rows.floats(keys, offer_setup)
    compute, commitment = cheapest_commitment(
        prices, peak, peak_h * days, base, base_h * days, HOURS_PER_DAY * days
    )
    rag_month, rag_setup = common.rag_costs(ctx, rows, scenario, fleet.get("volume"))
    kwh = common.energy_kwh_per_month(
        ctx, rows, fleet, scenario, keep_all_on=False, on_gpu_h_per_day=gpu_hours / days
    )
    # the provider's electricity: the client's low-carbon contract does not cover it
    operational = carbon.operational_kgco2e(kwh, common.intensity(ctx, rows))
    per_gpu, life = common.embodied(ctx, rows, scenario)
    hours_per_month = ctx.assumption("hours_per_month", "value", "low")
    embodied = carbon.embodied_kgco2e_per_month(per_gpu, gpu_hours / hours_per_month, life)
    setup = ctx.assumption("setup_cost_self_hosted_usd", scenario, "low") + setup_offer + rag_setup
    staff = np.full(n, tco.staff_cost_usd(ctx, "cloud", scenario))
    replicas = tco.with_availability(fleet["replicas"], spares, sites)
    zeros = np.zeros(n)
    return {
        "replicas": replicas,
        "serving_replicas": fleet["replicas"],
        "gpus_total": replicas * fleet["tp"],
        "gpu_hours_per_month": gpu_hours,
        "servers": common.nan_array(n),
        "cloud_commitment": commitment,
        "cost_compute": compute,
        "cost_energy": zeros,
        "cost_operations": zeros,
        "cost_capex": zeros,
        "cost_staff": staff,
        "cost_rag": rag_month,
        "monthly_cost": compute + rag_month + staff,
        "setup_cost": setup,
        "energy_kwh_per_month": kwh,
        "operational_kgco2e": operational,
        "embodied_kgco2e": embodied,
        "monthly_kgco2e": operational + embodied,
        "carbon_method": np.array(
            ["serving-model energy × codecarbon grid intensity + embodied"] * n, dtype=object
        ),
    }
