"""The version-2 decision (docs/method.md §9, issue 15): a robust recommendation or a plainly fragile one,
a runner-up that is another design, the limits' sensitivity, the what-if data, and their report
sections in both languages."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from markupsafe import escape
from typer.testing import CliRunner

import _decision_context as dc
from llmdecide import catalog, i18n, report, scoring
from llmdecide.errors import CatalogError
from llmdecide.report import contents, pdf, view

REPO = Path(__file__).resolve().parents[1]

DEFAULTS: dict[str, Any] = {
    "hosting": "cloud",
    "region": "FRA",
    "gpu": "L40S",
    "gpus_per_replica": 1,
    "replicas": 2,
    "model": "llama-3.1-8b",
    "optimisation": "int8",
    "rag": "none",
    "output_format": "text",
    "deployment_mode": "real_time",
    "p95_latency_s": 2.0,
    "ttft_s": 0.4,
    "turnaround_h": np.nan,
    "accuracy": 0.93,
    "monthly_cost": 3000.0,
    "setup_cost": 5000.0,
    "monthly_kgco2e": 100.0,
    "excluded_because": "",
}
LIMITS: dict[str, Any] = {
    "performance": {"metric": "p95_latency_s", "limit": 3.0},
    "precision": {"metric": "accuracy", "limit": 0.9},
    "cost": {"metric": "monthly_cost", "limit": 6000},
}
COST_FIRST = {"performance": 1, "precision": 1, "cost": 3}
METHOD: dict[str, Any] = {
    "saturation_performance": 0.3,
    "saturation_precision": 0.1,
    "saturation_cost": 0.6,
    "saturation_carbon": 0.5,
    "monte_carlo_samples": 4000,
    "monte_carlo_seed": 11,
    "winner_map_steps": 10,
    "min_probability_meets_limits": 0.8,
}


def frame(*rows: dict[str, Any]) -> pd.DataFrame:
    records = [{"config_id": f"c{i}", **DEFAULTS, **row} for i, row in enumerate(rows)]
    return pd.DataFrame.from_records(records)


def run(df: pd.DataFrame, method: dict[str, Any] | None = None, **kw: Any) -> scoring.ScoringResult:
    return scoring.run(
        df, kw.get("limits", LIMITS), kw.get("weights", COST_FIRST), method or METHOD, None
    )


# --------------------------------------------------------------------------------------------
# robust or fragile


def _cheap_but_uncertain() -> dict[str, Any]:
    # monthly cost triangular(low 5000, mode 5000, high 7000) against the 6000 limit:
    # P(cost <= 6000) = 1 - (7000 - 6000)^2 / ((7000 - 5000) * (7000 - 5000)) = 1 - 1/4 = 0.75
    return {
        "config_id": "cheap",
        "monthly_cost": 5000.0,
        "monthly_cost_low": 5000.0,
        "monthly_cost_high": 7000.0,
        "accuracy": 0.99,
    }


def test_a_higher_score_below_the_probability_threshold_loses_to_a_robust_one() -> None:
    df = frame(_cheap_but_uncertain(), {"config_id": "safe", "monthly_cost": 5500.0})
    result = run(df)
    p = result.frame.set_index("config_id")["probability_meets_limits"]
    assert p["cheap"] == pytest.approx(0.75, abs=0.02)
    assert p["safe"] == 1.0
    scores = result.frame.set_index("config_id")["score"]
    assert scores["cheap"] > scores["safe"]  # the better score…
    rec = result.recommendation
    assert rec.best is not None and rec.best["config_id"] == "safe"  # …is not robust enough
    assert rec.fragile is False
    # without a threshold the best score wins, as in version 1
    loose = run(df, {**METHOD, "min_probability_meets_limits": 0.0}).recommendation
    assert loose.best is not None and loose.best["config_id"] == "cheap"


def test_when_nothing_is_robust_the_best_score_is_fragile_and_the_most_robust_is_beside_it() -> (
    None
):
    # cost triangular(5000, 5000, 8000): P(<= 6000) = 1 - 2000^2 / (3000 * 3000) = 0.556
    wide = {**_cheap_but_uncertain(), "monthly_cost_high": 8000.0}
    wider = {  # P = 1 - (7000 - 6000)^2 / (1800 * 1800) = 0.691, and a worse score
        "config_id": "wider",
        "monthly_cost": 5200.0,
        "monthly_cost_low": 5200.0,
        "monthly_cost_high": 7000.0,
        "accuracy": 0.91,
    }
    # p95 triangular(2.0, 2.0, 3.2) against 3 s: 1 - 0.2^2 / (1.2 * 1.2) = 0.972; cost sure
    # only under 6000 in 1 - (6500 - 6000)^2 / (1000 * 1000) = 0.75 of the draws: both at once
    # for independent draws: 0.972 × 0.75 = 0.729 — the most robust, still below 0.8
    steady = {
        "config_id": "steady",
        "monthly_cost": 5500.0,
        "monthly_cost_low": 5500.0,
        "monthly_cost_high": 6500.0,
        "p95_latency_s": 2.0,
        "p95_latency_s_low": 2.0,
        "p95_latency_s_high": 3.2,
        "accuracy": 0.905,
    }
    result = run(frame(wide, wider, steady))
    p = result.frame.set_index("config_id")["probability_meets_limits"]
    assert p["steady"] == pytest.approx(0.729, abs=0.025)
    rec = result.recommendation
    assert rec.best is not None and rec.best["config_id"] == "cheap"
    assert rec.fragile is True
    assert rec.most_robust is not None and rec.most_robust["config_id"] == "steady"
    # the per-limit shares: cost met in 56 % of the scenarios, the others in all
    assert result.probability_by_limit["cost"] == pytest.approx(0.556, abs=0.02)
    assert result.probability_by_limit["performance"] == 1.0


def test_robust_order_puts_robust_rows_first_then_score_then_id() -> None:
    scored = pd.DataFrame(
        {
            "config_id": ["a", "b", "c", "d", "e"],
            "feasible": [True, True, True, True, False],
            "score": [0.9, 0.5, 0.5, 0.7, np.nan],
            "probability_meets_limits": [0.5, 0.9, 0.95, 0.8, 1.0],
        }
    )
    order = scoring.robust_order(scored, 0.8)
    assert scored["config_id"].iloc[order].tolist() == ["d", "b", "c", "a"]


# --------------------------------------------------------------------------------------------
# a real alternative


def test_the_runner_up_is_another_hosting_or_model_and_variants_are_listed_as_such() -> None:
    df = frame(
        {"config_id": "best", "monthly_cost": 2000.0},
        {"config_id": "best-irl", "region": "IRL", "monthly_cost": 2050.0},
        {"config_id": "best-int4", "optimisation": "int4", "monthly_cost": 2100.0},
        {"config_id": "other-model", "model": "mistral-small", "monthly_cost": 2600.0},
        {"config_id": "api", "hosting": "api", "region": "", "gpu": "", "monthly_cost": 2900.0},
    )
    rec = run(df).recommendation
    assert rec.best is not None and rec.best["config_id"] == "best"
    assert rec.runner_up is not None and rec.runner_up["config_id"] == "other-model"
    assert rec.runner_up_differs_in == ["model"]
    assert [v["config_id"] for v in rec.variants] == ["best-irl", "best-int4"]
    assert rec.variants[0]["differs_in"] == ["region"]
    assert rec.variants[1]["differs_in"] == ["optimisation"]
    # the plain score order (rank 2) would have offered the same design in Ireland
    ranked = run(df).frame.set_index("rank")
    assert ranked.loc[2, "config_id"] == "best-irl"


def test_prefer_when_weighs_monthly_and_setup_costs_apart() -> None:
    # the case: the runner-up saves the set-up cost but costs 4.5× more each month
    best = {"monthly_cost": 1000.0, "setup_cost": 90000.0, "p95_latency_s": 2.0, "accuracy": 0.93}
    other = {"monthly_cost": 4500.0, "setup_cost": 0.0, "p95_latency_s": 2.0, "accuracy": 0.93}
    crits = scoring.criteria(LIMITS, COST_FIRST, METHOD)
    better, worse = scoring.compare(best, other, crits)
    assert [b["column"] for b in better] == ["setup_cost"]
    assert [w["column"] for w in worse] == ["monthly_cost"]
    assert worse[0]["ratio"] == 4.5
    ctx = dc.context("en")
    ctx["results"]["runner_up"]["prefer_when"] = better
    ctx["results"]["runner_up"]["at_the_cost_of"] = worse
    lines = view.prefer_when(ctx, i18n.Translator("en"))
    assert (
        lines[0] == "Prefer it if the set-up cost matters more: US$0 instead of US$90,000 (−100%)."
    )
    assert lines[-1] == "In exchange: the monthly cost US$4,500 instead of US$1,000 (4.5× as much)."


def test_compare_sorts_by_the_largest_difference() -> None:
    crits = scoring.criteria(LIMITS, COST_FIRST, METHOD)
    best = {"monthly_cost": 1000.0, "setup_cost": 1000.0, "p95_latency_s": 2.0, "accuracy": 0.90}
    # cost ×0.5 (ln 2 = 0.69), latency ×0.9 (0.105), errors 10 % → 5 % (ln 2 as well, then name)
    other = {"monthly_cost": 500.0, "setup_cost": 1000.0, "p95_latency_s": 1.8, "accuracy": 0.95}
    better, worse = scoring.compare(best, other, crits)
    assert [b["column"] for b in better] == ["accuracy", "monthly_cost", "p95_latency_s"]
    assert worse == []


def test_per_choice_rows_say_which_other_choices_moved() -> None:
    df = frame(
        {"config_id": "best"},
        # the only on-premise row runs another model on more replicas
        {"config_id": "onprem", "hosting": "on_premise", "model": "qwen3-32b", "replicas": 6},
        {
            "config_id": "api",
            "hosting": "api",
            "region": "",
            "gpu": "",
            "gpus_per_replica": np.nan,
            "replicas": np.nan,
            "optimisation": "",
            "monthly_cost": 3500.0,
        },
    )
    table = run(df).per_choice["hosting"]
    by_option = {e["option"]: e for e in table}
    assert by_option["cloud"]["moved"] == []
    assert by_option["on_premise"]["moved"] == [
        {"choice": "replicas", "option": 6, "centre": 2},
        {"choice": "model", "option": "qwen3-32b", "centre": "llama-3.1-8b"},
    ]
    assert by_option["api"]["moved"] == []  # no GPU, no region: implied by the API, not a move
    t = i18n.Translator("en")
    assert contents.moved_text(by_option["on_premise"], t) == "Replicas 6, Model qwen3-32b"


# --------------------------------------------------------------------------------------------
# limit sensitivity


def _two_rows() -> pd.DataFrame:
    return frame(
        {"config_id": "A", "p95_latency_s": 2.5, "monthly_cost": 3000.0},
        {"config_id": "B", "p95_latency_s": 3.6, "monthly_cost": 1000.0},
    )


def test_limit_sensitivity_by_hand() -> None:
    result = run(_two_rows(), weights={"performance": 0, "precision": 0, "cost": 1})
    assert result.recommendation.best is not None
    assert result.recommendation.best["config_id"] == "A"
    perf = next(s for s in result.limit_sensitivity if s["key"] == "performance")
    # relaxed: B (p95 3.6 s, a third of A's cost) is admitted at 3.6 s, +20 %, and wins on cost
    assert perf["relax"]["limit"] == pytest.approx(3.6)
    assert perf["relax"]["change_pct"] == 20.0 and perf["relax"]["winner"] == "B"
    # tightened below A's own 2.5 s nothing is feasible; found within 1/256 of a ladder step
    # (the step from 30 % to 50 % of the way to 1.5 s: 0.2 × 1.5 s / 256 = 1.2 ms)
    assert 2.5 - 0.0012 <= perf["tighten"]["limit"] < 2.5
    assert perf["tighten"]["winner"] is None
    # the round step rounds the change up: accept 4 s (the 1-1.5-2-2.5-3-4-5 ladder), B wins
    assert perf["step"] == {"limit": 4.0, "change_pct": 33.3, "winner": "B", "changes": True}
    cost = next(s for s in result.limit_sensitivity if s["key"] == "cost")
    # A costs 3000: the cost limit can drop to half (3000) and A stays; relaxing changes nothing
    assert cost["tighten"] is None and cost["relax"] is None
    assert cost["step"]["limit"] == 8000.0 and cost["step"]["changes"] is False


@pytest.mark.parametrize(
    ("value", "hib", "expected"),
    [
        (4.757, False, 5.0),
        (7200, False, 8000.0),
        (3.0, False, 3.0),
        (0.8755, True, 0.87),
        (0.9, True, 0.9),
        (130, False, 150.0),
        (0.031, False, 0.04),
    ],
)
def test_round_value(value: float, hib: bool, expected: float) -> None:
    assert scoring.round_value(value, hib) == pytest.approx(expected)


def test_round_relaxation() -> None:
    assert scoring.round_relaxation(3.0, False) == 4.0  # 3.75 → 4
    assert scoring.round_relaxation(8.0, False) == 10.0
    assert scoring.round_relaxation(6000, False) == 8000.0  # 7500 → 8000
    assert scoring.round_relaxation(100000, False) == 150000.0  # 125000 → 150000
    assert scoring.round_relaxation(0.9, True) == pytest.approx(0.88)


# --------------------------------------------------------------------------------------------
# the Decider replays the scoring (the what-if runs the same arithmetic)


@pytest.mark.parametrize("seed", range(6))
def test_decider_agrees_with_the_scoring_on_random_tables(seed: int) -> None:
    rng = np.random.default_rng(seed)
    df = dc.table(extra_rows=60, seed=seed)
    df.loc[df.index[::7], "deployment_mode"] = "batch"  # rejected under a latency limit
    df.loc[df.index[3::11], "excluded_because"] = "confidential data excludes third-party APIs"
    weights = {p: float(w) for p, w in zip(scoring.PILLARS, rng.uniform(0, 1, 4), strict=True)}
    limits = {k: dict(v) for k, v in dc.LIMITS.items()}
    if seed % 2:
        limits.pop("carbon")  # scored against the worst feasible value instead
    result = dc.run(df, weights, limits)
    crits = scoring.criteria(limits, weights, dc.METHOD)
    decider = scoring.Decider(result.frame, crits, dc.MAX_SETUP_COST, 400, 20261125, 0.8)
    base = decider.limits()
    feasible = decider.feasible(base)
    assert feasible.tolist() == result.frame["feasible"].tolist()
    scores = decider.scores(base, feasible)
    np.testing.assert_array_equal(scores, result.frame["score"].to_numpy(dtype=float))
    idx = np.flatnonzero(feasible)
    # the pick's scores of the feasible rows alone: the same values (carbon without a limit:
    # against the worst feasible value, which the feasible rows alone also give)
    np.testing.assert_array_equal(decider.feasible_scores(base, idx), scores[idx])
    np.testing.assert_array_equal(
        decider.probabilities(base, idx),
        result.frame["probability_meets_limits"].to_numpy()[idx],
    )
    pick = decider.pick(base)
    best = result.recommendation.best
    assert (None if pick is None else decider.ids[pick]) == (best and best["config_id"])


def test_whatif_data_holds_what_the_page_needs() -> None:
    df = dc.table()
    result = dc.run(df)
    data = result.whatif
    ids = {r["id"] for r in data["rows"]}
    rec = result.recommendation
    assert rec.best is not None and rec.runner_up is not None
    assert {rec.best["config_id"], rec.runner_up["config_id"]} <= ids
    assert data["embedded"] == len(data["rows"]) <= data["candidates"] <= data["configurations"]
    assert [c["key"] for c in data["checks"]] == [*scoring.PILLARS, "setup"]
    # the draws travel as integers and give back the scoring's uniforms exactly
    u = np.array(data["draws"][0], dtype=float) / data["draw_scale"]
    expected = scoring._mc_streams(["p95_latency_s"], 400, 20261125)["p95_latency_s"]
    np.testing.assert_array_equal(u, expected)


def test_whatif_keeps_every_row_when_capped_to_nothing_but_the_compulsory_ones() -> None:
    df = dc.table(extra_rows=80)
    result = dc.run(df)
    crits = scoring.criteria(dc.LIMITS, dc.PERFORMANCE_FIRST, dc.METHOD)
    decider = scoring.Decider(result.frame, crits, dc.MAX_SETUP_COST, 400, 20261125, 0.8)
    small = scoring.whatif_data(decider, result.frame, ["fast"], max_rows=0)
    assert small["embedded"] == small["compulsory"] < result.whatif["embedded"]
    # with only the compulsory rows the page still finds the recommendation
    ids = {r["id"] for r in small["rows"]}
    assert "fast" in ids


# --------------------------------------------------------------------------------------------
# the catalog setting


def _catalog_with(tmp_path: Path, value: Any) -> Path:
    folder = tmp_path / "catalog"
    shutil.copytree(REPO / "params" / "catalog", folder)
    path = folder / "method.yaml"
    data = yaml.safe_load(path.read_text("utf-8"))
    data["method"]["min_probability_meets_limits"] = value
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), "utf-8")
    return folder


def test_catalog_min_probability_is_a_probability(tmp_path: Path) -> None:
    with pytest.raises(CatalogError) as caught:
        catalog.load(_catalog_with(tmp_path, 1.5))
    assert caught.value.exit_code == 2
    problems = {p.key_path: str(p) for p in caught.value.problems}
    assert "method.min_probability_meets_limits" in problems
    assert "1" in problems["method.min_probability_meets_limits"]
    assert catalog.load().method["min_probability_meets_limits"] == 0.8


def test_cli_exits_2_on_a_bad_min_probability(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from llmdecide.cli import app

    monkeypatch.setenv("LLMDECIDE_CATALOG", str(_catalog_with(tmp_path, 1.5)))
    catalog.clear_cache()
    try:
        result = CliRunner().invoke(
            app, ["validate", str(REPO / "params" / "clients" / "example-retail.yaml")]
        )
    finally:
        catalog.clear_cache()
    output = (result.stdout or "") + (result.stderr or "")
    assert result.exit_code == 2, output
    assert "method.yaml" in output and "method.min_probability_meets_limits" in output
    assert "Traceback" not in output


# --------------------------------------------------------------------------------------------
# the report sections, in both languages


@pytest.mark.parametrize("language", ["fr", "en"])
def test_reports_show_robustness_limits_and_whatif(language: str) -> None:
    ctx = dc.context(language)
    t = i18n.Translator(language)
    html = report.render_html(ctx, specs={})
    assert 'id="limits"' in html and 'id="whatif"' in html
    assert escape(t("limits.title")) in html and escape(t("whatif.title")) in html
    assert escape(t("summary.variants_title")) in html  # the Irish twin of the recommendation
    for pillar in scoring.PILLARS:
        assert f'data-whatif="priority-{pillar}"' in html
        assert f'data-whatif="limit-{pillar}"' in html
    assert 'data-whatif="winner"' in html
    robust = t("summary.robust", probability="§", threshold="§").split("§")[0]
    assert escape(robust) in html
    rows = view.limit_rows(ctx, t)
    assert any(t("limits.step", **_fields()).split("{")[0][:6] in r["step"] for r in rows)
    pdf_html = pdf.render_pdf_html(ctx, specs={}, svgs={})
    assert 'id="limits"' in pdf_html  # the sensitivity is in the PDF…
    assert 'id="whatif"' not in pdf_html and "whatif-data" not in pdf_html  # …the what-if is not


def _fields() -> dict[str, str]:
    return dict.fromkeys(
        ("metric", "limit", "label", "monthly", "current", "setup", "current_setup"), ""
    )


def test_a_fragile_recommendation_is_said_in_words_and_never_gets_a_plain_tick() -> None:
    ctx = dc.context("en")
    res = ctx["results"]
    res["fragile"] = True
    res["estimates"]["probability_meets_limits"] = 0.11
    res["estimates"]["probability_by_limit"]["performance"] = 0.41
    res["most_robust"] = {
        "label": "cloud · IRL · L40S · llama-3.1-8b",
        "estimates": {"probability_meets_limits": 0.93, "monthly_cost": 4100.0, "setup_cost": 0},
    }
    t = i18n.Translator("en")
    lines = view.decision_lines(ctx, t)
    assert lines["robustness"].startswith(
        "This recommendation is fragile: it meets every limit in only 11%"
    )
    assert "80%" in lines["robustness"]
    assert lines["most_robust"] == (
        "The most robust configuration is cloud · IRL · L40S · llama-3.1-8b: every limit met in "
        "93% of scenarios, for US$4,100 per month and US$0 to set up."
    )
    figures = {f["pillar"]: f for f in view.key_figures(ctx, t)}
    assert figures["performance"]["uncertain"] is True
    assert figures["performance"]["verdict"] == "met in 41% of scenarios only"
    html = report.render_html(ctx, specs={})
    assert "⚠ met in 41% of scenarios only" in html
    assert "Fragile: every limit is met in only 11% of the simulated scenarios" in html  # cover
    assert "✓ met in 41%" not in html


# --------------------------------------------------------------------------------------------
# results.json


def test_results_json_gains_the_version_2_decision_keys() -> None:
    from llmdecide import assemble, records

    df = dc.table()
    result = dc.run(df)
    labels = dict(zip(df["config_id"], df["label"], strict=True))
    choices = {
        "recommendation": records.recommendation_of(result.recommendation.best),
        "recommendation_label": "x",
        "estimates": {},
        "feasible": True,
        "runner_up": None,
        "counts": {},
        "topsis": {},
        "sensitivity": {},
        "break_even": None,
        **records.decision_data(result, labels),
    }
    critical = {"limits": dc.LIMITS, "priorities": {}, "method": "direct", "ahp": None, "usage": {}}
    carbon = {"projection": None, "intensity": None, "levers": None}
    out = assemble.build_results(critical, choices, carbon, "0" * 64, "1" * 64)
    assert out["fragile"] is False
    assert out["min_probability_meets_limits"] == 0.8
    # "at-limit": every range inside its limit (cost ≤ 2 000 × 1.2, p95 ≤ 1.2 × 1.25 s, accuracy
    # exactly 90 % without spread): met in every scenario, the most robust
    assert out["most_robust"]["config_id"] == "at-limit"
    assert out["most_robust"]["estimates"]["probability_meets_limits"] == 1.0
    assert [v["config_id"] for v in out["variants"]] == ["fast-irl"]
    keys = [s["key"] for s in out["limit_sensitivity"]]
    assert keys == ["performance", "precision", "cost", "carbon", "setup"]
    perf = out["limit_sensitivity"][0]
    assert perf["value"] == 0.9 and perf["relax"]["winner_label"] == labels[perf["relax"]["winner"]]
    assert "whatif" not in out  # the page's data stays in the report context


def test_whatif_embeds_hostile_labels_as_data_not_markup() -> None:
    df = dc.table()
    hostile = "</script><script>alert(1)</script> & Co"
    df.loc[df["config_id"] == "cheap", "label"] = hostile
    html = report.render_html(dc.context("en", df), specs={})
    assert hostile not in html
    assert "alert(1)" in html  # …the label is there, escaped inside the JSON


def test_when_nothing_is_feasible_the_limits_say_what_a_round_step_admits() -> None:
    from llmdecide import records

    df = dc.table()
    tight = {**dc.LIMITS, "cost": {"metric": "monthly_cost", "limit": 800.0}}
    result = dc.run(df, limits=tight)
    assert result.recommendation.best is None
    cost = next(s for s in result.limit_sensitivity if s["key"] == "cost")
    # r04 (709) breaks the latency and precision limits; "cheap" (900) is the first row the cost
    # limit admits as it is relaxed: at 900, +12.5 %, exactly (a bisection point: 800 + 800 / 8)
    assert cost["relax"] == {"limit": 900.0, "change_pct": 12.5, "winner": "cheap"}
    assert cost["tighten"] is None  # nothing to lose
    assert cost["step"]["limit"] == 1000.0 and cost["step"]["winner"] == "cheap"
    labels = dict(zip(df["config_id"], df["label"], strict=True))
    ctx = dc.context("en")
    ctx["results"].update(
        feasible=False,
        recommendation=None,
        estimates=None,
        runner_up=None,
        limit_sensitivity=records.decision_data(result, labels)["limit_sensitivity"],
    )
    rows = {r["name"]: r for r in view.limit_rows(ctx, i18n.Translator("en"))}
    step = rows["Monthly cost"]["step"]
    assert step.startswith("Accept monthly cost US$1,000: ") and "meets every limit" in step
