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
