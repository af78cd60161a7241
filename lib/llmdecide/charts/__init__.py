"""Altair chart builders shared by the notebooks and the report.

Each builder is pure: it takes plain dicts and lists shaped like the report context
(docs/architecture.md, "Report context") and returns an Altair chart with a localised ``title`` and
``description`` (the accessible text of the chart) and ``usermeta.llmdecide`` recording the
language and currency, so :func:`to_svg` and :func:`embed_options` format numbers in the reader's
locale (French: ``4 210 €``, decimal comma). No Jinja or WeasyPrint import here.

- :func:`priorities_chart` — the critical performance triangle: limits at the corners, the client's
  priorities as a point, the weights (carbon included) as bars;
- :func:`per_choice_chart` — one technical choice: each option's effect on the four criteria;
- :func:`pareto_chart` — cost against latency, colour = precision, recommendation highlighted;
- :func:`winner_map_chart` — which configuration wins where in the triangle of priorities;
- :func:`ranges_chart` — the recommendation's estimates with their low/high range against the limits;
- :func:`cost_breakdown_chart`, :func:`break_even_chart` — money;
- :func:`carbon_projection_chart`, :func:`region_chart` — carbon.

:func:`to_svg` renders a chart to static SVG (vl-convert, for the PDF); :func:`to_html_spec` gives
the Vega-Lite spec that vega-embed renders interactively in the HTML report.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import altair as alt
import vl_convert as vlc

from llmdecide import i18n

FONT = "DejaVu Sans"
WIDTH = 560
"""Plot width in CSS px: fits A4 portrait (174 mm of text width) with room for axis labels."""
SQRT3_2 = math.sqrt(3) / 2

COLOR_RECOMMENDED = "#155eef"
COLOR_FEASIBLE = "#98a2b3"
COLOR_REJECTED = "#f97066"
COLOR_LIMIT = "#b42318"
COLOR_CLIENT = "#101828"
CATEGORY_COLORS = ["#155eef", "#f79009", "#12b76a", "#7a5af8", "#ee46bc", "#06aed4", "#667085"]

PERFORMANCE_COLUMNS = {
    "p95_latency_s": "p95_latency_s",
    "ttft_p95_s": "ttft_s",
    "ttft_s": "ttft_s",
    "turnaround_h": "turnaround_h",
}
PILLARS = ("performance", "precision", "cost", "carbon")
COST_COMPONENTS = ("compute", "api", "staff", "rag", "energy", "operations", "capex")


# -- helpers -------------------------------------------------------------------------------------


def performance_column(limits: Mapping[str, Any]) -> str:
    """The configuration column that the performance limit applies to (``p95_latency_s``…)."""
    metric = str((limits.get("performance") or {}).get("metric") or "p95_latency_s")
    return PERFORMANCE_COLUMNS.get(metric, metric)


def pillar_column(pillar: str, limits: Mapping[str, Any]) -> str:
    return {
        "performance": performance_column(limits),
        "precision": "accuracy",
        "cost": "monthly_cost",
        "carbon": "monthly_kgco2e",
    }[pillar]


def limit_of(limits: Mapping[str, Any], pillar: str) -> float | None:
    entry = limits.get(pillar)
    return i18n.number_or_none(entry.get("limit")) if isinstance(entry, Mapping) else None


def _axis_format(column: str) -> str:
    if column in i18n.MONEY_METRICS:
        return "$,.0f"
    if column in i18n.FRACTION_METRICS:
        return ".1~%"
    return ",.4~g"


def _tip_format(column: str) -> str:
    if column in i18n.MONEY_METRICS:
        return "$,.0f"
    if column in i18n.FRACTION_METRICS:
        return ".1%"
    return ",.3~f"


def _axis_title(t: i18n.Translator, column: str) -> str:
    return t(f"charts.axis.{column}")


def _pick(row: Mapping[str, Any], columns: Sequence[str]) -> dict[str, Any]:
    """A plain row with only the wanted keys; non-finite numbers become None."""
    clean: dict[str, Any] = {}
    for column in columns:
        value = row.get(column)
        if isinstance(value, float) and not math.isfinite(value):
            value = None
        clean[column] = value
    return clean


class _Datasets:
    """Named data sets held once at the top level of a chart.

    Altair deep-copies inline ``values`` on every chart operation (encode, layer, concat…): with
    the 231 winner-map points or the rows shared by four panels, building took most of a second.
    Panels refer to the rows by name; :func:`_finish` attaches them to the top-level chart."""

    def __init__(self) -> None:
        self.sets: dict[str, list[dict[str, Any]]] = {}

    def __call__(self, rows: Sequence[Mapping[str, Any]]) -> Any:
        plain = [dict(row) for row in rows]
        digest = hashlib.sha1(
            json.dumps(plain, sort_keys=True, default=str).encode("utf-8")
        ).hexdigest()[:12]
        name = f"llmdecide-{digest}"
        self.sets[name] = plain
        return alt.NamedData(name=name)


def _finish(
    chart: Any,
    t: i18n.Translator,
    key: str,
    currency: str,
    datasets: _Datasets | None = None,
    **fields: Any,
) -> alt.TopLevelMixin:
    """Title, description, locale metadata and the shared look (font, no view border)."""
    title = t(f"charts.{key}.title", **fields)
    description = t(f"charts.{key}.description", **fields)
    # Set in place rather than through .properties()/.configure_*(): each of those deep-copies the
    # whole chart, and the chart is ours (just built), so nobody else holds it.
    chart.title = alt.TitleParams(title, anchor="start", fontSize=14, offset=10)
    chart.description = description
    chart.usermeta = {"llmdecide": {"language": t.language, "currency": currency, "chart": key}}
    chart.config = alt.Config(
        font=FONT,
        background="white",
        view=alt.ViewConfig(stroke=None),
        axis=alt.AxisConfig(
            labelFontSize=11,
            titleFontSize=11,
            titleFontWeight="normal",
            ticks=False,
            labelPadding=4,
        ),
        legend=alt.LegendConfig(
            labelFontSize=11, titleFontSize=11, orient="bottom", labelLimit=360
        ),
    )
    if datasets is not None and datasets.sets:
        chart.datasets = datasets.sets
    finished = chart
    return finished


def _status(t: i18n.Translator, row: Mapping[str, Any]) -> str:
    if row.get("is_recommended"):
        return t("charts.legend.recommended")
    return t("charts.legend.feasible") if row.get("feasible") else t("charts.legend.rejected")


def _status_scale(t: i18n.Translator) -> alt.Scale:
    return alt.Scale(
        domain=[
            t("charts.legend.recommended"),
            t("charts.legend.feasible"),
            t("charts.legend.rejected"),
        ],
        range=[COLOR_RECOMMENDED, COLOR_FEASIBLE, COLOR_REJECTED],
    )


def _limit_rule(value: float | None, channel: str = "x") -> alt.Chart | None:
    if value is None:
        return None
    base = alt.Chart(alt.Data(values=[{"limit": value}]))
    encoding = {channel: alt.X("limit:Q") if channel == "x" else alt.Y("limit:Q")}
    return base.mark_rule(color=COLOR_LIMIT, strokeDash=[5, 3], strokeWidth=1.5).encode(**encoding)


def _layer(*charts: Any) -> Any:
    present = [c for c in charts if c is not None]
    return present[0] if len(present) == 1 else alt.layer(*present)


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
    chart = alt.hconcat(triangle, bars, spacing=30)
    return _finish(chart, t, "priorities", currency)


def _direction(pillar: str) -> str:
    """Precision is a floor (at least), the others ceilings (at most)."""
    return "min" if pillar == "precision" else "max"


# -- technical choices ---------------------------------------------------------------------------


def per_choice_chart(
    choice: str,
    rows: Sequence[Mapping[str, Any]],
    limits: Mapping[str, Any],
    *,
    language: str = "en",
    currency: str = "EUR",
) -> alt.TopLevelMixin:
    """Each option of one technical choice (the other five held at the recommendation), one small
    panel per criterion with the limit as a dashed line; the recommended option in blue."""
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
    order = [d["option"] for d in data]
    datasets = _Datasets()
    rows_data = datasets(data)
    panels = []
    for index, (pillar, column) in enumerate(zip(PILLARS, columns, strict=True)):
        base = alt.Chart(rows_data).encode(
            y=alt.Y(
                "option:N",
                sort=order,
                title=None,
                axis=alt.Axis(labels=index == 0, ticks=index == 0, labelLimit=150),
            ),
            x=alt.X(
                f"{column}:Q",
                title=_axis_title(t, column),
                axis=alt.Axis(
                    format=_axis_format(column),
                    tickCount=3,
                    labelOverlap="greedy",
                    labelFlush=True,
                ),
                scale=alt.Scale(zero=column != "accuracy"),
            ),
            color=alt.Color("status:N", scale=_status_scale(t), title=None),
            tooltip=[
                alt.Tooltip("option:N", title=t(f"choices.{choice}")),
                alt.Tooltip("label:N", title=t("charts.axis.configuration")),
                *[
                    alt.Tooltip(f"{c}:Q", title=_axis_title(t, c), format=_tip_format(c))
                    for c in columns
                ],
                alt.Tooltip("reason:N", title=t("charts.axis.rejected_because")),
            ],
        )
        if column == "accuracy":
            mark = base.mark_point(filled=True, size=90, opacity=1)
        else:
            mark = base.mark_bar(height={"band": 0.7})
        panel = _layer(mark, _limit_rule(limit_of(limits, pillar))).properties(
            width=112, height=max(24 * len(data), 48)
        )
        panels.append(panel)
    chart = alt.hconcat(*panels, spacing=12)
    return _finish(chart, t, "per_choice", currency, datasets, choice=t(f"choices.{choice}"))


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
) -> alt.TopLevelMixin:
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
    panels = []
    for pillar, column, row in rows:
        fmt = _axis_format(column)
        limit = limit_of(limits, pillar)
        base = alt.Chart(alt.Data(values=[row])).encode(
            y=alt.Y("criterion:N", title=None, axis=alt.Axis(labelFontSize=12, labelLimit=130))
        )
        tips = [
            alt.Tooltip("value:Q", title=t("charts.axis.estimate"), format=_tip_format(column)),
            alt.Tooltip("low:Q", title=t("charts.axis.low"), format=_tip_format(column)),
            alt.Tooltip("high:Q", title=t("charts.axis.high"), format=_tip_format(column)),
        ]
        domain_values = [row["low"], row["high"], *([limit] if limit is not None else [])]
        span = max(domain_values) - min(domain_values) or abs(row["value"]) or 1.0
        scale = alt.Scale(
            domain=[min(domain_values) - 0.15 * span, max(domain_values) + 0.15 * span],
            zero=False,
            nice=False,
        )
        band = base.mark_rule(strokeWidth=6, color="#b2ccff").encode(
            x=alt.X("low:Q", title=None, scale=scale, axis=alt.Axis(format=fmt, tickCount=5)),
            x2="high:Q",
            tooltip=tips,
        )
        dot = base.mark_point(filled=True, size=90, color=COLOR_RECOMMENDED).encode(
            x=alt.X("value:Q", scale=scale), tooltip=tips
        )
        panels.append(
            _layer(band, dot, _limit_rule(limit)).properties(width=WIDTH - 140, height=28)
        )
    chart = alt.vconcat(*panels, spacing=8).resolve_scale(x="independent")
    return _finish(chart, t, "ranges", currency)


# -- cost ----------------------------------------------------------------------------------------


def cost_breakdown_chart(
    cost_breakdown: Mapping[str, Any], *, language: str = "en", currency: str = "EUR"
) -> alt.TopLevelMixin:
    """The recommendation's monthly cost by component (components at zero left out)."""
    t = i18n.Translator(language)
    data: list[dict[str, Any]] = []
    for component in COST_COMPONENTS:
        value = i18n.number_or_none(cost_breakdown.get(component))
        if value is None or value == 0:
            continue
        data.append(
            {
                "component": t(f"cost_components.{component}"),
                "value": value,
                "text": i18n.format_money(value, currency, language),
            }
        )
    data.sort(key=lambda row: -row["value"])  # largest first (data order: no sort to reconcile)
    base = alt.Chart(alt.Data(values=data)).encode(
        y=alt.Y(
            "component:N",
            sort=None,
            title=None,
            axis=alt.Axis(labelFontSize=12, labelLimit=240),
        ),
        x=alt.X("value:Q", title=_axis_title(t, "monthly_cost"), axis=alt.Axis(format="$,.0f")),
        tooltip=[
            alt.Tooltip("component:N", title=t("charts.axis.component")),
            alt.Tooltip("value:Q", title=_axis_title(t, "monthly_cost"), format="$,.0f"),
        ],
    )
    chart = alt.layer(
        base.mark_bar(color=COLOR_RECOMMENDED, height={"band": 0.7}),
        base.mark_text(align="left", dx=4, fontSize=11).encode(text="text:N"),
    ).properties(width=WIDTH - 240, height=max(28 * len(data), 60))
    return _finish(chart, t, "cost_breakdown", currency)


def break_even_chart(
    break_even: Mapping[str, Any],
    requests_per_day: float | None = None,
    *,
    language: str = "en",
    currency: str = "EUR",
) -> alt.TopLevelMixin:
    """Monthly cost of the API option and of the self-hosted one against the daily volume; the
    break-even volume and the client's volume as vertical lines."""
    t = i18n.Translator(language)
    api = t("charts.break_even.api", label=break_even["api_label"])
    own = t("charts.break_even.self_hosted", label=break_even["self_hosted_label"])
    data: list[dict[str, Any]] = []
    for point in break_even["curve"]:
        for series, column in ((api, "api_monthly_cost"), (own, "self_hosted_monthly_cost")):
            value = i18n.number_or_none(point.get(column))
            if value is not None:
                data.append({"volume": point["requests_per_day"], "series": series, "cost": value})
    x = alt.X("volume:Q", title=_axis_title(t, "requests_per_day"), axis=alt.Axis(format=",.0f"))
    datasets = _Datasets()
    lines = (
        alt.Chart(datasets(data))
        .mark_line(point=alt.OverlayMarkDef(size=30), strokeWidth=2)
        .encode(
            x=x,
            y=alt.Y("cost:Q", title=_axis_title(t, "monthly_cost"), axis=alt.Axis(format="$,.0f")),
            color=alt.Color(
                "series:N",
                title=None,
                scale=alt.Scale(domain=[api, own], range=["#f79009", COLOR_RECOMMENDED]),
                legend=alt.Legend(orient="bottom", direction="vertical", labelLimit=520),
            ),
            tooltip=[
                alt.Tooltip("series:N", title=t("charts.axis.configuration")),
                alt.Tooltip("volume:Q", title=_axis_title(t, "requests_per_day"), format=",.0f"),
                alt.Tooltip("cost:Q", title=_axis_title(t, "monthly_cost"), format="$,.0f"),
            ],
        )
    )
    marks = []
    for key, value, color in (
        ("break_even", break_even.get("requests_per_day"), COLOR_LIMIT),
        ("volume", requests_per_day, COLOR_CLIENT),
    ):
        value = i18n.number_or_none(value)
        if value is None:
            continue
        label = t(f"charts.break_even.{key}", value=i18n.format_number(value, language, None))
        marker = alt.Chart(alt.Data(values=[{"volume": value, "label": label}])).encode(
            x=alt.X("volume:Q")
        )
        marks.append(
            marker.mark_rule(color=color, strokeDash=[5, 3], strokeWidth=1.5).encode(
                tooltip=alt.Tooltip("label:N", title=t("charts.axis.volume"))
            )
        )
        marks.append(
            marker.mark_text(
                align="right" if key == "break_even" else "left",
                baseline="top",
                dx=-4 if key == "break_even" else 4,
                dy=4,
                y=0,
                color=color,
                fontSize=11,
            ).encode(text="label:N")
        )
    chart = alt.layer(lines, *marks).properties(width=WIDTH - 80, height=260)
    return _finish(chart, t, "break_even", currency, datasets)


# -- carbon --------------------------------------------------------------------------------------


def carbon_projection_chart(
    projection: Mapping[str, Any],
    *,
    limit: float | None = None,
    measured: Mapping[str, Any] | None = None,
    language: str = "en",
    currency: str = "EUR",
) -> alt.TopLevelMixin:
    """Projected monthly kgCO2e of the recommendation (operational + embodied, with its low–high
    range) beside the rate measured on the pilot when there is one; the limit as a dashed line."""
    t = i18n.Translator(language)
    projected = t("charts.carbon.projected")
    data: list[dict[str, Any]] = []
    for part in ("operational", "embodied"):
        value = i18n.number_or_none(projection.get(f"{part}_kgco2e"))
        if value is not None and value > 0:
            data.append(
                {
                    "bar": projected,
                    "part": t(f"charts.carbon.{part}"),
                    "value": value,
                    "rank": len(data),
                }
            )
    if not data:
        data.append(
            {
                "bar": projected,
                "part": t("charts.carbon.operational"),
                "value": i18n.number_or_none(projection.get("monthly_kgco2e")) or 0.0,
                "rank": 0,
            }
        )
    rate = i18n.number_or_none((measured or {}).get("kgco2e_per_month_rate"))
    bars_order = [projected]
    if rate is not None:
        label = t("charts.carbon.measured")
        data.append(
            {"bar": label, "part": t("charts.carbon.measured_part"), "value": rate, "rank": 2}
        )
        bars_order.append(label)
    parts = [
        t("charts.carbon.operational"),
        t("charts.carbon.embodied"),
        t("charts.carbon.measured_part"),
    ]
    unit = _axis_title(t, "monthly_kgco2e")
    y = alt.Y("bar:N", sort=bars_order, title=None, axis=alt.Axis(labelFontSize=12, labelLimit=160))
    bars = (
        alt.Chart(alt.Data(values=data))
        .mark_bar(height={"band": 0.6})
        .encode(
            y=y,
            x=alt.X("sum(value):Q", title=unit, axis=alt.Axis(format=",.4~g")),
            color=alt.Color(
                "part:N",
                title=None,
                scale=alt.Scale(domain=parts, range=["#155eef", "#84adff", "#12b76a"]),
            ),
            order=alt.Order("rank:Q"),
            tooltip=[
                alt.Tooltip("part:N", title=t("charts.axis.component")),
                alt.Tooltip("value:Q", title=unit, format=",.1f"),
            ],
        )
    )
    layers: list[Any] = [bars]
    low = i18n.number_or_none(projection.get("low"))
    high = i18n.number_or_none(projection.get("high"))
    if low is not None and high is not None:
        band = alt.Chart(
            alt.Data(
                values=[
                    {
                        "bar": projected,
                        "low": low,
                        "high": high,
                        "value": projection.get("monthly_kgco2e"),
                    }
                ]
            )
        ).encode(
            y=y,
            tooltip=[
                alt.Tooltip("value:Q", title=t("charts.axis.estimate"), format=",.1f"),
                alt.Tooltip("low:Q", title=t("charts.axis.low"), format=",.1f"),
                alt.Tooltip("high:Q", title=t("charts.axis.high"), format=",.1f"),
            ],
        )
        layers.append(
            band.mark_errorbar(ticks=True, color=COLOR_CLIENT, thickness=1.5).encode(
                x=alt.X("low:Q", title=unit), x2="high:Q"
            )
        )
    layers.append(_limit_rule(limit))
    chart = _layer(*layers).properties(width=WIDTH - 120, height=40 * len(bars_order) + 20)
    return _finish(chart, t, "carbon", currency)


def region_chart(
    regions: Sequence[Mapping[str, Any]],
    intensity: Sequence[Mapping[str, Any]] = (),
    *,
    limit: float | None = None,
    language: str = "en",
    currency: str = "EUR",
) -> alt.TopLevelMixin:
    """The region lever: the recommendation's monthly kgCO2e in each allowed region (grid
    intensity, codecarbon data), with its monthly cost in the tooltip."""
    t = i18n.Translator(language)
    grams = {str(r.get("region")): r.get("g_per_kwh") for r in intensity}
    data: list[dict[str, Any]] = []
    for row in regions:
        region = str(row.get("region"))
        g = i18n.number_or_none(grams.get(region))
        data.append(
            {
                "region": t.option("region", region),
                "kg": i18n.number_or_none(row.get("monthly_kgco2e")),
                "cost": i18n.number_or_none(row.get("monthly_cost")),
                "g_per_kwh": g,
                "status": t("charts.legend.recommended")
                if row.get("is_recommended")
                else t("charts.legend.feasible"),
                "text": i18n.format_quantity(g, "g/kWh", language, 0) if g is not None else "",
            }
        )
    unit = _axis_title(t, "monthly_kgco2e")
    base = alt.Chart(alt.Data(values=data)).encode(
        y=alt.Y("region:N", sort=None, title=None, axis=alt.Axis(labelFontSize=12)),
        x=alt.X("kg:Q", title=unit, axis=alt.Axis(format=",.4~g")),
        tooltip=[
            alt.Tooltip("region:N", title=t("charts.axis.region")),
            alt.Tooltip("kg:Q", title=unit, format=",.1f"),
            alt.Tooltip("g_per_kwh:Q", title=t("charts.axis.g_per_kwh"), format=",.0f"),
            alt.Tooltip("cost:Q", title=_axis_title(t, "monthly_cost"), format="$,.0f"),
        ],
    )
    bars = base.mark_bar(height={"band": 0.65}).encode(
        color=alt.Color("status:N", scale=_status_scale(t), title=None)
    )
    text = base.mark_text(align="left", dx=4, fontSize=11, color="#344054").encode(text="text:N")
    chart = _layer(bars, text, _limit_rule(limit)).properties(
        width=WIDTH - 160, height=max(30 * len(data), 60)
    )
    return _finish(chart, t, "regions", currency)


# -- measurements --------------------------------------------------------------------------------


def daily_load_chart(
    usage_summary: Mapping[str, Any], *, language: str = "en", currency: str = "EUR"
) -> alt.TopLevelMixin:
    """The usage log's daily load curve: mean requests per hour of the day (UTC) over the
    period, active hours in colour, the busiest hour labelled; the dashed line is the sizing
    peak (the quantile of the window rates) as requests per hour, so the gap between it and the
    busiest hour's bar is the burstiness the hourly means hide."""
    t = i18n.Translator(language)
    days = i18n.number_or_none(usage_summary.get("days_covered")) or 1.0
    by_hour = [float(c) for c in usage_summary.get("requests_by_hour") or []]
    share = i18n.number_or_none(usage_summary.get("active_hour_share")) or 0.0
    busiest = max(by_hour) if by_hour else 0.0
    active, off = t("charts.daily_load.active"), t("charts.daily_load.quiet")
    data = [
        {
            "hour": f"{h:02d}",
            "requests": count / days,
            "kind": active if count > 0 and count >= share * busiest else off,
        }
        for h, count in enumerate(by_hour)
    ]
    y_title = t("charts.daily_load.y")
    x = alt.X("hour:O", title=t("charts.daily_load.x"), axis=alt.Axis(labelAngle=0))
    bars = (
        alt.Chart(alt.Data(values=data))
        .mark_bar()
        .encode(
            x=x,
            y=alt.Y("requests:Q", title=y_title, axis=alt.Axis(format=",.0f")),
            color=alt.Color(
                "kind:N",
                title=None,
                scale=alt.Scale(domain=[active, off], range=[COLOR_RECOMMENDED, COLOR_FEASIBLE]),
            ),
            tooltip=[
                alt.Tooltip("hour:O", title=t("charts.daily_load.x")),
                alt.Tooltip("requests:Q", title=y_title, format=",.1f"),
            ],
        )
    )
    layers: list[Any] = [bars]
    if busiest > 0:
        top = max(range(len(by_hour)), key=lambda h: by_hour[h])
        label = t(
            "charts.daily_load.busiest",
            value=i18n.format_number(busiest / days, language, digits=0),
        )
        layers.append(
            alt.Chart(alt.Data(values=[{"hour": f"{top:02d}", "requests": busiest / days}]))
            .mark_text(dy=-6, baseline="bottom", fontSize=11, color=COLOR_CLIENT)
            .encode(x=x, y="requests:Q", text=alt.value(label))
        )
    peak = i18n.number_or_none(usage_summary.get("peak_requests_per_second"))
    if peak:
        quantile = i18n.number_or_none(usage_summary.get("peak_quantile"))
        window = i18n.number_or_none(usage_summary.get("peak_window_s")) or 60
        text = t(
            "charts.daily_load.peak",
            rps=i18n.format_number(peak, language, digits=2),
            per_hour=i18n.format_number(peak * 3600, language, digits=0),
            quantile=f"p{round(quantile * 100):d}" if quantile else "max",
            window=i18n.format_number(window, language, digits=0),
        )
        rule = alt.Chart(alt.Data(values=[{"requests": peak * 3600, "label": text}]))
        layers.append(
            rule.mark_rule(color=COLOR_LIMIT, strokeDash=[5, 3], strokeWidth=1.5).encode(
                y="requests:Q", tooltip=alt.Tooltip("label:N", title=t("charts.daily_load.rule"))
            )
        )
        layers.append(
            rule.mark_text(align="left", baseline="bottom", x=4, dy=-3, fontSize=11)
            .encode(y="requests:Q", text="label:N")
            .properties()
        )
    chart = alt.layer(*layers).properties(width=WIDTH - 80, height=240)
    return _finish(chart, t, "daily_load", currency)


# -- rendering -----------------------------------------------------------------------------------


def _meta(spec: Mapping[str, Any]) -> tuple[str, str]:
    meta = (spec.get("usermeta") or {}).get("llmdecide") or {}
    return str(meta.get("language") or "en"), str(meta.get("currency") or "EUR")


@lru_cache(maxsize=8)
def _format_locale(language: str, currency: str) -> tuple[tuple[str, Any], ...]:
    base = {"fr": "fr-FR", "en": "en-GB"}[i18n.check_language(language)]
    locale = dict(vlc.get_format_locale(base))  # type: ignore[arg-type]  # fr-FR / en-GB
    if language == "fr":
        locale["thousands"] = i18n.NNBSP  # as Babel writes it in the text
    locale["currency"] = list(i18n.currency_affixes(currency, language))
    return tuple(locale.items())


def format_locale(language: str, currency: str) -> dict[str, Any]:
    """The d3-format locale of a language with the client's currency (for vega-embed and SVG)."""
    return dict(_format_locale(language, currency))


@lru_cache(maxsize=2)
def time_format_locale(language: str) -> dict[str, Any]:
    tag = {"fr": "fr-FR", "en": "en-GB"}[language]
    return dict(vlc.get_time_format_locale(tag))  # type: ignore[arg-type]  # a known locale


def vegalite_version() -> str:
    """The Vega-Lite version Altair writes (``6.4``), for vl-convert."""
    return ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])


def to_html_spec(chart: Any) -> dict[str, Any]:
    """The Vega-Lite spec of a chart (a plain dict, JSON-ready) for vega-embed."""
    return chart.to_dict(validate=False) if hasattr(chart, "to_dict") else dict(chart)


def embed_options(spec: Mapping[str, Any]) -> dict[str, Any]:
    """vega-embed options for a spec: SVG renderer, no action menu, the spec's locale."""
    language, currency = _meta(spec)
    return {
        "renderer": "svg",
        "actions": False,
        "formatLocale": format_locale(language, currency),
        "timeFormatLocale": time_format_locale(language),
    }


def svg_request(chart: Any) -> dict[str, Any]:
    """Everything vl-convert needs to draw a chart as SVG, as plain JSON-able arguments of
    ``vl_convert.vegalite_to_svg`` (so another process can do the conversion)."""
    spec = to_html_spec(chart)
    language, currency = _meta(spec)
    return {
        "vl_spec": spec,
        "vl_version": vegalite_version(),
        "format_locale": format_locale(language, currency),
        "time_format_locale": time_format_locale(language),
    }


def finish_svg(svg: str) -> str:
    """vl-convert's SVG without the elements that draw nothing."""
    return _NO_OP.sub("", svg)


def font_directory() -> Path:
    """The fonts the PDF embeds; vl-convert measures chart text with them."""
    return i18n.TEMPLATES_DIR / "static" / "fonts"


def convert_request(request: Mapping[str, Any]) -> str:
    """Draw an :func:`svg_request` with vl-convert in this process."""

    _register_fonts()
    return finish_svg(vlc.vegalite_to_svg(**request))


def to_svg(chart: Any) -> str:
    """Static SVG of a chart (vl-convert, in the chart's locale), for the PDF."""
    return convert_request(svg_request(chart))


# Elements Vega writes that draw nothing (empty axis backgrounds, hidden foregrounds): a third of
# the nodes of a chart, and every node costs time when WeasyPrint paints the PDF.
_NO_OP = re.compile(
    r'<path class="(?:background|foreground)" aria-hidden="true" '
    r'd="(?:M0,0h0v0h0Z)?"(?: pointer-events="none")?(?: display="none")?/>'
)


@lru_cache(maxsize=1)
def _register_fonts() -> None:
    """Let vl-convert measure text with the PDF's font (DejaVu Sans) so labels fit."""

    if font_directory().is_dir():
        vlc.register_font_directory(str(font_directory()))
