"""Rented GPUs: GPU-hours × the cheapest offer's hourly price in the region."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from llmdecide.estimators import carbon, cost
from llmdecide.evaluation import retrieval
from llmdecide.evaluation.context import Context
from llmdecide.evaluation.hosting import fleet as common

if TYPE_CHECKING:
    from llmdecide.evaluation.self_hosted import Rows


def bill(ctx: Context, rows: Rows, fleet: Mapping[str, Any], scenario: str) -> dict[str, Any]:
    """Monthly cost parts, set-up, energy and emissions of the rented fleet (USD)."""
    cat = ctx.catalog
    u = ctx.usage_at(scenario)
    n = len(rows.cands)
    gpu_hours = common.gpu_hours_per_month(fleet)
    price = np.empty(n)
    offer_setup = np.empty(n)
    factor = np.empty(n)
    for i, c in enumerate(rows.cands):
        offers = cat.offers_for(c.gpu, c.region)
        if not offers:
            price[i] = offer_setup[i] = factor[i] = np.nan
            continue
        best = min(offers, key=lambda o: o.price_per_gpu_hour_usd)
        price[i], offer_setup[i] = best.price_per_gpu_hour_usd, best.setup_cost_usd
        factor[i] = cat.regions[c.region].cloud_price_factor
    compute = cost.cloud_compute_usd_per_month(gpu_hours, price, factor)
    rag = [retrieval.rag_costs_usd(ctx, c.rag, u, scenario) for c in rows.cands]
    rag_month = np.array([m for m, _ in rag])
    rag_setup = np.array([s for _, s in rag])
    kwh = common.energy_kwh_per_month(ctx, rows, fleet, scenario, keep_all_on=False)
    intensity = np.array([ctx.intensity_g_per_kwh[c.region] for c in rows.cands])
    # the provider's electricity: the client's low-carbon contract does not cover it
    operational = carbon.operational_kgco2e(kwh, intensity)
    per_gpu, life = common.per_row(
        [common.embodied_per_gpu(ctx, c.gpu, scenario) for c in rows.cands]
    )
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
