"""The catalog contract (SPEC §3): every record sourced, names the params files use, ids that the
pinned genai-prices and EcoLogits packages resolve, clear errors on bad data."""

from __future__ import annotations

import shutil
import time
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from llmdecide import catalog
from llmdecide.errors import CatalogError

ROOT = Path(__file__).resolve().parents[1]
FOLDER = ROOT / "params" / "catalog"


def _raw() -> dict[str, tuple[str, Any]]:
    kinds: dict[str, tuple[str, Any]] = {}
    for path in sorted(FOLDER.glob("*.yaml")):
        for kind, body in (yaml.safe_load(path.read_text("utf-8")) or {}).items():
            kinds[kind] = (path.name, body)
    return kinds


def _raw_records() -> list[tuple[str, str, Any]]:
    out = []
    for kind, (file, body) in _raw().items():
        if isinstance(body, list):
            out.extend((file, f"{kind}[{i}]", rec) for i, rec in enumerate(body))
        elif kind == "method":
            out.append((file, kind, body))
        else:
            out.extend((file, f"{kind}.{name}", rec) for name, rec in body.items())
    return out


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "catalog"
    shutil.copytree(FOLDER, target)
    return target


def _edit(folder: Path, file: str, change: Any) -> None:
    path = folder / file
    data = yaml.safe_load(path.read_text("utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), "utf-8")


def _problems(folder: Path) -> dict[str, str]:
    with pytest.raises(CatalogError) as caught:
        catalog.load(folder)
    assert caught.value.exit_code == 2
    return {p.key_path: str(p) for p in caught.value.problems}


# ------------------------------------------------------------------------------------------------
# Sources


def test_every_raw_record_has_a_source_and_a_retrieved_date() -> None:
    records = _raw_records()
    assert len(records) > 50
    missing = []
    for file, where, rec in records:
        source = rec.get("source") if isinstance(rec, dict) else None
        retrieved = rec.get("retrieved") if isinstance(rec, dict) else None
        if not (isinstance(source, str) and source.strip()):
            missing.append(f"{file}: {where}: source")
        if not isinstance(retrieved, date):
            missing.append(f"{file}: {where}: retrieved (ISO date)")
    assert missing == []


def test_a_record_without_source_is_rejected(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    _edit(folder, "gpus.yaml", lambda d: d["gpus"]["L4"].pop("source"))
    problems = _problems(folder)
    assert "gpus.L4.source" in problems
    assert "required" in problems["gpus.L4.source"]


# ------------------------------------------------------------------------------------------------
# The real catalog


def test_loads_fast_and_is_cached() -> None:
    catalog.clear_cache()
    start = time.perf_counter()
    cat = catalog.load()
    assert time.perf_counter() - start < 0.5  # ~20 ms on a laptop; generous for CI
    assert catalog.load() is cat
    assert catalog.load(FOLDER) is cat
    assert len(cat.sha256) == 64


def test_env_var_overrides_the_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _copy(tmp_path)
    _edit(folder, "gpus.yaml", lambda d: d["gpus"]["L4"].update(memory_gb=25))
    monkeypatch.setenv("LLMDECIDE_CATALOG", str(folder))
    assert catalog.load().gpu("L4").memory_gb == 25
    assert catalog.load().sha256 != catalog.load(FOLDER).sha256


def test_required_names_exist() -> None:
    cat = catalog.load()
    assert {"H100-SXM", "H100-PCIe", "A100-80GB", "L40S", "L4"} <= set(cat.gpus)
    assert {"llama-3.1-8b", "mistral-7b", "mistral-small", "llama-3.1-70b", "mixtral-8x7b"} <= set(
        cat.open_models
    )
    assert {"gpt-4o", "gpt-4o-mini", "mistral-large"} <= set(cat.api_models)
    assert {"FRA", "IRL", "USA", "DEU", "GBR", "SWE", "NLD", "ESP", "CAN"} <= set(cat.regions)
    assert set(cat.quantisations) >= {"fp16", "fp8", "int8", "int4"}
    assert set(cat.precision_deltas) >= {"int8", "int4", "fp8", "rag", "user_uploads"}
    assert set(cat.on_premise) == set(cat.gpus)
    for gpu in cat.gpus:
        assert any(o.gpu == gpu for o in cat.cloud_offers), gpu


def test_hand_checked_values() -> None:
    cat = catalog.load()
    llama = cat.open_model("llama-3.1-8b")
    assert (llama.layers, llama.kv_heads, llama.head_dim) == (32, 8, 128)
    assert llama.kv_bytes_per_token_fp16 == 2 * 32 * 8 * 128 * 2  # 128 KiB per token
    mixtral = cat.open_model("mixtral-8x7b")
    assert mixtral.active_params_b < mixtral.params_b
    assert (mixtral.params_b, mixtral.active_params_b) == (46.7, 12.9)
    h100 = cat.gpu("H100-SXM")
    assert (h100.memory_gb, h100.bandwidth_gb_s, h100.tdp_w) == (80, 3350, 700)
    assert h100.bf16_tflops == pytest.approx(989.5)  # dense, not the 1,979 sparsity figure
    assert cat.gpu("A100-80GB").fp8_tflops is None
    assert cat.gpu("L4").bf16_tflops == 121
    assert cat.quantisation("int4").compute == "bf16"
    assert cat.assumption("hours_per_month").value.value == 730
    assert cat.assumption("kv_memory_headroom").value.value == pytest.approx(0.1)
    assert cat.usd_per("USD") == 1.0 and cat.usd_per("eur") > 1.0
    assert cat.method["peak_window_s"] == 60
    assert cat.method["winner_map_steps"] == 20
    assert cat.pue("FRA") == cat.assumption("pue_default").value.value == 1.56


def test_offers_for_filters_by_gpu_and_region() -> None:
    cat = catalog.load()
    fra = cat.offers_for("L40S", "FRA")
    assert fra and all(o.gpu == "L40S" and (not o.regions or "FRA" in o.regions) for o in fra)
    prices = [o.price_per_gpu_hour_usd for o in cat.offers_for("H100-SXM", "USA")]
    assert prices == sorted(prices) and len(prices) >= 2
    assert cat.offers_for("L4", "XXX") == [
        o for o in cat.cloud_offers if o.gpu == "L4" and not o.regions
    ]


def test_records_cover_every_kind() -> None:
    cat = catalog.load()
    records = cat.records()
    kinds = {kind for kind, _, _ in records}
    assert kinds == set(catalog.KINDS)
    assert all(rec.source and isinstance(rec.retrieved, date) for _, _, rec in records)
    assert ("gpus", "L4", cat.gpu("L4")) in records


def test_api_ids_are_filled() -> None:
    cat = catalog.load()
    assert cat.api_model("gpt-4o").genai_prices_id == "gpt-4o"
    assert cat.api_model("gpt-4o").ecologits_id == "gpt-4o"
    assert cat.api_model("mistral-large").genai_prices_id == "mistral-large-2512"


# ------------------------------------------------------------------------------------------------
# API ids against the pinned packages (offline)


@pytest.mark.parametrize("name", ["gpt-4o", "gpt-4o-mini", "mistral-large"])
def test_api_model_prices_in_genai_prices(name: str) -> None:
    from genai_prices import Usage, calc_price

    model = catalog.load().api_model(name)
    price = calc_price(
        Usage(input_tokens=1000, output_tokens=1000),
        model_ref=model.genai_prices_id,
        provider_id=model.provider,
    )
    assert float(price.total_price) > 0


def test_every_api_model_resolves_in_both_packages() -> None:
    from ecologits.model_repository import models
    from genai_prices import Usage, calc_price

    for name, model in catalog.load().api_models.items():
        price = calc_price(
            Usage(input_tokens=1000, output_tokens=1000),
            model_ref=model.genai_prices_id,
            provider_id=model.provider,
        )
        assert float(price.total_price) > 0, name
        found = models.find_model(model.ecologits_provider, model.ecologits_id)
        assert found is not None, f"{name}: {model.ecologits_provider}/{model.ecologits_id}"


# ------------------------------------------------------------------------------------------------
# Errors


def test_lookup_of_a_misspelt_name_suggests_the_right_one() -> None:
    cat = catalog.load()
    with pytest.raises(CatalogError) as caught:
        cat.gpu("H100")
    (problem,) = caught.value.problems
    assert problem.key_path == "gpus.H100"
    assert problem.file.endswith("gpus.yaml")
    assert "Did you mean H100-SXM?" in problem.expected
    with pytest.raises(CatalogError, match="Did you mean hours_per_month"):
        cat.assumption("hour_per_month")
    with pytest.raises(CatalogError, match=r"Did you mean llama-3\.1-8b"):
        cat.open_model("llama-3-8b")
    with pytest.raises(CatalogError, match="Did you mean FRA"):
        cat.region("fra")
    with pytest.raises(CatalogError, match="not in the catalog of currency rates"):
        cat.usd_per("GBP")


def test_range_validation_error_is_clear(tmp_path: Path) -> None:
    folder = _copy(tmp_path)

    def bad(d: dict[str, Any]) -> None:
        d["gpus"]["L40S"]["embodied_kgco2e"] = {"value": 300, "low": 60, "high": 160}
        d["gpus"]["L40S"]["memory_gb"] = "lots"

    _edit(folder, "gpus.yaml", bad)
    problems = _problems(folder)
    assert "low <= value <= high" in problems["gpus.L40S.embodied_kgco2e"]
    assert "gpus.yaml: gpus.L40S.embodied_kgco2e: " in problems["gpus.L40S.embodied_kgco2e"]
    assert "gpus.L40S.memory_gb" in problems
    assert "'lots'" in problems["gpus.L40S.memory_gb"]


def test_a_bare_number_is_a_range_without_spread() -> None:
    r = catalog.Range.model_validate(3)
    assert (r.value, r.low, r.high) == (3, 3, 3)
    r = catalog.Range.model_validate({"value": 2, "low": 1})
    assert (r.low, r.high) == (1, 2)


def test_one_problem_per_bad_record_with_key_paths(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    _edit(
        folder,
        "open_models.yaml",
        lambda d: d["open_models"]["mixtral-8x7b"].update(active_params_b=50),
    )
    _edit(folder, "cloud_offers.yaml", lambda d: d["cloud_offers"][0].update(gpu="H100"))
    _edit(folder, "regions.yaml", lambda d: d["regions"]["FRA"].update(price_usd=1))
    problems = _problems(folder)
    assert "must not exceed params_b" in problems["open_models.mixtral-8x7b"]
    assert "unknown field" in problems["regions.FRA.price_usd"]
    # cross checks run once every record is valid
    assert "cloud_offers[0].gpu" not in problems


def test_cross_checks(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    _edit(
        folder,
        "cloud_offers.yaml",
        lambda d: d["cloud_offers"][0].update(gpu="H100", regions=["FRA", "ITA"]),
    )
    _edit(folder, "assumptions.yaml", lambda d: d["assumptions"].pop("batch_max"))
    problems = _problems(folder)
    assert "Did you mean H100-SXM" in problems["cloud_offers[0].gpu"]
    assert "'ITA' is not in regions" in problems["cloud_offers[0].regions[1]"]
    assert "required" in problems["assumptions.batch_max"]


def test_unknown_kind_and_missing_folder(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    (folder / "extra.yaml").write_text("gpu: {}\n", "utf-8")
    problems = _problems(folder)
    assert "Did you mean gpus?" in problems["gpu"]
    with pytest.raises(CatalogError, match="does not exist"):
        catalog.load(tmp_path / "nowhere")
    (folder / "extra.yaml").write_text("gpus: [oops\n", "utf-8")
    problems = _problems(folder)
    assert any("valid YAML" in p for p in problems.values())


def test_a_value_yaml_cannot_build_names_its_line(tmp_path: Path) -> None:
    """Found by tests/test_properties.py: an impossible date (or a !!timestamp that is not one)
    raised ValueError/AttributeError out of the C loader, a traceback instead of a message."""
    folder = _copy(tmp_path)
    path = folder / "api_models.yaml"
    lines = path.read_text("utf-8").splitlines()
    (index,) = [i for i, line in enumerate(lines) if line.strip() == "retrieved: 2026-11-25"][:1]
    for bad in ("2026-02-30", "!!timestamp nope"):
        lines[index] = f"    retrieved: {bad}"
        path.write_text("\n".join(lines) + "\n", "utf-8")
        problems = _problems(folder)
        shown = problems[f"line {index + 1}"]
        assert f"api_models.yaml: line {index + 1}: valid YAML is expected" in shown, shown
        assert "cannot be read" in shown and "\n" not in shown
