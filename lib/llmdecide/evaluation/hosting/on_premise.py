"""Owned servers: whole servers bought for the replicas, spares and sites, capex amortised over
the horizon, electricity, operations, staff."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from llmdecide.estimators import carbon, cost
from llmdecide.evaluation.context import VALUE, Context
from llmdecide.evaluation.hosting import fleet as common
from llmdecide.evaluation.hosting import tco
from llmdecide.units import HOURS_PER_DAY

if TYPE_CHECKING:
    from llmdecide.evaluation.rows import Rows


def _contract_intensity(ctx: Context) -> float:
    given = ctx.client.carbon.contract_intensity_g_per_kwh
    if given is not None:
        return float(given)
    return ctx.assumption("contract_intensity_g_per_kwh", VALUE, "low")


def servers_needed(replicas: Any, gpus_per_replica: Any, gpus_per_server: Any, sites: int) -> Any:
    """Whole servers to buy: a replica stays within one server, so a server holds
    ⌊gpus_per_server / g⌋ replicas; each site buys ⌈replicas per site / that⌉ servers."""
    per_server = np.maximum(np.floor(gpus_per_server / gpus_per_replica + 1e-9), 1.0)
    return np.ceil(replicas / per_server - 1e-9) * sites


def bill(ctx: Context, rows: Rows, fleet: Mapping[str, Any], scenario: str) -> dict[str, Any]:
    """Monthly cost parts, set-up, energy and emissions of the owned fleet (USD): whole servers
    for the replicas, their spares and sites, bought and amortised over the horizon, plus the
    staff who run them."""
    cat = ctx.catalog
    u = ctx.usage_at(scenario)
    n = len(rows.cands)
    spares, sites = tco.availability(ctx)
    replicas = tco.with_availability(fleet["replicas"], spares, sites)

    def purchase(gpu: str) -> tuple[float, float, float]:
        o = cat.on_premise.get(gpu)
        per_server = float(getattr(cat.gpus[gpu], "gpus_per_server", None) or 8)
        price = tco.server_price_usd_per_gpu(ctx, gpu)[0]
        return price, (o.operations_usd_per_gpu_month if o is not None else np.nan), per_server

    price, ops, per_server = common.per_key(rows, "gpu", purchase)
    servers = servers_needed(replicas / sites, fleet["tp"], per_server, sites)
    # every GPU of a bought server is owned and powered: those the replicas leave free are spares
    gpus_total = servers * per_server
    kwh = common.energy_kwh_per_month(
        ctx, rows, fleet, scenario, keep_all_on=True, on_gpu_h_per_day=gpus_total * HOURS_PER_DAY
    )
    electricity = rows.floats("region", lambda r: tco.electricity_usd_per_kwh(ctx, r, scenario)[0])
    horizon = u["horizon_months"]
    capex_month = cost.capex_usd_per_month(gpus_total, price, horizon)
    energy_usd = cost.energy_usd_per_month(kwh, electricity)
    operations = cost.operations_usd_per_month(gpus_total, ops)
    staff = np.full(n, tco.staff_cost_usd(ctx, "on_premise", scenario))
    rag_month, rag_setup = common.rag_costs(ctx, rows, scenario, fleet.get("volume"))
    setup = (
        ctx.assumption("setup_cost_self_hosted_usd", scenario, "low")
        + cost.capex_usd(gpus_total, price)
        + rag_setup
    )
    operational = carbon.operational_kgco2e(
        kwh,
        common.intensity(ctx, rows),
        ctx.client.carbon.renewable_share,
        _contract_intensity(ctx),
    )
    per_gpu, life = common.embodied(ctx, rows, scenario)
    embodied = carbon.embodied_kgco2e_per_month(per_gpu, gpus_total, life)
    zeros = np.zeros(n)
    return {
        "replicas": replicas,
        "serving_replicas": fleet["replicas"],
        "gpus_total": gpus_total,
        "gpu_hours_per_month": common.gpu_hours_per_month(fleet, spares, sites),
        "servers": servers,
        "cloud_commitment": np.array([""] * n, dtype=object),
        "cost_compute": zeros,
        "cost_energy": energy_usd,
        "cost_operations": operations,
        "cost_capex": capex_month,
        "cost_staff": staff,
        "cost_rag": rag_month,
        "monthly_cost": capex_month + energy_usd + operations + staff + rag_month,
        "setup_cost": setup,
        "energy_kwh_per_month": kwh,
        "operational_kgco2e": operational,
        "embodied_kgco2e": embodied,
        "monthly_kgco2e": operational + embodied,
        "carbon_method": np.array(
            ["serving-model energy × codecarbon grid intensity + embodied"] * n, dtype=object
        ),
    }
