"""The batch's worker pool: one process per client (``forkserver``, else ``spawn``), its events,
and its shutdown.

A client that fails, or whose process dies, never stops the others. Each worker's papermill
kernels use the IPC transport (``kernels.use_ipc_kernels``), so parallel kernels never race for
TCP ports. Ctrl-C: queued clients are cancelled, running workers get SIGTERM, which they turn
into KeyboardInterrupt so papermill shuts their kernels down and the runner removes its
unfinished folder; a worker still alive after ``STOP_GRACE_S`` (or at a second Ctrl-C) is
killed, and its kernels exit on their own (ipykernel polls its parent).

Each worker imports this module (``_worker`` is its target): no rich, no display here.
"""

from __future__ import annotations

import contextlib
import importlib
import multiprocessing
import os
import queue
import signal
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llmdecide import kernels, publish
from llmdecide.batch_clients import (
    CANCELLED,
    EXIT_INTERRUPTED,
    FAILED,
    OK,
    ClientOutcome,
    published_summary,
)
from llmdecide.errors import LlmdecideError

if TYPE_CHECKING:
    from multiprocessing.context import DefaultContext, ForkServerContext, SpawnContext
    from multiprocessing.process import BaseProcess

    from llmdecide.batch_display import Display

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


# ~140 lines on purpose: one loop whose closures share its state (running, stop); its shutdown
# deadlocks were fixed in place, so it is moved whole, not cut (tests/test_batch.py guards it)
def schedule(
    todo: list[tuple[str, Path]],
    workers: int,
    reports_root: Path,
    keep: int | None,
    language: str,
    display: Display,
    run_client: str,
) -> Iterator[ClientOutcome]:
    """Run ``todo`` in at most ``workers`` worker processes; yield each client's outcome as it
    ends (cancelled ones at once on Ctrl-C)."""
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
