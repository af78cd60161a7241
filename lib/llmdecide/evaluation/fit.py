"""The memory fit of each row: weights and KV cache in the replica's memory, the KV capacity
and request slots it leaves, and the reason a row cannot run at all."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from llmdecide.estimators import memory, serving
from llmdecide.evaluation.context import VALUE, Context
from llmdecide.evaluation.rows import Array, Rows
from llmdecide.evaluation.step import gpu_figure, gpus_per_server, model_figure
from llmdecide.units import BYTES_PER_GB

KV_BITS = {"fp16": 16, "fp8": 8}


def _kv_elements(ctx: Context, name: str) -> float:
    """KV elements per token and layer of a model (GQA or MLA geometry)."""
    m = ctx.catalog.open_models[name]
    if getattr(m, "attention", "gqa") == "mla":
        return float(
            memory.kv_elements_per_token_layer_mla(
                int(m.kv_lora_rank or 0), int(m.qk_rope_head_dim or 0)
            )
        )
    return float(memory.kv_elements_per_token_layer_gqa(int(m.kv_heads or 0), int(m.head_dim or 0)))


@dataclass(frozen=True)
class Fit:
    """Memory of each row: weights, KV cache per context token, KV capacity, slots; reasons."""

    weights_gb: Array
    kv_bytes_per_token: Array
    kv_capacity_tokens: Array
    memory_slots: Array
    excluded: list[str]


def fit(ctx: Context, rows: Rows, w: serving.Workload) -> Fit:
    """Weights and KV cache in the replica's memory; the reasons a row cannot run at all."""
    cat = ctx.catalog
    tp = rows.tp
    params = rows.floats("model", model_figure(ctx.catalog, "params_b"))
    bits = rows.floats("optimisation", lambda q: float(cat.quantisations[q].bits))
    weights = memory.weights_gb(params, bits)  # type: ignore[arg-type]
    elements = rows.floats("model", lambda m: _kv_elements(ctx, m))
    layers = rows.floats("model", model_figure(ctx.catalog, "layers"))
    window_layers = rows.floats("model", model_figure(ctx.catalog, "sliding_window_layers"))
    window = rows.floats("model", model_figure(ctx.catalog, "sliding_window"))
    kv_bits = rows.floats("kv_cache", lambda k: float(KV_BITS[k]))
    seq = np.asarray(w.context_tokens, float) + np.asarray(w.output_tokens, float)
    kv_token = memory.kv_bytes_per_context_token(
        elements, layers - window_layers, window_layers, window, seq, kv_bits
    )
    mem = rows.floats("gpu", gpu_figure(ctx.catalog, "memory_gb"))
    headroom = ctx.assumption("kv_memory_headroom", VALUE, "low")
    usable = tp * mem * (1.0 - headroom)
    free_gb = usable - weights
    kv_cap = np.maximum(free_gb, 0.0) * BYTES_PER_GB / kv_token
    slots = np.floor(kv_cap / seq)
    window_max = rows.floats("model", model_figure(ctx.catalog, "context_tokens"))
    server = rows.floats("gpu", lambda g: float(gpus_per_server(ctx, g)))
    bad = (seq > window_max) | (tp > server) | (free_gb <= 0) | (slots < 1)
    excluded = [""] * len(rows.cands)
    for i in np.flatnonzero(bad).tolist():
        c = rows.cands[i]
        why = ""
        if seq[i] > window_max[i]:
            why = f"{c.model} context of {int(window_max[i])} tokens < {seq[i]:.0f} needed"
        elif c.gpus_per_replica > gpus_per_server(ctx, c.gpu):
            why = (
                f"{c.gpus_per_replica} GPUs per replica > {gpus_per_server(ctx, c.gpu)} in one "
                f"{c.gpu} server"
            )
        elif free_gb[i] <= 0:
            why = (
                f"{c.model} {c.optimisation} ({weights[i]:.0f} GB of weights) does not fit on "
                f"{c.gpus_per_replica} × {c.gpu} ({usable[i]:.0f} GB usable)"
            )
        elif slots[i] < 1:
            why = f"no room for the KV cache of one request on {c.gpus_per_replica} × {c.gpu}"
        excluded[i] = why
    return Fit(weights, kv_token, kv_cap, slots, excluded)
