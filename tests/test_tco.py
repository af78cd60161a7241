"""Total cost of ownership (issue 13): staff, availability, whole servers, cloud commitments and
client quotes; the cost breakdown sums to monthly_cost. Hand-computed values carry their
arithmetic; the properties (more spares or sites never cost less, a longer commitment never
raises the price) run the real chain."""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from llmdecide import configurations as conf
from llmdecide import params, stages, tco_basis
from llmdecide.columns import COST_COLUMNS
from llmdecide.evaluation.hosting import cloud, fleet, on_premise, tco

ROOT = Path(__file__).resolve().parents[1]
RETAIL = ROOT / "params" / "clients" / "example-retail.yaml"
LAWFIRM = ROOT / "params" / "clients" / "example-lawfirm.yaml"
DAYS = 730 / 24  # days per month: the catalog's hours_per_month (730) / 24 = 30.4167
EUR = 1.1172  # USD per EUR (catalog: ECB 2026-10-30)

CLOUD_L40S = conf.Candidate(
    "cloud", "FRA", "L40S", 1, "llama-3.1-8b", "fp8", "fp16", "none", "text", "real_time"
)
OWN_L40S = conf.Candidate(
    "on_premise", "FRA", "L40S", 1, "llama-3.1-8b", "fp8", "fp16", "none", "text", "real_time"
)
CLOUD_H100 = conf.Candidate(
    "cloud", "FRA", "H100-SXM", 1, "llama-3.1-8b", "fp8", "fp16", "none", "text", "real_time"
)
API = conf.Candidate("api", "", "", 0, "gpt-4o-mini", "", "", "none", "text", "real_time")


def _retail() -> dict[str, Any]:
    data = yaml.safe_load(RETAIL.read_text(encoding="utf-8"))
    data.pop("measurements", None)  # hypotheses only: the tests fix the usage
    return data


def _context(tmp_path: Path, data: dict[str, Any], name: str = "client.yaml") -> conf.Context:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    inputs = stages.load_inputs(path)
    intensity = {r: g.g_per_kwh for r, g in stages.intensities(inputs).items()}
    return conf.make_context(inputs.client, inputs.catalog, inputs.usage, intensity)


def _row(ctx: conf.Context, cand: conf.Candidate) -> dict[str, Any]:
    return conf.evaluate_candidates(ctx, [cand]).iloc[0].to_dict()


def _with(data: dict[str, Any], **sections: Any) -> dict[str, Any]:
    out = copy.deepcopy(data)
    for key, value in sections.items():
        out[key] = value
    return out


# --------------------------------------------------------------------------------------------
# Pure functions, by hand


def test_servers_needed_buys_whole_servers_per_site() -> None:
    # 6 replicas of 1 GPU, 8 GPUs a server: ⌈6 / 8⌉ = 1 server (2 GPUs left free as spares)
    assert on_premise.servers_needed(np.array([6.0]), 1.0, 8.0, 1)[0] == 1
    # 3 replicas of 4 GPUs, 8 a server: 2 replicas a server → ⌈3 / 2⌉ = 2 servers
    assert on_premise.servers_needed(np.array([3.0]), 4.0, 8.0, 1)[0] == 2
    # 5 replicas of 1 L40S (4 a server) at each of 2 sites: ⌈5 / 4⌉ × 2 = 4 servers
    assert on_premise.servers_needed(np.array([5.0]), 1.0, 4.0, 2)[0] == 4


def test_running_profile_adds_spares_at_every_hour_and_each_site() -> None:
    # 3 replicas of 2 GPUs, active 16 h, 1 replica off hours; 1 spare, 2 sites:
    # peak (3 + 1) × 2 × 2 GPUs = 16 GPUs for 16 h, base (1 + 1) × 2 × 2 = 8 GPUs for 8 h
    f = {
        "tp": np.array([2.0]),
        "replicas": np.array([3.0]),
        "realtime": np.array([True]),
        "active_h": 16.0,
        "days": DAYS,
        "replica_h_per_day": np.array([0.0]),
        "min_replicas": 1.0,
    }
    peak, peak_h, base, base_h = fleet.running_profile(f, 1, 2)
    assert (peak[0], peak_h[0], base[0], base_h[0]) == (16, 16, 8, 8)
    # GPU-hours: (16 × 16 + 8 × 8) × 730/24 = 320 × 30.4167 = 9 733.33
    assert fleet.gpu_hours_per_month(f, 1, 2)[0] == pytest.approx(9733.333, rel=1e-6)
    # without availability: 2 × (3 × 16 + 1 × 8) × 730/24 = 112 × 30.4167 = 3 406.67
    assert fleet.gpu_hours_per_month(f)[0] == pytest.approx(3406.667, rel=1e-6)


def test_cheapest_commitment_by_hand() -> None:
    # 4 GPUs for 16 h a day, 2 GPUs for 8 h; on demand 0.87, 1-year 0.66506 USD per GPU-hour;
    # a month of 730 h (30.4167 days)
    hours = 24 * DAYS
    peak_h, base_h = 16 * DAYS, 8 * DAYS
    prices = {"on_demand": np.array([0.87]), "1y": np.array([0.66506])}
    value, which = cloud.cheapest_commitment(
        prices, np.array([4.0]), peak_h, np.array([2.0]), base_h, hours
    )
    # on demand: 0.87 × (4 × 16 + 2 × 8) × 30.4167 = 0.87 × 2 433.33 = 2 117.00
    # 1y on the base 2 GPUs: 2 × 730 × 0.66506 = 970.99 + 0.87 × 2 × 16 × 30.4167 = 846.80
    #   → 1 817.79
    # 1y on all 4 GPUs: 4 × 730 × 0.66506 = 1 941.98
    assert which[0] == "1y"
    assert value[0] == pytest.approx(2 * 730 * 0.66506 + 0.87 * 2 * 16 * 730 / 24)
    # no commitment price published: on demand
    value, which = cloud.cheapest_commitment(
        {"on_demand": np.array([0.87]), "1y": np.array([math.nan])},
        np.array([4.0]),
        peak_h,
        np.array([2.0]),
        base_h,
        hours,
    )
    assert which[0] == "on_demand" and value[0] == pytest.approx(2117.0)  # 0.87 × 2 433.33


@settings(max_examples=200, deadline=None)
@given(
    od=st.floats(0.1, 20),
    one=st.floats(0.05, 1.0),
    three=st.floats(0.05, 1.0),
    peak=st.integers(1, 64),
    base_share=st.floats(0, 1),
    active=st.floats(1, 24),
)
def test_a_longer_commitment_offered_never_raises_the_cost(
    od: float, one: float, three: float, peak: int, base_share: float, active: float
) -> None:
    """Offering a further commitment (its price never above the shorter one's) never raises the
    cheapest monthly cost."""
    p1 = od * one
    p3 = p1 * three
    base = np.array([math.floor(peak * base_share)], float)
    args = (np.array([float(peak)]), active * DAYS, base, (24 - active) * DAYS, 24 * DAYS)
    costs = [
        cloud.cheapest_commitment(dict(list(terms.items())), *args)[0][0]
        for terms in (
            {"on_demand": np.array([od])},
            {"on_demand": np.array([od]), "1y": np.array([p1])},
            {"on_demand": np.array([od]), "1y": np.array([p1]), "3y": np.array([p3])},
        )
    ]
    assert costs[1] <= costs[0] * (1 + 1e-12)
    assert costs[2] <= costs[1] * (1 + 1e-12)


def test_no_catalog_commitment_raises_the_hourly_price(tmp_path: Path) -> None:
    ctx = _context(tmp_path, _retail())
    for gpu in ctx.catalog.gpus:
        for region in ctx.catalog.regions:
            od, one, three = (tco.cloud_price_usd(ctx, gpu, region, c)[0] for c in tco.COMMITMENTS)
            if not math.isnan(one):
                assert one <= od
            if not math.isnan(three):
                assert three <= min(one if not math.isnan(one) else od, od)


# --------------------------------------------------------------------------------------------
# The whole chain, one configuration per hosting type


def test_cloud_tco_by_hand(tmp_path: Path) -> None:
    """L40S in France with one spare at two sites, 1 FTE at 9 000 EUR, and the client's quote of
    a 1-year price (1.00 EUR per GPU-hour) beside the catalog's on-demand 1.55 USD (nebius)."""
    data = _with(
        _retail(),
        operations={
            "staff_fte": 1.0,
            "staff_cost_per_fte_month": 9000,
            "availability": {"sites": 2, "spare_replicas": 1},
        },
        quotes=[
            {
                "kind": "cloud_gpu_hour",
                "gpu": "L40S",
                "region": "FRA",
                "commitment": "1y",
                "price": 1.0,
            }
        ],
    )
    data["options"]["cloud_commitment"] = ["on_demand", "1y", "3y"]
    row = _row(_context(tmp_path, data), CLOUD_L40S)
    r = row["serving_replicas"]
    assert r >= 1
    # replicas shown: (r + 1 spare) × 2 sites; GPUs the same (1 per replica)
    assert row["replicas"] == (r + 1) * 2 == row["gpus_total"]
    # running GPUs: (r + 1) × 2 for 16 h, (1 + 1) × 2 = 4 for 8 h, over 730 h / 24 = 30.4167 days
    peak, base = (r + 1) * 2, 4
    assert row["gpu_hours_per_month"] == pytest.approx((peak * 16 + base * 8) * DAYS)
    # prices in USD: on demand 1.55; 1-year 1.00 EUR × 1.1172 = 1.1172. Cheapest of: on demand;
    # 1y on the base 4 GPUs (each paid 730 h a month) + the rest on demand; 1y on all the
    # peak GPUs
    od, one = 1.55, 1.1172
    options = {
        "on_demand": od * (peak * 16 + base * 8) * DAYS,
        "1y": min(base * 730 * one + od * (peak - base) * 16 * DAYS, peak * 730 * one),
    }
    term = min(options, key=options.get)
    assert row["cloud_commitment"] == term == "1y"
    assert row["cost_compute"] == pytest.approx(options[term] / EUR)
    # staff: 1 FTE × 9 000 EUR (the client's own figure, in its currency)
    assert row["cost_staff"] == pytest.approx(9000.0)
    assert row["monthly_cost"] == pytest.approx(
        row["cost_compute"] + row["cost_staff"] + row["cost_rag"]
    )


def test_on_premise_tco_by_hand(tmp_path: Path) -> None:
    """L40S (4 a server) with one spare at two sites; 1.5 FTE (catalog) at 11 800 USD."""
    data = _with(_retail(), operations={"availability": {"sites": 2, "spare_replicas": 1}})
    row = _row(_context(tmp_path, data), OWN_L40S)
    r = row["serving_replicas"]
    per_site = r + 1
    # servers: ⌈(r + 1) / 4⌉ per site, 2 sites; every GPU of a bought server is owned
    servers = math.ceil(per_site / 4) * 2
    assert row["servers"] == servers
    assert row["gpus_total"] == servers * 4
    assert row["replicas"] == per_site * 2
    # capex: 4 GPUs × 15 000 USD per server / 36 months; operations 250 USD per GPU-month
    assert row["cost_capex"] == pytest.approx(servers * 4 * 15000 / 36 / EUR)
    assert row["cost_operations"] == pytest.approx(servers * 4 * 250 / EUR)
    # set-up: 30 000 USD of project + every server bought
    assert row["setup_cost"] == pytest.approx((30000 + servers * 4 * 15000) / EUR)
    # staff: 1.5 FTE (one site) × (1 + 0.2 for the second site) = 1.8 FTE × 11 800 USD
    # = 21 240 USD = 19 012 EUR
    assert row["cost_staff"] == pytest.approx(1.5 * 1.2 * 11800 / EUR)
    # energy: kWh × 0.173 USD/kWh (France)
    assert row["cost_energy"] == pytest.approx(row["energy_kwh_per_month"] * 0.173 / EUR)
    parts = sum(row[c] for c in COST_COLUMNS)
    assert row["monthly_cost"] == pytest.approx(parts)


def test_staff_scales_per_site_with_the_catalog_share(tmp_path: Path) -> None:
    cands = [CLOUD_L40S, OWN_L40S, API]
    rows = {}
    for sites in (1, 2, 3):
        data = _with(_retail(), operations={"availability": {"sites": sites, "spare_replicas": 1}})
        rows[sites] = conf.evaluate_candidates(_context(tmp_path, data, f"s{sites}.yaml"), cands)
    # catalog FTE × (1 + 0.2 × (S − 1)) × 11 800 USD: cloud 1.0, on premise 1.5, API 0.2 FTE
    for i, fte in enumerate((1.0, 1.5, 0.2)):
        for sites in (1, 2, 3):
            expected = fte * (1 + 0.2 * (sites - 1)) * 11800 / EUR
            assert rows[sites]["cost_staff"][i] == pytest.approx(expected)
    # the API's region pair: the same tokens (a standby bills only what it serves), more staff
    api1, api2 = rows[1].iloc[2], rows[2].iloc[2]
    assert api2["cost_api"] == pytest.approx(api1["cost_api"])
    assert api2["monthly_cost"] - api1["monthly_cost"] == pytest.approx(0.2 * 0.2 * 11800 / EUR)
    # a client's own FTE is its whole team: not scaled
    data = _with(
        _retail(), operations={"staff_fte": 2.0, "availability": {"sites": 2, "spare_replicas": 1}}
    )
    row = _row(_context(tmp_path, data, "own.yaml"), CLOUD_L40S)
    assert row["cost_staff"] == pytest.approx(2.0 * 11800 / EUR)


def test_api_tco_carries_its_integration_share_and_a_quoted_discount(tmp_path: Path) -> None:
    base = _row(_context(tmp_path, _retail()), API)
    # 0.2 FTE (catalog) × 11 800 USD = 2 360 USD = 2 112.42 EUR
    assert base["cost_staff"] == pytest.approx(0.2 * 11800 / EUR)
    data = _with(
        _retail(), quotes=[{"kind": "api_discount", "model": "gpt-4o-mini", "discount": 0.25}]
    )
    quoted = _row(_context(tmp_path, data, "quoted.yaml"), API)
    # a 25 % discount: the API bill × 0.75, nothing else changes
    assert quoted["cost_api"] == pytest.approx(base["cost_api"] * 0.75)
    assert quoted["cost_staff"] == pytest.approx(base["cost_staff"])
    assert quoted["monthly_cost"] == pytest.approx(base["monthly_cost"] - 0.25 * base["cost_api"])


# --------------------------------------------------------------------------------------------
# Properties


def test_more_spares_or_sites_never_lower_the_cost(tmp_path: Path) -> None:
    costs: dict[tuple[int, int], list[float]] = {}
    latency: list[float] | None = None
    for sites in (1, 2, 3):
        for spares in (0, 1, 3):
            data = _with(
                _retail(),
                operations={"availability": {"sites": sites, "spare_replicas": spares}},
            )
            frame = conf.evaluate_candidates(
                _context(tmp_path, data, f"c{sites}{spares}.yaml"), [CLOUD_L40S, OWN_L40S]
            )
            costs[(sites, spares)] = list(frame["monthly_cost"])
            # spares and sites stand by: the latency sizing is unchanged
            latency = latency or list(frame["p95_latency_s"])
            assert list(frame["p95_latency_s"]) == pytest.approx(latency)
    for i in range(2):
        for sites in (1, 2, 3):
            assert costs[(sites, 0)][i] <= costs[(sites, 1)][i] <= costs[(sites, 3)][i]
        for spares in (0, 1, 3):
            assert costs[(1, spares)][i] <= costs[(2, spares)][i] <= costs[(3, spares)][i]
        # a second site costs more than one: the fleet doubles
        assert costs[(2, 0)][i] > costs[(1, 0)][i]


def test_a_quote_changes_exactly_the_figures_it_names(tmp_path: Path) -> None:
    cands = [CLOUD_H100, CLOUD_L40S, OWN_L40S, API]
    before = conf.evaluate_candidates(_context(tmp_path, _retail()), cands)
    # the client's own price for H100 GPU-hours in France: 2.40 EUR (on demand)
    data = _with(
        _retail(),
        quotes=[{"kind": "cloud_gpu_hour", "gpu": "H100-SXM", "region": "FRA", "price": 2.4}],
    )
    after = conf.evaluate_candidates(_context(tmp_path, data, "quoted.yaml"), cands)
    changed = {
        (i, col)
        for col in before.columns
        for i in range(len(cands))
        if not _same(before[col].iloc[i], after[col].iloc[i])
    }
    h100 = 0
    assert {c for i, c in changed if i != h100} == set()  # the other rows: untouched
    assert {c for _, c in changed} <= {
        "cost_compute",
        "monthly_cost",
        "monthly_cost_low",
        "monthly_cost_high",
    }
    assert (h100, "cost_compute") in changed
    # by hand: the same GPU-hours at 2.40 EUR (no H100 commitment price in France)
    row = after.iloc[h100]
    assert row["cloud_commitment"] == "on_demand"
    assert row["cost_compute"] == pytest.approx(row["gpu_hours_per_month"] * 2.4)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b, rel=1e-12)
    return bool(a == b)


def test_a_server_quote_changes_capex_and_setup_only(tmp_path: Path) -> None:
    before = _row(_context(tmp_path, _retail()), OWN_L40S)
    data = _with(_retail(), quotes=[{"kind": "server", "gpu": "L40S", "price_per_gpu": 10000}])
    after = _row(_context(tmp_path, data, "quoted.yaml"), OWN_L40S)
    gpus = after["gpus_total"]
    # 10 000 EUR per GPU, 36 months
    assert after["cost_capex"] == pytest.approx(gpus * 10000 / 36)
    assert after["setup_cost"] == pytest.approx(30000 / EUR + gpus * 10000)
    for col in ("cost_energy", "cost_operations", "cost_staff", "gpus_total", "replicas"):
        assert after[col] == pytest.approx(before[col])


# --------------------------------------------------------------------------------------------
# The breakdown, on the example clients


@pytest.mark.parametrize("path", [RETAIL, LAWFIRM], ids=["retail", "lawfirm"])
def test_cost_breakdown_sums_to_monthly_cost_on_every_row(path: Path) -> None:
    inputs = stages.load_inputs(path)
    intensity = {r: g.g_per_kwh for r, g in stages.intensities(inputs).items()}
    frame = conf.evaluate(inputs.client, inputs.catalog, inputs.usage, intensity)
    ok = frame[frame["excluded_because"].fillna("").eq("")]
    assert len(ok) > 0
    parts = ok[list(COST_COLUMNS)].fillna(0.0).sum(axis=1)
    np.testing.assert_allclose(parts, ok["monthly_cost"], rtol=1e-9)
    own = ok[ok["hosting"] != "api"]
    # self-hosting carries its staff; on premise, whole servers
    assert (own["cost_staff"] > 0).all()
    prem = own[own["hosting"] == "on_premise"]
    if len(prem):
        per_server = prem["gpu"].map(lambda g: inputs.catalog.gpus[g].gpus_per_server)
        assert (prem["gpus_total"] == prem["servers"] * per_server).all()
        assert (prem["gpus_total"] >= prem["replicas"] * prem["gpus_per_replica"]).all()


# --------------------------------------------------------------------------------------------
# Inputs


def test_commitments_are_offered_only_within_the_horizon(tmp_path: Path) -> None:
    data = _retail()
    data["usage"]["horizon_months"] = 12
    data["options"]["cloud_commitment"] = ["on_demand", "1y", "3y"]
    ctx = _context(tmp_path, data)
    assert tco.offered_commitments(ctx) == ["on_demand", "1y"]
    warnings = params.tco_warnings(ctx.client, "client.yaml")
    assert warnings == [
        "client.yaml: options.cloud_commitment[2]: a 3y commitment (36 months) is longer than "
        "usage.horizon_months (12): not offered; raise the horizon or remove it"
    ]
    data["usage"]["horizon_months"] = 6
    assert tco.offered_commitments(_context(tmp_path, data, "six.yaml")) == ["on_demand"]


def test_a_quote_outside_the_options_is_a_warning(tmp_path: Path) -> None:
    data = _with(
        _retail(),
        quotes=[
            {"kind": "cloud_gpu_hour", "gpu": "MI300X", "region": "FRA", "price": 2.0},
            {"kind": "electricity", "region": "DEU", "price_per_kwh": 0.2},
        ],
    )
    ctx = _context(tmp_path, data)  # valid: loads and passes the catalog check
    warnings = params.tco_warnings(ctx.client, "client.yaml")
    assert any(
        w.startswith("client.yaml: quotes[0].gpu: MI300X is not in options.gpus") for w in warnings
    )
    assert any(
        w.startswith("client.yaml: quotes[1].region: DEU is not in constraints.regions")
        for w in warnings
    )


def test_staff_given_as_one_number_applies_to_self_hosting_only(tmp_path: Path) -> None:
    data = _with(_retail(), operations={"staff_fte": 2})
    ctx = _context(tmp_path, data)
    assert tco.staff_fte(ctx, "cloud", "value") == 2
    assert tco.staff_fte(ctx, "on_premise", "value") == 2
    assert tco.staff_fte(ctx, "api", "value") == pytest.approx(0.2)  # the catalog's share


def test_tco_data_lists_the_quotes_and_what_they_touch(tmp_path: Path) -> None:
    data = _with(
        _retail(),
        quotes=[{"kind": "cloud_gpu_hour", "gpu": "H100-SXM", "region": "FRA", "price": 2.4}],
    )
    path = tmp_path / "client.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    inputs = stages.load_inputs(path)
    intensity = {r: g.g_per_kwh for r, g in stages.intensities(inputs).items()}
    frame = conf.evaluate(
        inputs.client, inputs.catalog, inputs.usage, intensity, candidates=[CLOUD_H100, CLOUD_L40S]
    )
    got = tco_basis.tco_data(
        inputs.client,
        inputs.catalog,
        inputs.usage,
        frame,
        frame.iloc[0].to_dict(),
        warnings=inputs.tco_warnings,
    )
    assert got["quotes"] == [
        {
            "index": 0,
            "kind": "cloud_gpu_hour",
            "label": "cloud GPU-hour H100-SXM FRA on_demand",
            "names": "H100-SXM FRA on_demand",
            "value": 2.4,
            "unit": "EUR",
            "figures": ["cost_compute", "monthly_cost"],
            "configurations": 1,
            "note": "",
        }
    ]
    assert got["recommendation_quoted"] == ["cost_compute", "monthly_cost"]
    assert got["availability"] == {
        "sites": 1,
        "spare_replicas": 1,
        "staff_share_per_extra_site": 0.2,  # catalog
    }


def test_validate_warns_of_a_commitment_beyond_the_horizon_and_exits_0(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from llmdecide.cli import app

    data = _retail()
    data["usage"]["horizon_months"] = 12
    data["options"]["cloud_commitment"] = ["on_demand", "3y"]
    path = tmp_path / "client.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 0
    stderr = " ".join(result.stderr.split())
    assert "warning:" in stderr
    assert (
        "options.cloud_commitment[1]: a 3y commitment (36 months) is longer than "
        "usage.horizon_months (12): not offered" in stderr
    )


def test_run_prints_the_tco_warnings_validate_prints(tmp_path: Path) -> None:
    """Issue 13: ``llmdecide run`` printed the plausibility warnings but not the cost-of-
    ownership ones. A real CLI call of each; the run is stopped at its client lock (held here),
    after the inputs are validated and warned about and before any notebook runs."""
    import fcntl
    import os
    import subprocess
    import sys

    data = _retail()
    data["usage"]["horizon_months"] = 12
    data["options"]["cloud_commitment"] = ["on_demand", "3y"]
    (tmp_path / "client.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    expected = stages.load_inputs(tmp_path / "client.yaml", "client.yaml").tco_warnings
    assert any("a 3y commitment (36 months) is longer than" in w for w in expected)
    env = {**os.environ, "COLUMNS": "500"}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "llmdecide.cli", *args]
        return subprocess.run(
            command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
        )

    validated = cli("validate", "client.yaml")
    assert validated.returncode == 0, validated.stderr
    reports = tmp_path / "reports"
    reports.mkdir()
    with open(reports / ".client.lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        ran = cli("run", "client.yaml", "--reports-dir", "reports")
    assert "another run of client is in progress" in ran.stderr, ran.stderr
    assert "Traceback" not in ran.stderr
    printed_by_validate = " ".join(validated.stderr.split())
    printed_by_run = " ".join(ran.stderr.split())
    for warning in expected:
        line = "warning: " + " ".join(warning.split())
        assert line in printed_by_validate
        assert line in printed_by_run
    assert sorted(p.name for p in reports.iterdir()) == [".client.lock"]  # nothing published


def test_the_report_labels_client_quotes_and_quoted_parts() -> None:
    import json
    from html import unescape

    from llmdecide import report

    fixture = ROOT / "tests" / "fixtures" / "report_context.json"
    context = json.loads(fixture.read_text(encoding="utf-8"))
    context["client"].update(language="en", currency="EUR")
    choices = context["choices"]
    choices["cost_breakdown"] = {**choices["cost_breakdown"], "staff": 9000.0, "compute": 3000.0}
    choices["tco"] = {
        "staff": {
            h: {
                "fte": f,
                "cost_per_fte_month": 9000.0,
                "fte_source": "client",
                "cost_source": "client",
            }
            for h, f in (("api", 0.2), ("cloud", 1.0), ("on_premise", 1.5))
        },
        "availability": {"sites": 2, "spare_replicas": 1, "staff_share_per_extra_site": 0.2},
        "commitments": ["on_demand", "1y"],
        "quotes": [
            {
                "index": 0,
                "kind": "cloud_gpu_hour",
                "label": "cloud GPU-hour H100-SXM FRA on_demand",
                "names": "H100-SXM FRA on_demand",
                "value": 2.4,
                "unit": "EUR",
                "figures": ["cost_compute", "monthly_cost"],
                "configurations": 3,
                "note": "",
            }
        ],
        "recommendation_quoted": ["cost_compute", "monthly_cost"],
        "recommendation_commitment": "1y",
        "warnings": ["client.yaml: quotes[0].gpu: X is not in options.gpus"],
    }
    html = report.render_html(context)
    assert 'data-quote="client"' in html
    text = " ".join(unescape(html).split())
    assert "Client quote: cloud GPU-hour H100-SXM FRA on_demand: 2.40 EUR" in text
    assert "(client quote)" in text  # the quoted part of the breakdown
    assert "2 site(s), 1 spare replica(s)" in text
    # the second site's staff share and the API's region pair, in words
    assert "Each of the 1 site(s) beyond the first adds 20%" in text
    assert "region pair" in text and "the tokens do not double" in text
    assert "The recommendation's cloud price: 1-year commitment." in text
    assert "Warning: client.yaml: quotes[0].gpu" in text


def test_the_cost_chart_shows_the_staff() -> None:
    import json

    from llmdecide import charts

    chart = charts.cost_breakdown_chart(
        {"compute": 3000.0, "staff": 9000.0, "api": 0.0}, language="en", currency="EUR"
    )
    text = json.dumps(chart.to_dict())
    assert '"component": "Staff"' in text and '"component": "GPU compute"' in text
    assert '"component": "API calls"' not in text  # components at zero are left out
