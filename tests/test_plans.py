"""Issue 15, items 5-7: the pilot plan (variance shares, thresholds, proxies too close to the
limit), the risk questions, the phase plan (path cost), and their report sections in French and
English."""

from __future__ import annotations

import copy
import io
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from llmdecide import assemble, catalog, params, phases, pilot, report, risks, scoring, stages
from llmdecide.errors import ParamsError

REPO = Path(__file__).resolve().parents[1]
FIXTURE = REPO / "tests" / "fixtures" / "report_context.json"
LAWFIRM = REPO / "params" / "clients" / "example-lawfirm.yaml"

# -- the pilot plan: variance shares ----------------------------------------------------------

# Two independent columns on a 100 × 100 product grid of uniform draws (u = (i + 0.5) / 100):
# exact independence, exact shares of draws under a threshold.
GRID = (np.arange(100) + 0.5) / 100
DRAWS = {"p95_latency_s": np.repeat(GRID, 100), "monthly_cost": np.tile(GRID, 100)}
# triangular(0, 1, 2): F(1) = 0.5; F(x) = 1 - (2 - x)² / 2 = 0.8 at x = 2 - √0.4
COST_LIMIT = 2 - math.sqrt(0.4)
ROW = {
    "p95_latency_s": 1.0,
    "p95_latency_s_low": 0.0,
    "p95_latency_s_high": 2.0,
    "monthly_cost": 1.0,
    "monthly_cost_low": 0.0,
    "monthly_cost_high": 2.0,
}
CHECKS = [
    scoring.Check("performance", "performance", "p95_latency_s", 1.0, False),
    scoring.Check("cost", "cost", "monthly_cost", COST_LIMIT, False),
]


def test_column_outcomes_meet_each_limit_in_the_expected_share() -> None:
    out = pilot.column_outcomes(ROW, CHECKS, DRAWS)
    assert out["p95_latency_s"].mean() == pytest.approx(0.5)  # u < F(1) = 0.5: 50 of 100
    assert out["monthly_cost"].mean() == pytest.approx(0.8)  # u < 0.8: 80 of 100


def test_variance_shares_by_hand() -> None:
    # Y = Y_a · Y_b, p_a = 0.5, p_b = 0.8: P = 0.4, Var(Y) = 0.4 × 0.6 = 0.24.
    # E[Y | Y_a] = 0.8 Y_a: Var = 0.8² × 0.25 = 0.16 → share 0.16 / 0.24 = 2/3.
    # E[Y | Y_b] = 0.5 Y_b: Var = 0.5² × 0.16 = 0.04 → share 0.04 / 0.24 = 1/6.
    shares = pilot.variance_shares(pilot.column_outcomes(ROW, CHECKS, DRAWS))
    assert shares["p95_latency_s"] == pytest.approx(2 / 3)
    assert shares["monthly_cost"] == pytest.approx(1 / 6)


def test_variance_shares_are_none_when_the_outcome_never_varies() -> None:
    always = {"a": np.ones(10, dtype=bool), "b": np.ones(10, dtype=bool)}
    assert pilot.variance_shares(always) == {"a": None, "b": None}


def test_measurements_rank_by_share_and_give_the_thresholds() -> None:
    out = pilot.measurements_for(ROW, CHECKS, DRAWS, 0.8)
    assert [m["column"] for m in out] == ["p95_latency_s", "monthly_cost"]
    latency, cost = out
    # latency: the others meet in q = 0.8, so 0.8 needs p = 0.8 / 0.8 = 1: the whole range under
    # the limit, v* = value + L − F⁻¹(1) = 1 + 1 − 2 = 0 (range −1..1).
    assert latency["threshold"] == pytest.approx(0.0)
    assert latency["direction"] == pilot.AT_MOST
    # cost: q = 0.5, 0.8 / 0.5 = 1.6 > 1: no cost alone reaches 80 %.
    assert cost["threshold"] is None


def test_threshold_is_the_current_value_when_the_probability_is_at_the_bar() -> None:
    # P = 0.4 = min_probability: each column's threshold is where it stands now.
    out = {m["column"]: m for m in pilot.measurements_for(ROW, CHECKS, DRAWS, 0.4)}
    assert out["p95_latency_s"]["threshold"] == pytest.approx(1.0)
    assert out["monthly_cost"]["threshold"] == pytest.approx(1.0)


def test_threshold_of_a_higher_is_better_column_by_hand() -> None:
    # accuracy triangular(0.80, 0.88, 0.96), limit 0.85, others sure, bar 0.8:
    # P(X ≥ 0.85 after a shift d) = 0.8 ⇔ F(0.85 − d) = 0.2; F(x) = (x − 0.8)² / (0.16 × 0.08)
    # below the mode, so x = 0.8 + √(0.2 × 0.0128) = 0.8506; v* = 0.88 + 0.85 − 0.8506 = 0.8794.
    v = pilot.threshold_value((0.80, 0.88, 0.96), 0.85, True, 1.0, 0.8)
    assert v == pytest.approx(0.88 + 0.85 - (0.8 + math.sqrt(0.2 * 0.0128)))
    assert v == pytest.approx(0.8794, abs=1e-4)


def _frame() -> pd.DataFrame:
    base = {
        "hosting": "cloud",
        "model": "m",
        "excluded_because": "",
        "accuracy_source": "proxy",
        "label": "",
        "setup_cost": 0.0,
    }
    rows = [
        {
            **base,
            "config_id": "a",
            "p95_latency_s": 2.0,
            "p95_latency_s_low": 1.0,
            "p95_latency_s_high": 4.0,
            "accuracy": 0.92,
            "accuracy_low": 0.88,
            "accuracy_high": 0.95,
            "monthly_cost": 1000.0,
            "monthly_cost_low": 900.0,
            "monthly_cost_high": 1300.0,
        },
        {
            **base,
            "config_id": "b",
            "p95_latency_s": 2.8,
            "p95_latency_s_low": 2.0,
            "p95_latency_s_high": 3.5,
            "accuracy": 0.91,
            "accuracy_low": 0.89,
            "accuracy_high": 0.93,
            "monthly_cost": 1100.0,
            "monthly_cost_low": 1000.0,
            "monthly_cost_high": 1200.0,
        },
    ]
    return pd.DataFrame(rows)


def test_pilot_probability_is_the_monte_carlo_probability() -> None:
    frame = _frame()
    limits = {
        "performance": {"metric": "p95_latency_s", "limit": 3.0},
        "precision": {"metric": "accuracy", "limit": 0.9},
        "cost": {"metric": "monthly_cost", "limit": 1200.0},
    }
    method = {f"saturation_{p}": 0.3 for p in scoring.PILLARS}
    crits = scoring.criteria(limits, {"performance": 1, "precision": 1, "cost": 1}, method)
    mc = scoring.monte_carlo(frame, crits, None, 2000, 7)
    out = pilot.pilot_measurements(frame, {"x": "a", "y": "b"}, crits, None, 2000, 7, 0.8)
    assert [d["probability"] for d in out] == pytest.approx(list(mc))
    assert {m["column"] for m in out[0]["measurements"]} == {
        "p95_latency_s",
        "accuracy",
        "monthly_cost",
    }


# -- the evaluation plan: proxies too close to the limit --------------------------------------


def test_close_to_limit_lists_models_whose_best_range_contains_the_limit() -> None:
    rows = [
        # model m1: best row 0.92 (0.88-0.95) contains 0.90 → listed
        ("m1-a", "m1", 0.92, 0.88, 0.95, "proxy", ""),
        ("m1-b", "m1", 0.85, 0.80, 0.89, "proxy", ""),
        # m2: best row entirely above the limit → not listed
        ("m2-a", "m2", 0.95, 0.93, 0.97, "proxy", ""),
        # m3: the client's evaluation, not a proxy → not listed
        ("m3-a", "m3", 0.91, 0.89, 0.93, "measured", ""),
        # m4: the straddling row is excluded by a constraint → its other row is the best
        ("m4-a", "m4", 0.91, 0.89, 0.93, "proxy", "does not fit"),
        ("m4-b", "m4", 0.80, 0.75, 0.85, "proxy", ""),
    ]
    frame = pd.DataFrame(
        rows,
        columns=[
            "config_id",
            "model",
            "accuracy",
            "accuracy_low",
            "accuracy_high",
            "accuracy_source",
            "excluded_because",
        ],
    )
    out = pilot.close_to_limit(frame, 0.90)
    assert [e["model"] for e in out] == ["m1"]
    assert out[0]["config_id"] == "m1-a"
    assert (out[0]["accuracy_low"], out[0]["accuracy_high"]) == (0.88, 0.95)
    assert pilot.close_to_limit(frame, None) == []


# -- risks -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cat() -> Any:
    return catalog.load()


def _topics(questions: list[dict[str, Any]]) -> list[str]:
    return [q["topic"] for q in questions]


def test_api_design_asks_terms_location_and_deprecation(cat: Any) -> None:
    design = {"hosting": "api", "model": "gpt-4o-mini", "rag": "rag", "region": None}
    qs = risks.risk_questions(
        design, cat, rag_documents_gb=5.0, user_uploads=False, confidential_data=False
    )
    topics = _topics(qs)
    for topic in ("api_terms", "location_api", "deprecation", "third_party", "rag_personal_data"):
        assert topic in topics
    assert "licence" not in topics and "user_uploads" not in topics
    location = qs[topics.index("location_api")]["facts"]
    assert location["provider"] == cat.api_models["gpt-4o-mini"].provider
    # the zone is EcoLogits' (pinned library), not a residency promise
    from llmdecide.estimators import api as api_estimators

    zone = api_estimators.ecologits_datacenter_zone(
        cat.api_models["gpt-4o-mini"].ecologits_provider
    )
    assert location["zone"] == zone
    for topic in risks_ai_act():
        assert topic in topics


def risks_ai_act() -> tuple[str, ...]:
    return ("ai_act_prohibited", "ai_act_high_risk", "ai_act_derogation", "ai_act_transparency")


def test_self_hosted_design_asks_the_catalog_licence_and_where_it_runs(cat: Any) -> None:
    model = next(iter(cat.open_models))
    gpu = next(g for g in cat.gpus if cat.offers_for(g, "FRA"))
    design = {"hosting": "cloud", "model": model, "rag": "none", "region": "FRA", "gpu": gpu}
    qs = risks.risk_questions(
        design, cat, rag_documents_gb=None, user_uploads=True, confidential_data=True
    )
    topics = _topics(qs)
    assert "deprecation" not in topics and "api_terms" not in topics
    assert "rag_personal_data" not in topics  # no retrieval
    assert "user_uploads" in topics and "self_hosted_security" in topics
    licence = qs[topics.index("licence")]["facts"]
    assert licence["licence"] == cat.open_models[model].licence
    location = qs[topics.index("location_cloud")]["facts"]
    assert location["region"] == "FRA"
    assert location["providers"] == ", ".join(
        sorted({o.provider for o in cat.offers_for(gpu, "FRA")})
    )
    ai_act = qs[topics.index("ai_act_high_risk")]["facts"]["areas"]
    assert len(ai_act) == 8  # Annex III, points 1-8


# -- phases ------------------------------------------------------------------------------------


def test_path_cost_by_hand() -> None:
    steps = [
        phases.Step("api", 3, 500.0, 0.0),
        phases.Step("onprem", 9, 2000.0, 100000.0),
        phases.Step("onprem", 24, 3000.0, 150000.0),
    ]
    out = phases.path_cost(steps)
    # run: 3 × 500 + 9 × 2 000 + 24 × 3 000 = 1 500 + 18 000 + 72 000 = 91 500
    # set-up: 0 (API) + 100 000 (switch to on-prem) + (150 000 − 100 000) servers added = 150 000
    assert out == {"run": 91500.0, "setup": 150000.0, "total": 241500.0, "switches": 1.0}


def _phase_frame(costs: dict[str, tuple[float, float, float, bool]]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "config_id": cid,
                "label": cid.upper(),
                "monthly_cost": monthly,
                "cost_capex": capex,
                "setup_cost": setup,
                "feasible": feasible,
                "probability_meets_limits": 0.9,
            }
            for cid, (monthly, capex, setup, feasible) in costs.items()
        ]
    )


def test_summarise_switches_and_compares_with_staying() -> None:
    plan = [
        {"name": "try", "months": 3, "requests_per_day": 500, "peak_requests_per_second": 0.5},
        {"name": "grow", "months": 9, "requests_per_day": 20000, "peak_requests_per_second": 6},
    ]
    frames = [
        # (monthly cost, of which amortised purchase, set-up, feasible)
        _phase_frame({"api": (100.0, 0.0, 0.0, True), "own": (2500.0, 1000.0, 48000.0, True)}),
        _phase_frame({"api": (6000.0, 0.0, 0.0, True), "own": (2600.0, 1000.0, 48000.0, True)}),
    ]
    out = phases.summarise(plan, frames, ["api", "own"])
    assert [p["config_id"] for p in out["phases"]] == ["api", "own"]
    assert out["switches"][0]["month"] == 3 and out["switches"][0]["to_phase"] == "grow"
    assert out["switches"][0]["setup_paid"] == pytest.approx(48000.0)  # own servers, none owned
    # path: 3 × 100 + 9 × (2 600 − 1 000) = 300 + 14 400 = 14 700 run, 48 000 set-up → 62 700
    assert out["path"]["total"] == pytest.approx(62700.0)
    stay = {s["config_id"]: s["total"] for s in out["stay"]}
    # stay on the API: 3 × 100 + 9 × 6 000 = 54 300; on own servers: 3 × 1 500 + 9 × 1 600
    # + 48 000 = 4 500 + 14 400 + 48 000 = 66 900
    assert stay == {"api": pytest.approx(54300.0), "own": pytest.approx(66900.0)}
    assert out["best_stay"]["config_id"] == "api"
    assert out["saving_vs_best_stay"] == pytest.approx(54300.0 - 62700.0)
    assert out["advice"] == "stay"  # the switch costs 8 400 more than staying on the API


def test_a_model_swap_on_the_same_servers_buys_no_hardware_again() -> None:
    # two designs on the same owned servers (same site and GPU): set-up 60 000 of which
    # 50 000 servers. Switching from a to b pays b's 10 000 of integration, not the servers.
    same = "on_premise|FRA|B200"
    steps = [
        phases.Step("a", 6, 1000.0, 60000.0, 50000.0, same),
        phases.Step("b", 6, 900.0, 60000.0, 50000.0, same),
    ]
    out = phases.path_cost(steps)
    # run 6 × 1 000 + 6 × 900 = 11 400; set-up 60 000 + 10 000 = 70 000
    assert out == {"run": 11400.0, "setup": 70000.0, "total": 81400.0, "switches": 1.0}
    # on other servers the switch buys them: 60 000 + 60 000
    other = [steps[0], phases.Step("b", 6, 900.0, 60000.0, 50000.0, "on_premise|FRA|H100")]
    assert phases.path_cost(other)["setup"] == 120000.0


def _lawfirm() -> dict[str, Any]:
    return yaml.safe_load(LAWFIRM.read_text(encoding="utf-8"))


def _load(tmp_path: Path, data: dict[str, Any]) -> Any:
    path = tmp_path / "client.yaml"
    data.get("measurements", {}).pop("usage_log", None)
    data.get("measurements", {}).pop("emissions_log", None)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), "utf-8")
    return params.load(path)


@pytest.mark.parametrize(
    ("change", "key", "words"),
    [
        (lambda p: p[1].update(name=p[0]["name"]), "usage.phases[1].name", "already used"),
        (
            lambda p: p[0].update(requests_per_day=360000, peak_requests_per_second=1),
            "usage.phases[0].peak_requests_per_second",
            "below the average",
        ),
        (lambda p: p[0].update(months=0), "usage.phases[0].months", ""),
    ],
)
def test_bad_phases_get_one_clear_message(
    tmp_path: Path, change: Any, key: str, words: str
) -> None:
    data = _lawfirm()
    change(data["usage"]["phases"])
    with pytest.raises(ParamsError) as caught:
        _load(tmp_path, data)
    assert caught.value.exit_code == 2
    problems = caught.value.problems
    assert [p.key_path for p in problems] == [key]
    assert words in problems[0].expected


@pytest.fixture(scope="module")
def lawfirm_choices(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return stages.technical_choices(LAWFIRM, tmp_path_factory.mktemp("lawfirm"))


def test_a_client_with_phases_gets_a_phase_plan(lawfirm_choices: Any) -> None:
    data = lawfirm_choices.data
    plan = data["phase_plan"]
    assert [p["name"] for p in plan["phases"]] == ["pilot", "firm-wide", "all offices"]
    assert plan["months_total"] == 48 and plan["months_match_horizon"]
    assert all(p["recommendation_label"] for p in plan["phases"])
    # the path cost is the sum the module docstring gives, recomputed from the phases' entries
    frame = lawfirm_choices.frame
    assert set(frame["config_id"]) >= {p["config_id"] for p in plan["phases"]} - {None}
    out = assemble.plans_of(data)
    assert [
        set(p) >= {"name", "months", "recommendation", "recommendation_label", "monthly_cost"}
        for p in out["phases"]
    ] == [True] * 3
    assert out["phase_path"]["path"]["total"] == pytest.approx(
        out["phase_path"]["path"]["run"] + out["phase_path"]["path"]["setup"]
    )
    assert out["pilot_plan"]["designs"][0]["role"] == "recommendation"
    assert out["risks"]["designs"][0]["questions"]
    json.dumps(out, allow_nan=False)  # results.json-ready


# -- the report sections -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def context(lawfirm_choices: Any) -> dict[str, Any]:
    ctx = json.loads(FIXTURE.read_text(encoding="utf-8"))
    ctx["results"].update(assemble.plans_of(lawfirm_choices.data))
    return ctx


SECTIONS = {
    "fr": ("Le plan du pilote", "Le plan par phase", "Risques et conformité", "annexe III"),
    "en": ("The pilot plan", "The phase plan", "Risks and compliance", "Annex III"),
}


@pytest.mark.parametrize("language", ["fr", "en"])
def test_reports_contain_the_new_sections(context: dict[str, Any], language: str) -> None:
    ctx = copy.deepcopy(context)
    ctx["client"]["language"] = language
    html = report.render_html(ctx)
    for section in ("pilot-plan", "phases", "risks"):
        assert f'<section id="{section}"' in html
        assert f'href="#{section}"' in html  # in the table of contents
    for words in SECTIONS[language]:
        assert words in html


def test_pdf_with_the_new_sections_stays_within_30_pages(
    context: dict[str, Any], tmp_path: Path
) -> None:
    from pypdf import PdfReader

    _, pdf = report.render(context, tmp_path)
    pages = len(PdfReader(io.BytesIO(pdf.read_bytes())).pages)
    assert pages <= 30, pages


# -- the notebooks' workbench (item 8) ----------------------------------------------------------

NOTEBOOK_02_VIEWS = (
    "space",
    "summary",
    "top",
    "rejected",
    "per_choice",
    "pareto",
    "ranges",
    "cost",
    "break_even",
    "sensitivity",
    "pilot_plan",
    "phases",
    "risks",
)


def test_workbench_formats_tables_in_french_and_in_euros() -> None:
    from llmdecide import i18n, present

    t = i18n.Translator("fr")
    frame = present.table(
        [{"label": "A", "monthly_cost": 3350.4, "accuracy": 0.87, "hosting": "on_premise"}],
        t,
        "EUR",
    )
    assert list(frame.columns) == ["Configuration", "Coût mensuel", "Exactitude", "Hébergement"]
    row = frame.iloc[0]
    assert row["Coût mensuel"] == i18n.format_money(3350.4, "EUR", "fr")  # "3 350 €"
    assert row["Coût mensuel"].endswith("€") and "," not in row["Coût mensuel"]
    assert row["Exactitude"] == i18n.format_percent(0.87, "fr", 1)  # "87,0 %"
    assert row["Hébergement"] == t.option("hosting", "on_premise")


def test_workbench_shows_a_limit_in_its_metric_unit() -> None:
    from llmdecide import i18n, present

    t = i18n.Translator("en")
    rows = [
        {"pillar": "precision", "metric": "accuracy", "limit": 0.9},
        {"pillar": "cost", "metric": "monthly_cost", "limit": 6000},
    ]
    frame = present.table(rows, t, "USD")
    assert list(frame["Limit"]) == [
        i18n.format_percent(0.9, "en", 1),  # "90.0%"
        i18n.format_money(6000, "USD", "en"),  # "$6,000"
    ]
    assert list(frame["Pillar"]) == ["Precision", "Cost"]


def test_every_notebook_02_display_has_a_one_line_so_what(lawfirm_choices: Any) -> None:
    from llmdecide import present

    wb = present.workbench(lawfirm_choices)
    for name in NOTEBOOK_02_VIEWS:
        sentence, body = wb.view(name)
        assert sentence and "\n" not in sentence and "{" not in sentence, name
        assert body is not None
    sentence, _ = wb.view("summary")
    assert lawfirm_choices.data["recommendation_label"] in sentence
    with pytest.raises(KeyError, match="known"):
        wb.view("nonsense")
