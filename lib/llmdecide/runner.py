"""One client, end to end: validate → notebooks (papermill) → results → report → atomic publish.

Nothing under ``reports/<slug>`` changes until the new run is complete: the run is built in
``reports/.<slug>.tmp-<run-id>/`` and swapped in by :func:`llmdecide.publish.publish`.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import platform
import secrets
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from llmdecide import publish, results, stages
from llmdecide.carbon.tracking import RUN_PROJECT, track
from llmdecide.errors import LlmdecideError, NotebookError, ReportError, RunError
from llmdecide.notebook_run import Notebooks

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_DIR = PACKAGE_DIR.parents[1]
DEFAULT_HISTORY_KEEP = 10

Step = Callable[[str, float], None]
"""Progress callback: (step description, seconds it took)."""


@dataclass
class RunOutcome:
    slug: str
    run_id: str
    report_dir: Path
    steps: list[tuple[str, float]] = field(default_factory=list)
    recovered: list[str] = field(default_factory=list)
    wall_s: float | None = None
    """Elapsed time of the whole run (steps may overlap: notebooks 01 and 02 run side by side)."""

    @property
    def seconds(self) -> float:
        return self.wall_s if self.wall_s is not None else sum(s for _, s in self.steps)


def new_run_id(now: datetime | None = None) -> str:
    """Sortable run id: UTC timestamp + a short random suffix (two runs in one second differ)."""
    now = now or datetime.now(UTC)
    return f"{now:%Y%m%dT%H%M%S}Z-{secrets.token_hex(2)}"


def slug_of(params_path: Path) -> str:
    return publish.check_slug(params_path.stem, str(params_path))


@contextlib.contextmanager
def client_lock(root: Path, slug: str) -> Iterator[None]:
    """One run per client at a time (a second one fails fast instead of racing)."""
    root.mkdir(parents=True, exist_ok=True)
    lock_path = publish.confined(root, f".{slug}.lock")
    with open(lock_path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RunError(
                f"another run of {slug} is in progress (lock {lock_path}); wait for it to finish"
            ) from None
        yield


def validate_inputs(params_path: Path) -> Any:
    """Everything that can be checked before a notebook starts; raises InputError (exit 2)."""

    inputs = stages.load_inputs(params_path)
    _ = inputs.fingerprint  # hashed now: the report carries the inputs as they were validated
    return inputs


def machine_info() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.machine(),
        "cpus": os.cpu_count(),
    }


def _results_and_report(
    build: Path,
    params_path: Path,
    inputs: Any,
    slug: str,
    run_id: str,
    step: Step,
    sequential_notebooks: bool,
    failed_dir: Path,
) -> None:
    """The notebooks, results.json with the run's own footprint, then the report.

    The results and the report start as soon as each notebook has written its stage output
    (:meth:`Notebooks.outputs`), while 02 and 03 still draw their displays; the notebooks are
    waited for (and a late failure raised) before this returns. codecarbon measures the run
    (this process and its kernels) from the notebooks' start up to the results; notebook 03 also
    measures its own part (both rows in emissions.csv). A notebook's step is recorded when it
    has ended: 02's (and at times 03's) after the report's."""
    parameters = {"params_path": str(params_path), "output_dir": str(build)}
    client = inputs.client
    country = client.carbon.country or client.constraints.regions[0]
    with contextlib.ExitStack() as measuring:
        run = measuring.enter_context(track(country, build, RUN_PROJECT))
        with Notebooks(build, parameters, step, sequential=sequential_notebooks) as notebooks:
            notebooks.outputs()
            # seconds of imports (pandas, WeasyPrint), loaded while notebook 02 ran; the batch's
            # forkserver preloads this module, not them
            from llmdecide import assemble

            started = time.perf_counter()
            context = assemble.write_results(
                build, params_path, slug=slug, run_id=run_id, inputs=inputs
            )
            step("results.json + configurations.csv", started)
            measuring.close()  # the run's footprint: up to the results
            context = assemble.add_run_footprint(build, context, run)
            started = time.perf_counter()
            # the PDF on both cores, unless the batch already runs a client on each
            processes = 1 if sequential_notebooks else 2
            _render_report(context, build, failed_dir, slug, processes)
            step("report.html + report.pdf", started)


def _render_report(
    context: dict[str, Any], build: Path, failed_dir: Path, slug: str, processes: int
) -> None:
    """report.html and report.pdf into ``build``; a template or chart bug becomes a RunError that
    says where this run's results are kept (the previous report is untouched)."""
    # not at the top: batch's forkserver preloads this module, not WeasyPrint (REPORT_MODULES)
    from llmdecide import report

    try:
        report.render(context, build, processes=processes)
    except Exception as exc:
        # a ReportError is wrapped as well: the message says where this run's results are
        if isinstance(exc, LlmdecideError) and not isinstance(exc, ReportError):
            raise
        raise RunError(
            f"rendering the report of {slug} failed ({type(exc).__name__}: {exc}); "
            f"the previous report is untouched; the results of this run are in {failed_dir}"
        ) from exc


def _run_record(
    run_id: str,
    slug: str,
    params_path: Path,
    began: datetime,
    steps: list[tuple[str, float]],
    fingerprint: Any,
    build: Path,
) -> dict[str, Any]:
    """run.json: when, how long each step took, on what machine, from which inputs."""
    # not at the top: batch's forkserver preloads this module, not pandas (loaded by _results)
    from llmdecide import assemble

    return {
        "run_id": run_id,
        "slug": slug,
        "params_path": str(params_path),
        "started": began.isoformat(timespec="seconds"),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "steps": [{"step": n, "seconds": round(s, 3)} for n, s in steps],
        "machine": machine_info(),
        "fingerprint": fingerprint,
        "measured_energy": assemble.run_energy(build),
        "argv": sys.argv,
    }


def run(
    params_path: Path | str,
    reports_root: Path | None = None,
    *,
    on_step: Step | None = None,
    keep: int | None = None,
    on_warning: Callable[[Any], None] | None = None,
    sequential_notebooks: bool = False,
) -> RunOutcome:
    """Run one client; returns where its report was published. Raises LlmdecideError subclasses.

    ``on_warning`` gets each plausibility warning (``plausibility.Warning``) once the inputs are
    validated, then each cost-of-ownership warning (text, as ``llmdecide validate`` prints it);
    the report shows them too. ``sequential_notebooks``: one kernel at a time (the batch asks
    for it when it already runs clients side by side)."""
    slug = slug_of(Path(params_path))  # the name the consultant gave, even through a symlink
    params_path = Path(params_path).resolve()
    root = (reports_root or publish.default_reports_root()).resolve()
    steps: list[tuple[str, float]] = []
    began_s = time.perf_counter()

    def step(name: str, started: float) -> None:
        took = time.perf_counter() - started
        steps.append((name, took))
        if on_step:
            on_step(name, took)

    started = time.perf_counter()
    inputs = validate_inputs(params_path)
    step("validate inputs", started)
    if on_warning is not None:
        for warning in [*inputs.warnings, *inputs.tco_warnings]:
            on_warning(warning)

    history_keep = keep if keep is not None else inputs.history_keep
    run_id = new_run_id()
    with client_lock(root, slug):
        recovered = publish.recover(root, slug, history_keep)
        build = publish.tmp_dir(root, slug, run_id)
        build.mkdir(parents=True)
        try:
            began = datetime.now(UTC)
            _results_and_report(
                build,
                params_path,
                inputs,
                slug,
                run_id,
                step,
                sequential_notebooks,
                publish.failed_dir(root, slug, run_id),
            )
            results.write_json(
                build / publish.RUN_FILE,
                _run_record(run_id, slug, params_path, began, steps, inputs.fingerprint, build),
            )
            started = time.perf_counter()
            target = publish.confined(root, slug)
            _test_pause_before_publish()
            publish.publish(build, target, history_keep)
            step("publish", started)
        except BaseException as exc:
            _keep_failed(root, slug, run_id, build, exc)
            raise
    return RunOutcome(
        slug, run_id, publish.confined(root, slug), steps, recovered, time.perf_counter() - began_s
    )


TEST_PAUSE_ENV = "LLMDECIDE_TEST_PAUSE_BEFORE_PUBLISH"
TEST_PAUSE_SECONDS_ENV = "LLMDECIDE_TEST_PAUSE_SECONDS"


def _test_pause_before_publish() -> None:
    """Test hook (tests/test_interruption.py), inert unless ``$LLMDECIDE_TEST_PAUSE_BEFORE_PUBLISH``
    is set: then touch the file it names and sleep ``$LLMDECIDE_TEST_PAUSE_SECONDS`` (default 60)
    with the complete run built and ``run.json`` written, just before :func:`publish.publish`, so
    that a test can kill the run at that moment. Never set it in normal use."""
    marker = os.environ.get(TEST_PAUSE_ENV)
    if not marker:
        return
    Path(marker).touch()
    time.sleep(float(os.environ.get(TEST_PAUSE_SECONDS_ENV) or 60))


def _keep_failed(root: Path, slug: str, run_id: str, build: Path, exc: BaseException) -> None:
    """Keep the executed notebooks of a failed run where the message says, drop the rest."""

    if not build.exists():
        return
    executed = build / "notebooks"
    if isinstance(exc, RunError) and (build / "results.json").is_file():
        kept = publish.failed_dir(root, slug, run_id)  # results without a report: keep it all
        kept.parent.mkdir(parents=True, exist_ok=True)
        os.rename(build, kept)
        return
    if isinstance(exc, NotebookError) and executed.is_dir():
        kept = publish.failed_dir(root, slug, run_id)
        kept.parent.mkdir(parents=True, exist_ok=True)
        os.rename(executed, kept)
        exc.kept = str(kept / Path(exc.kept).name)
        exc.args = (
            f"{exc.notebook}: failed in {exc.cell}: {exc.detail}\n"
            f"Open the executed notebook to see the traceback: {exc.kept}",
        )
    shutil.rmtree(build, ignore_errors=True)
