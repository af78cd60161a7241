"""A run killed with SIGKILL at any moment leaves the previous report intact (docs/outputs.md).

Each test copies a published report (the shared reference run) into its own reports folder, starts
``llmdecide run`` as a subprocess in its own session, kills the session with SIGKILL at a moment
seen on the file system, and checks:

- the published ``reports/<slug>`` is byte for byte the previous report (no partial file in it);
- the killed run's processes, Jupyter kernels included, are gone (kernels run in a session of their
  own and exit when their parent disappears);
- the next run cleans the leftovers (``publish.recover``), succeeds, publishes a new report and
  moves the previous one, complete, into ``history/``; no ``.<slug>.tmp-*`` folder remains.

Moments: (a) notebook 02 executing, (b) PDF rendering (report.html written, report.pdf not yet),
(c) just before ``publish.publish`` (runner's ``LLMDECIDE_TEST_PAUSE_BEFORE_PUBLISH`` test hook),
(d) inside ``publish.publish``, right after the atomic exchange and before the old run is archived.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest

from _reference_run import REPO, RETAIL, SLUG, copy_reference, tree
from llmdecide import publish, runner

pytestmark = pytest.mark.slow

RUN_TIMEOUT_S = 300
TMP_GLOB = f"{publish.TMP_PREFIX}{SLUG}{publish.TMP_MARK}*"


class Run:
    """``llmdecide run`` in a subprocess, in its own session, output to a log file."""

    def __init__(self, root: Path, log: Path, env: dict[str, str] | None = None) -> None:
        self.root, self.log = root, log
        self.handle = log.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "llmdecide.cli", "run", str(RETAIL), "--reports-dir", str(root)],
            cwd=REPO,
            stdin=subprocess.DEVNULL,
            stdout=self.handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, **(env or {})},
        )

    def output(self) -> str:
        if not self.handle.closed:
            self.handle.flush()
        return self.log.read_text(errors="replace")

    def wait_for(self, what: str, found: Callable[[], list[Path]], timeout: float = 240) -> Path:
        """Poll the file system until ``found()`` returns a path; fail if the run ends first."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            hits = found()
            if hits:
                return hits[0]
            if self.proc.poll() is not None:
                pytest.fail(
                    f"the run ended (exit {self.proc.returncode}) before {what}:\n{self.output()}"
                )
            time.sleep(0.02)
        self.kill()
        pytest.fail(f"{what} did not happen within {timeout} s:\n{self.output()}")

    def kill(self) -> list[psutil.Process]:
        """SIGKILL the run's process group; return its descendants still alive 15 s later."""
        try:
            family = psutil.Process(self.proc.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            family = []
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)
        self.handle.close()
        _, alive = psutil.wait_procs(family, timeout=15)
        for proc in alive:  # processes this test started (by pid): do not leave them behind
            with contextlib.suppress(psutil.NoSuchProcess):
                proc.kill()
        return alive

    def finish(self) -> int:
        try:
            code = self.proc.wait(timeout=RUN_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail(f"the run did not finish within {RUN_TIMEOUT_S} s:\n{self.output()}")
        self.handle.close()
        return code


def _build_dirs(root: Path) -> list[Path]:
    return sorted(p for p in root.glob(TMP_GLOB) if p.is_dir())


def _in_build(root: Path, relative: str) -> Callable[[], list[Path]]:
    return lambda: sorted(root.glob(f"{TMP_GLOB}/{relative}"))


def _run_id(folder: Path) -> str:
    return str(json.loads((folder / publish.RUN_FILE).read_text())["run_id"])


@pytest.fixture
def reports(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> dict:
    """A reports folder holding a published report of the client, and that report's tree."""
    root = copy_reference(tmp_path_factory, tmp_path / "reports")
    target = root / SLUG
    return {"root": root, "target": target, "before": tree(target), "run_id": _run_id(target)}


def _assert_previous_report_intact(reports: dict, alive: list[psutil.Process]) -> None:
    target = reports["target"]
    assert not alive, f"processes of the killed run outlived it by 15 s: {[p.pid for p in alive]}"
    partial = [p.name for p in target.rglob("*") if p.name.startswith(".") or p.suffix == ".tmp"]
    assert not partial, f"partial files in the published folder: {partial}"
    after = tree(target)
    changed = sorted(
        k for k in set(after) | set(reports["before"]) if after.get(k) != reports["before"].get(k)
    )
    assert not changed, f"the published report changed under a killed run: {changed}"
    assert not (reports["root"] / publish.FAILED).exists(), "a killed run left a .failed folder"


def _assert_next_run_recovers(reports: dict, tmp_path: Path, leftover: Path) -> None:
    root, target = reports["root"], reports["target"]
    run = Run(root, tmp_path / "recovery.log")
    code = run.finish()
    out = run.output()
    assert code == 0, f"the run after the kill failed (exit {code}):\n{out}"
    assert not leftover.exists(), f"{leftover.name} was not cleaned by the next run"
    assert _build_dirs(root) == [], f"leftover build folders: {_build_dirs(root)}"
    assert f"{leftover.name}" in out, f"the next run does not say what it cleaned:\n{out}"
    new_id = _run_id(target)
    assert new_id != reports["run_id"] and new_id > reports["run_id"]
    for name in ("report.html", "report.pdf", "results.json", "configurations.csv", "run.json"):
        assert (target / name).is_file(), name
    archived = target / publish.HISTORY / reports["run_id"]
    assert archived.is_dir(), (
        f"the previous run is not in history/: {list((target / 'history').iterdir())}"
    )
    before_without_history = {
        k: v
        for k, v in reports["before"].items()
        if not (k == "history" or k.startswith("history/"))
    }
    assert tree(archived) == before_without_history, "the archived previous report is not complete"


def test_kill_while_a_notebook_runs(reports: dict, tmp_path: Path) -> None:
    run = Run(reports["root"], tmp_path / "killed.log")
    # 01's stage output is written in its first cell while 02 still sizes (papermill writes an
    # executed notebook only when it ends, by then the results may already be written)
    stage = run.wait_for(
        "notebook 01's output, 02 running",
        _in_build(reports["root"], "data/critical_performance.json"),
    )
    build = stage.parents[1]
    alive = run.kill()
    assert not (build / "results.json").exists(), (
        "killed too late: results.json was already written"
    )
    assert build.is_dir()
    _assert_previous_report_intact(reports, alive)
    _assert_next_run_recovers(reports, tmp_path, build)


def test_kill_while_the_pdf_renders(reports: dict, tmp_path: Path) -> None:
    run = Run(reports["root"], tmp_path / "killed.log")
    html = run.wait_for("report.html written", _in_build(reports["root"], "report.html"))
    build = html.parent
    alive = run.kill()
    assert (build / "results.json").is_file()
    assert not (build / "run.json").exists(), "killed too late: the run was complete"
    assert not (build / "report.pdf").exists(), "killed too late: report.pdf was already written"
    _assert_previous_report_intact(reports, alive)
    _assert_next_run_recovers(reports, tmp_path, build)


def test_kill_when_about_to_publish(reports: dict, tmp_path: Path) -> None:
    marker = tmp_path / "publishing"
    run = Run(
        reports["root"],
        tmp_path / "killed.log",
        env={runner.TEST_PAUSE_ENV: str(marker), runner.TEST_PAUSE_SECONDS_ENV: "120"},
    )
    run.wait_for("the publish step", lambda: [marker] if marker.exists() else [])
    builds = _build_dirs(reports["root"])
    alive = run.kill()
    assert len(builds) == 1, builds
    build = builds[0]
    assert (build / "run.json").is_file() and (build / "report.pdf").is_file(), "build incomplete"
    _assert_previous_report_intact(reports, alive)
    _assert_next_run_recovers(reports, tmp_path, build)


KILL_AFTER_EXCHANGE = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from llmdecide import publish

    def killed(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGKILL)

    publish._archive_old = killed  # SIGKILL right after the exchange, before archiving
    publish.publish(Path(sys.argv[1]), Path(sys.argv[2]), 10)
    """
)


def test_kill_inside_publish_after_the_exchange(reports: dict, tmp_path: Path) -> None:
    """No run needed: a complete build (a copy of the report with a newer run id) is published by
    the real ``publish.publish`` in a subprocess that is killed right after the exchange."""
    root, target = reports["root"], reports["target"]
    new_id = runner.new_run_id()
    build = publish.tmp_dir(root, SLUG, new_id)
    shutil.copytree(target, build, ignore=shutil.ignore_patterns(publish.HISTORY))
    run_json = json.loads((build / "run.json").read_text())
    (build / "run.json").write_text(json.dumps({**run_json, "run_id": new_id}))
    (build / "report.html").write_text("the new report")
    built = tree(build)

    done = subprocess.run(
        [sys.executable, "-c", KILL_AFTER_EXCHANGE, str(build), str(target)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == -signal.SIGKILL, done.stderr
    # the published folder is the new report, complete; the old one waits in the build's name
    assert tree(target) == built
    assert tree(build) == reports["before"]

    notes = publish.recover(root, SLUG, keep=10)
    assert notes == [f"archived run {reports['run_id']} left by an interrupted publish"], notes
    assert _build_dirs(root) == []
    assert tree(target, skip_history=True) == built
    archived = target / publish.HISTORY / reports["run_id"]
    assert tree(archived) == reports["before"]
