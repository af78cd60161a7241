"""A chart as the report needs it: the Vega-Lite spec and vega-embed options for the HTML, static
SVG through vl-convert for the PDF, both in the locale the chart records in ``usermeta``.

:func:`svg_request` gives plain JSON-able arguments, so the report's helper process
(:mod:`llmdecide.report.svg`) can draw them; :func:`convert_request` draws one here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import altair as alt
import vl_convert as vlc

from llmdecide import i18n


def _meta(spec: Mapping[str, Any]) -> tuple[str, str]:
    meta = (spec.get("usermeta") or {}).get("llmdecide") or {}
    return str(meta.get("language") or "en"), str(meta.get("currency") or "EUR")


@lru_cache(maxsize=8)
def _format_locale(language: str, currency: str) -> tuple[tuple[str, Any], ...]:
    base = {"fr": "fr-FR", "en": "en-GB"}[i18n.check_language(language)]
    locale = dict(vlc.get_format_locale(base))  # type: ignore[arg-type]  # fr-FR / en-GB
    if language == "fr":
        locale["thousands"] = i18n.NNBSP  # as Babel writes it in the text
    locale["currency"] = list(i18n.currency_affixes(currency, language))
    return tuple(locale.items())


def format_locale(language: str, currency: str) -> dict[str, Any]:
    """The d3-format locale of a language with the client's currency (for vega-embed and SVG)."""
    return dict(_format_locale(language, currency))


@lru_cache(maxsize=2)
def time_format_locale(language: str) -> dict[str, Any]:
    tag = {"fr": "fr-FR", "en": "en-GB"}[language]
    return dict(vlc.get_time_format_locale(tag))  # type: ignore[arg-type]  # a known locale


def vegalite_version() -> str:
    """The Vega-Lite version Altair writes (``6.4``), for vl-convert."""
    return ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])


def to_html_spec(chart: Any) -> dict[str, Any]:
    """The Vega-Lite spec of a chart (a plain dict, JSON-ready) for vega-embed."""
    return chart.to_dict(validate=False) if hasattr(chart, "to_dict") else dict(chart)


def built_spec(make: Callable[[], Any]) -> dict[str, Any]:
    """The Vega-Lite spec of the chart ``make()`` builds, built with Altair's debug mode off
    (``altair.utils.schemapi.debug_mode``): in debug mode, its default, each schema object is
    converted to a dict and validated against the Vega-Lite schema when it is created, for
    clearer tracebacks; the spec is the same either way (tests/test_charts.py). The report's
    16 charts: 0.35 s → 0.25 s, on the run's critical path. The notebooks and the tests build
    their charts in debug mode."""
    with alt.utils.schemapi.debug_mode(False):
        return to_html_spec(make())


def embed_options(spec: Mapping[str, Any]) -> dict[str, Any]:
    """vega-embed options for a spec: SVG renderer, no action menu, the spec's locale."""
    language, currency = _meta(spec)
    return {
        "renderer": "svg",
        "actions": False,
        "formatLocale": format_locale(language, currency),
        "timeFormatLocale": time_format_locale(language),
    }


def svg_request(chart: Any) -> dict[str, Any]:
    """Everything vl-convert needs to draw a chart as SVG, as plain JSON-able arguments of
    ``vl_convert.vegalite_to_svg`` (so another process can do the conversion)."""
    spec = to_html_spec(chart)
    language, currency = _meta(spec)
    return {
        "vl_spec": spec,
        "vl_version": vegalite_version(),
        "format_locale": format_locale(language, currency),
        "time_format_locale": time_format_locale(language),
    }


FINISH_VERSION = 3
"""Bumped when :func:`finish_svg` changes what it writes (part of the SVG cache's key)."""


def finish_svg(svg: str) -> str:
    """vl-convert's SVG without the elements that draw nothing, and with each translucent
    stroke-less path's ``opacity`` given as ``fill-opacity``: the same paint for one filled
    path, and WeasyPrint draws ``opacity`` as a transparency group of its own per element (the
    winner map's 231 points took half of its drawing time). Then :func:`_flat`."""
    return _flat(_FILL_ONLY_OPACITY.sub(_fill_opacity, _NO_OP.sub("", svg)))


_SVG_NS = "http://www.w3.org/2000/svg"
_INERT = frozenset(
    {"class", "role", "aria-roledescription", "aria-label", "aria-hidden", "pointer-events"}
)
"""Attributes that change nothing drawn in a static SVG without a stylesheet (``class`` is read
only by one, ``aria-*`` and ``role`` by screen readers of an inline SVG, ``pointer-events`` by
a browser): WeasyPrint gets an ``<img>``, whose SVG no reader or pointer reaches."""


def _flat(svg: str) -> str:
    """The same drawing with fewer elements: the time to draw an SVG (svg2pdf's for the PDF,
    WeasyPrint's where it draws them instead) grows with its elements (the report's 16 charts:
    2 500 elements, 1 165 of them groups). Vega nests each
    mark in groups that only carry ``class``/``role``/``aria-*`` or ``translate(0,0)``: such a
    group (once its inert attributes are gone) is replaced by its children, and a path with
    nothing but its outline under an inherited ``fill="none"`` and no stroke (a group's empty
    background) is dropped. An SVG with a ``<style>`` is left as it is (a stylesheet may read
    ``class``). Measured on the fixture's report: 1 165 → 215 groups; WeasyPrint's CPU time to
    draw the charts 0.93–1.05 s → 0.75–0.77 s, svg2pdf's 0.54 s → 0.40 s (once); pixel-identical
    (tests/test_charts.py renders both with resvg)."""
    # xml.etree: the standard library's parser, for the one SVG of each chart drawn anew
    import xml.etree.ElementTree as ET

    if "<style" in svg or not svg.startswith("<svg"):
        return svg
    root = ET.fromstring(svg)
    for name in _INERT & set(root.keys()):
        del root.attrib[name]
    _flatten(root, root.get("fill"), root.get("stroke"))
    for element in root.iter():  # SVG's namespace as the default one again, not ``ns0:``
        if element.tag.startswith(f"{{{_SVG_NS}}}"):
            element.tag = element.tag[len(_SVG_NS) + 2 :]
    root.set("xmlns", _SVG_NS)
    return ET.tostring(root, encoding="unicode")


def _flatten(parent: Any, fill: str | None, stroke: str | None) -> None:
    """:func:`_flat` below ``parent``, whose children inherit ``fill`` and ``stroke``."""
    kept: list[Any] = []
    for child in list(parent):
        for name in _INERT & set(child.keys()):
            del child.attrib[name]
        _flatten(child, child.get("fill", fill), child.get("stroke", stroke))
        tag = child.tag.rpartition("}")[2]
        outline_only = tag == "path" and set(child.keys()) <= {"d"} and not len(child)
        if outline_only and fill == "none" and stroke in (None, "none"):
            continue  # an outline neither filled nor stroked: nothing drawn
        inert = tag == "g" and dict(child.attrib) in ({}, {"transform": "translate(0,0)"})
        if inert and not (child.text or "").strip():
            kept.extend(child)  # what it groups, inheriting the same
            continue
        kept.append(child)
    parent[:] = kept


def _fill_opacity(match: re.Match[str]) -> str:
    attributes = match.group(1) + match.group(3)
    if _STROKE.search(attributes) or "fill-opacity=" in attributes:
        return match.group(0)  # stroke and fill composited together: left as a group
    return f'<path{match.group(1)} fill-opacity="{match.group(2)}"{match.group(3)}/>'


def font_directory() -> Path:
    """The fonts the PDF embeds; vl-convert measures chart text with them."""
    return i18n.TEMPLATES_DIR / "static" / "fonts"


def convert_request(request: Mapping[str, Any]) -> str:
    """Draw an :func:`svg_request` with vl-convert in this process."""

    _register_fonts()
    return finish_svg(vlc.vegalite_to_svg(**request))


def to_svg(chart: Any) -> str:
    """Static SVG of a chart (vl-convert, in the chart's locale), for the PDF."""
    return convert_request(svg_request(chart))


# Elements Vega writes that draw nothing (empty axis backgrounds, hidden foregrounds): a third of
# the nodes of a chart, and every node costs time when WeasyPrint paints the PDF.
_NO_OP = re.compile(
    r'<path class="(?:background|foreground)" aria-hidden="true" '
    r'd="(?:M0,0h0v0h0Z)?"(?: pointer-events="none")?(?: display="none")?/>'
)
# a self-closed path (no children) with an opacity below 1
_FILL_ONLY_OPACITY = re.compile(r'<path((?:\s[^>]*?)?) opacity="(0(?:\.\d+)?|\.\d+)"([^>]*?)/>')
_STROKE = re.compile(r'\sstroke="(?!none")')


@lru_cache(maxsize=1)
def _register_fonts() -> None:
    """Let vl-convert measure text with the PDF's font (DejaVu Sans) so labels fit."""

    if font_directory().is_dir():
        vlc.register_font_directory(str(font_directory()))
