"""The seed's own examples as clients (tests/scenarios/*.yaml), each with the decision an expert
would make and why; plus properties of the whole method on a real client."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from llmdecide import stages

HERE = Path(__file__).resolve().parent / "scenarios"
REPO = Path(__file__).resolve().parents[1]
SMALL_MODELS = {"llama-3.1-8b", "mistral-7b", "mistral-small"}


def decide(path: Path, out: Path) -> dict:
    return stages.technical_choices(path, out).data


def test_voice_agent_self_hosts_for_time_to_first_token(tmp_path: Path) -> None:
    """Latency critical (TTFT p95 ≤ 0.5 s): API time to first token (EcoLogits' measured ttft ×
    queueing + network) is too slow, so the expert self-hosts a model that is not the largest."""
    d = decide(HERE / "voice-agent.yaml", tmp_path)
    rec = d["recommendation"]
    assert rec["hosting"] in ("cloud", "on_premise")
    assert rec["model"] in SMALL_MODELS
    assert rec["deployment_mode"] == "real_time"
    assert d["estimates"]["ttft_s"] <= 0.5
    api = [r for r in d["per_choice"]["hosting"] if r["option"] == "api"]
    assert api and not api[0]["feasible"] and "ttft" in api[0]["rejected_because"]


def test_hospital_keeps_data_in_house_and_buys_precision(tmp_path: Path) -> None:
    """Confidential data excludes third-party APIs; precision first picks the most accurate model
    that meets the other limits (the 70B), not the cheapest."""
    d = decide(HERE / "hospital.yaml", tmp_path)
    assert {
        "choice": "hosting",
        "option": "api",
        "reason": "confidential data: third-party APIs are excluded",
    } in d["excluded"]
    assert d["recommendation"]["hosting"] != "api"
    assert d["recommendation"]["model"] == "llama-3.1-70b"
    models = {r["option"]: r for r in d["per_choice"]["model"]}
    assert d["estimates"]["accuracy"] >= max(
        r["accuracy"] for r in models.values() if r["feasible"]
    )


def test_supermarket_self_hosts_a_small_quantised_model_at_volume(tmp_path: Path) -> None:
    """Cost critical at two million requests a day: API cost is linear in calls, so past the
    break-even volume the expert self-hosts a small, quantised model."""
    d = decide(HERE / "supermarket.yaml", tmp_path)
    rec = d["recommendation"]
    assert rec["hosting"] in ("cloud", "on_premise")
    assert rec["model"] in SMALL_MODELS
    assert rec["optimisation"] in ("fp8", "int8", "int4", "fp4")
    be = d["break_even"]
    # total cost of ownership (issue 13): the engineer who runs the service (1 FTE, about
    # 10 500 EUR a month) costs more than the GPUs; the API's cost is its tokens. The crossing
    # sits near the client's two million requests a day (not at a small fraction of it), and
    # both sides of it are precise enough (limit 0.6)
    assert be["requests_per_day"] is not None
    assert 1_000_000 < be["requests_per_day"] < 4_000_000
    assert be["drivers"]["api_main"] == "tokens"
    assert be["drivers"]["self_hosted_main"] == "staff"
    assert be["precision"]["api_basis"] == be["precision"]["self_hosted_basis"] == "meets_limit"
    # the GPUs alone cost far less than the API's tokens at this volume
    own = be["drivers"]["self_hosted"]
    assert own["gpus"] < be["drivers"]["api"]["tokens"] / 2


def test_weekly_digest_runs_in_batch(tmp_path: Path) -> None:
    """Nobody waits (turnaround ≤ 48 h) and the budget is tight: batch mode, which needs GPUs only
    for the hours the backlog takes (or the API's batch price), beats real time."""
    d = decide(HERE / "weekly-digest.yaml", tmp_path)
    assert d["recommendation"]["deployment_mode"] == "batch"
    assert d["estimates"]["turnaround_h"] <= 48
    modes = {r["option"]: r for r in d["per_choice"]["deployment_mode"]}
    assert modes["batch"]["monthly_cost"] < modes["real_time"]["monthly_cost"]


def _variant(tmp_path: Path, name: str, edit: dict) -> Path:
    data = yaml.safe_load((REPO / "params" / "clients" / "example-lawfirm.yaml").read_text())
    data.pop("measurements", None)
    for dotted, value in edit.items():
        node = data
        *parents, last = dotted.split(".")
        for key in parents:
            node = node[key]
        if value is None:
            node.pop(last, None)
        else:
            node[last] = value
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return path


def test_more_weight_on_cost_never_raises_the_winners_cost(tmp_path: Path) -> None:
    """Raising one priority never lowers that criterion's value in the winner (cost: never dearer)."""
    costs = []
    for w in (1, 3, 9):
        p = _variant(
            tmp_path,
            f"w{w}",
            {
                "critical_performance.pairwise": None,
                "critical_performance.priorities": {"performance": 1, "precision": 1, "cost": w},
            },
        )
        costs.append(decide(p, tmp_path / f"out{w}")["estimates"]["monthly_cost"])
    assert costs[0] >= costs[1] >= costs[2]


def test_a_tighter_latency_limit_never_raises_the_batch(tmp_path: Path) -> None:
    """The batch per replica is the largest that keeps p95 under the limit: tightening the limit
    can only shrink it (checked row by row on the same configurations)."""
    import pandas as pd

    batches = []
    for limit in (40, 25, 20):
        p = _variant(tmp_path, f"l{limit}", {"critical_performance.performance.limit": limit})
        decide(p, tmp_path / f"o{limit}")
        frame = pd.read_csv(tmp_path / f"o{limit}" / "configurations.csv")
        batches.append(frame.set_index("config_id")["batch_per_replica"])
    joined = pd.concat(batches, axis=1).dropna()
    assert len(joined) > 10
    assert (joined.iloc[:, 0] >= joined.iloc[:, 1]).all()
    assert (joined.iloc[:, 1] >= joined.iloc[:, 2]).all()


@pytest.mark.parametrize("name", ["voice-agent", "hospital", "supermarket", "weekly-digest"])
def test_scenario_clients_are_valid(name: str) -> None:
    stages.load_inputs(HERE / f"{name}.yaml")


def test_voice_agent_within_one_second_gets_a_tensor_parallel_replica(tmp_path: Path) -> None:
    """Issue 11: p95 ≤ 1 s end to end with a 70B-class precision. The API's p95 is too slow;
    one GPU per replica cannot decode fast enough; a tensor-parallel replica can — the sizing
    searches the degree instead of taking the minimum that fits in memory."""
    d = decide(HERE / "voice-agent-p95.yaml", tmp_path)
    assert d["feasible"]
    rec = d["recommendation"]
    assert rec["hosting"] in ("cloud", "on_premise")
    assert rec["deployment_mode"] == "real_time"
    assert rec["gpus_per_replica"] >= 2
    assert d["estimates"]["p95_latency_s"] <= 1.0
    degrees = {r["option"]: r for r in d["per_choice"]["gpus_per_replica"]}
    assert {"1", "2", "4", "8"} <= set(degrees)
    assert not degrees["1"]["feasible"]
