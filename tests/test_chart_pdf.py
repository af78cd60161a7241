"""The PDF's charts drawn by svg2pdf and placed by pikepdf over WeasyPrint's placeholders
(report/chart_pdf.py), with real WeasyPrint, vl-convert and pikepdf, read back with pypdf.

What must hold: a placeholder takes exactly its chart's box; each chart lands in that box, on its
figure's page, once; the report in parts and whole agree; a chart svg2pdf cannot convert is
drawn by WeasyPrint instead (a warning, never a blank figure); the conversion is cached by SVG.
"""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path
from typing import Any

import pikepdf
import pytest
import vl_convert
import weasyprint
from pypdf import PdfReader

from llmdecide import charts
from llmdecide.report import chart_pdf, figures, pdf

FIXTURE = Path(__file__).parent / "fixtures" / "report_context.json"


@pytest.fixture(scope="module")
def context() -> dict[str, Any]:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def two_svgs(context: dict[str, Any]) -> dict[str, str]:
    makers = dict(figures.chart_makers(context))
    return {name: charts.to_svg(makers[name]()) for name in ("pareto", "cost_breakdown")}


def _page(images: dict[str, str]) -> str:
    figures_html = "".join(
        f'<p>Avant {name}.</p><img data-chart="{name}" style="width: 12cm" '
        f'src="{figures.svg_data_uri(svg)}"><p>Après.</p>'
        for name, svg in images.items()
    )
    return f'<html><body style="font-family: DejaVu Sans">{figures_html}</body></html>'


def _title(svg: str) -> str:
    spec_title = svg.split("role-title", 1)[-1]
    return spec_title.split("</text>", 1)[0].rsplit(">", 1)[-1]


def test_a_placeholder_takes_its_charts_box_and_draws_nothing(two_svgs: dict[str, str]) -> None:
    real = weasyprint.HTML(string=_page(two_svgs)).render()
    held = {name: chart_pdf.placeholder(svg) for name, svg in two_svgs.items()}
    empty = weasyprint.HTML(string=_page(held)).render()
    assert chart_pdf.placements(empty) == chart_pdf.placements(real)
    assert [p.chart for p in chart_pdf.placements(empty)] == ["pareto", "cost_breakdown"]
    assert held["pareto"].startswith("<svg") and "<text" not in held["pareto"]
    text = PdfReader(io.BytesIO(empty.write_pdf())).pages[0].extract_text()
    assert "Avant pareto" in text and _title(two_svgs["pareto"]) not in text


def _form_rectangles(page: pikepdf.Page) -> list[tuple[float, ...]]:
    """Where each form XObject the page's content draws lands, in PDF points: its BBox through
    the current matrix (the overlay's ``cm``; the page's own begins at identity)."""
    found, matrix, stack = [], pikepdf.Matrix(), []
    for operands, operator in pikepdf.parse_content_stream(page):
        op = str(operator)
        if op == "q":
            stack.append(matrix)
        elif op == "Q":
            matrix = stack.pop()
        elif op == "cm":
            matrix = pikepdf.Matrix(*[float(v) for v in operands]) @ matrix
        elif op == "Do":
            xobject = page.Resources.XObject[operands[0]]
            if xobject.Subtype == "/Form":
                x0, y0, x1, y1 = (float(v) for v in xobject.BBox)
                form = pikepdf.Matrix(
                    *[float(v) for v in xobject.get("/Matrix", [1, 0, 0, 1, 0, 0])]
                )
                whole = form @ matrix
                (ax, ay), (bx, by) = whole.transform((x0, y0)), whole.transform((x1, y1))
                found.append((min(ax, bx), min(ay, by), max(ax, bx), max(ay, by)))
    return found


def test_each_chart_lands_in_its_placeholders_box(two_svgs: dict[str, str], tmp_path: Path) -> None:
    held = {name: chart_pdf.placeholder(svg) for name, svg in two_svgs.items()}
    document = weasyprint.HTML(string=_page(held)).render()
    path = tmp_path / "charts.pdf"
    document.write_pdf(path)
    where = chart_pdf.placements(document)
    chart_pdf.overlay(path, where, two_svgs, chart_pdf.charts_in(_page(held)))
    with pikepdf.open(path) as done:
        page = done.pages[0]
        height_pt = float(page.mediabox[3])
        drawn = _form_rectangles(page)
    # each placeholder's box, px → pt (× 0.75), y from the page's bottom
    expected = [
        (
            p.x * 0.75,
            height_pt - (p.y + p.height) * 0.75,
            (p.x + p.width) * 0.75,
            height_pt - p.y * 0.75,
        )
        for p in where
    ]
    assert len(drawn) == 2
    for got, want in zip(drawn, expected, strict=True):
        assert got == pytest.approx(want, abs=0.01)
    text = PdfReader(path).pages[0].extract_text()
    assert _title(two_svgs["pareto"]) in text and _title(two_svgs["cost_breakdown"]) in text


def test_a_chart_left_unplaced_fails_the_overlay(two_svgs: dict[str, str], tmp_path: Path) -> None:
    """A placeholder whose box is not found (another WeasyPrint's boxes) must not leave its
    figure blank: overlay refuses, and render_pdf then lets WeasyPrint draw the charts."""
    held = {name: chart_pdf.placeholder(svg) for name, svg in two_svgs.items()}
    html = _page(held)
    document = weasyprint.HTML(string=html).render()
    path = tmp_path / "charts.pdf"
    document.write_pdf(path)
    where = chart_pdf.placements(document)
    assert chart_pdf.charts_in(html) == {"pareto", "cost_breakdown"}
    with pytest.raises(chart_pdf.ChartsFailed, match="shown"):
        chart_pdf.overlay(path, where[:1], two_svgs, chart_pdf.charts_in(html))


def _chart_pages(path: Path, titles: dict[str, str]) -> dict[str, list[int]]:
    reader = PdfReader(path)
    texts = [page.extract_text() for page in reader.pages]
    return {name: [i for i, t in enumerate(texts) if title in t] for name, title in titles.items()}


def test_the_report_draws_each_chart_on_its_figures_page(
    context: dict[str, Any], tmp_path: Path
) -> None:
    """In parts (two processes) and whole: every chart's title is on the page of its figure's
    anchor (``fig-<name>``, a named destination), and nowhere else."""
    specs = figures.chart_specs(context)
    titles = {n: figures.chart_views({n: s}, None)[n]["title"] for n, s in specs.items()}
    titles = {n: t for n, t in titles.items() if t}
    assert len(titles) >= 10
    for processes in (2, 1):
        path = pdf.render_pdf(context, tmp_path / f"report-{processes}.pdf", processes=processes)
        reader = PdfReader(path)
        anchor_page = {
            name: reader.get_destination_page_number(dest)
            for name, dest in reader.named_destinations.items()
        }
        for name, pages in _chart_pages(path, titles).items():
            assert pages == [anchor_page[f"fig-{name}"]], (processes, name)


def test_a_chart_svg2pdf_cannot_convert_is_drawn_by_weasyprint(
    context: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """svg2pdf failing (injected; the cache off so that it is asked) never leaves a figure
    blank: the PDF is rendered again with WeasyPrint drawing the charts, and a warning says so."""
    monkeypatch.setenv("LLMDECIDE_SVG_CACHE", "0")

    def refuse(svg: str, scale: Any = None) -> bytes:
        raise ValueError("unsupported SVG (injected)")

    monkeypatch.setattr(vl_convert, "svg_to_pdf", refuse)
    specs = figures.chart_specs(context)
    title = figures.chart_views({"pareto": specs["pareto"]}, None)["pareto"]["title"]
    for processes in (2, 1):
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="llmdecide.report.pdf"):
            path = pdf.render_pdf(context, tmp_path / f"r{processes}.pdf", processes=processes)
        assert "WeasyPrint draws them" in caplog.text, processes
        assert any(title in page.extract_text() for page in PdfReader(path).pages)


def test_chart_pdfs_are_cached_by_their_svg(
    two_svgs: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("LLMDECIDE_SVG_CACHE", raising=False)
    calls: list[str] = []
    convert = vl_convert.svg_to_pdf

    def counted(svg: str, scale: Any = None) -> bytes:
        calls.append(svg)
        return convert(svg)

    monkeypatch.setattr(vl_convert, "svg_to_pdf", counted)
    first = chart_pdf.chart_pdf(two_svgs["pareto"])
    assert first.startswith(b"%PDF") and chart_pdf.chart_pdf(two_svgs["pareto"]) == first
    assert len(calls) == 1  # the second from ~/.cache/llmdecide/chart-pdf
    assert len(list((tmp_path / "llmdecide" / "chart-pdf").glob("*.pdf"))) == 1
    monkeypatch.setenv("LLMDECIDE_SVG_CACHE", "0")
    assert chart_pdf.chart_pdf(two_svgs["pareto"]).startswith(b"%PDF") and len(calls) == 2
