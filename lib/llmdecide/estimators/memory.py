"""Memory of a self-hosted model: weights, KV cache, GPUs per replica, batch that fits."""

from __future__ import annotations

import math

BYTES_PER_GB = 1e9
BITS_PER_BYTE = 8
KEY_AND_VALUE = 2  # one key and one value vector per layer, head and token


def weights_gb(params_b: float, bits: int) -> float:
    """Weights in GB: parameters × bits / 8 (1 GB = 10⁹ bytes)."""
    return params_b * 1e9 * bits / BITS_PER_BYTE / BYTES_PER_GB


def kv_bytes_per_token(layers: int, kv_heads: int, head_dim: int, kv_bits: int) -> float:
    """KV-cache bytes per token: 2 (K and V) × layers × kv_heads × head_dim × bytes per value."""
    return KEY_AND_VALUE * layers * kv_heads * head_dim * kv_bits / BITS_PER_BYTE


def kv_cache_gb(kv_bytes_per_token: float, tokens: float) -> float:
    """KV cache of ``tokens`` cached tokens (all sequences of a batch together), in GB."""
    return kv_bytes_per_token * tokens / BYTES_PER_GB


def usable_memory_gb(memory_gb_per_gpu: float, gpus: int, headroom: float) -> float:
    """Memory the engine may use: the GPUs' memory minus the headroom fraction kept free."""
    return memory_gb_per_gpu * gpus * (1.0 - headroom)


def gpus_per_replica(
    weights_gb: float,
    kv_gb_one_sequence: float,
    memory_gb_per_gpu: float,
    headroom: float,
    max_gpus: int,
) -> int | None:
    """Smallest tensor-parallel degree (1, 2, 4, 8 …) whose usable memory holds the weights plus the
    KV cache of one full sequence; ``None`` when even ``max_gpus`` GPUs are not enough."""
    need = weights_gb + kv_gb_one_sequence
    gpus = 1
    while gpus <= max_gpus:
        if usable_memory_gb(memory_gb_per_gpu, gpus, headroom) >= need:
            return gpus
        gpus *= 2
    return None


def max_batch_by_memory(usable_gb: float, weights_gb: float, kv_gb_one_sequence: float) -> int:
    """Sequences whose KV cache fits beside the weights (0 when not even one fits)."""
    free = usable_gb - weights_gb
    if free <= 0 or kv_gb_one_sequence <= 0:
        return 0
    return math.floor(free / kv_gb_one_sequence)


def kv_elements_per_token_layer_gqa(kv_heads: int, head_dim: int) -> int:
    """Grouped-query attention: one key and one value vector per KV head (MHA: kv = q heads)."""
    return KEY_AND_VALUE * kv_heads * head_dim


def kv_elements_per_token_layer_mla(kv_lora_rank: int, qk_rope_head_dim: int) -> int:
    """Multi-head latent attention (DeepSeek-V2 §2.1.2): the cache holds the compressed latent
    (``kv_lora_rank``) and the decoupled rotary key (``qk_rope_head_dim``), shared by all heads."""
    return kv_lora_rank + qk_rope_head_dim


def kv_bytes_per_context_token(
    elements_per_layer: float,
    full_layers: float,
    window_layers: float,
    window_tokens: float,
    context_tokens: float,
    kv_bits: float,
) -> float:
    """KV bytes per token of a ``context_tokens`` context, averaged: full-attention layers keep
    every token, sliding-window layers at most ``window_tokens`` of them (their share of the
    context: min(1, window / context))."""
    import numpy as np

    window_share = np.where(
        np.asarray(window_layers) > 0,
        np.minimum(1.0, np.asarray(window_tokens) / np.maximum(np.asarray(context_tokens), 1.0)),
        0.0,
    )
    layers = np.asarray(full_layers) + np.asarray(window_layers) * window_share
    return elements_per_layer * layers * kv_bits / BITS_PER_BYTE  # type: ignore[no-any-return]
