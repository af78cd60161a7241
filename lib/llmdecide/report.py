"""The stakeholder report: ``report.html`` (interactive, self-contained) and ``report.pdf`` (A4).

Input: the report context (docs/architecture.md, "Report context"), a JSON-only dict. Output:

- HTML: inline CSS, the Vega/Vega-Lite/vega-embed bundle inlined from vl-convert (no CDN, nothing
  fetched at view time), one Altair chart per figure rendered by vega-embed with tooltips.
- PDF (WeasyPrint): the same templates with ``pdf=True``; charts as inline vector SVG
  (vl-convert), DejaVu Sans embedded from ``templates/static/fonts``, running header with the
  client's name, page numbers, a table of contents with page numbers. WeasyPrint gets a URL fetcher
  that refuses anything but ``file:`` and ``data:`` URLs, so rendering never touches the network.

Every text comes from ``templates/messages/report_<language>.yaml`` (:mod:`llmdecide.i18n`); Jinja
runs with autoescape and ``StrictUndefined``, so a hostile client name is shown, not run, and a
missing context key fails the render instead of printing nothing.

``render(context, out_dir) -> (html_path, pdf_path)`` writes both files (temp name, then rename).
``browser_check(html_path, screenshot_path)`` opens the HTML in headless Chromium and lists problems
(charts not drawn, console errors).
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
import threading
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache, partial
from pathlib import Path
from typing import Any

from jinja2 import pass_context

from llmdecide import charts, i18n
from llmdecide.columns import CHOICE_TABLES

TEMPLATES_DIR = i18n.TEMPLATES_DIR
STATIC_DIR = TEMPLATES_DIR / "static"
FONTS_DIR = STATIC_DIR / "fonts"
TEMPLATE = "report.html.j2"
HTML_NAME = "report.html"
PDF_NAME = "report.pdf"
CHROMIUM = Path("/usr/bin/chromium")

CHOICE_ORDER = CHOICE_TABLES
PILLARS = ("performance", "precision", "cost", "carbon")
CONTEXT_KEYS = (
    "client",
    "run",
    "results",
    "critical",
    "choices",
    "carbon",
    "measurements",
    "changes",
    "assumptions",
    "sources",
)


class ReportError(RuntimeError):
    """The report could not be rendered (bad context, or a render step failed)."""


# -- Jinja ---------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def environment() -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    i18n.install(env)
    env.globals["external"] = is_external_link
    env.filters["linkify"] = linkify
    env.filters["reason"] = localise_reason
    return env


URL = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:)\]]")


def linkify(text: Any) -> Any:
    """Text with its http(s) URLs as links (everything else escaped): catalog sources mix a
    document reference and its URL."""
    from markupsafe import Markup, escape

    if text is None:
        return ""
    text = str(text)
    out = []
    last = 0
    for match in URL.finditer(text):
        out.append(escape(text[last : match.start()]))
        url = match.group(0)
        out.append(Markup('<a href="{0}">{0}</a>').format(url))
        last = match.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)


UNKNOWN_PRECISION = re.compile(r"^precision unknown: evaluate (?P<model>\S+) on the client's task$")
REASON = re.compile(
    r"^(?P<column>[a-z][a-z0-9_]*) (?P<value>-?[0-9.]+(?:e[+-]?[0-9]+)?) (?P<op>[<>]=?) "
    r"(?P<bound>limit|max_setup_cost) (?P<limit>-?[0-9.]+(?:e[+-]?[0-9]+)?)$"
)


@pass_context
def localise_reason(ctx: Any, text: Any) -> str:
    """Jinja filter: :func:`reason_text` with the template's translator and currency."""
    return reason_text(text, ctx["t"], str(ctx["currency"]))


def reason_text(text: Any, t: i18n.Translator, currency: str) -> str:
    """A ``rejected_because`` in the reader's language: the scoring writes each broken limit as
    ``p95_latency_s 4.76 > limit 3`` (joined by ``; ``); those parts are rewritten with the
    metric's name and formatted numbers, known phrases are translated, other text is kept."""
    if text is None or text == "":
        return i18n.NA
    parts = []
    for part in str(text).split("; "):
        unknown = UNKNOWN_PRECISION.match(part.strip())
        if unknown:
            parts.append(t("reasons.precision_unknown", model=unknown["model"]))
            continue
        match = REASON.match(part.strip())
        if not match:
            parts.append(t.raw("reasons.phrases").get(part.strip(), part.strip()))
            continue
        column = match["column"]
        value = i18n.format_metric(float(match["value"]), column, t.language, currency)
        limit = i18n.format_metric(float(match["limit"]), column, t.language, currency)
        name = t(f"metrics.{column}") if t.has(f"metrics.{column}") else column
        key = "reasons.setup" if match["bound"] == "max_setup_cost" else "reasons.limit"
        parts.append(t(key, metric=name, value=value, op=match["op"], limit=limit))
    return "; ".join(parts)


def is_external_link(value: Any) -> bool:
    """A source that can be shown as a link (http/https URL); others are document references."""
    return isinstance(value, str) and re.match(r"https?://[^\s<>\"']+$", value) is not None


# -- JS bundle and CSS ---------------------------------------------------------------------------


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "llmdecide"


@lru_cache(maxsize=1)
def vega_bundle() -> str:
    """vega + vega-lite + vega-embed as one script (vl-convert), cached in memory and on disk
    (``~/.cache/llmdecide``) per vl-convert and Vega-Lite version: building it takes about 1 s."""
    import vl_convert as vlc

    name = f"vega-bundle-{getattr(vlc, '__version__', '')}-vl{charts.vegalite_version()}.js"
    cached = _cache_dir() / name
    try:
        text = cached.read_text(encoding="utf-8")
        if text:
            return text
    except OSError:
        pass
    # vl-convert's stubs declare ``snippet`` required; at runtime it is optional (full bundle)
    text = vlc.javascript_bundle(vl_version=charts.vegalite_version())  # type: ignore[call-arg]
    if "</script" in text.lower():  # cannot happen with today's bundle; never inline it if so
        raise ReportError("the vega bundle contains '</script' and cannot be inlined")
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_name(f".{name}.{os.getpid()}.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, cached)
    except OSError:
        pass
    return text


@lru_cache(maxsize=1)
def stylesheet() -> str:
    return (STATIC_DIR / "report.css").read_text(encoding="utf-8")


def font_faces() -> list[dict[str, str]]:
    """@font-face sources for the PDF: local files only (``file://`` URLs)."""
    faces = [
        ("DejaVuSans.ttf", "normal", "normal"),
        ("DejaVuSans-Bold.ttf", "bold", "normal"),
        ("DejaVuSans-Oblique.ttf", "normal", "italic"),
    ]
    return [
        {"url": (FONTS_DIR / file).as_uri(), "weight": weight, "style": style}
        for file, weight, style in faces
        if (FONTS_DIR / file).is_file()
    ]


# -- the view: what the templates need beyond the raw context --------------------------------------


def check_context(context: Mapping[str, Any]) -> None:
    missing = [key for key in CONTEXT_KEYS if key not in context]
    if missing:
        raise ReportError(f"report context lacks {', '.join(missing)} (docs/architecture.md)")


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
    if ratio >= 2:
        return t("summary.times_more", ratio=i18n.format_number(ratio, lang, digits=1))
    if 0 < ratio <= 0.5:
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
                if abs(points) < 0.05:
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
                if abs(change) < 0.5:
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


def ordered_choices(per_choice: Mapping[str, Any]) -> list[str]:
    known = [c for c in CHOICE_ORDER if per_choice.get(c)]
    return known + sorted(c for c in per_choice if c not in CHOICE_ORDER and per_choice[c])


# -- charts ----------------------------------------------------------------------------------------


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
    return {name: charts.to_html_spec(make()) for name, make in chart_makers(context)}


def chart_svgs(specs: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """Static SVG of every chart: one vl-convert call per chart (see :class:`SvgConverter`)."""
    converter = SvgConverter()
    for name, spec in specs.items():
        converter.add(name, spec)
    return converter.results()


SVG_CACHE_FILES = 400  # about 20 MB; the oldest files go first


def _svg_cache_path(request: Mapping[str, Any]) -> Path:
    """Content-addressed: the conversion request (spec + options) and vl-convert's version."""
    import hashlib
    import json

    import vl_convert

    vl_version = getattr(vl_convert, "__version__", "")

    key = json.dumps(request, sort_keys=True, default=str) + vl_version
    return _cache_dir() / "svg" / (hashlib.sha256(key.encode()).hexdigest() + ".svg")


def svg_cache_read(request: Mapping[str, Any]) -> str | None:
    """A chart's SVG drawn earlier for the very same request, if the cache still has it."""
    if os.environ.get("LLMDECIDE_SVG_CACHE", "1") == "0":
        return None
    try:
        return _svg_cache_path(request).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def svg_cache_write(request: Mapping[str, Any], svg: str) -> None:
    """Best effort (a read-only home is fine): write atomically, keep the newest files."""
    if os.environ.get("LLMDECIDE_SVG_CACHE", "1") == "0":
        return
    try:
        path = _svg_cache_path(request)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(svg, encoding="utf-8")
        os.replace(tmp, path)
        files = sorted(path.parent.glob("*.svg"), key=lambda p: p.stat().st_mtime)
        for old in files[:-SVG_CACHE_FILES]:
            old.unlink(missing_ok=True)
    except OSError:
        return


class SvgConverter:
    """Converts charts to SVG, one vl-convert call each, shared between this process and a helper.

    vl-convert draws one chart at a time per process and holds the GIL while it does, so threads
    do not help. A helper process (plain ``python -c``, vl-convert only, kept for the next
    renders) takes charts from the front of the queue as they are added, while this process keeps
    building charts, renders the HTML and starts the PDF; WeasyPrint asks for each chart when it
    reaches it (:meth:`get`), and this process converts the charts the helper has not taken yet
    rather than wait. If the helper is unavailable or fails, this process converts everything
    itself: the same SVG either way. ``LLMDECIDE_SVG_HELPER=0`` turns the helper off.
    """

    def __init__(self) -> None:
        import collections

        self._queue: collections.deque[str] = collections.deque()
        self._requests: dict[str, dict[str, Any]] = {}
        self._svgs: dict[str, str] = {}
        self._wake = threading.Condition(threading.Lock())
        self._closed = False
        self._helper: Any = None
        self._thread: threading.Thread | None = None
        self._started = False

    def _start_helper(self) -> None:
        """Started with the first chart that is not in the cache (a cached re-render needs none)."""
        self._started = True
        self._helper = _svg_helper()
        if self._helper is not None:
            self._thread = threading.Thread(target=self._feed_helper, daemon=True)
            self._thread.start()

    def add(self, name: str, spec: Mapping[str, Any]) -> None:
        request = charts.svg_request(spec)
        cached = svg_cache_read(request)
        with self._wake:
            self._requests[name] = request
            if cached is not None:  # the same chart was drawn before (a re-render): reuse it
                self._svgs[name] = cached
                return
            self._queue.append(name)
            self._wake.notify_all()
        if not self._started:
            self._start_helper()

    def _store(self, name: str, svg: str) -> None:
        """Keep one chart's SVG (caller holds the lock) and write it to the disk cache."""
        self._svgs[name] = svg
        svg_cache_write(self._requests[name], svg)

    def _feed_helper(self) -> None:
        assert self._helper is not None
        while True:
            with self._wake:
                while not self._queue and not self._closed:
                    self._wake.wait()
                if not self._queue:
                    return
                name = self._queue.popleft()
            svg = self._helper.convert(self._requests[name])
            with self._wake:
                if svg is None:  # the helper failed: give the chart back and stop using it
                    self._queue.appendleft(name)
                else:
                    self._store(name, charts.finish_svg(svg))
                self._wake.notify_all()
            if svg is None:
                return

    def _helper_alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def get(self, name: str) -> str:
        """The SVG of one chart: ready, or converted here, or awaited from the helper (while
        waiting, this process converts another chart nobody has taken)."""
        while True:
            with self._wake:
                if name in self._svgs:
                    return self._svgs[name]
                if name not in self._requests:
                    raise KeyError(name)
                if name in self._queue:
                    self._queue.remove(name)
                    mine = name
                elif self._queue:
                    mine = self._queue.pop()
                elif self._helper_alive():
                    self._wake.wait(timeout=0.5)
                    continue
                else:  # the helper took it and stopped without an answer
                    mine = name
            svg = charts.convert_request(self._requests[mine])
            with self._wake:
                self._store(mine, svg)
                self._wake.notify_all()

    def results(self) -> dict[str, str]:
        """Every SVG by name (converting or awaiting what is missing), then stop the feeding."""
        out = {name: self.get(name) for name in list(self._requests)}
        self.close()
        return out

    def close(self) -> None:
        with self._wake:
            self._closed = True
            self._wake.notify_all()
        if self._thread is not None:
            self._thread.join()


# The helper: a small loop reading one JSON request per line (vegalite_to_svg arguments) and
# answering one JSON line {"svg": …} or {"error": …}. It imports only vl_convert, and exits when
# its stdin closes (this process ended).
_SVG_HELPER_CODE = """
import json, sys
import vl_convert as vlc
if len(sys.argv) > 1:
    vlc.register_font_directory(sys.argv[1])
for line in sys.stdin:
    try:
        answer = {"svg": vlc.vegalite_to_svg(**json.loads(line))}
    except Exception as error:
        answer = {"error": f"{type(error).__name__}: {error}"}
    sys.stdout.write(json.dumps(answer) + "\\n")
    sys.stdout.flush()
"""
SVG_HELPER_ENV = "LLMDECIDE_SVG_HELPER"


class _SvgHelper:
    def __init__(self) -> None:
        import sys

        self.process = subprocess.Popen(
            [sys.executable, "-c", _SVG_HELPER_CODE, str(charts.font_directory())],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            encoding="utf-8",
        )
        self.failed = False
        self.pid = os.getpid()  # a forked child must not talk over its parent's pipes
        self.lock = threading.Lock()  # one request at a time, whatever the calling thread

    def convert(self, request: Mapping[str, Any]) -> str | None:
        import json

        with self.lock:
            if self.failed or self.process.poll() is not None:
                self.failed = True
                return None
            try:
                assert self.process.stdin is not None and self.process.stdout is not None
                self.process.stdin.write(json.dumps(request) + "\n")
                self.process.stdin.flush()
                answer = json.loads(self.process.stdout.readline() or "{}")
            except (OSError, ValueError):
                answer = {}
        if "svg" not in answer:
            self.failed = True
            return None
        return str(answer["svg"])

    def close(self) -> None:
        if self.pid != os.getpid():
            return
        if self.process.poll() is None:
            try:
                if self.process.stdin:
                    self.process.stdin.close()
                self.process.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()


_helper: _SvgHelper | None = None


def _svg_helper() -> _SvgHelper | None:
    """The helper process, started on first use and kept (a batch renders many reports); None
    when turned off, on a single core, or when it failed."""
    import atexit

    global _helper
    if os.environ.get(SVG_HELPER_ENV, "1") == "0" or (os.cpu_count() or 1) < 2:
        return None
    if _helper is not None and _helper.pid != os.getpid():
        _helper = None  # inherited through fork: the parent's helper, not ours
    if _helper is not None and (_helper.failed or _helper.process.poll() is not None):
        _helper.close()
        _helper = None
    if _helper is None:
        try:
            _helper = _SvgHelper()
        except OSError:
            return None
        atexit.register(_helper.close)
    return _helper


CHART_URL = "file:///__llmdecide__/charts/"
"""Where the PDF's charts are "fetched" from: served from memory by :func:`url_fetcher` (a
``file:`` URL that no file backs, so it cannot reach anything else)."""


def _chart_views(
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
    import base64

    svg = re.sub(r"^<\?xml[^>]*>\s*", "", svg)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


# -- rendering -------------------------------------------------------------------------------------


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


def render_html(
    context: Mapping[str, Any], *, specs: Mapping[str, Mapping[str, Any]] | None = None
) -> str:
    """The interactive, self-contained HTML report."""
    specs = chart_specs(context) if specs is None else specs
    return (
        environment()
        .get_template(TEMPLATE)
        .render(template_vars(context, _chart_views(specs, None), pdf=False))
    )


def render_pdf_html(
    context: Mapping[str, Any],
    *,
    specs: Mapping[str, Mapping[str, Any]] | None = None,
    svgs: Mapping[str, str] | SvgConverter | None = None,
) -> str:
    """The HTML that WeasyPrint lays out (static SVG charts, print CSS, embedded fonts)."""
    specs = chart_specs(context) if specs is None else specs
    svgs = chart_svgs(specs) if svgs is None else svgs
    return (
        environment()
        .get_template(TEMPLATE)
        .render(template_vars(context, _chart_views(specs, svgs), pdf=True))
    )


def url_fetcher(charts_source: SvgConverter | None = None) -> Any:
    """A WeasyPrint URL fetcher that serves ``file:`` and ``data:`` URLs and refuses the rest;
    chart URLs (:data:`CHART_URL`) are answered from ``charts_source``."""
    import weasyprint

    def chart(url: str) -> bytes | None:
        if charts_source is None or not url.startswith(CHART_URL):
            return None
        name = url[len(CHART_URL) :].removesuffix(".svg")
        return charts_source.get(name).encode("utf-8")

    def refuse(url: str) -> None:
        if not url.startswith(("file:", "data:")):
            raise ValueError(f"the report renders offline: refused {url}")

    if hasattr(weasyprint, "URLFetcher"):  # WeasyPrint >= 66
        from weasyprint.urls import URLFetcherResponse

        class OfflineFetcher(weasyprint.URLFetcher):  # type: ignore[misc, name-defined]
            def fetch(self, url: str, headers: Any = None) -> Any:
                refuse(url)
                body = chart(url)
                if body is not None:
                    return URLFetcherResponse(url, body, {"Content-Type": "image/svg+xml"})
                return super().fetch(url, headers)

        return OfflineFetcher(allowed_protocols={"file", "data"})

    def fetch(url: str, *args: Any, **kwargs: Any) -> Any:
        refuse(url)
        body = chart(url)
        if body is not None:
            return {"string": body, "mime_type": "image/svg+xml", "redirected_url": url}
        return weasyprint.default_url_fetcher(url, *args, **kwargs)

    return fetch


def render_pdf(
    context: Mapping[str, Any],
    path: Path,
    *,
    specs: Mapping[str, Mapping[str, Any]] | None = None,
    svgs: Mapping[str, str] | SvgConverter | None = None,
) -> Path:
    """Write the PDF report to ``path`` (temp name in the same folder, then rename). ``svgs``:
    the charts' SVG by name, or a :class:`SvgConverter` that WeasyPrint asks as it lays out."""
    import weasyprint

    html = render_pdf_html(context, specs=specs, svgs=svgs)
    charts_source = svgs if isinstance(svgs, SvgConverter) else None
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        document = weasyprint.HTML(
            string=html,
            base_url=STATIC_DIR.as_uri() + "/",
            url_fetcher=url_fetcher(charts_source),
        )
        document.write_pdf(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def _write_text(path: Path, text: str) -> Path:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


def render(context: Mapping[str, Any], out_dir: Path) -> tuple[Path, Path]:
    """Write ``out_dir/report.html`` and ``out_dir/report.pdf``; return their paths.

    The charts are built once and serve both outputs: their Vega-Lite specs for the HTML, one
    vl-convert SVG call per chart for the PDF, started as soon as a chart is built
    (:class:`SvgConverter`) while the next charts are built, the HTML is rendered and WeasyPrint
    parses and styles the PDF's page; it gets each chart when it reaches it."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    check_context(context)
    converter = SvgConverter()
    try:
        specs: dict[str, dict[str, Any]] = {}
        for name, make in chart_makers(context):
            specs[name] = charts.to_html_spec(make())
            converter.add(name, specs[name])
        html_path = _write_text(out_dir / HTML_NAME, render_html(context, specs=specs))
        pdf_path = render_pdf(context, out_dir / PDF_NAME, specs=specs, svgs=converter)
    finally:
        converter.close()
    return html_path, pdf_path


# -- browser check ---------------------------------------------------------------------------------

CHART_DIV = re.compile(r'<div\b[^>]*\bclass="chart-view\b[^"]*"[^>]*>', re.IGNORECASE)
TAG_ID = re.compile(r'\bid="(?P<id>[^"]+)"')


def _chromium_args(html_path: Path, budget_ms: int) -> list[str]:
    return [
        str(CHROMIUM),
        "--headless",
        "--disable-gpu",
        "--no-sandbox",
        "--no-first-run",
        "--disable-extensions",
        "--disable-background-networking",
        "--disable-component-update",
        "--allow-file-access-from-files",
        f"--virtual-time-budget={budget_ms}",
        "--enable-logging=stderr",
        "--v=0",
    ]


def browser_check(
    html_path: Path,
    screenshot_path: Path | None = None,
    *,
    budget_ms: int = 15000,
    timeout_s: float = 120,
    window: tuple[int, int] = (1280, 2400),
) -> list[str]:
    """Open the HTML in headless Chromium and return the problems found (empty = fine).

    Checks that every chart container got an ``<svg>`` from vega-embed (nothing flagged as failed)
    and that the console logged no error; writes a screenshot when asked. Chromium runs with a
    private profile and background networking off."""
    if not CHROMIUM.exists():
        return [f"{CHROMIUM} not found: apt-get install -y chromium"]
    html_path = Path(html_path).resolve()
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="llmdecide-chromium-") as profile:
        base = [*_chromium_args(html_path, budget_ms), f"--user-data-dir={profile}"]
        dump = subprocess.run(
            [*base, "--dump-dom", html_path.as_uri()],
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
        if dump.returncode != 0 and not dump.stdout:
            return [f"chromium failed ({dump.returncode}): {dump.stderr.strip()[-500:]}"]
        problems += _dom_problems(dump.stdout)
        problems += _console_problems(dump.stderr)
        if screenshot_path is not None:
            shot = subprocess.run(
                [
                    *base,
                    f"--window-size={window[0]},{window[1]}",
                    "--hide-scrollbars",
                    f"--screenshot={Path(screenshot_path).resolve()}",
                    html_path.as_uri(),
                ],
                capture_output=True,
                text=True,
                timeout=timeout_s,
                check=False,
            )
            if not Path(screenshot_path).is_file():
                problems.append(f"no screenshot written: {shot.stderr.strip()[-500:]}")
    return problems


def _dom_problems(dom: str) -> list[str]:
    """Each chart container (``div.chart-view``) must hold an svg drawn by vega-embed."""
    problems = []
    starts = list(CHART_DIV.finditer(dom))
    if not starts:
        return ["no chart container found in the page"]
    for index, match in enumerate(starts):
        end = starts[index + 1].start() if index + 1 < len(starts) else len(dom)
        chunk = dom[match.end() : end]
        tag = match.group(0)
        found = TAG_ID.search(tag)
        name = found.group("id") if found else f"#{index + 1}"
        if 'data-state="error"' in tag:
            problems.append(f"chart {name}: vega-embed failed")
        elif 'data-state="drawn"' not in tag:
            problems.append(f"chart {name}: not drawn (vega-embed did not finish)")
        elif "<svg" not in chunk:
            problems.append(f"chart {name}: no svg drawn")
    return problems


def _console_problems(stderr: str) -> list[str]:
    """Every message the page logged (Chromium prints them as ``…:CONSOLE…] "message", source:``):
    the report logs nothing when all is well, so any message (a Vega warning included) counts."""
    problems = []
    for line in stderr.splitlines():
        if ":CONSOLE" in line:
            message = line.split("] ", 1)[-1].strip()
            problems.append(f"console: {message[:400]}")
    return problems
