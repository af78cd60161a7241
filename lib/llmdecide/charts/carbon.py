"""Charts of carbon (notebook 03 and the report's carbon section): the projected monthly
footprint beside the measured one, and the region lever."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import altair as alt

from llmdecide import i18n
from llmdecide.charts.style import (
    COLOR_CLIENT,
    WIDTH,
    _axis_title,
    _finish,
    _layer,
    _limit_rule,
    _status_scale,
)


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
    data, bars_order = _carbon_parts(t, projection, measured, projected)
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


def _carbon_parts(
    t: i18n.Translator,
    projection: Mapping[str, Any],
    measured: Mapping[str, Any] | None,
    projected: str,
) -> tuple[list[dict[str, Any]], list[str]]:
    """The stacked parts of the projected bar (operational, embodied; the total when neither is
    positive) and the measured bar when there is a rate; the bars in their order."""
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
    return data, bars_order


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
