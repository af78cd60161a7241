"""``llmdecide batch``: every client, in parallel worker processes, skipping the unchanged.

- A client whose published ``run.json`` holds the fingerprint of its inputs as they are now
  (``fingerprint.compute``) is skipped without starting anything; ``force`` re-runs it.
- The others run in at most ``jobs`` worker processes (``forkserver``, else ``spawn``), one process
  per client: a client that fails, or whose process dies, never stops the others, and every success
  is published (``runner.run`` publishes atomically). Each worker's papermill kernels use the IPC
  transport (``kernels.use_ipc_kernels``), so parallel kernels never race for TCP ports.
- Progress: one line per client (queued / running: which step / done in N s / skipped / failed:
  why), fed by the runner's ``on_step`` callback through a multiprocessing queue; then a summary
  table and the portfolio page ``reports/index.html``.
- Ctrl-C: queued clients are cancelled, running workers get SIGTERM, which they turn into
  KeyboardInterrupt so papermill shuts their kernels down and the runner removes its unfinished
  folder; a worker still alive after ``STOP_GRACE_S`` (or at a second Ctrl-C) is killed, and its
  kernels exit on their own (ipykernel polls its parent). Nothing half-built is ever published.
  Exit status 130.

Exit status: 0 when every client succeeded or was skipped, 130 when interrupted, else 1 (2 when
every failure was bad input).
"""

from __future__ import annotations

import contextlib
import importlib
import json
import multiprocessing
import os
import queue
import signal
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llmdecide import fingerprint, kernels, publish, runner
from llmdecide.errors import InputError, LlmdecideError, Problem

if TYPE_CHECKING:
    from multiprocessing.context import DefaultContext, ForkServerContext, SpawnContext
    from multiprocessing.process import BaseProcess

    from rich.console import Console

OK, SKIPPED, FAILED, CANCELLED = "ok", "skipped", "failed", "cancelled"
QUEUED, RUNNING = "queued", "running"
EXIT_INTERRUPTED = 130
STOP_GRACE_S = 30.0
"""How long running clients get to stop (kernel shutdown, clean-up) after Ctrl-C."""
POLL_S = 0.1
POLL_WAIT_S = 0.02  # between two reads of the workers' queues while waiting
PRELOAD = ["llmdecide.runner", "llmdecide.stages", "nbclient", "jupyter_client"]
"""Imported once by the forkserver, so that each client's worker starts in milliseconds. Only
modules that start no thread: the forkserver forks every worker, and a fork taken while another
thread holds a lock deadlocks the child. papermill is not here: it imports ``pyarrow.fs``, whose
jemalloc starts background threads (a worker hung in ``futex_wait`` that way); each worker
imports it after the fork."""
RUN_CLIENT = "llmdecide.runner:run"
LOG_DIR = ".batch"
LOG_TAIL_LINES = 15


@dataclass
class ClientOutcome:
    """What the batch did with one client."""

    slug: str
    params_path: Path
    status: str
    seconds: float = 0.0
    message: str = ""
    exit_code: int = 0
    report_dir: Path | None = None
    recommendation: str = ""
    name: str | None = None
    steps: list[tuple[str, float]] = field(default_factory=list)

    @property
    def first_line(self) -> str:
        return next((line for line in self.message.splitlines() if line.strip()), "")

    @property
    def succeeded(self) -> bool:
        return self.status in (OK, SKIPPED)


# -- which files, which clients -----------------------------------------------------------------


def collect_params_files(targets: Sequence[Path]) -> list[Path]:
    """Params files named, or found as ``*.yaml`` in the folders named (``_*`` names skipped).

    Raises InputError (exit 2) for a target that does not exist or a batch with no client.
    """
    found: list[Path] = []
    problems: list[Problem] = []
    for target in targets:
        if target.is_dir():
            files = sorted(
                p
                for p in target.glob("*.yaml")
                if p.is_file() and not p.name.startswith(("_", "."))
            )
            if not files:
                problems.append(
                    Problem(str(target), "", "no client params file (*.yaml) in this folder")
                )
            found.extend(files)
        elif target.is_file():
            found.append(target)
        else:
            problems.append(
                Problem(str(target), "", "no such file or folder: give params files or folders")
            )
    if problems:
        raise InputError(problems)
    unique: dict[Path, Path] = {}
    for path in found:
        unique.setdefault(path.resolve(), path)
    return list(unique.values())


def published_fingerprint(report_dir: Path) -> str | None:
    """The fingerprint stored in a published ``run.json``, if any."""

    try:
        value = json.loads((report_dir / publish.RUN_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    stored = value.get("fingerprint") if isinstance(value, dict) else None
    if isinstance(stored, dict):  # tolerate {"sha256": ..., "parts": ...}
        stored = stored.get("sha256")
    return stored if isinstance(stored, str) else None


def is_unchanged(params_path: Path, report_dir: Path) -> bool:
    stored = published_fingerprint(report_dir)
    return stored is not None and stored == fingerprint.compute(params_path).sha256


def published_summary(report_dir: Path, language: str) -> tuple[str, str | None]:
    """(recommendation in short, client name) from a published ``results.json``."""
    # portfolio (babel, jinja2): every batch worker imports this module and needs none of it
    from llmdecide import portfolio

    data = portfolio.read_json(report_dir / "results.json")
    client = portfolio.section(data, "client")
    try:
        short = portfolio.short_recommendation(portfolio.section(data, "recommendation"), language)
    except (OSError, KeyError, ValueError):
        short = ""
    return short, (str(client["name"]) if client.get("name") else None)


# -- the worker (one process per client) ---------------------------------------------------------


def _stop_on_sigterm(signum: int, frame: Any) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a second SIGTERM ends the worker at once
    raise KeyboardInterrupt


def resolve(dotted: str) -> Callable[..., Any]:
    """``package.module:function`` → the function."""

    module, _, name = dotted.partition(":")
    return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]


def log_path(reports_root: Path, slug: str) -> Path:
    """Where a worker's output (and its kernels') goes: ``reports/.batch/<slug>.log``."""
    return publish.confined(reports_root, LOG_DIR, f"{slug}.log")


def _redirect_output(path: Path) -> None:
    """Send this process's stdout and stderr (inherited by its kernels) to ``path``, so that
    parallel clients do not garble the progress display; failures quote its last lines."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    except OSError:
        return
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)


def log_tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.rstrip().splitlines()[-lines:])


def _worker(
    run_client: str,
    params_path: str,
    reports_root: str,
    keep: int | None,
    sequential_notebooks: bool,
    events: Any,
) -> None:
    """Run one client and report on ``events``: started, each step, then ok/failed/cancelled."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the batch decides; it sends SIGTERM to stop
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    slug = Path(params_path).stem
    _redirect_output(log_path(Path(reports_root), slug))
    try:
        events.put(("started", slug, os.getpid()))
        kernels.use_ipc_kernels()
        run = resolve(run_client)

        def on_step(step: str, seconds: float) -> None:
            events.put(("step", slug, step, seconds))

        outcome = run(
            params_path,
            Path(reports_root),
            on_step=on_step,
            keep=keep,
            sequential_notebooks=sequential_notebooks,
        )
        events.put((OK, slug, {"report_dir": str(outcome.report_dir), "steps": outcome.steps}, 0))
    except LlmdecideError as exc:
        events.put((FAILED, slug, str(exc), exc.exit_code))
    except KeyboardInterrupt:
        events.put((CANCELLED, slug, "interrupted", EXIT_INTERRUPTED))
    except BaseException as exc:  # a bug or a crash in a library: report it, the others go on
        traceback.print_exc()
        log = log_path(Path(reports_root), slug)
        events.put((FAILED, slug, f"{type(exc).__name__}: {exc} (traceback in {log})", 1))
    finally:
        # Flush this worker's events now, while it is alive, rather than in multiprocessing's
        # exit finalizers: a worker was seen hanging at exit, joining a feeder thread that was
        # never told the queue was closed, while the batch waited for it to end.
        events.close()
        events.join_thread()


# -- progress display ----------------------------------------------------------------------------


def expected_steps() -> list[str]:
    """The runner's steps in order, as its ``on_step`` callback names them."""

    return [
        "validate inputs",
        *(f"notebook {name}" for name in runner.NOTEBOOKS),
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
            # rich.progress (~0.3 s): every batch worker imports this module and needs none of it
            from rich.markup import escape
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
        # rich: every batch worker imports this module and needs none of it
        from rich.markup import escape

        task = self.tasks[outcome.slug]
        if outcome.status == OK:
            self.progress.update(task, completed=len(self.steps))
        self.progress.update(task, status=f"[{style}]{escape(text)}[/{style}]")
        if self.progress.tasks[task].started:
            self.progress.stop_task(task)
        self.progress.update(self.overall, completed=self.done)


# -- the scheduler -------------------------------------------------------------------------------


def mp_context() -> ForkServerContext | SpawnContext | DefaultContext:
    """``forkserver`` (workers forked from a process that already imported papermill) or spawn."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(PRELOAD)
        return ctx
    return multiprocessing.get_context("spawn")


class _Stop:
    """Ctrl-C (or SIGTERM) while the batch runs: the first asks to stop, the second to stop now."""

    def __init__(self) -> None:
        self.requested = 0

    def __call__(self, signum: int, frame: Any) -> None:
        self.requested += 1

    @contextlib.contextmanager
    def installed(self) -> Iterator[_Stop]:
        if threading.current_thread() is not threading.main_thread():
            yield self
            return
        previous = {sig: signal.signal(sig, self) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield self
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


@dataclass
class _Running:
    params_path: Path
    process: BaseProcess
    started: float
    events: Any = None
    result: tuple[str, Any, int] | None = None
    steps: list[tuple[str, float]] = field(default_factory=list)
    terminated_at: float | None = None
    killed: bool = False


def _kill_tree(pid: int) -> None:
    """SIGKILL a worker and what it started (kernels also exit by themselves when it dies)."""
    children: list[Any] = []
    try:
        # psutil: every batch worker imports this module and needs none of it
        import psutil

        children = psutil.Process(pid).children(recursive=True)
    except Exception:  # psutil missing or the process already gone
        children = []
    for proc in children:
        with contextlib.suppress(Exception):
            proc.kill()
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


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
            scheduled = _schedule(todo, workers, reports_root, keep, language, display, run_client)
            for outcome in scheduled:
                outcomes[outcome.params_path] = outcome
    return [outcomes[Path(p)] for p in params_files]


def _schedule(
    todo: list[tuple[str, Path]],
    workers: int,
    reports_root: Path,
    keep: int | None,
    language: str,
    display: Display,
    run_client: str,
) -> Iterator[ClientOutcome]:
    ctx = mp_context()
    # Clients side by side already fill the cores: within a client, one kernel at a time
    # (measured: 96 s for 20 clients vs 101 s with two kernels per client).
    sequential = workers > 1
    pending = deque(todo)
    running: dict[str, _Running] = {}
    stop = _Stop()

    def finish(slug: str, run: _Running) -> ClientOutcome:
        seconds = time.perf_counter() - run.started
        detail: Any
        if run.result is None:
            code = run.process.exitcode
            if stop.requested:
                status, detail, exit_code = CANCELLED, "interrupted", EXIT_INTERRUPTED
            else:
                log = log_path(reports_root, slug)
                tail = log_tail(log)
                detail = (
                    f"the worker process died (exit code {code}) before finishing; "
                    f"the previous report is untouched. Its output: {log}"
                    + (f"\n{tail}" if tail else "")
                )
                status, exit_code = FAILED, 1
        else:
            status, detail, exit_code = run.result
        outcome = ClientOutcome(slug, run.params_path, status, seconds, steps=run.steps)
        if status == OK:
            outcome.report_dir = Path(detail["report_dir"])
            outcome.steps = [(str(n), float(t)) for n, t in detail.get("steps", run.steps)]
            outcome.recommendation, outcome.name = published_summary(outcome.report_dir, language)
        else:
            outcome.message, outcome.exit_code = str(detail), exit_code
            report_dir = reports_root / slug
            if (report_dir / publish.RUN_FILE).is_file():
                outcome.report_dir = report_dir
                outcome.recommendation, outcome.name = published_summary(report_dir, language)
        display.finished(outcome)
        return outcome

    def handle(event: tuple[Any, ...]) -> None:
        kind, slug = event[0], event[1]
        run = running.get(slug)
        if run is None:
            return
        if kind == "started":
            display.started(slug)
        elif kind == "step":
            run.steps.append((event[2], event[3]))
            display.step(slug, event[2])
        elif kind in (OK, FAILED, CANCELLED):
            run.result = (kind, event[2], event[3])

    def drain(timeout: float) -> None:
        """Read every worker's events, waiting up to ``timeout`` for the first one. Each worker
        has its own queue: a worker that dies while writing (a crash, SIGKILL) can leave a shared
        queue's write lock held, and every other worker would then hang at exit on it."""
        deadline = time.perf_counter() + timeout
        while True:
            got = False
            for run in list(running.values()):
                try:
                    while True:
                        handle(run.events.get_nowait())
                        got = True
                except queue.Empty:
                    pass
            if got or time.perf_counter() >= deadline:
                return
            time.sleep(min(POLL_WAIT_S, max(0.0, deadline - time.perf_counter())))

    with stop.installed():
        try:
            while pending or running:
                if stop.requested:
                    while pending:
                        slug, path = pending.popleft()
                        outcome = ClientOutcome(slug, path, CANCELLED, message="cancelled")
                        outcome.exit_code = EXIT_INTERRUPTED
                        display.finished(outcome)
                        yield outcome
                    now = time.perf_counter()
                    for slug, run in running.items():
                        if run.terminated_at is None and run.process.pid is not None:
                            run.terminated_at = now
                            display.stopping(slug)
                            with contextlib.suppress(ProcessLookupError):
                                os.kill(run.process.pid, signal.SIGTERM)
                        elif (
                            not run.killed
                            and run.process.pid is not None
                            and (
                                stop.requested > 1
                                or now - (run.terminated_at or now) > STOP_GRACE_S
                            )
                        ):
                            run.killed = True
                            _kill_tree(run.process.pid)
                while pending and len(running) < workers and not stop.requested:
                    slug, path = pending.popleft()
                    events = ctx.Queue()  # one per worker (see drain)
                    process = ctx.Process(
                        target=_worker,
                        args=(
                            run_client,
                            str(path.resolve()),
                            str(reports_root),
                            keep,
                            sequential,
                            events,
                        ),
                        name=f"llmdecide-{slug}",
                        daemon=False,
                    )
                    running[slug] = _Running(path, process, time.perf_counter(), events)
                    process.start()
                drain(POLL_S)
                for slug in [s for s, r in running.items() if not r.process.is_alive()]:
                    run = running[slug]
                    if run.result is None:
                        drain(0.5)  # its last words may still be in the pipe
                    run.process.join()
                    del running[slug]
                    run.events.close()
                    run.events.join_thread()
                    yield finish(slug, run)
        finally:
            for run in running.values():  # only on an unexpected error in this loop
                if run.process.pid is not None:
                    _kill_tree(run.process.pid)
                run.events.close()
                run.events.join_thread()


# -- the command ---------------------------------------------------------------------------------


def _valid_slug(slug: str) -> bool:
    try:
        publish.check_slug(slug)
    except InputError:
        return False
    return True


def exit_code(outcomes: Sequence[ClientOutcome]) -> int:
    if any(o.status == CANCELLED for o in outcomes):
        return EXIT_INTERRUPTED
    failed = [o for o in outcomes if o.status == FAILED]
    if not failed:
        return 0
    return 2 if all(o.exit_code == 2 for o in failed) else 1


def _relative(path: Path) -> str:
    """``path`` relative to the current folder when it is under it (shorter in the table)."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _shorten(text: str, width: int = 90) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def print_summary(console: Console, outcomes: Sequence[ClientOutcome], index: Path | None) -> None:
    # rich: every batch worker imports this module and needs none of it
    from rich.markup import escape
    from rich.table import Table

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
    # rich, portfolio: every batch worker imports this module and needs none of it
    from rich.console import Console

    from llmdecide import portfolio

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
        if _valid_slug(o.slug):
            detail = o.first_line if o.status == FAILED else ""
            statuses.setdefault(o.slug, portfolio.BatchStatus(o.status, detail, o.name))
    index: Path | None = None
    try:
        index = portfolio.write_portfolio(reports_root, language, statuses)
    except (OSError, LlmdecideError) as exc:
        console.print(f"[yellow]warning:[/yellow] portfolio page not written: {exc}")
    print_summary(console, outcomes, index)
    return exit_code(outcomes)
