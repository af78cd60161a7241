"""The notebooks as the consultant's workbench (issue 15, item 8): each display preceded by a
one-line "so what", tables with headers and values in the client's language and currency (the
report's message catalogs and Babel formatting, :mod:`llmdecide.i18n`), charts from
:mod:`llmdecide.charts` as in the report.

The notebooks stay thin: ``wb = present.workbench(stage)`` then ``wb.show("limits")``. Everything
here is formatting; the figures are the stage's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from IPython.display import Markdown, display

from llmdecide import i18n
from llmdecide.columns import CHOICES

OPTION_COLUMNS = frozenset(CHOICES) - {"replicas", "gpus_per_replica", "model", "gpu", "region"}
BOOL_MARKS = ("✓", "✗")
SHARE_COLUMNS = frozenset({"weight", "variance_share", "probability", "probability_alone"})


def header(column: str, t: i18n.Translator) -> str:
    """A column's name in the client's language (metrics, usage, choices, pillars, workbench)."""
    for group in ("metrics", "usage", "choices", "workbench.columns"):
        if t.has(f"{group}.{column}"):
            return t(f"{group}.{column}")
    return column


def cell(value: Any, column: str, t: i18n.Translator, currency: str) -> str:
    """A value shown as the report shows it: money in the client's currency, shares in %, units
    on latencies and emissions, option names translated, n/a as a dash."""
    language = t.language
    if isinstance(value, bool):
        return BOOL_MARKS[0] if value else BOOL_MARKS[1]
    if value is None or (isinstance(value, float) and value != value):
        return t("na")
    if column == "metric" and t.has(f"metrics.{value}"):
        return t(f"metrics.{value}")
    if column == "lever" and t.has(f"levers.{value}"):
        return t(f"levers.{value}")
    if column == "audience" and isinstance(value, (list, tuple)):
        return ", ".join(t(f"risks.audience.{a}") for a in value)
    if column == "year":
        return str(value)
    if column == "pillar":
        return t(f"pillars.{value}") if t.has(f"pillars.{value}") else str(value)
    if column in OPTION_COLUMNS or column == "option":
        return t.option(column, value) if column != "option" else str(value)
    base = column.removesuffix("_low").removesuffix("_high")
    if base != column and isinstance(value, (int, float)):
        return cell(value, base, t, currency)
    if isinstance(value, (int, float)):
        known = (
            column in i18n.MONEY_METRICS
            or column in i18n.FRACTION_METRICS
            or column in i18n.METRIC_UNITS
        )
        if known:
            return i18n.format_metric(value, column, language, currency)
        if column in SHARE_COLUMNS:
            return i18n.format_percent(value, language, 1)
        digits = 0 if float(value).is_integer() else None
        return i18n.format_number(value, language, None, digits=digits)
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)


def table(
    frame: Any, t: i18n.Translator, currency: str, columns: Sequence[str] | None = None
) -> Any:
    """A copy of ``frame`` (or records) with translated headers and formatted cells; a key/value
    table (columns ``key``, ``value``) formats each value by its key and translates the key."""
    # pandas (~1.5 s to import): loaded by the stage, not by importing this view
    import pandas as pd

    frame = pd.DataFrame(frame)
    if columns is not None and not frame.empty:
        frame = frame[[c for c in columns if c in frame.columns]]
    if frame.empty:
        return frame
    if list(frame.columns) == ["key", "value"]:
        rows = [
            (header(str(k), t), cell(v, str(k), t, currency))
            for k, v in zip(frame["key"], frame["value"], strict=True)
        ]
        return pd.DataFrame(
            rows, columns=[t("workbench.columns.key"), t("workbench.columns.value")]
        )
    out = pd.DataFrame(
        {header(c, t): [cell(v, c, t, currency) for v in frame[c]] for c in frame.columns}
    )
    if "limit" in frame.columns and "metric" in frame.columns:
        # a limit is shown in its metric's unit (3 s, 90,0 %, 6 000 €)
        out[header("limit", t)] = [
            cell(v, str(m), t, currency)
            for v, m in zip(frame["limit"], frame["metric"], strict=True)
        ]
    return out


class Workbench:
    """The displays of one stage (notebook 01, 02 or 03): ``show(name)`` writes the "so what"
    line (Markdown) and the table or chart under it; ``views`` lists the names."""

    def __init__(self, stage: Any) -> None:
        self.stage = stage
        self.data: Mapping[str, Any] = stage.data
        self.language = str(self.data.get("language", "en"))
        self.currency = str(self.data.get("currency", "EUR"))
        self.t = i18n.Translator(self.language)

    # -- helpers ---------------------------------------------------------------------------------
    def money(self, value: Any) -> str:
        return i18n.format_money(value, self.currency, self.language)

    def percent(self, value: Any) -> str:
        return i18n.format_percent(value, self.language)

    def number(self, value: Any) -> str:
        return i18n.format_number(value, self.language, None)

    def table(self, frame: Any, columns: Sequence[str] | None = None) -> Any:
        return table(frame, self.t, self.currency, columns)

    def view(self, name: str) -> tuple[str, Any]:
        """(so-what sentence, body) of a display; KeyError names the known displays."""
        if name not in VIEWS:
            raise KeyError(f"unknown display {name!r}; known: {', '.join(sorted(VIEWS))}")
        return VIEWS[name](self)

    @property
    def views(self) -> list[str]:
        return sorted(VIEWS)

    def show(self, name: str) -> None:
        """Display the so-what line then the body (a table, a chart, or several)."""

        sentence, body = self.view(name)
        display(Markdown(f"**{sentence}**"))
        for item in body if isinstance(body, list) else [body]:
            display(_unchecked(item))


def _unchecked(item: Any) -> Any:
    """An Altair chart displayed through Altair's renderer without its schema check: every
    chart kind is checked against the Vega-Lite schema in tests/test_charts.py, not at each
    display (half a second a notebook). Anything else is displayed as it is."""
    if not type(item).__module__.startswith("altair."):
        return item
    # altair is already imported (the item is one of its charts)
    from llmdecide.charts import Spec

    return Spec(item.to_dict(validate=False))


def workbench(stage: Any) -> Workbench:
    return Workbench(stage)


# -- the displays ------------------------------------------------------------------------------
View = Callable[[Workbench], tuple[str, Any]]
VIEWS: dict[str, View] = {}


def _view(name: str) -> Callable[[View], View]:
    def register(fn: View) -> View:
        VIEWS[name] = fn
        return fn

    return register


@_view("limits")
def _limits(wb: Workbench) -> tuple[str, Any]:
    limits = {p: v for p, v in wb.data["limits"].items() if v}
    names = ", ".join(wb.t(f"pillars.{p}") for p in limits)
    return wb.t("workbench.limits", count=len(limits), pillars=names), wb.table(wb.stage.limits)


@_view("priorities")
def _priorities(wb: Workbench) -> tuple[str, Any]:
    weights = wb.data["priorities"]
    total = sum(weights.values()) or 1.0
    top = max(weights, key=lambda k: weights[k])
    sentence = wb.t(
        "workbench.priorities",
        pillar=wb.t(f"pillars.{top}"),
        share=wb.percent(weights[top] / total),
    )
    return sentence, [wb.table(wb.stage.priorities), wb.stage.priorities_chart]


@_view("ahp")
def _ahp(wb: Workbench) -> tuple[str, Any]:
    ahp = wb.data.get("ahp")
    if not ahp:
        return wb.t("workbench.ahp_none"), []
    ratio = i18n.format_number(ahp.get("consistency_ratio"), wb.language, None, digits=3)
    key = "workbench.ahp_warning" if ahp.get("warning") else "workbench.ahp_ok"
    return wb.t(key, ratio=ratio), []


@_view("usage")
def _usage(wb: Workbench) -> tuple[str, Any]:
    usage = wb.data["usage"]
    measured = wb.data.get("hypotheses") not in (None, usage)
    sentence = wb.t(
        "workbench.usage_measured" if measured else "workbench.usage",
        requests=wb.number(usage.get("requests_per_day")),
        peak=wb.number(usage.get("peak_requests_per_second")),
    )
    return sentence, wb.table(wb.stage.usage)


SUMMARY_COLUMNS = (
    "label",
    "p95_latency_s",
    "ttft_s",
    "accuracy",
    "monthly_cost",
    "setup_cost",
    "monthly_kgco2e",
    "probability_meets_limits",
)


@_view("space")
def _space(wb: Workbench) -> tuple[str, Any]:
    c = wb.data["counts"]
    sentence = wb.t(
        "workbench.space",
        configurations=wb.number(c["configurations"]),
        feasible=wb.number(c["feasible"]),
        excluded=wb.number(c["excluded"]),
    )
    return sentence, [wb.table(wb.stage.space), wb.table(wb.stage.excluded)]


@_view("summary")
def _summary(wb: Workbench) -> tuple[str, Any]:
    d = wb.data
    if not d["feasible"]:
        return wb.t("workbench.nothing_feasible"), wb.table(d.get("closest") or [])
    est = d["estimates"] or {}
    key = "workbench.summary_fragile" if d.get("fragile") else "workbench.summary"
    sentence = wb.t(
        key,
        label=d["recommendation_label"],
        monthly=wb.money(est.get("monthly_cost")),
        probability=wb.percent(est.get("probability_meets_limits")),
    )
    rows = [{"label": d["recommendation_label"], **est}]
    runner = d.get("runner_up")
    if runner:
        rows.append({"label": runner["label"], **(runner.get("estimates") or {})})
    return sentence, wb.table(rows, SUMMARY_COLUMNS)


@_view("top")
def _top(wb: Workbench) -> tuple[str, Any]:
    rows = wb.data["top"]
    return wb.t("workbench.top", count=len(rows)), wb.table(rows, SUMMARY_COLUMNS)


@_view("rejected")
def _rejected(wb: Workbench) -> tuple[str, Any]:
    rows = wb.data["rejected"]
    sentence = wb.t("workbench.rejected", count=wb.number(wb.data["counts"]["rejected"]))
    return sentence, wb.table(rows, ("label", "rejected_because"))


@_view("per_choice")
def _per_choice(wb: Workbench) -> tuple[str, Any]:
    columns = ("option", "p95_latency_s", "accuracy", "monthly_cost", "monthly_kgco2e", "feasible")
    charts = wb.stage.per_choice_charts
    body: list[Any] = []
    for choice, rows in wb.data["per_choice"].items():
        named = [{**r, "option": wb.t.option(choice, r.get("option"))} for r in rows]
        body.append(wb.table(named, columns))
        if choice in charts:
            body.append(charts[choice])
    return wb.t("workbench.per_choice"), body


@_view("pareto")
def _pareto(wb: Workbench) -> tuple[str, Any]:
    count = len(wb.data["pareto"])
    return wb.t("workbench.pareto", count=count), wb.stage.pareto_chart


@_view("ranges")
def _ranges(wb: Workbench) -> tuple[str, Any]:
    # altair (~1.8 s to import): only the range chart needs it
    from llmdecide import charts

    est = wb.data.get("estimates")
    if not est:
        return wb.t("workbench.nothing_feasible"), []
    chart = charts.ranges_chart(est, wb.data["limits"], language=wb.language, currency=wb.currency)
    return wb.t("workbench.ranges"), chart


@_view("cost")
def _cost(wb: Workbench) -> tuple[str, Any]:
    breakdown = wb.data.get("cost_breakdown") or {}
    if not breakdown:
        return wb.t("workbench.nothing_feasible"), []
    top = max(breakdown, key=lambda k: breakdown[k])
    label = wb.t(f"cost_components.{top}") if wb.t.has(f"cost_components.{top}") else top
    sentence = wb.t("workbench.cost", part=label, amount=wb.money(breakdown[top]))
    return sentence, wb.stage.cost_chart


@_view("break_even")
def _break_even(wb: Workbench) -> tuple[str, Any]:
    be = wb.data.get("break_even")
    if not be:
        return wb.t("workbench.break_even_none"), []
    volume = be.get("requests_per_day")
    if volume is None:
        return wb.t("workbench.break_even_no_crossing"), wb.stage.break_even_chart
    return wb.t("workbench.break_even", volume=wb.number(volume)), wb.stage.break_even_chart


@_view("sensitivity")
def _sensitivity(wb: Workbench) -> tuple[str, Any]:
    s = wb.data["sensitivity"]
    sentence = wb.t(
        "workbench.sensitivity",
        share=wb.percent(s.get("share_recommendation_wins")),
        distance=wb.percent(s.get("distance")),
    )
    return sentence, wb.stage.winner_map_chart


@_view("pilot_plan")
def _pilot_plan(wb: Workbench) -> tuple[str, Any]:
    plan = wb.data.get("pilot_plan") or {}
    designs = plan.get("designs") or []
    if not designs:
        return wb.t("workbench.nothing_feasible"), []
    first = designs[0]["measurements"][0] if designs[0]["measurements"] else None
    sentence = wb.t(
        "workbench.pilot_plan",
        measure=header(first["column"], wb.t) if first else wb.t("na"),
        share=wb.percent(first["variance_share"]) if first else wb.t("na"),
    )
    body = []
    for d in designs:
        rows = [
            {
                "design": d["label"],
                "measure": header(m["column"], wb.t),
                "estimate": cell(m["value"], m["column"], wb.t, wb.currency),
                "limit": cell(m["limit"], m["column"], wb.t, wb.currency),
                "variance_share": m["variance_share"],
                "threshold": cell(m["threshold"], m["column"], wb.t, wb.currency),
            }
            for m in d["measurements"]
        ]
        body.append(wb.table(rows))
    if plan.get("close_to_limit"):
        body.append(wb.table(plan["close_to_limit"], ("model", "accuracy_low", "accuracy")))
    return sentence, body


@_view("phases")
def _phases(wb: Workbench) -> tuple[str, Any]:
    plan = wb.data.get("phase_plan")
    if not plan:
        return wb.t("workbench.phases_none"), []
    path = plan.get("path") or {}
    sentence = wb.t(
        "workbench.phases",
        switches=len(plan.get("switches") or []),
        total=wb.money(path.get("total")),
    )
    columns = ("name", "months", "requests_per_day", "recommendation_label", "monthly_cost")
    return sentence, [
        wb.table(plan["phases"], columns),
        wb.table(plan.get("stay") or [], ("label", "total")),
    ]


@_view("risks")
def _risks(wb: Workbench) -> tuple[str, Any]:
    r = wb.data.get("risks") or {}
    designs = r.get("designs") or []
    count = sum(len(d["questions"]) for d in designs)
    rows = [
        {"design": d["label"], "audience": q["audience"], "topic": risk_text(q, wb.t)}
        for d in designs
        for q in d["questions"]
    ]
    return wb.t("workbench.risks", count=count), wb.table(rows)


def risk_text(question: Mapping[str, Any], t: i18n.Translator) -> str:
    """A risk question worded as the report words it (templates/partials/risks.html.j2)."""
    f = question.get("facts") or {}
    confirm = t("risks.to_confirm")
    docs = f.get("documents_gb")
    fields = {
        "model": f.get("model") or "",
        "licence": f.get("licence") or confirm,
        "source": f.get("source") or t("na"),
        "provider": f.get("provider") or confirm,
        "zone": f.get("zone") or confirm,
        "region": f.get("region") or t("na"),
        "providers": f.get("providers") or confirm,
        "documents_gb": t("na") if docs is None else i18n.format_number(docs, t.language, None),
    }
    text = t(f"risks.{question['topic']}", **fields)
    if f.get("areas"):
        text += " " + "; ".join(t(f"risks.annex_iii.{a}") for a in f["areas"]) + "."
    return text


# notebook 03
@_view("intensity")
def _intensity(wb: Workbench) -> tuple[str, Any]:
    rows = wb.data["intensity"]
    if not rows:
        return wb.t("workbench.nothing_feasible"), []
    low = min(rows, key=lambda r: r["g_per_kwh"])
    sentence = wb.t(
        "workbench.intensity",
        region=low["region"],
        value=i18n.format_metric(low["g_per_kwh"], "g_per_kwh", wb.language),
    )
    return sentence, wb.table(rows, ("region", "country_name", "g_per_kwh", "year"))


@_view("projection")
def _projection(wb: Workbench) -> tuple[str, Any]:
    p = wb.data.get("projection")
    if not p:
        return wb.t("workbench.nothing_feasible"), []
    sentence = wb.t(
        "workbench.projection",
        value=i18n.format_metric(p["monthly_kgco2e"], "monthly_kgco2e", wb.language),
        low=i18n.format_metric(p["low"], "monthly_kgco2e", wb.language),
        high=i18n.format_metric(p["high"], "monthly_kgco2e", wb.language),
    )
    columns = ("monthly_kgco2e", "operational_kgco2e", "embodied_kgco2e", "energy_kwh_per_month")
    return sentence, [wb.table([p], columns), wb.stage.projection_chart]


@_view("levers")
def _levers(wb: Workbench) -> tuple[str, Any]:
    levers = wb.data.get("levers") or []
    region_chart = [wb.stage.region_chart] if wb.data.get("regions") else []
    if not levers:
        return wb.t("workbench.levers_none"), region_chart
    best = max(levers, key=lambda r: r.get("saving_kgco2e") or 0.0)
    sentence = wb.t(
        "workbench.levers",
        lever=wb.t(f"levers.{best['lever']}")
        if wb.t.has(f"levers.{best['lever']}")
        else best["lever"],
        saving=i18n.format_metric(best["saving_kgco2e"], "monthly_kgco2e", wb.language),
        cost=i18n.format_money(best["cost_difference"], wb.currency, wb.language),
    )
    columns = ("lever", "option", "saving_kgco2e", "cost_difference", "p95_latency_s", "accuracy")
    return sentence, [wb.table(levers, columns), *region_chart]


@_view("measured")
def _measured(wb: Workbench) -> tuple[str, Any]:
    m = wb.data.get("measured")
    if not m:
        return wb.t("workbench.measured_none"), []
    rows = [{"key": k, "value": v} for k, v in m.items() if not isinstance(v, (dict, list))]
    return wb.t("workbench.measured"), wb.table(rows)


@_view("run_footprint")
def _run_footprint(wb: Workbench) -> tuple[str, Any]:
    f = wb.data.get("run_footprint") or {}
    if not f:
        return wb.t("workbench.measured_none"), []
    energy_wh = (i18n.number_or_none(f.get("energy_kwh")) or 0.0) * 1000
    grams = (i18n.number_or_none(f.get("emissions_kg")) or 0.0) * 1000
    sentence = wb.t(
        "workbench.run_footprint",
        energy=i18n.format_quantity(energy_wh, "Wh", wb.language),
        emissions=i18n.format_quantity(grams, "gCO₂e", wb.language),
        duration=i18n.format_duration(f.get("duration_s"), wb.language),
        country=f.get("country") or wb.t("na"),
    )
    return sentence, []
