"""Message catalogs and locale formatting (llmdecide.i18n)."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from llmdecide import i18n

NNBSP, NBSP = "\u202f", "\u00a0"
TEMPLATES = Path(i18n.TEMPLATES_DIR)
PROPER_NOUNS = {"llmdecide", "codecarbon"}


@pytest.mark.parametrize("name", ["report", "portfolio"])
def test_french_and_english_catalogs_have_the_same_keys(name: str) -> None:
    fr, en = i18n.catalog(name, "fr"), i18n.catalog(name, "en")
    assert i18n.keys(fr) == i18n.keys(en)


def test_messages_use_the_same_fields_in_both_languages() -> None:
    fr, en = i18n.catalog("report", "fr"), i18n.catalog("report", "en")
    for key in i18n.keys(en):
        text_en, text_fr = i18n.lookup(en, key), i18n.lookup(fr, key)
        if isinstance(text_en, str):
            assert isinstance(text_fr, str), key
            assert i18n.placeholders(text_en) == i18n.placeholders(text_fr), key
            assert text_fr.strip() and text_en.strip(), key


def test_french_messages_use_french_typography() -> None:
    fr = i18n.catalog("report", "fr")
    for key in i18n.keys(fr):
        text = i18n.lookup(fr, key)
        if isinstance(text, str):
            assert " :" not in text and " %" not in text, f"{key}: ordinary space before : or %"
            assert " ;" not in text, f"{key}: ordinary space before ;"


def test_translator_fills_fields_and_refuses_missing_keys() -> None:
    t = i18n.Translator("en")
    assert t("summary.recommend", config="X") == "We recommend: X."
    assert t.option("hosting", "api").startswith("API")
    assert t.option("model", "llama-3.1-8b") == "llama-3.1-8b"  # proper nouns pass through
    with pytest.raises(i18n.MissingMessage, match=r"no\.such\.key"):
        t("no.such.key")
    with pytest.raises(i18n.MissingMessage, match="config"):
        t("summary.recommend")
    with pytest.raises(ValueError, match="supported"):
        i18n.Translator("de")


def test_french_numbers_use_narrow_no_break_spaces() -> None:
    assert i18n.format_number(12345.6, "fr", digits=1) == f"12{NNBSP}345,6"
    assert i18n.format_number(1234567, "fr", digits=0) == f"1{NNBSP}234{NNBSP}567"
    assert i18n.format_number(12345.6, "en", digits=1) == "12,345.6"
    assert i18n.format_number(1.8432, "fr", None) == "1,84"  # about three significant digits
    assert i18n.format_number(61.84, "en", None) == "61.8"


def test_money_in_euros_and_dollars() -> None:
    assert i18n.format_money(4210, "EUR", "fr") == f"4{NNBSP}210{NBSP}€"
    assert i18n.format_money(4210, "EUR", "en") == "€4,210"
    assert i18n.format_money(4210, "USD", "fr") == f"4{NNBSP}210{NBSP}$US"
    assert i18n.format_money(4210, "USD", "en") == "US$4,210"
    assert i18n.format_money(4210.5, "EUR", "en", digits=2) == "€4,210.50"


def test_percentages_changes_dates_and_durations() -> None:
    assert i18n.format_percent(0.905, "fr", 1) == f"90,5{NBSP}%"
    assert i18n.format_percent(0.905, "en", 1) == "90.5%"
    assert i18n.format_percent(0.87, "en") == "87%"
    assert i18n.format_change(15.75, "en") == "+16%"
    assert i18n.format_change(-80, "fr") == f"\u221280{NBSP}%"
    assert i18n.format_date("2026-03-12", "fr") == "12 mars 2026"
    assert i18n.format_date(date(2026, 3, 12), "en") == "12 March 2026"
    assert i18n.format_date("2026-03-12T10:00:00Z", "en", "medium") == "12 Mar 2026"
    assert i18n.format_duration(1.84, "fr") == f"1,84{NBSP}s"
    assert i18n.format_duration(0.31, "en") == f"310{NBSP}ms"
    assert i18n.format_duration(4 * 3600, "en") == f"4.0{NBSP}h"
    assert i18n.format_metric(61.84, "monthly_kgco2e", "fr") == f"61,8{NBSP}kgCO₂e"
    assert i18n.format_metric(0.9, "accuracy", "en") == "90.0%"
    assert i18n.format_metric(6000, "monthly_cost", "fr", "EUR") == f"6{NNBSP}000{NBSP}€"


@pytest.mark.parametrize("missing", [None, float("nan"), float("inf"), "n/a"])
def test_missing_values_show_a_dash_never_none_or_nan(missing: object) -> None:
    for text in (
        i18n.format_money(missing, "EUR", "fr"),
        i18n.format_number(missing, "fr"),
        i18n.format_percent(missing, "en"),
        i18n.format_change(missing, "en"),
        i18n.format_duration(missing, "fr"),
        i18n.format_quantity(missing, "kWh", "en"),
    ):
        assert text == i18n.NA


def test_currency_affixes_for_chart_axes() -> None:
    assert i18n.currency_affixes("EUR", "fr") == ("", f"{NBSP}€")
    assert i18n.currency_affixes("EUR", "en") == ("€", "")


def test_jinja_filters_read_language_and_currency_from_the_context() -> None:
    import jinja2

    env = i18n.install(jinja2.Environment(undefined=jinja2.StrictUndefined))
    template = env.from_string(
        "{{ 4210 | money }} {{ 0.905 | percent(1) }} {{ '2026-03-12' | date }} {{ none | number }}"
    )
    assert template.render(lang="fr", currency="EUR") == (
        f"4{NNBSP}210{NBSP}€ 90,5{NBSP}% 12 mars 2026 —"
    )
    assert template.render(lang="en", currency="USD") == "US$4,210 90.5% 12 March 2026 —"
    with pytest.raises(jinja2.UndefinedError):
        env.from_string("{{ missing | money }}").render(lang="fr", currency="EUR")


def _template_text(source: str) -> str:
    """What a template writes by itself: its text without Jinja, markup, scripts and styles."""
    source = re.sub(r"\{#.*?#\}", " ", source, flags=re.DOTALL)
    source = re.sub(r"<(script|style)\b.*?</\1>", " ", source, flags=re.DOTALL)
    source = re.sub(r"\{\{.*?\}\}|\{%.*?%\}", " ", source, flags=re.DOTALL)
    source = re.sub(r"<[^>]*>", " ", source)
    return source


@pytest.mark.parametrize(
    "template",
    sorted(p.name for p in TEMPLATES.glob("report*.j2"))
    + sorted(f"partials/{p.name}" for p in (TEMPLATES / "partials").glob("*.j2")),
)
def test_report_templates_hard_code_no_text(template: str) -> None:
    text = _template_text((TEMPLATES / template).read_text(encoding="utf-8"))
    words = {w for w in re.findall(r"[^\W\d_]{2,}", text)} - PROPER_NOUNS
    assert not words, f"{template} writes text itself (put it in report_*.yaml): {sorted(words)}"
