"""Charts of money (notebook 02 and the report's cost section): the recommendation's monthly
cost by component and the API / self-hosted break-even against the daily volume."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import altair as alt

from llmdecide import i18n
from llmdecide.charts.style import (
    COLOR_CLIENT,
    COLOR_LIMIT,
    COLOR_RECOMMENDED,
    COST_COMPONENTS,
    WIDTH,
    _axis_title,
    _Datasets,
    _finish,
)


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
