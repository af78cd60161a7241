"""Message catalogs and locale-aware formatting (Babel) for the report, the charts and the portfolio.

Every text a reader sees comes from a YAML catalog, ``templates/messages/<catalog>_<language>.yaml``
(``report_fr.yaml``, ``report_en.yaml``, ``portfolio_fr.yaml``…), looked up by a dotted key with
``Translator(language)("summary.title")``. A missing key raises :class:`MissingMessage`, in the spirit
of Jinja's ``StrictUndefined``: a report never shows a raw key or an empty string in place of a text.

Numbers, money, percentages, dates and durations are formatted with Babel in the reader's locale
(French: narrow no-break space U+202F between thousands, no-break space before units). Missing values
(``None``, NaN) are shown as the catalog's ``na`` text, never as ``None`` or ``nan``.

The same functions are registered as Jinja filters by :func:`install`; the filters read the language
and the currency from the template context (``lang``, ``currency``), so templates write
``{{ estimates.monthly_cost | money }}``. This module imports neither Jinja nor WeasyPrint at load
time: the notebooks use it through ``charts``.
"""

from __future__ import annotations

import math
import string
from collections.abc import Mapping
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from babel import Locale
from babel.numbers import format_currency, format_decimal
from babel.numbers import format_percent as babel_percent

PACKAGE_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = PACKAGE_DIR.parents[1] / "templates"
MESSAGES_DIR = TEMPLATES_DIR / "messages"
LANGUAGES = {"fr": "fr_FR", "en": "en_GB"}
"""Report languages and the Babel locale each one formats with."""
CURRENCIES = ("EUR", "USD")
NA = "—"
NNBSP = "\u202f"  # narrow no-break space (French thousands separator, before % and ;:!?)
NBSP = "\u00a0"


class MissingMessage(KeyError):
    """A message key that the catalog does not define (the report must not show a raw key)."""

    def __str__(self) -> str:  # KeyError quotes its argument; keep the sentence readable
        return str(self.args[0]) if self.args else "missing message"


def check_language(language: str) -> str:
    if language not in LANGUAGES:
        raise ValueError(
            f"{language!r} is not a supported language: use one of {', '.join(sorted(LANGUAGES))}"
        )
    return language


_SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader where PyYAML has it: the message files load in 30 ms instead of 0.6 s,
which every kernel and the report pay."""


@lru_cache(maxsize=16)
def catalog(name: str, language: str) -> Mapping[str, Any]:
    """The parsed ``templates/messages/<name>_<language>.yaml`` (cached; do not mutate)."""

    check_language(language)
    path = MESSAGES_DIR / f"{name}_{language}.yaml"
    loaded = yaml.load(path.read_bytes(), Loader=_SAFE_LOADER)
    if not isinstance(loaded, dict):
        raise ValueError(f"{path}: expected a mapping of message keys to texts")
    return loaded


def keys(messages: Mapping[str, Any], prefix: str = "") -> set[str]:
    """Every dotted leaf key of a catalog (``a.b.c``); lists count as leaves."""
    found: set[str] = set()
    for key, value in messages.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping):
            found |= keys(value, dotted + ".")
        else:
            found.add(dotted)
    return found


def placeholders(text: str) -> set[str]:
    """The ``{name}`` fields of a message (to check both languages use the same ones)."""
    return {field for _, field, _, _ in string.Formatter().parse(text) if field}


def lookup(messages: Mapping[str, Any], key: str, where: str = "") -> Any:
    node: Any = messages
    for part in key.split("."):
        if not isinstance(node, Mapping) or part not in node:
            raise MissingMessage(f"message {key!r} is not defined{where}")
        node = node[part]
    return node


class Translator:
    """``t = Translator("fr"); t("summary.title"); t("summary.recommend", config=...)``.

    ``t(key, **fields)`` returns the text with ``{fields}`` filled (str.format); ``t.raw(key)``
    returns the catalog node (a mapping or a list, e.g. the glossary); ``t.option(group, value)``
    labels a data value (``hosting.api`` → "API") and falls back to the value itself, since option
    names such as model ids are proper nouns.
    """

    def __init__(self, language: str, name: str = "report") -> None:
        self.language = check_language(language)
        self.name = name
        self.messages = catalog(name, language)
        self._where = f" in templates/messages/{name}_{language}.yaml"

    def raw(self, key: str) -> Any:
        return lookup(self.messages, key, self._where)

    def has(self, key: str) -> bool:
        try:
            self.raw(key)
        except MissingMessage:
            return False
        return True

    def __call__(self, key: str, /, **fields: Any) -> str:
        text = self.raw(key)
        if not isinstance(text, str):
            raise MissingMessage(f"message {key!r} is not a text{self._where}")
        if not fields and "{" not in text:
            return text
        try:
            return text.format(**fields)
        except KeyError as error:
            raise MissingMessage(
                f"message {key!r} needs the field {error.args[0]!r}{self._where}"
            ) from None

    def option(self, group: str, value: Any) -> str:
        """The label of a data value (``options.hosting.api``), else the value as written."""
        if value is None:
            return self("na")
        options = self.messages.get("options", {}).get(group, {})
        return str(options.get(str(value), value))


def t(key: str, language: str, catalog_name: str = "report", **fields: Any) -> str:
    """One message: ``t("summary.title", "fr")``."""
    return Translator(language, catalog_name)(key, **fields)


# -- formatting (Babel) ------------------------------------------------------------------------


def number_or_none(value: Any) -> float | None:
    """A finite float, or None for None / NaN / inf / text / bool."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _locale(language: str) -> str:
    return LANGUAGES[check_language(language)]


def format_money(value: Any, currency: str, language: str, digits: int = 0) -> str:
    """Money per the language, whole units by default: ``4 210 €`` (fr), ``€4,210`` (en)."""
    number = number_or_none(value)
    if number is None:
        return NA

    locale = Locale.parse(_locale(language))
    pattern = locale.currency_formats["standard"].pattern.split(";")[0]
    if digits == 0:
        pattern = pattern.replace(".00", "").replace(",00", "")
    return format_currency(
        number, currency, format=pattern, locale=locale, currency_digits=digits != 0
    )


def _pattern(digits: int) -> str:
    return "#,##0" + ("." + "0" * digits if digits > 0 else "")


def smart_digits(value: float) -> int:
    """Decimals that keep about three significant digits: 4 210, 61.8, 1.84, 0.031."""
    magnitude = abs(value)
    if magnitude >= 100 or magnitude == 0:
        return 0
    if magnitude >= 10:
        return 1
    if magnitude >= 1:
        return 2
    return min(4, 2 - math.floor(math.log10(magnitude)))


def format_number(
    value: Any, language: str, pattern: str | None = "#,##0.0", *, digits: int | None = None
) -> str:
    """A decimal number; ``digits`` fixes the decimals, ``pattern`` is a Babel pattern,
    ``pattern=None`` and no digits keeps about three significant digits."""
    number = number_or_none(value)
    if number is None:
        return NA

    if digits is not None:
        pattern = _pattern(digits)
    elif pattern is None:
        pattern = _pattern(smart_digits(number))
    return format_decimal(number, format=pattern, locale=_locale(language))


def format_percent(value: Any, language: str, digits: int = 0) -> str:
    """A fraction as a percentage: 0.905 → ``90,5 %`` (fr, narrow no-break space), ``90.5%`` (en)."""
    number = number_or_none(value)
    if number is None:
        return NA

    pattern = None
    if digits:
        base = Locale.parse(_locale(language)).percent_formats[None].pattern
        pattern = base.replace("0%", "0." + "0" * digits + "%").replace(
            "0\u00a0%", "0." + "0" * digits + "\u00a0%"
        )
        pattern = pattern.replace("0\u202f%", "0." + "0" * digits + "\u202f%")
    return babel_percent(number, format=pattern, locale=_locale(language))


def format_change(value: Any, language: str, digits: int = 0) -> str:
    """A relative change given in percent points (15.75 → ``+16 %``), always signed."""
    number = number_or_none(value)
    if number is None:
        return NA
    text = format_percent(abs(number) / 100, language, digits)
    if round(abs(number), digits) == 0:
        return text
    return ("+" if number > 0 else "\u2212") + text


def format_date(value: Any, language: str, style: str = "long") -> str:
    """An ISO date (or date/datetime) per the locale: ``12 mars 2026`` / ``12 March 2026``."""
    if value is None or value == "":
        return NA
    # babel.dates (~0.2 s): only dates need it; every kernel imports this module (present)
    from babel.dates import format_date as babel_date

    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime):
        value = value.date()
    if not isinstance(value, date):
        return NA
    return babel_date(value, style, locale=_locale(language))


def format_duration(seconds: Any, language: str) -> str:
    """A duration in seconds, in the largest fitting unit: ``850 ms``, ``1,84 s``, ``48 min``,
    ``4,2 h``, then days in the locale's short form (``3 j`` / ``3 days``)."""
    number = number_or_none(seconds)
    if number is None:
        return NA
    magnitude = abs(number)
    if 0 < magnitude < 1:
        return format_quantity(number * 1000, "ms", language, 0)
    if magnitude < 120:
        return format_quantity(number, "s", language, min(smart_digits(number), 2))
    if magnitude < 2 * 3600:
        return format_quantity(number / 60, "min", language, 0)
    if magnitude < 3 * 86400:
        return format_quantity(number / 3600, "h", language, 1)
    # babel.units: only durations need it; every kernel imports this module (present)
    from babel.units import format_unit

    return format_unit(
        number / 86400, "duration-day", length="short", format="#,##0.#", locale=_locale(language)
    ).replace(" ", NBSP)


def format_quantity(value: Any, unit: str, language: str, digits: int | None = None) -> str:
    """A number with a unit symbol, joined by a no-break space: ``61,8 kgCO₂e``."""
    number = number_or_none(value)
    if number is None:
        return NA
    text = format_number(number, language, None, digits=digits)
    return f"{text}{NBSP}{unit}" if unit else text


# Metric names used in limits, estimates and configuration columns → how to show a value.
METRIC_UNITS = {
    "p95_latency_s": "s",
    "ttft_s": "s",
    "ttft_p95_s": "s",
    "latency_p95_s": "s",
    "ttft_p95": "s",
    "turnaround_h": "h",
    "monthly_kgco2e": "kgCO₂e",
    "kgco2e": "kgCO₂e",
    "emissions_kg": "kgCO₂e",
    "saving_kgco2e": "kgCO₂e",
    "energy_kwh_per_month": "kWh",
    "energy_kwh": "kWh",
    "wh_per_1k_output_tokens": "Wh",
    "wh_per_request": "Wh",
    "g_per_kwh": "gCO₂e/kWh",
    "duration_h": "h",
    "requests_per_day": "",
    "peak_requests_per_second": "",
    "input_tokens": "",
    "output_tokens": "",
}
MONEY_METRICS = {"monthly_cost", "setup_cost", "cost_difference", "max_setup_cost"}
FRACTION_METRICS = {"accuracy", "probability_meets_limits", "share_recommendation_wins"}


def format_metric(value: Any, metric: str, language: str, currency: str = "EUR") -> str:
    """A value of a named metric in its unit: latency in s, accuracy in %, cost in money…"""
    if metric in MONEY_METRICS:
        return format_money(value, currency, language)
    if metric in FRACTION_METRICS:
        return format_percent(value, language, 1)
    return format_quantity(value, METRIC_UNITS.get(metric, ""), language)


def babel_locale(language: str) -> str:
    """The Babel locale id of a language (``fr`` → ``fr_FR``)."""
    return _locale(language)


def currency_affixes(currency: str, language: str) -> tuple[str, str]:
    """(prefix, suffix) around a number for this currency and language, as d3-format wants them:
    ``("", " €")`` in French, ``("€", "")`` in English."""
    sample = format_money(1, currency, language)
    head, _, tail = sample.partition("1")
    return head, tail


# -- Jinja -------------------------------------------------------------------------------------


def template_environment() -> Any:
    """A Jinja environment on ``templates/`` with the rules the report and the portfolio page are
    written for: autoescape, ``StrictUndefined`` (a missing key fails the render), trimmed blocks."""
    # jinja2: only rendering needs it, and the notebooks import this module at kernel start
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def install(env: Any) -> Any:
    """Register the formatting filters on a Jinja environment.

    The filters read ``lang`` and ``currency`` from the template context, so partials need no
    arguments: ``{{ value | money }}``, ``{{ 0.905 | percent(1) }}``, ``{{ run.date | date }}``,
    ``{{ x | metric("p95_latency_s") }}``, ``{{ x | number }}``, ``{{ s | duration }}``,
    ``{{ pct | change }}``, ``{{ kg | quantity("kgCO₂e") }}``.
    """
    # jinja2 (~0.2 s): only the report's environment needs it, not the kernels
    from jinja2 import pass_context

    def lang(ctx: Any) -> str:
        return str(ctx["lang"])

    @pass_context
    def money(ctx: Any, value: Any, currency: str | None = None, digits: int = 0) -> str:
        return format_money(value, currency or str(ctx["currency"]), lang(ctx), digits)

    @pass_context
    def number(ctx: Any, value: Any, digits: int | None = None) -> str:
        return format_number(value, lang(ctx), None, digits=digits)

    @pass_context
    def percent(ctx: Any, value: Any, digits: int = 0) -> str:
        return format_percent(value, lang(ctx), digits)

    @pass_context
    def change(ctx: Any, value: Any, digits: int = 0) -> str:
        return format_change(value, lang(ctx), digits)

    @pass_context
    def date_(ctx: Any, value: Any, style: str = "long") -> str:
        return format_date(value, lang(ctx), style)

    @pass_context
    def duration(ctx: Any, value: Any) -> str:
        return format_duration(value, lang(ctx))

    @pass_context
    def quantity(ctx: Any, value: Any, unit: str = "", digits: int | None = None) -> str:
        return format_quantity(value, unit, lang(ctx), digits)

    @pass_context
    def metric(ctx: Any, value: Any, name: str) -> str:
        return format_metric(value, name, lang(ctx), str(ctx["currency"]))

    env.filters.update(
        money=money,
        number=number,
        percent=percent,
        change=change,
        date=date_,
        duration=duration,
        quantity=quantity,
        metric=metric,
    )
    return env
