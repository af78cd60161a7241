"""Roofline timing of a transformer on GPUs: decode steps and prefill.

A decode step reads every weight once and the KV cache of every sequence in the batch (memory
bound), and does 2 × active parameters FLOPs per sequence (compute bound); the step takes the
longer of the two. Prefill is compute bound: 2 × active parameters × prompt tokens. Tensor
parallelism over ``gpus`` GPUs adds their bandwidth and FLOPs (communication cost is not
modelled; the efficiencies from the catalog absorb it).
"""

from __future__ import annotations

FLOPS_PER_PARAM_PER_TOKEN = 2  # one multiply and one add per weight per token


def decode_memory_s(
    weights_gb: float, kv_gb: float, bandwidth_gb_s: float, bandwidth_efficiency: float, gpus: int
) -> float:
    """Time to stream the weights and the batch's KV cache once: bytes / achieved bandwidth."""
    return (weights_gb + kv_gb) / (bandwidth_gb_s * bandwidth_efficiency * gpus)


def decode_compute_s(
    active_params_b: float, batch: int, tflops: float, mfu: float, gpus: int
) -> float:
    """Time for the FLOPs of one token for each sequence of the batch."""
    flops = FLOPS_PER_PARAM_PER_TOKEN * active_params_b * 1e9 * batch
    return flops / (tflops * 1e12 * mfu * gpus)


def decode_step_s(
    weights_gb: float,
    kv_gb: float,
    bandwidth_gb_s: float,
    bandwidth_efficiency: float,
    active_params_b: float,
    batch: int,
    tflops: float,
    mfu: float,
    gpus: int,
) -> float:
    """One decode step (one token for every sequence of the batch): max(memory, compute)."""
    return max(
        decode_memory_s(weights_gb, kv_gb, bandwidth_gb_s, bandwidth_efficiency, gpus),
        decode_compute_s(active_params_b, batch, tflops, mfu, gpus),
    )


def decode_ms_per_token(step_s: float) -> float:
    """Milliseconds per generated token of one sequence (one step produces one token each)."""
    return step_s * 1000.0


def prefill_s(
    active_params_b: float, input_tokens: float, tflops: float, mfu: float, gpus: int
) -> float:
    """Prompt processing: 2 × active parameters × prompt tokens FLOPs at the prefill MFU."""
    flops = FLOPS_PER_PARAM_PER_TOKEN * active_params_b * 1e9 * input_tokens
    return flops / (tflops * 1e12 * mfu * gpus)


def max_tokens_per_s_per_gpu(tokens_per_s_per_replica: float, gpus_per_replica: int) -> float:
    """Generated tokens per second per GPU at the chosen batch."""
    return tokens_per_s_per_replica / gpus_per_replica
