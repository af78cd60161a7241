"""Both documents of a run: the interactive HTML page, and :func:`render`, which writes
``report.html`` and ``report.pdf`` from one build of the charts."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from llmdecide import charts, gcpause
from llmdecide.report import figures
from llmdecide.report.context import check_context
from llmdecide.report.figures import chart_makers, chart_specs
from llmdecide.report.pdf import render_pdf
from llmdecide.report.svg import SvgConverter
from llmdecide.report.templating import TEMPLATE, environment
from llmdecide.report.view import template_vars

HTML_NAME = "report.html"
PDF_NAME = "report.pdf"


def render_html(
    context: Mapping[str, Any], *, specs: Mapping[str, Mapping[str, Any]] | None = None
) -> str:
    """The interactive, self-contained HTML report."""
    specs = chart_specs(context) if specs is None else specs
    return (
        environment()
        .get_template(TEMPLATE)
        .render(template_vars(context, figures.chart_views(specs, None), pdf=False))
    )


def _write_text(path: Path, text: str) -> Path:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


@gcpause.while_paused  # WeasyPrint's boxes: many objects, few cycles (gcpause's docstring)
def render(context: Mapping[str, Any], out_dir: Path, *, processes: int = 1) -> tuple[Path, Path]:
    """Write ``out_dir/report.html`` and ``out_dir/report.pdf``; return their paths.
    ``processes=2``: the PDF on two cores (:func:`render_pdf`).

    The charts are built once and serve both outputs: their Vega-Lite specs for the HTML, one
    vl-convert SVG call per chart for the PDF, started as soon as a chart is built
    (:class:`SvgConverter`) while the next charts are built, the HTML is rendered and WeasyPrint
    parses and styles the PDF's page; it gets each chart when it reaches it. In parts on two
    cores (``processes=2``), the HTML is rendered while the other core lays out its parts."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    check_context(context)
    converter = SvgConverter()
    try:
        specs: dict[str, dict[str, Any]] = {}
        for name, make in chart_makers(context):
            specs[name] = charts.built_spec(make)
            converter.add(name, specs[name])
        html_path = out_dir / HTML_NAME
        pdf_path = render_pdf(
            context,
            out_dir / PDF_NAME,
            specs=specs,
            svgs=converter,
            processes=processes,
            meanwhile=lambda: _write_text(html_path, render_html(context, specs=specs)),
        )
    finally:
        converter.close()
    return html_path, pdf_path
