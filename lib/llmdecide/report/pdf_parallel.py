"""The PDF laid out and painted on two cores: this process and a forked child each take a share
of the parts (:mod:`llmdecide.report.pdf_parts`), then this process joins them
(:mod:`llmdecide.report.pdf_join`).

The schedule: the child lays out its parts while this process lays out the front (cover and
contents, with placeholder page numbers) and its own parts; the child sends its parts' facts
(page count, anchors, links, bookmarks) and this process answers with the numbering (each
part's first page, the total, the running strings); each side then makes its margin boxes and
writes its parts; this process lays the front out again with the contents' page numbers,
waits for the child and joins. The child is forked, so it has the HTML, WeasyPrint and the fonts
already loaded; it only lays out, paints and writes files, then leaves with ``os._exit``.

Any failure (the child dying, a time-out, a front that changed length) raises
:class:`PartsFailed`, and the caller renders the whole document at once instead; the child is
killed and the parts' folder removed whatever happens.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import shutil
import signal
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Any, NoReturn

from llmdecide.report import pdf_join, pdf_parts

TIMEOUT_S = 120.0  # a part takes about a second; a child that has not answered by then is stuck


class PartsFailed(RuntimeError):
    """Rendering in parts did not work; render the whole document at once."""


def available() -> bool:
    """Two cores, ``fork``, and a WeasyPrint whose layout :mod:`pdf_parts` was checked with."""
    return hasattr(os, "fork") and (os.cpu_count() or 1) >= 2 and pdf_parts.supported()


def child_share(bodies: int) -> list[int]:
    """The body parts the child takes: the back half (this process also lays out the front,
    twice). With the example's report: 1.5 s of work for each side (docs/architecture.md)."""
    return list(range(bodies // 2, bodies))


def render_in_parts(
    html: str,
    path: Path,
    *,
    base_url: str,
    url_fetcher: Any,
    meanwhile: Callable[[], object] | None = None,
    charts: Mapping[str, str] | None = None,
) -> Path:
    """Write the PDF of ``html`` (the whole report's, with its part marks) to ``path``.
    ``meanwhile``: other work of this process, done once it has laid out its parts, while the
    child still lays out its own (the HTML report: about as long as the wait). ``charts``:
    the charts' SVG by name, each drawn over its placeholder by the process that writes its
    part (:mod:`chart_pdf`)."""
    parts = pdf_parts.split(html)
    count = len(parts.bodies)
    theirs = child_share(count)
    mine = [index for index in range(count) if index not in theirs]
    styles = pdf_parts.stylesheet(parts.style, base_url=base_url, url_fetcher=url_fetcher)
    work = Path(tempfile.mkdtemp(prefix=".pdf-parts-", dir=path.parent))
    to_parent_r, to_parent_w = os.pipe()
    to_child_r, to_child_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        os.close(to_parent_r)
        os.close(to_child_w)
        _child(parts, theirs, styles, to_child_r, to_parent_w, work, base_url, url_fetcher, charts)
    os.close(to_parent_w)
    os.close(to_child_r)
    try:
        with (
            os.fdopen(to_parent_r, "r", encoding="utf-8") as inbox,
            os.fdopen(to_child_w, "w", encoding="utf-8") as outbox,
        ):
            deadline = time.monotonic() + TIMEOUT_S

            def lay_out(part: str) -> pdf_parts.LaidOut:
                return pdf_parts.lay_out(part, styles, base_url=base_url, url_fetcher=url_fetcher)

            draft = lay_out(pdf_parts.numbered_front(parts.front, None))
            laid = {index: lay_out(parts.bodies[index]) for index in mine}
            facts = {index: pdf_parts.facts(part) for index, part in laid.items()}
            if meanwhile is not None:
                meanwhile()
            answer = _receive(inbox, deadline)
            facts.update({int(index): f for index, f in answer["facts"].items()})
            bodies = [facts[index] for index in range(count)]
            if any(body["strings"] for body in bodies):
                raise PartsFailed("a part after the front sets a running string (string-set)")
            counts = [draft.pages] + [len(f["pages"]) for f in bodies]
            firsts, total = pdf_parts.first_pages(counts), sum(counts)
            strings = draft.strings()
            _send(outbox, {"firsts": firsts[1:], "total": total, "strings": strings})
            pages = pdf_parts.anchor_pages([pdf_parts.facts(draft), *bodies])
            front = lay_out(pdf_parts.numbered_front(parts.front, pages))
            if front.pages != draft.pages:
                raise PartsFailed(
                    f"the front took {draft.pages} pages with placeholder page numbers, "
                    f"{front.pages} with its numbers"
                )
            front.add_margin_boxes(1, total, {})
            front_facts = pdf_parts.facts(front)
            front.write(work / "front.pdf", charts)
            for index, part in laid.items():
                part.add_margin_boxes(firsts[index + 1], total, strings)
                part.write(work / f"body-{index}.pdf", charts)
            _receive(inbox, deadline)
        _, status = os.waitpid(pid, 0)  # it leaves as soon as it has said so
        pid = 0
        if status != 0:
            raise PartsFailed(f"the child ended with status {status}")
        files = [work / "front.pdf", *(work / f"body-{index}.pdf" for index in range(count))]
        return pdf_join.join(files, [front_facts, *bodies], path)
    finally:
        if pid:
            _kill(pid)
        shutil.rmtree(work, ignore_errors=True)


def _child(
    parts: pdf_parts.Parts,
    share: list[int],
    styles: pdf_parts.Styles,
    inbox_fd: int,
    outbox_fd: int,
    work: Path,
    base_url: str,
    url_fetcher: Any,
    charts: Mapping[str, str] | None,
) -> NoReturn:
    """Lay out, number and write this share of the parts; never returns (``os._exit``)."""
    code = 1
    try:
        with (
            os.fdopen(inbox_fd, "r", encoding="utf-8") as inbox,
            os.fdopen(outbox_fd, "w", encoding="utf-8") as outbox,
        ):
            try:
                laid = {
                    index: pdf_parts.lay_out(
                        parts.bodies[index], styles, base_url=base_url, url_fetcher=url_fetcher
                    )
                    for index in share
                }
                _send(outbox, {"facts": {index: pdf_parts.facts(p) for index, p in laid.items()}})
                plan = json.loads(inbox.readline() or "null")
                if not plan:
                    raise PartsFailed("this process ended before sending the numbering")
                for index, part in laid.items():
                    part.add_margin_boxes(plan["firsts"][index], plan["total"], plan["strings"])
                    part.write(work / f"body-{index}.pdf", charts)
                _send(outbox, {"done": True})
                code = 0
            except Exception as exc:  # told to the parent, which renders the whole instead
                with contextlib.suppress(OSError, ValueError):
                    _send(outbox, {"error": f"{type(exc).__name__}: {exc}"})
    finally:
        os._exit(code)


def _send(outbox: IO[str], message: dict[str, Any]) -> None:
    outbox.write(json.dumps(message) + "\n")
    outbox.flush()


def _receive(inbox: IO[str], deadline: float) -> dict[str, Any]:
    ready, _, _ = select.select([inbox], [], [], max(0.0, deadline - time.monotonic()))
    if not ready:
        raise PartsFailed(f"the child did not answer within {TIMEOUT_S:.0f} s")
    line = inbox.readline()
    if not line:
        raise PartsFailed("the child ended without an answer")
    message: dict[str, Any] = json.loads(line)
    if "error" in message:
        raise PartsFailed(f"the child failed: {message['error']}")
    return message


def _kill(pid: int) -> None:
    """After a failure or an interruption: the child killed (if still there) and reaped."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)
