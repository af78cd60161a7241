"""Scoring (docs/method.md §9): utilities, rejection reasons, ranking, TOPSIS, Pareto, winner map, Monte Carlo."""

from __future__ import annotations

import math
import time
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest

from llmdecide import columns, records, scoring
from llmdecide.scoring import Criterion

# Method settings as the catalog gives them (values chosen for the tests, not the catalog's).
METHOD: dict[str, float] = {
    "saturation_performance": 0.3,
    "saturation_precision": 0.1,
    "saturation_cost": 0.6,
    "saturation_carbon": 0.5,
    "monte_carlo_samples": 2000,
    "monte_carlo_seed": 7,
    "winner_map_steps": 20,
}
LIMITS: dict[str, Any] = {
    "performance": {"metric": "p95_latency_s", "limit": 3.0},
    "precision": {"metric": "accuracy", "limit": 0.9},
    "cost": {"metric": "monthly_cost", "limit": 6000},
}
COST_FIRST = {"performance": 1, "precision": 1, "cost": 3}

DEFAULTS: dict[str, Any] = {
    "hosting": "cloud",
    "region": "FRA",
    "gpu": "L40S",
    "gpus_per_replica": 1,
    "replicas": 2,
    "model": "llama-3.1-8b",
    "optimisation": "fp16",
    "kv_cache": "fp16",
    "reasoning_effort": "",
    "prompt_caching": "",
    "rag": "none",
    "output_format": "text",
    "deployment_mode": "real_time",
    "p95_latency_s": 2.0,
    "ttft_s": 0.4,
    "turnaround_h": 2.0 / 3600,
    "accuracy": 0.93,
    "monthly_cost": 3000.0,
    "setup_cost": 5000.0,
    "monthly_kgco2e": 100.0,
    "excluded_because": "",
}


def frame(*rows: dict[str, Any]) -> pd.DataFrame:
    """Configurations from partial rows (``config_id`` c0, c1, … unless given)."""
    records = [{"config_id": f"c{i}", **DEFAULTS, **row} for i, row in enumerate(rows)]
    return pd.DataFrame.from_records(records)


def crits(
    limits: dict[str, Any] | None = None, weights: dict[str, float] | None = None
) -> list[Criterion]:
    return scoring.criteria(LIMITS if limits is None else limits, weights or COST_FIRST, METHOD)


def scored(
    df: pd.DataFrame, c: list[Criterion], max_setup_cost: float | None = None
) -> pd.DataFrame:
    return scoring.score(scoring.reject(df, c, max_setup_cost), c)


def by_id(df: pd.DataFrame) -> pd.DataFrame:
    return df.set_index("config_id")


# --------------------------------------------------------------------------------------------
# criteria
# --------------------------------------------------------------------------------------------


def test_criteria_map_metrics_to_columns_and_keep_carbon_without_limit() -> None:
    limits = {**LIMITS, "performance": {"metric": "ttft_p95_s", "limit": 0.8}}
    c = scoring.criteria(limits, {"performance": 2, "precision": 1, "cost": 1}, METHOD)
    assert [x.pillar for x in c] == ["performance", "precision", "cost", "carbon"]
    assert c[0] == Criterion("performance", "ttft_s", 0.8, False, 0.3, 2.0)
    assert c[1].higher_is_better and c[1].column == "accuracy"
    assert c[3] == Criterion("carbon", "monthly_kgco2e", None, False, 0.5, 0.0)


def test_criteria_read_saturation_from_method_only() -> None:
    method = {k: v for k, v in METHOD.items() if k != "saturation_cost"}
    with pytest.raises(KeyError, match="saturation_cost"):
        scoring.criteria(LIMITS, COST_FIRST, method)
    with pytest.raises(ValueError, match="unknown metric"):
        scoring.criteria({"performance": {"metric": "latency", "limit": 1}}, COST_FIRST, METHOD)


# --------------------------------------------------------------------------------------------
# utility
# --------------------------------------------------------------------------------------------


def test_utility_cost_half_the_budget() -> None:
    # limit 6000, x = 3000, saturation 0.6: m = (6000 - 3000) / 6000 = 0.5, u = 1 - exp(-0.5/0.6) = 0.5654
    assert scoring.utility(3000, 6000, False, 0.6) == pytest.approx(0.5654, abs=1e-4)


def test_utility_cost_a_fifth_of_the_budget() -> None:
    # x = 1200: m = 4800 / 6000 = 0.8, u = 1 - exp(-0.8/0.6) = 1 - 0.2636 = 0.7364
    assert scoring.utility(1200, 6000, False, 0.6) == pytest.approx(0.7364, abs=1e-4)


def test_utility_accuracy_saturates_soon() -> None:
    # limit 0.90, saturation 0.1, m = share of the gap to 1 that is closed:
    # 0.95: m = 0.05 / 0.10 = 0.5, u = 1 - exp(-5) = 0.99326
    # 0.98: m = 0.08 / 0.10 = 0.8, u = 1 - exp(-8) = 0.99966  -> a gain of 0.0064 only
    u95 = scoring.utility(0.95, 0.9, True, 0.1)
    u98 = scoring.utility(0.98, 0.9, True, 0.1)
    assert u95 == pytest.approx(0.99326, abs=1e-5)
    assert u98 == pytest.approx(0.99966, abs=1e-5)
    assert 0 < u98 - u95 < 0.01
    # whereas the same relative step on cost is worth far more: 0.5654 -> 0.7364
    assert scoring.utility(1200, 6000, False, 0.6) - scoring.utility(3000, 6000, False, 0.6) > 0.15


def test_utility_is_zero_at_the_limit_and_nan_beyond() -> None:
    assert scoring.utility(3.0, 3.0, False, 0.3) == 0.0
    assert scoring.utility(0.9, 0.9, True, 0.1) == 0.0
    assert math.isnan(scoring.utility(3.1, 3.0, False, 0.3))
    assert math.isnan(scoring.utility(0.89, 0.9, True, 0.1))
    assert math.isnan(scoring.utility(float("nan"), 3.0, False, 0.3))


def test_utility_without_limit_uses_the_reference() -> None:
    # no carbon limit, worst feasible value 400 is the reference: x = 100, m = 300/400 = 0.75,
    # saturation 0.5: u = 1 - exp(-1.5) = 0.7769
    assert scoring.utility(100, None, False, 0.5, reference=400) == pytest.approx(0.7769, abs=1e-4)
    with pytest.raises(ValueError):
        scoring.utility(100, None, False, 0.5)


def test_utilities_is_the_vectorised_utility() -> None:
    xs = np.array([1000.0, 3000.0, 6000.0, 7000.0])
    got = scoring.utilities(xs, 6000, False, 0.6)
    want = [scoring.utility(x, 6000, False, 0.6) for x in xs]
    np.testing.assert_allclose(got, want, equal_nan=True)


# --------------------------------------------------------------------------------------------
# score and rank
# --------------------------------------------------------------------------------------------


def test_cost_first_client_prefers_a_fifth_of_the_budget_over_half() -> None:
    # docs/method.md §9. Both meet every limit; "half" is faster and a little more accurate.
    # fifth: perf m = 1/3 -> 0.6713, prec m = 0.3 -> 0.9502, cost m = 0.8 -> 0.7364
    #        score = (0.6713 + 0.9502 + 3 x 0.7364) / 5 = 0.7661
    # half:  perf m = 0.5 -> 0.8111, prec m = 0.5 -> 0.9933, cost m = 0.5 -> 0.5654
    #        score = (0.8111 + 0.9933 + 3 x 0.5654) / 5 = 0.7001
    df = frame(
        {"config_id": "fifth", "p95_latency_s": 2.0, "accuracy": 0.93, "monthly_cost": 1200},
        {"config_id": "half", "p95_latency_s": 1.5, "accuracy": 0.95, "monthly_cost": 3000},
    )
    out = by_id(scored(df, crits()))
    assert out.loc["fifth", "score"] == pytest.approx(0.7661, abs=1e-3)
    assert out.loc["half", "score"] == pytest.approx(0.7001, abs=1e-3)
    assert out.loc["fifth", "rank"] == 1 and out.loc["half", "rank"] == 2
    # a performance-first client goes the other way: priorities decide between feasible ones
    perf_first = by_id(scored(df, crits(weights={"performance": 3, "precision": 1, "cost": 1})))
    assert perf_first.loc["half", "rank"] == 1


def test_cheaper_otherwise_identical_never_scores_lower() -> None:
    costs = np.linspace(0, 6000, 61)
    df = frame(*({"config_id": f"c{i:02d}", "monthly_cost": float(x)} for i, x in enumerate(costs)))
    out = scored(df, crits())
    s = out["score"].to_numpy()
    assert np.all(np.diff(s) <= 1e-12)  # cost rises along the rows: score never rises
    assert out["rank"].tolist() == list(range(1, 62))


def test_more_accurate_otherwise_identical_never_scores_lower() -> None:
    accs = np.linspace(0.9, 1.0, 21)
    df = frame(*({"config_id": f"c{i:02d}", "accuracy": float(a)} for i, a in enumerate(accs)))
    s = scored(df, crits())["score"].to_numpy()
    assert np.all(np.diff(s) >= -1e-12)


def test_infeasible_rows_have_no_score_or_rank() -> None:
    df = frame({"monthly_cost": 7000}, {"monthly_cost": 1000})
    out = scored(df, crits())
    assert math.isnan(out.loc[0, "score"]) and out.loc[0, "rank"] is pd.NA
    assert math.isnan(out.loc[0, "u_cost"])
    assert out.loc[1, "rank"] == 1
    assert {"u_performance", "u_precision", "u_cost", "u_carbon"} <= set(out.columns)


def test_ties_break_on_config_id_and_row_order_does_not_matter() -> None:
    df = frame({"config_id": "b"}, {"config_id": "a"}, {"config_id": "c", "monthly_cost": 100})
    out = by_id(scored(df, crits()))
    assert out["rank"].to_dict() == {"b": 3, "a": 2, "c": 1}
    shuffled = by_id(scored(df.iloc[::-1].reset_index(drop=True), crits()))
    pd.testing.assert_series_equal(out["rank"].sort_index(), shuffled["rank"].sort_index())


def test_carbon_without_limit_is_scored_against_the_worst_feasible_value() -> None:
    weights = {**COST_FIRST, "carbon": 1}
    df = frame(
        {"monthly_kgco2e": 400},
        {"monthly_kgco2e": 100},
        {"monthly_kgco2e": 900, "monthly_cost": 9000},
    )
    out = scored(df, crits(weights=weights))
    # row 2 is infeasible (cost), so the reference is 400: u(100) = 1 - exp(-0.75/0.5) = 0.7769
    assert out.loc[0, "u_carbon"] == 0.0
    assert out.loc[1, "u_carbon"] == pytest.approx(0.7769, abs=1e-4)


# --------------------------------------------------------------------------------------------
# reject
# --------------------------------------------------------------------------------------------


def test_rejection_lists_every_broken_limit() -> None:
    df = frame(
        {"p95_latency_s": 4.2, "monthly_cost": 7214.3, "setup_cost": 120000},
        {"accuracy": 0.85, "excluded_because": "confidential_data excludes api"},
        {},
    )
    out = scoring.reject(df, crits(), max_setup_cost=100000)
    assert out["rejected_because"].tolist() == [
        "p95_latency_s 4.2 > limit 3; monthly_cost 7210 > limit 6000; "
        "setup_cost 120000 > max_setup_cost 100000",
        "confidential_data excludes api; accuracy 0.85 < limit 0.9",
        "",
    ]
    assert out["feasible"].tolist() == [False, False, True]
    # relative excesses: 1.2/3 + 1214.3/6000 + 20000/100000
    assert out.loc[0, "total_violation"] == pytest.approx(0.4 + 1214.3 / 6000 + 0.2)
    assert "feasible" not in df.columns  # a copy


def test_rejection_shows_enough_digits_to_differ_from_the_limit() -> None:
    df = frame({"monthly_cost": 6004}, {"accuracy": 0.8996})
    out = scoring.reject(df, crits(), None)
    assert out["rejected_because"].tolist() == [
        "monthly_cost 6004 > limit 6000",
        "accuracy 0.8996 < limit 0.9",
    ]


def test_batch_mode_against_a_latency_limit_and_missing_values() -> None:
    df = frame(
        {"deployment_mode": "batch", "p95_latency_s": np.nan, "turnaround_h": 4.0},
        {"p95_latency_s": np.nan},
    )
    out = scoring.reject(df, crits(), None)
    assert out["rejected_because"].tolist() == [
        scoring.BATCH_REASON,
        "performance not applicable: p95_latency_s has no value",
    ]
    # judged on turnaround, batch is fine (the caller fills turnaround_h for real-time rows too)
    limits = {**LIMITS, "performance": {"metric": "turnaround_h", "limit": 6}}
    assert scoring.reject(df, crits(limits), None)["feasible"].tolist() == [True, True]


def test_carbon_limit_is_a_limit_like_the_others() -> None:
    limits = {**LIMITS, "carbon": {"metric": "monthly_kgco2e", "limit": 300}}
    out = scoring.reject(frame({"monthly_kgco2e": 450}), crits(limits), None)
    assert out.loc[0, "rejected_because"] == "monthly_kgco2e 450 > limit 300"


# --------------------------------------------------------------------------------------------
# nothing feasible
# --------------------------------------------------------------------------------------------


def test_nothing_feasible_gives_the_closest_and_what_to_relax() -> None:
    df = frame(
        {"config_id": "near", "monthly_cost": 6600},  # 10 % over the cost limit
        {"config_id": "far", "monthly_cost": 6600, "p95_latency_s": 3.6},  # + 20 % on latency
        {"config_id": "excluded", "monthly_cost": 6001, "excluded_because": "region not allowed"},
        {"config_id": "batch", "deployment_mode": "batch", "p95_latency_s": np.nan},
    )
    c = crits()
    closest = scoring.closest_to_feasible(scoring.reject(df, c, None), c, None, n=5)
    assert [x["config_id"] for x in closest] == ["near", "far"]
    assert closest[0]["relax"] == [
        {
            "pillar": "cost",
            "column": "monthly_cost",
            "value": 6600.0,
            "limit": 6000.0,
            "relax_to": 6600.0,
            "relax_by_pct": 10.0,
        }
    ]
    assert [r["relax_by_pct"] for r in closest[1]["relax"]] == [20.0, 10.0]
    assert closest[1]["total_relax_pct"] == 30.0
    assert closest[0]["configuration"]["hosting"] == "cloud"

    result = scoring.run(df, LIMITS, COST_FIRST, METHOD, None)
    assert result.recommendation.best is None and not result.recommendation.feasible
    assert result.closest[0]["config_id"] == "near"
    assert result.winner_map == [] and result.sensitivity["distance"] is None
    assert result.per_choice["hosting"][0]["config_id"] == "near"


def test_closest_counts_setup_cost_against_its_budget() -> None:
    df = frame({"setup_cost": 150000})
    c = crits()
    closest = scoring.closest_to_feasible(scoring.reject(df, c, 100000), c, 100000)
    assert closest[0]["relax"][0]["column"] == "setup_cost"
    assert closest[0]["relax"][0]["relax_by_pct"] == 50.0


def test_closest_names_an_extra_limit_that_alone_excludes_everything() -> None:
    # Every row meets the three pillar limits; only the extra TPOT limit (50 ms) is broken.
    # "what to relax" must name it: tpot 60 ms vs 50 -> (60 - 50) / 50 = 20 %; 55 ms -> 10 %.
    df = frame(
        {"config_id": "slow", "tpot_p95_ms": 60.0},
        {"config_id": "nearly", "tpot_p95_ms": 55.0},
    )
    result = scoring.run(df, LIMITS, COST_FIRST, METHOD, None, extra_limits={"tpot_p95_ms": 50})
    assert result.recommendation.best is None
    assert [x["config_id"] for x in result.closest] == ["nearly", "slow"]
    assert result.closest[0]["relax"] == [
        {
            "pillar": "performance",
            "column": "tpot_p95_ms",
            "value": 55.0,
            "limit": 50.0,
            "relax_to": 55.0,
            "relax_by_pct": 10.0,
        }
    ]
    assert result.closest[1]["total_relax_pct"] == 20.0


# --------------------------------------------------------------------------------------------
# Pareto
# --------------------------------------------------------------------------------------------


def test_pareto_on_a_small_hand_example() -> None:
    df = frame(
        {"config_id": "A", "p95_latency_s": 1.0, "accuracy": 0.95, "monthly_cost": 1000},
        {
            "config_id": "B",
            "p95_latency_s": 2.0,
            "accuracy": 0.95,
            "monthly_cost": 1000,
        },  # worse than A
        {"config_id": "C", "p95_latency_s": 0.5, "accuracy": 0.91, "monthly_cost": 3000},  # fastest
        {"config_id": "D", "p95_latency_s": 1.0, "accuracy": 0.95, "monthly_cost": 1000},  # = A
        {
            "config_id": "E",
            "p95_latency_s": 0.1,
            "accuracy": 0.99,
            "monthly_cost": 7000,
        },  # infeasible
        {
            "config_id": "F",
            "p95_latency_s": 1.0,
            "accuracy": 0.96,
            "monthly_cost": 1000,
            "monthly_kgco2e": 500,
        },
    )
    c = crits()
    out = scoring.reject(df, c, None)
    front = dict(zip(df["config_id"], scoring.pareto_front(out, c), strict=True))
    # F is more accurate than A but emits more: carbon is a Pareto criterion too
    assert front == {"A": True, "B": False, "C": True, "D": True, "E": False, "F": True}
    everything = dict(zip(df["config_id"], scoring.pareto_all(out, c), strict=True))
    assert bool(everything["E"])
    assert not everything["B"]


def test_non_dominated_matches_brute_force() -> None:
    rng = np.random.default_rng(3)
    pts = np.round(rng.random((300, 3)) * 10)  # many ties
    fast = scoring.non_dominated(pts)
    le = (pts[:, None, :] <= pts[None, :, :]).all(axis=2)
    lt = (pts[:, None, :] < pts[None, :, :]).any(axis=2)
    brute = ~(le & lt).any(axis=0)
    np.testing.assert_array_equal(fast, brute)


# --------------------------------------------------------------------------------------------
# TOPSIS and the recommendation
# --------------------------------------------------------------------------------------------


def recommend(out: pd.DataFrame, c: list[Criterion]) -> scoring.Recommendation:
    """The product's recommendation of a scored frame; without ``probability_meets_limits``
    every row counts as robust, so the order is the score's (rank 1, 2, …)."""
    return scoring.recommend_robust(out, c, min_probability=0.0)


def test_topsis_agrees_when_one_configuration_is_better_everywhere() -> None:
    # "poor" runs another model: another design, so it is the runner-up (not a variant)
    df = frame(
        {"config_id": "good", "p95_latency_s": 1.0, "accuracy": 0.97, "monthly_cost": 1000},
        {
            "config_id": "poor",
            "model": "mistral-small",
            "p95_latency_s": 2.5,
            "accuracy": 0.91,
            "monthly_cost": 5000,
        },
    )
    c = crits()
    rec = recommend(scored(df, c), c)
    assert rec.best is not None and rec.best["config_id"] == "good"
    assert rec.methods_agree and rec.topsis_best == "good"
    assert rec.runner_up is not None and rec.runner_up["config_id"] == "poor"
    assert rec.prefer_runner_up_when == []
    assert [w["column"] for w in rec.runner_up_worse_in] == [
        "monthly_cost",  # ×5: |ln 5| = 1.61
        "accuracy",  # 3 % → 9 % wrong: ln 3 = 1.10
        "p95_latency_s",  # ×2.5: ln 2.5 = 0.92
    ]


def test_topsis_flags_disagreement_when_saturation_matters() -> None:
    # latency equal (TOPSIS drops the constant column): TOPSIS weights precision 3/5, cost 2/5.
    # Two rows, min-max normalised to 0/1: TOPSIS closeness of "accurate" = 0.6 -> it wins.
    # Utility: precision 0.9999 vs 0.9933 (saturated), cost m = 1/6 -> 0.2425 vs m = 5/6 -> 0.7506:
    # "cheap" wins the weighted score.
    weights = {"performance": 1, "precision": 3, "cost": 2}
    df = frame(
        {"config_id": "accurate", "model": "qwen3-32b", "accuracy": 0.99, "monthly_cost": 5000},
        {"config_id": "cheap", "accuracy": 0.95, "monthly_cost": 1000},
    )
    c = crits(weights=weights)
    out = scored(df, c)
    rec = recommend(out, c)
    assert rec.best is not None and rec.best["config_id"] == "cheap"
    assert rec.topsis_best == "accurate" and not rec.methods_agree
    assert by_id(out).loc["accurate", "topsis_score"] == pytest.approx(0.6)
    # (0.99 - 0.95) / 0.95 = +4.2 %; ratio 0.99 / 0.95 = 1.0421; errors 5 % → 1 %: gap ln 5 = 1.609438
    # (latency and set-up cost are equal: not listed)
    assert rec.prefer_runner_up_when == [
        {
            "pillar": "precision",
            "column": "accuracy",
            "best": 0.95,
            "runner_up": 0.99,
            "difference_pct": 4.2,
            "ratio": 1.0421,
            "gap": 1.609438,
        }
    ]
    # in exchange: 5 000 instead of 1 000 a month, +400 %, ×5
    assert [(w["column"], w["difference_pct"], w["ratio"]) for w in rec.runner_up_worse_in] == [
        ("monthly_cost", 400.0, 5.0)
    ]


def test_topsis_with_one_feasible_row_or_constant_columns_is_quiet() -> None:
    c = crits()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        one = scored(frame({}, {"monthly_cost": 9000}), c)
        same = scored(frame({}, {}, {}), c)
    assert one.loc[0, "topsis_score"] == 1.0 and one.loc[0, "topsis_rank"] == 1
    assert same["topsis_score"].tolist() == [1.0, 1.0, 1.0]
    assert same["topsis_rank"].tolist() == [1, 2, 3]


def test_runner_up_says_when_to_prefer_it() -> None:
    df = frame(
        {"config_id": "best", "monthly_cost": 3200, "p95_latency_s": 2.0, "setup_cost": 50000},
        {
            "config_id": "second",
            "monthly_cost": 4100,
            "p95_latency_s": 1.0,
            "setup_cost": 0,
            "gpu": "H100",
            "model": "qwen3-32b",
        },
    )
    c = crits()
    rec = recommend(scored(df, c), c)
    assert rec.best is not None and rec.best["config_id"] == "best"
    # largest difference first: set-up 50 000 → 0 (-100 %, an infinite ratio), then latency
    # 2.0 → 1.0 s (-50 %, ln 2)
    assert [(p["pillar"], p["column"]) for p in rec.prefer_runner_up_when] == [
        ("cost", "setup_cost"),
        ("performance", "p95_latency_s"),
    ]
    pillars = {(p["pillar"], p["column"]): p for p in rec.prefer_runner_up_when}
    assert pillars[("performance", "p95_latency_s")]["difference_pct"] == -50.0
    assert pillars[("cost", "setup_cost")]["difference_pct"] == -100.0
    # monthly cost 3 200 → 4 100: (4100 - 3200) / 3200 = +28.1 %, on the other side
    assert [(w["column"], w["difference_pct"]) for w in rec.runner_up_worse_in] == [
        ("monthly_cost", 28.1)
    ]
    assert rec.runner_up_differs_in == ["gpu", "model"]


# --------------------------------------------------------------------------------------------
# per-choice tables
# --------------------------------------------------------------------------------------------


def test_per_choice_holds_the_other_choices_at_the_recommendation() -> None:
    df = frame(
        {"config_id": "rec", "monthly_cost": 1000},
        {"config_id": "int4", "optimisation": "int4", "monthly_cost": 800, "accuracy": 0.85},
        {"config_id": "int4-usa", "optimisation": "int4", "region": "USA", "p95_latency_s": 4.0},
        {"config_id": "usa", "region": "USA", "monthly_cost": 1500},
        {
            "config_id": "api",
            "hosting": "api",
            "gpu": "",
            "optimisation": "",
            "model": "gpt-4o-mini",
            "monthly_cost": 2000,
        },
    )
    c = crits()
    out = scored(df, c)
    rec = recommend(out, c)
    assert rec.best is not None
    table = scoring.per_choice(out, rec.best)
    assert list(table) == list(scoring.CHOICES)
    opt = {e["option"]: e for e in table["optimisation"]}
    assert list(opt) == ["fp16", "int4", ""]
    assert opt["fp16"]["config_id"] == "rec" and opt["fp16"]["is_recommended"]
    # the int4 row with FRA, as the recommendation, even though it is rejected
    assert opt["int4"]["config_id"] == "int4" and opt["int4"]["match"] == "exact"
    assert not opt["int4"]["feasible"] and "accuracy" in opt["int4"]["rejected_because"]
    assert {e["option"]: e["config_id"] for e in table["region"]} == {"FRA": "rec", "USA": "usa"}
    # an API has no GPU or quantisation: it matches on what applies, but not on the model
    api = {e["option"]: e for e in table["hosting"]}["api"]
    assert api["config_id"] == "api" and api["match"] == "closest"
    assert set(api) >= {"monthly_cost", "accuracy", "score", "rank", "configuration"}


# --------------------------------------------------------------------------------------------
# winner map and sensitivity
# --------------------------------------------------------------------------------------------


def _three_way() -> pd.DataFrame:
    return frame(
        {"config_id": "fast", "p95_latency_s": 0.5, "accuracy": 0.92, "monthly_cost": 4500},
        {"config_id": "precise", "p95_latency_s": 2.5, "accuracy": 0.98, "monthly_cost": 4500},
        {"config_id": "cheap", "p95_latency_s": 2.5, "accuracy": 0.92, "monthly_cost": 800},
    )


def test_winner_map_has_231_points_and_the_client_point_picks_the_recommendation() -> None:
    weights = {"performance": 1, "precision": 1, "cost": 3, "carbon": 1}
    c = crits(weights=weights)
    out = scored(_three_way(), c)
    rec = recommend(out, c)
    points = scoring.winner_map(out, c, 20)
    assert len(points) == 231
    assert set(points[0]) == {"performance", "precision", "cost", "carbon", "winner"}
    assert all(p["carbon"] == pytest.approx(1 / 6) for p in points)
    assert {p["winner"] for p in points} == {"fast", "precise", "cheap"}
    # client (1, 1, 3) -> (0.2, 0.2, 0.6) is a grid point
    at_client = next(
        p for p in points if (p["performance"], p["precision"], p["cost"]) == (0.2, 0.2, 0.6)
    )
    assert rec.best is not None and at_client["winner"] == rec.best["config_id"] == "cheap"
    corner = {(p["performance"], p["precision"], p["cost"]): p["winner"] for p in points}
    assert corner[(1.0, 0.0, 0.0)] == "fast" and corner[(0.0, 1.0, 0.0)] == "precise"

    sens = scoring.sensitivity(points, weights, "cheap")
    assert sens["metric"] == "half_l1"
    assert sens["client_point"] == pytest.approx(
        {"performance": 0.2, "precision": 0.2, "cost": 0.6}
    )
    assert sens["winner_at_client"] == "cheap"
    assert sens["nearest_winner"] in {"fast", "precise"}
    w = sens["nearest_weights"]
    moved = 0.5 * (abs(w["performance"] - 0.2) + abs(w["precision"] - 0.2) + abs(w["cost"] - 0.6))
    assert sens["distance"] == pytest.approx(moved) and 0 < sens["distance"] <= 1
    share = sum(p["winner"] == "cheap" for p in points) / 231
    assert sens["share_recommendation_wins"] == pytest.approx(share, abs=1e-6)


def test_sensitivity_when_one_configuration_wins_everywhere() -> None:
    c = crits()
    out = scored(frame({"config_id": "only"}), c)
    points = scoring.winner_map(out, c, 4)
    assert len(points) == 15
    sens = scoring.sensitivity(points, COST_FIRST, "only")
    assert sens["distance"] is None and sens["share_recommendation_wins"] == 1.0


def test_winner_map_is_fast_for_2000_feasible_rows() -> None:
    rng = np.random.default_rng(0)
    n = 2000
    df = pd.DataFrame(
        {
            "config_id": [f"c{i:04d}" for i in range(n)],
            "feasible": True,
            **{f"u_{p}": rng.random(n) for p in scoring.PILLARS},
        }
    )
    c = crits()
    timings = []
    for _ in range(3):  # best of 3: a busy 2-core machine should not fail the test
        started = time.perf_counter()
        points = scoring.winner_map(df, c, 20)
        timings.append(time.perf_counter() - started)
    assert min(timings) < 0.05
    assert len(points) == 231


# --------------------------------------------------------------------------------------------
# Monte Carlo
# --------------------------------------------------------------------------------------------


def _uncertain(**bounds: tuple[float, float, float]) -> dict[str, float]:
    row: dict[str, float] = {}
    for column, (low, value, high) in bounds.items():
        row |= {column: value, f"{column}_low": low, f"{column}_high": high}
    return row


def test_monte_carlo_is_deterministic_with_a_seed() -> None:
    df = frame(
        _uncertain(monthly_cost=(4000, 5500, 8000), accuracy=(0.85, 0.92, 0.95)),
        _uncertain(p95_latency_s=(1.0, 2.8, 4.0)),
    )
    c = crits()
    a = scoring.monte_carlo(df, c, None, 500, 11)
    b = scoring.monte_carlo(df, c, None, 500, 11)
    pd.testing.assert_series_equal(a, b)
    assert a.name == "probability_meets_limits"
    assert ((a > 0) & (a < 1)).all()
    assert not a.equals(scoring.monte_carlo(df, c, None, 500, 12))


def test_monte_carlo_certain_cases() -> None:
    df = frame(
        _uncertain(
            monthly_cost=(1000, 2000, 5999), p95_latency_s=(1, 2, 3), accuracy=(0.91, 0.93, 0.99)
        ),
        _uncertain(monthly_cost=(6001, 6500, 7000)),
        _uncertain(accuracy=(0.5, 0.6, 0.89)),
        {"monthly_cost": 3000, "monthly_cost_low": 3000, "monthly_cost_high": 3000},  # degenerate
        {"excluded_because": "confidential"},
        {"deployment_mode": "batch", "p95_latency_s": np.nan},
        {"setup_cost": 150000},
    )
    p = scoring.monte_carlo(df, crits(), 100000, 1000, 1)
    assert p.tolist() == [1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0]


def test_monte_carlo_matches_the_triangular_distribution() -> None:
    # triangular(5000, 6000, 7000) against limit 6000: P = 0.5; against 6500: 1 - 500²/(2000·1000) = 0.875
    df = frame(
        _uncertain(monthly_cost=(5000, 6000, 7000)),
        {**_uncertain(monthly_cost=(5000, 6000, 7000)), "config_id": "twin"},
    )
    limits = {**LIMITS, "cost": {"metric": "monthly_cost", "limit": 6500}}
    p = scoring.monte_carlo(df, crits(limits), None, 20000, 3)
    assert p.iloc[0] == pytest.approx(0.875, abs=0.01)
    assert p.iloc[0] == p.iloc[1]  # common random numbers: identical rows, identical answer
    # the shortcut u < F(limit) equals sampling x = F⁻¹(u) and testing x <= limit
    u = np.random.default_rng(3).random((len(scoring.UNCERTAIN_COLUMNS), 20000))
    x = scoring.triangular_inverse(
        u[scoring.UNCERTAIN_COLUMNS.index("monthly_cost")], 5000, 6000, 7000
    )
    assert p.iloc[0] == pytest.approx(np.mean(x <= 6500), abs=1e-9)


def test_triangular_inverse_and_cdf_are_inverse() -> None:
    u = np.linspace(0.001, 0.999, 50)
    x = scoring.triangular_inverse(u, 2.0, 3.0, 7.0)
    np.testing.assert_allclose(scoring.triangular_cdf(x, 2.0, 3.0, 7.0), u, atol=1e-12)
    assert np.all(scoring.triangular_inverse(u, 4.0, 4.0, 4.0) == 4.0)


# --------------------------------------------------------------------------------------------
# run
# --------------------------------------------------------------------------------------------


def test_run_chains_everything_and_is_deterministic() -> None:
    df = _three_way()
    df["monthly_cost_low"] = df["monthly_cost"] * 0.8
    df["monthly_cost_high"] = df["monthly_cost"] * 1.4
    weights = {"performance": 1, "precision": 1, "cost": 3, "carbon": 0.5}
    a = scoring.run(df, LIMITS, weights, METHOD, 100000)
    b = scoring.run(df, LIMITS, weights, METHOD, 100000)
    pd.testing.assert_frame_equal(a.frame, b.frame)
    assert a.winner_map == b.winner_map and a.per_choice == b.per_choice
    for column in (
        "feasible",
        "rejected_because",
        "score",
        "rank",
        "topsis_score",
        "topsis_rank",
        "probability_meets_limits",
        "pareto",
    ):
        assert column in a.frame.columns
    assert a.recommendation.best is not None and a.recommendation.best["config_id"] == "cheap"
    assert a.closest == [] and len(a.winner_map) == 231
    assert a.monte_carlo == {"samples": 2000, "seed": 7}
    assert a.sensitivity["winner_at_client"] == "cheap"
    # fast and precise at 4500 x 1.4 = 6300 may exceed the 6000 limit
    p = by_id(a.frame)["probability_meets_limits"]
    assert p["cheap"] == 1.0 and 0 < p["fast"] < 1
    # the docs/outputs.md recommendation / estimates of results.json are built from the best row
    assert records.recommendation_of(a.recommendation.best)["hosting"] == "cloud"
    assert records.estimates_of(a.recommendation.best)["monthly_cost_high"] == pytest.approx(1120)


def test_spec_cost_first_example_holds_with_the_catalog_method_settings() -> None:
    from llmdecide import catalog

    method = catalog.load().method  # a broken catalog fails here: it must fail the suite
    df = frame(
        {"config_id": "fifth", "p95_latency_s": 2.0, "accuracy": 0.93, "monthly_cost": 1200},
        {"config_id": "half", "p95_latency_s": 1.5, "accuracy": 0.95, "monthly_cost": 3000},
    )
    c = scoring.criteria(LIMITS, COST_FIRST, method)
    assert by_id(scored(df, c)).loc["fifth", "rank"] == 1
    # and 98 % instead of 95 % (need 90 %) is worth less than a 2-point cost margin
    gain_98 = scoring.utility(0.98, 0.9, True, c[1].saturation) - scoring.utility(
        0.95, 0.9, True, c[1].saturation
    )
    gain_cost = scoring.utility(2880, 6000, False, c[2].saturation) - scoring.utility(
        3000, 6000, False, c[2].saturation
    )
    assert gain_98 < gain_cost


def test_pymcdm_is_used_without_matplotlib() -> None:
    """Kernels stay lean: pymcdm's plotting package (matplotlib) is never imported."""
    import subprocess
    import sys

    code = (
        "import sys; from llmdecide import scoring, priorities; "
        "import numpy as np; from llmdecide._pymcdm import TOPSIS; "
        "print(TOPSIS()(np.array([[1.0, 2.0], [2.0, 1.0]]), np.array([0.5, 0.5]), "
        "np.array([1, -1])).round(3).tolist(), 'matplotlib' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().endswith("False")
    assert "[0.0, 1.0]" in out.stdout  # the second alternative dominates (more benefit, less cost)


# --------------------------------------------------------------------------------------------
# Unknown precision (no proxy, no evaluation): never passes a precision limit, never imputed
# --------------------------------------------------------------------------------------------


def _unknown_rows() -> pd.DataFrame:
    return frame(
        {"config_id": "known", "accuracy": 0.93, "accuracy_source": "proxy"},
        # unknown precision, otherwise the best configuration of all (cheapest, fastest)
        {
            "config_id": "unknown",
            "model": "qwen3-32b",
            "accuracy": math.nan,
            "accuracy_source": "unknown",
            "monthly_cost": 500.0,
            "p95_latency_s": 0.5,
        },
        # unknown and also too expensive: evaluating it would not make it feasible
        {
            "config_id": "unknown-dear",
            "model": "qwen3-32b",
            "rag": "rag",
            "accuracy": math.nan,
            "accuracy_source": "unknown",
            "monthly_cost": 9000.0,
        },
        # a cell filled by mistake does not help: the source says unknown
        {
            "config_id": "unknown-filled",
            "model": "gpt-oss-120b",
            "hosting": "on_premise",
            "accuracy": 0.99,
            "accuracy_low": 0.98,
            "accuracy_high": 1.0,
            "accuracy_source": "unknown",
        },
        {
            "config_id": "unknown-excluded",
            "model": "deepseek-v3.2",
            "accuracy": math.nan,
            "accuracy_source": "unknown",
            "excluded_because": "no cloud offer in the catalog for this region",
        },
    )


def test_unknown_precision_is_rejected_with_what_to_do() -> None:
    c = crits()
    out = by_id(scoring.reject(_unknown_rows(), c, None))
    assert bool(out.loc["known", "feasible"])
    reason = "precision unknown: evaluate qwen3-32b on the client's task"
    assert out.loc["unknown", "rejected_because"] == reason
    assert out.loc["unknown-dear", "rejected_because"] == (
        f"{reason}; monthly_cost 9000 > limit 6000"
    )
    assert out.loc["unknown-filled", "rejected_because"] == (
        "precision unknown: evaluate gpt-oss-120b on the client's task"
    )
    assert not out.loc[["unknown", "unknown-dear", "unknown-filled"], "feasible"].any()
    # relaxing the precision limit cannot admit it: an evaluation can
    assert math.isinf(out.loc["unknown", "total_violation"])
    assert "not applicable" not in " ".join(out["rejected_because"])


def test_unknown_precision_never_meets_the_limit_in_the_monte_carlo() -> None:
    c = crits()
    prob = scoring.monte_carlo(_unknown_rows(), c, None, samples=500, seed=1)
    prob.index = _unknown_rows()["config_id"]
    assert prob["known"] == 1.0
    assert prob["unknown"] == 0.0 and prob["unknown-filled"] == 0.0


def test_unknown_precision_is_not_closest_to_feasible_and_is_never_recommended() -> None:
    df = _unknown_rows()
    c = crits()
    closest = scoring.closest_to_feasible(df, c, None)
    assert all(not e["config_id"].startswith("unknown") for e in closest)
    result = scoring.run(df, LIMITS, COST_FIRST, METHOD, None)
    assert result.recommendation.best is not None
    assert result.recommendation.best["config_id"] == "known"


def test_without_a_precision_limit_unknown_precision_is_only_scored_zero() -> None:
    limits = {k: v for k, v in LIMITS.items() if k != "precision"}
    c = crits(limits)
    out = by_id(scored(_unknown_rows(), c))
    assert bool(out.loc["unknown", "feasible"])
    assert out.loc["unknown", "u_precision"] == 0.0


def test_to_evaluate_lists_the_models_of_unknown_precision() -> None:
    c = crits()
    out = scoring.reject(_unknown_rows(), c, None)
    plan = scoring.to_evaluate(out, 0.9)
    # deepseek-v3.2 is excluded by a constraint: evaluating it would change nothing; one row
    # each is blocked only by precision, so the tie goes by name
    assert [e["model"] for e in plan] == ["gpt-oss-120b", "qwen3-32b"]
    oss, qwen = plan
    assert qwen == {
        "model": "qwen3-32b",
        "precision_limit": 0.9,
        "configurations": 2,
        "blocked_only_by_precision": 1,  # "unknown-dear" also breaks the cost limit
        "hosting": ["cloud"],
        "rag": ["none", "rag"],
        "optimisation": ["fp16"],
    }
    assert oss["hosting"] == ["on_premise"] and oss["blocked_only_by_precision"] == 1
    assert scoring.to_evaluate(out[out["accuracy_source"] != "unknown"], 0.9) == []


def test_the_lists_of_uncertain_figures_derive_from_the_judged_ones() -> None:
    # every figure a configuration is judged on: the criteria but accuracy_source (a label)
    assert set(columns.JUDGED_FIGURES) == set(columns.CRITERIA_COLUMNS) - {"accuracy_source"}
    # the Monte Carlo's stream order, written out: reordering it would move every seeded draw
    assert scoring.UNCERTAIN_COLUMNS == (
        "p95_latency_s",
        "ttft_s",
        "turnaround_h",
        "accuracy",
        "monthly_cost",
        "setup_cost",
        "monthly_kgco2e",
        "tpot_p95_ms",
    )
    # the ranged columns, in configurations.csv's order of the _low/_high columns: no set-up cost
    assert columns.UNCERTAIN == (
        "p95_latency_s",
        "ttft_s",
        "tpot_p95_ms",
        "turnaround_h",
        "accuracy",
        "monthly_cost",
        "monthly_kgco2e",
    )
