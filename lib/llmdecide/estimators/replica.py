"""The step model of one replica from plain figures (model, GPU, precision, engine efficiencies).

Each component of ``serving.StepModel`` is one formula here (units in the names; sources of the
efficiencies in the catalog):
- weights streamed per step: the 16-bit bytes divided by the quantised kernel's measured batch-1
  speed-up (W4A16 reads a quarter of the bytes but its kernels reach ~2×, not 4×), over the
  achieved HBM bandwidth of the ``gpus`` GPUs;
- KV cache read per cached token: its bytes at the KV precision over the same bandwidth;
- linear-layer compute per token: 2 × active parameters FLOPs over the dense peak of the compute
  path (bf16, fp8, int8, fp4) × the achieved MFU (decode and prefill have their own) × the path's
  measured efficiency relative to bf16 (``compute_path_efficiency``: an fp4 GEMM reaches a
  smaller share of its peak than a bf16 one on the same GPU);
- mixture-of-experts routing, outside the roofline: a fixed latency per MoE layer and step
  (routing, permutation, launches), and per token and layer, k routed (token, expert) pairs at
  the measured dispatch time per pair or the grouped GEMM's FLOPs at the prefill MFU, whichever
  is longer; the routed experts' FLOPs leave the roofline's compute (their reads stay in it);
- attention per (query, key) pair: 4 × layers × query heads × head dim FLOPs (QKᵀ and AV, a
  multiply and an add each) at the bf16 peak × the prefill MFU;
- tensor-parallel all-reduces (``parallelism``) and a per-step overhead.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from llmdecide.estimators import parallelism
from llmdecide.estimators.serving import StepModel
from llmdecide.units import BYTES_PER_GB, PER_BILLION, TERA

Num = Any  # a float or a numpy array (one element per configuration)

FLOPS_PER_PARAM_PER_TOKEN = 2.0
ATTENTION_FLOPS_PER_PAIR_PER_WIDTH = 4.0  # QK^T and AV: 2 FLOPs each per (query, key, channel)
BYTES_FP16 = 2.0


def read_s(gb: Num, bandwidth_gb_s: Num, efficiency: Num, gpus: Num) -> Num:
    """Seconds to stream ``gb`` gigabytes split over ``gpus`` GPUs at the achieved bandwidth."""
    return gb / (bandwidth_gb_s * efficiency * gpus)


def flops_s_per_token(active_params_b: Num, tflops: Num, mfu: Num, gpus: Num) -> Num:
    """Seconds of linear-layer compute per token: 2 × active parameters / (peak × MFU × GPUs)."""
    return FLOPS_PER_PARAM_PER_TOKEN * active_params_b * PER_BILLION / (tflops * TERA * mfu * gpus)


def step_model(
    *,
    gpus: Num,
    dense_weights_fp16_gb: Num,
    expert_weights_fp16_gb: Num,
    experts: Num,
    experts_per_token: Num,
    weight_read_speedup: Num,
    active_params_b: Num,
    kv_bytes_per_token: Num,
    attention_layers: Num,
    attention_width: Num,
    hidden_size: Num,
    layers: Num,
    bandwidth_gb_s: Num,
    bandwidth_efficiency: Num,
    tflops: Num,
    bf16_tflops: Num,
    mfu_decode: Num,
    mfu_prefill: Num,
    link_gb_s_per_direction: Num,
    link_efficiency: Num,
    hop_latency_s: Num,
    overhead_s: Num,
    activation_bytes: Num = 2.0,
    compute_path_efficiency: Num = 1.0,
    moe_layer_latency_s: Num = 0.0,
    moe_routed_token_s: Num = 0.0,
) -> StepModel:
    """The ``StepModel`` of a replica (every argument a float or an array of one shape)."""
    e = np.asarray(experts, dtype=float)
    moe = e > 0
    # parameters of the k routed experts a token uses (all layers): experts' total × k / E
    routed_b = np.where(
        moe, expert_weights_fp16_gb / BYTES_FP16 * experts_per_token / np.where(moe, e, 1.0), 0.0
    )
    path_tflops = tflops * compute_path_efficiency
    gemm_s = flops_s_per_token(routed_b, path_tflops, mfu_prefill, gpus)
    dispatch_s = layers * experts_per_token * moe_routed_token_s  # every GPU routes every token
    return StepModel(
        dense_read_s=read_s(
            dense_weights_fp16_gb / weight_read_speedup,
            bandwidth_gb_s,
            bandwidth_efficiency,
            gpus,
        ),
        experts_read_s=read_s(
            expert_weights_fp16_gb / weight_read_speedup,
            bandwidth_gb_s,
            bandwidth_efficiency,
            gpus,
        ),
        experts=experts,
        experts_per_token=experts_per_token,
        kv_read_s_per_token=read_s(
            kv_bytes_per_token / BYTES_PER_GB,
            bandwidth_gb_s,
            bandwidth_efficiency,
            gpus,
        ),
        decode_compute_s_per_token=flops_s_per_token(
            active_params_b - routed_b, path_tflops, mfu_decode, gpus
        ),
        prefill_compute_s_per_token=flops_s_per_token(
            active_params_b - routed_b, path_tflops, mfu_prefill, gpus
        ),
        moe_s_per_step=np.where(moe, layers * moe_layer_latency_s, 0.0),
        moe_s_per_token=np.where(moe, np.maximum(dispatch_s, gemm_s), 0.0),
        attention_s_per_pair=ATTENTION_FLOPS_PER_PAIR_PER_WIDTH
        * attention_layers
        * attention_width
        / (bf16_tflops * TERA * mfu_prefill * gpus),
        comm_s_per_step=parallelism.allreduce_latency_s_per_step(gpus, layers, hop_latency_s),
        comm_s_per_token=parallelism.allreduce_s_per_token(
            gpus, layers, hidden_size, activation_bytes, link_gb_s_per_direction, link_efficiency
        ),
        overhead_s=overhead_s,
    )
