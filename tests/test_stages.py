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


def test_ranked_orders_as_sorting_the_frame() -> None:
    """``_ranked``'s numpy sorts give the order of pandas' ``sort_values`` on the same keys:
    robust before weak, then rank (n/a last), then id; rejected by violation (inf, then n/a
    last), then id."""
    import pandas as pd

    frame = pd.DataFrame(
        {
            "config_id": ["e", "b", "a", "d", "c", "g", "f", "h"],
            "feasible": [True, True, True, True, False, False, False, False],
            "probability_meets_limits": [0.9, 0.5, 0.95, float("nan"), 0.0, 0.0, 0.0, 0.0],
            "rank": pd.array([2, 1, 2, None, None, None, None, None], dtype="Int64"),
            "total_violation": [0.0, 0.0, 0.0, 0.0, float("nan"), 0.5, float("inf"), 0.5],
        }
    )
    feasible, rejected = stages._ranked(frame, min_probability=0.8)
    # not weak: e, a (rank 2: a first by id), d (n/a probability is not < 0.8; rank n/a: last);
    # weak: b (rank 1)
    assert frame["config_id"].iloc[feasible].tolist() == ["a", "e", "d", "b"]
    assert frame["config_id"].iloc[rejected].tolist() == ["g", "h", "f", "c"]
    ok = frame[frame["feasible"]]
    by_pandas = ok.assign(_weak=ok["probability_meets_limits"] < 0.8).sort_values(
        ["_weak", "rank", "config_id"]
    )
    assert by_pandas["config_id"].tolist() == ["a", "e", "d", "b"]
    rejected_by_pandas = frame[~frame["feasible"]].sort_values(["total_violation", "config_id"])
    assert rejected_by_pandas["config_id"].tolist() == ["g", "h", "f", "c"]
