"""The stakeholder report (report.html + report.pdf) rendered from the fixture context.

The fixture (tests/fixtures/report_context.json) follows docs/architecture.md "Report context": a
French client with a feasible recommendation, a runner-up, 231 winner-map points, measurements
and changes. Variants are built here: English in USD, nothing feasible, no measurements, hostile
strings. Full renders (HTML + PDF) are module-scoped: a few seconds each.
"""

from __future__ import annotations

import copy
import itertools
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import jinja2
import pytest

from llmdecide import report
from llmdecide.errors import ReportError
from llmdecide.report import browser
from llmdecide.report.context import CONTEXT_KEYS
from llmdecide.report.pdf import url_fetcher

FIXTURE = Path(__file__).parent / "fixtures" / "report_context.json"
HOSTILE = "<script>alert(1)</script>"
HOSTILE_LABEL = "</script><script>alert(2)</script> & Co"
FORBIDDEN = [
    (re.compile(r"\{\{|\}\}|\{%|%\}"), "template syntax"),
    (re.compile(r"\bNone\b"), "None"),
    (re.compile(r"\bnan\b", re.IGNORECASE), "nan"),
    (re.compile(r"\bundefined\b", re.IGNORECASE), "undefined"),
    (re.compile(r"\binf\b"), "inf"),
]


def load_context() -> dict[str, Any]:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def english(context: dict[str, Any]) -> dict[str, Any]:
    ctx = copy.deepcopy(context)
    ctx["client"].update(language="en", currency="USD", name="Example Retail Ltd")
    return ctx


def infeasible(context: dict[str, Any]) -> dict[str, Any]:
    """Nothing meets the limits: no recommendation, the closest configurations instead."""
    ctx = copy.deepcopy(context)
    res, ch = ctx["results"], ctx["choices"]
    rejected = ch["rejected"]
    res.update(feasible=False, recommendation=None, estimates=None, runner_up=None)
    ch.update(
        top=[],
        pareto=[],
        break_even=None,
        cost_breakdown=None,
        sensitivity=None,
        topsis=None,
        closest=[
            {
                "config_id": rejected[1]["config_id"],
                "label": rejected[1]["label"],
                "relax": [
                    {
                        "pillar": "precision",
                        "column": "accuracy",
                        "value": 0.872,
                        "limit": 0.9,
                        "relax_to": 0.872,
                        "relax_by_pct": 3.1,
                    }
                ],
            },
            {
                "config_id": rejected[0]["config_id"],
                "label": rejected[0]["label"],
                "relax": [
                    {
                        "pillar": "performance",
                        "column": "p95_latency_s",
                        "value": 3.9,
                        "limit": 3.0,
                        "relax_to": 3.9,
                        "relax_by_pct": 30.0,
                    }
                ],
            },
        ],
    )
    for rows in ch["per_choice"].values():
        for row in rows:
            row.update(feasible=False, is_recommended=False, score=None)
            row["rejected_because"] = row["rejected_because"] or "accuracy 0.872 < limit 0.9"
    ctx["carbon"].update(projection=None, regions=[], levers=[])
    return ctx


def bare(context: dict[str, Any]) -> dict[str, Any]:
    """First report of a client: no measurements, no previous report."""
    ctx = copy.deepcopy(context)
    ctx.update(measurements=None, changes=None)
    ctx["carbon"].update(measured=None, run_footprint=None, probe=None)
    return ctx


def hostile(context: dict[str, Any]) -> dict[str, Any]:
    ctx = copy.deepcopy(context)
    ctx["client"]["name"] = HOSTILE
    ctx["client"]["use_case_title"] = "{{ 7 * 7 }} <b>bold</b>"
    ctx["choices"]["top"][1]["label"] = HOSTILE_LABEL
    ctx["choices"]["pareto"][0]["label"] = HOSTILE_LABEL
    ctx["choices"]["winner_map"][0]["winner_label"] = HOSTILE_LABEL
    ctx["sources"][0]["source"] = 'javascript:alert(3) "quoted" https://example.org/x?a=1&b=<2>'
    return ctx


class TextOf(HTMLParser):
    """Visible text of a page: everything outside <script> and <style>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self.skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self.skip -= 1

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = TextOf()
    parser.feed(html)
    return " ".join(parser.parts)


def pdf_text(path: Path) -> list[str]:
    from pypdf import PdfReader

    return [page.extract_text() or "" for page in PdfReader(path).pages]


def assert_clean(text: str, where: str) -> None:
    for pattern, name in FORBIDDEN:
        found = pattern.search(text)
        assert not found, (
            f"{name} in {where}: …{text[max(0, found.start() - 80) : found.end() + 80]}…"
        )


@pytest.fixture(scope="module")
def context() -> dict[str, Any]:
    return load_context()


@pytest.fixture(scope="module")
def fr(tmp_path_factory: pytest.TempPathFactory, context: dict[str, Any]) -> tuple[Path, Path]:
    return report.render(context, tmp_path_factory.mktemp("fr"))


@pytest.fixture(scope="module")
def en(tmp_path_factory: pytest.TempPathFactory, context: dict[str, Any]) -> tuple[Path, Path]:
    return report.render(english(context), tmp_path_factory.mktemp("en"))


# -- the fixture itself ------------------------------------------------------------------------


def test_fixture_follows_the_report_context_shape(context: dict[str, Any]) -> None:
    assert set(CONTEXT_KEYS) <= set(context)
    assert context["client"]["language"] == "fr"
    assert context["results"]["feasible"] is True
    assert context["results"]["runner_up"]
    assert len(context["choices"]["winner_map"]) == 231
    assert context["measurements"] and context["changes"]


# -- both outputs ------------------------------------------------------------------------------


def test_render_writes_both_files_and_nothing_else(fr: tuple[Path, Path]) -> None:
    html, pdf = fr
    assert html.name == "report.html" and pdf.name == "report.pdf"
    assert sorted(p.name for p in html.parent.iterdir()) == ["report.html", "report.pdf"]
    assert pdf.read_bytes().startswith(b"%PDF")


@pytest.mark.parametrize("which", ["fr", "en"])
def test_no_template_leftovers_in_html_or_pdf(which: str, request: pytest.FixtureRequest) -> None:
    html, pdf = request.getfixturevalue(which)
    assert_clean(visible_text(html.read_text(encoding="utf-8")), f"{which} HTML")
    for number, text in enumerate(pdf_text(pdf), 1):
        assert_clean(text, f"{which} PDF page {number}")


def markup_only(html: str) -> str:
    """The page without the bodies of its scripts (the vega bundle mentions tags in strings)."""
    return re.sub(r"(<script\b[^>]*>).*?(</script>)", r"\1\2", html, flags=re.DOTALL)


def test_html_is_self_contained(fr: tuple[Path, Path]) -> None:
    html = fr[0].read_text(encoding="utf-8")
    markup = markup_only(html)
    assert not re.search(r"<script\b[^>]*\bsrc\s*=", markup, re.IGNORECASE)
    assert not re.search(r"<link\b", markup, re.IGNORECASE)
    assert not re.search(r"<(img|iframe|source|video|audio|embed|object)\b", markup, re.IGNORECASE)
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", markup, re.IGNORECASE)
    assert not re.search(r"@import", markup, re.IGNORECASE)
    assert "cdn.jsdelivr" not in html and "unpkg.com" not in html
    # the vega bundle is inline, and every chart has its spec beside it
    assert "vegaEmbed" in html
    views = re.findall(r'<div class="chart-view" id="([^"]+)"', html)
    assert len(views) >= 10
    for view in views:
        assert f'id="{view}-spec"' in html
    # links in the sources section are plain anchors, fine to have
    assert re.search(r'<a href="https://', html)


def test_html_structure_toc_headings_and_accessible_charts(fr: tuple[Path, Path]) -> None:
    html = fr[0].read_text(encoding="utf-8")
    assert '<html lang="fr">' in html
    levels = [int(n) for n in re.findall(r"<h([1-6])\b", html)]
    assert levels[0] == 1 and levels.count(1) == 1
    for before, after in itertools.pairwise(levels):
        assert after <= before + 1, f"heading jumps from h{before} to h{after}"
    toc = re.search(r'<nav class="toc".*?</nav>', html, re.DOTALL)
    assert toc
    for target in re.findall(r'href="#([^"]+)"', toc.group(0)):
        assert f'id="{target}"' in html, target
    for section in ("summary", "critical", "choices", "tradeoffs", "cost", "carbon"):
        assert f'href="#{section}"' in toc.group(0)
    for match in re.finditer(r'<div class="chart-view"[^>]*aria-label="([^"]*)"', html):
        assert len(match.group(1)) > 20
    for spec_json in re.findall(
        r'<script type="application/json" id="[^"]+-spec">(.*?)</script>', html, re.DOTALL
    ):
        spec = json.loads(spec_json)["spec"]
        assert spec["title"]["text"] and spec["description"]
    assert "@media print" in html


def test_french_report_speaks_french_with_french_numbers(fr: tuple[Path, Path]) -> None:
    text = visible_text(fr[0].read_text(encoding="utf-8"))
    assert "Synthèse" in text and "Nous recommandons" in text
    assert "4\u202f210\u00a0€" in text  # monthly cost, narrow no-break space between thousands
    assert "90,5\u00a0%" in text
    assert "12 mars 2026" in text


def test_english_report_speaks_english_in_dollars(en: tuple[Path, Path]) -> None:
    html = en[0].read_text(encoding="utf-8")
    text = visible_text(html)
    assert '<html lang="en">' in html
    assert "Executive summary" in text and "We recommend" in text
    assert "US$4,210" in text
    assert "Synthèse" not in text


def test_pdf_pages_header_page_numbers_and_fonts(fr: tuple[Path, Path]) -> None:
    from pypdf import PdfReader

    pages = pdf_text(fr[1])
    total = len(pages)
    assert 5 <= total <= 25
    for number, text in enumerate(pages[1:], 2):
        assert f"{number} / {total}" in text, f"page {number} has no page number"
        assert "Exemple Retail" in text, f"page {number} has no running header"
    # table of contents with page numbers (target-counter): "Synthèse . . . . . 3"
    assert re.search(r"Synthèse(?:\s*\.){5,}\s*\d+", pages[1])
    # French narrow no-break spaces survive into the PDF text (the font has U+202F)
    assert any("4\u202f210" in text for text in pages)
    reader = PdfReader(fr[1])
    fonts = embedded_fonts(reader)
    assert fonts, "no fonts found"
    assert all(embedded for embedded in fonts.values()), fonts
    assert any("DejaVu" in name for name in fonts)


def embedded_fonts(reader: Any) -> dict[str, bool]:
    """Font name → whether its file is embedded, for every font used by any page (or by a
    form XObject: the charts)."""
    found: dict[str, bool] = {}

    def walk(resources: Any) -> None:
        resources = resources.get_object() if resources is not None else None
        if not resources:
            return
        for font in (resources.get("/Font") or {}).values():
            font = font.get_object()
            descendants = font.get("/DescendantFonts")
            targets = [d.get_object() for d in descendants] if descendants else [font]
            for target in targets:
                descriptor = (target.get("/FontDescriptor") or {}).get_object() or {}
                name = str(target.get("/BaseFont") or font.get("/BaseFont"))
                found[name] = any(
                    k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")
                )
        for xobject in (resources.get("/XObject") or {}).values():
            xobject = xobject.get_object()
            if xobject.get("/Subtype") == "/Form":
                walk(xobject.get("/Resources"))

    for page in reader.pages:
        walk(page.get("/Resources"))
    return found


def test_pdf_charts_are_vector(fr: tuple[Path, Path]) -> None:
    """Charts are drawn as vector paths (from SVG), not bitmaps."""
    from pypdf import PdfReader

    reader = PdfReader(fr[1])
    images = 0
    for page in reader.pages:
        xobjects = (page.get("/Resources") or {}).get("/XObject") or {}
        images += sum(1 for x in xobjects.values() if x.get_object().get("/Subtype") == "/Image")
    assert images == 0


# -- safety ------------------------------------------------------------------------------------


def test_hostile_strings_are_shown_not_run(tmp_path: Path, context: dict[str, Any]) -> None:
    html_path, pdf_path = report.render(hostile(context), tmp_path)
    html = html_path.read_text(encoding="utf-8")
    assert HOSTILE not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "alert(2)</script>" not in html  # labels inside chart specs stay inside their JSON
    assert "<b>bold</b>" not in html
    assert "{{ 7 * 7 }}" in visible_text(html) and "49" not in visible_text(html).split()
    assert 'href="javascript:' not in html
    text = "".join(pdf_text(pdf_path))
    assert HOSTILE in text  # shown literally in the PDF
    json_blocks = re.findall(
        r'<script type="application/json" id="[^"]+">(.*?)</script>', html, re.DOTALL
    )
    assert json_blocks and all("</" not in block for block in json_blocks)
    assert any("alert(2)" in json.loads(block)["spec"].__repr__() for block in json_blocks)


@pytest.mark.parametrize(
    "path",
    [("run", "run_id"), ("results", "estimates", "monthly_cost"), ("choices", "monte_carlo")],
)
def test_a_missing_context_key_fails_the_render(context: dict[str, Any], path: tuple) -> None:
    ctx = copy.deepcopy(context)
    node = ctx
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]
    with pytest.raises((jinja2.UndefinedError, KeyError, ReportError)):
        report.render_html(ctx)


def test_a_missing_section_is_reported_by_name(context: dict[str, Any]) -> None:
    ctx = copy.deepcopy(context)
    del ctx["carbon"]
    with pytest.raises(ReportError, match="carbon"):
        report.render_html(ctx)


def test_a_missing_message_fails_the_render(
    context: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from llmdecide import i18n

    messages = copy.deepcopy(dict(i18n.catalog("report", "fr")))
    del messages["summary"]["title"]
    monkeypatch.setattr(i18n.Translator, "__init__", _translator_with(messages))
    with pytest.raises(i18n.MissingMessage, match=r"summary\.title"):
        report.render_html(context)


def _translator_with(messages: dict[str, Any]) -> Any:
    def init(self: Any, language: str, name: str = "report") -> None:
        self.language, self.name, self.messages = language, name, messages
        self._where = " (test catalog)"

    return init


# -- variants ----------------------------------------------------------------------------------


def test_nothing_feasible_says_so_in_french_and_in_english(
    tmp_path: Path, context: dict[str, Any]
) -> None:
    html_fr = report.render_html(infeasible(context))
    text_fr = visible_text(html_fr)
    assert "Rien ne respecte vos limites" in text_fr
    assert "assouplir la limite Précision de 90,0\u00a0% à 87,2\u00a0%" in text_fr
    assert_clean(text_fr, "infeasible fr HTML")

    html_path, pdf_path = report.render(english(infeasible(context)), tmp_path)
    text_en = visible_text(html_path.read_text(encoding="utf-8"))
    assert "Nothing meets your limits" in text_en
    assert "relax the Precision limit from 90.0% to 87.2%" in text_en
    assert "We recommend" not in text_en
    pages = pdf_text(pdf_path)
    assert any("Nothing meets your limits" in page for page in pages)
    for number, page in enumerate(pages, 1):
        assert_clean(page, f"infeasible en PDF page {number}")


def test_first_report_without_measurements_or_changes(context: dict[str, Any]) -> None:
    html = report.render_html(bare(context))
    text = visible_text(html)
    assert 'id="measurements"' not in html
    assert "Rien n'est encore mesuré" in text
    assert_clean(text, "bare HTML")


def test_rejection_reasons_are_translated(context: dict[str, Any]) -> None:
    text = visible_text(report.render_html(context))
    assert "Exactitude 87,2\u00a0% < limite 90,0\u00a0%" in text
    assert "accuracy 0.872 < limit 0.9" not in text


# -- browser -----------------------------------------------------------------------------------


def test_charts_draw_in_a_real_browser(fr: tuple[Path, Path], tmp_path: Path) -> None:
    if not browser.CHROMIUM.exists():
        pytest.skip(
            f"{browser.CHROMIUM} missing (a system browser, optional: only this check uses it): "
            "apt-get install -y chromium"
        )
    screenshot = tmp_path / "report.png"
    problems = report.browser_check(fr[0], screenshot)
    assert problems == []
    assert screenshot.is_file() and screenshot.stat().st_size > 10_000


def test_browser_check_reports_a_broken_chart(tmp_path: Path) -> None:
    if not browser.CHROMIUM.exists():
        pytest.skip(
            f"{browser.CHROMIUM} missing (a system browser, optional: only this check uses it): "
            "apt-get install -y chromium"
        )
    page = tmp_path / "broken.html"
    page.write_text(
        '<!DOCTYPE html><html><body><div class="chart-view" id="chart-x" data-state="error"></div>'
        '<script>console.error("boom")</script></body></html>',
        encoding="utf-8",
    )
    problems = report.browser_check(page)
    assert any("chart-x" in p for p in problems)
    assert any("boom" in p for p in problems)


def test_pdf_fetcher_refuses_the_network() -> None:
    fetcher = url_fetcher()
    with pytest.raises(ValueError, match="offline"):
        (fetcher.fetch if hasattr(fetcher, "fetch") else fetcher)("https://example.org/x.css")


def test_sources_appendix_keeps_what_the_client_can_use() -> None:
    """The appendix lists the records that can be a source of the client's figures: no cloud
    offer sold only outside its regions, no region it excludes, every method record."""
    from datetime import date

    from llmdecide import assemble, catalog, params

    repo = Path(__file__).resolve().parents[1]
    client = params.load(repo / "params" / "clients" / "example-retail.yaml")
    cat = catalog.load()
    whole = assemble.sources_appendix(cat, date(2026, 12, 1))
    mine = {
        (e["kind"], e["name"]) for e in assemble.sources_appendix(cat, date(2026, 12, 1), client)
    }
    assert 0 < len(mine) < len(whole)
    allowed = set(client.constraints.regions) | {client.carbon.country}
    for kind, name, rec in cat.records():
        kept = (kind, name) in mine
        if kind in ("method", "assumptions", "efficiencies", "quantisations", "currency_rates"):
            assert kept, (kind, name)  # method records are sources of every report
        if kind == "regions":
            assert kept == (name in allowed), name
        if kind == "cloud_offers":
            # retail allows FRA, IRL, USA and four GPUs: an offer sold only elsewhere, or of
            # another GPU, is a source of nothing
            in_region = not rec.regions or bool(allowed & set(rec.regions))
            assert kept == (in_region and rec.gpu in client.options.gpus), name
    assert any(k == "cloud_offers" and (k, n) not in mine for k, n, _ in cat.records())
