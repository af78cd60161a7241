"""Charts of the decision (notebooks 01 and 02, the report's first sections): the triangle of
priorities, each technical choice, the Pareto front, the winner map and the recommendation's
ranges against the limits."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import altair as alt

from llmdecide import i18n
from llmdecide.charts.style import (
    CATEGORY_COLORS,
    COLOR_CLIENT,
    COLOR_RECOMMENDED,
    PILLARS,
    WIDTH,
    Spec,
    _axis_format,
    _axis_title,
    _Datasets,
    _finish,
    _finish_spec,
    _layer,
    _limit_rule,
    _limit_rule_spec,
    _pick,
    _status,
    _status_scale_spec,
    _tip_format,
    limit_of,
    performance_column,
    pillar_column,
)

SQRT3_2 = math.sqrt(3) / 2


# -- the triangle of priorities ------------------------------------------------------------------


def ternary_xy(performance: float, precision: float, cost: float) -> tuple[float, float]:
    """Project weights (summing to 1) onto the plane: performance bottom-left, cost bottom-right,
    precision at the top."""
    total = performance + precision + cost or 1.0
    precision, cost = precision / total, cost / total
    return cost + precision / 2, precision * SQRT3_2


TERNARY_X = alt.Scale(domain=[-0.12, 1.12], nice=False, zero=False)
TERNARY_Y = alt.Scale(domain=[-0.14, 0.98], nice=False, zero=False)


def _ternary_frame(
    t: i18n.Translator, corner_text: Mapping[str, list[str]], size: int
) -> list[alt.Chart]:
    corners = [("performance", 0.0, 0.0), ("cost", 1.0, 0.0), ("precision", 0.5, SQRT3_2)]
    outline = [{"x": x, "y": y, "order": i} for i, (_, x, y) in enumerate([*corners, corners[0]])]
    x = alt.X("x:Q", scale=TERNARY_X, axis=None)
    y = alt.Y("y:Q", scale=TERNARY_Y, axis=None)
    frame = (
        alt.Chart(alt.Data(values=outline))
        .mark_line(color="#667085", strokeWidth=1)
        .encode(x=x, y=y, order="order:O")
    )
    labels = []
    for pillar, cx, cy in corners:
        lines = [t(f"pillars.{pillar}"), *corner_text.get(pillar, [])]
        align = {"performance": "left", "cost": "right", "precision": "center"}[pillar]
        dy = -12 if pillar == "precision" else 14
        baseline = "bottom" if pillar == "precision" else "top"
        labels.append(
            alt.Chart(alt.Data(values=[{"x": cx, "y": cy, "text": lines}]))
            .mark_text(  # Altair's stubs want Literal strings; these are among them
                align=align,  # type: ignore[arg-type]
                baseline=baseline,  # type: ignore[arg-type]
                dy=dy,
                fontSize=11,
                lineHeight=14,
                color="#344054",
            )
            .encode(x=x, y=y, text="text:N")
        )
    return [frame, *labels]


def priorities_chart(
    critical: Mapping[str, Any], *, language: str = "en", currency: str = "EUR"
) -> alt.TopLevelMixin:
    """The critical performance triangle: limits at the corners, the client's priorities as a
    point in the triangle (carbon left out, renormalised) and all weights as bars."""
    t = i18n.Translator(language)
    limits = critical["limits"]
    priorities = critical["priorities"]
    corner_text: dict[str, list[str]] = {}
    for pillar in ("performance", "precision", "cost"):
        column = pillar_column(pillar, limits)
        value = i18n.format_metric(limit_of(limits, pillar), column, language, currency)
        corner_text[pillar] = [t(f"charts.limit_{_direction(pillar)}", value=value)]
    w = {p: float(priorities.get(p) or 0.0) for p in ("performance", "precision", "cost")}
    total = sum(w.values()) or 1.0
    px, py = ternary_xy(w["performance"], w["precision"], w["cost"])
    size = 300
    point = (
        alt.Chart(
            alt.Data(
                values=[
                    {
                        "x": px,
                        "y": py,
                        "label": t("charts.priorities.client"),
                        **{f"w_{p}": w[p] / total for p in w},
                    }
                ]
            )
        )
        .mark_point(shape="diamond", size=160, filled=True, color=COLOR_CLIENT)
        .encode(
            x=alt.X("x:Q", scale=TERNARY_X, axis=None),
            y=alt.Y("y:Q", scale=TERNARY_Y, axis=None),
            tooltip=[
                alt.Tooltip("label:N", title=t("charts.axis.point")),
                *[
                    alt.Tooltip(f"w_{p}:Q", title=t(f"pillars.{p}"), format=".0%")
                    for p in ("performance", "precision", "cost")
                ],
            ],
        )
    )
    triangle = alt.layer(*_ternary_frame(t, corner_text, size), point).properties(
        width=size, height=int(size * 0.9)
    )
    bars = _weight_bars(t, limits, priorities, language, currency)
    chart = alt.hconcat(triangle, bars, spacing=30)
    return _finish(chart, t, "priorities", currency)


def _weight_bars(
    t: i18n.Translator,
    limits: Mapping[str, Any],
    priorities: Mapping[str, Any],
    language: str,
    currency: str,
) -> alt.LayerChart | alt.FacetChart:
    """The weights of all four criteria as bars, each with its limit in the tooltip."""
    rows: list[dict[str, Any]] = []
    for pillar in PILLARS:
        weight = i18n.number_or_none(priorities.get(pillar))
        if weight is None:
            continue
        column = pillar_column(pillar, limits)
        limit = limit_of(limits, pillar)
        rows.append(
            {
                "pillar": t(f"pillars.{pillar}"),
                "weight": weight,
                "weight_text": i18n.format_percent(weight, language),
                "limit": t(
                    f"charts.limit_{_direction(pillar)}",
                    value=i18n.format_metric(limit, column, language, currency),
                )
                if limit is not None
                else t("charts.no_limit"),
            }
        )
    bars_base = alt.Chart(alt.Data(values=rows)).encode(
        y=alt.Y("pillar:N", sort=None, title=None, axis=alt.Axis(labelFontSize=12)),
        x=alt.X(
            "weight:Q",
            title=t("charts.axis.weight"),
            axis=alt.Axis(format=".0%"),
            scale=alt.Scale(domain=[0, 1]),
        ),
        tooltip=[
            alt.Tooltip("pillar:N", title=t("charts.axis.pillar")),
            alt.Tooltip("weight:Q", title=t("charts.axis.weight"), format=".0%"),
            alt.Tooltip("limit:N", title=t("charts.axis.limit")),
        ],
    )
    bars = alt.layer(
        bars_base.mark_bar(color=COLOR_RECOMMENDED, height=18),
        bars_base.mark_text(align="left", dx=4, fontSize=11).encode(text="weight_text:N"),
    ).properties(width=200, height=150)
    return bars


def _direction(pillar: str) -> str:
    """Precision is a floor (at least), the others ceilings (at most)."""
    return "min" if pillar == "precision" else "max"


# -- technical choices ---------------------------------------------------------------------------


def _per_choice_panel(
    t: i18n.Translator,
    column: str,
    *,
    first: bool,
    data: Mapping[str, Any],
    order: Sequence[str],
    tooltip: Sequence[Mapping[str, Any]],
    limit: float | None,
    rows: int,
) -> dict[str, Any]:
    """One criterion's panel: a bar (a point for accuracy) per option, the limit as a rule."""
    encoding = {
        "y": {
            "field": "option",
            "type": "nominal",
            "sort": list(order),
            "title": None,
            "axis": {"labels": first, "ticks": first, "labelLimit": 150},
        },
        "x": {
            "field": column,
            "type": "quantitative",
            "title": _axis_title(t, column),
            "axis": {
                "format": _axis_format(column),
                "tickCount": 3,
                "labelOverlap": "greedy",
                "labelFlush": True,
            },
            "scale": {"zero": column != "accuracy"},
        },
        "color": {
            "field": "status",
            "type": "nominal",
            "scale": _status_scale_spec(t),
            "title": None,
        },
        "tooltip": list(tooltip),
    }
    if column == "accuracy":
        mark = {"type": "point", "filled": True, "size": 90, "opacity": 1}
    else:
        mark = {"type": "bar", "height": {"band": 0.7}}
    marks = {"data": dict(data), "mark": mark, "encoding": encoding}
    rule = _limit_rule_spec(limit)
    size = {"width": 112, "height": max(24 * rows, 48)}
    return {"layer": [marks, rule], **size} if rule is not None else {**marks, **size}


def per_choice_chart(
    choice: str,
    rows: Sequence[Mapping[str, Any]],
    limits: Mapping[str, Any],
    *,
    language: str = "en",
    currency: str = "EUR",
) -> Spec:
    """Each option of one technical choice (the other five held at the recommendation), one small
    panel per criterion with the limit as a dashed line; the recommended option in blue.

    Built as Vega-Lite JSON (:class:`~llmdecide.charts.style.Spec`): a notebook draws a dozen of
    them, and Altair's copies of the four layered panels took most of a second."""
    t = i18n.Translator(language)
    perf = performance_column(limits)
    columns = [perf, "accuracy", "monthly_cost", "monthly_kgco2e"]
    data: list[dict[str, Any]] = []
    for row in rows:
        clean = _pick(row, [*columns, "label", "rejected_because"])
        option = row.get("option")
        clean["option"] = t.option(choice, option) if option is not None else t("option_none")
        clean["status"] = _status(t, row)
        clean["reason"] = row.get("rejected_because") or "—"
        data.append(clean)
    datasets = _Datasets()
    named = {"name": datasets.name(data)}
    tooltip = [
        {"field": "option", "type": "nominal", "title": t(f"choices.{choice}")},
        {"field": "label", "type": "nominal", "title": t("charts.axis.configuration")},
        *[
            {
                "field": c,
                "type": "quantitative",
                "title": _axis_title(t, c),
                "format": _tip_format(c),
            }
            for c in columns
        ],
        {"field": "reason", "type": "nominal", "title": t("charts.axis.rejected_because")},
    ]
    order = [d["option"] for d in data]
    panels = [
        _per_choice_panel(
            t,
            column,
            first=index == 0,
            data=named,
            order=order,
            tooltip=tooltip,
            limit=limit_of(limits, pillar),
            rows=len(data),
        )
        for index, (pillar, column) in enumerate(zip(PILLARS, columns, strict=True))
    ]
    spec = {"hconcat": panels, "spacing": 12}
    return _finish_spec(spec, t, "per_choice", currency, datasets, choice=t(f"choices.{choice}"))


# -- trade-offs ----------------------------------------------------------------------------------


def _accuracy_scale(values: Sequence[Any]) -> alt.Scale:
    """Quantized colour scale of accuracy; a single value gets an explicit ±0.5-point domain (a
    zero-width "nice" domain makes Vega-Lite draw a legend of infinite height)."""
    finite = [v for v in (i18n.number_or_none(x) for x in values) if v is not None]
    if finite and max(finite) - min(finite) < 1e-9:
        return alt.Scale(
            type="quantize", scheme="viridis", domain=[finite[0] - 0.005, finite[0] + 0.005]
        )
    return alt.Scale(type="quantize", scheme="viridis", nice=True, zero=False)


def pareto_chart(
    pareto: Sequence[Mapping[str, Any]],
    limits: Mapping[str, Any],
    *,
    language: str = "en",
    currency: str = "EUR",
) -> alt.TopLevelMixin:
    """Configurations on the Pareto front: monthly cost against latency, colour = precision,
    the recommendation circled and named; limits as dashed lines."""
    t = i18n.Translator(language)
    perf = performance_column(limits)
    columns = [perf, "accuracy", "monthly_cost", "monthly_kgco2e"]
    data: list[dict[str, Any]] = []
    for row in pareto:
        clean = _pick(row, [*columns, "label"])
        clean["recommended"] = bool(row.get("is_recommended"))
        clean["status"] = _status(t, {"feasible": row.get("feasible", True), **row})
        data.append(clean)
    x = alt.X(
        f"{perf}:Q",
        title=_axis_title(t, perf),
        axis=alt.Axis(format=_axis_format(perf)),
        scale=alt.Scale(zero=True),
    )
    y = alt.Y(
        "monthly_cost:Q",
        title=_axis_title(t, "monthly_cost"),
        axis=alt.Axis(format="$,.0f"),
        scale=alt.Scale(zero=True),
    )
    tooltip = [
        alt.Tooltip("label:N", title=t("charts.axis.configuration")),
        *[alt.Tooltip(f"{c}:Q", title=_axis_title(t, c), format=_tip_format(c)) for c in columns],
        alt.Tooltip("status:N", title=t("charts.axis.status")),
    ]
    datasets = _Datasets()
    base = alt.Chart(datasets(data)).encode(x=x, y=y, tooltip=tooltip)
    points = base.mark_circle(size=110, opacity=0.95, stroke="white", strokeWidth=1).encode(
        color=alt.Color(
            "accuracy:Q",
            title=_axis_title(t, "accuracy"),
            scale=_accuracy_scale([d.get("accuracy") for d in data]),
            legend=alt.Legend(format=".1~%", orient="right", symbolType="circle"),
        )
    )
    ring = (
        base.transform_filter("datum.recommended")
        .mark_point(size=420, strokeWidth=2.5, color=COLOR_RECOMMENDED)
        .encode()
    )
    name = (
        base.transform_filter("datum.recommended")
        .mark_text(align="left", dx=14, dy=-10, fontWeight="bold", color=COLOR_RECOMMENDED)
        .encode(text=alt.value(t("charts.legend.recommended")))
    )
    rules = [
        _limit_rule(limit_of(limits, "performance"), "x"),
        _limit_rule(limit_of(limits, "cost"), "y"),
    ]
    chart = _layer(points, ring, name, *rules).properties(width=WIDTH - 90, height=300)
    return _finish(chart, t, "pareto", currency, datasets)


def winner_map_chart(
    winner_map: Sequence[Mapping[str, Any]],
    client_point: Mapping[str, Any],
    *,
    recommended_label: str | None = None,
    language: str = "en",
    currency: str = "EUR",
) -> alt.TopLevelMixin:
    """The priority triangle coloured by the configuration that wins at each weighting (231 points
    on a 5 % grid), the client's priorities marked with a black diamond."""
    t = i18n.Translator(language)
    data: list[dict[str, Any]] = []
    for point in winner_map:
        perf, prec, cost = (float(point[k]) for k in ("performance", "precision", "cost"))
        px, py = ternary_xy(perf, prec, cost)
        data.append(
            {
                "x": px,
                "y": py,
                "performance": perf,
                "precision": prec,
                "cost": cost,
                "winner": str(point.get("winner_label") or point.get("winner") or "—"),
            }
        )
    labels: list[str] = []
    if recommended_label:
        labels.append(recommended_label)
    for d in data:
        if d["winner"] not in labels:
            labels.append(d["winner"])
    colors = (CATEGORY_COLORS * (len(labels) // len(CATEGORY_COLORS) + 1))[: len(labels)]
    size = 420
    x = alt.X("x:Q", scale=TERNARY_X, axis=None)
    y = alt.Y("y:Q", scale=TERNARY_Y, axis=None)
    weights = [
        alt.Tooltip(f"{p}:Q", title=t(f"pillars.{p}"), format=".0%")
        for p in ("performance", "precision", "cost")
    ]
    datasets = _Datasets()
    cells = (
        alt.Chart(datasets(data))
        .mark_point(shape="triangle-up", filled=True, size=230, opacity=0.9)
        .encode(
            x=x,
            y=y,
            color=alt.Color(
                "winner:N",
                title=t("charts.legend.winner"),
                scale=alt.Scale(domain=labels, range=colors),
                legend=alt.Legend(orient="bottom", direction="vertical", labelLimit=480),
            ),
            tooltip=[alt.Tooltip("winner:N", title=t("charts.legend.winner")), *weights],
        )
    )
    cp = {p: float(client_point.get(p) or 0.0) for p in ("performance", "precision", "cost")}
    cx, cy = ternary_xy(cp["performance"], cp["precision"], cp["cost"])
    client = alt.Chart(
        alt.Data(values=[{"x": cx, "y": cy, "label": t("charts.priorities.client"), **cp}])
    ).encode(x=x, y=y, tooltip=[alt.Tooltip("label:N", title=t("charts.axis.point")), *weights])
    marker = client.mark_point(
        size=220, filled=True, color=COLOR_CLIENT, stroke="white", strokeWidth=1.5, opacity=1
    ).encode(
        shape=alt.Shape(
            "label:N",
            scale=alt.Scale(range=["diamond"]),
            legend=alt.Legend(title=None, orient="bottom", symbolFillColor=COLOR_CLIENT),
        )
    )
    chart = alt.layer(*_ternary_frame(t, {}, size), cells, marker).properties(
        width=size, height=int(size * 0.9)
    )
    return _finish(chart, t, "winner_map", currency, datasets)


def ranges_chart(
    estimates: Mapping[str, Any],
    limits: Mapping[str, Any],
    *,
    language: str = "en",
    currency: str = "EUR",
) -> Spec:
    """The recommendation's estimate per criterion with its low–high range (Monte Carlo inputs)
    against the limit: one row per criterion, each on its own scale."""
    t = i18n.Translator(language)
    rows: list[tuple[str, str, dict[str, Any]]] = []
    for pillar in PILLARS:
        column = pillar_column(pillar, limits)
        value = i18n.number_or_none(estimates.get(column))
        if value is None:
            continue
        low = i18n.number_or_none(estimates.get(f"{column}_low"))
        high = i18n.number_or_none(estimates.get(f"{column}_high"))
        rows.append(
            (
                pillar,
                column,
                {
                    "criterion": t(f"pillars.{pillar}"),
                    "value": value,
                    "low": value if low is None else low,
                    "high": value if high is None else high,
                },
            )
        )
    panels = [
        _range_panel(t, column, row, limit_of(limits, pillar)) for pillar, column, row in rows
    ]
    spec = {"vconcat": panels, "spacing": 8, "resolve": {"scale": {"x": "independent"}}}
    return _finish_spec(spec, t, "ranges", currency)


def _range_panel(
    t: i18n.Translator, column: str, row: Mapping[str, Any], limit: float | None
) -> dict[str, Any]:
    """One criterion's row: the low–high band, the estimate as a dot, the limit as a rule, on a
    scale 15 % wider than what it shows."""
    domain_values = [row["low"], row["high"], *([limit] if limit is not None else [])]
    span = max(domain_values) - min(domain_values) or abs(row["value"]) or 1.0
    scale = {
        "domain": [min(domain_values) - 0.15 * span, max(domain_values) + 0.15 * span],
        "zero": False,
        "nice": False,
    }
    y = {
        "field": "criterion",
        "type": "nominal",
        "title": None,
        "axis": {"labelFontSize": 12, "labelLimit": 130},
    }
    tips = [
        {
            "field": f,
            "type": "quantitative",
            "title": t(f"charts.axis.{title}"),
            "format": _tip_format(column),
        }
        for f, title in (("value", "estimate"), ("low", "low"), ("high", "high"))
    ]
    data = {"values": [dict(row)]}
    band = {
        "data": data,
        "mark": {"type": "rule", "strokeWidth": 6, "color": "#b2ccff"},
        "encoding": {
            "y": y,
            "x": {
                "field": "low",
                "type": "quantitative",
                "title": None,
                "scale": scale,
                "axis": {"format": _axis_format(column), "tickCount": 5},
            },
            "x2": {"field": "high"},
            "tooltip": tips,
        },
    }
    dot = {
        "data": data,
        "mark": {"type": "point", "filled": True, "size": 90, "color": COLOR_RECOMMENDED},
        "encoding": {
            "y": y,
            "x": {"field": "value", "type": "quantitative", "scale": scale},
            "tooltip": tips,
        },
    }
    rule = _limit_rule_spec(limit)
    return {
        "layer": [band, dot, *([rule] if rule is not None else [])],
        "width": WIDTH - 140,
        "height": 28,
    }
