"""``llmdecide batch``: parallel clients, skip unchanged, failures isolated, Ctrl-C, IPC kernels.

Most tests give the workers a fake ``runner.run`` (``fake_run`` below, imported by name in each
worker process) so that they take a second, not a notebook run; the end-to-end test at the bottom
runs the real pipeline on two example clients.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from rich.console import Console

from llmdecide import (
    batch,
    batch_clients,
    batch_pool,
    fingerprint,
    kernels,
    notebook_run,
    portfolio,
    publish,
    runner,
)
from llmdecide.errors import InputError, Problem, RunError

TESTS_DIR = Path(__file__).resolve().parent
FAKE = f"{Path(__file__).stem}:fake_run"
KERNEL_FAKE = f"{Path(__file__).stem}:kernel_run"
KEPT_FAKE = f"{Path(__file__).stem}:kept_kernel_run"
REPO = runner.REPO_DIR


# -- fakes run inside the worker processes --------------------------------------------------------


def fake_run(
    params_path: str | Path,
    reports_root: Path,
    *,
    on_step: Any = None,
    keep: int | None = None,
    sequential_notebooks: bool = False,
) -> runner.RunOutcome:
    """Behaves like runner.run, driven by the params file's ``fake:`` section."""
    params_path = Path(params_path)
    data = yaml.safe_load(params_path.read_text()) or {}
    fake = data.get("fake") or {}
    slug = params_path.stem
    started = time.perf_counter()
    if on_step:
        on_step("validate inputs", 0.0)
    if fake.get("fail"):
        raise InputError(Problem(str(params_path), "fake.fail", str(fake["fail"])))
    if fake.get("crash"):
        print("about to crash", flush=True)
        os._exit(3)
    if fake.get("bug"):
        raise ValueError("a bug")
    if fake.get("kill"):
        print("about to be killed", flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
    time.sleep(float(fake.get("sleep", 0)))
    for name in notebook_run.NOTEBOOKS:
        if on_step:
            on_step(f"notebook {name}", 0.0)
    run_id = runner.new_run_id()
    build = publish.tmp_dir(reports_root, slug, run_id)
    build.mkdir(parents=True)
    results = {
        "client": {"name": data["client"]["name"], "currency": "EUR", "slug": slug},
        "recommendation": {"hosting": "api", "model": "gpt-4o-mini"},
        "feasible": True,
        "estimates": {"monthly_cost": 100.0, "monthly_kgco2e": 1.0},
        "limits": {"cost": {"metric": "monthly_cost", "limit": 1000}},
    }
    (build / "results.json").write_text(json.dumps(results))
    (build / "report.html").write_text(f"<html>{run_id}</html>")
    (build / "run.json").write_text(
        json.dumps(
            {
                "run_id": run_id,
                "fingerprint": fingerprint.compute(params_path).sha256,
                "finished": "2026-01-01T00:00:00+00:00",
                "sequential_notebooks": sequential_notebooks,
                "worker_pid": os.getpid(),  # which worker ran it (workers are reused)
            }
        )
    )
    publish.publish(build, reports_root / slug, keep or 3)
    return runner.RunOutcome(
        slug, run_id, reports_root / slug, [("all", time.perf_counter() - started)]
    )


KERNEL_CELL = (
    "import os, pathlib, time\n"
    "from ipykernel import get_connection_info\n"
    "pathlib.Path(out, 'connection.json').write_text(get_connection_info())\n"
    "pathlib.Path(out, 'pid').write_text(str(os.getpid()))\n"
    "time.sleep(seconds)\n"
)


def _kernel_notebook(out: Path, code: str) -> Path:
    # lazily, as nbformat was: every batch worker imports this module
    from _notebooks import write_notebook

    out.mkdir(parents=True, exist_ok=True)
    return write_notebook(out / "in.ipynb", 'out = ""\nseconds = 0', code)


def kernel_run(
    params_path: str | Path,
    reports_root: Path,
    *,
    on_step: Any = None,
    keep: int | None = None,
    sequential_notebooks: bool = False,
) -> runner.RunOutcome:
    """Runs a notebook that records its kernel's pid and connection, then sleeps."""
    import papermill

    params_path = Path(params_path)
    out = reports_root / f".fake-{params_path.stem}"
    notebook = _kernel_notebook(out, KERNEL_CELL)
    if on_step:
        on_step("validate inputs", 0.0)
    seconds = (yaml.safe_load(params_path.read_text()) or {}).get("seconds", 0)
    papermill.execute_notebook(
        str(notebook),
        str(out / "out.ipynb"),
        parameters={"out": str(out), "seconds": seconds},
        kernel_name="python3",
        progress_bar=False,
    )
    raise RunError("the kernel fake never publishes")


def kept_kernel_run(
    params_path: str | Path,
    reports_root: Path,
    *,
    on_step: Any = None,
    keep: int | None = None,
    sequential_notebooks: bool = False,
) -> runner.RunOutcome:
    """The runner's sequential path (``notebook_run._one_kernel``: the batch worker's kept kernel) on a
    notebook that fails unless its namespace is fresh, appends its kernel's pid to ``pids`` and
    sleeps ``seconds``; then publishes as ``fake_run`` does."""
    params_path = Path(params_path)
    out = reports_root / f".fake-{params_path.stem}"
    code = "assert 'leftover' not in globals(), 'not reset'\nleftover = 1\n" + KERNEL_CELL
    code += "with open(pathlib.Path(out, 'pids'), 'a') as f:\n    f.write(f'{os.getpid()}\\n')\n"
    notebook = _kernel_notebook(out, code)
    seconds = (yaml.safe_load(params_path.read_text()) or {}).get("seconds", 0)

    def one(name: str, kernel: kernels.WarmKernel | None) -> float:
        parameters = {"out": str(out), "seconds": seconds}
        notebook_run.execute_notebook(
            notebook, out / f"{name}.ipynb", parameters, out, kernel=kernel
        )
        return 0.0

    notebook_run._one_kernel(one, lambda name, seconds: None)
    return fake_run(params_path, reports_root, on_step=on_step, keep=keep)


# -- helpers ---------------------------------------------------------------------------------------


def _client(folder: Path, slug: str, **fake: Any) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{slug}.yaml"
    path.write_text(yaml.safe_dump({"client": {"name": slug.title()}, "fake": fake}))
    return path


def _console() -> Console:
    return Console(file=io.StringIO(), width=120, force_terminal=False)


def _tree_hash(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        digest.update(str(path.relative_to(folder)).encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False


# -- collecting params files ---------------------------------------------------------------------


def test_collect_params_files(tmp_path: Path) -> None:
    clients = tmp_path / "clients"
    a, b = _client(clients, "a"), _client(clients, "b")
    (clients / "_template.yaml").write_text("client: {}\n")
    (clients / "notes.txt").write_text("not a client")
    extra = _client(tmp_path / "elsewhere", "c")
    assert batch_clients.collect_params_files([clients]) == [a, b]
    assert batch_clients.collect_params_files([clients, extra, a]) == [a, b, extra]
    template = clients / "_template.yaml"
    assert batch_clients.collect_params_files([template]) == [template]  # named explicitly: taken
    with pytest.raises(InputError, match="no such file or folder"):
        batch_clients.collect_params_files([tmp_path / "missing"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match=r"no client params file"):
        batch_clients.collect_params_files([tmp_path / "empty"])


def test_jobs_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="--jobs"):
        batch.run_batch([_client(tmp_path, "a")], 0, False, tmp_path / "r", _console())


# -- IPC kernels -----------------------------------------------------------------------------------


def test_kernel_manager_kwargs_gives_each_kernel_its_own_socket(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(kernels.TRANSPORT_ENV, raising=False)
    first, second = kernels.kernel_manager_kwargs(), kernels.kernel_manager_kwargs()
    assert first["config"].KernelManager.transport == "ipc"
    assert first["config"].KernelManager.ip != second["config"].KernelManager.ip
    assert Path(first["config"].KernelManager.ip).is_absolute()
    monkeypatch.setenv(kernels.TRANSPORT_ENV, "tcp")
    assert kernels.kernel_manager_kwargs() == {}


# -- with the fake runner --------------------------------------------------------------------------


def test_skip_unchanged_and_force(tmp_path: Path) -> None:
    clients, reports = tmp_path / "clients", tmp_path / "reports"
    files = [_client(clients, "alpha", sleep=0.2), _client(clients, "beta", sleep=0.2)]
    terminal = Console(file=io.StringIO(), width=120, force_terminal=True)  # live display path
    first = batch.run_batch(files, 2, False, reports, terminal, run_client=FAKE)
    assert [o.status for o in first] == ["ok", "ok"], [o.message for o in first]
    assert first[0].recommendation == "API · gpt-4o-mini"
    assert first[0].name == "Alpha"
    assert (reports / "alpha" / "report.html").is_file()
    assert "done in" in terminal.file.getvalue()  # type: ignore[attr-defined]
    run = json.loads((reports / "alpha" / "run.json").read_text())
    assert run["sequential_notebooks"] is True  # two clients side by side: one kernel each

    started = time.perf_counter()
    second = batch.run_batch(files, 2, False, reports, _console(), run_client=FAKE)
    assert time.perf_counter() - started < 2
    assert [o.status for o in second] == ["skipped", "skipped"]
    assert second[1].recommendation == "API · gpt-4o-mini"

    files[1].write_text(files[1].read_text() + "# edited\n")  # one input changed
    third = batch.run_batch(files, 2, False, reports, _console(), run_client=FAKE)
    assert [o.status for o in third] == ["skipped", "ok"]

    forced = batch.run_batch(files, 2, True, reports, _console(), run_client=FAKE)
    assert [o.status for o in forced] == ["ok", "ok"]
    assert len(list((reports / "alpha" / "history").iterdir())) == 1

    alone = batch.run_batch(files[:1], 2, True, reports, _console(), run_client=FAKE)
    assert [o.status for o in alone] == ["ok"]  # one client: its notebooks 01 and 02 side by side
    assert json.loads((reports / "alpha" / "run.json").read_text())["sequential_notebooks"] is False


def test_failures_are_isolated_and_the_rest_published(tmp_path: Path) -> None:
    clients, reports = tmp_path / "clients", tmp_path / "reports"
    good = _client(clients, "good")
    broken = _client(clients, "broken")
    _client(clients, "crash", crash=True)
    _client(clients, "buggy", bug=True)
    _client(clients, "later", sleep=0.3)
    (clients / "Bad Name.yaml").write_text("client: {name: x}\n")
    # a first batch publishes 'broken' while it is still fine
    assert batch.run_batch([broken], 1, False, reports, _console(), run_client=FAKE)[0].succeeded
    before = _tree_hash(reports / "broken")
    broken.write_text(yaml.safe_dump({"client": {"name": "Broken"}, "fake": {"fail": "bad key"}}))

    out = _console()
    code = batch.main([clients], 2, False, reports, language="en", console=out, run_client=FAKE)
    text = out.file.getvalue()  # type: ignore[attr-defined]
    assert code == 1
    assert "2 run, 0 skipped (unchanged), 4 failed" in text
    assert (reports / "good" / "report.html").is_file()
    assert (reports / "later" / "report.html").is_file()
    assert _tree_hash(reports / "broken") == before  # its previous report is intact
    assert "broken.yaml: fake.fail: bad key" in text
    assert "the worker process died (exit code 3)" in text
    assert "about to crash" in text  # the last lines of its output are quoted
    assert "ValueError: a bug" in text
    assert "'Bad Name' is not a valid client slug" in text
    index = (reports / "index.html").read_text()
    assert "failed: " in index and "showing the previous report" in index
    assert "bad key" in index
    assert not [p for p in reports.iterdir() if ".tmp-" in p.name]
    assert json.loads((reports / "good" / "run.json").read_text())["fingerprint"] == (
        fingerprint.compute(good).sha256
    )


def _worker_pid(reports: Path, slug: str) -> int:
    return int(json.loads((reports / slug / "run.json").read_text())["worker_pid"])


def test_a_worker_runs_clients_one_after_another(tmp_path: Path) -> None:
    """At most ``jobs`` worker processes, each reused for the next client: one job, three clients,
    one process; two jobs, four clients, two processes (the imports paid once per worker)."""
    clients, reports = tmp_path / "clients", tmp_path / "reports"
    files = [_client(clients, f"c{i}") for i in range(1, 5)]
    outcomes = batch.run_batch(files[:3], 1, False, reports, _console(), run_client=FAKE)
    assert [o.status for o in outcomes] == ["ok"] * 3, [o.message for o in outcomes]
    assert len({_worker_pid(reports, f"c{i}") for i in range(1, 4)}) == 1
    assert _worker_pid(reports, "c1") != os.getpid()  # a worker, not this process
    slow = [_client(clients, f"s{i}", sleep=0.5) for i in range(1, 5)]
    outcomes = batch.run_batch(slow, 2, False, reports, _console(), run_client=FAKE)
    assert [o.status for o in outcomes] == ["ok"] * 4, [o.message for o in outcomes]
    assert len({_worker_pid(reports, f"s{i}") for i in range(1, 5)}) == 2
    # each client's output in its own log, even from one worker
    assert (reports / ".batch" / "s1.log").is_file() and (reports / ".batch" / "s4.log").is_file()


def test_a_killed_worker_fails_its_client_only_and_a_new_one_goes_on(tmp_path: Path) -> None:
    """One job: the worker that ran 'first' is SIGKILLed during 'killed'; that client fails with
    its exit code and log tail, and a new worker runs 'after'."""
    clients, reports = tmp_path / "clients", tmp_path / "reports"
    files = [_client(clients, "first"), _client(clients, "killed", kill=True)]
    files.append(_client(clients, "after"))
    out = _console()
    outcomes = batch.run_batch(files, 1, False, reports, out, run_client=FAKE)
    assert [o.status for o in outcomes] == ["ok", "failed", "ok"], [o.message for o in outcomes]
    message = outcomes[1].message
    assert f"the worker process died (exit code -{signal.SIGKILL.value})" in message
    assert "about to be killed" in message  # its own log's tail, not another client's
    assert _worker_pid(reports, "first") != _worker_pid(reports, "after")
    assert not (reports / "killed").exists()


def test_kept_kernel_is_reset_replaced_when_dead_and_keeps_its_output_apart(
    tmp_path: Path,
) -> None:
    """``notebook_run.KeptKernel``: the same kernel for each ``take`` (made fresh again), a new one
    once it died; its process writes to its own log, and this process's fds are given back."""
    log = tmp_path / "kernel.log"
    own_fds = [os.readlink(f"/proc/self/fd/{fd}") for fd in (1, 2)]
    kept = notebook_run.KeptKernel(log)
    try:
        first = kept.take()
        pid = first.manager.provisioner.pid  # type: ignore[union-attr]
        assert [os.readlink(f"/proc/self/fd/{fd}") for fd in (1, 2)] == own_fds
        assert kept.take() is first and kept.started == 1  # reset (so ready), not restarted
        kernel_fds = set()
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            with contextlib.suppress(OSError):  # an fd closed meanwhile
                kernel_fds.add(os.readlink(fd))
        assert str(log) in kernel_fds  # its stdout/stderr: the kernel log
        os.kill(pid, signal.SIGKILL)
        while _alive(pid):
            time.sleep(0.05)
        second = kept.take()
        assert second is not first and first.closed and kept.started == 2
        assert second.manager.provisioner.pid != pid  # type: ignore[union-attr]
    finally:
        kept.close()
    assert second.closed


def test_a_worker_keeps_its_kernel_across_clients(tmp_path: Path) -> None:
    """Two jobs (sequential notebooks), four clients: each worker runs every notebook of its
    clients in one kernel, made fresh between notebooks and clients (the notebook fails on a
    name left by the previous one); no kernel outlives the batch."""
    clients, reports = tmp_path / "clients", tmp_path / "reports"
    files = []
    for i in range(1, 5):
        path = clients / f"k{i}.yaml"
        clients.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump({"client": {"name": f"K{i}"}, "seconds": 0.3}))
        files.append(path)
    outcomes = batch.run_batch(files, 2, False, reports, _console(), run_client=KEPT_FAKE)
    assert [o.status for o in outcomes] == ["ok"] * 4, [o.message for o in outcomes]
    by_worker: dict[int, set[int]] = {}
    for i in range(1, 5):
        pids = (reports / f".fake-k{i}" / "pids").read_text().split()
        assert len(pids) == len(notebook_run.NOTEBOOKS) and len(set(pids)) == 1, pids
        by_worker.setdefault(_worker_pid(reports, f"k{i}"), set()).update(map(int, pids))
    assert len(by_worker) == 2
    assert all(len(kernels_) == 1 for kernels_ in by_worker.values()), by_worker
    for kernel_pid in set().union(*by_worker.values()):
        assert not _alive(kernel_pid), "a kept kernel outlived its worker"
    assert (reports / ".batch" / "worker-1.kernel.log").is_file()


SHUTDOWN_ROUNDS = 30
ROUND_LIMIT_S = 30.0
"""One round (three trivial clients, three workers) takes ~1 s; 30 s only on a stalled box."""


@pytest.mark.timeout(300)  # a deadlock fails here with every thread's stack (pytest-timeout)
def test_worker_shutdown_never_hangs_over_many_rounds(tmp_path: Path) -> None:
    """Start and close the worker pool 30 times: two worker deadlocks at exit were fixed (a
    feeder thread joined at exit, a forkserver preload with live threads); a regression is
    intermittent, so the exit paths (success, input error, bug) run many times, each round
    bounded in time and leaving no worker, no extra thread and no temporary folder behind."""
    import multiprocessing
    import threading

    clients, reports = tmp_path / "clients", tmp_path / "reports"
    files = [_client(clients, "ok"), _client(clients, "bad", fail="bad key")]
    files.append(_client(clients, "bug", bug=True))
    threads_before = threading.active_count()
    slowest = 0.0
    for round_ in range(SHUTDOWN_ROUNDS):
        started = time.perf_counter()
        outcomes = batch.run_batch(files, 3, True, reports, _console(), run_client=FAKE)
        took = time.perf_counter() - started
        slowest = max(slowest, took)
        assert [o.status for o in outcomes] == ["ok", "failed", "failed"], (round_, outcomes)
        assert "bad key" in outcomes[1].message and "ValueError: a bug" in outcomes[2].message
        assert took < ROUND_LIMIT_S, f"round {round_} took {took:.1f} s"
        assert multiprocessing.active_children() == [], f"round {round_}: workers left"
        assert threading.active_count() <= threads_before, f"round {round_}: threads left"
    assert not [p for p in reports.iterdir() if ".tmp-" in p.name]
    assert slowest < ROUND_LIMIT_S


def test_duplicate_slugs_fail_the_second(tmp_path: Path) -> None:
    first = _client(tmp_path / "one", "acme")
    second = _client(tmp_path / "two", "acme")
    outcomes = batch.run_batch(
        [first, second], 1, False, tmp_path / "reports", _console(), run_client=FAKE
    )
    assert [o.status for o in outcomes] == ["ok", "failed"]
    assert "same client slug 'acme'" in outcomes[1].message
    assert batch.exit_code(outcomes) == 2


def test_exit_codes() -> None:
    def outcome(status: str, code: int = 0) -> batch_clients.ClientOutcome:
        return batch_clients.ClientOutcome("a", Path("a.yaml"), status, exit_code=code)

    assert batch.exit_code([outcome("ok"), outcome("skipped")]) == 0
    assert batch.exit_code([outcome("ok"), outcome("failed", 2)]) == 2
    assert batch.exit_code([outcome("failed", 2), outcome("failed", 1)]) == 1
    assert batch.exit_code([outcome("failed", 1), outcome("cancelled", 130)]) == 130


@pytest.mark.parametrize("fake", [KERNEL_FAKE, KEPT_FAKE], ids=["papermill", "kept"])
def test_ctrl_c_cancels_queued_stops_running_and_leaves_no_kernel(
    tmp_path: Path, fake: str
) -> None:
    clients, reports = tmp_path / "clients", tmp_path / "reports"
    clients.mkdir()
    for slug in ("k1", "k2", "k3"):
        (clients / f"{slug}.yaml").write_text("seconds: 120\n")
    script = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        sys.path.insert(0, {str(TESTS_DIR)!r})
        from llmdecide import batch
        code = batch.main([Path({str(clients)!r})], 2, False, Path({str(reports)!r}),
                          language="en", run_client={fake!r})
        sys.exit(code)
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, kernels.TRANSPORT_ENV: "ipc"},
    )
    pid_files = [reports / ".fake-k1" / "pid", reports / ".fake-k2" / "pid"]
    deadline = time.monotonic() + 90
    while not all(p.is_file() and p.read_text() for p in pid_files):
        assert proc.poll() is None, proc.communicate()[0]
        assert time.monotonic() < deadline, "kernels did not start"
        time.sleep(0.2)
    kernel_pids = [int(p.read_text()) for p in pid_files]
    assert all(_alive(k) for k in kernel_pids)
    connection = json.loads((reports / ".fake-k1" / "connection.json").read_text())
    assert connection["transport"] == "ipc"  # no TCP port to clash between parallel kernels

    interrupted = time.monotonic()
    proc.send_signal(signal.SIGINT)
    output, _ = proc.communicate(timeout=60)
    stopped_in = time.monotonic() - interrupted
    assert proc.returncode == 130, output
    assert stopped_in < batch_pool.STOP_GRACE_S
    assert "3 cancelled" in output
    deadline = time.monotonic() + 10
    while any(_alive(k) for k in kernel_pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [k for k in kernel_pids if _alive(k)], "a kernel survived the interrupted batch"
    assert not (reports / ".fake-k3").exists()  # the queued client never started
    assert "k3" in (reports / "index.html").read_text()  # the portfolio says it was interrupted


# -- end to end (the real pipeline) ----------------------------------------------------------------


@pytest.mark.slow
def test_end_to_end_skip_force_and_broken_client(tmp_path: Path) -> None:
    # the repo's layout, so that the law firm's ../../measurements/... path resolves
    clients, reports = tmp_path / "params" / "clients", tmp_path / "reports"
    clients.mkdir(parents=True)
    shutil.copytree(REPO / "measurements", tmp_path / "measurements")
    for name in ("example-retail", "example-lawfirm"):
        shutil.copyfile(REPO / "params" / "clients" / f"{name}.yaml", clients / f"{name}.yaml")

    out = _console()
    assert batch.main([clients], 2, False, reports, language="en", console=out) == 0, (
        out.file.getvalue()  # type: ignore[attr-defined]
    )
    for name in ("example-retail", "example-lawfirm"):
        assert (reports / name / "report.html").is_file()
        assert (reports / name / "report.pdf").is_file()
        run = json.loads((reports / name / "run.json").read_text())
        assert run["fingerprint"] == fingerprint.compute(clients / f"{name}.yaml").sha256
    index = (reports / "index.html").read_text()
    assert "Example Law Firm LLP" in index and "Exemple Retail" in index

    started = time.perf_counter()
    out = _console()
    assert batch.main([clients], 2, False, reports, language="en", console=out) == 0
    assert time.perf_counter() - started < 2
    assert "2 skipped" in out.file.getvalue()  # type: ignore[attr-defined]

    before = _tree_hash(reports / "example-lawfirm")
    lawfirm = clients / "example-lawfirm.yaml"
    lawfirm.write_text(lawfirm.read_text().replace("usage:", "usage:\n  requests_per_dya: 3", 1))
    out = _console()
    code = batch.main([clients], 2, True, reports, language="en", console=out)
    text = out.file.getvalue()  # type: ignore[attr-defined]
    assert code == 2, text
    assert "requests_per_dya" in text
    assert _tree_hash(reports / "example-lawfirm") == before
    retail = json.loads((reports / "example-retail" / "run.json").read_text())
    assert len(list((reports / "example-retail" / "history").iterdir())) == 1  # it ran again
    assert retail["fingerprint"]
    assert "showing the previous report" in (reports / "index.html").read_text()
    assert portfolio.INDEX == "index.html"


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="environment: needs Linux /proc")
def test_the_forkserver_preloads_only_modules_that_start_no_thread() -> None:
    """Workers are forked from the forkserver: a preloaded module with a live thread (papermill
    pulls in pyarrow's jemalloc threads) can deadlock a forked worker. Each preload, imported in a
    fresh interpreter, must leave it with one thread."""
    import subprocess
    import sys

    for module in batch_pool.PRELOAD:
        code = f"import os, {module}; print(len(os.listdir('/proc/self/task')))"
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        )
        assert out.stdout.strip() == "1", f"{module} leaves {out.stdout.strip()} threads"
