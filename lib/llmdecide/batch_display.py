"""What a batch shows: one line per client (queued / running: which step / done in N s /
skipped / failed: why), fed by the runner's ``on_step`` callback through the workers' events,
then a summary table. No worker imports this module.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.markup import escape
from rich.table import Table

from llmdecide import notebook_run
from llmdecide.batch_clients import (
    CANCELLED,
    FAILED,
    OK,
    QUEUED,
    RUNNING,
    SKIPPED,
    ClientOutcome,
)

if TYPE_CHECKING:
    from rich.console import Console


def expected_steps() -> list[str]:
    """The runner's steps in order, as its ``on_step`` callback names them."""

    return [
        "validate inputs",
        *(f"notebook {name}" for name in notebook_run.NOTEBOOKS),
        "results.json + configurations.csv",
        "report.html + report.pdf",
        "publish",
    ]


class Display:
    """One line per client: a live rich progress on a terminal, plain lines otherwise."""

    def __init__(self, console: Console, slugs: Sequence[str]):
        self.console = console
        self.steps = expected_steps()
        self.live = console.is_terminal
        self.done = 0
        self.total = len(slugs)
        self.progress: Any = None
        self.tasks: dict[str, Any] = {}
        if self.live:
            # rich.progress (~0.3 s): only a live display on a terminal needs it
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self.progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(bar_width=20),
                TimeElapsedColumn(),
                TextColumn("{task.fields[status]}"),
                console=console,
                refresh_per_second=8,
            )
            self.overall = self.progress.add_task("[bold]batch", total=self.total, status="")
            width = max((len(s) for s in slugs), default=5)
            for slug in slugs:
                self.tasks[slug] = self.progress.add_task(
                    escape(slug.ljust(width)), total=len(self.steps), start=False, status=QUEUED
                )

    def __enter__(self) -> Display:
        if self.progress is not None:
            self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.stop()

    def _line(self, slug: str, status: str) -> None:
        self.console.print(
            f"[{self.done}/{self.total}] {slug}: {status}", markup=False, soft_wrap=True
        )

    def started(self, slug: str) -> None:
        if self.progress is not None:
            self.progress.start_task(self.tasks[slug])
            self.progress.update(self.tasks[slug], status=f"{RUNNING}: {self.steps[0]}")
        else:
            self._line(slug, RUNNING)

    def step(self, slug: str, step: str) -> None:
        if self.progress is None:
            return
        if step not in self.steps:
            self.progress.update(self.tasks[slug], status=f"{RUNNING}: after {step}")
            return
        index = self.steps.index(step) + 1
        following = self.steps[index] if index < len(self.steps) else "finishing"
        self.progress.update(self.tasks[slug], status=f"{RUNNING}: {following}", completed=index)

    def stopping(self, slug: str) -> None:
        if self.progress is not None:
            self.progress.update(self.tasks[slug], status="stopping…")

    def finished(self, outcome: ClientOutcome) -> None:
        self.done += 1
        if outcome.status == OK:
            text = f"done in {outcome.seconds:.1f} s"
        elif outcome.status == SKIPPED:
            text = "skipped (unchanged)"
        elif outcome.status == CANCELLED:
            text = "cancelled"
        else:
            text = f"failed: {outcome.first_line}"
        if self.progress is None:
            self._line(outcome.slug, text)
            return
        style = {OK: "green", SKIPPED: "dim", FAILED: "red", CANCELLED: "yellow"}[outcome.status]
        task = self.tasks[outcome.slug]
        if outcome.status == OK:
            self.progress.update(task, completed=len(self.steps))
        self.progress.update(task, status=f"[{style}]{escape(text)}[/{style}]")
        if self.progress.tasks[task].started:
            self.progress.stop_task(task)
        self.progress.update(self.overall, completed=self.done)


def _relative(path: Path) -> str:
    """``path`` relative to the current folder when it is under it (shorter in the table)."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _shorten(text: str, width: int = 90) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def print_summary(console: Console, outcomes: Sequence[ClientOutcome], index: Path | None) -> None:
    table = Table(title="llmdecide batch", title_justify="left")
    table.add_column("client")
    table.add_column("status")
    table.add_column("s", justify="right")
    table.add_column("recommendation")
    table.add_column("report")
    styles = {OK: "green", SKIPPED: "dim", FAILED: "red", CANCELLED: "yellow"}
    for o in outcomes:
        status = o.status if o.status != FAILED else f"failed: {_shorten(o.first_line)}"
        report = _relative(o.report_dir / "report.html") if o.report_dir else "—"
        table.add_row(
            escape(o.slug),
            f"[{styles[o.status]}]{escape(status)}[/]",
            f"{o.seconds:.1f}" if o.status in (OK, FAILED) and o.seconds else "",
            escape(o.recommendation or "—"),
            escape(report),
        )
    console.print(table)
    counts = {
        s: sum(1 for o in outcomes if o.status == s) for s in (OK, SKIPPED, FAILED, CANCELLED)
    }
    console.print(
        f"{counts[OK]} run, {counts[SKIPPED]} skipped (unchanged), {counts[FAILED]} failed"
        + (f", {counts[CANCELLED]} cancelled" if counts[CANCELLED] else ""),
        markup=False,
    )
    for o in outcomes:
        if o.status == FAILED:
            console.print(f"\n[red]{escape(o.slug)} failed:[/red]")
            console.print(o.message, markup=False, highlight=False)
    if index is not None:
        console.print(f"portfolio: {_relative(index)}", markup=False)
