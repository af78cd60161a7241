"""The report's sections beyond the summary: the table of contents, the per-choice reasons and
what the HTML what-if section embeds."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from llmdecide import charts, i18n
from llmdecide.report.context import PILLARS, ordered_choices
from llmdecide.report.templating import reason_text

HALF_LAST_DIGIT_POINTS = 0.05
"""An accuracy effect is shown to one decimal of a point: below half of it, it would read 0.0."""
HALF_LAST_DIGIT_PERCENT = 0.5
"""Other effects are shown as whole percents: below half of one, it would read 0 %."""

WHATIF_MESSAGES = (
    "winner_none",
    "fragile",
    "robust",
    "col_rank",
    "col_configuration",
    "col_score",
    "col_probability",
)


def whatif_view(context: Mapping[str, Any], t: i18n.Translator) -> dict[str, Any] | None:
    """What the what-if section embeds (HTML only): the scoring's data (``choices.whatif``), the
    sliders (priorities as the client's normalised weights, limits over their explored range),
    the messages and number formats the script needs. None when the context has no what-if
    data (an older run) or nothing can be feasible on the sliders."""
    data = (context.get("choices") or {}).get("whatif")
    if not data or not data.get("rows"):
        return None
    lang, currency = t.language, context["client"]["currency"]
    priorities = context["results"].get("priorities") or {}
    sliders = [
        {
            "key": f"priority-{pillar}",
            "label": t(f"pillars.{pillar}"),
            "min": 0,
            "max": 1,
            "value": float(i18n.number_or_none(priorities.get(pillar)) or 0.0),
            "kind": "priority",
        }
        for pillar in PILLARS
    ]
    for check in data["checks"]:
        column = str(check["column"])
        low, high = sorted(float(v) for v in check["range"])
        name = (
            t("limits.setup_name")
            if check["key"] == "setup"
            else (t(f"metrics.{column}") if t.has(f"metrics.{column}") else column)
        )
        sliders.append(
            {
                "key": f"limit-{check['key']}",
                "label": name,
                "min": low,
                "max": high,
                "value": float(check["limit"]),
                "kind": "limit",
                "column": column,
            }
        )
    units = {c: i18n.METRIC_UNITS.get(c, "") for c in [*data["columns"], *data["display"]]}
    money = sorted(c for c in units if c in i18n.MONEY_METRICS)
    fractions = sorted(c for c in units if c in i18n.FRACTION_METRICS)
    return {
        "sliders": sliders,
        "data": data,
        "format": {
            "locale": i18n.babel_locale(lang).replace("_", "-"),
            "currency": currency,
            "units": units,
            "money": money,
            "fractions": fractions,
            "names": {c: t(f"metrics.{c}") for c in data["display"] if t.has(f"metrics.{c}")},
        },
        "messages": {k: t.raw(f"whatif.{k}") for k in WHATIF_MESSAGES},
        "embedded": t(
            "whatif.embedded",
            embedded=i18n.format_number(data["embedded"], lang, digits=0),
            configurations=i18n.format_number(data["configurations"], lang, digits=0),
            candidates=i18n.format_number(data["candidates"], lang, digits=0),
        ),
    }


def choice_reasons(
    choice: str, rows: Sequence[Mapping[str, Any]], context: Mapping[str, Any], t: i18n.Translator
) -> list[str]:
    """Why the recommended option of one choice: each alternative's effect on the four criteria
    compared with it (the other five choices held), or the reason it was rejected."""
    limits = context["results"]["limits"]
    lang = t.language
    chosen = next((r for r in rows if r.get("is_recommended")), None)
    if chosen is None:
        return []
    columns = [charts.pillar_column(p, limits) for p in PILLARS]
    out = []
    for row in rows:
        if row is chosen:
            continue
        option = (
            t.option(choice, row.get("option"))
            if row.get("option") is not None
            else t("option_none")
        )
        if not row.get("feasible"):
            reason = reason_text(row.get("rejected_because"), t, context["client"]["currency"])
            out.append(t("choices_section.alternative_rejected", option=option, reason=reason))
            continue
        effects = []
        for column in columns:
            now = i18n.number_or_none(chosen.get(column))
            alt = i18n.number_or_none(row.get(column))
            if now is None or alt is None or now == 0:
                continue
            if column == "accuracy":
                points = (alt - now) * 100
                if abs(points) < HALF_LAST_DIGIT_POINTS:
                    continue
                effects.append(
                    t(
                        "choices_section.effect_points",
                        criterion=t(f"effects.{column}"),
                        points=("+" if points > 0 else "\u2212")
                        + i18n.format_number(abs(points), lang, digits=1),
                    )
                )
            else:
                change = (alt - now) / abs(now) * 100
                if abs(change) < HALF_LAST_DIGIT_PERCENT:
                    continue
                effects.append(
                    t(
                        "choices_section.effect",
                        criterion=t(f"effects.{column}"),
                        change=i18n.format_change(change, lang),
                    )
                )
        effects_text = ", ".join(effects) if effects else t("choices_section.no_difference")
        out.append(
            t(
                "choices_section.alternative",
                option=option,
                effects=effects_text,
                score=i18n.format_number(row.get("score"), lang, digits=2),
                chosen_score=i18n.format_number(chosen.get("score"), lang, digits=2),
            )
        )
    return out


def moved_text(row: Mapping[str, Any], t: i18n.Translator) -> str:
    """The other choices a per-choice row changes with its option ("" when it holds them)."""
    parts = []
    for move in row.get("moved") or []:
        choice = str(move.get("choice"))
        option = move.get("option")
        if isinstance(option, float) and option.is_integer():
            option = int(option)
        shown = t.option(choice, option) if isinstance(option, str) else str(option)
        parts.append(t("choices_section.moved_item", choice=t(f"choices.{choice}"), option=shown))
    return ", ".join(parts)


def sections(
    context: Mapping[str, Any], t: i18n.Translator, pdf: bool = True
) -> list[dict[str, Any]]:
    """The table of contents: (id, title, children) of every section present in this report."""
    per_choice = context["choices"]["per_choice"] or {}
    choices = [
        {"id": f"choice-{c}", "title": t(f"choices.{c}")} for c in ordered_choices(per_choice)
    ]
    out: list[dict[str, Any]] = [
        {"id": "summary", "title": t("summary.title"), "children": []},
        {"id": "critical", "title": t("critical.title"), "children": []},
        {"id": "choices", "title": t("choices_section.title"), "children": choices},
        {"id": "tradeoffs", "title": t("tradeoffs.title"), "children": []},
        *(
            [{"id": "limits", "title": t("limits.title"), "children": []}]
            if context["results"].get("limit_sensitivity")
            else []
        ),
        *(
            [{"id": "whatif", "title": t("whatif.title"), "children": []}]
            if not pdf and whatif_view(context, t)
            else []
        ),
        {"id": "cost", "title": t("cost.title"), "children": []},
        {"id": "carbon", "title": t("carbon.title"), "children": []},
        {"id": "uncertainty", "title": t("uncertainty.title"), "children": []},
    ]
    if context["results"].get("to_evaluate"):
        out.append({"id": "evaluation-plan", "title": t("evaluation_plan.title"), "children": []})
    out += plan_sections(context["results"], t)
    if context["measurements"] or context["changes"]:
        out.append({"id": "measurements", "title": t("measurements.title"), "children": []})
    if context["results"].get("calibration"):
        out.append({"id": "calibration", "title": t("calibration.title"), "children": []})
    out += [
        {"id": "sources", "title": t("sources.title"), "children": []},
        {"id": "appendix", "title": t("appendix.title"), "children": []},
    ]
    return out


def plan_sections(results: Mapping[str, Any], t: i18n.Translator) -> list[dict[str, Any]]:
    """Table-of-contents entries of the pilot plan, the phase plan and the risks (issue 15,
    items 5-7), each present when ``results.json`` has something to show (as the partials)."""
    pilot = results.get("pilot_plan") or {}
    out = []
    if pilot.get("designs") or pilot.get("close_to_limit"):
        out.append({"id": "pilot-plan", "title": t("pilot_plan.title"), "children": []})
    if results.get("phases"):
        out.append({"id": "phases", "title": t("phases.title"), "children": []})
    if (results.get("risks") or {}).get("designs"):
        out.append({"id": "risks", "title": t("risks.title"), "children": []})
    return out
