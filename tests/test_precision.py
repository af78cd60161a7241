"""Honest precision: the Wilson interval of a client evaluation, the fewest questions an accuracy
implies, unknown precision (never imputed), and the evaluation plan (``to_evaluate``)."""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from llmdecide import catalog, params
from llmdecide.estimators import precision
from llmdecide.params.problems import problems_from_validation

# --------------------------------------------------------------------------------------------
# Wilson score interval


def test_wilson_interval_hand_computed_089_on_300_questions() -> None:
    # p = 0.89, n = 300, z = 1.959964 (95 %), z² = 3.841459
    # z²/n = 0.0128049, z²/2n = 0.0064024, p(1-p)/n = 0.0979/300 = 0.00032633,
    # z²/4n² = 3.841459/360000 = 0.00001067; sqrt(0.00033700) = 0.0183577; × z = 0.0359804
    # low  = (0.89 + 0.0064024 - 0.0359804) / 1.0128049 = 0.8604220 / 1.0128049 = 0.849544
    # high = (0.89 + 0.0064024 + 0.0359804) / 1.0128049 = 0.9323828 / 1.0128049 = 0.920595
    low, high = precision.wilson_interval(0.89, 300, 0.95)
    assert low == pytest.approx(0.849544, abs=2e-6)
    assert high == pytest.approx(0.920595, abs=2e-6)


def test_wilson_interval_small_sample_stays_inside_zero_one() -> None:
    # 10/10 correct: centre = (1 + 0.19208)/1.38415 = 0.86123, half = 1.95996/1.38415 ×
    # sqrt(0 + 3.84146/400) = 1.41600 × 0.097998 = 0.13877 → (0.72246, 1.0)
    low, high = precision.wilson_interval(1.0, 10, 0.95)
    assert low == pytest.approx(0.72246, abs=1e-5)
    assert high == 1.0
    low0, high0 = precision.wilson_interval(0.0, 10, 0.95)
    assert low0 == 0.0 and high0 == pytest.approx(1 - 0.72246, abs=1e-5)


def test_normal_quantile_of_the_usual_levels() -> None:
    assert precision.normal_quantile(0.95) == pytest.approx(1.959964, abs=1e-6)
    assert precision.normal_quantile(0.90) == pytest.approx(1.644854, abs=1e-6)
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        precision.normal_quantile(1.0)


@given(
    p=st.floats(0, 1),
    n=st.integers(1, 100_000),
    confidence=st.sampled_from([0.8, 0.9, 0.95, 0.99]),
)
def test_wilson_interval_contains_the_observed_share_and_stays_in_0_1(
    p: float, n: int, confidence: float
) -> None:
    low, high = precision.wilson_interval(p, n, confidence)
    assert 0.0 <= low <= p <= high <= 1.0


@given(p=st.floats(0.01, 0.99), n=st.integers(1, 20_000))
def test_wilson_interval_narrows_with_more_questions_and_widens_with_confidence(
    p: float, n: int
) -> None:
    low1, high1 = precision.wilson_interval(p, n, 0.95)
    low4, high4 = precision.wilson_interval(p, 4 * n, 0.95)
    assert high4 - low4 < high1 - low1
    low99, high99 = precision.wilson_interval(p, n, 0.99)
    assert high99 - low99 > high1 - low1


def test_evaluation_accuracy_range_with_and_without_questions() -> None:
    low, value, high = precision.evaluation_accuracy_range(0.89, 300, 0.95)
    assert value == 0.89
    assert (low, high) == pytest.approx((0.849544, 0.920595), abs=2e-6)
    assert precision.evaluation_accuracy_range(0.89, None, 0.95) == (0.89, 0.89, 0.89)


# --------------------------------------------------------------------------------------------
# The fewest questions an accuracy implies


@pytest.mark.parametrize(
    ("accuracy", "fraction"),
    [
        # 0.913 to 3 decimals: k/n in [0.9125, 0.9135]; 1 - k/n in [0.0865, 0.0875] holds an
        # integer/n first at n = 23 (2/23 = 0.08696): 21/23 = 0.91304
        (0.913, Fraction(21, 23)),
        (0.89, Fraction(8, 9)),  # 8/9 = 0.8889 rounds to 0.89; no n <= 8 lands in [0.885, 0.895]
        (0.9, Fraction(6, 7)),  # 6/7 = 0.857 rounds to 0.9 at one decimal
        (0.5, Fraction(1, 2)),
        (1.0, Fraction(1, 1)),
        (0.0, Fraction(0, 1)),
        (0.9133333333333333, Fraction(137, 150)),  # a share computed by a script: 274/300
    ],
)
def test_fewest_questions_hand_examples(accuracy: float, fraction: Fraction) -> None:
    assert precision.fewest_questions(accuracy) == fraction
    assert precision.implied_questions(accuracy) == max(1, fraction.denominator)


def test_written_decimals() -> None:
    assert [precision.written_decimals(x) for x in (0.913, 0.9, 1.0, 0.0, 1e-05, 0.25)] == [
        3,
        1,
        0,
        0,
        5,
        2,
    ]


@given(k=st.integers(0, 400), extra=st.integers(0, 400), decimals=st.integers(1, 4))
def test_a_real_evaluation_is_never_below_the_implied_questions(
    k: int, extra: int, decimals: int
) -> None:
    # k correct out of n: the accuracy rounded to some decimals always implies n or fewer
    n = max(1, k + extra)
    written = round(k / n, decimals)
    assert precision.implied_questions(written, decimals) <= n


@given(n=st.integers(1, 60), decimals=st.integers(1, 3), k=st.integers(0, 60))
def test_implied_questions_is_the_smallest_by_brute_force(n: int, decimals: int, k: int) -> None:
    k = min(k, n)
    a = round(k / n, decimals)
    found = precision.implied_questions(a, decimals)
    half = 0.5 * 10**-decimals + 1e-12

    def reachable(m: int) -> bool:
        return any(abs(j / m - a) <= half for j in range(m + 1))

    assert reachable(found)
    assert not any(reachable(m) for m in range(1, found))


def _client(evaluation: str) -> dict:
    import yaml

    text = f"""
client: {{name: Acme, language: en, currency: EUR}}
use_case: {{title: Assistant}}
critical_performance:
  performance: {{metric: p95_latency_s, limit: 3.0}}
  precision: {{metric: accuracy, limit: 0.9}}
  cost: {{metric: monthly_cost, limit: 6000}}
  priorities: {{performance: 1, precision: 1, cost: 1}}
usage: {{requests_per_day: 1000, peak_requests_per_second: 1, input_tokens: 500, output_tokens: 200}}
constraints: {{confidential_data: false, regions: [FRA]}}
evaluations:
  - {evaluation}
"""
    return yaml.safe_load(text)


def test_params_accept_questions_and_refuse_too_few() -> None:
    ok = params.ClientParams.model_validate(
        _client("{model: llama-3.1-8b, accuracy: 0.89, questions: 300}")
    )
    assert ok.evaluations[0].questions == 300
    with pytest.raises(ValidationError) as info:
        params.ClientParams.model_validate(
            _client("{model: llama-3.1-8b, accuracy: 0.913, questions: 10}")
        )
    problems = problems_from_validation(info.value, "acme.yaml")
    assert [p.key_path for p in problems] == ["evaluations[0].questions"]
    assert "the fewest questions that can is 23 (21/23 = 0.91304)" in problems[0].expected
    # 23 questions is the edge: accepted
    params.ClientParams.model_validate(
        _client("{model: llama-3.1-8b, accuracy: 0.913, questions: 23}")
    )


def test_catalog_method_has_the_confidence_level_and_staleness() -> None:
    cat = catalog.load()
    assert cat.method_record.evaluation_confidence == 0.95
    assert cat.method_record.stale_after_months == 12
    assert 0 < cat.method["evaluation_confidence"] < 1


def test_unknown_base_stays_unknown_through_the_deltas() -> None:
    assert math.isnan(precision.accuracy(math.nan, [0.05, -0.02]))
    assert precision.accuracy(0.9, [0.05, 0.1]) == 1.0


# --------------------------------------------------------------------------------------------
# The report: evaluation plan, translated reason, stale sources


def _report_context(language: str) -> dict:
    import json
    from pathlib import Path

    from llmdecide import assemble

    context = json.loads(
        (Path(__file__).parent / "fixtures" / "report_context.json").read_text(encoding="utf-8")
    )
    context["client"]["language"] = language
    import pandas as pd

    rows = pd.DataFrame(
        [
            {
                "config_id": "u1",
                "model": "qwen3-32b",
                "hosting": "cloud",
                "rag": "rag",
                "optimisation": "fp8",
                "accuracy_source": "unknown",
                "excluded_because": "",
                "rejected_because": "precision unknown: evaluate qwen3-32b on the client's task",
            }
        ]
    )
    context["results"]["to_evaluate"] = assemble.evaluation_plan(
        rows, {"precision": {"metric": "accuracy", "limit": 0.9}}, 0.95
    )
    rejected = context["choices"]["rejected"]
    rejected[0] = {
        **rejected[0],
        "accuracy": None,
        "accuracy_source": "unknown",
        "rejected_because": "precision unknown: evaluate qwen3-32b on the client's task",
    }
    context["sources"][0] = {
        **context["sources"][0],
        "retrieved": "2024-05-01",
        "stale": True,
        "stale_after_months": 12,
    }
    return context


def test_evaluation_plan_in_results_carries_the_interval_at_the_limit() -> None:
    context = _report_context("en")
    (entry,) = context["results"]["to_evaluate"]
    assert entry["model"] == "qwen3-32b" and entry["blocked_only_by_precision"] == 1
    assert entry["confidence"] == 0.95
    # 0.9 on 300 questions: z²/n = 0.0128049; centre = (0.9 + 0.0064024)/1.0128049 = 0.894943;
    # half = 1.959964/1.0128049 × sqrt(0.09/300 + 0.0000106707) = 1.935184 × 0.0176259 = 0.034109
    # → (0.860834, 0.929052)
    sizes = {s["questions"]: (s["low"], s["high"]) for s in entry["interval_at_limit"]}
    assert sizes[300] == pytest.approx((0.860834, 0.929052), abs=2e-6)
    assert sorted(sizes) == [100, 300, 1000]


@pytest.mark.parametrize(
    ("language", "fragments"),
    [
        (
            "en",
            [
                "The evaluation plan",
                "precision unknown: evaluate qwen3-32b on the client's task",
                "stale: retrieved 1 May 2024",
                "on 300 questions",
            ],
        ),
        (
            "fr",
            [
                "Le plan d'évaluation",
                "précision inconnue\u202f: évaluer qwen3-32b sur la tâche du client",
                "périmée\u202f: consultée le 1 mai 2024",
                "sur 300\u00a0questions",
            ],
        ),
    ],
)
def test_report_shows_the_evaluation_plan_and_stale_sources(
    language: str, fragments: list[str]
) -> None:
    from llmdecide import report

    html = report.render_html(_report_context(language))
    assert 'id="evaluation-plan"' in html
    assert 'href="#evaluation-plan"' in html  # in the table of contents
    import html as html_mod
    import re

    visible = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    text = html_mod.unescape(re.sub(r"<[^>]+>", " ", visible))
    text = re.sub(r"[ \n]+", " ", text)
    for fragment in fragments:
        assert fragment in text, fragment
    assert not re.search(r"\bNone\b|\bnan\b|\{\{", text)  # unknown shown as such, not as NaN


def test_report_without_models_to_evaluate_has_no_plan() -> None:
    import json
    from pathlib import Path

    from llmdecide import report

    context = json.loads(
        (Path(__file__).parent / "fixtures" / "report_context.json").read_text(encoding="utf-8")
    )
    html = report.render_html(context)  # an older context: no to_evaluate, no stale key
    assert 'id="evaluation-plan"' not in html


def test_base_accuracy_measured_proxy_or_unknown() -> None:
    low, value, high, source = precision.base_accuracy((0.89, 300), (0.8, 0.85, 0.9), 0.95)
    assert source == "measured" and value == 0.89
    assert (low, high) == pytest.approx((0.849544, 0.920595), abs=2e-6)
    assert precision.base_accuracy((0.89, None), None, 0.95) == (0.89, 0.89, 0.89, "measured")
    assert precision.base_accuracy(None, (0.8, 0.85, 0.9), 0.95) == (0.8, 0.85, 0.9, "proxy")
    unknown = precision.base_accuracy(None, None, 0.95)
    assert unknown[3] == "unknown" and all(math.isnan(x) for x in unknown[:3])


def test_evaluation_plan_reads_the_configurations_csv(tmp_path: Path) -> None:
    """What assemble does: the plan from configurations.csv as written and read back (empty text
    columns come back as NaN floats)."""
    import warnings

    import numpy as np
    import pandas as pd

    from llmdecide import assemble, stages

    frame = pd.DataFrame(
        {
            "config_id": ["a", "b", "c"],
            "model": ["qwen3-32b", "qwen3-32b", "gpt-4o"],
            "hosting": ["cloud", "on_premise", "api"],
            "rag": ["none", "rag", "none"],
            "optimisation": ["fp8", "int4", np.nan],
            "accuracy": [np.nan, np.nan, 0.88],
            "accuracy_source": ["unknown", "unknown", "proxy"],
            "excluded_because": ["", "", ""],
            "rejected_because": [
                "precision unknown: evaluate qwen3-32b on the client's task",
                "precision unknown: evaluate qwen3-32b on the client's task; monthly_cost 9000 > limit 6000",
                "",
            ],
        }
    )
    stages.write_configurations(frame, tmp_path)
    back = stages.configurations_frame(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (entry,) = assemble.evaluation_plan(back, {"precision": {"limit": 0.9}}, 0.95)
    assert entry["model"] == "qwen3-32b"
    assert entry["configurations"] == 2 and entry["blocked_only_by_precision"] == 1
    assert entry["hosting"] == ["cloud", "on_premise"] and entry["optimisation"] == ["fp8", "int4"]
    assert assemble.evaluation_plan(None, {"precision": {"limit": 0.9}}, 0.95) == []
