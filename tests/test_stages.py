"""The three stages run in-process (the notebooks' calls), on variants of the example client."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from llmdecide import stages

REPO = Path(__file__).resolve().parents[1]


def _client(tmp_path: Path, **usage: float) -> Path:
    data = yaml.safe_load((REPO / "params" / "clients" / "example-retail.yaml").read_text())
    data["usage"].update(usage)
    data["critical_performance"]["performance"]["limit"] = 5.0
    path = tmp_path / "variant.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return path


def test_an_api_recommendation_has_no_self_hosted_levers_and_does_not_fail(tmp_path: Path) -> None:
    """An API recommendation (no region, GPU or quantisation to change, no smaller open model):
    the carbon stage lists no lever rather than failing on an empty selection."""
    params = _client(
        tmp_path, requests_per_day=80000, peak_requests_per_second=24, output_tokens=150
    )
    data = yaml.safe_load(params.read_text())
    data["options"]["hosting"] = ["api"]  # the API is the recommendation by construction
    params.write_text(yaml.safe_dump(data, allow_unicode=True))
    out = tmp_path / "out"
    stages.critical_performance(params, out)
    choices = stages.technical_choices(params, out).data
    assert choices["recommendation"]["hosting"] == "api"
    footprint = stages.carbon_footprint(params, out)
    assert footprint.data["regions"] == []
    assert all(lever["lever"] != "region" for lever in footprint.data["levers"])
    assert footprint.data["projection"]["method"] == "ecologits"
    saved = json.loads((out / "data" / "carbon.json").read_text())
    assert saved["projection"]["monthly_kgco2e"] > 0


def test_stage_outputs_are_written_through_lib(tmp_path: Path) -> None:
    params = REPO / "params" / "clients" / "example-retail.yaml"
    out = tmp_path / "out"
    critical = stages.critical_performance(params, out)
    assert critical.data["priorities"]["cost"] > critical.data["priorities"]["performance"]
    assert (out / "data" / "critical_performance.json").is_file()
    choices = stages.technical_choices(params, out)
    assert (out / "configurations.csv").is_file()
    assert choices.data["counts"]["configurations"] == len(choices.frame)
    assert len(choices.data["winner_map"]) == 231
