"""The step model of a replica: model and GPU figures from the catalog and the engine's
efficiencies, gathered by ``step_inputs`` (the one builder, shared with ``llmdecide.validation``)
and turned into each row's ``serving.StepModel`` by ``replica_model`` (parallelism, kernels,
interconnect)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from llmdecide.estimators import replica, serving
from llmdecide.evaluation.context import Context, pick
from llmdecide.evaluation.rows import Array, Rows

COMPUTE_PATH = {
    "bf16": "bf16_tflops",
    "fp8": "fp8_tflops",
    "int8": "int8_tops",
    "fp4": "fp4_tflops",
}
DEFAULT_LINK: dict[str, float] = {"bandwidth_gb_s": 64.0, "latency_us": 5.0}  # PCIe Gen4 x16


def model_figure(catalog: Any, key: str) -> Callable[[str], float]:
    def get(name: str) -> float:
        m = catalog.open_models[name]
        v = getattr(m, key, None)
        if v is None:
            v = _fallback(m, key)
        return float(v)

    return get


def _fallback(m: Any, key: str) -> float:
    """Figures absent from an older record: dense model defaults derived from its geometry."""
    heads = getattr(m, "attention_heads", None)
    if key == "hidden_size":
        return float((heads or 32) * (m.head_dim or 128))
    if key == "attention_heads":
        return float(getattr(m, "hidden_size", None) or 32 * (m.head_dim or 128)) / (
            m.head_dim or 128
        )
    if key in ("experts", "experts_per_token", "expert_params_b", "sliding_window_layers"):
        return 0.0
    if key == "sliding_window":
        return 0.0
    raise KeyError(key)


def gpu_figure(catalog: Any, key: str) -> Callable[[str], float]:
    def get(name: str) -> float:
        g = catalog.gpus[name]
        v = getattr(g, key, None)
        return math.nan if v is None else float(v)

    return get


def _link(catalog: Any, gpu: str, scenario: str) -> tuple[float, float]:
    """(one-direction bandwidth in GB/s, hop latency in s) of the GPU's interconnect."""
    link = getattr(catalog.gpus[gpu], "interconnect", None)
    if link is None:
        bw, lat = float(DEFAULT_LINK["bandwidth_gb_s"]), float(DEFAULT_LINK["latency_us"])
    else:
        bw = float(link.bandwidth_gb_s)
        lat = pick(link.latency_us, scenario, "low")
    return bw / 2.0, lat * 1e-6


def gpus_per_server(ctx: Context, gpu: str) -> int:
    """GPUs one server of that GPU holds (tensor parallelism stays within one server)."""
    return int(getattr(ctx.catalog.gpus[gpu], "gpus_per_server", None) or 8)


def compute_tflops(catalog: Any, gpu: str, optimisation: str) -> float | None:
    """Dense peak of the compute path of a quantisation on a GPU (None: not computed there)."""
    path = COMPUTE_PATH[catalog.quantisations[optimisation].compute]
    value = getattr(catalog.gpus[gpu], path, None)
    return float(value) if value else None


def engine_efficiency(catalog: Any, gpu: str) -> Any:
    """The engine's efficiencies on a GPU: a pilot-calibrated record ``vllm@<gpu>`` where the
    catalog holds one (``llmdecide.calibration``), else the engine's own."""
    engine = str(catalog.method["engine"])
    return catalog.efficiencies.get(f"{engine}@{gpu}") or catalog.efficiencies[engine]


STEP_INPUTS = (
    "dense_weights_fp16_gb",
    "expert_weights_fp16_gb",
    "experts",
    "experts_per_token",
    "weight_read_speedup",
    "active_params_b",
    "attention_layers",
    "attention_width",
    "hidden_size",
    "layers",
    "bandwidth_gb_s",
    "bandwidth_efficiency",
    "tflops",
    "bf16_tflops",
    "mfu_decode",
    "mfu_prefill",
    "link_gb_s_per_direction",
    "link_efficiency",
    "hop_latency_s",
    "overhead_s",
    "compute_path_efficiency",
    "moe_layer_latency_s",
    "moe_routed_token_s",
)
"""The arguments of ``replica.step_model`` that ``step_inputs`` gives (all but ``gpus`` and
``kv_bytes_per_token``)."""


def step_inputs(
    catalog: Any, model: str, gpu: str, optimisation: str, efficiency: Any, scenario: str
) -> dict[str, float]:
    """The figures of ``replica.step_model`` for ``model`` on ``gpu`` at ``optimisation``, from
    the catalog and an engine's ``efficiency`` record at the scenario: every argument but the
    GPUs of the replica and the KV bytes per token (the fit decides those). The one builder of
    the step model: the sizing (``replica_model``) and the validation against published
    measurements (``llmdecide.validation``) both call it."""
    m = catalog.open_models[model]
    params = model_figure(catalog, "params_b")(model)
    experts_b = model_figure(catalog, "expert_params_b")(model)
    link_gb_s, hop_s = _link(catalog, gpu, scenario)
    layers = model_figure(catalog, "layers")(model)
    heads = model_figure(catalog, "attention_heads")(model)
    head_dim = float(m.head_dim or 128)
    # a GPU whose measured GEMMs reach less of their peak than the MFUs' reference GPU
    scale = float(efficiency.compute_scale(catalog.gpus[gpu]))

    def eff(key: str, good: str) -> float:
        return pick(getattr(efficiency, key), scenario, good)

    def optional(key: str) -> float:
        return _pick_or(getattr(efficiency, key, None), scenario, 0.0, "low")

    return {
        "dense_weights_fp16_gb": (params - experts_b) * 2.0,
        "expert_weights_fp16_gb": experts_b * 2.0,
        "experts": model_figure(catalog, "experts")(model),
        "experts_per_token": model_figure(catalog, "experts_per_token")(model),
        "weight_read_speedup": pick(
            catalog.quantisations[optimisation].decode_speedup_batch1, scenario, "high"
        ),
        "active_params_b": model_figure(catalog, "active_params_b")(model),
        "attention_layers": layers,
        "attention_width": heads * head_dim,
        "hidden_size": model_figure(catalog, "hidden_size")(model),
        "layers": layers,
        "bandwidth_gb_s": gpu_figure(catalog, "bandwidth_gb_s")(gpu),
        "bandwidth_efficiency": eff("bandwidth_efficiency", "high"),
        "tflops": compute_tflops(catalog, gpu, optimisation) or math.nan,
        "bf16_tflops": gpu_figure(catalog, "bf16_tflops")(gpu),
        "mfu_decode": eff("mfu_decode", "high") * scale,
        "mfu_prefill": eff("mfu_prefill", "high") * scale,
        "link_gb_s_per_direction": link_gb_s,
        "link_efficiency": eff("interconnect_efficiency", "high"),
        "hop_latency_s": hop_s,
        "overhead_s": eff("step_overhead_ms", "low") / 1000.0,
        "compute_path_efficiency": _pick_or(
            catalog.quantisations[optimisation].compute_efficiency_vs_bf16, scenario, 1.0
        ),
        # optional engine times (null: not modelled, 0)
        "moe_layer_latency_s": optional("moe_layer_latency_us") * 1e-6,
        "moe_routed_token_s": optional("moe_routed_token_ns") * 1e-9,
    }


def replica_model(ctx: Context, rows: Rows, kv_token: Array, scenario: str) -> serving.StepModel:
    """The step model of each row's replica (figures from the catalog at the scenario, through
    ``step_inputs`` once per distinct model, GPU and precision)."""
    cat = ctx.catalog
    distinct, index = rows.codes("model", "gpu", "optimisation")
    inputs = [
        step_inputs(cat, model, gpu, opt, engine_efficiency(cat, gpu), scenario)
        for model, gpu, opt in distinct
    ]
    columns = {k: np.array([d[k] for d in inputs], dtype=float)[index] for k in STEP_INPUTS}
    return replica.step_model(gpus=rows.tp, kv_bytes_per_token=kv_token, **columns)


def _pick_or(r: Any, scenario: str, unknown: float, good: str = "high") -> float:
    """``pick`` of an optional catalog Range; ``unknown`` where the catalog has none."""
    return unknown if r is None else pick(r, scenario, good)
