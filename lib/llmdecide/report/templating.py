"""The Jinja environment of the report and its filters.

Jinja runs with autoescape and ``StrictUndefined``, so a hostile client name is shown, not run,
and a missing context key fails the render instead of printing nothing. Filters: catalog sources
with their URLs as links, the scoring's rejection reasons in the reader's language.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from jinja2 import pass_context
from markupsafe import Markup, escape

from llmdecide import i18n

TEMPLATES_DIR = i18n.TEMPLATES_DIR
TEMPLATE = "report.html.j2"


@lru_cache(maxsize=1)
def environment() -> Any:
    env = i18n.template_environment()
    i18n.install(env)
    env.globals["external"] = is_external_link
    env.filters["linkify"] = linkify
    env.filters["reason"] = localise_reason
    return env


URL = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:)\]]")


def linkify(text: Any) -> Any:
    """Text with its http(s) URLs as links (everything else escaped): catalog sources mix a
    document reference and its URL."""
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
