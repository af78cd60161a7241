"""The PDF report (WeasyPrint, A4): the same templates with ``pdf=True``, vector charts (laid out
as placeholders, drawn by svg2pdf: :mod:`chart_pdf`), DejaVu Sans embedded, running header, page
numbers and a table of contents. WeasyPrint gets a URL fetcher that refuses anything but
``file:`` and ``data:`` URLs, so rendering never touches the network."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from llmdecide.report import chart_pdf, figures
from llmdecide.report.assets import STATIC_DIR
from llmdecide.report.figures import CHART_URL, chart_specs
from llmdecide.report.svg import SvgConverter, chart_svgs
from llmdecide.report.templating import TEMPLATE, environment
from llmdecide.report.view import template_vars

LOGGER = logging.getLogger(__name__)


def font_subsetter() -> str:
    """Which library WeasyPrint subsets the embedded fonts with: "HarfBuzz" when the system has
    libharfbuzz-subset (Debian: libharfbuzz-subset0), else "fontTools", its slower fallback
    (0.7 s more per example report; docs/architecture.md, "The PDF in parts")."""
    from weasyprint.text import ffi  # 0.5 s of imports: only a PDF render pays them

    return "HarfBuzz" if getattr(ffi, "harfbuzz_subset", None) else "fontTools"


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
        .render(template_vars(context, figures.chart_views(specs, svgs), pdf=True))
    )


class _Once:
    """Other work of the caller, run at the first call only: the PDF in parts calls it while the
    other core is busy, and should the parts fail it is not run again before the whole. Its own
    failure is the caller's (``failed``), never a reason to render the whole instead."""

    def __init__(self, work: Callable[[], object] | None) -> None:
        self.work, self.done, self.failed = work, work is None, False

    def __call__(self) -> None:
        if self.done:
            return
        self.done = True
        assert self.work is not None  # done from the start without work
        try:
            self.work()
        except BaseException:
            self.failed = True
            raise


def url_fetcher(charts_source: SvgConverter | None = None, *, placeholders: bool = False) -> Any:
    """A WeasyPrint URL fetcher that serves ``file:`` and ``data:`` URLs and refuses the rest;
    chart URLs (:data:`CHART_URL`) are answered from ``charts_source``: each chart's SVG, or
    with ``placeholders`` its :func:`chart_pdf.placeholder`."""
    import weasyprint  # 0.5 s of imports: only a PDF render pays them, not an HTML-only one

    def chart(url: str) -> bytes | None:
        if charts_source is None or not url.startswith(CHART_URL):
            return None
        name = url[len(CHART_URL) :].removesuffix(".svg")
        svg = charts_source.get(name)
        return (chart_pdf.placeholder(svg) if placeholders else svg).encode("utf-8")

    def refuse(url: str) -> None:
        if not url.startswith(("file:", "data:")):
            raise ValueError(f"the report renders offline: refused {url}")

    if hasattr(weasyprint, "URLFetcher"):  # WeasyPrint >= 66
        from weasyprint.urls import URLFetcherResponse  # exists from WeasyPrint 66 on only

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
    processes: int = 1,
    meanwhile: Callable[[], object] | None = None,
) -> Path:
    """Write the PDF report to ``path`` (temp name in the same folder, then rename). ``svgs``:
    the charts' SVG by name, or a :class:`SvgConverter` that WeasyPrint asks as it lays out.
    ``processes=2``: laid out and painted in parts on two cores where that works
    (:mod:`~llmdecide.report.pdf_parallel`; the same pages), the whole at once otherwise.
    ``meanwhile``: other work of this process (called once), done while the other core is busy
    when the PDF is laid out in parts, before the PDF otherwise. The charts are drawn by
    svg2pdf and placed over their placeholders (:mod:`~llmdecide.report.chart_pdf`); should
    that fail, WeasyPrint draws them (a warning is logged)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    other_work = _Once(meanwhile)
    specs = chart_specs(context) if specs is None else specs
    svgs = chart_svgs(specs) if svgs is None else svgs
    html: str | None = None
    if processes > 1:
        # imports WeasyPrint's layout and pikepdf: here, not at the top (see above)
        from llmdecide.report import pdf_parallel

        if pdf_parallel.available():
            # every chart drawn first: both processes need theirs
            if isinstance(svgs, SvgConverter):
                svgs = svgs.results()
            html = render_pdf_html(context, specs=specs, svgs=_placeholders(svgs))
            try:
                return pdf_parallel.render_in_parts(
                    html,
                    path,
                    base_url=STATIC_DIR.as_uri() + "/",
                    url_fetcher=url_fetcher(None),
                    meanwhile=other_work,
                    charts=svgs,
                )
            except Exception as exc:  # PartsFailed or a bug: the same PDF, on one core
                if other_work.failed:
                    raise
                LOGGER.warning("the PDF in parts failed (%s); rendered whole", exc)
    other_work()
    try:
        return _render_whole(context, path, specs, svgs, overlaid=True, html=html)
    except chart_pdf.ChartsFailed as exc:
        LOGGER.warning("the charts could not be drawn by svg2pdf (%s); WeasyPrint draws them", exc)
        return _render_whole(context, path, specs, svgs, overlaid=False)


def _placeholders(svgs: Mapping[str, str]) -> dict[str, str]:
    return {name: chart_pdf.placeholder(svg) for name, svg in svgs.items()}


def _render_whole(
    context: Mapping[str, Any],
    path: Path,
    specs: Mapping[str, Mapping[str, Any]],
    svgs: Mapping[str, str] | SvgConverter,
    *,
    overlaid: bool,
    html: str | None = None,
) -> Path:
    """The PDF laid out and written at once; ``overlaid``: the charts as placeholders, then
    drawn over them (``html``: that page already rendered, by the parts' attempt)."""
    import weasyprint  # 0.5 s of imports: only a PDF render pays them, not an HTML-only one

    converter = svgs if isinstance(svgs, SvgConverter) else None
    if html is None or not overlaid:
        shown = svgs
        if overlaid and not isinstance(svgs, SvgConverter):
            shown = _placeholders(svgs)  # a converter's charts: placeholders from the fetcher
        html = render_pdf_html(context, specs=specs, svgs=shown)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        document = weasyprint.HTML(
            string=html,
            base_url=STATIC_DIR.as_uri() + "/",
            url_fetcher=url_fetcher(converter, placeholders=overlaid),
        ).render()
        document.write_pdf(tmp)
        if overlaid:
            drawn = svgs.results() if isinstance(svgs, SvgConverter) else svgs
            where = chart_pdf.placements(document)
            chart_pdf.overlay(tmp, where, drawn, chart_pdf.charts_in(html))
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
