"""Chart builders (llmdecide.charts): each returns a chart with a localised title and description
that renders to SVG; the module stays importable without Jinja or WeasyPrint (notebooks)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from llmdecide import charts

FIXTURE = Path(__file__).parent / "fixtures" / "report_context.json"


@pytest.fixture(scope="module")
def context() -> dict[str, Any]:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def builders(ctx: dict[str, Any], language: str) -> dict[str, Any]:
    kw = {"language": language, "currency": ctx["client"]["currency"]}
    limits = ctx["results"]["limits"]
    choices, carbon = ctx["choices"], ctx["carbon"]
    return {
        "priorities": charts.priorities_chart(ctx["critical"], **kw),
        "per_choice": charts.per_choice_chart("gpu", choices["per_choice"]["gpu"], limits, **kw),
        "pareto": charts.pareto_chart(choices["pareto"], limits, **kw),
        "winner_map": charts.winner_map_chart(choices["winner_map"], choices["client_point"], **kw),
        "ranges": charts.ranges_chart(ctx["results"]["estimates"], limits, **kw),
        "cost_breakdown": charts.cost_breakdown_chart(choices["cost_breakdown"], **kw),
        "break_even": charts.break_even_chart(
            choices["break_even"], ctx["critical"]["usage"]["requests_per_day"], **kw
        ),
        "carbon": charts.carbon_projection_chart(
            carbon["projection"], limit=300.0, measured=carbon["measured"], **kw
        ),
        "regions": charts.region_chart(carbon["regions"], carbon["intensity"], limit=300, **kw),
        "daily_load": charts.daily_load_chart(ctx["measurements"]["usage_summary"], **kw),
    }


@pytest.fixture(scope="module")
def french(context: dict[str, Any]) -> dict[str, Any]:
    return builders(context, "fr")


@pytest.mark.parametrize(
    "name",
    [
        "priorities",
        "per_choice",
        "pareto",
        "winner_map",
        "ranges",
        "cost_breakdown",
        "break_even",
        "carbon",
        "regions",
        "daily_load",
    ],
)
def test_each_chart_has_title_description_and_renders_to_svg(
    french: dict[str, Any], name: str
) -> None:
    chart = french[name]
    spec = chart.to_dict()  # validates against the Vega-Lite schema
    assert spec["title"]["text"]
    assert len(spec["description"]) > 30
    assert spec["usermeta"]["llmdecide"] == {
        "language": "fr",
        "currency": "EUR",
        "chart": name if name != "per_choice" else "per_choice",
    }
    svg = charts.to_svg(chart)
    assert svg.lstrip().startswith("<svg")
    assert "<path" in svg or "<line" in svg
    title = spec["title"]["text"]
    assert title.replace("'", "&#39;")[:20] in svg or title[:20] in svg


def test_titles_follow_the_language(context: dict[str, Any], french: dict[str, Any]) -> None:
    english = builders(context, "en")
    fr_title = french["pareto"].to_dict()["title"]["text"]
    en_title = english["pareto"].to_dict()["title"]["text"]
    assert fr_title != en_title
    assert "Pareto" in en_title and "Pareto" in fr_title
    assert english["per_choice"].to_dict()["title"]["text"].startswith("GPU")


def test_french_axes_use_french_number_formats(french: dict[str, Any]) -> None:
    svg = charts.to_svg(french["cost_breakdown"])
    assert "\u202f€" in svg or "\u00a0€" in svg  # "3 000 €", the euro after the number
    assert "1\u202f000" in svg  # narrow no-break space between thousands


def test_winner_map_places_231_points_in_the_triangle(french: dict[str, Any]) -> None:
    spec = french["winner_map"].to_dict()
    points = max(spec["datasets"].values(), key=len)
    assert len(points) == 231
    for point in points:
        assert -1e-9 <= point["x"] <= 1 + 1e-9
        assert -1e-9 <= point["y"] <= math.sqrt(3) / 2 + 1e-9


def test_ternary_projection_corners() -> None:
    assert charts.ternary_xy(1, 0, 0) == pytest.approx((0, 0))
    assert charts.ternary_xy(0, 0, 1) == pytest.approx((1, 0))
    assert charts.ternary_xy(0, 1, 0) == pytest.approx((0.5, math.sqrt(3) / 2))
    assert charts.ternary_xy(2, 2, 2) == pytest.approx((0.5, math.sqrt(3) / 6))


def test_performance_column_follows_the_limit_metric() -> None:
    assert charts.performance_column({"performance": {"metric": "p95_latency_s"}}) == (
        "p95_latency_s"
    )
    assert charts.performance_column({"performance": {"metric": "ttft_p95_s"}}) == "ttft_s"
    assert charts.performance_column({"performance": {"metric": "turnaround_h"}}) == (
        "turnaround_h"
    )


def test_missing_values_do_not_break_a_chart(context: dict[str, Any]) -> None:
    rows = [dict(r) for r in context["choices"]["per_choice"]["deployment_mode"]]
    rows[1]["monthly_kgco2e"] = float("nan")
    chart = charts.per_choice_chart(
        "deployment_mode", rows, context["results"]["limits"], language="en"
    )
    assert "NaN" not in json.dumps(charts.to_html_spec(chart))
    assert charts.to_svg(chart).startswith("<svg")


def test_the_reports_specs_are_the_same_without_altairs_debug_mode(
    context: dict[str, Any],
) -> None:
    """charts.built_spec turns Altair's debug mode (validation of each object as it is created)
    off for the report: every chart of the fixture's report gives the same spec as in debug
    mode, and debug mode is on again after it."""
    import altair as alt

    from llmdecide.report import figures

    makers = list(figures.chart_makers(context))
    assert len(makers) >= 10
    for name, make in makers:
        assert alt.utils.schemapi.DEBUG_MODE is True
        checked = charts.to_html_spec(make())  # the default: validated at creation
        assert json.dumps(charts.built_spec(make), sort_keys=True) == json.dumps(
            checked, sort_keys=True
        ), name
    assert alt.utils.schemapi.DEBUG_MODE is True


def test_embed_options_carry_the_locale(french: dict[str, Any]) -> None:
    options = charts.embed_options(charts.to_html_spec(french["pareto"]))
    assert options["renderer"] == "svg" and options["actions"] is False
    assert options["formatLocale"]["decimal"] == ","
    assert options["formatLocale"]["currency"] == ["", "\u00a0€"]


def test_charts_import_without_the_report_machinery() -> None:
    """Notebooks import the builders: no WeasyPrint, no report module (Jinja comes with Altair)."""
    code = (
        "import sys, llmdecide.charts; "
        "bad = [m for m in ('weasyprint', 'llmdecide.report') if m in sys.modules]; "
        "print(*bad, file=sys.stderr); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_a_pareto_front_of_one_configuration_renders_with_a_finite_size() -> None:
    """One point (one accuracy value) once gave a legend of infinite height and broke WeasyPrint."""
    import re

    from llmdecide import charts

    row = {
        "label": "only",
        "p95_latency_s": 2.0,
        "accuracy": 0.87,
        "monthly_cost": 900.0,
        "monthly_kgco2e": 12.0,
        "is_recommended": True,
        "feasible": True,
    }
    limits = {
        "performance": {"metric": "p95_latency_s", "limit": 3.0},
        "cost": {"metric": "monthly_cost", "limit": 1000.0},
    }
    svg = charts.to_svg(charts.pareto_chart([row], limits, language="en"))
    width, height = re.search(r'<svg[^>]*width="([^"]*)"[^>]*height="([^"]*)"', svg).groups()
    assert float(width) > 0 and 0 < float(height) < 2000


def _layer_values(spec: dict[str, Any]) -> list[list[dict[str, Any]]]:
    return [layer["data"]["values"] for layer in spec["layer"] if "values" in layer.get("data", {})]


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_daily_load_curve_marks_the_busiest_hour_and_the_sizing_peak(language: str) -> None:
    # two days; hour 09 holds 720 requests (360 a day), hour 14 holds 240, hour 03 holds 8
    by_hour = [0] * 24
    by_hour[9], by_hour[14], by_hour[3] = 720, 240, 8
    summary = {
        "requests_by_hour": by_hour,
        "days_covered": 2.0,
        "active_hour_share": 0.1,
        "peak_requests_per_second": 0.25,  # = 900 requests/h at the sizing peak
        "peak_quantile": 0.99,
        "peak_window_s": 60,
    }
    spec = charts.daily_load_chart(summary, language=language, currency="EUR").to_dict()
    bars, busiest, rule, _ = _layer_values(spec)
    assert [b["hour"] for b in bars] == [f"{h:02d}" for h in range(24)]
    per_day = {b["hour"]: b["requests"] for b in bars}
    assert (per_day["09"], per_day["14"], per_day["03"]) == (360.0, 120.0, 4.0)  # ÷ 2 days
    # active: ≥ 10 % of the busiest hour's 720 = 72 → hours 09 and 14, not 03 (8)
    kinds = {b["hour"]: b["kind"] for b in bars}
    assert kinds["09"] == kinds["14"] != kinds["03"]
    assert busiest == [{"hour": "09", "requests": 360.0}]
    assert rule[0]["requests"] == pytest.approx(900.0)  # 0.25 requests/s × 3600 s
    assert "p99" in rule[0]["label"] and "900" in rule[0]["label"]
    assert charts.to_svg(charts.daily_load_chart(summary, language=language)).startswith("<svg")


def test_flat_svg_draws_the_same_with_fewer_elements(context: dict[str, Any]) -> None:
    """charts.finish_svg ends with render._flat (groups that only carry inert attributes
    replaced by their children, empty backgrounds dropped): every chart of the fixture's report
    is drawn pixel for pixel the same by resvg (vl-convert's renderer, at 2x), with at most a
    quarter of its groups left."""
    import vl_convert as vlc

    from llmdecide.charts import render
    from llmdecide.report import figures

    render._register_fonts()
    groups_before = groups_after = 0
    for name, make in figures.chart_makers(context):
        raw = vlc.vegalite_to_svg(**render.svg_request(make()))
        before = render._FILL_ONLY_OPACITY.sub(render._fill_opacity, render._NO_OP.sub("", raw))
        after = render._flat(before)
        assert after == charts.finish_svg(raw)
        assert vlc.svg_to_png(after, scale=2) == vlc.svg_to_png(before, scale=2), name
        groups_before, groups_after = (
            groups_before + before.count("<g"),
            groups_after + after.count("<g"),
        )
    assert groups_after * 4 <= groups_before


def test_flat_svg_keeps_what_draws() -> None:
    """What render._flat removes and what it must keep (an inherited stroke draws an outline;
    a stylesheet may read classes)."""
    from llmdecide.charts.render import _flat

    head = '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4">'
    flat = _flat(
        f'{head}<g fill="none"><g class="mark-group" role="graphics-object">'
        '<g transform="translate(0,0)"><path class="background" aria-hidden="true" d="M0,0h4v4h-4Z"/>'
        '<g><rect width="1" height="1" fill="red" pointer-events="none"/></g></g></g></g></svg>'
    )
    assert flat == (
        '<svg width="4" height="4" xmlns="http://www.w3.org/2000/svg">'
        '<g fill="none"><rect width="1" height="1" fill="red" /></g></svg>'
    )
    kept = [
        '<g fill="none" stroke="#ddd"><path d="M0,0h4v4h-4Z" /></g>',  # stroked by inheritance
        '<g fill="none"><path d="M0,0h4v4h-4Z" fill="white" /></g>',  # filled itself
        '<g fill="none"><g transform="translate(1,0)"><path d="M0,0h1" stroke="red" /></g></g>',
        '<g><path d="M0,0h4v4h-4Z" /></g>',  # filled black: no fill="none" above it
    ]
    for body in kept:
        out = _flat(f"{head}{body}</svg>")
        assert out.count("<path") == 1, body
    assert 'transform="translate(1,0)"' in _flat(f"{head}{kept[2]}</svg>")  # a real move kept
    styled = f'{head}<style>.a {{fill: red}}</style><g class="a"><path d="M0,0h1"/></g></svg>'
    assert _flat(styled) == styled


def test_finish_svg_gives_a_lone_fill_its_opacity_as_fill_opacity() -> None:
    """WeasyPrint paints ``opacity`` as a transparency group per element; for a path that is
    only filled, ``fill-opacity`` is the same paint. A stroked path keeps its group (fill and
    stroke composited together), and nothing else is touched."""
    fill = '<path d="M0,0L4,0L2,3Z" fill="#155eef" opacity="0.9"/>'
    assert charts.finish_svg(fill) == '<path d="M0,0L4,0L2,3Z" fill="#155eef" fill-opacity="0.9"/>'
    no_stroke = '<path d="M0,0h1" stroke="none" opacity=".5"/>'
    assert 'fill-opacity=".5"' in charts.finish_svg(no_stroke)
    kept = [
        '<path d="M0,0h1" fill="red" stroke="white" opacity="0.95"/>',  # stroked
        '<path d="M0,0h1" fill="red" opacity="1"/>',  # opaque: no group anyway
        '<path d="M0,0h1" fill="red" fill-opacity="0.5" opacity="0.5"/>',  # both: 0.25 as a group
        '<text x="1" opacity="0.5">kg</text>',  # glyphs may overlap: left as a group
        '<g opacity="0.5"><path d="M0,0h1"/></g>',  # a group's children composite together
    ]
    for svg in kept:
        assert charts.finish_svg(svg) == svg
