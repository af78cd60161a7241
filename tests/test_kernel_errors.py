"""Errors raised in a notebook's kernel reach the runner as data (``kernels.py``, ``errors.py``).

The stage displays its error's record (``errors.to_record``) before the exception goes on; the
runner reads the record back from the executed notebook and rebuilds the same exception, field by
field. The fields below hold ``": "`` and line breaks on purpose: text re-parsed on ``": "`` (as
the runner once did) would cut them at the wrong place.
"""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path

import nbformat
import pytest

from _notebooks import write_notebook
from llmdecide import errors, kernels, notebook_run
from llmdecide.errors import (
    CarbonError,
    InputError,
    MeasurementError,
    NotebookError,
    ParamsError,
    Problem,
    RunError,
)

TRICKY = [
    Problem("C: drive/usage: log.csv", "measurements.usage_log", "a readable file: none here"),
    Problem("params.yaml", "", "the file holds only comments", hint="Copy a template: see README"),
    Problem("params.yaml", "usage.requests_per_day", "a number ≥ 0, got -3"),
]


@pytest.mark.parametrize("cls", [InputError, ParamsError, MeasurementError, CarbonError])
def test_a_record_rebuilds_the_same_error(cls: type[InputError]) -> None:
    error = cls(TRICKY)
    record = json.loads(json.dumps(errors.to_record(error)))  # as it travels: JSON
    rebuilt = errors.from_record(record)
    assert type(rebuilt) is cls
    assert rebuilt is not None and rebuilt.problems == TRICKY
    assert str(rebuilt) == str(error)
    assert record["problems"][1] == {
        "file": "params.yaml",
        "key_path": "",
        "expected": "the file holds only comments",
        "hint": "Copy a template: see README",
    }


def test_a_hint_follows_the_expected_value() -> None:
    assert str(TRICKY[1]) == "params.yaml: the file holds only comments Copy a template: see README"


def test_only_input_errors_are_rebuilt() -> None:
    assert errors.from_record(errors.to_record(RunError("rendering failed"))) is None
    assert errors.from_record({"version": 99, "exit_code": 2, "problems": []}) is None
    malformed = {**errors.to_record(ParamsError(TRICKY)), "problems": [{"file": "x"}]}
    assert errors.from_record(malformed) is None
    unknown = {**errors.to_record(ParamsError(TRICKY)), "error": "SomeFutureError"}
    assert type(errors.from_record(unknown)) is InputError  # still exit 2, same message


def test_outside_a_kernel_the_wrapped_stage_just_raises() -> None:
    @kernels.structured_errors
    def stage(n: int) -> int:
        if n < 0:
            raise ParamsError(TRICKY)
        return n

    assert stage(3) == 3
    with pytest.raises(ParamsError) as caught:
        stage(-1)
    assert caught.value.problems == TRICKY


RUNNER_PARAMETERS = 'params_path = ""\noutput_dir = ""'


def _notebook(path: Path, body: str) -> Path:
    """A notebook with the runner's parameters cell and one cell running ``body``."""
    return write_notebook(path, RUNNER_PARAMETERS, body)


STAGE = """
from llmdecide import kernels
from llmdecide.errors import {cls}, Problem

@kernels.structured_errors
def stage():
    {raise_}

stage()
"""


@pytest.mark.timeout(300)
def test_a_kernel_error_reaches_the_runner_as_data(tmp_path: Path) -> None:
    problems = ", ".join(
        f"Problem({p.file!r}, {p.key_path!r}, {p.expected!r}, hint={p.hint!r})" for p in TRICKY
    )
    cases = {
        "input": STAGE.format(
            cls="MeasurementError", raise_=f"raise MeasurementError([{problems}])"
        ),
        "run": STAGE.format(
            cls="RunError", raise_="raise RunError('publishing failed: disk full')"
        ),
        "bug": STAGE.format(cls="RunError", raise_="raise ValueError('a bug: here')"),
    }
    params = {"params_path": "p.yaml", "output_dir": str(tmp_path / "out")}
    caught: dict[str, BaseException] = {}
    for name, body in cases.items():
        executed = tmp_path / "executed" / f"{name}.ipynb"
        with pytest.raises(errors.LlmdecideError) as info:
            notebook_run.execute_notebook(
                _notebook(tmp_path / f"{name}.ipynb", body), executed, params
            )
        caught[name] = info.value

    error = caught["input"]
    assert type(error) is MeasurementError and error.exit_code == 2
    assert error.problems == TRICKY
    assert str(error) == str(MeasurementError(TRICKY))
    record = kernels.error_record(tmp_path / "executed" / "input.ipynb")
    assert record == json.loads(json.dumps(errors.to_record(MeasurementError(TRICKY))))

    # our other errors and bugs stay notebook failures (exit 1), the executed notebook named
    for name, detail in (("run", "RunError: publishing failed: disk full"), ("bug", "a bug: here")):
        failure = caught[name]
        assert isinstance(failure, NotebookError) and failure.exit_code == 1
        assert detail in failure.detail and failure.kept.endswith(f"{name}.ipynb")


@pytest.mark.timeout(300)
def test_a_warm_kernel_runs_a_notebook_as_a_fresh_one_would(tmp_path: Path) -> None:
    """notebook_run.Notebooks starts 03's kernel ahead (kernels.WarmKernel): its modules are
    loaded, but the notebook sees a fresh kernel — execution counts from 1, nothing left in the
    namespace by the warm-up — and the kernel is gone once closed."""
    import psutil

    body = (
        "import sys\n"
        "print(sorted(k for k in dir() if not k.startswith('_') or k == '__m'))\n"
        "print('wave' in sys.modules)"
    )
    notebook = _notebook(tmp_path / "warm.ipynb", body)
    kernel = kernels.WarmKernel(notebook_run.KERNEL_NAME, tmp_path, ("wave", "json"))
    pid = kernel.manager.provisioner.pid if kernel.manager.provisioner else None
    try:
        executed = tmp_path / "executed.ipynb"
        params = {"params_path": "p.yaml", "output_dir": str(tmp_path)}
        notebook_run.execute_notebook(notebook, executed, params, kernel=kernel)
    finally:
        kernel.close()
    cells = [c for c in nbformat.read(executed, as_version=4).cells if c.cell_type == "code"]
    # the runner's parameters cell, papermill's injected one, then ours: 1, 2, 3
    assert [c.execution_count for c in cells] == [1, 2, 3]
    printed = cells[-1].outputs[0]["text"].splitlines()
    assert "__m" not in printed[0] and printed[1] == "True"  # loaded ahead, no name left
    assert pid is not None and not psutil.pid_exists(pid)
    kernel.close()  # idempotent


@pytest.mark.timeout(300)
def test_a_reset_kernel_runs_the_next_notebook_as_a_fresh_one_would(tmp_path: Path) -> None:
    """The batch runs a client's three notebooks in one kernel, reset between them: the second
    notebook sees none of the first one's names, counts from 1 again, and is shown a warning
    the first one was shown already (once-per-place registries made stale)."""
    warn = "import warnings\nwarnings.warn('stale price', UserWarning)\n"
    first = _notebook(tmp_path / "first.ipynb", f"left_over = 42\n{warn}")
    second = _notebook(tmp_path / "second.ipynb", f"print('left_over' in dir())\n{warn}")
    params = {"params_path": "p.yaml", "output_dir": str(tmp_path)}
    heartbeats = sum(
        t.name == "HBChannel" or "HBChannel" in type(t).__name__ for t in threading.enumerate()
    )
    kernel = kernels.WarmKernel(notebook_run.KERNEL_NAME, tmp_path, ())
    try:
        notebook_run.execute_notebook(first, tmp_path / "1.ipynb", params, kernel=kernel)
        kernel.reset()
        notebook_run.execute_notebook(second, tmp_path / "2.ipynb", params, kernel=kernel)
    finally:
        kernel.close()
    # nbclient leaves open the clients of a kernel it does not own: closed with the kernel
    assert heartbeats == sum(
        t.name == "HBChannel" or "HBChannel" in type(t).__name__ for t in threading.enumerate()
    )
    with pytest.raises(RuntimeError, match="shut down"):
        kernel.reset()  # a closed kernel is never started again behind the runner's back
    for executed in ("1.ipynb", "2.ipynb"):
        cells = nbformat.read(tmp_path / executed, as_version=4).cells
        code = [c for c in cells if c.cell_type == "code"]
        assert [c.execution_count for c in code] == [1, 2, 3]
        streams = {o["name"]: o["text"] for o in code[-1].outputs if o["output_type"] == "stream"}
        assert "stale price" in streams.get("stderr", ""), executed
    assert streams["stdout"].strip() == "False"


@pytest.mark.timeout(300)
def test_a_client_ready_early_loses_no_output(tmp_path: Path) -> None:
    """kernels.wait_until_ready (a WarmKernel's clients: every notebook the runner executes)
    returns without jupyter_client's 0.2 s of IOPub silence. What that silence guarded must
    still hold: IOPub is connected when it returns, so the first request's output arrives.

    On IPC the subscription is in place before the first reply; a slower one (TCP across
    machines) is played here on a real kernel: everything IOPub carries in the client's first
    0.5 s is dropped, as a subscription that late would. Returning on the shell reply alone
    would lose the print's output (the test would time out waiting for it)."""
    kernel = kernels.WarmKernel(notebook_run.KERNEL_NAME, tmp_path, ())

    async def first_output(i: int, late_s: float) -> tuple[str, list[str]]:
        client = kernel.manager.client()
        client.start_channels()
        loop = asyncio.get_running_loop()
        connected_at = loop.time() + late_s
        received = client.iopub_channel.get_msg

        async def late_get_msg(timeout: float | None = None) -> dict:
            while True:
                msg = await received(timeout=timeout)
                if loop.time() >= connected_at:
                    return msg

        client.iopub_channel.get_msg = late_get_msg
        try:
            await client.wait_for_ready(timeout=60)
            asked = client.execute(f"print('ready {i}')")
            texts, states = [], []
            while "idle" not in states:
                msg = await client.get_iopub_msg(timeout=5)
                if msg["parent_header"].get("msg_id") != asked:
                    continue
                if msg["msg_type"] == "stream":
                    texts.append(msg["content"]["text"])
                if msg["msg_type"] == "status":
                    states.append(msg["content"]["execution_state"])
            return "".join(texts), states
        finally:
            client.stop_channels()

    try:
        for i, late_s in enumerate([0.5, 0.0, 0.0, 0.0, 0.0]):
            text, states = kernel._loop.run_until_complete(first_output(i, late_s))
            assert text == f"ready {i}\n" and states == ["busy", "idle"], i
        notebook = _notebook(tmp_path / "n.ipynb", "print('first cell output')")
        params = {"params_path": "p.yaml", "output_dir": str(tmp_path)}
        notebook_run.execute_notebook(notebook, tmp_path / "x.ipynb", params, kernel=kernel)
    finally:
        kernel.close()
    cells = nbformat.read(tmp_path / "x.ipynb", as_version=4).cells
    assert cells[-1].outputs[0]["text"] == "first cell output\n"


def _stage_notebooks(folder: Path, late_failure: str, early_failure: str = "") -> None:
    """Three stand-in notebooks under the runner's names: each writes its stage output in its
    first cell; 02 may fail before (``early_failure``) or after it (``late_failure``)."""
    folder.mkdir()
    write = "from llmdecide import results\nresults.write_stage(output_dir, {stage!r}, {{}})"
    for name, stage in zip(notebook_run.NOTEBOOKS, notebook_run.OUTPUT_STAGES, strict=True):
        second = name == notebook_run.NOTEBOOKS[1]
        body = (early_failure if second else "") + "\n" + write.format(stage=stage)
        later = [late_failure] if second and late_failure else []
        write_notebook(folder / f"{name}.ipynb", RUNNER_PARAMETERS, body, *later)


@pytest.mark.timeout(300)
def test_the_report_may_start_before_a_display_fails_but_the_run_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """notebook_run.Notebooks: outputs() returns once the three stage files exist (02's display cells
    may still run); a later failing cell is raised on leaving, as a NotebookError of 02."""
    monkeypatch.setattr(notebook_run, "NOTEBOOKS_DIR", tmp_path / "notebooks")
    _stage_notebooks(
        tmp_path / "notebooks",
        (  # waits for 03's output, then fails
            "import pathlib, time\n"
            "carbon = pathlib.Path(output_dir) / 'data' / 'carbon.json'\n"
            "while not carbon.exists():\n    time.sleep(0.05)\n"
            "time.sleep(2)\n1 / 0"
        ),
    )
    build = tmp_path / "build"
    params = {"params_path": "p.yaml", "output_dir": str(build)}
    steps: list[str] = []
    record = lambda name, _: steps.append(name)  # noqa: E731
    with (
        pytest.raises(NotebookError) as caught,
        notebook_run.Notebooks(build, params, record) as nbs,
    ):
        nbs.outputs()
        # every output is there while 02 still sleeps in its last cell
        assert all(runner_stage(build, s).is_file() for s in notebook_run.OUTPUT_STAGES)
        assert not (build / "notebooks" / f"{notebook_run.NOTEBOOKS[1]}.ipynb").exists()
    assert caught.value.notebook == f"{notebook_run.NOTEBOOKS[1]}.ipynb"
    assert "ZeroDivisionError" in caught.value.detail
    # 01 had ended when the outputs were there (03 may have, too); 02 failed: never recorded
    assert steps[0] == f"notebook {notebook_run.NOTEBOOKS[0]}"
    assert f"notebook {notebook_run.NOTEBOOKS[1]}" not in steps


@pytest.mark.timeout(300)
def test_the_report_starts_only_once_its_modules_are_imported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The report's modules are imported by a thread once 01 has ended; when 01 ends late (its
    last cell sleeps past the other outputs), outputs() waits for that thread: the report then
    never imports WeasyPrint while another thread does (two threads importing it at once once
    failed a run with "partially initialized module")."""
    import sys

    monkeypatch.setattr(notebook_run, "NOTEBOOKS_DIR", tmp_path / "notebooks")
    _stage_notebooks(tmp_path / "notebooks", "")
    late = tmp_path / "notebooks" / f"{notebook_run.NOTEBOOKS[0]}.ipynb"
    book = nbformat.read(late, as_version=4)
    book.cells.append(nbformat.v4.new_code_cell("import time\ntime.sleep(2)"))
    nbformat.write(book, late)
    (tmp_path / "slow_report_module.py").write_text("import time\ntime.sleep(4)\nREADY = True\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(notebook_run, "REPORT_MODULES", ("slow_report_module",))
    build = tmp_path / "build"
    params = {"params_path": "p.yaml", "output_dir": str(build)}
    try:
        with notebook_run.Notebooks(build, params, lambda *_: None) as nbs:
            nbs.outputs()
            module = sys.modules.get("slow_report_module")
            assert module is not None and module.READY  # imported whole before the report
    finally:
        sys.modules.pop("slow_report_module", None)


@pytest.mark.timeout(300)
def test_a_notebook_failing_before_its_output_fails_outputs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(notebook_run, "NOTEBOOKS_DIR", tmp_path / "notebooks")
    _stage_notebooks(tmp_path / "notebooks", "", early_failure="raise ValueError('early')")
    build = tmp_path / "build"
    params = {"params_path": "p.yaml", "output_dir": str(build)}
    with (
        notebook_run.Notebooks(build, params, lambda *_: None) as nbs,
        pytest.raises(NotebookError) as caught,
    ):
        nbs.outputs()
    assert "ValueError: early" in caught.value.detail
    assert not runner_stage(build, "carbon").exists()  # 03 never ran


def runner_stage(build: Path, stage: str) -> Path:
    from llmdecide import results

    return results.stage_path(build, stage)
