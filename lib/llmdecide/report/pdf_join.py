"""The parts' PDFs joined into the report's PDF (pikepdf), with what crosses parts.

Each part was written by WeasyPrint without its internal links (:mod:`llmdecide.report.pdf_parts`);
here the pages are put in order, and the whole document gets what WeasyPrint would have written
for it: one named destination per anchor (its first occurrence), a link annotation per internal
link (``/Dest`` by name, no border), and the bookmarks as one outline, nested by WeasyPrint's own
rule (``Document.make_bookmark_tree``). The document information and language are the front's.
Coordinates: WeasyPrint's, CSS pixels from a page's top-left corner, become PDF points from its
bottom-left corner (``x · 0.75``, ``(height − y) · 0.75``), as in ``weasyprint.pdf``.
"""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pikepdf
from weasyprint.document import Document

from llmdecide.report.pdf_parts import PX_TO_PT


def _point(x: float, y: float, height: float) -> tuple[float, float]:
    return x * PX_TO_PT, (height - y) * PX_TO_PT


def _bookmark_tree(pages: list[dict[str, Any]]) -> list[Any]:
    """WeasyPrint's nesting of the bookmarks of ``pages`` (the whole document's, in order)."""
    fake = SimpleNamespace(
        pages=[
            SimpleNamespace(
                height=page["height"],
                bookmarks=[
                    (level, label, (x, y), state) for level, label, x, y, state in page["bookmarks"]
                ],
            )
            for page in pages
        ]
    )
    tree: list[Any] = Document.make_bookmark_tree(fake, PX_TO_PT, transform_pages=True)  # type: ignore[arg-type]
    return tree


def _outline_items(tree: list[Any]) -> list[pikepdf.OutlineItem]:
    items = []
    for label, (page_index, x, y), children, state in tree:
        item = pikepdf.OutlineItem(label, page_index, "XYZ", left=x, top=y, zoom=0)
        item.children.extend(_outline_items(children))
        item.is_closed = state == "closed"
        items.append(item)
    return items


def join(part_pdfs: list[Path], part_facts: list[dict[str, Any]], path: Path) -> Path:
    """Write ``path`` (temp name, then rename) from the parts' PDFs and facts, in document order."""
    pages = [page for facts in part_facts for page in facts["pages"]]
    with pikepdf.open(part_pdfs[0]) as pdf:
        sources = [pikepdf.open(part) for part in part_pdfs[1:]]
        try:
            for source in sources:
                pdf.pages.extend(source.pages)
            if len(pdf.pages) != len(pages):
                raise RuntimeError(
                    f"joined {len(pdf.pages)} pages, the parts laid out {len(pages)}"
                )
            for key in ("/Outlines", "/Names"):
                if key in pdf.Root:
                    del pdf.Root[key]
            _add_destinations_and_links(pdf, pages)
            with pdf.open_outline() as outline:
                outline.root.clear()
                outline.root.extend(_outline_items(_bookmark_tree(pages)))
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            try:
                pdf.save(tmp)
                os.replace(tmp, path)
            finally:
                tmp.unlink(missing_ok=True)
        finally:
            for source in sources:
                source.close()
    return path


def _add_destinations_and_links(pdf: pikepdf.Pdf, pages: list[dict[str, Any]]) -> None:
    destinations = pikepdf.NameTree.new(pdf)
    known: set[str] = set()
    for index, page in enumerate(pages):
        for name, x, y in page["anchors"]:
            if name in known:
                continue
            known.add(name)
            px, py = _point(x, y, page["height"])
            destinations[name] = pikepdf.Array([pdf.pages[index].obj, pikepdf.Name.XYZ, px, py, 0])
    if known:
        pdf.Root.Names = pikepdf.Dictionary(Dests=destinations.obj)
    for index, page in enumerate(pages):
        links = [link for link in page["links"] if link[0] in known]
        if not links:
            continue
        target = pdf.pages[index].obj
        annotations = target.get("/Annots", pikepdf.Array())
        for name, x1, y1, x2, y2 in links:
            ax, ay = _point(x1, y1, page["height"])
            bx, by = _point(x2, y2, page["height"])
            annotation = pikepdf.Dictionary(
                Type=pikepdf.Name.Annot,
                Subtype=pikepdf.Name.Link,
                Rect=pikepdf.Array([ax, ay, bx, by]),
                BS=pikepdf.Dictionary(W=0),
                Dest=pikepdf.String(name),
            )
            annotations.append(pdf.make_indirect(annotation))
        target.Annots = annotations
