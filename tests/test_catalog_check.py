"""``llmdecide catalog list|show|check`` and the data-layer checks behind them
(llmdecide.catalog.check): staleness, unresolved API ids, inconsistent figures, provenance."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from llmdecide import catalog
from llmdecide.catalog import check as catalog_check
from llmdecide.cli import app

CATALOG = catalog.DEFAULT_FOLDER
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def runner() -> CliRunner:
    try:
        return CliRunner(mix_stderr=False)  # type: ignore[call-arg]  # click < 8.2
    except TypeError:
        return CliRunner()


def invoke(*args: str) -> Any:
    result = runner().invoke(app, list(args), env={"COLUMNS": "300", "NO_COLOR": "1"})
    return result, ANSI.sub("", result.stdout), ANSI.sub("", result.stderr)


def copy_catalog(tmp_path: Path) -> Path:
    folder = tmp_path / "catalog"
    shutil.copytree(CATALOG, folder)
    return folder


def edit(folder: Path, name: str, change: Any) -> None:
    path = folder / name
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


def fresh(folder: Path, on: str = "2026-12-01") -> None:
    """Every record of the copy retrieved on ``on`` (so only the planted problem remains)."""
    for path in folder.glob("*.yaml"):
        text = re.sub(r"retrieved: \d{4}-\d{2}-\d{2}", f"retrieved: {on}", path.read_text())
        path.write_text(text, encoding="utf-8")


# --------------------------------------------------------------------------------------------
# Dates


def test_add_months_clamps_to_the_end_of_the_month() -> None:
    assert catalog_check.add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert catalog_check.add_months(date(2025, 11, 30), 12) == date(2026, 11, 30)
    assert catalog_check.add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)
    assert catalog_check.add_months(date(2025, 12, 15), 1) == date(2026, 1, 15)


def test_staleness_starts_the_day_after_the_period() -> None:
    # read 2025-11-30, 12 months: fresh up to 2026-11-30 included, stale from 2026-12-01
    assert not catalog_check.is_stale(date(2025, 11, 30), date(2026, 11, 30), 12)
    assert catalog_check.is_stale(date(2025, 11, 30), date(2026, 12, 1), 12)
    assert not catalog_check.is_stale(date(2026, 11, 25), date(2026, 12, 1), 12)


def test_stale_flags_for_the_sources_appendix() -> None:
    rows = [
        {"kind": "gpus", "name": "L4", "retrieved": "2025-06-30"},
        {"kind": "gpus", "name": "L40S", "retrieved": "2026-11-25"},
    ]
    flagged = catalog_check.stale_flags(rows, date(2026, 12, 1), 12)
    assert [r["stale"] for r in flagged] == [True, False]


def test_sources_appendix_marks_stale_records_at_the_run_date() -> None:
    from llmdecide import assemble

    cat = catalog.load()
    rows = assemble.sources_appendix(cat, date(2026, 12, 1))
    assert len(rows) == len(cat.records())
    by_name = {(r["kind"], r["name"]): r for r in rows}
    for kind, name, rec in cat.records():
        expected = catalog_check.is_stale(rec.retrieved, date(2026, 12, 1), 12)
        assert by_name[(kind, name)]["stale"] is expected
        assert by_name[(kind, name)]["stale_after_months"] == 12
    # on the day the newest record was read, that record is fresh
    newest = max(rec.retrieved for _, _, rec in cat.records())
    on_that_day = assemble.sources_appendix(cat, newest)
    assert not any(r["stale"] for r in on_that_day if r["retrieved"] == newest.isoformat())


# --------------------------------------------------------------------------------------------
# Inconsistent figures


def _gpu(**overrides: Any) -> catalog.Gpu:
    base = catalog.load().gpu("H100-SXM").model_dump()
    return catalog.Gpu.model_validate({**base, **overrides})


def test_dense_figures_of_the_catalog_gpus_pass() -> None:
    cat = catalog.load()
    for name, gpu in cat.gpus.items():
        assert list(catalog_check.gpu_findings(name, gpu, "gpus.yaml")) == [], name


def test_a_sparse_fp8_figure_is_flagged() -> None:
    # H100 SXM: bf16 989.5 dense; the data sheet's FP8 3,958 is the sparse figure:
    # 3958 / 989.5 = 4.0 = 2 × the dense ratio 2 → flagged, dense would be 1979
    (finding,) = catalog_check.gpu_findings("H100-SXM", _gpu(fp8_tflops=3958), "gpus.yaml")
    assert finding.kind == "inconsistent"
    assert finding.key_path == "gpus.H100-SXM.fp8_tflops"
    assert "sparsity" in finding.message and "1979" in finding.message


def test_fp8_below_bf16_is_flagged() -> None:
    # the loader already refuses such a record; the check still reads an unvalidated one
    base = catalog.load().gpu("H100-SXM").model_dump()
    record = catalog.Gpu.model_construct(**{**base, "fp8_tflops": 500})
    (finding,) = catalog_check.gpu_findings("H100-SXM", record, "gpus.yaml")
    assert "below bf16_tflops 989.5" in finding.message
    with pytest.raises(ValueError, match="bf16"):
        _gpu(fp8_tflops=500)


def test_commitment_price_above_on_demand_is_flagged() -> None:
    # a plain record with the commitment columns of the catalog schema
    offer = SimpleNamespace(
        price_per_gpu_hour_usd=2.0, price_per_gpu_hour_usd_1y=2.5, price_per_gpu_hour_usd_3y=2.6
    )
    findings = list(catalog_check.offer_findings(3, offer, "cloud_offers.yaml"))
    assert [f.key_path for f in findings] == [
        "cloud_offers[3].price_per_gpu_hour_usd_1y",
        "cloud_offers[3].price_per_gpu_hour_usd_3y",
        "cloud_offers[3].price_per_gpu_hour_usd_3y",  # also above the 1-year price
    ]
    sound = SimpleNamespace(
        price_per_gpu_hour_usd=2.0, price_per_gpu_hour_usd_1y=1.6, price_per_gpu_hour_usd_3y=1.2
    )
    assert list(catalog_check.offer_findings(0, sound, "cloud_offers.yaml")) == []


# --------------------------------------------------------------------------------------------
# What the pinned libraries say


def test_libraries_view_of_gpt_4o() -> None:
    cat = catalog.load()
    view = catalog_check.libraries_view(cat, cat.api_model("gpt-4o"))
    prices = view["genai_prices"]
    # genai-prices 0.2.3: gpt-4o $2.50 in, $10 out, $1.25 cache read per Mtok
    assert (prices["input_usd_per_mtok"], prices["output_usd_per_mtok"]) == (2.5, 10.0)
    assert prices["cache_read_usd_per_mtok"] == 1.25
    eco = view["ecologits"]
    # EcoLogits 0.11.3: gpt-4o MoE 440B, 44-132B active, ttft 0.61 s, 74 tokens/s
    assert eco["architecture"] == "moe" and eco["parameters_b"] == 440.0
    assert (eco["ttft_s"], eco["output_tokens_per_s"]) == (0.61, 74.0)


def test_every_catalog_api_id_resolves_in_both_libraries() -> None:
    cat = catalog.load()
    findings = [f for f in catalog_check.check(cat, date(2026, 12, 1)) if f.kind == "unresolved"]
    assert findings == []


# --------------------------------------------------------------------------------------------
# The CLI, run for real


def test_catalog_list_shows_every_kind_with_dates() -> None:
    result, stdout, _ = invoke("catalog", "list", "--on", "2026-12-01")
    assert result.exit_code == 0, stdout
    cat = catalog.load()
    for kind in ("gpus", "open_models", "api_models", "cloud_offers", "method"):
        assert kind in stdout
    for name in list(cat.gpus)[:3]:
        assert name in stdout
    assert f"{len(cat.records())} records" in stdout
    assert "2026-11-25" in stdout


def test_catalog_list_of_one_kind_and_an_unknown_kind() -> None:
    result, stdout, _ = invoke("catalog", "list", "--kind", "gpus")
    assert result.exit_code == 0
    assert "api_models (" not in stdout and "gpus (" in stdout
    result, _, stderr = invoke("catalog", "list", "--kind", "gpu")
    assert result.exit_code == 2
    assert "'gpu' is not a record kind. Did you mean gpus?" in stderr


def test_catalog_show_an_api_model_with_what_the_libraries_say() -> None:
    result, stdout, _ = invoke("catalog", "show", "gpt-4o")
    assert result.exit_code == 0, stdout
    assert "api_models: gpt-4o" in stdout
    assert "https://openai.com/index/hello-gpt-4o/" in stdout  # its source
    assert "genai_prices (pinned) says" in stdout and "ecologits (pinned) says" in stdout
    assert re.search(r"input_usd_per_mtok\s*│\s*2\.5\b", stdout)
    assert re.search(r"ttft_s\s*│\s*0\.61\b", stdout)


def test_catalog_show_a_gpu_shows_its_record_on_premise_and_offers() -> None:
    result, stdout, _ = invoke("catalog", "show", "H100-SXM")
    assert result.exit_code == 0
    assert "gpus: H100-SXM" in stdout and "on_premise: H100-SXM" in stdout
    assert re.search(r"bf16_tflops\s*│\s*989\.5", stdout)
    assert "cloud offers of H100-SXM" in stdout


def test_offer_names_tell_regions_apart_and_show_finds_every_region() -> None:
    # one record per price and region set: the regions are part of the name, so the sources
    # appendix never folds a European record into its US namesake (gcp g2-standard-4 is both)
    cat = catalog.load()
    names = [name for kind, name, _ in cat.records() if kind == "cloud_offers"]
    assert len(names) == len(set(names))
    found = sorted(name for _, name, _ in catalog_check.find(cat, "aws p5.48xlarge"))
    assert found == ["aws p5.48xlarge (GBR)", "aws p5.48xlarge (SWE)", "aws p5.48xlarge (USA)"]
    assert [n for _, n, _ in catalog_check.find(cat, "aws p5.48xlarge (SWE)")] == [
        "aws p5.48xlarge (SWE)"
    ]


def test_catalog_show_an_unknown_name_suggests_one() -> None:
    result, _, stderr = invoke("catalog", "show", "gtp-4o")
    assert result.exit_code == 2
    assert "gtp-4o: no record of that name in the catalog. Did you mean gpt-4o?" in stderr


def test_catalog_check_clean_copy_exits_0(tmp_path: Path) -> None:
    folder = copy_catalog(tmp_path)
    fresh(folder)
    result, stdout, _ = invoke("catalog", "check", "--catalog", str(folder), "--on", "2026-12-01")
    assert result.exit_code == 0, stdout
    assert "none stale, unresolved or inconsistent" in stdout


def test_catalog_check_finds_stale_unresolved_and_sparse_and_exits_1(tmp_path: Path) -> None:
    folder = copy_catalog(tmp_path)
    fresh(folder)

    def sparse(data: dict) -> None:
        data["gpus"]["H100-SXM"]["fp8_tflops"] = 3958  # the data sheet's sparse figure

    def unknown_id(data: dict) -> None:
        data["api_models"]["gpt-4o"]["genai_prices_id"] = "gpt-4o-nonexistent"

    def old(data: dict) -> None:
        data["gpus"]["L4"]["retrieved"] = date(2025, 6, 30)

    edit(folder, "gpus.yaml", sparse)
    edit(folder, "gpus.yaml", old)
    edit(folder, "api_models.yaml", unknown_id)
    result, stdout, _ = invoke("catalog", "check", "--catalog", str(folder), "--on", "2026-12-01")
    assert result.exit_code == 1, stdout
    assert "stale: " in stdout and "gpus.L4.retrieved: retrieved 2025-06-30" in stdout
    assert "inconsistent: " in stdout and "gpus.H100-SXM.fp8_tflops" in stdout
    assert "unresolved: " in stdout and "api_models.gpt-4o.genai_prices_id" in stdout
    assert "genai-prices does not know openai/gpt-4o-nonexistent" in stdout
    assert "3 problem(s)" in stdout and "1 stale, 1 unresolved, 1 inconsistent" in stdout


def test_catalog_check_real_process_exit_status(tmp_path: Path) -> None:
    folder = copy_catalog(tmp_path)
    fresh(folder, "2026-01-01")
    script = Path(sys.executable).with_name("llmdecide")
    command = [str(script)] if script.is_file() else [sys.executable, "-m", "llmdecide.cli"]
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "300"}
    run = [*command, "catalog", "check", "--catalog", str(folder)]
    ok = subprocess.run([*run, "--on", "2026-12-01"], env=env, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    # 2027-01-02 is more than 12 months after 2026-01-01: every record is stale
    late = subprocess.run([*run, "--on", "2027-01-02"], env=env, capture_output=True, text=True)
    assert late.returncode == 1
    assert "stale" in late.stdout and "Traceback" not in late.stderr


def test_catalog_check_bad_date_is_an_input_error() -> None:
    result, _, stderr = invoke("catalog", "check", "--on", "01/12/2026")
    assert result.exit_code == 2
    assert "expected a date YYYY-MM-DD" in stderr


@pytest.mark.parametrize("command", [["catalog", "check"], ["catalog", "list"]])
def test_a_record_without_source_exits_2_naming_file_and_key(
    tmp_path: Path, command: list[str]
) -> None:
    folder = copy_catalog(tmp_path)

    def no_source(data: dict) -> None:
        del data["gpus"]["L4"]["source"]

    edit(folder, "gpus.yaml", no_source)
    result, _, stderr = invoke(*command, "--catalog", str(folder))
    assert result.exit_code == 2
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: ") and "gpus.yaml: gpus.L4.source: " in lines[0]
    assert "add source: <URL or document reference>" in lines[0]
