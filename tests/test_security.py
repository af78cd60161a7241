"""Security: params are data, client text is text, outputs stay in reports/, the probe runs as asked.

- YAML with Python tags is refused (exit 2) and nothing it names is executed;
- hostile strings in every free-text field are escaped in the HTML and printed as text in the PDF
  (one full run of a client whose every text field is hostile and that declares a probe);
- output paths are confined to the reports root (slugs, symlinks, ``publish.confined``);
- ``carbon.probe`` runs only when declared, without a shell unless ``shell: true``, within its
  timeout, and is named in the report.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import psutil
import pytest
import yaml
from markupsafe import escape

from _reference_run import REPO, RETAIL, SLUG, copy_reference, reference_root, tree
from llmdecide import publish, rerender, runner
from llmdecide.carbon import probe
from llmdecide.errors import InputError, LlmdecideError, MeasurementError, RunError

PAYLOAD = "<script>alert(1)</script> \"><img src=x onerror=alert(1)> {{ 7*7 }} {% raw %} & 'q'"
RAW_DANGER = ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>")
USAGE_LOG_NAME = '"><img src=x onerror=alert(1)>.csv'
LAWFIRM_USAGE = REPO / "measurements" / "example-lawfirm" / "usage.csv"


def _hostile(tag: str) -> str:
    return f"{tag} {PAYLOAD}"


def _retail() -> dict[str, Any]:
    return yaml.safe_load(RETAIL.read_text(encoding="utf-8"))


def _write_params(path: Path, data: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _cli(*args: str, cwd: Path = REPO, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "llmdecide.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


# -- YAML ------------------------------------------------------------------------------------------


def test_python_yaml_tags_are_refused_and_never_executed(tmp_path: Path) -> None:
    markers = [tmp_path / f"PWNED-{i}" for i in range(3)]
    text = RETAIL.read_text(encoding="utf-8")
    in_a_field = tmp_path / "tag-in-field.yaml"
    in_a_field.write_text(
        text.replace(
            "name: Exemple Retail",
            f'name: !!python/object/apply:os.system ["touch {markers[0]}"]',
        )
    )
    whole = tmp_path / "tag-document.yaml"
    whole.write_text(f'!!python/object/apply:os.system ["touch {markers[1]}"]\n')
    new = tmp_path / "tag-new.yaml"
    new.write_text(
        text.replace(
            "usage:",
            f"usage: !!python/object/new:subprocess.Popen [[touch, {markers[2]}]]\nx:",
            1,
        )
    )
    done = _cli("validate", str(in_a_field), str(whole), str(new))
    assert done.returncode == 2, done.stdout + done.stderr
    for path in (in_a_field, whole, new):
        assert path.name in done.stderr, f"{path.name} not named:\n{done.stderr}"
    assert done.stderr.count("is not allowed") >= 3, done.stderr
    reports = tmp_path / "reports"
    run = _cli("run", str(in_a_field), "--reports-dir", str(reports))
    assert run.returncode == 2, run.stdout + run.stderr
    assert "!!python/object/apply:os.system" in run.stderr
    assert "Traceback" not in run.stderr
    assert [m.name for m in markers if m.exists()] == [], "a YAML tag was executed"
    assert not reports.exists() or not any(reports.iterdir()), "a refused run wrote reports"


# -- hostile text, and a probe, in one full run -------------------------------------------------------


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("hostile")
    clients = base / "clients"
    clients.mkdir()
    usage = clients / USAGE_LOG_NAME
    with LAWFIRM_USAGE.open(encoding="utf-8") as source:
        usage.write_text("".join(line for _, line in zip(range(3000), source, strict=False)))
    data = _retail()
    data["client"]["name"] = _hostile("client-name")
    data["use_case"]["title"] = _hostile("use-case-title")
    data["use_case"]["description"] = _hostile("use-case-description")
    for i, evaluation in enumerate(data["evaluations"]):
        evaluation["note"] = _hostile(f"evaluation-note-{i}")
    data["measurements"] = {"usage_log": USAGE_LOG_NAME}
    # one string, no shell: ';' and 'touch' are arguments of python, not a second command
    command = f'{shlex.quote(sys.executable)} -c "print(1)" ; touch PWNED'
    data["carbon"]["probe"] = {"command": command, "timeout_s": 120, "requests": 1}
    params = _write_params(clients / "hostile-client.yaml", data)
    root = base / "reports"
    error = None
    try:
        outcome = runner.run(params, root)
    except LlmdecideError as exc:
        error = f"{type(exc).__name__}: {exc}"
        outcome = None
    return {
        "error": error,
        "folder": outcome.report_dir if outcome else None,
        "params": params,
        "command": command,
        "base": base,
    }


def _report(hostile: dict[str, Any]) -> Path:
    assert hostile["error"] is None, f"the hostile client's run failed: {hostile['error']}"
    return hostile["folder"]


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.handlers: list[str] = []
        self.images: list[str] = []
        self.code: list[str] = []
        self._script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handlers += [f"<{tag} {k}={v!r}>" for k, v in attrs if k.lower().startswith("on")]
        if tag == "img":
            self.images += [v or "" for k, v in attrs if k == "src"]
        kind = dict(attrs).get("type") or ""
        self._script = tag == "script" and kind in ("", "text/javascript", "module")

    def handle_endtag(self, tag: str) -> None:
        self._script = False

    def handle_data(self, data: str) -> None:
        if self._script:
            self.code.append(data)


@pytest.mark.slow
def test_hostile_text_is_escaped_in_the_html(hostile: dict[str, Any]) -> None:
    html = (_report(hostile) / "report.html").read_text(encoding="utf-8")
    for danger in RAW_DANGER:
        assert danger.lower() not in html.lower(), f"{danger} reached the HTML unescaped"
    for tag in ("client-name", "use-case-title", "use-case-description"):
        shown = str(escape(_hostile(tag)))
        assert shown in html, f"{tag} is not shown as escaped text (expected {shown!r})"
    assert "{{ 7*7 }}" in html and "{% raw %}" in html, "template syntax in client text was run"
    assert not re.search(r"client-name[^<]{0,80}\b49\b", html), "{{ 7*7 }} was evaluated"
    page = _Page()
    page.feed(html)
    assert page.handlers == [], f"event handler attributes in the report: {page.handlers[:5]}"
    assert "x" not in page.images
    assert not [c for c in page.code if "alert(1)" in c], "client text inside executable script"


def _pdf_text(folder: Path) -> str:
    from pypdf import PdfReader

    text = "".join(page.extract_text() or "" for page in PdfReader(folder / "report.pdf").pages)
    return re.sub(r"\s+", "", text)


@pytest.mark.slow
def test_hostile_text_is_plain_text_in_the_pdf(hostile: dict[str, Any]) -> None:
    text = _pdf_text(_report(hostile))
    compact = re.sub(r"\s+", "", PAYLOAD)
    for tag in ("client-name", "use-case-title", "use-case-description"):
        assert tag in text, f"{tag} is missing from the PDF"
    assert compact in text, "the hostile text is not printed as typed in the PDF"
    assert "<script>alert(1)</script>" in text and "{{7*7}}" in text


@pytest.mark.slow
def test_other_free_text_never_reaches_the_report_unescaped(hostile: dict[str, Any]) -> None:
    """Evaluation notes and measurement file names: shown or not, never as markup."""
    folder = _report(hostile)
    html = (folder / "report.html").read_text(encoding="utf-8")
    shown = str(escape(USAGE_LOG_NAME))
    assert USAGE_LOG_NAME not in html
    if "onerror=alert(1)&gt;.csv" in html:
        assert shown in html
    for i in range(len(_retail()["evaluations"])):
        tag = f"evaluation-note-{i}"
        if tag in html:
            assert str(escape(_hostile(tag))) in html, f"{tag} is shown altered"


# -- the probe --------------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_string_probe_runs_without_a_shell_and_is_named_in_the_report(
    hostile: dict[str, Any],
) -> None:
    folder = _report(hostile)
    for where in (hostile["params"].parent, REPO, Path.cwd(), folder):
        assert not (where / "PWNED").exists(), f"'; touch PWNED' ran through a shell ({where})"
    assert (folder / "probe.stdout.txt").read_text().strip() == "1"
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert str(escape(hostile["command"])) in html, "the probe's command is not in the report"
    context = json.loads((folder / "data" / "report_context.json").read_text())
    assert context["carbon"]["probe"]["command"] == hostile["command"]


@pytest.mark.slow
def test_no_probe_runs_unless_declared(tmp_path_factory: pytest.TempPathFactory) -> None:
    root = reference_root(tmp_path_factory)
    assert _retail()["carbon"]["probe"] is None
    probe_files = [p for p in root.rglob("probe.*") if p.is_file()]
    assert probe_files == [], f"probe output without a probe: {probe_files}"
    context = json.loads((root / SLUG / "data" / "report_context.json").read_text())
    assert context["carbon"]["probe"] is None


def test_the_shell_is_used_only_when_asked(tmp_path: Path) -> None:
    marker = tmp_path / "PWNED"
    command = f'{shlex.quote(sys.executable)} -c "print(1)" ; touch {shlex.quote(str(marker))}'
    probe.run_probe(command, 60, "FRA", tmp_path / "no-shell", None, shell=False)
    assert not marker.exists(), "a string probe went through the shell without shell: true"
    probe.run_probe(command, 60, "FRA", tmp_path / "shell", None, shell=True)
    assert marker.exists(), "shell: true did not run the command through the shell"
    with pytest.raises(MeasurementError, match="shell: true applies to a command given as one"):
        probe.run_probe(["echo", "x"], 60, "FRA", tmp_path / "list", None, shell=True)


def _sleepers(seconds: str) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        if (proc.info.get("cmdline") or [])[-1:] == [seconds]:
            found.append(proc)
    return found


def test_a_probe_past_its_timeout_is_stopped_with_a_clear_error(tmp_path: Path) -> None:
    seconds = "37.25"  # unusual, to find the process afterwards
    started = time.monotonic()
    with pytest.raises(MeasurementError) as caught:
        probe.run_probe(f"sleep {seconds}", 1, "FRA", tmp_path, None)
    assert time.monotonic() - started < 20
    assert caught.value.exit_code == 2
    assert "did not finish within 1 s and was stopped" in str(caught.value)
    assert "carbon.probe.timeout_s" in str(caught.value)
    assert _sleepers(seconds) == [], "the timed-out probe is still running"


@pytest.mark.slow
def test_a_run_whose_probe_times_out_fails_with_exit_2_and_keeps_the_report(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    root = copy_reference(tmp_path_factory, tmp_path / "reports")
    before = tree(root / SLUG)
    data = _retail()
    seconds = "38.75"
    data["carbon"]["probe"] = {"command": ["sleep", seconds], "timeout_s": 1}
    params = _write_params(tmp_path / "clients" / f"{SLUG}.yaml", data)
    done = _cli("run", str(params), "--reports-dir", str(root))
    assert done.returncode == 2, done.stdout + done.stderr
    assert "did not finish within 1 s" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert tree(root / SLUG) == before
    assert not list(root.glob(f".{SLUG}.tmp-*"))
    assert _sleepers(seconds) == []


# -- output paths ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["Evil.yaml", "a.b.yaml", "...yaml", ".hidden.yaml", "x y.yaml"])
def test_params_files_whose_name_is_not_a_slug_are_refused(tmp_path: Path, name: str) -> None:
    params = _write_params(tmp_path / "clients" / name, _retail())
    root = tmp_path / "reports"
    with pytest.raises(InputError, match="not a valid client slug") as caught:
        runner.run(params, root)
    assert caught.value.exit_code == 2
    assert not root.exists()


def test_a_dotdot_params_path_only_names_the_client(tmp_path: Path) -> None:
    """``../../evil.yaml`` is the client "evil": the path never reaches an output path."""
    root = tmp_path / "reports"
    slug = runner.slug_of(Path("../../evil.yaml"))
    assert slug == "evil"
    for path in (
        publish.confined(root, slug),
        publish.tmp_dir(root, slug, runner.new_run_id()),
        publish.failed_dir(root, slug, runner.new_run_id()),
    ):
        assert path.parent in (root, root / publish.FAILED / slug), path
    with pytest.raises(InputError):
        runner.slug_of(Path("../..yaml"))  # stem "."
    with pytest.raises(InputError):
        rerender.rerender("../evil", root)


def test_confined_contract(tmp_path: Path) -> None:
    root = tmp_path / "reports"
    (root / "inside").mkdir(parents=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    assert publish.confined(root) == root.resolve()
    assert publish.confined(root, "a", "..", "b") == root.resolve() / "b"
    (root / "link-in").symlink_to(root / "inside")
    assert publish.confined(root, "link-in") == (root / "inside").resolve()
    (root / "link-out").symlink_to(outside)
    for parts in (("..", "x"), ("/etc",), ("link-out",), ("link-out", "x"), ("inside", "..", "..")):
        with pytest.raises(RunError, match="refusing to write outside"):
            publish.confined(root, *parts)
    (root / publish.FAILED).symlink_to(outside)
    with pytest.raises(RunError):
        publish.failed_dir(root, SLUG, "20260101T000000Z-aaaa")


def _outside(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    outside = tmp_path / "outside"
    (outside / "20200101T000000Z-aaaa").mkdir(parents=True)
    (outside / "20200101T000000Z-aaaa" / "precious.txt").write_text("keep me")
    (outside / "precious.txt").write_text("keep me too")
    return outside, tree(outside)


def test_a_client_folder_symlinked_outside_is_refused(tmp_path: Path) -> None:
    outside, before = _outside(tmp_path)
    root = tmp_path / "reports"
    root.mkdir()
    (root / SLUG).symlink_to(outside)
    with pytest.raises(RunError, match="refusing to write outside") as caught:
        runner.run(RETAIL, root)
    assert caught.value.exit_code == 1
    assert tree(outside) == before
    assert sorted(p.name for p in root.iterdir() if not p.name.endswith(".lock")) == [SLUG]


def test_a_lock_file_symlinked_outside_is_refused(tmp_path: Path) -> None:
    outside, before = _outside(tmp_path)
    root = tmp_path / "reports"
    root.mkdir()
    (root / f".{SLUG}.lock").symlink_to(outside / "precious.txt")
    with pytest.raises(RunError, match="refusing to write outside"):
        runner.run(RETAIL, root)
    assert tree(outside) == before


def _built(root: Path, run_id: str, text: str) -> Path:
    folder = publish.tmp_dir(root, "acme", run_id)
    folder.mkdir(parents=True)
    (folder / "report.html").write_text(text)
    (folder / "run.json").write_text(json.dumps({"run_id": run_id}))
    return folder


def test_a_history_folder_symlinked_outside_is_not_followed(tmp_path: Path) -> None:
    """Publishing moves the old run into history/ and prunes it: through a symlink that would move
    files from elsewhere into reports/ and delete folders there."""
    outside, before = _outside(tmp_path)
    root = tmp_path / "reports"
    target = root / "acme"
    publish.publish(_built(root, "20260101T000000Z-bbbb", "one"), target, keep=1)
    (target / publish.HISTORY).symlink_to(outside)
    with pytest.raises(RunError, match="symbolic link"):
        publish.publish(_built(root, "20260102T000000Z-cccc", "two"), target, keep=1)
    assert tree(outside) == before
    assert (target / "report.html").read_text() == "one", "the published report changed"
    # recovering an interrupted publish (an older run left in a build folder) archives it: refused
    _built(root, "20250101T000000Z-aaaa", "older")
    with pytest.raises(RunError, match="symbolic link"):
        publish.recover(root, "acme", keep=1)
    assert tree(outside) == before


def test_a_history_entry_symlinked_outside_is_unlinked_not_emptied(tmp_path: Path) -> None:
    outside, before = _outside(tmp_path)
    root = tmp_path / "reports"
    target = root / "acme"
    publish.publish(_built(root, "20260101T000000Z-bbbb", "one"), target, keep=1)
    (target / publish.HISTORY).mkdir()
    (target / publish.HISTORY / "20190101T000000Z-zzzz").symlink_to(outside)
    publish.publish(_built(root, "20260102T000000Z-cccc", "two"), target, keep=1)
    assert tree(outside) == before
    assert sorted(p.name for p in (target / publish.HISTORY).iterdir()) == ["20260101T000000Z-bbbb"]
