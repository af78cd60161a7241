"""Total cost of ownership shared by the hosting types: staff, availability, commitments and the
client's quotes (docs/method.md §5; docs/params.md ``operations``, ``quotes``).

Money in USD (the catalog's unit): a client figure (staff cost, quote) is in the client's
currency and converted here, once.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from llmdecide.catalog import Commitment
from llmdecide.evaluation.context import Context, pick

if TYPE_CHECKING:
    from llmdecide.params import ClientParams, Quote

COMMITMENTS: tuple[Commitment, ...] = ("on_demand", "1y", "3y")
COMMITMENT_MONTHS = {"on_demand": 0, "1y": 12, "3y": 36}
QUOTE_FIGURES = {
    "cloud_gpu_hour": ("cost_compute",),
    "server": ("cost_capex", "setup_cost"),
    "electricity": ("cost_energy",),
    "api_discount": ("cost_api",),
}
"""The columns of configurations.csv each kind of quote changes (with ``monthly_cost``)."""


# --------------------------------------------------------------------------------------------
# Staff


def staff_fte(ctx: Context, hosting: str, scenario: str) -> float:
    """People running a configuration of that hosting: the client's figure (the whole team, its
    sites included), else the catalog's ``staff_fte_<hosting>`` for one site × the sites'
    factor (``staff_site_factor``)."""
    given = getattr(ctx.client.operations.staff_fte, hosting, None)
    if given is not None:
        return float(given)
    one_site = ctx.assumption(f"staff_fte_{hosting}", scenario, "low")
    share = ctx.assumption("staff_fte_share_per_extra_site", scenario, "low")
    return one_site * staff_site_factor(availability(ctx)[1], share)


def staff_site_factor(sites: int, share_per_extra_site: float) -> float:
    """The team of S sites as a multiple of one site's: 1 + share × (S − 1). A site beyond the
    first runs the same software from the same code, so it adds a share of the team, not a team:
    its own hardware (on premise), its monitoring, the failover path and its drills
    (docs/method.md §5; ``staff_fte_share_per_extra_site``). An API's region pair is its sites."""
    return 1.0 + share_per_extra_site * (sites - 1)


def staff_cost_usd_per_fte_month(ctx: Context, scenario: str) -> float:
    """Loaded monthly cost of one FTE: the client's (its currency → USD), else the catalog's."""
    given = ctx.client.operations.staff_cost_per_fte_month
    if given is not None:
        return float(given) * ctx.usd_per_unit
    return ctx.assumption("staff_cost_per_fte_month_usd", scenario, "low")


def staff_usd_per_month(fte: float, usd_per_fte_month: float) -> float:
    """cost_staff = FTE × loaded cost per FTE-month."""
    return fte * usd_per_fte_month


def staff_cost_usd(ctx: Context, hosting: str, scenario: str) -> float:
    return staff_usd_per_month(
        staff_fte(ctx, hosting, scenario), staff_cost_usd_per_fte_month(ctx, scenario)
    )


# --------------------------------------------------------------------------------------------
# Availability


def availability(ctx: Context) -> tuple[int, int]:
    """(spare replicas k, sites S) of the client's ``operations.availability``."""
    a = ctx.client.operations.availability
    return int(a.spare_replicas), int(a.sites)


def with_availability(replicas: Any, spares: int, sites: int) -> Any:
    """Replicas running at a moment: the sized ones plus k spares, at each of S sites,
    (r + k) × S. Spares do not serve (the latency sizing is unchanged): they stand by."""
    return (replicas + spares) * sites


# --------------------------------------------------------------------------------------------
# Quotes


def _quote_matches(q: Quote, kind: str, **names: str | None) -> bool:
    if q.kind != kind:
        return False
    for key, value in names.items():
        mine = getattr(q, key)
        if mine is not None and mine != value:
            return False
    return True


def find_quote(client: ClientParams, kind: str, **names: str | None) -> Quote | None:
    """The client's quote for ``kind`` and names; a quote that names a region (or model) wins
    over one for every region (or model)."""
    found = [q for q in client.quotes if _quote_matches(q, kind, **names)]
    if not found:
        return None
    return max(found, key=lambda q: sum(getattr(q, k) is not None for k in names))


def offered_commitments(ctx: Context) -> list[Commitment]:
    """The commitments considered: on demand always (one can always pay by the hour), the
    client's others (default: 1y and 3y) when ``usage.horizon_months`` covers the term."""
    horizon = float(ctx.usage.get("horizon_months", ctx.client.usage.horizon_months))
    asked = ctx.client.options.cloud_commitment or list(COMMITMENTS)
    first: list[Commitment] = ["on_demand"]
    return first + [c for c in COMMITMENTS[1:] if c in asked and COMMITMENT_MONTHS[c] <= horizon]


def cloud_price_usd(
    ctx: Context, gpu: str, region: str, commitment: Commitment
) -> tuple[float, bool]:
    """(price per GPU-hour in USD, from a client quote) for a commitment: the client's quote for
    the GPU (and region), else the cheapest catalog offer publishing that price × the region's
    ``cloud_price_factor``; NaN when neither exists, or when the price is not below the shorter
    commitment's (a longer commitment is only worth offering when it lowers the price)."""
    price, quoted = _own_cloud_price_usd(ctx, gpu, region, commitment)
    shorter = COMMITMENTS[: COMMITMENTS.index(commitment)]
    for term in shorter:
        other = _own_cloud_price_usd(ctx, gpu, region, term)[0]
        if not math.isnan(other) and not price < other:
            return math.nan, quoted
    return price, quoted


def _own_cloud_price_usd(
    ctx: Context, gpu: str, region: str, commitment: Commitment
) -> tuple[float, bool]:
    quotes = [
        x
        for x in ctx.client.quotes
        if _quote_matches(x, "cloud_gpu_hour", gpu=gpu, region=region)
        and x.commitment == commitment
    ]
    if quotes:
        q = max(quotes, key=lambda x: x.region is not None)
        return float(q.price or math.nan) * ctx.usd_per_unit, True
    prices = [
        p for o in ctx.catalog.offers_for(gpu, region) if (p := o.price_usd(commitment)) is not None
    ]
    if not prices:
        return math.nan, False
    return min(prices) * ctx.catalog.regions[region].cloud_price_factor, False


def server_price_usd_per_gpu(ctx: Context, gpu: str) -> tuple[float, bool]:
    """(server price per GPU in USD, from a client quote)."""
    q = find_quote(ctx.client, "server", gpu=gpu)
    if q is not None:
        return float(q.price_per_gpu or math.nan) * ctx.usd_per_unit, True
    own = ctx.catalog.on_premise.get(gpu)
    return (own.server_price_usd_per_gpu if own is not None else math.nan), False


def electricity_usd_per_kwh(ctx: Context, region: str, scenario: str) -> tuple[float, bool]:
    """(electricity price per kWh in USD, from a client quote)."""

    q = find_quote(ctx.client, "electricity", region=region)
    if q is not None:
        return float(q.price_per_kwh or math.nan) * ctx.usd_per_unit, True
    return pick(ctx.catalog.regions[region].electricity_price_usd_per_kwh, scenario, "low"), False


def api_discount(ctx: Context, model: str) -> float:
    """Share taken off the API price list by the client's quote for the model (0: none)."""
    q = find_quote(ctx.client, "api_discount", model=model)
    return float(q.discount or 0.0) if q is not None else 0.0


def quote_label(q: Quote) -> str:
    """What a quote prices, in names (language-neutral)."""
    by_kind: dict[str, list[str | None]] = {
        "cloud_gpu_hour": ["cloud GPU-hour", q.gpu, q.region or "", q.commitment],
        "server": ["server per GPU", q.gpu],
        "electricity": ["electricity per kWh", q.region or ""],
        "api_discount": ["API discount", q.model or ""],
    }
    parts = by_kind[q.kind]
    return " ".join(p for p in parts if p)


def quote_value(q: Quote) -> float:
    value = {
        "cloud_gpu_hour": q.price,
        "server": q.price_per_gpu,
        "electricity": q.price_per_kwh,
        "api_discount": q.discount,
    }[q.kind]
    return float(value) if value is not None else math.nan


def quotes_used(client: ClientParams, frame: Any) -> list[dict[str, Any]]:
    """Per client quote: what it prices, its value, the figures it touches and how many
    configurations it priced (for results.json and the report's "client quote" line)."""
    out = []
    for i, q in enumerate(client.quotes):
        rows = rows_priced(q, frame)
        out.append(
            {
                "index": i,
                "kind": q.kind,
                "label": quote_label(q),
                "names": " ".join(
                    x
                    for x in (q.gpu, q.region, q.model)
                    + ((q.commitment,) if q.kind == "cloud_gpu_hour" else ())
                    if x
                ),
                "value": quote_value(q),
                "unit": "share" if q.kind == "api_discount" else client.client.currency,
                "figures": [*QUOTE_FIGURES[q.kind], "monthly_cost"],
                "configurations": int(rows.sum()) if rows is not None else 0,
                "note": q.note or "",
            }
        )
    return out


def rows_priced(q: Quote, frame: Any) -> Any:
    if frame is None or len(frame) == 0:
        return None
    hosting = {
        "cloud_gpu_hour": "cloud",
        "server": "on_premise",
        "electricity": "on_premise",
        "api_discount": "api",
    }[q.kind]
    mask = frame["hosting"] == hosting
    if q.gpu is not None:
        mask &= frame["gpu"] == q.gpu
    if q.region is not None:
        mask &= frame["region"] == q.region
    if q.model is not None:
        mask &= frame["model"] == q.model
    if q.kind == "cloud_gpu_hour" and "cloud_commitment" in frame:
        mask &= frame["cloud_commitment"] == q.commitment
    return mask
