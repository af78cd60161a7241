"""A run's three notebooks (papermill): how each is executed, and their schedule — side by side
with the report started once each has written its output (:class:`Notebooks`), or one after the
other in one kernel for the batch, kept across a worker's clients (:class:`KeptKernel`).
docs/architecture.md, "The run's schedule"."""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from llmdecide import errors, kernels, results, stages
from llmdecide.errors import NotebookError, RunError

NOTEBOOKS_DIR = Path(__file__).resolve().parents[2] / "notebooks"
NOTEBOOKS = ("01_critical_performance", "02_technical_choices", "03_carbon_footprint")
NOTEBOOK_PARAMETERS = ("params_path", "output_dir")
KERNEL_NAME = "python3"
KERNEL_START_TIMEOUT_S = 120


def check_notebook_parameters(notebook: Path, parameters: dict[str, Any]) -> None:
    """papermill only warns on undeclared parameters; we refuse them."""
    # papermill starts pyarrow threads: never in batch's forkserver, which preloads this module
    import papermill

    declared = set(papermill.inspect_notebook(str(notebook)))
    unknown = sorted(set(parameters) - declared)
    if unknown:
        raise RunError(
            f"{notebook.name}: parameters {unknown} are not declared in its 'parameters' cell "
            f"(declared: {sorted(declared)})"
        )


def execute_notebook(
    notebook: Path,
    executed: Path,
    parameters: dict[str, Any],
    cwd: Path = NOTEBOOKS_DIR,
    kernel: kernels.WarmKernel | None = None,
) -> None:
    """Run one notebook with papermill; a failing cell becomes NotebookError, or the InputError
    its stage raised (rebuilt from the record the kernel displayed, ``kernels.error_record``).
    ``kernel``: a kernel started ahead to run it in (else papermill starts one)."""
    # papermill starts pyarrow threads: never in batch's forkserver, which preloads this module
    import papermill
    from papermill.exceptions import PapermillExecutionError

    check_notebook_parameters(notebook, parameters)
    executed.parent.mkdir(parents=True, exist_ok=True)
    try:
        papermill.execute_notebook(
            str(notebook),
            str(executed),
            parameters=parameters,
            kernel_name=KERNEL_NAME,
            progress_bar=False,
            log_output=False,
            # written once, at the end or at the failing cell (papermill saves it before raising
            # PapermillExecutionError), not after every cell: each save re-validates the whole
            # notebook (0.7 s of this process per run)
            request_save_on_cell_execute=False,
            # the kernel starts in ``cwd`` (nbclient's resources path), rather than papermill's
            # cwd=, which changes this whole process's directory: notebooks run side by side
            resources={"metadata": {"path": str(cwd)}},
            start_timeout=KERNEL_START_TIMEOUT_S,
            # a kernel's work is on disk when its last cell ends (the stages write atomically,
            # codecarbon's tracker stops in the cell): a graceful exit would add 0.5-0.7 s of
            # module teardown per notebook to the run
            shutdown_kernel="immediate",
            **({"km": kernel.manager} if kernel is not None else kernels.kernel_manager_kwargs()),
        )
    except PapermillExecutionError as exc:
        record = kernels.error_record(executed)  # what the stage raised, as data (kernels.py)
        input_error = errors.from_record(record) if record is not None else None
        if input_error is not None:
            raise input_error from None
        cell = f"cell {exc.exec_count}" if exc.exec_count else f"cell #{exc.cell_index}"
        raise NotebookError(notebook.name, cell, f"{exc.ename}: {exc.evalue}", executed) from None


REPORT_MODULES = ("llmdecide.assemble", "llmdecide.report", "weasyprint")
"""What rendering the report imports (about 2 s): loaded while notebook 02 still runs."""


def _ready_for_next(
    previous: Future[float | None],
    kernel: list[kernels.WarmKernel],
    modules: tuple[str, ...],
    stopping: threading.Event,
) -> kernels.WarmKernel | None:
    """Once ``previous`` (notebook 01, the shorter) has ended, its kernel made fresh again and
    ``modules`` loaded in it, for 03; None when 01 failed or the run is stopping (03 is not
    run). A kernel that cannot be reset raises: 03 then gets a kernel of its own."""
    wait([previous])
    if previous.exception() is not None or not kernel or stopping.is_set():
        return None
    kernel[0].reset()
    kernel[0].load(modules)
    return kernel[0]


def _import_once(first: Future[float | None], modules: tuple[str, ...]) -> None:
    """Once ``first`` has ended, import ``modules`` in this process (a failure is left for the
    code that needs the module to raise)."""
    wait([first])
    for name in modules:
        with contextlib.suppress(Exception):
            importlib.import_module(name)


HANDOVER_STAGE = "technical_choices"
"""01 and 02 each read only the params file and the catalog: they run side by side. 03 reads what
02 wrote: its stage file, written (atomically, after configurations.csv) when 02's
first cell ends. 03 starts then, while 02's other cells draw their displays."""
HANDOVER_POLL_S = 0.02
OUTPUT_STAGES = ("critical_performance", HANDOVER_STAGE, "carbon")
"""The stage output each notebook writes in its first cell, by notebook: the results and the
report need only these (:meth:`Notebooks.outputs`)."""


def _stage_written(build: Path, stage: str, producer: Future[float | None]) -> bool:
    """Wait until ``stage``'s file exists or its notebook (``producer``) has ended; whether the
    file exists."""
    path = results.stage_path(build, stage)
    while not path.exists() and not producer.done():
        time.sleep(HANDOVER_POLL_S)
    return path.exists()


def _handed_over(build: Path, producer: Future[float | None]) -> bool:
    """Wait until 02's stage file exists (True) or 02 has ended without it (False: it failed)."""
    return _stage_written(build, HANDOVER_STAGE, producer) or producer.exception() is None


class KeptKernel:
    """One kernel kept across the runs of this process (a batch worker's clients), for the
    sequential path: :meth:`take` gives it made fresh again (``WarmKernel.reset``, as between
    notebooks), or a new kernel when there is none yet, it died, or its reset failed; the runs
    never close it, :meth:`close` does (the worker, when it ends).

    A kernel inherits its parent's stdout and stderr when it starts, and a batch worker sends
    its own to each client's log in turn: a kept kernel's would land in the first client's log.
    ``output`` (when given) is where its process's own output goes instead: the worker's kernel
    log (cells' outputs are in the executed notebooks either way)."""

    def __init__(self, output: Path | None = None) -> None:
        self._output = output
        self._kernel: kernels.WarmKernel | None = None
        self.started = 0
        """Kernels started so far (1 when one kernel served every run)."""

    def take(self) -> kernels.WarmKernel:
        kernel, self._kernel = self._kernel, None
        if kernel is not None:
            try:
                kernel.reset()
            except Exception:  # dead, or its reset failed: a new one
                kernel.close()
                kernel = None
        if kernel is None:
            kernel = self._start()
            self.started += 1
        self._kernel = kernel
        return kernel

    def _start(self) -> kernels.WarmKernel:
        if self._output is None:
            return kernels.WarmKernel(KERNEL_NAME, NOTEBOOKS_DIR, ())
        flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if self.started else os.O_TRUNC)
        self._output.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self._output, flags, 0o644)
        saved = [os.dup(1), os.dup(2)]
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        try:  # the kernel's process is spawned with these fds, then this process gets its own back
            os.dup2(fd, 1)
            os.dup2(fd, 2)
            return kernels.WarmKernel(KERNEL_NAME, NOTEBOOKS_DIR, ())
        finally:
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for each in (fd, *saved):
                os.close(each)

    def close(self) -> None:
        kernel, self._kernel = self._kernel, None
        if kernel is not None:
            kernel.close()


_KEPT: ContextVar[KeptKernel | None] = ContextVar("kept_kernel", default=None)


@contextlib.contextmanager
def kernel_kept(kept: KeptKernel) -> Iterator[None]:
    """Within this block, :func:`run` with ``sequential_notebooks`` runs its notebooks in
    ``kept``'s kernel (the batch worker's, kept across its clients) rather than in a kernel of
    its own: the kernel's start and the stages' imports (about 2 s) are paid once per worker."""
    token = _KEPT.set(kept)
    try:
        yield
    finally:
        _KEPT.reset(token)


def _one_kernel(
    one: Callable[[str, kernels.WarmKernel | None], float], record: Callable[[str, float], None]
) -> None:
    """The three notebooks one after the other in one kernel, made fresh again between them
    (``WarmKernel.reset``): the batch runs clients side by side, and two kernel starts and their
    imports were 3 s of each client's time. The kernel is the batch worker's when it keeps one
    (:func:`kernel_kept`), else one of this run's own."""
    kept = _KEPT.get()
    kernel = kept.take() if kept is not None else kernels.WarmKernel(KERNEL_NAME, NOTEBOOKS_DIR, ())
    try:
        for index, name in enumerate(NOTEBOOKS):
            if index:
                kernel.reset()
            record(name, one(name, kernel))
    finally:
        if kept is None:
            kernel.close()


class Notebooks:
    """The three notebooks of one run, into ``build/notebooks``, as a context manager: started on
    entry; :meth:`outputs` returns once each has written its stage output (the report can start
    while 02 and 03 still draw their displays); leaving waits for all of them, records their
    steps, and raises the first failure in notebook order.

    01 and 02 run concurrently (two kernels, one per core on a 2-core box); 03 as soon as 02 has
    written its outputs, in 01's kernel made fresh again (``WarmKernel.reset``) with 03's imports
    loaded once 01 has ended, while this process imports what the report needs. ``sequential``:
    one notebook at a time in one kernel, all of them run on entry (the batch, which already
    fills the cores with clients)."""

    def __init__(
        self,
        build: Path,
        parameters: dict[str, Any],
        step: Callable[[str, float], None],
        *,
        sequential: bool = False,
    ) -> None:
        self.build, self.parameters, self.step = build, parameters, step
        self.sequential = sequential
        self.futures: list[Future[float | None]] = []
        self.shared: list[kernels.WarmKernel] = []  # 01's kernel, reset and reused for 03
        self.owned: list[kernels.WarmKernel] = []  # 02's kernel
        self.imported: Future[None] | None = None  # the report's modules, imported by a thread
        self.stopping = threading.Event()  # set on leaving: nothing more is started
        self.pool: ThreadPoolExecutor | None = None
        self.recorded = False
        self.shown: set[int] = set()  # notebooks whose step was recorded by outputs()

    def _one(self, name: str, kernel: kernels.WarmKernel | None = None) -> float:
        """Run one notebook; return its duration in seconds."""
        started = time.perf_counter()
        execute_notebook(
            NOTEBOOKS_DIR / f"{name}.ipynb",
            self.build / "notebooks" / f"{name}.ipynb",
            self.parameters,
            kernel=kernel,
        )
        return time.perf_counter() - started

    def _record(self, name: str, seconds: float) -> None:
        self.step(f"notebook {name}", time.perf_counter() - seconds)  # step() takes a start time

    def __enter__(self) -> Notebooks:
        if self.sequential:
            _one_kernel(self._one, self._record)
            self.recorded = True
            return self
        first, _, last = NOTEBOOKS
        warm: Future[kernels.WarmKernel | None] | None = None

        def run_first() -> float:
            self.shared.append(kernels.WarmKernel(KERNEL_NAME, NOTEBOOKS_DIR, ()))
            return self._one(first, self.shared[0])

        def run_second() -> float:
            """02 in a kernel of its own, shut down as soon as 02 ends (a kernel papermill
            starts would wait 0.2 s more before its first cell: ``kernels.wait_until_ready``)."""
            kernel = kernels.WarmKernel(KERNEL_NAME, NOTEBOOKS_DIR, ())
            self.owned.append(kernel)
            try:
                return self._one(NOTEBOOKS[1], kernel)
            finally:
                kernel.close()

        def third() -> float | None:
            """03, once 02 has handed over (None: 01 or 02 failed first, 03 is not run; a
            failed 01 makes ``warm`` None)."""
            assert warm is not None
            if not _handed_over(self.build, self.futures[1]):
                return None
            if warm.exception() is not None:  # 01's kernel could not be reset: 03 gets its own
                return None if self.stopping.is_set() else self._one(last, None)
            kernel = warm.result()
            return None if kernel is None or self.stopping.is_set() else self._one(last, kernel)

        self.pool = pool = ThreadPoolExecutor(max_workers=5, thread_name_prefix="notebook")
        try:
            self.futures += [pool.submit(run_first), pool.submit(run_second)]
            modules = stages.KERNEL_MODULES.get(last, ())
            warm = pool.submit(
                _ready_for_next, self.futures[0], self.shared, modules, self.stopping
            )
            self.imported = pool.submit(_import_once, self.futures[0], REPORT_MODULES)
            self.futures.append(pool.submit(third))
        except BaseException:
            self._close()
            raise
        return self

    def outputs(self) -> None:
        """Wait until every notebook has written its stage output (``OUTPUT_STAGES``); when one
        failed before, wait for all and raise the first failure in notebook order."""
        if self.recorded:
            return
        for future, stage in zip(self.futures, OUTPUT_STAGES, strict=True):
            written = _stage_written(self.build, stage, future)
            if not written or (future.done() and future.exception() is not None):
                self._finish()  # raises the first failure (a notebook without output failed)
                raise RunError(f"notebook for {stage} ended without writing its output")
        if self.imported is not None:
            # the thread importing the report's modules must have ended before the report
            # starts: two threads importing WeasyPrint at once can each find the other's
            # module half made ("partially initialized module", seen once 01 ended late)
            wait([self.imported])
        for index, future in enumerate(self.futures):  # those ended: shown now, in order
            if future.done() and index not in self.shown:
                self.shown.add(index)
                seconds = future.result()
                if seconds is not None:
                    self._record(NOTEBOOKS[index], seconds)

    def _finish(self) -> None:
        """Wait for every notebook, record the steps not recorded yet, in notebook order, and
        raise the first failure."""
        if self.recorded:
            return
        self.recorded = True
        for index, future in enumerate(self.futures):  # in order: raise the first failure
            seconds = future.result()
            if seconds is not None and index not in self.shown:
                self._record(NOTEBOOKS[index], seconds)

    def _close(self) -> None:
        self.stopping.set()
        if self.pool is not None:
            self.pool.shutdown(wait=True)
        for kernel in [*self.shared, *self.owned]:
            kernel.close()  # waits for a reset under way (Ctrl-C), then refuses any other use

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        try:
            if exc_type is None:
                self._finish()
        finally:
            self._close()
