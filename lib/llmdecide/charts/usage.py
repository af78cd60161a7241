"""Charts of measured usage (the report's measurements section): the usage log's daily load."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import altair as alt

from llmdecide import i18n
from llmdecide.charts.style import (
    COLOR_CLIENT,
    COLOR_FEASIBLE,
    COLOR_LIMIT,
    COLOR_RECOMMENDED,
    WIDTH,
    _finish,
)


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
