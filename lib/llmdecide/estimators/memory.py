"""Memory of a self-hosted model: weights, KV cache, GPUs per replica, batch that fits."""

from __future__ import annotations

from typing import Any

import numpy as np

from llmdecide.units import BITS_PER_BYTE, BYTES_PER_GB, PER_BILLION

KEY_AND_VALUE = 2  # one key and one value vector per layer, head and token


def weights_gb(params_b: Any, bits: Any) -> Any:
    """Weights in GB: parameters × bits / 8 (1 GB = 10⁹ bytes)."""
    return params_b * PER_BILLION * bits / BITS_PER_BYTE / BYTES_PER_GB


def kv_elements_per_token_layer_gqa(kv_heads: int, head_dim: int) -> int:
    """Grouped-query attention: one key and one value vector per KV head (MHA: kv = q heads)."""
    return KEY_AND_VALUE * kv_heads * head_dim


def kv_elements_per_token_layer_mla(kv_lora_rank: int, qk_rope_head_dim: int) -> int:
    """Multi-head latent attention (DeepSeek-V2 §2.1.2): the cache holds the compressed latent
    (``kv_lora_rank``) and the decoupled rotary key (``qk_rope_head_dim``), shared by all heads."""
    return kv_lora_rank + qk_rope_head_dim


def kv_bytes_per_context_token(
    elements_per_layer: Any,
    full_layers: Any,
    window_layers: Any,
    window_tokens: Any,
    context_tokens: Any,
    kv_bits: Any,
) -> Any:
    """KV bytes per token of a ``context_tokens`` context, averaged: full-attention layers keep
    every token, sliding-window layers at most ``window_tokens`` of them (their share of the
    context: min(1, window / context))."""

    window_share = np.where(
        np.asarray(window_layers) > 0,
        np.minimum(1.0, np.asarray(window_tokens) / np.maximum(np.asarray(context_tokens), 1.0)),
        0.0,
    )
    layers = np.asarray(full_layers) + np.asarray(window_layers) * window_share
    return elements_per_layer * layers * kv_bits / BITS_PER_BYTE
