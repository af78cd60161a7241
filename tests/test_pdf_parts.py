"""The PDF laid out in parts on two processes (report/pdf_parts, pdf_parallel, pdf_join).

The rule: the joined PDF is the whole document's, page for page. Checked with real WeasyPrint,
a real fork and pikepdf, on a small document made for it (cross-part links, bookmarks, the
contents' page numbers, the running header) and on the fixture's report; read back with pypdf:
each page's text (with its header and "n / N" footer), the outline (titles, levels, pages,
positions), every link annotation (page, rectangle, destination), the named destinations, the
document information and language. Failures (the child raising, dying, stuck) must raise
``PartsFailed`` without leaving a process or a file behind; ``render_pdf`` then renders whole.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import weasyprint
from pypdf import PdfReader

from llmdecide.report import pdf, pdf_parallel, pdf_parts
from llmdecide.report.assets import STATIC_DIR

FIXTURE = Path(__file__).parent / "fixtures" / "report_context.json"
BASE_URL = STATIC_DIR.as_uri() + "/"

_STYLE = """
@page { size: A6; margin: 12mm 8mm;
  @top-left { content: string(client); font-size: 6pt; }
  @bottom-right { content: counter(page) " / " counter(pages); font-size: 6pt; } }
@page cover { @top-left { content: none; } @bottom-right { content: none; } }
body { font-family: "DejaVu Sans"; font-size: 8pt; }
.cover { page: cover; break-after: page; }
.cover .client-name { string-set: client content(text); }
.toc { break-after: page; }
.toc a::after { content: leader(".") " " target-counter(attr(href), page); }
.toc a[data-page]::after { content: leader(".") " " attr(data-page); }
.new-page { break-before: page; }
"""


def _section(ident: str, title: str, paragraphs: int, *, link: str = "", sub: str = "") -> str:
    text = " ".join(f"Mot{i} du texte de {title}." for i in range(40))
    body = "".join(f"<p>{text}</p>" for _ in range(paragraphs))
    if sub:
        body += f'<h3 id="{sub}">Sous-partie de {title}</h3><p>{text}</p>'
    if link:
        body += f'<p>Voir <a href="#{link}">la partie {link}</a>.</p>'
    return f'<section id="{ident}" class="new-page"><h2>{title}</h2>{body}</section>'


def small_report(client: str = "Client « Nord » & fils") -> str:
    """A report-shaped document: cover and contents, then four parts at forced breaks, links
    and bookmarks that cross parts, a client name that needs escaping."""
    toc = "".join(
        f'<li><a href="#{ident}">{title}</a></li>'
        for ident, title in [("s0", "Synthèse"), ("s1", "Choix"), ("s1b", "Détail"), ("s2", "Coût")]
    )
    name = client.replace("&", "&amp;").replace("<", "&lt;")
    return (
        '<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8">'
        f'<title>Rapport — {name}</title><style>{_STYLE}</style></head><body class="pdf">'
        f'<header class="cover"><h1><span class="client-name">{name}</span></h1></header>'
        f'<nav class="toc"><h2>Sommaire</h2><ol>{toc}</ol></nav>'
        '<main id="main">'
        + pdf_parts.PART_MARK
        + _section("s0", "Synthèse", 2, link="s2").replace(' class="new-page"', "")
        + pdf_parts.PART_MARK
        + _section("s1", "Choix", 9, sub="s1b", link="s0")
        + pdf_parts.PART_MARK
        + _section("s2", "Coût", 3, link="s1b")
        + pdf_parts.PART_MARK
        + _section("s3", "Sources", 4, link="s1")
        + '</main><footer class="colophon"><p>Fin.</p></footer></body></html>'
    )


def whole(html: str, path: Path) -> Path:
    weasyprint.HTML(string=html, base_url=BASE_URL, url_fetcher=pdf.url_fetcher(None)).write_pdf(
        path
    )
    return path


def in_parts(html: str, path: Path) -> Path:
    return pdf_parallel.render_in_parts(
        html, path, base_url=BASE_URL, url_fetcher=pdf.url_fetcher(None)
    )


def read_back(path: Path) -> dict[str, Any]:
    reader = PdfReader(path)

    def outline(items: list[Any], depth: int = 0) -> list[tuple[Any, ...]]:
        out: list[tuple[Any, ...]] = []
        for item in items:
            if isinstance(item, list):
                out += outline(item, depth + 1)
            else:
                page = reader.get_destination_page_number(item)
                out.append((depth, item.title, page, round(float(item.top or 0), 2)))
        return out

    links = []
    for index, page in enumerate(reader.pages):
        for annotation in page.get("/Annots") or []:
            annotation = annotation.get_object()
            if annotation.get("/Subtype") == "/Link":
                rect = tuple(round(float(v), 2) for v in annotation["/Rect"])
                uri = annotation.get("/A", {}).get("/URI")
                links.append((index, rect, str(annotation.get("/Dest")), str(uri)))
    destinations = {
        name: (reader.get_destination_page_number(dest), round(float(dest.top or 0), 2))
        for name, dest in reader.named_destinations.items()
    }
    info = {k: v for k, v in (reader.metadata or {}).items() if "Date" not in k}
    return {
        "texts": [page.extract_text() for page in reader.pages],
        "outline": outline(reader.outline),
        "links": sorted(links),
        "destinations": destinations,
        "info": info,
        "lang": reader.trailer["/Root"].get("/Lang"),
    }


def assert_same_as(expected: dict[str, Any], got: Path) -> None:
    b = read_back(got)
    assert len(expected["texts"]) == len(b["texts"])
    for number, (x, y) in enumerate(zip(expected["texts"], b["texts"], strict=True), start=1):
        assert x == y, f"page {number} differs"
    for key in ("outline", "links", "destinations", "info", "lang"):
        assert expected[key] == b[key], key


def assert_same_document(expected: Path, got: Path) -> None:
    assert_same_as(read_back(expected), got)


def children_of_this_process() -> set[tuple[int, str]]:
    """(pid, state) of this process's children, from /proc (earlier tests of the suite may have
    left long-lived ones: the SVG helper, kept kernels)."""
    out = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[1]) == os.getpid():
            out.add((int(entry.name), fields[0]))
    return out


def test_this_weasyprint_is_the_one_the_parts_were_checked_with() -> None:
    # without it, every report is rendered whole: twice as slow, silently (issue 16's target)
    assert pdf_parts.supported(), weasyprint.__version__
    assert pdf_parallel.available()


def test_split_cuts_at_the_marks_and_keeps_everything() -> None:
    html = small_report()
    parts = pdf_parts.split(html)
    assert len(parts.bodies) == 4
    assert 'class="cover"' in parts.front and '<nav class="toc"' in parts.front
    assert "<main" not in parts.front
    assert "<style>" not in parts.front and "string-set" in parts.style
    for body in parts.bodies:
        assert body.startswith("<!DOCTYPE html>") and '<main id="main">' in body
        assert body.count("<section") == 1 and pdf_parts.PART_MARK not in body
    assert "colophon" in parts.bodies[-1] and "colophon" not in parts.bodies[0]
    # every section of the whole is in exactly one part
    for ident in ("s0", "s1", "s2", "s3"):
        assert sum(f'id="{ident}"' in body for body in parts.bodies) == 1


def test_split_refuses_html_without_marks_or_with_content_before_the_first() -> None:
    html = small_report()
    with pytest.raises(ValueError, match="no <!--pdf-part-->"):
        pdf_parts.split(html.replace(pdf_parts.PART_MARK, ""))
    with pytest.raises(ValueError, match="content before"):
        pdf_parts.split(html.replace('<main id="main">', '<main id="main"><p>lost</p>'))


def test_numbered_front_writes_each_contents_page_number() -> None:
    front = pdf_parts.split(small_report()).front
    placeholder = pdf_parts.numbered_front(front, None)
    assert placeholder.count(f'data-page="{pdf_parts.TOC_PLACEHOLDER}"') == 4
    numbered = pdf_parts.numbered_front(front, {"s0": 3, "s1": 4, "s1b": 7, "s2": 12})
    assert '<a href="#s1b" data-page="7">' in numbered
    assert '<a href="#s2" data-page="12">' in numbered
    assert "attr(data-page)" not in numbered  # the stylesheet's rule shows them


def test_first_pages_and_anchor_pages_by_hand() -> None:
    # parts of 2, 3 and 1 pages: they begin on pages 1, 1 + 2 = 3 and 3 + 3 = 6
    assert pdf_parts.first_pages([2, 3, 1]) == [1, 3, 6]
    page = {"height": 1.0, "links": [], "bookmarks": []}
    facts = [
        {"pages": [{**page, "anchors": [["cover", 0, 0]]}, {**page, "anchors": []}]},
        {"pages": [{**page, "anchors": []}, {**page, "anchors": [["a", 1, 2], ["b", 3, 4]]}]},
        {"pages": [{**page, "anchors": [["a", 5, 6], ["c", 0, 0]]}]},
    ]
    # "a" first occurs on the second part's second page: 3 + 1 = 4; its later copy is ignored
    assert pdf_parts.anchor_pages(facts) == {"cover": 1, "a": 4, "b": 4, "c": 5}


def test_the_small_report_in_parts_is_the_whole_document(tmp_path: Path) -> None:
    html = small_report()
    expected = whole(html, tmp_path / "whole.pdf")
    got = in_parts(html, tmp_path / "parts.pdf")
    assert_same_document(expected, got)
    texts = read_back(got)["texts"]
    total = len(texts)
    assert total >= 8  # the parts really span several pages each
    assert f"2 / {total}" in texts[1] and f"{total} / {total}" in texts[-1]
    assert "Client « Nord » & fils" in texts[-1]  # the running header, set by the cover only
    assert not list(tmp_path.glob(".pdf-parts-*")), "the parts' folder is left behind"


@pytest.fixture(scope="module")
def fixture_whole(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The fixture's report rendered whole, read back once for the tests below."""
    context = json.loads(FIXTURE.read_text(encoding="utf-8"))
    path = pdf.render_pdf(context, tmp_path_factory.mktemp("whole") / "report.pdf", processes=1)
    return {"context": context, "read": read_back(path)}


def test_the_fixture_report_in_parts_is_the_whole_document(
    fixture_whole: dict[str, Any], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[int] = []
    with caplog.at_level(logging.WARNING, logger=pdf.LOGGER.name):
        got = pdf.render_pdf(
            fixture_whole["context"],
            tmp_path / "report.pdf",
            processes=2,
            meanwhile=lambda: calls.append(1),
        )
    assert not [r for r in caplog.records if "in parts failed" in r.getMessage()]
    assert calls == [1]  # the other work, done once
    assert_same_as(fixture_whole["read"], got)
    assert len(fixture_whole["read"]["outline"]) > 30 and len(fixture_whole["read"]["links"]) > 100
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.pdf"]


def _in_child(parent: int) -> bool:
    return os.getpid() != parent


def fault_in_child(monkeypatch: pytest.MonkeyPatch, fault: Callable[[], object]) -> None:
    """The forked child runs ``fault`` as it starts laying out a part; this process lays out as
    usual."""
    parent, lay_out = os.getpid(), pdf_parts.lay_out

    def faulty(*args: Any, **kwargs: Any) -> pdf_parts.LaidOut:
        if _in_child(parent):
            fault()
        return lay_out(*args, **kwargs)

    monkeypatch.setattr(pdf_parts, "lay_out", faulty)


def test_a_failing_child_raises_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parent, write = os.getpid(), pdf_parts.LaidOut.write

    def failing_write(self: pdf_parts.LaidOut, path: Path, charts: Any = None) -> None:
        if _in_child(parent):
            raise OSError("disk full (injected)")
        write(self, path, charts)

    monkeypatch.setattr(pdf_parts.LaidOut, "write", failing_write)
    before = children_of_this_process()
    with pytest.raises(pdf_parallel.PartsFailed, match="disk full"):
        in_parts(small_report(), tmp_path / "parts.pdf")
    assert not list(tmp_path.iterdir())
    assert children_of_this_process() == before  # the forked child gone, no zombie


def test_a_child_killed_while_it_lays_out_raises_and_is_reaped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fault_in_child(monkeypatch, lambda: os.kill(os.getpid(), signal.SIGKILL))
    before = children_of_this_process()
    with pytest.raises(pdf_parallel.PartsFailed, match="ended without an answer"):
        in_parts(small_report(), tmp_path / "parts.pdf")
    assert not list(tmp_path.iterdir())
    assert children_of_this_process() == before  # the forked child gone, no zombie


def test_a_stuck_child_times_out_and_is_killed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fault_in_child(monkeypatch, lambda: time.sleep(60))
    monkeypatch.setattr(pdf_parallel, "TIMEOUT_S", 1.0)
    before = children_of_this_process()
    started = time.monotonic()
    with pytest.raises(pdf_parallel.PartsFailed, match="did not answer"):
        in_parts(small_report(), tmp_path / "parts.pdf")
    assert time.monotonic() - started < 20
    assert not list(tmp_path.iterdir())
    assert children_of_this_process() == before  # the forked child gone, no zombie


def test_render_pdf_renders_whole_when_the_parts_fail(
    fixture_whole: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def out_of_memory() -> None:
        raise MemoryError("out of memory (injected)")

    fault_in_child(monkeypatch, out_of_memory)
    calls: list[int] = []
    with caplog.at_level(logging.WARNING, logger=pdf.LOGGER.name):
        got = pdf.render_pdf(
            fixture_whole["context"],
            tmp_path / "report.pdf",
            processes=2,
            meanwhile=lambda: calls.append(1),
        )
    assert any("in parts failed" in r.getMessage() for r in caplog.records)
    assert calls == [1]  # done once, not again before the whole
    assert_same_as(fixture_whole["read"], got)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.pdf"]


def test_the_other_work_failing_is_not_hidden_by_the_fallback(
    fixture_whole: dict[str, Any], tmp_path: Path
) -> None:
    def broken() -> None:
        raise KeyError("a template bug in the HTML report")

    with pytest.raises(KeyError, match="template bug"):
        pdf.render_pdf(
            fixture_whole["context"], tmp_path / "report.pdf", processes=2, meanwhile=broken
        )
    assert not (tmp_path / "report.pdf").exists()
