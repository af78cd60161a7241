"""The bad-input corpus (tests/bad_inputs/): every broken input exits 2 with one clear message per
problem, no traceback, and leaves ``reports/`` byte-identical.

Each case is a folder ``tests/bad_inputs/<NNN>-<name>/`` holding

* ``params.yaml``: usually the valid client of ``tests/bad_inputs/_valid/`` with one thing broken
  (absent for the ``new``/``report`` cases and the cases that name another file);
* the data files it refers to (usage logs, emissions logs), by paths relative to ``params.yaml``;
* ``expect.yaml``:

  - ``fragments``: substrings that must all appear on stderr (the key path and the fix);
  - ``command``: ``run`` (default), ``validate``, ``new`` or ``report``;
  - ``slug``: the argument of ``new``/``report``; ``args``: the whole argument list when the
    default (``params.yaml``, or the slug) is not it;
  - ``file``: the file name every error line starts with (default ``params.yaml``), or a list;
  - ``problems``: the exact number of error lines (one per problem);
  - ``absent``: paths that must not exist afterwards (e.g. what a Python tag would create);
  - ``xfail``: a known bug in ``lib/`` (the case is ``xfail(strict=True)`` with that reason).

Each case runs in a copy of its folder (so relative paths work and the repository is never
written), with ``$LLMDECIDE_REPORTS`` pointing at a reports tree that already holds a published
report; both trees are hashed before and after. The CLI runs in-process (typer's CliRunner) for
speed; ``test_process_level_exit_status`` runs three cases through a real process.

What is *not* an input error, by contract, and so is not in the corpus:

* limits that no configuration can meet (a 1 ms latency, a cost limit of 1): the inputs are valid
  and the run publishes a "nothing is feasible" report; the corpus has schema-impossible values
  instead (a precision limit of 150, 10^12 input tokens). ``test_unmeetable_limits_are_valid``.
* inconsistent AHP judgements (a consistency ratio above the catalog's threshold): a warning in
  the report, not an error; judgements outside 1/9..9, missing or contradictory pairs are errors.
  ``test_inconsistent_ahp_is_a_warning_not_an_error``.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from _method import METHOD
from llmdecide import runner as runner_mod
from llmdecide.cli import app

HERE = Path(__file__).resolve().parent
CASES_DIR = HERE / "bad_inputs"
VALID_DIR = CASES_DIR / "_valid"
CASE_NAME = re.compile(r"^\d{2,}-[a-z0-9-]+$")
EXPECT_KEYS = {"command", "slug", "args", "file", "fragments", "problems", "absent", "xfail"}
COMMANDS = {"run", "validate", "new", "report"}
MIN_CASES = 60
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
PUBLISHED_SLUG = "params"  # ``run params.yaml`` publishes under reports/params


def case_dirs() -> list[Path]:
    return sorted(p for p in CASES_DIR.iterdir() if p.is_dir() and CASE_NAME.match(p.name))


def load_expect(folder: Path) -> dict[str, Any]:
    expect = yaml.safe_load((folder / "expect.yaml").read_text(encoding="utf-8"))
    assert isinstance(expect, dict), f"{folder.name}/expect.yaml: expected a mapping"
    unknown = set(expect) - EXPECT_KEYS
    assert not unknown, f"{folder.name}/expect.yaml: unknown keys {sorted(unknown)}"
    assert expect.get("fragments"), f"{folder.name}/expect.yaml: give at least one fragment"
    assert expect.get("command", "run") in COMMANDS, f"{folder.name}: unknown command"
    return expect


def _case_params() -> list[Any]:
    params = []
    for folder in case_dirs():
        reason = load_expect(folder).get("xfail")
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        params.append(pytest.param(folder, id=folder.name, marks=marks))
    return params


def tree_hash(root: Path) -> str:
    """sha256 over every relative path (files, folders, symlinks) and file bytes under ``root``."""
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_symlink():
            digest.update(f"L {rel} -> {os.readlink(path)}\n".encode())
        elif path.is_dir():
            digest.update(f"D {rel}\n".encode())
        else:
            digest.update(f"F {rel} {path.stat().st_size}\n".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def make_reports(root: Path) -> Path:
    """A reports tree with a previously published run of ``params`` and a portfolio page."""
    published = root / PUBLISHED_SLUG
    for rel, text in {
        "report.html": "<html><body>previous report</body></html>\n",
        "report.pdf": "%PDF-1.7 previous\n",
        "results.json": '{"run_id": "20250101T000000Z-abcd"}\n',
        "run.json": '{"run_id": "20250101T000000Z-abcd", "slug": "params"}\n',
        "configurations.csv": "configuration,score\na,0.5\n",
        "history/20241201T000000Z-0123/report.html": "<html>older</html>\n",
        "history/20241201T000000Z-0123/run.json": '{"run_id": "20241201T000000Z-0123"}\n',
    }.items():
        path = published / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (root / "index.html").write_text("<html>portfolio</html>\n", encoding="utf-8")
    return root


def cli_runner() -> CliRunner:
    try:
        return CliRunner(mix_stderr=False)  # type: ignore[call-arg]  # click < 8.2
    except TypeError:
        return CliRunner()  # click >= 8.2: result.stderr is always separate


def arguments(expect: dict[str, Any]) -> list[str]:
    command = expect.get("command", "run")
    if "args" in expect:
        rest = [str(a) for a in expect["args"]]
    elif command in ("new", "report"):
        rest = [str(expect["slug"])]
    else:
        rest = ["params.yaml"]
    return [command, *rest]


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.strip()]


def names_file(line: str, files: list[str]) -> bool:
    """``error: <file>: ...`` where <file> is one of ``files`` (or a path ending with one)."""
    if not line.startswith("error: "):
        return False
    rest = line.removeprefix("error: ")
    return any(
        rest.startswith(f + ":") or re.match(rf"^/\S.*/{re.escape(f)}:", rest) for f in files
    )


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """(working folder, reports root): the case is copied into the first, cwd is set to it."""
    work = tmp_path / "case"
    reports = make_reports(tmp_path / "reports")
    monkeypatch.setenv("LLMDECIDE_REPORTS", str(reports))
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "400")

    def accepted(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the inputs were accepted: the run got past validation")

    # a case that unexpectedly validates must fail here, not run notebooks and publish
    monkeypatch.setattr(runner_mod, "client_lock", accepted)
    return work, reports


def run_case(folder: Path, work: Path, reports: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    expect = load_expect(folder)
    shutil.copytree(folder, work, symlinks=True)
    (work / "expect.yaml").unlink()
    monkeypatch.chdir(work)
    before = (tree_hash(reports), tree_hash(work))

    result = cli_runner().invoke(app, arguments(expect), catch_exceptions=True)

    stderr = ANSI.sub("", result.stderr)
    output = ANSI.sub("", result.output)
    shown = f"exit {result.exit_code}, exception {result.exception!r}\n--- output:\n{output}"
    assert result.exit_code == 2, shown
    assert result.exception is None or isinstance(result.exception, SystemExit), shown
    assert "Traceback" not in output, shown
    for fragment in expect["fragments"]:
        assert fragment in stderr, f"missing {fragment!r}\n{shown}"
    files = expect.get("file", "params.yaml")
    files = [files] if isinstance(files, str) else list(files)
    lines = error_lines(stderr)
    assert lines, shown
    for line in lines:
        assert names_file(line, files), f"line does not start with 'error: {files}:': {line}"
    if "problems" in expect:
        assert len(lines) == expect["problems"], f"expected {expect['problems']} lines\n{shown}"
    assert len(lines) == len(set(lines)), f"a problem is reported twice\n{shown}"
    for rel in expect.get("absent", []):
        assert not (work / rel).exists(), f"{rel} was created"
    assert tree_hash(reports) == before[0], "reports/ changed"
    assert tree_hash(work) == before[1], "the working folder changed"


@pytest.mark.parametrize("folder", _case_params())
def test_bad_input(
    folder: Path, workspace: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    run_case(folder, *workspace, monkeypatch)


def test_corpus_has_enough_cases() -> None:
    cases = case_dirs()
    assert len(cases) >= MIN_CASES, f"{len(cases)} cases in {CASES_DIR}, want {MIN_CASES}"
    strays = [
        p.name
        for p in CASES_DIR.iterdir()
        if p.is_dir() and p != VALID_DIR and not CASE_NAME.match(p.name)
    ]
    assert not strays, f"folders that are not cases (<NNN>-<name>): {strays}"
    numbers = [p.name.split("-", 1)[0] for p in cases]
    assert len(numbers) == len(set(numbers)), "two cases share a number"
    for folder in cases:
        load_expect(folder)
        assert sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) < 16_384, (
            f"{folder.name}: keep case files small (generate big ones in the test)"
        )


def _validate(work: Path, monkeypatch: pytest.MonkeyPatch, *names: str) -> Any:
    monkeypatch.chdir(work)
    return cli_runner().invoke(app, ["validate", *names], catch_exceptions=False)


def test_the_valid_base_is_accepted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The cases break this file in one place; it validates, with its usage and emissions logs."""
    work = tmp_path / "valid"
    shutil.copytree(VALID_DIR, work)
    result = _validate(work, monkeypatch, "params.yaml")
    assert result.exit_code == 0, result.output
    assert "ok params.yaml" in result.stdout


BASE_TEXT = (VALID_DIR / "params.yaml").read_text(encoding="utf-8").split("measurements:")[0]


def test_unmeetable_limits_are_valid(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Limits no configuration meets are valid inputs (the report says nothing is feasible)."""
    text = (
        BASE_TEXT.replace("limit: 3.0}", "limit: 0.001}")
        .replace("limit: 0.90}", "limit: 0.999}")
        .replace("limit: 6000}", "limit: 1}")
        .replace("limit: 300}", "limit: 0.001}")
    )
    assert text.count("limit: 0.001}") == 2
    tmp_path.joinpath("params.yaml").write_text(text, encoding="utf-8")
    result = _validate(tmp_path, monkeypatch, "params.yaml")
    assert result.exit_code == 0, result.output


def test_inconsistent_ahp_is_a_warning_not_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cyclic judgements (cost > performance > precision > cost) validate; AHP warns."""
    from llmdecide import priorities

    judgements = {"cost_vs_performance": 9, "performance_vs_precision": 9, "precision_vs_cost": 9}
    text = re.sub(
        r"  priorities: .*\n",
        "  pairwise: {" + ", ".join(f"{k}: {v}" for k, v in judgements.items()) + "}\n",
        BASE_TEXT,
    )
    tmp_path.joinpath("params.yaml").write_text(text, encoding="utf-8")
    result = _validate(tmp_path, monkeypatch, "params.yaml")
    assert result.exit_code == 0, result.output
    weighted = priorities.ahp(judgements, cr_threshold=METHOD["ahp_consistency_threshold"])
    assert weighted.consistency_ratio is not None and weighted.consistency_ratio > 0.1
    assert weighted.warning


def test_huge_params_file(workspace: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """A params file over 1 MiB is refused before it is parsed (generated here, not committed)."""
    work, reports = workspace
    folder = work.parent / "huge-case"
    folder.mkdir()
    padding = "# " + "x" * 98 + "\n"
    (folder / "params.yaml").write_text(
        BASE_TEXT + padding * (1024 * 1024 // len(padding) + 10), encoding="utf-8"
    )
    assert (folder / "params.yaml").stat().st_size > 1024 * 1024
    (folder / "expect.yaml").write_text(
        yaml.safe_dump({"fragments": ["params.yaml: the file is", "limit 1 MiB"], "problems": 1})
    )
    run_case(folder, work, reports, monkeypatch)


@pytest.mark.parametrize("command", ["run", "validate"])
def test_client_catalog_record_without_source(
    workspace: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    """A consultant's catalog ($LLMDECIDE_CATALOG) with a record that lost its ``source``: one
    message naming the catalog file and the key path, exit 2, reports untouched. Generated here
    (a whole catalog copy is too big for a case folder)."""
    from llmdecide import catalog

    work, reports = workspace
    folder = work.parent / "catalog-case"
    folder.mkdir()
    shutil.copy(VALID_DIR / "usage.csv", folder / "usage.csv")
    shutil.copy(VALID_DIR / "emissions.csv", folder / "emissions.csv")
    shutil.copy(VALID_DIR / "params.yaml", folder / "params.yaml")
    client_catalog = work.parent / "client-catalog"
    shutil.copytree(catalog.DEFAULT_FOLDER, client_catalog)
    gpus = client_catalog / "gpus.yaml"
    text = gpus.read_text(encoding="utf-8")
    # drop the source line of the L4 record (the last GPU whose block starts with "  L4:")
    head, l4 = text.split("\n  L4:\n", 1)
    l4 = re.sub(r"\n    source: [^\n]*", "", l4, count=1)
    gpus.write_text(f"{head}\n  L4:\n{l4}", encoding="utf-8")
    monkeypatch.setenv("LLMDECIDE_CATALOG", str(client_catalog))
    expect = {
        "command": command,
        "file": "gpus.yaml",
        "fragments": ["gpus.yaml: gpus.L4.source: ", "add source: <URL or document reference>"],
        "problems": 1,
    }
    (folder / "expect.yaml").write_text(yaml.safe_dump(expect))
    run_case(folder, work, reports, monkeypatch)


@pytest.mark.skipif(
    os.geteuid() == 0,
    reason="environment: root reads files whatever their mode, so chmod 000 cannot be tested",
)
@pytest.mark.parametrize(
    ("unreadable", "measurements", "fragment"),
    [
        ("params.yaml", "", "params.yaml: cannot be read (Permission denied)"),
        (
            "usage.csv",
            "measurements:\n  usage_log: usage.csv\n",
            "params.yaml: measurements.usage_log: ",
        ),
    ],
    ids=["params", "usage-log"],
)
def test_unreadable_files(
    workspace: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
    unreadable: str,
    measurements: str,
    fragment: str,
) -> None:
    work, reports = workspace
    folder = work.parent / "unreadable-case"
    folder.mkdir()
    (folder / "params.yaml").write_text(BASE_TEXT + measurements, encoding="utf-8")
    shutil.copy(VALID_DIR / "usage.csv", folder / "usage.csv")
    (folder / "expect.yaml").write_text(yaml.safe_dump({"fragments": [fragment], "problems": 1}))
    (folder / unreadable).chmod(0)
    try:
        run_case(folder, work, reports, monkeypatch)
    finally:
        (folder / unreadable).chmod(0o644)
        if (work / unreadable).exists():
            (work / unreadable).chmod(0o644)


@pytest.mark.parametrize(
    ("link", "measurements", "fragment"),
    [
        ("params.yaml", "", "params.yaml: is not a regular file"),
        (
            "usage.csv",
            "measurements:\n  usage_log: usage.csv\n",
            "params.yaml: measurements.usage_log: is not a regular file",
        ),
    ],
    ids=["params", "usage-log"],
)
def test_device_instead_of_a_file(
    workspace: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
    link: str,
    measurements: str,
    fragment: str,
) -> None:
    """A symlink to a device: /dev/null here (/dev/zero would be read until memory runs out)."""
    work, reports = workspace
    folder = work.parent / "device-case"
    folder.mkdir()
    (folder / "params.yaml").write_text(BASE_TEXT + measurements, encoding="utf-8")
    (folder / link).unlink(missing_ok=True)
    (folder / link).symlink_to(os.devnull)
    # validate names the file as typed; run names the resolved path (/dev/null)
    expect = {"command": "validate", "fragments": [fragment], "problems": 1}
    (folder / "expect.yaml").write_text(yaml.safe_dump(expect))
    run_case(folder, work, reports, monkeypatch)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="environment: this OS has no named pipes")
def test_params_file_is_a_named_pipe(tmp_path: Path) -> None:
    """Reading a pipe nobody writes to would block forever: refused without opening it."""
    os.mkfifo(tmp_path / "params.yaml")
    reports = make_reports(tmp_path / "reports")
    before = tree_hash(reports)
    proc = subprocess.run(
        [*_console_script(), "validate", "params.yaml"],
        cwd=tmp_path,
        env={**os.environ, "LLMDECIDE_REPORTS": str(reports), "NO_COLOR": "1"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2, proc.stderr
    assert "params.yaml: is not a regular file" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert tree_hash(reports) == before


def _console_script() -> list[str]:
    script = Path(sys.executable).with_name("llmdecide")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "llmdecide.cli"]


@pytest.mark.parametrize(
    "name",
    ["python-object-tag", "usage-log-wrong-columns", "new-slug-parent-dir"],
)
def test_process_level_exit_status(tmp_path: Path, name: str) -> None:
    """A real process: exit status 2, the messages on stderr, no traceback, reports untouched."""
    (folder,) = [p for p in case_dirs() if p.name.split("-", 1)[1] == name]
    expect = load_expect(folder)
    work = tmp_path / "case"
    shutil.copytree(folder, work)
    (work / "expect.yaml").unlink()
    reports = make_reports(tmp_path / "reports")
    before = (tree_hash(reports), tree_hash(work))
    env = {**os.environ, "LLMDECIDE_REPORTS": str(reports), "NO_COLOR": "1"}
    proc = subprocess.run(
        [*_console_script(), *arguments(expect)],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    shown = f"exit {proc.returncode}\n--- stdout:\n{proc.stdout}\n--- stderr:\n{proc.stderr}"
    assert proc.returncode == 2, shown
    assert "Traceback" not in proc.stderr + proc.stdout, shown
    for fragment in expect["fragments"]:
        assert fragment in proc.stderr, f"missing {fragment!r}\n{shown}"
    for rel in expect.get("absent", []):
        assert not (work / rel).exists(), f"{rel} was created"
    assert (tree_hash(reports), tree_hash(work)) == before
