"""Property-based robustness (Hypothesis): whatever the input, loading it gives either a result or
our ``InputError`` family naming the file; never another exception, never a write to reports/.

Generated inputs, each family a property (seeded: tests/conftest.py's ``ci`` profile):

* params files: valid ones (every key within its range, names from the catalog: they must be
  accepted), near-valid ones (the valid client of tests/bad_inputs/_valid/ with one key mutated:
  type, range, unicode, huge numbers, deep nesting, misspelt or unknown keys, a deleted key),
  raw YAML edits (a value replaced by an unquoted token: impossible dates, tags, aliases,
  brackets) and hostile bytes (binary, other encodings);
* usage logs: CSV and JSON Lines with accepted, aliased, misspelt and missing columns, cells of
  every type, broken rows, other encodings;
* catalog edits: a copy of params/catalog with one field of one record mutated, as data or as
  raw YAML text.

A sample of generated params files also goes through the CLI (``llmdecide validate``: in
process with typer's CliRunner, and one real process) for the exit status, the message lines and
the absence of a traceback. 2 110 cases in total (BUDGET), 25-50 s on a shared 2-core box.
"""

from __future__ import annotations

import copy
import gzip
import hashlib
import json
import math
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from _method import LOG
from llmdecide import catalog, measurements, params, stages
from llmdecide.errors import InputError

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
VALID = yaml.safe_load((HERE / "bad_inputs" / "_valid" / "params.yaml").read_text("utf-8"))
VALID.pop("measurements")  # its files are tested by the usage-log property
VALID_V2 = copy.deepcopy(VALID)  # with the optional keys of docs/params.md
VALID_V2["critical_performance"]["extra_limits"] = {"tpot_p95_ms": 200}
VALID_V2["usage"]["cached_prefix_tokens"] = 100
VALID_V2["options"].update(
    gpus_per_replica=[1, 2],
    max_batch_per_replica=64,
    kv_cache=["fp16", "fp8"],
    reasoning_effort=["none", "low"],
    prompt_caching=["off", "on"],
    rag_chunks=5,
    rag_tokens_per_chunk=800,
    batch_runs_per_day=1,
)
VALID_V2["evaluations"][0]["questions"] = 300
CATALOG_DIR = REPO / "params" / "catalog"
FILE = "client.yaml"  # the name every message must start with
ACCEPTED_COLUMNS = [name for names in measurements.COLUMN_NAMES.values() for name in names]
BUDGET = {  # examples per property; the issue asks for >= 2 000 per CI run (checked below)
    "valid": 200,
    "near_valid": 650,
    "raw_yaml": 400,
    "hostile_bytes": 250,
    "cli": 60,
    "usage_log": 400,
    "catalog": 150,
}

# -- helpers ---------------------------------------------------------------------------------


def tree_hash(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        digest.update(path.relative_to(root).as_posix().encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A published-looking reports tree, set as $LLMDECIDE_REPORTS: it must never change."""
    root = tmp_path_factory.mktemp("reports")
    (root / "client").mkdir()
    (root / "client" / "report.html").write_text("<html>previous</html>\n")
    (root / "index.html").write_text("<html>portfolio</html>\n")
    before = tree_hash(root)
    previous = os.environ.get("LLMDECIDE_REPORTS")
    os.environ["LLMDECIDE_REPORTS"] = str(root)
    yield root
    if previous is None:
        os.environ.pop("LLMDECIDE_REPORTS", None)
    else:
        os.environ["LLMDECIDE_REPORTS"] = previous
    assert tree_hash(root) == before, "reports/ changed while inputs were loaded"


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("inputs")


def load_outcome(path: Path, display: str = FILE) -> str:
    """'ok' or 'error' (an InputError whose every problem names ``display``); anything else
    raised here is a bug that Hypothesis reports with its input."""
    try:
        inputs = stages.load_inputs(path, display_path=display)
    except InputError as exc:
        assert exc.problems, "an InputError without a problem"
        for problem in exc.problems:
            assert problem.file == display, f"problem names {problem.file!r}: {problem}"
            assert problem.expected.strip(), f"empty message: {problem!r}"
            assert "\n" not in str(problem), f"a message on several lines: {problem}"
        assert exc.exit_code == 2
        return "error"
    for warning in inputs.warnings:  # the plausibility checks hold on every accepted file
        assert warning.file == display and "\n" not in str(warning), warning
    return "ok"


def write(folder: Path, data: bytes | str, name: str = FILE) -> Path:
    path = folder / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def dump(data: Any) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000)


# -- strategies: values --------------------------------------------------------------------------

TRICKY_TEXT = [
    "",
    " ",
    "1/3",
    "1/0",
    "3.0e+4",
    "1e400",
    "Infinity",
    "-.inf",
    ".nan",
    "0x1F",
    "0o17",
    "2025-02-30",
    "yes",
    "on",
    "null",
    "~",
    "H100",
    "h100-sxm",
    "gpt-4o-mini ",
    "FRA\n",
    "fr\u0430",  # Cyrillic a
    "\u202eRTL",
    "e\u0301",
    "\U0001f600",
    "\x00",
    "\x07bell",
    "a" * 5000,
    "<script>alert(1)</script>",
    "{{ 7*7 }}",
    "../../etc/passwd",
    "/dev/zero",
]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.sampled_from([0, -1, 1, 10**400, -(10**400), 2**63, 2**64 + 1]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1e308, -1e-308, 5e-324, 0.1, 24.0000001]),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=30),
    st.sampled_from(TRICKY_TEXT),
)


def nested(depth: int, leaf: Any, as_list: bool) -> Any:
    for _ in range(depth):
        leaf = [leaf] if as_list else {"x": leaf}
    return leaf


values = st.one_of(
    scalars,
    st.lists(scalars, max_size=5),
    st.dictionaries(st.text(max_size=10), scalars, max_size=4),
    st.builds(nested, st.integers(2, 60), scalars, st.booleans()),
)


def misspelt(key: str) -> st.SearchStrategy[str]:
    edits = [key.upper(), key + "s", key.replace("_", "-"), key.replace("_", ""), f" {key}"]
    if len(key) > 2:
        edits += [key[1:], key[:-1], key[0] + key[2] + key[1] + key[3:], key[:2] + "x" + key[3:]]
    return st.sampled_from(edits)


# -- strategies: params files ----------------------------------------------------------------------


def leaf_paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key path of ``node``, sections and leaves (mappings by key, lists by index)."""
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, child in node.items():
            out += leaf_paths(child, (*prefix, key))
    elif isinstance(node, list):
        for i, child in enumerate(node):
            out += leaf_paths(child, (*prefix, i))
    return out


PATHS = leaf_paths(VALID)
PATHS_V2 = leaf_paths(VALID_V2)


def parent_of(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path[:-1]:
        data = data[part]
    return data


@st.composite
def near_valid(draw: st.DrawFn) -> dict[str, Any]:
    """The valid client (version 1 or with the version-2 keys) with one mutation at one key."""
    v2 = draw(st.booleans())
    data = copy.deepcopy(VALID_V2 if v2 else VALID)
    path = draw(st.sampled_from(PATHS_V2 if v2 else PATHS))
    parent, last = parent_of(data, path), path[-1]
    kind = draw(st.sampled_from(["value", "value", "value", "delete", "rename", "extra"]))
    if kind == "value":
        parent[last] = draw(values)
    elif kind == "delete":
        del parent[last]
    elif kind == "rename" and isinstance(last, str):
        parent[draw(misspelt(last))] = parent.pop(last)
    elif kind == "extra" and isinstance(parent, dict):
        parent[
            draw(
                st.one_of(
                    st.text(max_size=12),
                    st.sampled_from(["x", "notes", "1", "\n", "", " padded ", "a\tb"]),
                )
            )
        ] = draw(scalars)
    else:
        parent[last] = draw(values)
    return data


REGIONS = ["FRA", "IRL", "DEU", "NLD", "ESP", "SWE", "GBR", "USA", "CAN"]


@st.composite
def valid_params(draw: st.DrawFn) -> dict[str, Any]:
    """A client whose every value is within its documented range: it must be accepted."""
    real = catalog.load()
    data = copy.deepcopy(VALID)
    usage = data["usage"]
    usage["requests_per_day"] = draw(st.floats(1, 1e9))
    usage["active_hours_per_day"] = draw(st.floats(0.5, 24))
    average = usage["requests_per_day"] / (usage["active_hours_per_day"] * 3600)
    usage["peak_requests_per_second"] = min(1e6, average * draw(st.floats(1, 50)))
    usage["input_tokens"] = draw(st.integers(1, 1_000_000))
    usage["output_tokens"] = draw(st.integers(1, 1_000_000))
    usage["horizon_months"] = draw(st.integers(1, 120))
    cp = data["critical_performance"]
    cp["performance"]["limit"] = draw(st.floats(0.001, 10_000))
    cp["precision"]["limit"] = draw(st.floats(0.01, 0.999))
    cp["cost"]["limit"] = draw(st.floats(0.01, 1e9))
    cp["carbon"]["limit"] = draw(st.floats(0.01, 1e9))
    cp["priorities"] = {k: draw(st.floats(0.01, 1000)) for k in cp["priorities"]}
    data["client"]["name"] = draw(
        st.text(st.characters(exclude_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1)
        .map(str.strip)
        .filter(lambda s: 0 < len(s) <= 200)
    )
    data["client"]["language"] = draw(st.sampled_from(["fr", "en"]))
    data["client"]["currency"] = draw(st.sampled_from(["EUR", "USD"]))
    data["constraints"]["regions"] = draw(st.lists(st.sampled_from(REGIONS), min_size=1))
    data["carbon"]["country"] = draw(st.sampled_from(REGIONS))
    options = data["options"]
    options["gpus"] = draw(st.lists(st.sampled_from(list(real.gpus)), min_size=1))
    open_models = list(real.open_models)
    options["models"] = draw(st.lists(st.sampled_from(open_models), min_size=1)) + draw(
        st.lists(st.sampled_from(list(real.api_models)))
    )
    data["evaluations"] = [
        {"model": draw(st.sampled_from(open_models)), "accuracy": draw(st.floats(0, 1))}
    ]
    return data


# -- params properties -------------------------------------------------------------------------


@settings(max_examples=BUDGET["valid"])
@given(valid_params())
def test_valid_params_are_accepted(reports: Path, work: Path, data: dict[str, Any]) -> None:
    assert load_outcome(write(work, dump(data))) == "ok"


@settings(max_examples=BUDGET["near_valid"])
@given(near_valid())
def test_near_valid_params_load_or_fail_cleanly(
    reports: Path, work: Path, data: dict[str, Any]
) -> None:
    load_outcome(write(work, dump(data)))


RAW_TOKENS = [
    "2025-02-30",
    "2025-13-01",
    "!!int abc",
    "!!float x",
    "!!python/object/apply:os.system ['true']",
    "!!binary ====",
    "!!timestamp nope",
    "!include other.yaml",
    "&a 1",
    "*a",
    "<<: {x: 1}",
    "[",
    "]]",
    "{",
    "{a: 1, a: 2}",
    "'unclosed",
    '"\\xZZ"',
    "1" * 5000,
    "-" + "9" * 400,
    "1e99999",
    ".NaN",
    "0b102",
    "@bad",
    "`tick",
    "% directive",
    "key: value: other",
    "\t3",
    "|",
    ">-",
    "? complex",
    "[" * 300 + "]" * 300,
    "[" * 1500 + "]" * 1500,
    "{a: " * 1500 + "1" + "}" * 1500,
]


@st.composite
def raw_edit(draw: st.DrawFn, text: str) -> str:
    """``text`` with the value of one ``key: value`` line replaced by an unquoted token."""
    lines = text.splitlines()
    candidates = [i for i, line in enumerate(lines) if ": " in line]
    index = draw(st.sampled_from(candidates))
    key = lines[index].split(": ", 1)[0]
    token = draw(st.one_of(st.sampled_from(RAW_TOKENS), st.text(max_size=20)))
    lines[index] = f"{key}: {token}"
    return "\n".join(lines) + "\n"


VALID_TEXT = dump(VALID)


@settings(max_examples=BUDGET["raw_yaml"])
@given(raw_edit(VALID_TEXT))
def test_raw_yaml_edits_load_or_fail_cleanly(reports: Path, work: Path, text: str) -> None:
    load_outcome(write(work, text))


hostile_bytes = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=200).map(lambda s: s.encode("utf-8")),
    st.sampled_from(["utf-16", "utf-32", "latin-1", "cp1252", "utf-8-sig"]).map(
        lambda enc: VALID_TEXT.replace("Bad Inputs", "Bäd Ïnputs").encode(enc)
    ),
    st.integers(1, 2000).map(lambda n: ("- " * n + "x").encode()),
    st.integers(1, 3000).map(lambda n: ("{a: " * n + "1" + "}" * n).encode()),
    st.just(b"\xef\xbb\xbf\xef\xbb\xbf" + VALID_TEXT.encode()),
    st.just(VALID_TEXT.encode() + b"\n---\nsecond: document\n"),
)


@settings(max_examples=BUDGET["hostile_bytes"])
@given(hostile_bytes)
def test_hostile_bytes_fail_cleanly(reports: Path, work: Path, data: bytes) -> None:
    load_outcome(write(work, data))


# -- through the CLI ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cli() -> Any:
    from typer.testing import CliRunner

    from llmdecide.cli import app

    try:
        runner = CliRunner(mix_stderr=False)  # type: ignore[call-arg]  # click < 8.2
    except TypeError:
        runner = CliRunner()
    return lambda args: runner.invoke(app, args, catch_exceptions=True)


def check_cli_result(code: int, stdout: str, stderr: str, names: list[str]) -> None:
    shown = f"exit {code}\n--- stdout:\n{stdout}\n--- stderr:\n{stderr}"
    assert code in (0, 2), shown
    assert "Traceback" not in stdout + stderr, shown
    errors = [line for line in stderr.splitlines() if line.startswith("error: ")]
    assert (code == 2) == bool(errors), shown
    for line in errors:
        assert any(line.startswith(f"error: {name}:") for name in names), shown


@settings(max_examples=BUDGET["cli"])
@given(text=st.one_of(near_valid().map(dump), raw_edit(VALID_TEXT)))
def test_cli_validate_exits_0_or_2_without_traceback(
    reports: Path, work: Path, cli: Any, plain_terminal: None, text: str
) -> None:
    write(work, text)
    result = cli(["validate", str(work / FILE)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    check_cli_result(result.exit_code, result.stdout, result.stderr, [str(work / FILE)])


@pytest.fixture(scope="module")
def plain_terminal() -> Iterator[None]:
    """No colour, wide lines: one message per line, as a consultant's terminal shows it."""
    saved = {k: os.environ.get(k) for k in ("NO_COLOR", "COLUMNS")}
    os.environ.update(NO_COLOR="1", COLUMNS="400")
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def test_cli_process_on_generated_files(reports: Path, tmp_path: Path) -> None:
    """A real ``llmdecide validate`` process on 20 generated files at once: exit 2, one line per
    problem naming its file, no traceback, reports untouched."""
    files = []

    @settings(max_examples=20)
    @given(st.one_of(near_valid().map(dump), raw_edit(VALID_TEXT), hostile_bytes))
    def collect(data: str | bytes) -> None:
        files.append(write(tmp_path, data, f"case-{len(files):02d}.yaml"))

    collect()
    files.append(write(tmp_path, "client: [", "broken.yaml"))  # at least one failure
    script = Path(sys.executable).with_name("llmdecide")
    command = [str(script)] if script.is_file() else [sys.executable, "-m", "llmdecide.cli"]
    proc = subprocess.run(
        [*command, "validate", *(f.name for f in files)],
        cwd=tmp_path,
        env={**os.environ, "NO_COLOR": "1", "COLUMNS": "400"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    check_cli_result(proc.returncode, proc.stdout, proc.stderr, [f.name for f in files])


# -- usage logs ----------------------------------------------------------------------------------

timestamps = st.one_of(
    st.datetimes(min_value=__import__("datetime").datetime(1970, 1, 2)).map(
        lambda d: d.isoformat()
    ),
    st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
    st.floats(0, 2e12).map(repr),
    st.integers(0, 10**19).map(str),
    st.sampled_from(["2025-03-03T09:00:00Z", "2025-02-30T00:00:00Z", "yesterday", "", "nan"]),
)
cells = st.one_of(
    timestamps,
    st.integers(-(10**6), 10**12).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["", " ", "NA", "null", "true", "1e400", "-0", "12 tokens", '"', "a,b"]),
    st.text(max_size=8),
)
columns = st.lists(
    st.one_of(
        st.sampled_from(ACCEPTED_COLUMNS),
        st.sampled_from(ACCEPTED_COLUMNS).flatmap(misspelt),
        st.text(max_size=6),
    ),
    min_size=0,
    max_size=7,
)


@st.composite
def usage_log(draw: st.DrawFn) -> tuple[str, bytes]:
    """(file name, bytes) of a CSV or JSON Lines log, often with the required columns."""
    names = draw(columns)
    if draw(st.booleans()):
        names = ["timestamp", "input_tokens", "output_tokens", *names]
    rows = draw(st.lists(st.lists(cells, min_size=len(names), max_size=len(names)), max_size=25))
    ragged = draw(st.booleans())
    fmt = draw(st.sampled_from(["csv", "csv", "jsonl", "jsonl-mixed", "csv.gz"]))
    if fmt.startswith("csv"):
        lines = [",".join(names)]
        for row in rows:
            if ragged and row and draw(st.booleans()):
                row = row[: draw(st.integers(0, len(row)))] + draw(st.lists(cells, max_size=2))
            lines.append(",".join(row))
        text = "\n".join(lines) + draw(st.sampled_from(["\n", "", "\n\n", "\r\n"]))
    else:
        out = []
        for row in rows:
            record: dict[str, Any] = {}
            for name, cell in zip(names, row, strict=True):
                record[name] = draw(st.sampled_from([cell, _number(cell), None]))
            out.append(json.dumps(record))
            if fmt == "jsonl-mixed" and draw(st.booleans()):
                out.append(draw(st.sampled_from(["[1, 2]", "42", "{broken", '"text"', ""])))
        text = "\n".join(out) + "\n"
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "latin-1", "utf-16"]))
    data = text.encode(encoding, errors="replace")
    if fmt == "csv.gz":
        data = gzip.compress(data) if draw(st.booleans()) else data[:50]
        return "usage.csv.gz", data
    return ("usage.csv" if fmt == "csv" else "usage.jsonl"), data


def _number(cell: str) -> Any:
    try:
        value = float(cell)
    except ValueError:
        return cell
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


@settings(max_examples=BUDGET["usage_log"])
@given(usage_log())
def test_usage_logs_summarise_or_fail_cleanly(work: Path, log: tuple[str, bytes]) -> None:
    name, data = log
    path = write(work, data, name)
    try:
        summary = measurements.read_usage_log(path, FILE, "measurements.usage_log", 60, **LOG)
    except InputError as exc:
        assert all(p.file == FILE and p.key_path == "measurements.usage_log" for p in exc.problems)
        return
    finally:
        path.unlink()
    assert 0 < summary.rows_used <= summary.rows_total
    assert summary.rows_used + summary.bad_rows_total == summary.rows_total
    assert 1 <= summary.active_hours_per_day <= 24
    override = summary.as_usage_override()  # what replaces the hypotheses: finite numbers
    assert all(math.isfinite(v) for v in override.values()), override
    assert override["requests_per_day"] > 0 and override["peak_requests_per_second"] > 0
    # the sizing peak never falls below the mean over the active hours (the params' own rule)
    mean_rate = override["requests_per_day"] / (override["active_hours_per_day"] * 3600)
    assert override["peak_requests_per_second"] >= mean_rate * (1 - 1e-9)
    spread = summary.token_distribution()
    assert all(math.isfinite(v) and v >= 0 for v in spread.values()), spread


# -- catalog edits -------------------------------------------------------------------------------

CATALOG_FILES = sorted(p.name for p in CATALOG_DIR.glob("*.yaml"))
CATALOG_DATA = {
    name: yaml.safe_load((CATALOG_DIR / name).read_text("utf-8")) for name in CATALOG_FILES
}
CATALOG_PATHS = [
    (name, path) for name in CATALOG_FILES for path in leaf_paths(CATALOG_DATA[name]) if path
]


@pytest.fixture(scope="module")
def catalog_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("catalog") / "catalog"
    shutil.copytree(CATALOG_DIR, folder)
    return folder


@contextmanager
def catalog_env(folder: Path) -> Iterator[None]:
    previous = os.environ.get(catalog.ENV_VAR)
    os.environ[catalog.ENV_VAR] = str(folder)
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(catalog.ENV_VAR, None)
        else:
            os.environ[catalog.ENV_VAR] = previous
        catalog.clear_cache()


@st.composite
def catalog_edit(draw: st.DrawFn) -> tuple[str, str]:
    """(file name, new text): one field of one record mutated, as data or as raw YAML."""
    name, path = draw(st.sampled_from(CATALOG_PATHS))
    if draw(st.booleans()):
        text = (CATALOG_DIR / name).read_text("utf-8")
        return name, draw(raw_edit(text))
    data = copy.deepcopy(CATALOG_DATA[name])
    parent, last = parent_of(data, path), path[-1]
    kind = draw(st.sampled_from(["value", "value", "delete", "rename"]))
    if kind == "delete":
        del parent[last]
    elif kind == "rename" and isinstance(last, str):
        parent[draw(misspelt(last))] = parent.pop(last)
    else:
        parent[last] = draw(values)
    return name, dump(data)


@settings(max_examples=BUDGET["catalog"])
@given(catalog_edit())
def test_catalog_edits_load_or_fail_cleanly(
    reports: Path, catalog_copy: Path, edit: tuple[str, str]
) -> None:
    """The catalog loads or raises CatalogError naming one of its files; then a client is
    checked against it (names, measurements) with the same guarantee."""
    name, text = edit
    target = catalog_copy / name
    target.write_text(text, encoding="utf-8")
    client = write(catalog_copy.parent, dump(VALID))
    try:
        with catalog_env(catalog_copy):
            try:
                catalog.load()
            except InputError as exc:
                for problem in exc.problems:
                    assert Path(problem.file).name in CATALOG_FILES or problem.file.endswith(
                        "catalog"
                    ), problem
                    assert "\n" not in str(problem), f"a message on several lines: {problem}"
                return
            try:
                stages.load_inputs(client, display_path=FILE)
            except InputError as exc:
                assert exc.problems and all(p.file for p in exc.problems)
    finally:
        shutil.copyfile(CATALOG_DIR / name, target)


def test_generated_cases_total_at_least_2000() -> None:
    """The issue asks for >= 2 000 generated cases per CI run: the budgets add up to that."""
    assert sum(BUDGET.values()) >= 2000, BUDGET


def test_the_property_inputs_are_sound() -> None:
    """The base clients are valid and their YAML round-trips: mutations start from valid files."""
    assert params.ClientParams.model_validate(yaml.safe_load(VALID_TEXT))
    assert params.ClientParams.model_validate(yaml.safe_load(dump(VALID_V2)))
    assert len(PATHS) > 40 and len(CATALOG_PATHS) > 500
