"""The PDF's charts drawn by vl-convert (``svg_to_pdf``: resvg's svg2pdf) and placed on the pages
WeasyPrint laid out, with pikepdf, instead of being drawn by WeasyPrint.

WeasyPrint lays each chart's ``<img>`` out from a :func:`placeholder`: an SVG of the chart's own
size with nothing in it, so the pages are laid out exactly as with the chart, and drawing it
costs nothing. Once a document's PDF is written, :func:`overlay` puts each chart's one-page PDF
(a form XObject: vectors, and the text in DejaVu Sans subset by svg2pdf) over its placeholder's
box (:func:`placements`). WeasyPrint drew the report's 16 charts in 0.65–0.75 s of CPU (2 500
SVG elements, each text letter by letter); svg2pdf takes 25 ms a chart, and a chart drawn before
is read from the cache (``~/.cache/llmdecide/chart-pdf``, keyed by its SVG). docs/architecture.md,
"The charts in the PDF".
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import vl_convert

from llmdecide.report.assets import cache_dir, cache_load, cache_store

CHART_ATTRIBUTE = "data-chart"
"""The ``<img>`` attribute naming the chart it stands for (``partials/macros.html.j2``)."""
PT_PER_PX = 0.75
"""PDF points per CSS pixel (72 / 96): WeasyPrint's page transformation."""
CACHE_FILES = 400

_ROOT = re.compile(r"<svg\b[^>]*>")
_SIZE = re.compile(r'\s(width|height|viewBox)="([^"]*)"')
_CHART_IMAGE = re.compile(r"<img\b[^>]*\s" + CHART_ATTRIBUTE + r'="([^"]+)"')


def charts_in(html: str) -> set[str]:
    """The charts an HTML page shows (its ``<img data-chart>``): each must be placed."""
    return set(_CHART_IMAGE.findall(html))


class ChartsFailed(Exception):
    """svg2pdf could not convert a chart, or its PDF could not be placed: the caller renders the
    PDF with WeasyPrint drawing the charts instead."""


def placeholder(svg: str) -> str:
    """An SVG with ``svg``'s root size (``width``, ``height``, ``viewBox``) and nothing inside:
    WeasyPrint gives its ``<img>`` the same box as the chart's and draws nothing."""
    root = _ROOT.search(svg)
    sizes = dict(_SIZE.findall(root.group(0))) if root else {}
    attributes = "".join(f' {name}="{value}"' for name, value in sorted(sizes.items()))
    return f'<svg xmlns="http://www.w3.org/2000/svg"{attributes}></svg>'


@dataclass(frozen=True)
class Placement:
    """Where one chart goes: its page (0-based, in the document laid out) and its placeholder's
    content box, in CSS pixels from the page's top-left corner."""

    page: int
    chart: str
    x: float
    y: float
    width: float
    height: float


def placements(document: Any) -> list[Placement]:
    """Every chart placeholder's box in a laid-out WeasyPrint ``Document``."""
    # WeasyPrint (0.5 s of imports): only a PDF render pays them, not an HTML-only one
    from weasyprint.formatting_structure import boxes

    found = []
    try:  # WeasyPrint's boxes (``Page._page_box``: checked with pdf_parts.CHECKED_WEASYPRINT)
        for index, page in enumerate(document.pages):
            for box in page._page_box.descendants():
                element = getattr(box, "element", None)
                if isinstance(box, boxes.ReplacedBox) and element is not None:
                    name = element.get(CHART_ATTRIBUTE)
                    if name:
                        x, y = box.content_box_x(), box.content_box_y()
                        found.append(Placement(index, name, x, y, box.width, box.height))
    except Exception as exc:  # another WeasyPrint's boxes: the charts drawn by WeasyPrint
        raise ChartsFailed(f"the placeholders' boxes: {type(exc).__name__}: {exc}") from exc
    return found


def _cache_path(svg: str) -> Path:
    version = getattr(vl_convert, "__version__", "")
    key = hashlib.sha256(f"{version}\n{svg}".encode()).hexdigest()
    return cache_dir() / "chart-pdf" / f"{key}.pdf"


def chart_pdf(svg: str) -> bytes:
    """A chart's SVG as a one-page PDF (vl-convert's ``svg_to_pdf``), from the cache when the
    same SVG was converted before (``assets.CACHE_ENV``, as for the SVGs)."""
    path = _cache_path(svg)
    data = cache_load(path)
    if data is None:
        data = bytes(vl_convert.svg_to_pdf(svg))
        cache_store(path, data, CACHE_FILES)
    return data


def overlay(
    path: Path, where: list[Placement], svgs: Mapping[str, str], expected: set[str]
) -> None:
    """Put each chart's PDF over its placeholder in the PDF at ``path`` (rewritten in place).
    ``expected``: the charts the document shows (:func:`charts_in`), each placed once, or none
    is. Raises :class:`ChartsFailed` when a chart cannot be converted or placed."""
    placed = [p.chart for p in where]
    if sorted(placed) != sorted(expected):
        raise ChartsFailed(f"placeholders found for {sorted(placed)}, shown {sorted(expected)}")
    if not where:
        return
    # pikepdf: only a PDF render imports it
    import pikepdf

    try:
        drawn = {name: chart_pdf(svgs[name]) for name in set(placed)}
        # the charts' PDFs stay open until the save: qpdf copies a foreign stream's data then
        with (
            contextlib.ExitStack() as opened,
            pikepdf.open(path, allow_overwriting_input=True) as pdf,
        ):
            charts = {
                n: opened.enter_context(pikepdf.open(io.BytesIO(b))) for n, b in drawn.items()
            }
            for place in where:
                page = pdf.pages[place.page]
                top = float(page.mediabox[3])  # WeasyPrint's MediaBox: [0 0 width height]
                rect = pikepdf.Rectangle(
                    place.x * PT_PER_PX,
                    top - (place.y + place.height) * PT_PER_PX,
                    (place.x + place.width) * PT_PER_PX,
                    top - place.y * PT_PER_PX,
                )
                page.add_overlay(charts[place.chart].pages[0], rect)
            pdf.save(path)
    except Exception as exc:  # svg2pdf's, pikepdf's or a missing chart: drawn by WeasyPrint
        raise ChartsFailed(f"{type(exc).__name__}: {exc}") from exc
