"""The look and the vocabulary every chart shares: sizes, colours, number formats, the columns
a criterion reads, the shared data sets, and :func:`_finish` (title, description, locale metadata).

Every chart module imports this one; it imports only Altair and :mod:`llmdecide.i18n`.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import altair as alt

from llmdecide import i18n

FONT = "DejaVu Sans"
WIDTH = 560
"""Plot width in CSS px: fits A4 portrait (174 mm of text width) with room for axis labels."""

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
        return alt.NamedData(name=self.name(rows))

    def name(self, rows: Sequence[Mapping[str, Any]]) -> str:
        """Hold ``rows`` once; the name that a chart's ``data`` refers to."""
        plain = [dict(row) for row in rows]
        digest = hashlib.sha1(
            json.dumps(plain, sort_keys=True, default=str).encode("utf-8")
        ).hexdigest()[:12]
        name = f"llmdecide-{digest}"
        self.sets[name] = plain
        return name


CONFIG: dict[str, Any] = {
    "font": FONT,
    "background": "white",
    "view": {"stroke": None},
    "axis": {
        "labelFontSize": 11,
        "titleFontSize": 11,
        "titleFontWeight": "normal",
        "ticks": False,
        "labelPadding": 4,
    },
    "legend": {"labelFontSize": 11, "titleFontSize": 11, "orient": "bottom", "labelLimit": 360},
}
"""The shared look (font, no view border, axis and legend text), as Vega-Lite ``config``."""


def _title(t: i18n.Translator, key: str, **fields: Any) -> dict[str, Any]:
    return {
        "text": t(f"charts.{key}.title", **fields),
        "anchor": "start",
        "fontSize": 14,
        "offset": 10,
    }


def _usermeta(t: i18n.Translator, key: str, currency: str) -> dict[str, Any]:
    return {"llmdecide": {"language": t.language, "currency": currency, "chart": key}}


def _finish(
    chart: Any,
    t: i18n.Translator,
    key: str,
    currency: str,
    datasets: _Datasets | None = None,
    **fields: Any,
) -> alt.TopLevelMixin:
    """Title, description, locale metadata and the shared look (font, no view border)."""
    # Set in place rather than through .properties()/.configure_*(): each of those deep-copies the
    # whole chart, and the chart is ours (just built), so nobody else holds it.
    chart.title = alt.TitleParams(**_title(t, key, **fields))
    chart.description = t(f"charts.{key}.description", **fields)
    chart.usermeta = _usermeta(t, key, currency)
    chart.config = alt.Config(**copy.deepcopy(CONFIG))
    if datasets is not None and datasets.sets:
        chart.datasets = datasets.sets
    finished = chart
    return finished


class Spec:
    """A chart built as plain Vega-Lite JSON instead of Altair objects, where Altair's copies
    cost most of the build (the per-choice panels: 40 ms a chart, 12 charts a notebook).

    It answers what the notebooks and the report ask of an Altair chart: ``to_dict`` (a copy of
    the spec, checked against the Vega-Lite schema unless ``validate=False``, as Altair does) and
    a Jupyter display through Altair's active renderer."""

    __slots__ = ("spec",)

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec

    def to_dict(self, validate: bool = True, **_: Any) -> dict[str, Any]:
        spec = copy.deepcopy(self.spec)
        if validate:
            alt.vegalite.v6.schema.core.Root.validate(spec)
        return spec

    def _repr_mimebundle_(self, *args: Any, **kwargs: Any) -> Any:
        renderer = alt.renderers.get()
        return renderer(self.to_dict(validate=False)) if renderer else {}


def _merged(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """``over`` laid on ``base``, nested mappings merged (as Altair lays a chart's config on its
    theme's)."""
    out = dict(base)
    for k, v in over.items():
        out[k] = (
            _merged(out[k], v) if isinstance(v, Mapping) and isinstance(out.get(k), Mapping) else v
        )
    return out


def _finish_spec(
    spec: dict[str, Any],
    t: i18n.Translator,
    key: str,
    currency: str,
    datasets: _Datasets | None = None,
    **fields: Any,
) -> Spec:
    """:func:`_finish` for a chart built as JSON: the same title, description, metadata and
    look, the theme's config underneath and the schema URL, as Altair's ``to_dict`` writes
    them."""
    theme = alt.theme.get()  # the active theme's config, as Altair applies it
    theme_config = (theme() if theme else {}).get("config", {})
    spec = {
        "$schema": alt.SCHEMA_URL,
        **spec,
        "title": _title(t, key, **fields),
        "description": t(f"charts.{key}.description", **fields),
        "usermeta": _usermeta(t, key, currency),
        "config": _merged(theme_config, CONFIG),
    }
    if datasets is not None and datasets.sets:
        spec["datasets"] = datasets.sets
    return Spec(spec)


def _status(t: i18n.Translator, row: Mapping[str, Any]) -> str:
    if row.get("is_recommended"):
        return t("charts.legend.recommended")
    return t("charts.legend.feasible") if row.get("feasible") else t("charts.legend.rejected")


def _status_scale_spec(t: i18n.Translator) -> dict[str, Any]:
    return {
        "domain": [
            t("charts.legend.recommended"),
            t("charts.legend.feasible"),
            t("charts.legend.rejected"),
        ],
        "range": [COLOR_RECOMMENDED, COLOR_FEASIBLE, COLOR_REJECTED],
    }


def _status_scale(t: i18n.Translator) -> alt.Scale:
    return alt.Scale(**_status_scale_spec(t))


def _limit_rule_spec(value: float | None, channel: str = "x") -> dict[str, Any] | None:
    """:func:`_limit_rule` as Vega-Lite JSON."""
    if value is None:
        return None
    return {
        "data": {"values": [{"limit": value}]},
        "mark": {"type": "rule", "color": COLOR_LIMIT, "strokeDash": [5, 3], "strokeWidth": 1.5},
        "encoding": {channel: {"field": "limit", "type": "quantitative"}},
    }


def _limit_rule(value: float | None, channel: str = "x") -> alt.Chart | None:
    """The limit as a dashed rule across a panel (``channel`` x: a vertical line)."""
    spec = _limit_rule_spec(value, channel)
    if spec is None:
        return None
    style = {k: v for k, v in spec["mark"].items() if k != "type"}
    encoding = {channel: alt.X("limit:Q") if channel == "x" else alt.Y("limit:Q")}
    return alt.Chart(alt.Data(**spec["data"])).mark_rule(**style).encode(**encoding)


def _layer(*charts: Any) -> Any:
    present = [c for c in charts if c is not None]
    return present[0] if len(present) == 1 else alt.layer(*present)
