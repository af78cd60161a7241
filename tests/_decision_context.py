"""A report context with the version-2 decision (robustness, alternative, limit sensitivity,
what-if) from a hand-made configurations table, for test_decision and test_whatif_browser.

The report fixture (tests/fixtures/report_context.json) is the French retail client's context; a
published run of the example has a single feasible configuration today, so moving a priority
could not change its winner. The table below is built so that it does: a fast, accurate,
expensive cloud design wins for a performance-first client, a cheap API for a cost-first one.
Its decision keys are computed by the real scoring (``scoring.run`` + ``records.decision_data``)
and put into the fixture's context.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from llmdecide import records, scoring

FIXTURE = Path(__file__).parent / "fixtures" / "report_context.json"
LIMITS: dict[str, Any] = {
    "performance": {"metric": "p95_latency_s", "limit": 3.0},
    "precision": {"metric": "accuracy", "limit": 0.9},
    "cost": {"metric": "monthly_cost", "limit": 6000.0},
    "carbon": {"metric": "monthly_kgco2e", "limit": 300.0},
}
MAX_SETUP_COST = 100000.0
PERFORMANCE_FIRST = {"performance": 5.0, "precision": 1.0, "cost": 1.0, "carbon": 0.5}
METHOD: dict[str, Any] = {
    "saturation_performance": 0.15,
    "saturation_precision": 0.05,
    "saturation_cost": 0.6,
    "saturation_carbon": 0.5,
    "monte_carlo_samples": 400,
    "monte_carlo_seed": 20261125,
    "winner_map_steps": 10,
    "min_probability_meets_limits": 0.8,
}
CHOICE_DEFAULTS: dict[str, Any] = {
    "region": "FRA",
    "gpu": "L40S",
    "gpus_per_replica": 1,
    "replicas": 2,
    "optimisation": "int8",
    "rag": "rag",
    "output_format": "text",
    "deployment_mode": "real_time",
    "turnaround_h": np.nan,
    "excluded_because": "",
}


def _row(config_id: str, **values: Any) -> dict[str, Any]:
    row = {"config_id": config_id, **CHOICE_DEFAULTS, **values}
    if row["hosting"] == "api":
        row.update(region="", gpu="", gpus_per_replica=np.nan, replicas=np.nan, optimisation="")
    row["ttft_s"] = row["p95_latency_s"] / 4
    row["label"] = " · ".join(
        str(row[c])
        for c in ("hosting", "region", "gpu", "model", "optimisation")
        if isinstance(row[c], str) and row[c]
    )
    return row


def table(extra_rows: int = 30, seed: int = 3) -> pd.DataFrame:
    """Named rows (the two poles, a variant of each, a fragile one) plus seeded random ones."""
    rows = [
        _row(
            "fast",
            hosting="cloud",
            model="llama-3.3-70b",
            p95_latency_s=0.9,
            accuracy=0.95,
            monthly_cost=5200.0,
            setup_cost=5000.0,
            monthly_kgco2e=120.0,
        ),
        _row(
            "fast-irl",
            hosting="cloud",
            region="IRL",
            model="llama-3.3-70b",
            p95_latency_s=0.9,
            accuracy=0.95,
            monthly_cost=5300.0,
            setup_cost=5000.0,
            monthly_kgco2e=220.0,
        ),
        _row(
            "cheap",
            hosting="api",
            model="gpt-5.4-mini",
            p95_latency_s=2.7,
            accuracy=0.92,
            monthly_cost=900.0,
            setup_cost=0.0,
            monthly_kgco2e=40.0,
        ),
        _row(
            "at-limit",
            hosting="api",
            model="mistral-medium-3-5",
            p95_latency_s=1.2,
            accuracy=0.9,
            monthly_cost=2000.0,
            setup_cost=0.0,
            monthly_kgco2e=30.0,
        ),
        _row(
            "edge",
            hosting="on_premise",
            model="qwen3-32b",
            p95_latency_s=2.9,
            accuracy=0.905,
            monthly_cost=1200.0,
            setup_cost=95000.0,
            monthly_kgco2e=60.0,
        ),
    ]
    rng = np.random.default_rng(seed)
    hostings = ["api", "cloud", "on_premise"]
    models = ["gpt-5.4-nano", "mistral-small", "llama-3.1-8b", "qwen3-30b-a3b"]
    for i in range(extra_rows):
        rows.append(
            _row(
                f"r{i:02d}",
                hosting=hostings[i % 3],
                model=models[i % 4],
                region=["FRA", "IRL", "USA"][i % 3],
                p95_latency_s=float(rng.uniform(0.8, 4.0)),
                accuracy=float(rng.uniform(0.86, 0.96)),
                monthly_cost=float(rng.uniform(700, 7000)),
                setup_cost=float(rng.choice([0.0, 20000.0, 120000.0])),
                monthly_kgco2e=float(rng.uniform(20, 350)),
            )
        )
    df = pd.DataFrame.from_records(rows)
    # uncertainty: ±20 % on cost and latency, ±2 points on accuracy, -10/+30 % on carbon
    for column, low, high in (
        ("p95_latency_s", 0.8, 1.25),
        ("ttft_s", 0.8, 1.25),
        ("monthly_cost", 0.85, 1.2),
        ("monthly_kgco2e", 0.9, 1.3),
    ):
        df[f"{column}_low"] = df[column] * low
        df[f"{column}_high"] = df[column] * high
    df["accuracy_low"] = df["accuracy"] - 0.02
    df["accuracy_high"] = (df["accuracy"] + 0.02).clip(upper=1.0)
    df["accuracy_source"] = "proxy"
    # measured exactly at the precision limit, without spread: met in every scenario (the CDF of
    # a point at the limit is a step: the Monte Carlo counts it without sampling)
    exact = df["config_id"] == "at-limit"
    df.loc[exact, ["accuracy_low", "accuracy_high"]] = 0.9
    df.loc[exact, "accuracy_source"] = "measured"
    return df


def run(
    df: pd.DataFrame,
    weights: dict[str, float] | None = None,
    limits: dict[str, Any] | None = None,
    method: dict[str, Any] | None = None,
) -> scoring.ScoringResult:
    return scoring.run(
        df, limits or LIMITS, weights or PERFORMANCE_FIRST, method or METHOD, MAX_SETUP_COST
    )


def context(language: str = "fr", df: pd.DataFrame | None = None) -> dict[str, Any]:
    """The fixture's context with this table's decision (results.json keys and choices.whatif)."""
    df = table() if df is None else df
    result = run(df)
    labels = dict(zip(df["config_id"], df["label"], strict=True))
    decision = records.decision_data(result, labels)
    rec = result.recommendation
    ctx = json.loads(FIXTURE.read_text(encoding="utf-8"))
    ctx = copy.deepcopy(ctx)
    ctx["client"]["language"] = language
    if language == "en":
        ctx["client"].update(currency="USD", name="Example Retail Ltd")
    res = ctx["results"]
    best, runner = rec.best, rec.runner_up
    assert best is not None
    res.update(
        recommendation=records.recommendation_of(best),
        recommendation_label=best["label"],
        estimates={
            **(records.estimates_of(best) or {}),
            "probability_by_limit": result.probability_by_limit,
        },
        limits=LIMITS,
        priorities={k: v / sum(PERFORMANCE_FIRST.values()) for k, v in PERFORMANCE_FIRST.items()},
        runner_up=None
        if runner is None
        else {
            **(records.recommendation_of(runner) or {}),
            "label": runner["label"],
            "config_id": runner["config_id"],
            "estimates": records.estimates_of(runner),
            "prefer_when": rec.prefer_runner_up_when,
            "at_the_cost_of": rec.runner_up_worse_in,
            "differs_in": rec.runner_up_differs_in,
        },
        **{k: v for k, v in decision.items() if k != "whatif"},
    )
    ctx["choices"]["recommendation_label"] = best["label"]
    ctx["choices"]["whatif"] = decision["whatif"]
    return json.loads(json.dumps(ctx, allow_nan=False, default=float))
