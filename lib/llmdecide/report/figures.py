"""The report's charts: which ones (in page order), their Vega-Lite specs, and how a template sees
each one (a spec for vega-embed in the HTML, an SVG image in the PDF)."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from llmdecide import charts, i18n
from llmdecide.report.context import check_context, ordered_choices
from llmdecide.report.svg import SvgConverter


# one entry per chart of the report, in the report's order: a list, not logic to cut
def chart_makers(context: Mapping[str, Any]) -> list[tuple[str, Callable[[], Any]]]:
    """(name, builder) for every chart of the report, in page order (``priorities``,
    ``choice-hosting``, ``pareto``…); a chart whose data is absent is left out and its section
    says so. Builders are called lazily so a render can convert one chart while building the next."""
    check_context(context)
    language = context["client"]["language"]
    currency = context["client"]["currency"]
    kw = {"language": language, "currency": currency}
    results, choices, carbon = context["results"], context["choices"], context["carbon"]
    critical = context["critical"]
    limits = results["limits"]
    makers: list[tuple[str, Callable[[], Any]]] = [
        ("priorities", partial(charts.priorities_chart, critical, **kw))
    ]
    per_choice = choices["per_choice"] or {}
    for choice in ordered_choices(per_choice):
        if len(per_choice[choice]) > 1:
            makers.append(
                (
                    f"choice-{choice}",
                    partial(charts.per_choice_chart, choice, per_choice[choice], limits, **kw),
                )
            )
    if choices["pareto"]:
        makers.append(("pareto", partial(charts.pareto_chart, choices["pareto"], limits, **kw)))
    if choices["winner_map"]:
        recommended = choices.get("recommendation_label") or next(
            (r.get("label") for r in choices["top"] or [] if r.get("rank") == 1), None
        )
        makers.append(
            (
                "winner_map",
                partial(
                    charts.winner_map_chart,
                    choices["winner_map"],
                    choices["client_point"],
                    recommended_label=recommended if results["feasible"] else None,
                    **kw,
                ),
            )
        )
    if results["estimates"]:
        makers.append(("ranges", partial(charts.ranges_chart, results["estimates"], limits, **kw)))
    breakdown = choices["cost_breakdown"]
    if breakdown and any(i18n.number_or_none(v) for v in breakdown.values()):
        makers.append(("cost_breakdown", partial(charts.cost_breakdown_chart, breakdown, **kw)))
    if choices["break_even"] and choices["break_even"].get("curve"):
        volume = critical["usage"].get("requests_per_day")
        makers.append(
            ("break_even", partial(charts.break_even_chart, choices["break_even"], volume, **kw))
        )
    summary = (context.get("measurements") or {}).get("usage_summary") or {}
    if any(summary.get("requests_by_hour") or []):
        makers.append(("daily_load", partial(charts.daily_load_chart, summary, **kw)))
    carbon_limit = charts.limit_of(limits, "carbon")
    if carbon["projection"]:
        makers.append(
            (
                "carbon",
                partial(
                    charts.carbon_projection_chart,
                    carbon["projection"],
                    limit=carbon_limit,
                    measured=carbon["measured"],
                    **kw,
                ),
            )
        )
    if carbon["regions"]:
        makers.append(
            (
                "regions",
                partial(
                    charts.region_chart,
                    carbon["regions"],
                    carbon["intensity"] or [],
                    limit=carbon_limit,
                    **kw,
                ),
            )
        )
    return makers


def build_charts(context: Mapping[str, Any]) -> dict[str, Any]:
    """Every chart of the report, by name (Altair charts; see :func:`chart_makers`)."""
    return {name: make() for name, make in chart_makers(context)}


def chart_specs(context: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The Vega-Lite spec of every chart of the report, by name (built once per render)."""
    return {name: charts.built_spec(make) for name, make in chart_makers(context)}


CHART_URL = "file:///__llmdecide__/charts/"
"""Where the PDF's charts are "fetched" from: served from memory by :func:`url_fetcher` (a
``file:`` URL that no file backs, so it cannot reach anything else)."""


def chart_views(
    specs: Mapping[str, Mapping[str, Any]], svgs: Mapping[str, str] | SvgConverter | None
) -> dict[str, dict[str, Any]]:
    views = {}
    for name, spec in specs.items():
        title = spec.get("title")
        view: dict[str, Any] = {
            "id": f"chart-{name}",
            "title": title.get("text") if isinstance(title, Mapping) else str(title or ""),
            "description": str(spec.get("description") or ""),
        }
        if isinstance(svgs, SvgConverter):
            view["svg"] = f"{CHART_URL}{name}.svg"
        elif svgs is not None:
            view["svg"] = svg_data_uri(svgs[name])
        else:
            view["spec"] = spec
            view["options"] = charts.embed_options(spec)
        views[name] = view
    return views


def svg_data_uri(svg: str) -> str:
    """An SVG as a ``data:`` URI, for an ``<img>`` in the PDF: WeasyPrint parses it as an image
    (fast, and its nodes stay out of the HTML cascade) and draws it as vectors."""
    svg = re.sub(r"^<\?xml[^>]*>\s*", "", svg)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
