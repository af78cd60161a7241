"""The client params contract: examples load, every bad input gets one clear message per problem."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml

from llmdecide import params
from llmdecide.errors import ParamsError, Problem
from llmdecide.params.yaml_loader import MAX_FILE_BYTES

ROOT = Path(__file__).resolve().parents[1]
CLIENTS = ROOT / "params" / "clients"
RETAIL = CLIENTS / "example-retail.yaml"
LAWFIRM = CLIENTS / "example-lawfirm.yaml"


def _retail() -> dict[str, Any]:
    """The retail example with the version-1 GPU and model names the fake catalog of
    ``_catalog`` knows (the example itself names current ones too)."""
    data = yaml.safe_load(RETAIL.read_text(encoding="utf-8"))
    data["options"]["gpus"] = ["H100-SXM", "L40S", "L4"]
    data["options"]["models"] = ["gpt-4o-mini", "mistral-small", "llama-3.1-8b", "llama-3.1-70b"]
    return data


def _write(tmp_path: Path, data: Any, name: str = "acme.yaml") -> Path:
    path = tmp_path / name
    if isinstance(data, bytes):
        path.write_bytes(data)
    elif isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), "utf-8")
    return path


def _problems(path: Path) -> list[Problem]:
    with pytest.raises(ParamsError) as caught:
        params.load(path)
    assert caught.value.exit_code == 2
    return caught.value.problems


# ------------------------------------------------------------------------------------------------
# Good files


def test_retail_example_loads_as_in_the_spec() -> None:
    client = params.load(RETAIL)
    assert client.client.language == "fr" and client.client.currency == "EUR"
    assert client.critical_performance.performance.metric == "p95_latency_s"
    assert client.critical_performance.precision.limit == 0.90
    assert client.critical_performance.carbon is not None
    assert client.critical_performance.pairwise is None
    assert client.usage.requests_per_day == 40000
    assert client.constraints.regions == ["FRA", "IRL", "USA"]
    assert client.options.output_format == ["text"]  # a single value is a one-item list
    assert client.evaluations[0].model == "llama-3.1-8b"
    assert client.evaluations[0].rag == "rag"
    assert client.measurements.usage_log is None
    assert client.carbon.country == "FRA"
    assert client.source_path == RETAIL.resolve()


def test_lawfirm_example_is_confidential_and_uses_ahp() -> None:
    client = params.load(LAWFIRM)
    assert client.client.language == "en"
    assert client.constraints.confidential_data is True
    assert client.options.hosting == ["cloud", "on_premise"]
    assert client.critical_performance.priorities is None
    assert client.critical_performance.pairwise.judgements() == {
        "precision_vs_performance": 5,
        "precision_vs_cost": 3,
        "cost_vs_performance": 2,
    }


def test_template_becomes_a_valid_client_once_scaffolded(tmp_path: Path) -> None:
    from llmdecide import scaffold

    target = scaffold.new_client(
        "acme", tmp_path, name='Acme "Retail"', language="en", currency="USD"
    )
    client = params.load(target)
    assert client.client.name == 'Acme "Retail"'
    assert (client.client.language, client.client.currency) == ("en", "USD")


def test_defaults_of_optional_sections(tmp_path: Path) -> None:
    data = _retail()
    for section in ("options", "evaluations", "carbon"):
        del data[section]
    client = params.load(_write(tmp_path, data))
    assert client.options.hosting is None  # omitted = every catalog entry
    assert client.evaluations == []
    assert client.carbon.country == "FRA"  # default: the first region
    assert client.carbon.renewable_share == 0.0
    assert client.report.history_keep == 10


def test_forgiving_spellings_of_valid_values(tmp_path: Path) -> None:
    data = _retail()
    data["constraints"]["regions"] = ["fra", "IRL", "FRA"]
    data["options"]["hosting"] = "cloud"
    data["critical_performance"].pop("priorities")
    data["critical_performance"]["pairwise"] = {
        "cost_vs_performance": 3,
        "cost_vs_precision": "3/1",
        "performance_vs_precision": "1/1",
    }
    client = params.load(_write(tmp_path, data))
    assert client.constraints.regions == ["FRA", "IRL"]
    assert client.options.hosting == ["cloud"]
    assert client.critical_performance.pairwise.cost_vs_precision == 3.0


def test_probe_accepts_a_string_or_a_mapping(tmp_path: Path) -> None:
    data = _retail()
    data["carbon"]["probe"] = "python bench.py"
    assert params.load(_write(tmp_path, data)).carbon.probe.command == "python bench.py"
    data["carbon"]["probe"] = {"command": ["python", "bench.py", 100], "timeout_s": 60}
    probe = params.load(_write(tmp_path, data)).carbon.probe
    assert probe.command == ["python", "bench.py", "100"]
    assert probe.timeout_s == 60 and probe.shell is False


def test_measurement_paths_resolve_from_the_params_folder(tmp_path: Path) -> None:
    logs = tmp_path / "measurements"
    logs.mkdir()
    (logs / "usage.csv").write_text("timestamp,input_tokens,output_tokens\n")
    (logs / "emissions.csv").write_text("")
    clients = tmp_path / "params" / "clients"
    clients.mkdir(parents=True)
    data = _retail()
    data["measurements"] = {
        "usage_log": "../../measurements/usage.csv",
        "emissions_log": ["../../measurements/emissions.csv"],
    }
    client = params.load(_write(clients, data))
    assert client.measurements.emissions_log == ["../../measurements/emissions.csv"]
    files = client.measurement_files()
    assert files["usage_log"] == [("measurements.usage_log", logs / "usage.csv")]
    assert files["emissions_log"] == [("measurements.emissions_log", logs / "emissions.csv")]
    assert params.resolve_path(clients / "acme.yaml", "../../measurements/usage.csv") == (
        logs / "usage.csv"
    )
    assert params.resolve_path(clients / "acme.yaml", "/abs/x.csv") == Path("/abs/x.csv")


# ------------------------------------------------------------------------------------------------
# Bad files: each problem names the key path and says what is expected


def _set(*keys: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(data: dict[str, Any]) -> None:
        target = data
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value

    return mutate


def _rename(section: str, old: str, new: str) -> Callable[[dict[str, Any]], None]:
    def mutate(data: dict[str, Any]) -> None:
        target = data[section] if section else data
        target[new] = target.pop(old)

    return mutate


def _delete(*keys: str) -> Callable[[dict[str, Any]], None]:
    def mutate(data: dict[str, Any]) -> None:
        target = data
        for key in keys[:-1]:
            target = target[key]
        del target[keys[-1]]

    return mutate


BAD_DATA = [
    (
        "misspelt key",
        _rename("usage", "requests_per_day", "requests_per_dya"),
        "usage.requests_per_dya",
        "unknown key. Did you mean usage.requests_per_day?",
    ),
    (
        "misspelt section",
        _rename("", "usage", "usgae"),
        "usgae",
        "unknown key. Did you mean usage?",
    ),
    (
        "unknown key without a close match",
        _set("options", "colour", value="blue"),
        "options.colour",
        "unknown key; the keys here are hosting, gpus",
    ),
    (
        "wrong type",
        _set("usage", "requests_per_day", value="lots"),
        "usage.requests_per_day",
        "expected a number > 0 and <= 10000000000, got 'lots'",
    ),
    (
        "negative number",
        _set("usage", "requests_per_day", value=-5),
        "usage.requests_per_day",
        "expected a number > 0",
    ),
    (
        "zero requests",
        _set("usage", "requests_per_day", value=0),
        "usage.requests_per_day",
        "got 0",
    ),
    (
        "absurd token count",
        _set("usage", "input_tokens", value=10**12),
        "usage.input_tokens",
        "expected a whole number > 0 and <= 1000000, got 1000000000000",
    ),
    (
        "boolean for a number",
        _set("usage", "output_tokens", value=True),
        "usage.output_tokens",
        "expected a number, got true",
    ),
    (
        "unknown enum",
        _set("options", "hosting", value=["api", "clowd"]),
        "options.hosting[1]",
        "expected one of api, cloud, on_premise, got 'clowd'. Did you mean cloud?",
    ),
    (
        "unknown language",
        _set("client", "language", value="de"),
        "client.language",
        "expected one of fr, en, got 'de'",
    ),
    (
        "currency in lower case",
        _set("client", "currency", value="eur"),
        "client.currency",
        "Did you mean EUR?",
    ),
    (
        "accuracy limit in percent",
        _set("critical_performance", "precision", "limit", value=90),
        "critical_performance.precision.limit",
        "write 0.9 for 90 %",
    ),
    (
        "accuracy limit of 1",
        _set("critical_performance", "precision", "limit", value=1.0),
        "critical_performance.precision.limit",
        "expected a number > 0 and < 1, got 1.0",
    ),
    (
        "unknown performance metric",
        _set("critical_performance", "performance", "metric", value="latency"),
        "critical_performance.performance.metric",
        "expected one of p95_latency_s, ttft_p95_s, tpot_p95_ms, turnaround_h",
    ),
    (
        "priorities all zero",
        _set(
            "critical_performance",
            "priorities",
            value={"performance": 0, "precision": 0, "cost": 0},
        ),
        "critical_performance.priorities",
        "the priorities are all zero",
    ),
    (
        "neither priorities nor pairwise",
        _delete("critical_performance", "priorities"),
        "critical_performance.priorities",
        "give the priorities",
    ),
    (
        "both priorities and pairwise",
        _set(
            "critical_performance",
            "pairwise",
            value={
                "cost_vs_performance": 3,
                "cost_vs_precision": 3,
                "precision_vs_performance": 1,
            },
        ),
        "critical_performance.pairwise",
        "give either priorities or pairwise, not both",
    ),
    (
        "peak below the average",
        _set("usage", "peak_requests_per_second", value=0.1),
        "usage.peak_requests_per_second",
        "below the average over the active hours",
    ),
    (
        "active hours above 24",
        _set("usage", "active_hours_per_day", value=25),
        "usage.active_hours_per_day",
        "expected a number > 0 and <= 24, got 25",
    ),
    (
        "horizon as a fraction",
        _set("usage", "horizon_months", value=1.5),
        "usage.horizon_months",
        "expected a whole number >= 1 and <= 120",
    ),
    (
        "missing required section",
        _delete("constraints"),
        "constraints",
        "required section missing",
    ),
    (
        "missing required key",
        _delete("usage", "output_tokens"),
        "usage.output_tokens",
        "required key missing (mean output tokens per request)",
    ),
    (
        "empty regions",
        _set("constraints", "regions", value=[]),
        "constraints.regions",
        "expected at least 1 item",
    ),
    (
        "region not ISO-3",
        _set("constraints", "regions", value=["FRA", "France"]),
        "constraints.regions[1]",
        "expected an ISO-3 country code",
    ),
    (
        "confidential as text",
        _set("constraints", "confidential_data", value="maybe"),
        "constraints.confidential_data",
        "expected true or false, got 'maybe'",
    ),
    (
        "section given as a list",
        _set("usage", value=[1, 2]),
        "usage",
        "expected a mapping of keys (requests_per_day",
    ),
    (
        "evaluation accuracy above 1",
        _set("evaluations", value=[{"model": "llama-3.1-8b", "accuracy": 1.5}]),
        "evaluations[0].accuracy",
        "expected a number >= 0 and <= 1, got 1.5",
    ),
    (
        "duplicate evaluations",
        _set(
            "evaluations",
            value=[
                {"model": "llama-3.1-8b", "accuracy": 0.9},
                {"model": "llama-3.1-8b", "accuracy": 0.8},
            ],
        ),
        "evaluations[1]",
        "already given as evaluations[0]",
    ),
    (
        "renewable share above 1",
        _set("carbon", "renewable_share", value=30),
        "carbon.renewable_share",
        "expected a number >= 0 and <= 1, got 30",
    ),
    (
        "misspelt probe key",
        _set("carbon", "probe", value={"comand": "bench"}),
        "carbon.probe.comand",
        "Did you mean carbon.probe.command?",
    ),
    (
        "batch only with a latency limit",
        _set("options", "deployment_mode", value=["batch"]),
        "options.deployment_mode",
        "use turnaround_h",
    ),
    (
        "measurement file missing",
        _set("measurements", value={"usage_log": "nope.csv"}),
        "measurements.usage_log",
        "file not found: ",
    ),
    (
        "one of two emissions logs missing",
        _set("measurements", value={"emissions_log": ["acme.yaml", "nope.csv"]}),
        "measurements.emissions_log[1]",
        "nope.csv (paths are relative to the params file's folder)",
    ),
    (
        "not a number (nan)",
        _set("usage", "requests_per_day", value=float("nan")),
        "usage.requests_per_day",
        "expected a number",
    ),
]


@pytest.mark.parametrize(
    ("mutate", "key_path", "fragment"),
    [case[1:] for case in BAD_DATA],
    ids=[case[0] for case in BAD_DATA],
)
def test_bad_data_names_the_key_and_the_fix(
    tmp_path: Path, mutate: Callable[[dict[str, Any]], None], key_path: str, fragment: str
) -> None:
    data = _retail()
    mutate(data)
    path = _write(tmp_path, data)
    problems = _problems(path)
    assert [p.key_path for p in problems] == [key_path], problems
    assert fragment in problems[0].expected
    assert problems[0].file == str(path)


BAD_TEXT = [
    ("empty file", "", "", "the file is empty"),
    ("only comments", "# nothing yet\n", "", "only comments"),
    ("list top level", "- client\n- usage\n", "", "the top level must be a mapping"),
    ("scalar top level", "hello\n", "", "the top level must be a mapping"),
    (
        "YAML syntax error",
        "client: {name: x\nuse_case: 3\n",
        "line 2, column 9",
        "YAML syntax error",
    ),
    (
        "unquoted colon",
        "client:\n  name: Acme: Retail\n",
        "line 2, column 13",
        "needs quotes",
    ),
    ("tab indentation", "client:\n\tname: x\n", "line 2", "tab character in the indentation"),
    (
        "python tag",
        "client: !!python/object/apply:os.system ['echo hacked']\n",
        "line 1, column 9",
        "!!python/object/apply:os.system is not allowed",
    ),
    ("alias", "a: &x [1]\nb: *x\n", "line 2, column 4", "aliases (*name) are not allowed"),
    ("duplicate key", "client: 1\nusage: 2\nclient: 3\n", "line 3, column 1", "duplicate key"),
    ("not UTF-8", b"client:\n  name: caf\xe9\n", "line 2", "not UTF-8"),
]


@pytest.mark.parametrize(
    ("text", "key_path", "fragment"),
    [case[1:] for case in BAD_TEXT],
    ids=[case[0] for case in BAD_TEXT],
)
def test_bad_files_say_where_and_what(
    tmp_path: Path, text: str | bytes, key_path: str, fragment: str
) -> None:
    problems = _problems(_write(tmp_path, text))
    assert len(problems) == 1
    assert problems[0].key_path == key_path
    assert fragment in problems[0].expected


def test_python_tag_message_says_it_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "client: !!python/object/apply:os.system ['touch pwned']\n")
    message = str(_problems(path)[0])
    assert "safe_load" in message and "remove the tag" in message
    assert not (tmp_path / "pwned").exists()


def test_missing_file_folder_and_huge_file(tmp_path: Path) -> None:
    assert "no such file" in _problems(tmp_path / "nope.yaml")[0].expected
    assert "is a folder" in _problems(tmp_path)[0].expected
    huge = _write(tmp_path, "# " + "x" * (MAX_FILE_BYTES + 10) + "\n")
    assert "limit 1 MiB" in _problems(huge)[0].expected


def test_several_problems_give_several_messages(tmp_path: Path) -> None:
    data = _retail()
    data["usage"]["requests_per_dya"] = data["usage"].pop("requests_per_day")
    data["options"]["hosting"] = ["api", "clowd"]
    data["client"]["language"] = "de"
    data["carbon"]["renewable_share"] = -1
    problems = _problems(_write(tmp_path, data))
    assert sorted(p.key_path for p in problems) == [
        "carbon.renewable_share",
        "client.language",
        "options.hosting[1]",
        "usage.requests_per_dya",
    ]
    # the misspelt key is not also reported as a missing one
    assert "usage.requests_per_day" not in [p.key_path for p in problems]
    text = str(ParamsError(problems))
    assert len(text.splitlines()) == 4
    assert all(line.startswith(str(tmp_path)) for line in text.splitlines())


def test_display_path_names_the_file_as_the_user_wrote_it(tmp_path: Path) -> None:
    data = _retail()
    data["usage"]["requests_per_day"] = -1
    with pytest.raises(ParamsError) as caught:
        params.load(_write(tmp_path, data), display_path="params/clients/acme.yaml")
    assert str(caught.value).startswith("params/clients/acme.yaml: usage.requests_per_day: ")


def test_pairwise_problems_name_the_missing_pair(tmp_path: Path) -> None:
    data = _retail()
    data["critical_performance"].pop("priorities")
    data["critical_performance"]["pairwise"] = {
        "cost_vs_performance": 3,
        "cost_vs_precision": 3,
        "cost_vs_carbon": 5,
    }
    (problem,) = _problems(_write(tmp_path, data))
    assert problem.key_path == "critical_performance.pairwise"
    assert "performance_vs_precision (or precision_vs_performance)" in problem.expected
    assert "performance_vs_carbon (or carbon_vs_performance)" in problem.expected


def test_pairwise_out_of_scale_and_misspelt(tmp_path: Path) -> None:
    data = _retail()
    data["critical_performance"].pop("priorities")
    data["critical_performance"]["pairwise"] = {
        "cost_vs_performance": 12,
        "cost_vs_precison": 3,
        "precision_vs_performance": 1,
    }
    problems = {p.key_path: p.expected for p in _problems(_write(tmp_path, data))}
    assert problems == {
        "critical_performance.pairwise.cost_vs_performance": (
            "expected a number >= 1/9 and <= 9, got 12"
        ),
        "critical_performance.pairwise.cost_vs_precison": (
            "unknown key. Did you mean critical_performance.pairwise.cost_vs_precision?"
        ),
    }


# ------------------------------------------------------------------------------------------------
# Names against the catalog


def _record() -> SimpleNamespace:
    return SimpleNamespace(source="test", retrieved="2025-01-01")


def _catalog() -> SimpleNamespace:
    names = {
        "gpus": ["H100-SXM", "H100-PCIe", "A100-80GB", "L40S", "L4"],
        "open_models": [
            "llama-3.1-8b",
            "mistral-7b",
            "mistral-small",
            "llama-3.1-70b",
            "mixtral-8x7b",
        ],
        "api_models": ["gpt-4o", "gpt-4o-mini", "mistral-large"],
        "regions": ["FRA", "IRL", "USA", "DEU", "GBR"],
    }
    return SimpleNamespace(**{kind: {n: _record() for n in ns} for kind, ns in names.items()})


def _checked(data: dict[str, Any], tmp_path: Path) -> list[Problem]:
    path = _write(tmp_path, data)
    client = params.load(path)
    with pytest.raises(ParamsError) as caught:
        params.check_against_catalog(client, _catalog(), "params/clients/acme.yaml")
    return caught.value.problems


def test_examples_pass_the_catalog_check() -> None:
    from llmdecide import catalog

    for path in (RETAIL, LAWFIRM):
        params.check_against_catalog(params.load(path), catalog.load(), path)


def test_unknown_names_get_did_you_mean_and_the_known_list(tmp_path: Path) -> None:
    data = _retail()
    data["options"]["gpus"] = ["H100-SXM", "H100"]
    data["options"]["models"] = ["gpt-4o-mini", "llama-3-8b"]
    data["constraints"]["regions"] = ["FRA", "ITA"]
    data["evaluations"] = [{"model": "GPT-4o", "accuracy": 0.9}]
    data["carbon"]["country"] = "ESP"
    problems = {p.key_path: str(p) for p in _checked(data, tmp_path)}
    assert problems["options.gpus[1]"] == (
        "params/clients/acme.yaml: options.gpus[1]: 'H100' is not in the catalog. "
        "Did you mean H100-SXM? Known: H100-SXM, H100-PCIe, A100-80GB, L40S, L4."
    )
    assert "Did you mean llama-3.1-8b?" in problems["options.models[1]"]
    assert "Known: FRA, IRL, USA, DEU, GBR." in problems["constraints.regions[1]"]
    assert "Did you mean gpt-4o?" in problems["evaluations[0].model"]
    assert "'ESP' is not in the catalog of regions" in problems["carbon.country"]
    assert len(problems) == 5


def test_confidential_data_with_api_only_is_a_contradiction(tmp_path: Path) -> None:
    data = _retail()
    data["constraints"]["confidential_data"] = True
    data["options"]["hosting"] = ["api"]
    (problem,) = _checked(data, tmp_path)
    assert problem.key_path == "options.hosting"
    assert "excluded for confidential data" in problem.expected


def test_api_models_only_without_api_hosting(tmp_path: Path) -> None:
    data = _retail()
    data["options"]["hosting"] = ["cloud", "on_premise"]
    data["options"]["models"] = ["gpt-4o", "gpt-4o-mini"]
    (problem,) = _checked(data, tmp_path)
    assert problem.key_path == "options.models"
    assert "only API models are listed but options.hosting excludes api" in problem.expected

    data["options"]["hosting"] = ["api", "cloud"]
    data["constraints"]["confidential_data"] = True
    (problem,) = _checked(data, tmp_path)
    assert "API hosting is excluded for confidential data" in problem.expected


def test_open_models_only_with_api_hosting_only(tmp_path: Path) -> None:
    data = _retail()
    data["options"]["hosting"] = ["api"]
    data["options"]["models"] = ["llama-3.1-8b"]
    (problem,) = _checked(data, tmp_path)
    assert problem.key_path == "options.models"
    assert "only open models are listed" in problem.expected


def test_optimisation_of_an_api_model_evaluation(tmp_path: Path) -> None:
    data = _retail()
    data["evaluations"] = [{"model": "gpt-4o", "optimisation": "int8", "accuracy": 0.9}]
    (problem,) = _checked(data, tmp_path)
    assert problem.key_path == "evaluations[0].optimisation"
    assert "API model" in problem.expected


def test_examples_pass_the_real_catalog() -> None:
    from llmdecide import catalog

    real = catalog.load()  # a broken catalog fails here: it must fail the suite, not skip
    for path in (RETAIL, LAWFIRM):
        params.check_against_catalog(params.load(path), real, path)


# ------------------------------------------------------------------------------------------------
# JSON Schema


def test_json_schema_describes_every_section() -> None:
    schema = params.json_schema()
    assert schema["title"] == "llmdecide client parameters"
    assert schema["description"]
    assert set(schema["properties"]) == {
        "client",
        "use_case",
        "critical_performance",
        "usage",
        "constraints",
        "options",
        "evaluations",
        "measurements",
        "carbon",
        "report",
        "operations",
        "quotes",
    }
    assert schema["additionalProperties"] is False
    assert all(d.get("additionalProperties") is False for d in schema["$defs"].values())


def test_committed_schema_is_up_to_date() -> None:
    committed = json.loads((ROOT / "params" / "schema.json").read_text(encoding="utf-8"))
    fresh = json.loads(json.dumps(params.json_schema()))
    assert committed == fresh, "params/schema.json is stale: run `make schema`"


def test_write_schema_is_deterministic(tmp_path: Path) -> None:
    first = params.write_schema(tmp_path / "a.json").read_bytes()
    second = params.write_schema(tmp_path / "b.json").read_bytes()
    assert first == second and first.endswith(b"\n")
