"""The view: what the templates need beyond the raw context, in the reader's language.

The executive summary (the recommendation in words, its key figures against the limits, when to
prefer the runner-up, its robustness), the limit sensitivity, what to relax when nothing is
feasible, the plausibility warnings; :func:`template_vars` gathers them with the sections of
:mod:`llmdecide.report.contents` into what ``report.html.j2`` sees.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from llmdecide import charts, i18n
from llmdecide.report.assets import font_faces, stylesheet, vega_bundle
from llmdecide.report.contents import (
    choice_reasons,
    moved_text,
    sections,
    whatif_view,
)
from llmdecide.report.context import CONTEXT_KEYS, PILLARS, check_context, ordered_choices

TIMES_FROM = 2.0
"""A figure at least twice (or at most half) the other's is said as "2.3 × more / less"; a
smaller change as a percentage."""


def describe(recommendation: Mapping[str, Any] | None, t: i18n.Translator) -> str:
    """A configuration in words: "cloud hosting in France, 3 × L40S GPU, llama-3.1-8b in int8, …"."""
    if not recommendation:
        return t("na")
    rec = recommendation
    hosting = rec.get("hosting")
    parts = [t.option("hosting", hosting)]
    if hosting != "api":
        region = rec.get("region")
        if region:
            parts.append(t("describe.region", region=t.option("region", region)))
        gpu = rec.get("gpu")
        if gpu:
            per = rec.get("gpus_per_replica") or 1
            replicas = rec.get("replicas") or 1
            parts.append(t("describe.gpus", replicas=replicas, per=per, gpu=gpu))
    model = rec.get("model")
    optimisation = rec.get("optimisation")
    if model:
        if optimisation and hosting != "api":
            parts.append(
                t("describe.model_opt", model=model, opt=t.option("optimisation", optimisation))
            )
        else:
            parts.append(t("describe.model", model=model))
    if rec.get("rag"):
        parts.append(t.option("rag", rec.get("rag")))
    if rec.get("output_format"):
        parts.append(t("describe.output", output=t.option("output_format", rec["output_format"])))
    if rec.get("deployment_mode"):
        parts.append(t.option("deployment_mode", rec["deployment_mode"]))
    return ", ".join(p for p in parts if p)


def _passes(pillar: str, value: float | None, limit: float | None) -> bool | None:
    if value is None or limit is None:
        return None
    return value >= limit if pillar == "precision" else value <= limit


def key_figures(context: Mapping[str, Any], t: i18n.Translator) -> list[dict[str, Any]]:
    """The four criteria of the recommendation against their limits (executive summary)."""
    results = context["results"]
    limits = results["limits"]
    estimates = results["estimates"] or {}
    lang, currency = t.language, context["client"]["currency"]
    by_limit = estimates.get("probability_by_limit") or {}
    threshold = i18n.number_or_none(results.get("min_probability_meets_limits")) or 0.0
    rows = []
    for pillar in PILLARS:
        if pillar not in limits and pillar != "carbon":
            continue
        column = charts.pillar_column(pillar, limits)
        value = i18n.number_or_none(estimates.get(column))
        limit = charts.limit_of(limits, pillar)
        low = i18n.number_or_none(estimates.get(f"{column}_low"))
        high = i18n.number_or_none(estimates.get(f"{column}_high"))
        passed = _passes(pillar, value, limit)
        share = i18n.number_or_none(by_limit.get(pillar)) if limit is not None else None
        uncertain = bool(passed) and share is not None and share < threshold
        verdict = (
            t("summary.pass")
            if passed
            else (t("summary.fail") if passed is False else t("summary.not_limited"))
        )
        if passed and share is not None and share < 1:
            key = "summary.pass_uncertain" if uncertain else "summary.pass_share"
            verdict = t(key, share=i18n.format_percent(share, lang))
        rows.append(
            {
                "pillar": pillar,
                "column": column,
                "name": t(f"pillars.{pillar}"),
                "metric": t(f"metrics.{column}"),
                "limit": t(
                    "summary.limit_min" if pillar == "precision" else "summary.limit_max",
                    value=i18n.format_metric(limit, column, lang, currency),
                )
                if limit is not None
                else t("summary.no_limit"),
                "value": i18n.format_metric(value, column, lang, currency),
                "range": t(
                    "summary.range",
                    low=i18n.format_metric(low, column, lang, currency),
                    high=i18n.format_metric(high, column, lang, currency),
                )
                if low is not None and high is not None
                else "",
                "passed": passed,
                "uncertain": uncertain,
                "verdict": verdict,
                "weight": i18n.format_percent(results["priorities"].get(pillar), lang),
            }
        )
    return rows


def _column_for(key: str, limits: Mapping[str, Any]) -> str:
    return charts.pillar_column(key, limits) if key in PILLARS else key


def _figure_name(item: Mapping[str, Any], limits: Mapping[str, Any], t: i18n.Translator) -> str:
    column = str(item.get("column") or _column_for(str(item.get("pillar")), limits))
    if t.has(f"figure_phrase.{column}"):
        return t(f"figure_phrase.{column}")
    pillar = str(item.get("pillar"))
    if t.has(f"criterion_phrase.{pillar}"):
        return t(f"criterion_phrase.{pillar}")
    return t(f"metrics.{column}") if t.has(f"metrics.{column}") else column


def difference_text(column: str, best: Any, other: Any, t: i18n.Translator) -> str:
    """How ``other`` compares with ``best``: points for a share, "4.5×" / "a fifth" style
    ratios when one is at least twice the other, a signed percentage otherwise."""
    lang = t.language
    b, o = i18n.number_or_none(best), i18n.number_or_none(other)
    if b is None or o is None:
        return t("na")
    if column in i18n.FRACTION_METRICS:
        points = (o - b) * 100
        sign = "+" if points > 0 else "\u2212"
        return t("summary.points", points=sign + i18n.format_number(abs(points), lang, digits=1))
    if b == 0:
        return t("summary.from_zero")
    ratio = o / b
    if ratio >= TIMES_FROM:
        return t("summary.times_more", ratio=i18n.format_number(ratio, lang, digits=1))
    if 0 < ratio <= 1 / TIMES_FROM:
        return t("summary.times_less", ratio=i18n.format_number(1 / ratio, lang, digits=1))
    return i18n.format_change((ratio - 1) * 100, lang, 0)


def _comparison(item: Mapping[str, Any], context: Mapping[str, Any], t: i18n.Translator) -> dict:
    limits = context["results"]["limits"]
    column = str(item.get("column") or _column_for(str(item.get("pillar")), limits))
    lang, currency = t.language, context["client"]["currency"]
    return {
        "criterion": _figure_name(item, limits, t),
        "runner_up": i18n.format_metric(item.get("runner_up"), column, lang, currency),
        "best": i18n.format_metric(item.get("best"), column, lang, currency),
        "change": difference_text(column, item.get("best"), item.get("runner_up"), t),
    }


def prefer_when(context: Mapping[str, Any], t: i18n.Translator) -> list[str]:
    """Sentences saying when the runner-up is the better choice: one per figure it wins on,
    largest difference first (monthly and set-up costs apart), then what it costs in exchange."""
    runner = context["results"]["runner_up"]
    if not runner:
        return []
    out = [
        t("summary.prefer_when", **_comparison(i, context, t))
        for i in runner.get("prefer_when") or []
    ]
    losses = [
        t("summary.loss", **_comparison(i, context, t)) for i in runner.get("at_the_cost_of") or []
    ]
    if out and losses:
        out.append(t("summary.in_exchange", losses="; ".join(losses)))
    return out


def decision_lines(context: Mapping[str, Any], t: i18n.Translator) -> dict[str, Any]:
    """The robustness of the recommendation in words, the most robust configuration beside a
    fragile one, what the runner-up differs in, and the variants of the same design."""
    results = context["results"]
    lang, currency = t.language, context["client"]["currency"]
    estimates = results.get("estimates") or {}
    threshold = i18n.number_or_none(results.get("min_probability_meets_limits"))
    out: dict[str, Any] = {"robustness": "", "most_robust": "", "differs": "", "variants": []}
    if not results.get("feasible") or threshold is None:
        return out
    probability = i18n.format_percent(estimates.get("probability_meets_limits"), lang)
    shown_threshold = i18n.format_percent(threshold, lang)
    fragile = bool(results.get("fragile"))
    key = "summary.fragile" if fragile else "summary.robust"
    out["robustness"] = t(key, probability=probability, threshold=shown_threshold)
    robust = results.get("most_robust")
    if fragile and robust:
        recommended = results.get("recommendation_label") or ""
        if robust.get("label") == recommended:
            out["most_robust"] = t("summary.fragile_alone", threshold=shown_threshold)
        else:
            est = robust.get("estimates") or {}
            out["most_robust"] = t(
                "summary.most_robust",
                label=robust.get("label"),
                probability=i18n.format_percent(est.get("probability_meets_limits"), lang),
                monthly=i18n.format_money(est.get("monthly_cost"), currency, lang),
                setup=i18n.format_money(est.get("setup_cost"), currency, lang),
            )
    runner = results.get("runner_up") or {}
    if runner.get("differs_in"):
        out["differs"] = t(
            "summary.runner_up_differs",
            choices=", ".join(t(f"choices.{c}") for c in runner["differs_in"]),
        )
    for variant in results.get("variants") or []:
        est = variant.get("estimates") or {}
        out["variants"].append(
            t(
                "summary.variant",
                label=variant.get("label"),
                differs=", ".join(t(f"choices.{c}") for c in variant.get("differs_in") or []),
                monthly=i18n.format_money(est.get("monthly_cost"), currency, lang),
                probability=i18n.format_percent(est.get("probability_meets_limits"), lang),
            )
        )
    return out


def limit_rows(context: Mapping[str, Any], t: i18n.Translator) -> list[dict[str, str]]:
    """The limit sensitivity in words: per limit, how far it moves before the recommendation
    changes (tighter, looser) and what a round relaxation gives."""
    results = context["results"]
    lang, currency = t.language, context["client"]["currency"]
    estimates = results.get("estimates") or {}
    current_monthly = i18n.format_money(estimates.get("monthly_cost"), currency, lang)
    current_setup = i18n.format_money(estimates.get("setup_cost"), currency, lang)

    def row(item: Mapping[str, Any]) -> dict[str, str]:
        column = str(item["column"])
        name = t(f"metrics.{column}") if t.has(f"metrics.{column}") else column
        if item.get("key") == "setup":
            name = t("limits.setup_name")
        # in a sentence: "Accept p95 latency 5 s", "Accepter latence p95 5 s"
        phrase = name[:1].lower() + name[1:] if name[1:2].islower() else name

        def value(x: Any, column: str = column) -> str:
            return i18n.format_metric(x, column, lang, currency)

        def outcome(move: Mapping[str, Any]) -> str:
            if move.get("winner") is None:
                return t("limits.outcome_none")
            return t(
                "limits.outcome",
                label=move.get("winner_label") or move.get("winner"),
                monthly=i18n.format_money(move.get("winner_monthly_cost"), currency, lang),
                setup=i18n.format_money(move.get("winner_setup_cost"), currency, lang),
            )

        def move_text(move: Mapping[str, Any] | None, direction: str) -> str:
            tight, loose = item.get("range") or [None, None]
            if move is None:
                end = tight if direction == "tighten" else loose
                return t("limits.no_change", limit=value(end))
            if value(move.get("limit")) == value(item.get("limit")):
                return t("limits.at_limit", outcome=outcome(move))
            return t(
                f"limits.{direction}",
                limit=value(move.get("limit")),
                change=difference_text(column, item.get("limit"), move.get("limit"), t),
                outcome=outcome(move),
            )

        step = item.get("step") or {}
        if not step.get("changes"):
            step_text = t("limits.step_same", metric=phrase, limit=value(step.get("limit")))
        elif step.get("winner") is None:
            step_text = t("limits.step_none", metric=phrase, limit=value(step.get("limit")))
        elif not estimates:  # nothing feasible today: the step admits a configuration
            step_text = t(
                "limits.step_feasible",
                metric=phrase,
                limit=value(step.get("limit")),
                label=step.get("winner_label") or step.get("winner"),
                monthly=i18n.format_money(step.get("winner_monthly_cost"), currency, lang),
            )
        else:
            setup = i18n.format_money(step.get("winner_setup_cost"), currency, lang)
            step_text = t(
                "limits.step" if setup != current_setup else "limits.step_monthly",
                metric=phrase,
                limit=value(step.get("limit")),
                label=step.get("winner_label") or step.get("winner"),
                monthly=i18n.format_money(step.get("winner_monthly_cost"), currency, lang),
                current=current_monthly,
                setup=setup,
                current_setup=current_setup,
            )
        return {
            "name": name,
            "limit": value(item.get("limit")),
            "value": value(item.get("value")),
            "tighten": move_text(item.get("tighten"), "tighten"),
            "relax": move_text(item.get("relax"), "relax"),
            "step": step_text,
        }

    return [row(item) for item in results.get("limit_sensitivity") or []]


def relax_lines(context: Mapping[str, Any], t: i18n.Translator) -> list[dict[str, Any]]:
    """For an infeasible run: the closest configurations and which limit to relax by how much."""
    lang, currency = t.language, context["client"]["currency"]
    out = []
    for item in context["choices"]["closest"] or []:
        steps = []
        for relax in item.get("relax") or []:
            pillar = str(relax.get("pillar"))
            column = str(relax.get("column") or _column_for(pillar, context["results"]["limits"]))
            steps.append(
                t(
                    "summary.relax",
                    criterion=t(f"pillars.{pillar}") if pillar in PILLARS else pillar,
                    limit=i18n.format_metric(relax.get("limit"), column, lang, currency),
                    relax_to=i18n.format_metric(relax.get("relax_to"), column, lang, currency),
                    change=i18n.format_change(relax.get("relax_by_pct"), lang, 0),
                )
            )
        out.append({"label": item.get("label") or item.get("config_id"), "steps": steps})
    return out


WARNING_NUMBERS = {"limit_s", "minutes", "peak", "mean", "ratio"}
WARNING_COUNTS = {"tokens", "input_tokens", "output_tokens", "context_tokens"}


def warning_lines(context: Mapping[str, Any], t: i18n.Translator) -> list[dict[str, str]]:
    """The plausibility warnings of the inputs (``plausibility.Warning.as_dict``), translated:
    key path, message and hint. A context saved before warnings existed has none."""
    out = []
    for w in context.get("warnings") or []:
        fields: dict[str, Any] = {}
        for name, value in (w.get("values") or {}).items():
            if name in WARNING_COUNTS:
                value = i18n.format_number(value, t.language, digits=0)
            elif name in WARNING_NUMBERS:
                value = i18n.format_number(value, t.language, None)
            fields[name] = value
        code = w["code"]
        out.append(
            {
                "key_path": w["key_path"],
                "message": t(f"warnings.{code}.message", **fields),
                "hint": t(f"warnings.{code}.hint", **fields),
            }
        )
    return out


def template_vars(
    context: Mapping[str, Any], chart_views: Mapping[str, Any], pdf: bool
) -> dict[str, Any]:
    check_context(context)
    client = context["client"]
    language = client["language"]
    t = i18n.Translator(language)
    per_choice = context["choices"]["per_choice"] or {}
    view = {
        "recommendation": describe(context["results"]["recommendation"], t),
        "runner_up": describe(context["results"]["runner_up"], t)
        if context["results"]["runner_up"]
        else "",
        "key_figures": key_figures(context, t),
        "prefer_when": prefer_when(context, t),
        "relax": relax_lines(context, t),
        "warnings": warning_lines(context, t),
        "sections": sections(context, t, pdf),
        "decision": decision_lines(context, t),
        "limits": limit_rows(context, t),
        "whatif": None if pdf else whatif_view(context, t),
        "choices": [
            {
                "choice": c,
                "rows": per_choice[c],
                "reasons": choice_reasons(c, per_choice[c], context, t),
                "moved": [moved_text(r, t) for r in per_choice[c]],
                "held": all("moved" in r and not r["moved"] for r in per_choice[c]),
            }
            for c in ordered_choices(per_choice)
        ],
        "performance_column": charts.performance_column(context["results"]["limits"]),
    }
    return {
        **{key: context[key] for key in CONTEXT_KEYS},
        "t": t,
        "lang": language,
        "currency": client["currency"],
        "view": view,
        "charts": chart_views,
        "pdf": pdf,
        "css": stylesheet(),
        "fonts": font_faces() if pdf else [],
        "vega_js": "" if pdf else vega_bundle(),
    }
