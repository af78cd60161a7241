"""The catalog contract (docs/catalog.md): every record sourced, names the params files use, ids that the
pinned genai-prices and EcoLogits packages resolve, clear errors on bad data."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from _catalog_edit import copy_catalog as _copy
from _catalog_edit import edit as _edit
from _catalog_edit import problems as _problems
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
    # version-1 GPUs have cloud offers; the version-2 ones get theirs with the cloud-offer
    # records (issue 12 item 4) and are priced on premise meanwhile (the cross-check needs one)
    for gpu in ("H100-SXM", "H100-PCIe", "A100-80GB", "L40S", "L4"):
        assert any(o.gpu == gpu for o in cat.cloud_offers), gpu
    assert {"H200-SXM", "B200", "MI300X", "MI325X", "RTX-PRO-6000"} <= set(cat.gpus)
    assert {
        "llama-3.3-70b",
        "llama-3.1-405b",
        "gpt-oss-20b",
        "gpt-oss-120b",
        "qwen3-32b",
        "qwen3-30b-a3b",
        "qwen3-235b-a22b",
        "deepseek-v3.2",
    } <= set(cat.open_models)


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
        cat.usd_per("JPY")


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
    _edit(folder, "assumptions.yaml", lambda d: d["assumptions"].pop("min_replicas_off_hours"))
    problems = _problems(folder)
    assert "Did you mean H100-SXM" in problems["cloud_offers[0].gpu"]
    assert "'ITA' is not in regions" in problems["cloud_offers[0].regions[1]"]
    assert "required" in problems["assumptions.min_replicas_off_hours"]


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


# ------------------------------------------------------------------------------------------------
# GPUs and open models of version 2 (CONVENTIONS.md field names)

NEW_GPU_KEYS = ("fp4_tflops", "interconnect", "gpus_per_server")
NEW_MODEL_KEYS = ("hidden_size", "attention_heads", "attention")


def test_every_raw_gpu_and_open_model_spells_out_the_new_fields() -> None:
    """A forgotten field would silently take its default: every record writes them out."""
    raw = _raw()
    missing = []
    for name, rec in raw["gpus"][1].items():
        missing += [f"gpus.{name}.{key}" for key in NEW_GPU_KEYS if key not in rec]
        link = rec.get("interconnect") or {}
        missing += [
            f"gpus.{name}.interconnect.{key}"
            for key in ("kind", "bandwidth_gb_s", "latency_us")
            if key not in link
        ]
    for name, rec in raw["open_models"][1].items():
        missing += [f"open_models.{name}.{key}" for key in NEW_MODEL_KEYS if key not in rec]
    assert missing == []


def test_new_records_were_read_today_and_say_what_is_secondary() -> None:
    raw = _raw()
    for kind, names in (
        ("gpus", ("H200-SXM", "B200", "MI300X", "MI325X", "RTX-PRO-6000")),
        ("on_premise", ("H200-SXM", "B200", "MI300X", "MI325X", "RTX-PRO-6000")),
        ("open_models", ("llama-3.3-70b", "gpt-oss-120b", "qwen3-235b-a22b", "deepseek-v3.2")),
    ):
        for name in names:
            rec = raw[kind][1][name]
            assert rec["retrieved"] == date(2026, 12, 1), f"{kind}.{name}"
            assert rec["source"].strip() and rec.get("note", "").strip(), f"{kind}.{name}"
    for name in ("H200-SXM", "B200", "MI325X", "RTX-PRO-6000"):  # data sheets read second-hand
        assert "Secondary" in raw["gpus"][1][name]["note"], name
    for name in ("H200-SXM", "B200", "MI300X", "MI325X", "RTX-PRO-6000"):
        assert raw["on_premise"][1][name]["note"].startswith("Estimate"), name


def test_hand_checked_new_gpus() -> None:
    cat = catalog.load()
    b200 = cat.gpu("B200")
    # HGX B200 data sheet, sparse: FP4 18, FP8 9, BF16 4.5 PFLOPS per GPU -> halved
    assert (b200.fp4_tflops, b200.fp8_tflops, b200.bf16_tflops) == (9000, 4500, 2250)
    assert (b200.interconnect.kind, b200.interconnect.bandwidth_gb_s) == ("nvlink", 1800)
    mi300x = cat.gpu("MI300X")
    # ROCm table, dense: 2048 FLOPS/clock/CU x 304 CUs x 2.1 GHz = 1307.4 TFLOPS BF16
    assert mi300x.bf16_tflops == pytest.approx(2048 * 304 * 2.1e9 / 1e12, rel=1e-3)
    assert mi300x.fp4_tflops is None and mi300x.interconnect.kind == "infinity_fabric"
    # 7 xGMI links x 64 GB/s x 2 directions
    assert mi300x.interconnect.bandwidth_gb_s == 7 * 64 * 2
    assert cat.gpu("H200-SXM").bf16_tflops == cat.gpu("H100-SXM").bf16_tflops  # same die
    assert cat.gpu("MI325X").purchase_price_usd is None  # no price found: null, not invented
    # PCIe cards: per-GPU slot bandwidth both directions (Gen5 x16 = 128, Gen4 x16 = 64)
    assert cat.gpu("H100-PCIe").interconnect.bandwidth_gb_s == 128
    assert cat.gpu("L40S").interconnect.bandwidth_gb_s == 64
    assert cat.gpu("RTX-PRO-6000").interconnect.kind == "pcie"
    # latency_us is one hop of a ring all-reduce (2(g-1) hops for g GPUs). NCCL's model: 6.6 us
    # base per all-reduce + 0.6 us per NVLink hop (1.0 per PCIe hop). Spread over the 6 hops of
    # a 4-GPU all-reduce: (6.6 + 6 x 0.6) / 6 = 1.7 us; PCIe (6.6 + 6 x 1.0) / 6 = 2.1 us
    nvlink, pcie = cat.gpu("H100-SXM").interconnect, cat.gpu("H100-PCIe").interconnect
    assert nvlink.latency_us.value == pytest.approx((6.6 + 6 * 0.6) / 6, abs=0.01)
    assert (nvlink.latency_us.low, nvlink.latency_us.high) == (0.6, 3.9)  # hop alone; 2 GPUs
    assert pcie.latency_us.value == pytest.approx((6.6 + 6 * 1.0) / 6, abs=0.01)
    for name, gpu in cat.gpus.items():
        link = gpu.interconnect
        assert 0 < link.latency_us.low <= link.latency_us.value <= link.latency_us.high, name
        assert gpu.gpus_per_server in (4, 8), name


def _record(kind: str, name: str) -> dict[str, Any]:
    return dict(_raw()[kind][1][name])


@pytest.mark.parametrize("field", ["fp8_tflops", "fp4_tflops", "int8_tops"])
def test_gpu_rejects_a_low_precision_slower_than_bf16(field: str) -> None:
    """A sparse bf16 figure (twice the dense one) would make fp8 look no faster: rejected."""
    rec = _record("gpus", "B200")
    rec[field] = rec["bf16_tflops"] / 2
    with pytest.raises(ValueError, match=f"{field} .* is below bf16_tflops"):
        catalog.Gpu.model_validate(rec)
    rec[field] = None if field != "int8_tops" else rec["bf16_tflops"]
    catalog.Gpu.model_validate(rec)  # null (no such tensor cores) or equal is fine


def test_gpu_rejects_an_unknown_interconnect_kind() -> None:
    rec = _record("gpus", "H100-SXM")
    rec["interconnect"] = {**rec["interconnect"], "kind": "infiniband"}
    with pytest.raises(ValueError, match="nvlink"):
        catalog.Gpu.model_validate(rec)


@pytest.mark.parametrize("count", [0, 17])
def test_gpu_rejects_gpus_per_server_outside_1_to_16(count: int) -> None:
    rec = _record("gpus", "H100-SXM")
    rec["gpus_per_server"] = count
    with pytest.raises(ValueError, match="gpus_per_server"):
        catalog.Gpu.model_validate(rec)


def test_gpu_validator_error_names_file_and_key(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    _edit(folder, "gpus.yaml", lambda d: d["gpus"]["B200"].update(fp8_tflops=1000))
    problems = _problems(folder)
    assert "gpus.yaml: gpus.B200: " in problems["gpus.B200"]
    assert "dense" in problems["gpus.B200"]


def test_mla_needs_its_latent_rank_and_rope_dim() -> None:
    rec = _record("open_models", "deepseek-v3.2")
    rec.pop("kv_lora_rank")
    with pytest.raises(ValueError, match="mla needs kv_lora_rank and qk_rope_head_dim"):
        catalog.OpenModel.model_validate(rec)


def test_gqa_needs_kv_heads_and_head_dim() -> None:
    rec = _record("open_models", "qwen3-32b")
    rec["kv_heads"] = None
    with pytest.raises(ValueError, match="gqa needs kv_heads and head_dim"):
        catalog.OpenModel.model_validate(rec)
    rec = _record("open_models", "qwen3-32b")
    rec["kv_heads"] = 65  # more KV heads than the 64 query heads
    with pytest.raises(ValueError, match="must not exceed attention_heads"):
        catalog.OpenModel.model_validate(rec)


def test_experts_per_token_at_most_experts() -> None:
    rec = _record("open_models", "qwen3-30b-a3b")
    rec["experts_per_token"] = 129
    with pytest.raises(ValueError, match=r"experts_per_token .* must not exceed experts"):
        catalog.OpenModel.model_validate(rec)


def test_expert_params_below_total_params() -> None:
    rec = _record("open_models", "gpt-oss-120b")
    rec["expert_params_b"] = rec["params_b"]
    with pytest.raises(ValueError, match=r"expert_params_b .* must be below params_b"):
        catalog.OpenModel.model_validate(rec)
    rec = _record("open_models", "gpt-oss-120b")
    rec["expert_params_b"] = None  # experts without their parameters
    with pytest.raises(ValueError, match="together"):
        catalog.OpenModel.model_validate(rec)


def test_active_params_at_most_total() -> None:
    rec = _record("open_models", "qwen3-235b-a22b")
    rec["active_params_b"] = rec["params_b"] + 1
    with pytest.raises(ValueError, match="must not exceed params_b"):
        catalog.OpenModel.model_validate(rec)


def test_sliding_layers_need_a_window_and_fit_in_the_layers() -> None:
    rec = _record("open_models", "gpt-oss-20b")
    rec["sliding_window"] = None
    with pytest.raises(ValueError, match="needs sliding_window"):
        catalog.OpenModel.model_validate(rec)
    rec = _record("open_models", "gpt-oss-20b")
    rec["sliding_window_layers"] = 25  # of 24 layers
    with pytest.raises(ValueError, match="must not exceed layers"):
        catalog.OpenModel.model_validate(rec)


def test_a_proxy_comes_with_its_benchmark_and_unknown_is_null() -> None:
    rec = _record("open_models", "llama-3.3-70b")
    rec["accuracy_benchmark"] = None
    with pytest.raises(ValueError, match="go together"):
        catalog.OpenModel.model_validate(rec)
    rec = _record("open_models", "gpt-oss-120b")
    rec["reasoning"] = False  # effort levels on a model that does not reason
    with pytest.raises(ValueError, match="need reasoning: true"):
        catalog.OpenModel.model_validate(rec)
    cat = catalog.load()
    for name in ("qwen3-32b", "qwen3-235b-a22b", "deepseek-v3.2"):
        m = cat.open_model(name)  # no figure read at its source: unknown, not invented
        assert m.accuracy_proxy is None and m.accuracy_benchmark is None, name
    oss = cat.open_model("gpt-oss-120b")
    assert oss.reasoning and oss.accuracy_by_effort is not None
    # model card, GPQA Diamond: low 67.1 < medium 73.1 < high 80.1; the proxy is the medium
    efforts = [oss.accuracy_by_effort[e].value for e in ("low", "medium", "high")]
    assert efforts == sorted(efforts) == [0.671, 0.731, 0.801]
    assert oss.accuracy_proxy == oss.accuracy_by_effort["medium"]
    small = cat.open_model("gpt-oss-20b")  # only the high effort is published in what was read
    assert small.accuracy_proxy is None and set(small.accuracy_by_effort or {}) == {"high"}


def test_open_model_efforts_bound_the_figures_by_effort() -> None:
    cat = catalog.load()
    for name in ("gpt-oss-20b", "gpt-oss-120b"):
        m = cat.open_model(name)
        # the model card's three levels; only medium's reasoning tokens are measured (ML.ENERGY,
        # GPQA Diamond), so low and high stay unknown rather than extrapolated
        assert m.reasoning_efforts == ["low", "medium", "high"]
        assert set(m.reasoning_tokens or {}) == {"medium"}
    # mean output tokens per GPQA Diamond request at medium: 120b 1 560-1 861 (mean 1 727),
    # 20b 1 979-2 599 (mean 2 181)
    assert cat.open_model("gpt-oss-120b").reasoning_tokens["medium"] == catalog.Range(
        value=1727, low=1560, high=1861
    )
    assert cat.open_model("gpt-oss-20b").reasoning_tokens["medium"] == catalog.Range(
        value=2181, low=1979, high=2599
    )
    rec = _record("open_models", "gpt-oss-20b")
    rec["reasoning_efforts"] = ["low", "high"]  # medium's tokens for an effort not listed
    with pytest.raises(ValueError, match="reasoning_tokens has medium, not in reasoning_efforts"):
        catalog.OpenModel.model_validate(rec)
    rec = _record("open_models", "gpt-oss-20b")
    rec["reasoning_tokens"] = {"medium": {"value": 10, "low": -1, "high": 20}}
    with pytest.raises(ValueError, match="must not be negative"):
        catalog.OpenModel.model_validate(rec)


def test_kv_bytes_gqa_hand_computed() -> None:
    m = catalog.load().open_model("llama-3.3-70b")
    # GQA: 2 (K, V) x 80 layers x 8 KV heads x 128 dims x 2 bytes = 327,680 bytes per token
    assert m.kv_bytes_per_token_fp16 == 2 * 80 * 8 * 128 * 2 == 327_680
    assert m.kv_cache_bytes_fp16(1000) == 327_680 * 1000  # no sliding layers: linear


def test_kv_bytes_mla_hand_computed() -> None:
    m = catalog.load().open_model("deepseek-v3.2")
    # MLA: 61 layers x (kv_lora_rank 512 + qk_rope_head_dim 64) x 2 bytes = 70,272 bytes per
    # token, 4.7x less than llama-3.3-70b's 327,680 although DeepSeek has 128 query heads
    assert m.kv_bytes_per_token_fp16 == 61 * (512 + 64) * 2 == 70_272
    assert m.kv_heads is None


def test_kv_bytes_sliding_window_hand_computed() -> None:
    m = catalog.load().open_model("gpt-oss-120b")
    per_layer_token = 2 * 8 * 64 * 2  # K and V x 8 KV heads x 64 dims x 2 bytes = 2,048
    # 18 full-attention layers of 36 grow with the context: 18 x 2,048 = 36,864 bytes per token
    assert m.kv_bytes_per_token_fp16 == 18 * per_layer_token == 36_864
    # the 18 sliding layers stop at 128 tokens: 18 x 128 x 2,048 = 4,718,592 bytes per sequence
    assert m.kv_window_bytes_fp16 == 18 * 128 * per_layer_token == 4_718_592
    # 1,000 tokens: 2,048 x (18 x 1,000 + 18 x 128) = 41,582,592 bytes
    assert m.kv_cache_bytes_fp16(1000) == 41_582_592
    # 100 tokens (inside the window): every layer holds every token, 36 x 100 x 2,048
    assert m.kv_cache_bytes_fp16(100) == 36 * 100 * per_layer_token == 7_372_800


@given(
    st.sampled_from(["gpt-oss-20b", "gpt-oss-120b", "llama-3.1-8b", "deepseek-v3.2"]),
    st.integers(0, 200_000),
    st.integers(1, 5_000),
)
@settings(max_examples=60, deadline=None)
def test_kv_cache_grows_with_context_and_is_bounded(name: str, tokens: int, more: int) -> None:
    m = catalog.load().open_model(name)
    assert m.kv_cache_bytes_fp16(tokens + more) >= m.kv_cache_bytes_fp16(tokens)
    upper = m.kv_bytes_per_token_fp16 * tokens + m.kv_window_bytes_fp16
    assert m.kv_bytes_per_token_fp16 * tokens <= m.kv_cache_bytes_fp16(tokens) <= upper


def test_moe_records_are_consistent() -> None:
    """active = params - experts + experts_per_token / experts x experts (the convention:
    everything but the routed experts is read at every decode step), within 1 %."""
    moe = {n: m for n, m in catalog.load().open_models.items() if m.experts is not None}
    assert {"mixtral-8x7b", "gpt-oss-20b", "gpt-oss-120b", "qwen3-30b-a3b"} <= set(moe)
    for name, m in moe.items():
        assert m.expert_params_b is not None and m.experts_per_token is not None
        expected = m.params_b - m.expert_params_b * (1 - m.experts_per_token / m.experts)
        assert m.active_params_b == pytest.approx(expected, rel=0.01), name
    # routed experts from config.json: layers x experts x 3 x hidden x moe_intermediate_size
    assert moe["qwen3-235b-a22b"].expert_params_b == pytest.approx(
        94 * 128 * 3 * 4096 * 1536 / 1e9, abs=0.01
    )  # 227.10B
    assert moe["deepseek-v3.2"].expert_params_b == pytest.approx(
        (61 - 3) * 256 * 3 * 7168 * 2048 / 1e9, abs=0.01
    )  # 58 MoE layers (first_k_dense_replace 3): 653.91B
    for name, m in catalog.load().open_models.items():
        if m.experts is None:
            assert m.active_params_b == m.params_b, name  # dense


def test_moe_routing_times_must_not_be_negative() -> None:
    rec = _record("efficiencies", "vllm")
    rec["moe_routed_token_ns"] = {"value": 1.0, "low": -1.0, "high": 2.0}
    with pytest.raises(ValueError, match="moe_routed_token_ns must be >= 0"):
        catalog.Efficiency.model_validate(rec)
    rec["moe_routed_token_ns"] = None  # null: not modelled
    catalog.Efficiency.model_validate(rec)


def test_compute_efficiency_vs_bf16_is_a_fraction_named_in_the_load_error(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    _edit(
        folder,
        "quantisations.yaml",
        lambda d: d["quantisations"]["fp4"].update(compute_efficiency_vs_bf16=1.6),
    )
    problems = _problems(folder)
    assert "quantisations.yaml: quantisations.fp4: " in problems["quantisations.fp4"]
    assert "compute_efficiency_vs_bf16 is a fraction" in problems["quantisations.fp4"]


def test_sourced_kernel_factors_read_from_the_measurements() -> None:
    cat = catalog.load()
    eff = cat.efficiencies["vllm"]
    # medians of the vLLM 0.19.0 series of ai-dynamo/aiconfigurator (efficiencies.yaml note)
    assert eff.moe_layer_latency_us.value == pytest.approx(21.8)
    assert eff.moe_routed_token_ns.value == pytest.approx(11.5)
    # NVFP4 GEMMs reach ~0.42 of the FP4 peak where BF16 reaches ~0.70: ratio ~0.6
    assert cat.quantisations["fp4"].compute_efficiency_vs_bf16.value == pytest.approx(0.6)
    assert cat.quantisations["fp8"].compute_efficiency_vs_bf16.value == pytest.approx(0.79)
    assert cat.quantisations["fp16"].compute_efficiency_vs_bf16 is None  # bf16 itself


def test_method_engine_must_name_an_efficiency_record(tmp_path: Path) -> None:
    # the sizing reads efficiencies.<method.engine>: a typo must fail the load, not a run
    folder = _copy(tmp_path)
    _edit(folder, "method.yaml", lambda d: d["method"].update(engine="vlm"))
    found = _problems(folder)
    assert "method.engine" in found
    assert "'vlm' has no record in efficiencies" in found["method.engine"]
    assert "vllm" in found["method.engine"]  # did you mean
