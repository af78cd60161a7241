"""``llmdecide batch``: every client, in parallel worker processes, skipping the unchanged.

- A client whose published ``run.json`` holds the fingerprint of its inputs as they are now
  (``fingerprint.compute``) is skipped without starting anything; ``force`` re-runs it.
- The others run in at most ``jobs`` long-lived worker processes (``forkserver``, else ``spawn``),
  each running clients one after another in one process and one kept kernel (``batch_pool``): a
  client that fails never stops the others, a worker that dies fails only its current client (a
  new worker takes the rest), and every success is published (``runner.run`` publishes
  atomically). Each worker's papermill kernels use the IPC transport
  (``kernels.use_ipc_kernels``), so parallel kernels never race for TCP ports.
- Progress: one line per client (queued / running: which step / done in N s / skipped / failed:
  why), fed by the runner's ``on_step`` callback through a multiprocessing queue; then a summary
  table and the portfolio page ``reports/index.html``.
- Ctrl-C: queued clients are cancelled, running workers get SIGTERM, which they turn into
  KeyboardInterrupt so papermill stops, the runner removes its unfinished folder and the worker
  shuts its kernels down; a worker still alive after ``STOP_GRACE_S`` (or at a second Ctrl-C) is
  killed with its kernels. Nothing half-built is ever published.
  Exit status 130.

Exit status: 0 when every client succeeded or was skipped, 130 when interrupted, else 1 (2 when
every failure was bad input).

The concerns live beside it: ``batch_clients`` (which files, the fingerprint skip, the outcome
record), ``batch_pool`` (the workers, their events and shutdown), ``batch_display`` (progress
and summary); this module is the command that ties them.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console

from llmdecide import portfolio, publish
from llmdecide.batch_clients import (
    CANCELLED,
    EXIT_INTERRUPTED,
    FAILED,
    SKIPPED,
    ClientOutcome,
    collect_params_files,
    is_unchanged,
    published_summary,
    valid_slug,
)
from llmdecide.batch_display import Display, print_summary
from llmdecide.batch_pool import RUN_CLIENT, schedule
from llmdecide.errors import InputError, LlmdecideError, Problem


def run_batch(
    params_files: Sequence[Path],
    jobs: int | None,
    force: bool,
    reports_root: Path,
    console: Console,
    *,
    keep: int | None = None,
    language: str = "en",
    run_client: str = RUN_CLIENT,
) -> list[ClientOutcome]:
    """Run (or skip) every client; returns one outcome per params file, in the given order.

    ``run_client`` names the function each worker calls for one client (``runner.run``'s
    signature, called with ``on_step``, ``keep`` and ``sequential_notebooks``); tests give a fake
    one.
    """
    if jobs is not None and jobs < 1:
        raise InputError(Problem("--jobs", "", f"{jobs} is not a number of workers: use 1 or more"))
    reports_root = Path(reports_root).resolve()
    outcomes: dict[Path, ClientOutcome] = {}
    todo: list[tuple[str, Path]] = []
    seen: dict[str, Path] = {}
    for path in params_files:
        path = Path(path)
        slug = path.stem
        try:
            publish.check_slug(slug, str(path))
        except InputError as exc:
            outcomes[path] = ClientOutcome(slug, path, FAILED, message=str(exc), exit_code=2)
            continue
        if slug in seen:
            message = f"{path}: same client slug {slug!r} as {seen[slug]}: rename one of them"
            outcomes[path] = ClientOutcome(slug, path, FAILED, message=message, exit_code=2)
            continue
        seen[slug] = path
        report_dir = reports_root / slug
        if not force and is_unchanged(path, report_dir):
            short, name = published_summary(report_dir, language)
            outcomes[path] = ClientOutcome(
                slug, path, SKIPPED, report_dir=report_dir, recommendation=short, name=name
            )
        else:
            todo.append((slug, path))

    slugs = list(dict.fromkeys(Path(p).stem for p in params_files))
    with Display(console, slugs) as display:
        for path, outcome in outcomes.items():
            if seen.get(outcome.slug, path) == path:  # a duplicate has no line of its own
                display.finished(outcome)
        if todo:
            workers = max(1, min(jobs or os.cpu_count() or 1, len(todo)))
            scheduled = schedule(todo, workers, reports_root, keep, language, display, run_client)
            for outcome in scheduled:
                outcomes[outcome.params_path] = outcome
    return [outcomes[Path(p)] for p in params_files]


def exit_code(outcomes: Sequence[ClientOutcome]) -> int:
    if any(o.status == CANCELLED for o in outcomes):
        return EXIT_INTERRUPTED
    failed = [o for o in outcomes if o.status == FAILED]
    if not failed:
        return 0
    return 2 if all(o.exit_code == 2 for o in failed) else 1


def main(
    targets: list[Path],
    jobs: int | None,
    force: bool,
    reports_dir: Path | None,
    *,
    language: str | None = None,
    keep: int | None = None,
    console: Console | None = None,
    run_client: str = RUN_CLIENT,
) -> int:
    """Run every client of ``targets`` (folders or params files), write the portfolio page and
    print a summary; returns the exit status (0, 1, 2 or 130)."""
    console = console or Console(highlight=False)
    language = portfolio.consultant_language(language)
    reports_root = (reports_dir or publish.default_reports_root()).resolve()
    params_files = collect_params_files(targets)
    outcomes = run_batch(
        params_files,
        jobs,
        force,
        reports_root,
        console,
        keep=keep,
        language=language,
        run_client=run_client,
    )
    statuses: dict[str, portfolio.BatchStatus] = {}
    for o in outcomes:  # the first of two files with one slug is the one that ran
        if valid_slug(o.slug):
            detail = o.first_line if o.status == FAILED else ""
            statuses.setdefault(o.slug, portfolio.BatchStatus(o.status, detail, o.name))
    index: Path | None = None
    try:
        index = portfolio.write_portfolio(reports_root, language, statuses)
    except (OSError, LlmdecideError) as exc:
        console.print(f"[yellow]warning:[/yellow] portfolio page not written: {exc}")
    print_summary(console, outcomes, index)
    return exit_code(outcomes)
