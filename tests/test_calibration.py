"""Pilot calibration (issue 14): column maps and foreign logs, measurements.pilot, the pilot's
prediction at its measured load, the fit of its factors and the calibrated catalog."""

from __future__ import annotations

import gzip
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from _method import LOG
from llmdecide import calibration, catalog, configurations, measurements, params, stages
from llmdecide.errors import MeasurementError, ParamsError
from llmdecide.estimators import calibration as cal
from llmdecide.estimators import serving

ROOT = Path(__file__).resolve().parent.parent
PILOT_PARAMS = ROOT / "params" / "clients" / "example-pilot.yaml"
PILOT_LOG = ROOT / "measurements" / "example-pilot" / "usage.csv.gz"
AZURE = ROOT / "measurements" / "azure-llm-2023" / "AzureLLMInferenceTrace_conv_first3000.csv"
AZURE_MAP = {
    "timestamp": "TIMESTAMP",
    "input_tokens": "ContextTokens",
    "output_tokens": "GeneratedTokens",
}
KEY = "measurements.usage_log"


@pytest.fixture(scope="module")
def cat() -> Any:
    return catalog.load()


def write_client(tmp_path: Path, log: Path, **changes: Any) -> Path:
    """The example-pilot client with its usage log at ``log`` and ``changes`` (dotted keys)."""
    data = yaml.safe_load(PILOT_PARAMS.read_text(encoding="utf-8"))
    data["measurements"]["usage_log"] = str(log)
    for dotted, value in changes.items():
        node = data
        *parents, last = dotted.split(".")
        for k in parents:
            node = node[k]
        node[last] = value
    path = tmp_path / "client.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def synthetic_rows(
    client: Any, cat: Any, factors: dict[str, float], n: int, seed: int, noise: float
) -> dict[str, np.ndarray]:
    """A log made by the serving model itself at ``factors`` (as the example's generator):
    bursty arrivals between 0.2 and 12 requests/s so that the batch varies."""
    rng = np.random.default_rng(seed)
    rates = rng.choice([0.2, 1.0, 3.0, 6.0, 12.0], size=n // 100)
    # 100 requests per block spread over 100/r seconds: the block's rate is r
    t = np.concatenate([np.sort(rng.uniform(0, 100.0 / r, 100)) for r in rates])
    offsets = np.repeat(np.concatenate([[0.0], np.cumsum(100.0 / rates)[:-1]]), 100)
    t = 1.7e9 + t + offsets
    p = np.maximum(1, np.rint(rng.gamma(1 / 0.35, 1100 * 0.35, n)))
    o = np.maximum(2, np.rint(rng.gamma(1 / 0.5, 220 * 0.5, n)))
    w = serving.Workload(float(p.mean()), float(p.mean()), float(o.mean()), cal.cv2(o), cal.cv2(p))
    m0, engine, start, _ = calibration._replica(client, cat, client.usage.model_dump(), w)
    m = cal.scaled_step_model(m0, start, factors)
    pred = cal.predict_requests(
        m, engine, p, o, cal.local_rate_rps(t, 60.0), cal.cv2(o), cal.cv2(p)
    )
    ttft = pred.ttft_s * rng.lognormal(0.0, noise, n)
    tpot = pred.tpot_s * rng.lognormal(0.0, noise, n)
    return {
        "timestamp_s": t,
        "input_tokens": p,
        "output_tokens": o,
        "latency_s": ttft + (o - 1) * tpot,
        "ttft_s": ttft,
    }


# ----------------------------------------------------------------------------- pure parts


def test_local_rate_counts_the_minute_around_each_request() -> None:
    # requests at 0, 10, 20 s and 100 s: the window [t − 30, t + 30) holds 3, 3, 3 and 1
    t = np.array([20.0, 0.0, 10.0, 100.0])
    assert cal.local_rate_rps(t, 60.0) * 60 == pytest.approx([3, 3, 3, 1])


def test_peak_is_the_quantile_of_tumbling_minute_rates() -> None:
    # minute 0: 120 requests, minutes 1-98: 6 each, minute 99: one request at its start
    t = np.concatenate(
        [
            np.linspace(0, 59, 120),
            *(60.0 * k + np.linspace(0, 50, 6) for k in range(1, 99)),
            [5940.0],
        ]
    )
    rates = cal.window_rates_rps(t, 60.0)
    assert len(rates) == 100 and rates[0] == 2.0 and rates[50] == 0.1
    # p99 of 100 rates (99 at or below 0.1 and one of 2.0): 0.1 + 0.01·(99 − 98)… numpy linear:
    # position 0.99·99 = 98.01 between the sorted 98th (0.1) and 99th (2.0): 0.1 + 0.01·1.9
    assert cal.peak_rps(t, 60.0, 0.99) == pytest.approx(0.1 + 0.01 * 1.9)


def test_tpot_from_latency_ttft_and_output_where_no_column() -> None:
    # (2.0 − 0.5) / (11 − 1) = 0.15 s; one token: no TPOT; a TPOT column wins
    tpot = cal.request_tpot_s(
        np.array([2.0, 1.0, 2.0]),
        np.array([0.5, 0.4, 0.5]),
        np.array([11, 1, 11]),
        np.array([np.nan, np.nan, 0.2]),
    )
    assert tpot[0] == pytest.approx(0.15) and math.isnan(tpot[1]) and tpot[2] == 0.2


def test_scaled_step_model_scales_reads_and_compute(cat: Any) -> None:
    m = serving.StepModel(2.0, 1e-6, 1e-4, 2e-4, attention_s_per_pair=1e-9, overhead_s=0.001)
    base = {
        "bandwidth_efficiency": 0.75,
        "mfu_decode": 0.35,
        "mfu_prefill": 0.5,
        "step_overhead_ms": 1.0,
    }
    new = {**base, "bandwidth_efficiency": 0.5, "mfu_prefill": 0.25, "step_overhead_ms": 2.0}
    s = cal.scaled_step_model(m, base, new)
    assert float(s.dense_read_s) == pytest.approx(3.0)  # 2 × 0.75 / 0.5
    assert float(s.prefill_compute_s_per_token) == pytest.approx(4e-4)  # 2e-4 × 0.5 / 0.25
    assert float(s.decode_compute_s_per_token) == pytest.approx(1e-4)
    assert float(s.overhead_s) == pytest.approx(0.002)


# ------------------------------------------------------------------------------ the fit


@pytest.fixture(scope="module")
def pilot_client(tmp_path_factory: pytest.TempPathFactory) -> Any:
    tmp = tmp_path_factory.mktemp("pilot")
    return params.load(write_client(tmp, PILOT_LOG))


TRUE = {
    "bandwidth_efficiency": 0.66,
    "mfu_decode": 0.35,
    "mfu_prefill": 0.45,
    "step_overhead_ms": 1.8,
}


def test_fit_recovers_the_factors_of_a_log_made_by_the_model(pilot_client: Any, cat: Any) -> None:
    rows = synthetic_rows(pilot_client, cat, TRUE, 3000, seed=7, noise=0.05)
    c = calibration.calibrate(pilot_client, cat, pilot_client.usage.model_dump(), rows)
    assert c.data["refused"] == ""
    f = c.data["factors"]
    assert {"bandwidth_efficiency", "mfu_prefill", "step_overhead_ms"} <= {
        k for k, v in f.items() if v["fitted"]
    }
    for k in ("bandwidth_efficiency", "mfu_prefill", "step_overhead_ms"):
        assert f[k]["after"] == pytest.approx(TRUE[k], rel=0.05), k
        assert f[k]["std"] is not None and f[k]["std"] > 0
    # decode at these batches is memory-bound: MFU decode is not seen, it keeps the catalog value
    assert f["mfu_decode"]["after"] == f["mfu_decode"]["before"]


def test_the_example_pilot_fit_finds_its_true_factors(pilot_client: Any, cat: Any) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "gen", ROOT / "scripts" / "make_pilot_usage_log.py"
    )
    gen = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(gen)
    rows: dict[str, np.ndarray] = {}
    measurements.read_usage_log(PILOT_LOG, "x", KEY, 60, **LOG, requests=rows)
    c = calibration.calibrate(pilot_client, cat, pilot_client.usage.model_dump(), rows)
    f = c.data["factors"]
    for k in c.data["factors"]:
        if f[k]["fitted"]:
            assert f[k]["after"] == pytest.approx(gen.TRUE_FACTORS[k], rel=0.05), k
    # the calibrated prediction is closer to the measured median than the catalog's
    measured, before, after = (
        c.data[k] for k in ("measured", "predicted_before", "predicted_after")
    )
    gap = lambda fig: abs(math.log(fig["p50_latency_s"] / measured["p50_latency_s"]))  # noqa: E731
    assert gap(after) < gap(before)


def test_fitted_factors_stay_inside_the_catalog_ranges(pilot_client: Any, cat: Any) -> None:
    # a "true" bandwidth efficiency of 0.45, below the catalog's low end (0.6): the fit stops
    # at the bound and says so
    truth = {**TRUE, "bandwidth_efficiency": 0.45}
    rows = synthetic_rows(pilot_client, cat, truth, 2000, seed=3, noise=0.05)
    c = calibration.calibrate(pilot_client, cat, pilot_client.usage.model_dump(), rows)
    eff = cat.efficiencies["vllm"]
    for k, f in c.data["factors"].items():
        lo, hi = getattr(eff, k).low, getattr(eff, k).high
        assert lo - 1e-12 <= f["after"] <= hi + 1e-12, k
    assert c.data["factors"]["bandwidth_efficiency"]["at_bound"]


def test_refuses_to_fit_on_ten_requests(pilot_client: Any, cat: Any) -> None:
    rows = synthetic_rows(pilot_client, cat, TRUE, 1000, seed=1, noise=0.05)
    few = {k: v[:10] for k, v in rows.items()}
    c = calibration.calibrate(pilot_client, cat, pilot_client.usage.model_dump(), few)
    assert "only 10 requests have a latency" in c.data["refused"]
    assert c.catalog is None and c.data["predicted_after"] is None


def test_refuses_without_a_latency_column(pilot_client: Any, cat: Any) -> None:
    rows: dict[str, np.ndarray] = {}
    measurements.read_usage_log(AZURE, "x", KEY, 60, **LOG, columns=AZURE_MAP, requests=rows)
    c = calibration.calibrate(pilot_client, cat, pilot_client.usage.model_dump(), rows)
    assert "no latency column" in c.data["refused"] and c.catalog is None
    assert c.data["predicted_before"]["p95_latency_s"] > 0  # still predicted


def test_a_log_that_contradicts_the_pilot_is_refused(pilot_client: Any, cat: Any) -> None:
    rows = synthetic_rows(pilot_client, cat, TRUE, 1000, seed=2, noise=0.05)
    slow = {**rows, "latency_s": rows["latency_s"] * 8, "ttft_s": rows["ttft_s"] * 8}
    c = calibration.calibrate(pilot_client, cat, pilot_client.usage.model_dump(), slow)
    assert "contradicts the pilot" in c.data["refused"] and c.catalog is None


def test_milliseconds_in_a_seconds_column_warn_and_keep_the_catalog(
    pilot_client: Any, cat: Any
) -> None:
    rows = synthetic_rows(pilot_client, cat, TRUE, 1000, seed=2, noise=0.05)
    ms = {**rows, "latency_s": rows["latency_s"] * 1000 + 600_000, "ttft_s": rows["ttft_s"] * 0}
    c = calibration.calibrate(pilot_client, cat, pilot_client.usage.model_dump(), ms)
    assert "milliseconds in a seconds column?" in c.data["warnings"][0] and c.catalog is None


def test_calibrated_factors_apply_to_the_pilot_gpu_only(pilot_client: Any, cat: Any) -> None:
    rows = synthetic_rows(pilot_client, cat, TRUE, 2000, seed=5, noise=0.05)
    usage = pilot_client.usage.model_dump()
    c = calibration.calibrate(pilot_client, cat, usage, rows)
    assert "vllm@H100-SXM" in c.catalog.efficiencies
    before = configurations.evaluate(pilot_client, cat, usage, {"FRA": 50.0})
    after = configurations.evaluate(pilot_client, c.catalog, usage, {"FRA": 50.0})
    col = "decode_ms_per_token_batch1"
    h100 = before["gpu"] == "H100-SXM"
    # lower bandwidth efficiency and more overhead: slower on H100, unchanged on L40S
    assert (after.loc[h100, col] > before.loc[h100, col]).all()
    assert np.allclose(after.loc[~h100, col], before.loc[~h100, col], equal_nan=True)


def test_a_pilot_gpu_outside_the_options_is_still_predicted(tmp_path: Path, cat: Any) -> None:
    client = params.load(
        write_client(
            tmp_path,
            PILOT_LOG,
            **{"measurements.pilot.gpu": "A100-80GB", "measurements.pilot.optimisation": "fp16"},
        )
    )
    params.check_against_catalog(client, cat, "client.yaml")  # no error: A100 is in the catalog
    rows = synthetic_rows(client, cat, TRUE, 1000, seed=4, noise=0.05)
    c = calibration.calibrate(client, cat, client.usage.model_dump(), rows)
    assert c.data["predicted_before"]["p50_latency_s"] > 0
    assert c.catalog is not None and "vllm@A100-80GB" in c.catalog.efficiencies


def test_an_api_pilots_measured_speed_replaces_the_catalogs(tmp_path: Path, cat: Any) -> None:
    path = write_client(
        tmp_path,
        PILOT_LOG,
        **{
            "measurements.pilot": {"hosting": "api", "model": "gpt-4o-mini"},
            "constraints.confidential_data": False,
            "options.hosting": ["api", "cloud"],
            "options.models": ["gpt-4o-mini", "mistral-small"],
        },
    )
    client = params.load(path)
    rng = np.random.default_rng(0)
    n = 500
    o = rng.integers(20, 600, n).astype(float)
    ttft = 0.8 * rng.lognormal(0, 0.05, n)
    tpot = 1 / 55.0 * rng.lognormal(0, 0.05, n)
    rows = {
        "timestamp_s": 1.7e9 + np.arange(n) * 3.0,
        "input_tokens": np.full(n, 900.0),
        "output_tokens": o,
        "latency_s": ttft + (o - 1) * tpot,
        "ttft_s": ttft,
    }
    c = calibration.calibrate(client, cat, client.usage.model_dump(), rows)
    rec = c.catalog.api_models["gpt-4o-mini"]
    assert rec.output_tokens_per_s.value == pytest.approx(55.0, rel=0.02)
    assert rec.ttft_s.value == pytest.approx(0.8, rel=0.02)
    frame = configurations.evaluate(client, c.catalog, client.usage.model_dump(), {"FRA": 50.0})
    api = frame[frame["model"] == "gpt-4o-mini"].iloc[0]
    factor = cat.assumption("queueing_factor").value.value
    assert api["tpot_p95_ms"] == pytest.approx(1000 * factor / 55.0, rel=0.02)


# --------------------------------------------------------------------------- logs and params


def test_the_azure_slice_ingests_with_the_column_map() -> None:
    m = measurements.read_usage_log(AZURE, "x", KEY, 60, **LOG, columns=AZURE_MAP)
    # from the file itself (pandas): 3000 rows, ContextTokens sum 3,450,308 → 1150.1027,
    # GeneratedTokens sum 778,247 → 259.4157; 18:15:46.68 to 18:26:15.38
    assert (m.rows_total, m.rows_used) == (3000, 3000)
    assert m.input_tokens_mean == pytest.approx(3450308 / 3000)
    assert m.output_tokens_mean == pytest.approx(778247 / 3000)
    assert m.first_timestamp.startswith("2023-11-16T18:15:46.68")
    assert m.columns == AZURE_MAP
    frame = pd.read_csv(AZURE)
    assert frame["ContextTokens"].sum() == 3450308 and frame["GeneratedTokens"].sum() == 778247


def test_without_the_map_the_azure_slice_is_refused_with_a_hint() -> None:
    with pytest.raises(MeasurementError) as info:
        measurements.read_usage_log(AZURE, "x", KEY, 60, **LOG)
    assert "no column for timestamp" in str(info.value)


def test_a_column_map_naming_a_missing_column(tmp_path: Path) -> None:
    with pytest.raises(MeasurementError) as info:
        measurements.read_usage_log(
            AZURE, "x", KEY, 60, **LOG, columns={**AZURE_MAP, "output_tokens": "GeneratedToken"}
        )
    problem = info.value.problems[0]
    assert problem.key_path == "measurements.columns.output_tokens"
    assert (
        "no column 'GeneratedToken'" in problem.expected and "GeneratedTokens" in problem.expected
    )


def test_a_vllm_span_export_reads_with_its_own_names(tmp_path: Path) -> None:
    # vLLM's OpenTelemetry span attributes (vllm/tracing.py SpanAttributes)
    path = tmp_path / "spans.jsonl"
    rows = [
        {
            "start_time": f"2026-11-16T09:00:{i:02d}Z",
            "gen_ai.usage.prompt_tokens": 900 + i,
            "gen_ai.usage.completion_tokens": 100,
            "gen_ai.latency.e2e": 1.5,
            "gen_ai.latency.time_to_first_token": 0.2,
        }
        for i in range(20)
    ]
    pd.DataFrame(rows).to_json(path, orient="records", lines=True)
    got: dict[str, np.ndarray] = {}
    m = measurements.read_usage_log(path, "x", KEY, 60, **LOG, requests=got)
    assert m.ttft_s_p95 == pytest.approx(0.2) and m.latency_s_p50 == pytest.approx(1.5)
    assert m.input_tokens_mean == pytest.approx(909.5)  # 900 + mean of 0..19
    tpot = cal.request_tpot_s(got["latency_s"], got["ttft_s"], got["output_tokens"], np.nan)
    assert tpot == pytest.approx(np.full(20, 1.3 / 99))  # (1.5 − 0.2) / (100 − 1)


def test_a_pilot_precision_its_gpu_cannot_compute_is_an_error(tmp_path: Path, cat: Any) -> None:
    client = params.load(
        write_client(tmp_path, PILOT_LOG, **{"measurements.pilot.gpu": "A100-80GB"})
    )  # fp8 on an A100
    with pytest.raises(ParamsError) as info:
        params.check_against_catalog(client, cat, "client.yaml")
    assert "measurements.pilot.optimisation" in str(info.value)


def test_pilot_names_are_checked_with_did_you_mean(tmp_path: Path, cat: Any) -> None:
    client = params.load(
        write_client(tmp_path, PILOT_LOG, **{"measurements.pilot.gpu": "H100-SMX"})
    )
    with pytest.raises(ParamsError) as info:
        params.check_against_catalog(client, cat, "client.yaml")
    text = str(info.value)
    assert "measurements.pilot.gpu" in text and "Did you mean H100-SXM?" in text


def test_an_api_pilot_has_no_gpu(tmp_path: Path) -> None:
    with pytest.raises(ParamsError) as info:
        params.load(
            write_client(
                tmp_path,
                PILOT_LOG,
                **{"measurements.pilot": {"hosting": "api", "model": "gpt-4o-mini", "gpu": "L4"}},
            )
        )
    assert "measurements.pilot.gpu" in str(info.value) and "an API pilot has no gpu" in str(
        info.value
    )


def test_backwards_timestamps_in_a_pilot_log_are_an_error(tmp_path: Path) -> None:
    log = tmp_path / "usage.csv"
    log.write_text(
        "timestamp,input_tokens,output_tokens,latency_s\n"
        "2026-11-16T09:00:00Z,900,100,1.0\n"
        "2026-11-16T09:00:30Z,900,100,1.0\n"
        "2026-11-16T08:59:00Z,900,100,1.0\n",
        encoding="utf-8",
    )
    with pytest.raises(MeasurementError) as info:
        stages.load_inputs(write_client(tmp_path, log))
    assert "timestamps go backwards at 1 request(s) (data rows 3" in str(info.value)


def test_the_example_pilot_stage_reports_calibration(tmp_path: Path) -> None:
    st = stages.technical_choices(PILOT_PARAMS, tmp_path)
    c = st.data["calibration"]
    assert c["refused"] == "" and c["predicted_after"] is not None
    assert set(c) >= {"pilot", "measured", "predicted_before", "predicted_after", "factors"}
    assert c["recommendation_after"] == st.data["recommendation_label"]
    assert c["recommendation_changed"] == (c["recommendation_before"] != c["recommendation_after"])


def test_the_generator_is_byte_reproducible(tmp_path: Path) -> None:
    import subprocess
    import sys

    out = tmp_path / "usage.csv.gz"
    env = {"PYTHONPATH": str(ROOT / "lib"), "PATH": "/usr/bin:/bin"}
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "make_pilot_usage_log.py"), "--out", str(out)],
        check=True,
        env=env,
        capture_output=True,
    )
    assert gzip.decompress(out.read_bytes()) == gzip.decompress(PILOT_LOG.read_bytes())


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_any_truth_gives_factors_inside_the_catalog_ranges(
    seed: int, pilot_client: Any, cat: Any
) -> None:
    # truths drawn on both sides of the catalog ranges (±30 % beyond them; efficiencies < 1):
    # the fit never leaves the range (several factors out of range compensate each other, so
    # which one ends on its bound is not asserted here: see the single-factor test above)
    rng = np.random.default_rng(seed)
    eff = cat.efficiencies["vllm"]
    truth = {
        k: float(rng.uniform(0.7 * getattr(eff, k).low, 1.3 * getattr(eff, k).high))
        for k in cal.SELF_HOSTED_FACTORS
    }
    for k in ("bandwidth_efficiency", "mfu_decode", "mfu_prefill"):
        truth[k] = min(truth[k], 0.95)
    rows = synthetic_rows(pilot_client, cat, truth, 1000, seed=seed, noise=0.05)
    c = calibration.calibrate(pilot_client, cat, pilot_client.usage.model_dump(), rows)
    for k, f in c.data["factors"].items():
        lo, hi = getattr(eff, k).low, getattr(eff, k).high
        assert lo - 1e-12 <= f["after"] <= hi + 1e-12, (k, truth[k], f)
    if c.catalog is not None:  # the calibrated record's range stays inside the catalog's too
        rec = c.catalog.efficiencies["vllm@H100-SXM"]
        for k in cal.SELF_HOSTED_FACTORS:
            r = getattr(rec, k)
            assert (
                getattr(eff, k).low - 1e-12
                <= r.low
                <= r.value
                <= r.high
                <= getattr(eff, k).high + 1e-12
            )


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_report_section_renders_a_refused_and_a_fitted_calibration(
    lang: str, tmp_path: Path
) -> None:
    from llmdecide import i18n
    from llmdecide.report import templating

    st = stages.technical_choices(PILOT_PARAMS, tmp_path) if lang == "en" else None
    fitted = st.data["calibration"] if st is not None else None
    refused = {
        "pilot": {"hosting": "api", "model": "gpt-4o-mini"},
        "measured": None,
        "predicted_before": None,
        "predicted_after": None,
        "factors": {},
        "refused": "no usage log (measurements.usage_log) to measure the pilot",
    }
    template = templating.environment().get_template("partials/calibration.html.j2")
    for cal_data in filter(None, (refused, fitted)):
        html = template.render(
            results={"calibration": cal_data}, t=i18n.Translator(lang), lang=lang, currency="EUR"
        )
        assert 'id="calibration"' in html
        if cal_data is refused:
            assert "no usage log" in html
        else:
            assert "0.673" in html or "0,673" in html  # the fitted bandwidth efficiency
