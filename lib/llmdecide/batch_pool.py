"""The batch's worker pool: at most ``jobs`` long-lived worker processes (``forkserver``, else
``spawn``), each running clients one after another, their events, and their shutdown.

A worker runs each client it is given in its own process, so a client after its first pays no
imports (pandas, WeasyPrint), template compilation or font loading, and (sequential notebooks)
runs in the kernel the worker keeps across its clients (``notebook_run.KeptKernel``, reset between
clients as between notebooks). A client that fails never stops the others; a worker that dies
fails only the client it was running, and a new worker takes the rest. Each worker's papermill
kernels use the IPC transport (``kernels.use_ipc_kernels``), so parallel kernels never race for
TCP ports. Ctrl-C: queued clients are cancelled, running workers get SIGTERM, which they turn
into KeyboardInterrupt so papermill stops their notebook, the runner removes its unfinished
folder and the worker shuts its kernel down; a worker still alive after ``STOP_GRACE_S`` (or at a
second Ctrl-C) is killed with its kernel.

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

from llmdecide import kernels, notebook_run, publish
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
"""Imported once by the forkserver, so that each worker starts in milliseconds. Only
modules that start no thread: the forkserver forks every worker, and a fork taken while another
thread holds a lock deadlocks the child. papermill is not here: it imports ``pyarrow.fs``, whose
jemalloc starts background threads (a worker hung in ``futex_wait`` that way); each worker
imports it after the fork."""
RUN_CLIENT = "llmdecide.runner:run"
LOG_DIR = ".batch"
LOG_TAIL_LINES = 15


# -- the worker (one process, many clients) -----------------------------------------------------


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


def kernel_log_path(reports_root: Path, slot: int) -> Path:
    """Where the kernel a worker keeps across its clients writes its own output (cells' outputs
    are in the executed notebooks): ``reports/.batch/worker-<slot>.kernel.log`` (a client slug
    has no dot, so no client's log is this one)."""
    return publish.confined(reports_root, LOG_DIR, f"worker-{slot}.kernel.log")


def _redirect_output(path: Path) -> None:
    """Send this process's stdout and stderr to ``path``, so that parallel clients do not garble
    the progress display; failures quote its last lines. A worker redirects again for each of
    its clients."""
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


@dataclass(frozen=True)
class _Job:
    """What every client of a batch is run with (a worker's arguments)."""

    run_client: str
    reports_root: str
    keep: int | None
    sequential_notebooks: bool


def _run_one(job: _Job, params_path: str, events: Any) -> bool:
    """Run one client in this worker and report on ``events``: started, each step, then
    ok/failed/cancelled. False when the worker must end (interrupted)."""
    slug = Path(params_path).stem
    root = Path(job.reports_root)
    _redirect_output(log_path(root, slug))
    try:
        events.put(("started", slug, os.getpid()))
        run = resolve(job.run_client)

        def on_step(step: str, seconds: float) -> None:
            events.put(("step", slug, step, seconds))

        outcome = run(
            params_path,
            root,
            on_step=on_step,
            keep=job.keep,
            sequential_notebooks=job.sequential_notebooks,
        )
        events.put((OK, slug, {"report_dir": str(outcome.report_dir), "steps": outcome.steps}, 0))
    except LlmdecideError as exc:
        events.put((FAILED, slug, str(exc), exc.exit_code))
    except KeyboardInterrupt:
        events.put((CANCELLED, slug, "interrupted", EXIT_INTERRUPTED))
        return False
    except BaseException as exc:  # a bug or a crash in a library: report it, the others go on
        traceback.print_exc()
        log = log_path(root, slug)
        events.put((FAILED, slug, f"{type(exc).__name__}: {exc} (traceback in {log})", 1))
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
    return True


def _worker(job: _Job, slot: int, tasks: Any, events: Any) -> None:
    """Run clients one after another, as the scheduler sends their params paths on ``tasks``
    (None: no more), in this one process: pandas, WeasyPrint, the templates and fonts are loaded
    once per worker, not once per client, and one kernel is kept for all its clients
    (``notebook_run.KeptKernel``, its own output in :func:`kernel_log_path`)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the batch decides; it sends SIGTERM to stop
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    kept = notebook_run.KeptKernel(kernel_log_path(Path(job.reports_root), slot))
    try:
        kernels.use_ipc_kernels()
        with notebook_run.kernel_kept(kept):
            while (params_path := tasks.recv()) is not None:
                if not _run_one(job, params_path, events):
                    break
    except (KeyboardInterrupt, EOFError):  # stopped while idle, or the batch is gone
        pass
    finally:
        with contextlib.suppress(BaseException):
            kept.close()
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
    """One client given to a worker, until its outcome."""

    slug: str
    params_path: Path
    started: float
    result: tuple[str, Any, int] | None = None
    steps: list[tuple[str, float]] = field(default_factory=list)


@dataclass
class _Worker:
    """A worker process, its own events queue (see ``drain``), the pipe its clients are sent on,
    and the client it runs (None: idle, or told to end)."""

    slot: int
    process: BaseProcess
    events: Any
    tasks: Any
    run: _Running | None = None
    terminated_at: float | None = None
    killed: bool = False

    def give(self, client: tuple[str, Path] | None) -> bool:
        """Send the worker its next client (None: end); False when it is gone already."""
        self.run = None if client is None else _Running(*client, time.perf_counter())
        try:
            self.tasks.send(None if client is None else str(client[1].resolve()))
        except OSError:  # BrokenPipeError: it died meanwhile
            self.run = None
            return False
        return True

    def close(self) -> None:
        self.events.close()
        self.events.join_thread()
        with contextlib.suppress(OSError):
            self.tasks.close()


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


def _outcome(
    run: _Running, exitcode: int | None, stopping: bool, reports_root: Path, language: str
) -> ClientOutcome:
    """A client's outcome from what its worker reported (``run.result``), or from its death: a
    failure quoting its log's last lines, or cancelled when the batch was stopping."""
    slug, seconds = run.slug, time.perf_counter() - run.started
    detail: Any
    if run.result is None:
        if stopping:
            status, detail, exit_code = CANCELLED, "interrupted", EXIT_INTERRUPTED
        else:
            log = log_path(reports_root, slug)
            tail = log_tail(log)
            detail = (
                f"the worker process died (exit code {exitcode}) before finishing; "
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
    return outcome


# ~125 lines on purpose: one loop whose closures share its state (pool, stop); its shutdown
# deadlocks were fixed in place, so it is kept whole, not cut (tests/test_batch.py guards it)
def schedule(
    todo: list[tuple[str, Path]],
    workers: int,
    reports_root: Path,
    keep: int | None,
    language: str,
    display: Display,
    run_client: str,
) -> Iterator[ClientOutcome]:
    """Run ``todo`` in at most ``workers`` long-lived worker processes, each given one client at
    a time, the next when it reports the last one's outcome; yield each client's outcome as it
    ends (cancelled ones at once on Ctrl-C). A worker that dies fails its client only: a new
    one takes the rest."""
    ctx = mp_context()
    # Clients side by side already fill the cores: within a client, one kernel at a time
    # (measured: 96 s for 20 clients vs 101 s with two kernels per client).
    job = _Job(run_client, str(reports_root), keep, sequential_notebooks=workers > 1)
    pending = deque(todo)
    pool: list[_Worker] = []
    stop = _Stop()

    def finish(run: _Running, exitcode: int | None) -> ClientOutcome:
        outcome = _outcome(run, exitcode, bool(stop.requested), reports_root, language)
        display.finished(outcome)
        return outcome

    def handle(worker: _Worker, event: tuple[Any, ...]) -> None:
        kind, slug, run = event[0], event[1], worker.run
        if run is None or run.slug != slug:
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
            for worker in pool:
                try:
                    while True:
                        handle(worker, worker.events.get_nowait())
                        got = True
                except queue.Empty:
                    pass
            if got or time.perf_counter() >= deadline:
                return
            time.sleep(min(POLL_WAIT_S, max(0.0, deadline - time.perf_counter())))

    def start_worker(slot: int) -> None:
        events = ctx.Queue()  # one per worker (see drain)
        receive, send = ctx.Pipe(duplex=False)
        process = ctx.Process(
            target=_worker, args=(job, slot, receive, events), name=f"llmdecide-worker-{slot}"
        )
        pool.append(_Worker(slot, process, events, send))
        process.start()
        receive.close()  # the worker's end: a dead worker then breaks the pipe

    def next_client() -> tuple[str, Path] | None:
        return pending.popleft() if pending and not stop.requested else None

    with stop.installed():
        try:
            while pending or pool:
                if stop.requested:
                    while pending:
                        slug, path = pending.popleft()
                        outcome = ClientOutcome(slug, path, CANCELLED, message="cancelled")
                        outcome.exit_code = EXIT_INTERRUPTED
                        display.finished(outcome)
                        yield outcome
                    now = time.perf_counter()
                    for worker in pool:
                        pid = worker.process.pid
                        if worker.terminated_at is None and pid is not None:
                            worker.terminated_at = now
                            if worker.run is not None:
                                display.stopping(worker.run.slug)
                            with contextlib.suppress(ProcessLookupError):
                                os.kill(pid, signal.SIGTERM)
                        elif (
                            not worker.killed
                            and pid is not None
                            and (
                                stop.requested > 1
                                or now - (worker.terminated_at or now) > STOP_GRACE_S
                            )
                        ):
                            worker.killed = True
                            _kill_tree(pid)
                free = sorted(set(range(1, workers + 1)) - {w.slot for w in pool})
                while pending and free and not stop.requested:
                    start_worker(free.pop(0))
                    pool[-1].give(pending.popleft())
                drain(POLL_S)
                for worker in pool[:]:
                    run = worker.run
                    if run is not None and run.result is not None:  # its client is done
                        client = next_client()
                        if not worker.give(client) and client is not None:
                            pending.appendleft(client)  # it died: a new worker takes it
                        yield finish(run, None)
                    elif not worker.process.is_alive():
                        if run is not None:
                            drain(0.5)  # its last words may still be in the pipe
                        worker.process.join()
                        pool.remove(worker)
                        worker.close()
                        if run is not None and run.result is None:
                            yield finish(run, worker.process.exitcode)
                        elif run is not None:  # it reported, then died: not its client's fault
                            yield finish(run, None)
        finally:
            for worker in pool:  # only on an unexpected error in this loop
                if worker.process.pid is not None:
                    _kill_tree(worker.process.pid)
                worker.close()
