"""Priorities: direct weights normalised, AHP weights and consistency ratio (pymcdm)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from _method import METHOD
from llmdecide import params, priorities
from llmdecide.errors import ParamsError

CLIENTS = Path(__file__).resolve().parents[1] / "params" / "clients"


CR = float(METHOD["ahp_consistency_threshold"])  # Saaty's 0.1, read from the catalog


def _direct(**weights: float) -> SimpleNamespace:
    return SimpleNamespace(priorities=weights, pairwise=None)


def _pairwise(**judgements: float) -> SimpleNamespace:
    return SimpleNamespace(priorities=None, pairwise=judgements)


def test_direct_priorities_are_divided_by_their_sum() -> None:
    # 1 + 1 + 3 + 0.5 = 5.5
    weights = priorities.normalised_weights(
        _direct(performance=1, precision=1, cost=3, carbon=0.5), cr_threshold=CR
    )
    assert weights == pytest.approx(
        {"performance": 1 / 5.5, "precision": 1 / 5.5, "cost": 3 / 5.5, "carbon": 0.5 / 5.5}
    )
    assert sum(weights.values()) == pytest.approx(1.0)


def test_direct_priorities_without_carbon_give_it_zero() -> None:
    result = priorities.priorities(_direct(performance=2, precision=1, cost=1), cr_threshold=CR)
    assert result.method == "direct"
    assert result.weights == {"performance": 0.5, "precision": 0.25, "cost": 0.25, "carbon": 0.0}
    assert result.consistency_ratio is None and result.warning is None
    assert result.ahp() is None


def test_direct_priorities_all_zero_are_refused() -> None:
    with pytest.raises(ParamsError) as caught:
        priorities.priorities(
            _direct(performance=0, precision=0, cost=0), file="acme.yaml", cr_threshold=CR
        )
    assert str(caught.value).startswith("acme.yaml: critical_performance.priorities: ")
    assert "all zero" in str(caught.value)


def test_ahp_consistent_three_criteria_by_hand() -> None:
    # Order (performance, precision, cost). cost is 3x performance and 3x precision, which tie:
    #   performance [1,   1,   1/3]
    #   precision   [1,   1,   1/3]
    #   cost        [3,   3,   1  ]
    # Every column is proportional to (1, 1, 3), so the principal eigenvector is (1, 1, 3) / 5 =
    # (0.2, 0.2, 0.6) with eigenvalue λmax = 1 + 1 + 1/3 * 3 = 3 = n: CI = (3 - 3) / 2 = 0, CR = 0.
    result = priorities.priorities(
        _pairwise(cost_vs_performance=3, cost_vs_precision=3, precision_vs_performance=1),
        cr_threshold=CR,
    )
    assert result.method == "ahp"
    assert result.weights == pytest.approx(
        {"performance": 0.2, "precision": 0.2, "cost": 0.6, "carbon": 0.0}
    )
    assert result.consistency_ratio == pytest.approx(0.0, abs=1e-9)
    assert result.warning is None
    assert result.ahp() == {"consistency_ratio": result.consistency_ratio, "warning": None}


def test_ahp_inconsistent_cycle_warns() -> None:
    # A cycle: performance 3x precision, precision 3x cost, cost 3x performance.
    #   performance [1,   3,   1/3]
    #   precision   [1/3, 1,   3  ]
    #   cost        [3,   1/3, 1  ]
    # Each row sums to 1 + 3 + 1/3, so (1, 1, 1) is the principal eigenvector: equal weights, and
    # λmax = 13/3; CI = (13/3 - 3) / 2 = 2/3; CR = CI / RI(3) = 0.6667 / 0.5799 ≈ 1.15 > 0.1.
    result = priorities.priorities(
        _pairwise(performance_vs_precision=3, precision_vs_cost=3, cost_vs_performance=3),
        cr_threshold=CR,
    )
    assert result.weights["performance"] == pytest.approx(1 / 3)
    assert result.weights["cost"] == pytest.approx(1 / 3)
    assert result.consistency_ratio == pytest.approx((2 / 3) / 0.5799, rel=1e-3)
    assert result.warning is not None
    assert "consistency ratio 1.15 > 0.1" in result.warning
    assert "Revisit them" in result.warning


def test_threshold_comes_from_the_caller() -> None:
    judgements = _pairwise(performance_vs_precision=3, precision_vs_cost=3, cost_vs_performance=1)
    strict = priorities.priorities(judgements, cr_threshold=0.1)
    lenient = priorities.priorities(judgements, cr_threshold=2.0)
    assert strict.consistency_ratio == lenient.consistency_ratio
    assert strict.consistency_ratio > 0.1
    assert strict.warning is not None and lenient.warning is None


def test_ahp_four_criteria_with_carbon() -> None:
    # Weights in the ratio performance : precision : cost : carbon = 1 : 2 : 4 : 1, judged exactly,
    # give a consistent matrix: weights (1, 2, 4, 1) / 8, CR = 0.
    result = priorities.priorities(
        _pairwise(
            precision_vs_performance=2,
            cost_vs_performance=4,
            performance_vs_carbon=1,
            cost_vs_precision=2,
            precision_vs_carbon=2,
            cost_vs_carbon=4,
        ),
        cr_threshold=CR,
    )
    assert result.weights == pytest.approx(
        {"performance": 0.125, "precision": 0.25, "cost": 0.5, "carbon": 0.125}
    )
    assert result.consistency_ratio == pytest.approx(0.0, abs=1e-9)


def test_ahp_accepts_judgements_between_saaty_integers() -> None:
    # pymcdm's own validator knows only 1..9 and their inverses; 2.5 is a fair judgement too.
    result = priorities.ahp(
        {"cost_vs_performance": 2.5, "cost_vs_precision": 2.5, "precision_vs_performance": 1},
        cr_threshold=CR,
    )
    # columns proportional to (1, 1, 2.5): weights (1, 1, 2.5) / 4.5
    assert result.weights["cost"] == pytest.approx(2.5 / 4.5)
    assert result.consistency_ratio == pytest.approx(0.0, abs=1e-9)


def test_missing_pair_is_named() -> None:
    with pytest.raises(ParamsError) as caught:
        priorities.ahp(
            {"cost_vs_performance": 3, "cost_vs_precision": 3}, file="acme.yaml", cr_threshold=CR
        )
    (problem,) = caught.value.problems
    assert problem.key_path == "critical_performance.pairwise"
    assert "missing judgement performance_vs_precision (or precision_vs_performance)" in (
        problem.expected
    )


def test_carbon_named_once_needs_all_its_pairs() -> None:
    problems = priorities.pairwise_problems(
        {
            "cost_vs_performance": 3,
            "cost_vs_precision": 3,
            "precision_vs_performance": 1,
            "carbon_vs_cost": 0.5,
        }
    )
    assert problems == [
        "missing judgements performance_vs_carbon (or carbon_vs_performance), precision_vs_carbon "
        "(or carbon_vs_precision): AHP needs one judgement for every pair of performance, "
        "precision, cost, carbon"
    ]


def test_pair_given_both_ways_or_misspelt() -> None:
    problems = priorities.pairwise_problems(
        {
            "cost_vs_performance": 3,
            "performance_vs_cost": 1 / 3,
            "cost_vs_precison": 3,
            "precision_vs_performance": 10,
        }
    )
    assert "give cost_vs_performance or performance_vs_cost, not both" in problems
    assert any("Did you mean cost_vs_precision?" in p for p in problems)
    assert any("expected a number from 1/9 to 9, got 10" in p for p in problems)


def test_lawfirm_example_is_precision_first_and_consistent() -> None:
    client = params.load(CLIENTS / "example-lawfirm.yaml")
    result = priorities.priorities(client.critical_performance, cr_threshold=CR)
    assert result.method == "ahp"
    assert max(result.weights, key=result.weights.get) == "precision"
    assert result.consistency_ratio < 0.1 and result.warning is None
    assert result.weights["carbon"] == 0.0
    assert sum(result.weights.values()) == pytest.approx(1.0)


def test_retail_example_weights() -> None:
    client = params.load(CLIENTS / "example-retail.yaml")
    weights = priorities.normalised_weights(client.critical_performance, cr_threshold=CR)
    assert weights["cost"] == pytest.approx(3 / 5.5)
    assert weights["carbon"] == pytest.approx(0.5 / 5.5)


def test_priorities_is_frozen() -> None:
    result = priorities.direct({"performance": 1, "precision": 1, "cost": 1})
    with pytest.raises(AttributeError):
        result.method = "ahp"  # type: ignore[misc]
