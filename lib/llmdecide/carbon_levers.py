"""The carbon levers of the recommendation, computed (``docs/method.md``): the same configuration
in each allowed region, under a low-carbon electricity contract (on-premise), in batch instead of
real time, more quantised, with a smaller model; each with its kgCO2e/month saving and what it
costs in money, latency and precision.

Read from the configuration table notebook 02 wrote; the contract lever re-evaluates the
recommendation through ``configurations`` with ``carbon.renewable_share = 1``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from llmdecide import configurations as conf
from llmdecide.columns import CHOICE_TABLES
from llmdecide.records import plain

if TYPE_CHECKING:
    import pandas as pd

    from llmdecide.catalog import Catalog
    from llmdecide.params import ClientParams

LEVER_COLUMNS = (
    "config_id",
    "label",
    "monthly_kgco2e",
    "monthly_cost",
    "p95_latency_s",
    "accuracy",
    "feasible",
)


def _same_except(
    frame: pd.DataFrame, best: Mapping[str, Any], free: tuple[str, ...]
) -> pd.DataFrame:
    """Rows equal to ``best`` on every choice column except ``free``."""
    mask = None
    for col in CHOICE_TABLES:
        if col in free:
            continue
        m = frame[col] == best[col]
        mask = m if mask is None else mask & m
    return frame[mask] if mask is not None else frame


def _lever(
    kind: str, row: Mapping[str, Any], best: Mapping[str, Any], **extra: Any
) -> dict[str, Any]:
    out = {k: plain(row.get(k)) for k in LEVER_COLUMNS}
    out["lever"] = kind
    out["saving_kgco2e"] = float(best["monthly_kgco2e"]) - float(row["monthly_kgco2e"])
    out["cost_difference"] = float(row["monthly_cost"]) - float(best["monthly_cost"])
    out.update(extra)
    return out


def levers(
    client: ClientParams,
    catalog: Catalog,
    usage: Mapping[str, float],
    frame: pd.DataFrame,
    best_id: str | None,
    intensity: Mapping[str, float],
    *,
    measured_usage: bool,
) -> tuple[list[dict], list[dict]]:
    """The seed's levers, computed: the same configuration in each allowed region, under a
    low-carbon electricity contract, in batch instead of real time, more quantised, with a smaller
    model; each with its kgCO2e/month saving and what it costs in money, latency and precision."""
    if best_id is None:
        return [], []
    usable = frame[frame["excluded_because"].fillna("").eq("") & frame["monthly_kgco2e"].notna()]
    best = usable[usable["config_id"] == best_id].iloc[0]
    regions: list[dict] = []
    out: list[dict] = []
    if best["hosting"] != "api":
        same = _same_except(usable, best, ("region",)).sort_values("region")
        for _, row in same.iterrows():
            regions.append(
                {
                    "region": row["region"],
                    "monthly_kgco2e": float(row["monthly_kgco2e"]),
                    "monthly_cost": float(row["monthly_cost"]),
                    "is_recommended": row["config_id"] == best_id,
                }
            )
            if row["config_id"] != best_id:
                out.append(_lever("region", row, best, option=row["region"]))
        # A low-carbon contract covers the client's own electricity (on-premise).
        if best["hosting"] == "on_premise":
            c = conf.Candidate.of(best)
            contract = client.model_copy(deep=True)
            contract.carbon.renewable_share = 1.0
            ctx = conf.make_context(
                contract, catalog, usage, intensity, measured_usage=measured_usage
            )
            r = conf.evaluate_one(ctx, c, conf.VALUE)
            row = dict(best)
            row["monthly_kgco2e"] = r["monthly_kgco2e"]
            out.append(_lever("contract", row, best, option="renewable_share=1"))
    sizes = {m: r.params_b for m, r in catalog.open_models.items()}
    for kind, free in (
        ("batch", ("deployment_mode",)),
        ("quantisation", ("optimisation",)),
        ("smaller_model", ("model",)),
    ):
        alts = _same_except(usable, best, free)
        alts = alts[alts["config_id"] != best_id]
        if kind == "batch":
            alts = alts[alts["deployment_mode"] == "batch"]
        if kind == "quantisation" and best["hosting"] != "api":
            alts = alts[alts["optimisation"].isin(["int8", "int4", "fp8"])]
        if kind == "smaller_model":
            mine = sizes.get(best["model"], 0.0)
            alts = alts[alts["model"].map(sizes).fillna(mine).astype(float) < mine]
        alts = alts[alts["monthly_kgco2e"] < best["monthly_kgco2e"]]
        if alts.empty:
            continue
        row = alts.sort_values(["monthly_kgco2e", "config_id"]).iloc[0]
        option = {
            "batch": "batch",
            "quantisation": row["optimisation"],
            "smaller_model": row["model"],
        }[kind]
        out.append(_lever(kind, row, best, option=option))
    return regions, out
