"""What the total cost of ownership rests on, as ``results.json`` ``tco`` records it: the staff
per hosting (the client's figure or the catalog's), availability, the commitments offered, the
client's quotes and what they price (``evaluation.hosting.tco`` computes each; this module
gathers them for one run).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from llmdecide import configurations as conf
from llmdecide.evaluation.hosting import tco

if TYPE_CHECKING:
    import pandas as pd

    from llmdecide.catalog import Catalog
    from llmdecide.params import ClientParams


def tco_data(
    client: ClientParams,
    catalog: Catalog,
    usage: Mapping[str, float],
    frame: pd.DataFrame,
    best: Mapping[str, Any] | None,
    warnings: Sequence[str],
) -> dict[str, Any]:
    """What the total cost of ownership rests on, for results.json and the report: staff per
    hosting (the client's figure or the catalog's), availability, the commitments offered, the
    client quotes (what each prices, the figures it touches, how many configurations it priced),
    the recommendation's figures that come from a quote, and the warnings on these inputs."""
    ctx = conf.make_context(client, catalog, dict(usage), {})
    per_fte = tco.staff_cost_usd_per_fte_month(ctx, conf.VALUE) / ctx.usd_per_unit
    staff = {
        h: {
            "fte": tco.staff_fte(ctx, h, conf.VALUE),
            "cost_per_fte_month": per_fte,
            "fte_source": (
                "client" if getattr(client.operations.staff_fte, h) is not None else "catalog"
            ),
            "cost_source": (
                "client" if client.operations.staff_cost_per_fte_month is not None else "catalog"
            ),
        }
        for h in ("api", "cloud", "on_premise")
    }
    spares, sites = tco.availability(ctx)
    quotes = tco.quotes_used(client, frame)
    quoted: list[str] = []
    if best is not None:
        one = frame[frame["config_id"] == best["config_id"]]
        for q, used in zip(client.quotes, quotes, strict=True):
            rows = tco.rows_priced(q, one)
            if rows is not None and bool(rows.any()):
                quoted.extend(f for f in used["figures"] if f not in quoted)
    return {
        "staff": staff,
        "availability": {
            "sites": sites,
            "spare_replicas": spares,
            # staff per site beyond the first (catalog FTE only), and an API's region pair
            "staff_share_per_extra_site": ctx.assumption(
                "staff_fte_share_per_extra_site", conf.VALUE, "low"
            ),
        },
        "commitments": tco.offered_commitments(ctx),
        "quotes": quotes,
        "recommendation_quoted": quoted,
        "recommendation_commitment": (
            str(best["cloud_commitment"])
            if best is not None and best["hosting"] == "cloud"
            else None
        ),
        "warnings": warnings,
    }
