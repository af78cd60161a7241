"""Rented GPUs: GPU-hours × the cheapest offer's hourly price in the region."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from llmdecide.estimators import carbon, cost
from llmdecide.evaluation.context import Context
from llmdecide.evaluation.hosting import fleet as common

if TYPE_CHECKING:
    from llmdecide.evaluation.self_hosted import Rows


def bill(ctx: Context, rows: Rows, fleet: Mapping[str, Any], scenario: str) -> dict[str, Any]:
    """Monthly cost parts, set-up, energy and emissions of the rented fleet (USD)."""
    cat = ctx.catalog
    n = len(rows.cands)
    gpu_hours = common.gpu_hours_per_month(fleet)

    def offer(key: tuple[str, str]) -> tuple[float, float, float]:
        gpu, region = key
        offers = cat.offers_for(gpu, region)
        if not offers:
            return np.nan, np.nan, np.nan
        best = min(offers, key=lambda o: o.price_per_gpu_hour_usd)
        return (
            best.price_per_gpu_hour_usd,
            best.setup_cost_usd,
            cat.regions[region].cloud_price_factor,
        )

    found = common.by_key([(c.gpu, c.region) for c in rows.cands], offer)
    price = np.array([f[0] for f in found])
    offer_setup = np.array([f[1] for f in found])
    factor = np.array([f[2] for f in found])
    compute = cost.cloud_compute_usd_per_month(gpu_hours, price, factor)
    rag_month, rag_setup = common.rag_costs(ctx, rows.col("rag"), scenario, fleet.get("volume"))
    kwh = common.energy_kwh_per_month(ctx, rows, fleet, scenario, keep_all_on=False)
    # the provider's electricity: the client's low-carbon contract does not cover it
    operational = carbon.operational_kgco2e(kwh, common.intensity(ctx, rows.col("region")))
    per_gpu, life = common.embodied(ctx, rows.col("gpu"), scenario)
    hours_per_month = ctx.assumption("hours_per_month", "value", "low")
    embodied = carbon.embodied_kgco2e_per_month(per_gpu, gpu_hours / hours_per_month, life)
    setup = ctx.assumption("setup_cost_self_hosted_usd", scenario, "low") + offer_setup + rag_setup
    zeros = np.zeros(n)
    return {
        "gpu_hours_per_month": gpu_hours,
        "servers": common.nan_array(n),
        "cloud_commitment": np.array(["on_demand"] * n, dtype=object),
        "cost_compute": compute,
        "cost_energy": zeros,
        "cost_operations": zeros,
        "cost_capex": zeros,
        "cost_staff": zeros,
        "cost_rag": rag_month,
        "monthly_cost": compute + rag_month,
        "setup_cost": setup,
        "energy_kwh_per_month": kwh,
        "operational_kgco2e": operational,
        "embodied_kgco2e": embodied,
        "monthly_kgco2e": operational + embodied,
        "carbon_method": np.array(
            ["serving-model energy × codecarbon grid intensity + embodied"] * n, dtype=object
        ),
    }
