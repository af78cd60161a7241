"""The stakeholder report: ``report.html`` (interactive, self-contained) and ``report.pdf`` (A4).

Input: the report context (docs/architecture.md, "Report context"), a JSON-only dict. Output:

- HTML: inline CSS, the Vega/Vega-Lite/vega-embed bundle inlined from vl-convert (no CDN, nothing
  fetched at view time), one Altair chart per figure rendered by vega-embed with tooltips.
- PDF (WeasyPrint): the same templates with ``pdf=True``; vector charts (vl-convert's SVG,
  drawn by svg2pdf over placeholders WeasyPrint lays out: :mod:`chart_pdf`), DejaVu Sans
  embedded from ``templates/static/fonts``, running header with the client's name, page
  numbers, a table of contents with page numbers. WeasyPrint gets a URL fetcher
  that refuses anything but ``file:`` and ``data:`` URLs, so rendering never touches the network.

Every text comes from ``templates/messages/report_<language>.yaml`` (:mod:`llmdecide.i18n`); Jinja
runs with autoescape and ``StrictUndefined``, so a hostile client name is shown, not run, and a
missing context key fails the render instead of printing nothing.

``render(context, out_dir) -> (html_path, pdf_path)`` writes both files (temp name, then rename).
``browser_check(html_path, screenshot_path)`` opens the HTML in headless Chromium and lists problems
(charts not drawn, console errors).

Modules, in the direction imports flow (each imports only those before it):

- :mod:`~llmdecide.report.context`: the context's keys, the pillars, the order of choices;
- :mod:`~llmdecide.report.templating`: the Jinja environment and its filters;
- :mod:`~llmdecide.report.assets`: the inlined Vega bundle, the stylesheet, the PDF's fonts;
- :mod:`~llmdecide.report.contents`: table of contents, per-choice reasons, what-if data;
- :mod:`~llmdecide.report.view`: the summary's texts and every template variable;
- :mod:`~llmdecide.report.svg`: the PDF's charts as SVG (cache, helper process);
- :mod:`~llmdecide.report.figures`: which charts, their specs, how a template sees them;
- :mod:`~llmdecide.report.pdf`: the WeasyPrint render and its offline URL fetcher;
- :mod:`~llmdecide.report.pdf_parts`, :mod:`~llmdecide.report.pdf_join`,
  :mod:`~llmdecide.report.pdf_parallel`: the PDF laid out in parts on two cores, then joined
  (imported by :mod:`~llmdecide.report.pdf` when it is asked for two processes);
- :mod:`~llmdecide.report.document`: the HTML page and :func:`render` (both files);
- :mod:`~llmdecide.report.browser`: the headless Chromium check.
"""

from llmdecide.report.browser import browser_check
from llmdecide.report.document import HTML_NAME, PDF_NAME, render, render_html
from llmdecide.report.pdf import render_pdf

__all__ = ["HTML_NAME", "PDF_NAME", "browser_check", "render", "render_html", "render_pdf"]
