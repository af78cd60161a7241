"""The PDF laid out in parts: what each part is, and what a part laid out alone cannot know.

WeasyPrint lays a document out and paints it on one core (3 s for the example's 21 pages). The
report's template marks with :data:`PART_MARK` where a part begins on a page of its own, at a
forced page break (the summary after the table of contents, the choices, the trade-offs, the
sources), so a part paginates alone exactly as it does in the whole document; the parts can be
laid out and painted in two processes (:mod:`llmdecide.report.pdf_parallel`) and joined
(:mod:`llmdecide.report.pdf_join`).

What a part does not know alone, and how it is given:

- its page numbers ("n / N" in the footer): WeasyPrint makes the margin boxes once a document's
  pages are made, so they are left out while it lays out (:func:`deferred_margin_boxes`) and
  made when every part's page count is known (:meth:`LaidOut.add_margin_boxes`);
- the running header (``string(client)``, ``string(doctitle)``, set by the cover): the front's
  values are given to the other parts;
- the table of contents' page numbers (``target-counter``): the front (cover and contents) is
  laid out a first time with a placeholder for each number, for its page count, and a last
  time with the numbers written in (:func:`numbered_front`); it must keep its page count;
- links, named destinations and bookmarks that cross parts: the parts are written without
  their internal links, and the join adds every anchor, link and bookmark (:class:`Facts`).

This reaches into WeasyPrint's layout (``weasyprint.layout.make_margin_boxes``), so it is used
with the WeasyPrint versions it was checked with only (:data:`CHECKED_WEASYPRINT`); the whole
document is rendered at once otherwise, and on any failure.
"""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import weasyprint
import weasyprint.layout
from weasyprint.layout.background import layout_box_backgrounds
from weasyprint.text.fonts import FontConfiguration

from llmdecide.report import chart_pdf

PART_MARK = "<!--pdf-part-->"
CHECKED_WEASYPRINT = ("70.",)
"""WeasyPrint releases whose layout this module was checked against (tests/test_pdf_parts.py)."""

PX_TO_PT = 0.75  # 72 PDF points per inch / 96 CSS pixels per inch, as WeasyPrint writes them
TOC_PLACEHOLDER = "00"  # the width of a page number while the front is laid out for its length
_TOC_LINK = re.compile(r'<a href="#([^"]+)"')


def supported() -> bool:
    """Whether this WeasyPrint's layout is the one this module hooks into."""
    version = getattr(weasyprint, "__version__", "")
    return version.startswith(CHECKED_WEASYPRINT) and hasattr(
        weasyprint.layout, "make_margin_boxes"
    )


@dataclass(frozen=True)
class Parts:
    """The PDF's HTML cut at its marks: ``front`` (cover and contents) and the ``bodies``, each a
    whole HTML document with the same head, less its ``<style>``: the ``style`` (fonts and
    stylesheet), parsed once for every part (:func:`stylesheet`)."""

    front: str
    bodies: tuple[str, ...]
    style: str


_STYLE = re.compile(r"<style>(.*?)</style>", re.S)


def split(html: str) -> Parts:
    """Cut the PDF's HTML at :data:`PART_MARK`. The marks sit inside ``<main>``: the front is
    what comes before ``<main>``; each body is ``<main>`` with the sections up to the next mark,
    the last one with what follows ``</main>`` (the colophon)."""
    style = _STYLE.search(html[: html.index("</head>")])
    if style is None:
        raise ValueError("no <style> in the PDF's head")
    html = html[: style.start()] + html[style.end() :]
    body_at = html.index("<body")
    head = html[: html.index(">", body_at) + 1]
    main_at = html.index("<main")
    main_tag = html[main_at : html.index(">", main_at) + 1]
    main_end = html.rindex("</main>")
    chunks = html[main_at + len(main_tag) : main_end].split(PART_MARK)
    if len(chunks) < 2:
        raise ValueError(f"no {PART_MARK} in the PDF's HTML")
    if chunks[0].strip():
        raise ValueError(f"content before the first {PART_MARK} inside <main>")
    chunks = chunks[1:]
    closing = "</body>\n</html>\n"
    front = html[:main_at] + closing
    bodies = [head + main_tag + chunk + "</main>\n" + closing for chunk in chunks[:-1]]
    bodies.append(head + main_tag + chunks[-1] + html[main_end:])
    return Parts(front=front, bodies=tuple(bodies), style=style.group(1))


@dataclass(frozen=True)
class Styles:
    """The parts' stylesheet parsed once, with the fonts it declares (a forked child inherits
    both). Given to WeasyPrint as a user stylesheet: the parts have no other style but
    ``style`` attributes, which are above any stylesheet in the cascade anyway."""

    sheet: Any  # weasyprint.CSS
    fonts: Any  # weasyprint.text.fonts.FontConfiguration


def stylesheet(style: str, *, base_url: str, url_fetcher: Any) -> Styles:
    fonts = FontConfiguration()
    sheet = weasyprint.CSS(
        string=style, base_url=base_url, url_fetcher=url_fetcher, font_config=fonts
    )
    return Styles(sheet=sheet, fonts=fonts)


def numbered_front(front: str, pages: dict[str, int] | None) -> str:
    """The front with each contents link's page number written in (``data-page``, which the
    stylesheet shows instead of ``target-counter``): the global page of its anchor, or
    :data:`TOC_PLACEHOLDER` (``pages`` None) for the first layout."""
    toc_at = front.index('<nav class="toc"')
    toc_end = front.index("</nav>", toc_at)

    def number(match: re.Match[str]) -> str:
        anchor = html_lib.unescape(match.group(1))
        page = TOC_PLACEHOLDER if pages is None else str(pages.get(anchor, ""))
        return f'{match.group(0)} data-page="{page}"'

    toc = _TOC_LINK.sub(number, front[toc_at:toc_end])
    return front[:toc_at] + toc + front[toc_end:]


_deferred: list[tuple[Any, Any, Any]] | None = None
_make_margin_boxes = weasyprint.layout.make_margin_boxes


def _deferring_margin_boxes(context: Any, page: Any, state: Any) -> Any:
    if _deferred is None:
        return _make_margin_boxes(context, page, state)
    _deferred.append((context, page, state))
    return ()


@contextmanager
def deferred_margin_boxes() -> Iterator[list[tuple[Any, Any, Any]]]:
    """Within the block, WeasyPrint lays pages out without their margin boxes; the list gets,
    per page, what making them needs (layout context, page box, page state)."""
    global _deferred
    if weasyprint.layout.make_margin_boxes is not _deferring_margin_boxes:
        weasyprint.layout.make_margin_boxes = _deferring_margin_boxes  # forwards when not deferring
    calls: list[tuple[Any, Any, Any]] = []
    _deferred = calls
    try:
        yield calls
    finally:
        _deferred = None


@dataclass
class LaidOut:
    """One part laid out in this process, its margin boxes still to make."""

    document: Any  # weasyprint.Document
    margins: list[tuple[Any, Any, Any]] = field(repr=False)
    charts: set[str] = field(default_factory=set)
    """The charts the part shows (its ``<img data-chart>``)."""

    @property
    def pages(self) -> int:
        return len(self.document.pages)

    def strings(self) -> dict[str, str]:
        """The running strings (``string-set``) as they stand at the part's end. Only the
        front's are carried into the parts after it: a body that sets its own makes the
        PDF rendered whole (``facts``' ``strings``)."""
        if not self.margins:
            return {}
        store = self.margins[0][0].string_set
        return {name: by_page[max(by_page)][-1] for name, by_page in store.items() if by_page}

    def add_margin_boxes(self, first_page: int, total_pages: int, strings: dict[str, str]) -> None:
        """Make the margin boxes as WeasyPrint would have: this part's pages numbered from
        ``first_page`` of ``total_pages``, the running strings taken up from ``strings`` where
        the part sets none of its own."""
        for index, (context, page, state) in enumerate(self.margins):
            if index == 0:
                for name, text in strings.items():
                    context.string_set[name].setdefault(1, [text])
            context.current_page = index + 1
            counters = dict(state[1])
            counters["page"] = [first_page + index]
            counters["pages"] = [total_pages]
            numbered = type(state)((state[0], counters, *state[2:]))
            boxes = tuple(_make_margin_boxes(context, page, numbered))
            for box in boxes:
                layout_box_backgrounds(page, box, context.get_image_from_uri)
            page.children = (*page.children, *boxes)
        self.margins = []

    def write(self, path: Path, charts: Mapping[str, str] | None = None) -> None:
        """Write the part's PDF without its internal links (the join adds them all); ``charts``
        (their SVG by name): drawn over their placeholders (:func:`chart_pdf.overlay`)."""
        for page in self.document.pages:
            page.links = [link for link in page.links if link[0] != "internal"]
        self.document.write_pdf(path)
        if charts is not None:
            where = chart_pdf.placements(self.document)
            chart_pdf.overlay(path, where, charts, self.charts)


def lay_out(html: str, styles: Styles, *, base_url: str, url_fetcher: Any) -> LaidOut:
    """Lay one part out (margin boxes deferred)."""
    with deferred_margin_boxes() as margins:
        document = weasyprint.HTML(string=html, base_url=base_url, url_fetcher=url_fetcher).render(
            stylesheets=[styles.sheet], font_config=styles.fonts
        )
    if len(margins) != len(document.pages):
        raise RuntimeError("WeasyPrint made margin boxes other than through make_margin_boxes")
    return LaidOut(document=document, margins=margins, charts=chart_pdf.charts_in(html))


def facts(part: LaidOut) -> dict[str, Any]:
    """What the join needs of a part, as JSON: per page its height, anchors, internal links and
    bookmarks, in CSS pixels from the page's top-left corner (WeasyPrint's ``Page`` fields);
    and the running strings it sets."""
    pages = []
    for page in part.document.pages:
        pages.append(
            {
                "height": page.height,
                "anchors": [[name, point[0], point[1]] for name, point in page.anchors.items()],
                "links": [
                    [target, *rectangle[:4]]
                    for kind, target, rectangle, _box in page.links
                    if kind == "internal"
                ],
                "bookmarks": [
                    [level, label, point[0], point[1], state]
                    for level, label, point, state in page.bookmarks
                ],
            }
        )
    return {"pages": pages, "strings": part.strings()}


def first_pages(counts: list[int]) -> list[int]:
    """Each part's first page number, the parts in document order."""
    out, at = [], 1
    for count in counts:
        out.append(at)
        at += count
    return out


def anchor_pages(all_facts: list[dict[str, Any]]) -> dict[str, int]:
    """Each anchor's page number in the whole document (its first occurrence, as WeasyPrint)."""
    numbers = first_pages([len(f["pages"]) for f in all_facts])
    pages: dict[str, int] = {}
    for part, first in zip(all_facts, numbers, strict=True):
        for index, page in enumerate(part["pages"]):
            for name, *_point in page["anchors"]:
                pages.setdefault(name, first + index)
    return pages
