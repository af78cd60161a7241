"""llmdecide.carbon against the real, pinned codecarbon: offline, no mocks.

The tracker runs are real (codecarbon's OfflineEmissionsTracker on this machine); the first one in
the process pays codecarbon's hardware detection (about a second), the others are fast.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from importlib.resources import files
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from llmdecide.carbon import emissions_log, grid, probe, tracking
from llmdecide.catalog.hardware import OnPremOffer
from llmdecide.errors import CarbonError, MeasurementError
from llmdecide.estimators import carbon
from llmdecide.params.evidence import Carbon

LIB = Path(__file__).resolve().parents[1] / "lib" / "llmdecide"
COUNTRIES = ["FRA", "USA", "DEU", "SWE", "IRL"]


def _busy(seconds: float) -> int:
    """Plain arithmetic for ``seconds``: the CPU task the tracker measures."""
    end, n = time.perf_counter() + seconds, 0
    while time.perf_counter() < end:
        n += sum(i * i for i in range(200))
    return n


@pytest.fixture(scope="module")
def tracked(tmp_path_factory: pytest.TempPathFactory) -> tracking.TrackerRun:
    """One real tracker run of 0.6 s of arithmetic, shared by the tests that read its output."""
    out = tmp_path_factory.mktemp("tracked")
    with tracking.track("FRA", out, "llmdecide-test") as run:
        _busy(0.6)
    return run


# ---------------------------------------------------------------------------------------------
# Grid intensity


@pytest.mark.parametrize("iso3", COUNTRIES)
def test_intensity_is_codecarbons_own_figure(iso3: str) -> None:
    from codecarbon.core.emissions import Emissions
    from codecarbon.core.units import Energy
    from codecarbon.external.geography import GeoMetadata
    from codecarbon.input import DataSource

    got = grid.grid_intensity_g_per_kwh(iso3)
    # what codecarbon's tracker computes for 1 kWh in that country (its private-infra path), in g
    theirs_g = 1000 * Emissions(DataSource()).get_private_infra_emissions(
        Energy.from_energy(kWh=1.0), GeoMetadata(country_iso_code=iso3)
    )
    # and the published figure in codecarbon's bundled data file, read here without codecarbon
    bundled = json.loads(
        files("codecarbon").joinpath(grid.COUNTRY_DATA_FILE).read_text(encoding="utf-8")
    )[iso3]
    assert got.g_per_kwh == pytest.approx(theirs_g, rel=1e-12)
    assert got.g_per_kwh == pytest.approx(bundled["carbon_intensity"], rel=1e-12)
    assert got.iso3 == iso3 and got.country_name == bundled["country_name"]
    assert got.year == bundled["year"]
    assert got.data_source == "codecarbon/data/private_infra/global_energy_mix.json"
    assert got.codecarbon_version == "3.3.2" and len(got.data_sha256) == 64


def test_every_country_is_codecarbons_own_figure() -> None:
    """grid reads codecarbon's energy mix itself (not through its full static-data load): for every
    country codecarbon knows, the result is its default engine's, to the last bit (codecarbon
    3.3.2 publishes a figure for every country: its weighted-mix path is not reached)."""
    from codecarbon.core.emissions import Emissions
    from codecarbon.core.units import Energy
    from codecarbon.external.geography import GeoMetadata
    from codecarbon.input import DataSource

    theirs = Emissions(DataSource())
    countries = grid.known_countries()
    assert len(countries) > 150
    for iso3 in countries:
        got = grid.grid_intensity_g_per_kwh(iso3)
        kg = theirs.get_private_infra_emissions(
            Energy.from_energy(kWh=1.0), GeoMetadata(country_iso_code=iso3)
        )
        assert got.g_per_kwh == 1000 * kg, iso3


def test_intensity_orders_countries_as_expected() -> None:
    g = {c: grid.grid_intensity_g_per_kwh(c).g_per_kwh for c in COUNTRIES}
    # nuclear/hydro grids are far cleaner than gas/coal ones
    assert g["SWE"] < g["FRA"] < 100 < g["IRL"] < g["USA"] < g["DEU"]


def test_cloud_region_intensity_is_codecarbons_row() -> None:
    got = grid.cloud_region_intensity("gcp", "europe-west9")
    from codecarbon.input import DataSource

    table = DataSource().get_cloud_emissions_data()
    row = table[(table["provider"] == "gcp") & (table["region"] == "europe-west9")]
    assert got.g_per_kwh == pytest.approx(float(row["impact"].item()))
    assert (got.iso3, got.location) == ("FRA", "Paris")
    assert got.origin.startswith("https://cloud.google.com/")


def test_unknown_country_says_which_and_suggests() -> None:
    with pytest.raises(CarbonError) as err:
        grid.grid_intensity_g_per_kwh("France")
    message = str(err.value)
    assert "'France'" in message and "Did you mean FRA (France)?" in message
    assert "ISO 3166-1 alpha-3" in message and err.value.exit_code == 2
    with pytest.raises(CarbonError, match=r"'DUE'.*Did you mean DEU\?"):
        grid.grid_intensity_g_per_kwh("DUE")


def test_unknown_cloud_region_and_provider() -> None:
    with pytest.raises(CarbonError, match=r"'europe-west99'.*Did you mean europe-west"):
        grid.cloud_region_intensity("gcp", "europe-west99")
    with pytest.raises(CarbonError, match=r"'aws'.*gcp only.*ISO-3"):
        grid.cloud_region_intensity("aws", "eu-west-3")


# ---------------------------------------------------------------------------------------------
# Tracker


def test_tracker_measures_a_short_cpu_task_offline(tracked: tracking.TrackerRun) -> None:
    run = tracked
    assert run.done and run.country_iso3 == "FRA" and run.country_name == "France"
    assert run.duration_s >= 0.6
    assert run.energy_kwh > 0 and run.cpu_power_w > 0
    assert run.energy_kwh == pytest.approx(
        run.cpu_energy_kwh + run.ram_energy_kwh + run.gpu_energy_kwh
    )
    # codecarbon applied France's bundled intensity, the one we report
    assert run.intensity_g_per_kwh == pytest.approx(grid.grid_intensity_g_per_kwh("FRA").g_per_kwh)
    assert run.cpu_method in {"intel_rapl", "cpu_load", "constant", "apple_powermetrics"}
    assert run.cpu_method_detail.startswith(("measured", "estimated"))
    assert run.tracking_mode == "process" and run.settings["country_iso_code"] == "FRA"

    rows = pd.read_csv(run.emissions_csv)
    assert len(rows) == 1
    row = rows.iloc[0]
    assert row["project_name"] == "llmdecide-test" and row["country_iso_code"] == "FRA"
    assert row["energy_consumed"] == pytest.approx(run.energy_kwh)
    assert row["emissions"] == pytest.approx(run.emissions_kg)
    assert row["on_cloud"] == "N" and row["pue"] == 1.0


HOSTILE = """[codecarbon]
country_iso_code = USA
region = california
project_name = hostile
output_dir = {elsewhere}
output_file = hostile.csv
on_csv_write = update
tracking_mode = machine
measure_power_secs = 100
pue = 3.0
force_carbon_intensity_g_co2e_kwh = 9999
force_cpu_power = 500
cloud_provider = gcp
cloud_region = us-central1
save_to_api = true
api_endpoint = http://127.0.0.1:9
emissions_endpoint = http://127.0.0.1:9/emissions
co2_signal_api_token = stolen
electricitymaps_api_token = stolen
allow_multiple_runs = false
"""


def test_stray_codecarbon_config_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere, cwd, home, out = (tmp_path / d for d in ("elsewhere", "cwd", "home", "out"))
    for d in (elsewhere, cwd, home):
        d.mkdir()
    for d in (cwd, home):
        (d / ".codecarbon.config").write_text(HOSTILE.format(elsewhere=elsewhere))
    monkeypatch.chdir(cwd)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("CODECARBON_COUNTRY_ISO_CODE", "DEU")
    monkeypatch.setenv("CODECARBON_OUTPUT_DIR", str(elsewhere))
    from codecarbon.core.config import get_hierarchical_config

    # codecarbon itself would obey these sources...
    assert get_hierarchical_config()["country_iso_code"] == "DEU"
    assert get_hierarchical_config()["project_name"] == "hostile"

    # ...our tracker does not
    with tracking.track("FRA", out, "ours") as run:
        _busy(0.05)
    assert run.country_iso3 == "FRA" and run.tracking_mode == "process"
    assert run.intensity_g_per_kwh == pytest.approx(grid.grid_intensity_g_per_kwh("FRA").g_per_kwh)
    assert list(elsewhere.iterdir()) == [] and not (cwd / "emissions.csv").exists()
    row = pd.read_csv(out / "emissions.csv").iloc[0]
    assert (row["country_iso_code"], row["project_name"], row["pue"]) == ("FRA", "ours", 1.0)
    assert row["tracking_mode"] == "process" and row["on_cloud"] == "N"
    assert pd.isna(row["region"])
    # what codecarbon itself resolved: none of the hostile keys got through
    conf = run.codecarbon_conf
    assert conf["co2_signal_api_token"] is None and conf["electricitymaps_api_token"] is None
    assert conf["emissions_endpoint"] is None and conf["save_to_api"] is False
    assert (conf["country_iso_code"], conf["measure_power_secs"]) == ("FRA", 1.0)


def test_tracker_rejects_unknown_country_before_measuring(tmp_path: Path) -> None:
    with pytest.raises(CarbonError, match="'FRX'"), tracking.track("FRX", tmp_path, "x"):
        pass
    assert not (tmp_path / "emissions.csv").exists()


def test_tracker_still_writes_its_row_when_the_block_fails(tmp_path: Path) -> None:
    with pytest.raises(ZeroDivisionError), tracking.track("SWE", tmp_path, "failing") as run:
        _ = 1 / 0
    assert run.done and (tmp_path / "emissions.csv").exists()


# ---------------------------------------------------------------------------------------------
# Emissions logs


def test_reads_a_real_codecarbon_log(tracked: tracking.TrackerRun) -> None:
    summary = emissions_log.read_emissions_logs(
        [tracked.emissions_csv], "p.yaml", "measurements.emissions_log", hours_per_month=730
    )
    assert summary.runs == 1 and summary.bad_rows == 0 and summary.duplicate_rows == 0
    assert summary.total_kwh == pytest.approx(tracked.energy_kwh)
    assert summary.total_kgco2e == pytest.approx(tracked.emissions_kg)
    assert summary.countries == ["FRA"] and summary.codecarbon_versions == ["3.3.2"]
    assert summary.per_project["project_name"].tolist() == ["llmdecide-test"]
    assert summary.days_covered in (1, 2)  # 2 only if the run straddled midnight
    # one day of data projected to a month of 730 h = 30.42 days
    assert summary.kwh_per_month == pytest.approx(
        tracked.energy_kwh / summary.days_covered * 730 / 24
    )
    assert json.dumps(summary.as_dict(), default=str)


V2_LOG = """timestamp,project_name,run_id,duration,emissions,emissions_rate,cpu_power,gpu_power,ram_power,cpu_energy,gpu_energy,ram_energy,energy_consumed,country_name,country_iso_code,region,cloud_provider,cloud_region,os,python_version,codecarbon_version,cpu_count,cpu_model,gpu_count,gpu_model,longitude,latitude,ram_total_size,tracking_mode,on_cloud
2024-05-01T10:00:00,pilot,r1,3600,0.010,0,0,0,0,0,0,0,0.20,France,FRA,,,,Linux,3.10,2.3.4,8,x,0,,,,16,machine,N
2024-05-01T09:30:00,pilot,r1,1800,0.005,0,0,0,0,0,0,0,0.10,France,FRA,,,,Linux,3.10,2.3.4,8,x,0,,,,16,machine,N
2024-05-01T18:00:00,batch,r2,600,0.005,0,0,0,0,0,0,0,0.10,France,FRA,,,,Linux,3.10,2.3.4,8,x,0,,,,16,machine,N
2024-05-03T09:00:00,pilot,r3,7200,0.015,0,0,0,0,0,0,0,0.30,France,FRA,,,,Linux,3.10,2.3.4,8,x,0,,,,16,machine,N
not-a-date,pilot,r4,60,0.001,0,0,0,0,0,0,0,0.01,France,FRA,,,,Linux,3.10,2.3.4,8,x,0,,,,16,machine,N
"""

V1_LOG = """timestamp,project_name,duration,emissions,energy_consumed
2024-05-02T12:00:00,old,100,0.002,0.04
"""


def test_sums_per_project_and_day_and_projects_a_month(tmp_path: Path) -> None:
    (tmp_path / "v2.csv").write_text(V2_LOG)
    (tmp_path / "v1.csv").write_text(V1_LOG)
    summary = emissions_log.read_emissions_logs(
        [tmp_path / "v2.csv", tmp_path / "v1.csv"], "p.yaml", "m", hours_per_month=730
    )
    # r1 was written twice (a flush at 09:30, its total at 10:00): only the total counts;
    # the not-a-date row is skipped and counted
    assert (summary.runs, summary.duplicate_rows, summary.bad_rows) == (4, 1, 1)
    assert any("line(s) 6" in n for n in summary.notes)
    # 0.20 + 0.10 + 0.30 + 0.04 = 0.64 kWh; 0.010 + 0.005 + 0.015 + 0.002 = 0.032 kg
    assert summary.total_kwh == pytest.approx(0.64)
    assert summary.total_kgco2e == pytest.approx(0.032)
    assert summary.per_day.set_index("day")["energy_kwh"].to_dict() == pytest.approx(
        {"2024-05-01": 0.30, "2024-05-02": 0.04, "2024-05-03": 0.30}
    )
    assert summary.per_project.set_index("project_name")["kgco2e"].to_dict() == pytest.approx(
        {"batch": 0.005, "old": 0.002, "pilot": 0.025}
    )
    # May 1 (r1 started at 09:00) to May 3: 3 days; 0.64 / 3 kWh a day × 730/24 days a month
    assert (summary.days_covered, summary.days_with_data) == (3, 3)
    assert summary.kwh_per_month == pytest.approx(0.64 / 3 * 730 / 24)
    assert summary.kgco2e_per_month == pytest.approx(0.032 / 3 * 730 / 24)
    assert summary.g_per_kwh == pytest.approx(50.0)


def test_broken_logs_raise_one_problem_per_file(tmp_path: Path) -> None:
    (tmp_path / "usage.csv").write_text("timestamp,input_tokens,output_tokens\n2024-05-01,10,20\n")
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "binary.csv").write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff\xfe" * 50)
    (tmp_path / "header.csv").write_text("timestamp,duration,emissions,energy_consumed\n")
    names = ["usage.csv", "empty.csv", "binary.csv", "header.csv", "missing.csv"]
    with pytest.raises(MeasurementError) as err:
        emissions_log.read_emissions_logs(
            [tmp_path / n for n in names], "params/clients/acme.yaml", "m.log", hours_per_month=730
        )
    problems = err.value.problems
    assert [p.key_path for p in problems] == [f"m.log[{i}]" for i in range(5)]
    assert all(p.file == "params/clients/acme.yaml" for p in problems)
    assert "missing column(s) duration, emissions, energy_consumed" in problems[0].expected
    assert "is empty" in problems[1].expected
    assert "codecarbon" in problems[2].expected
    assert "no rows" in problems[3].expected
    assert "file not found" in problems[4].expected
    assert err.value.exit_code == 2
    assert str(err.value).startswith("params/clients/acme.yaml: m.log[0]: ")


# ---------------------------------------------------------------------------------------------
# Operational and embodied carbon


def test_operational_and_embodied_by_hand() -> None:
    # the vectorised formulas the evaluation calls (evaluation/hosting/cloud.py, on_premise.py)
    # 1 000 kWh a month on a 400 g/kWh grid, 30 % of it under a 20 g/kWh contract:
    # 0.7 × 1000 × 400 = 280 000 g, plus 0.3 × 1000 × 20 = 6 000 g  →  286 kg (market-based)
    assert carbon.operational_kgco2e(1000, 400, 0.3, 20) == pytest.approx(286.0)
    # no contract intensity given: the contracted share counts as 0 g/kWh → 280 kg
    assert carbon.operational_kgco2e(1000, 400, 0.3) == pytest.approx(280.0)
    # location-based (no contract): 1000 × 400 g = 400 kg
    assert carbon.operational_kgco2e(1000, 400) == pytest.approx(400.0)
    # 8 GPUs of 150 kgCO2e each over 5 years: 1 200 kg / 60 months = 20 kg a month
    assert carbon.embodied_kgco2e_per_month(150, 8, 5) == pytest.approx(20.0)
    # together: 286 + 20 = 306 kgCO2e a month
    total = carbon.operational_kgco2e(1000, 400, 0.3, 20) + carbon.embodied_kgco2e_per_month(
        150, 8, 5
    )
    assert total == pytest.approx(306.0)


def test_the_carbon_formulas_take_one_row_per_element() -> None:
    # the same figures as above, three rows at once (grid intensity per row's region):
    # 1000 kWh × 400 g, 30 % at 20 g → 286 kg; 500 kWh × 50 g → 25 kg; 0 kWh → 0 kg
    operational = carbon.operational_kgco2e(
        np.array([1000.0, 500.0, 0.0]), np.array([400.0, 50.0, 700.0]), 0.3, 20
    )
    # with s = 0.3 on every row: 0.7 × 500 × 50 + 0.3 × 500 × 20 = 17 500 + 3 000 g = 20.5 kg
    np.testing.assert_allclose(operational, [286.0, 20.5, 0.0])
    # 150 kg × 8 GPUs / 60 months = 20; 150 × 4 / (4 × 12) = 12.5; 0 GPUs → 0
    embodied = carbon.embodied_kgco2e_per_month(150.0, np.array([8, 4, 0]), np.array([5, 4, 5]))
    np.testing.assert_allclose(embodied, [20.0, 12.5, 0.0])


def test_carbon_inputs_out_of_range_are_refused_where_they_enter() -> None:
    # the formulas do not check their inputs: the params file and the catalog do
    with pytest.raises(ValidationError, match="renewable_share"):
        Carbon.model_validate({"renewable_share": 1.5})
    with pytest.raises(ValidationError, match="contract_intensity_g_per_kwh"):
        Carbon.model_validate({"contract_intensity_g_per_kwh": -1})
    with pytest.raises(ValidationError, match="life_years"):
        OnPremOffer.model_validate(
            {
                "server_price_usd_per_gpu": 1,
                "server_power_w_per_gpu": 0,
                "life_years": 0,
                "operations_usd_per_gpu_month": 0,
                "source": "test",
                "retrieved": "2026-12-02",
            }
        )


# ---------------------------------------------------------------------------------------------
# Probe


def test_probe_gives_energy_per_request(tmp_path: Path) -> None:
    code = "import time\nend = time.time() + 0.3\nwhile time.time() < end: pass\nprint('done')"
    result = probe.run_probe([sys.executable, "-c", code], 30, "IRL", tmp_path, requests=10)
    assert result.exit_code == 0 and result.duration_s >= 0.3
    assert result.energy_kwh > 0 and result.measurement.tracking_mode == "machine"
    assert result.kwh_per_request == pytest.approx(result.energy_kwh / 10)
    assert result.wh_per_request == pytest.approx(result.energy_kwh * 1000 / 10)
    assert result.gco2e_per_request == pytest.approx(result.emissions_kgco2e * 1000 / 10)
    assert result.emissions_kgco2e == pytest.approx(
        result.energy_kwh * grid.grid_intensity_g_per_kwh("IRL").g_per_kwh / 1000
    )
    assert Path(result.stdout_path).read_text().strip() == "done"
    row = pd.read_csv(tmp_path / "emissions.csv").iloc[-1]
    assert (row["project_name"], row["country_iso_code"]) == ("llmdecide-probe", "IRL")


def test_probe_that_times_out_is_killed_and_reported(tmp_path: Path) -> None:
    started = time.perf_counter()
    with pytest.raises(MeasurementError) as err:
        probe.run_probe(
            [sys.executable, "-c", "import time; time.sleep(60)"], 0.5, "FRA", tmp_path, None
        )
    assert time.perf_counter() - started < 10
    assert "did not finish within 0.5 s" in str(err.value)
    assert "carbon.probe.timeout_s" in str(err.value)


def test_probe_failures_say_how_to_fix(tmp_path: Path) -> None:
    fail = "import sys; sys.stderr.write('endpoint refused'); sys.exit(3)"
    with pytest.raises(MeasurementError, match=r"exit status 3(.|\n)*endpoint refused"):
        probe.run_probe([sys.executable, "-c", fail], 30, "FRA", tmp_path, 5)
    with pytest.raises(MeasurementError, match=r"command not found.*PATH"):
        probe.run_probe(["llmdecide-no-such-program", "--x"], 30, "FRA", tmp_path, 5)
    with pytest.raises(MeasurementError, match="shell: true applies to a command given as one"):
        probe.run_probe(["echo", "x"], 30, "FRA", tmp_path, 5, shell=True)


def test_probe_string_runs_without_shell_unless_asked(tmp_path: Path) -> None:
    plain = probe.run_probe("echo 'a b' | tr", 30, "FRA", tmp_path / "plain", None)
    # no shell: the pipe is a plain argument of echo
    assert Path(plain.stdout_path).read_text().strip() == "a b | tr"
    piped = probe.run_probe("echo hi | tr a-z A-Z", 30, "FRA", tmp_path / "sh", None, shell=True)
    assert Path(piped.stdout_path).read_text().strip() == "HI"


# ---------------------------------------------------------------------------------------------
# The boundary


def test_codecarbon_is_imported_only_by_carbon_and_lazily() -> None:
    offenders = [
        p.name
        for p in LIB.rglob("*.py")
        if p.relative_to(LIB).parts[0] != "carbon"
        and "codecarbon" in p.read_text().replace("# codecarbon", "")
        and ("import codecarbon" in p.read_text() or "from codecarbon" in p.read_text())
    ]
    assert offenders == []
    modules = "llmdecide.carbon.grid, llmdecide.carbon.tracking, llmdecide.carbon.emissions_log"
    check = f"import sys, {modules}, llmdecide.carbon.probe; print('codecarbon' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_cpu_model_comes_from_proc_cpuinfo_as_py_cpuinfo_reports_it() -> None:
    """The fast lookup (no py-cpuinfo subprocess) gives py-cpuinfo's own answer on Linux."""
    import cpuinfo

    # the environment is read here, not from the function under test: a reader broken into
    # returning None on a machine whose /proc/cpuinfo has a model name must fail, not skip
    proc = Path("/proc/cpuinfo")
    text = proc.read_text(encoding="utf-8", errors="replace") if proc.is_file() else ""
    if not any(line.startswith("model name") and ":" in line for line in text.splitlines()):
        pytest.skip("environment: no /proc/cpuinfo model name on this machine (not Linux?)")
    fast = tracking._proc_cpu_model()
    assert fast is not None, "/proc/cpuinfo has a model name but the fast lookup found none"
    assert fast == cpuinfo.get_cpu_info().get("brand_raw")
