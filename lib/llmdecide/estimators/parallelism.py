"""Tensor parallelism: the all-reduce traffic of a replica split over ``gpus`` GPUs.

Megatron-style tensor parallelism (Shoeybi et al. 2019, arXiv:1909.08053, §3) splits every
attention and MLP block across the GPUs and sums their partial outputs with one all-reduce after
each block: two all-reduces per layer and per step, each of ``tokens × hidden_size`` activations.
The all-reduce of g GPUs costs, in the α–β model of Thakur, Rabenseifner & Gropp (2005,
"Optimization of collective communication operations in MPICH", Rabenseifner's algorithm:
reduce-scatter by recursive halving, all-gather by recursive doubling), ``2 log2(g)`` latency
steps plus ``2 (g − 1) / g`` of the message through each GPU's link — the bandwidth term of a
ring, with the logarithmic latency that small decode messages see (NCCL's tree / NVLS and
vLLM's custom all-reduce avoid the ``2 (g − 1)`` hops of a ring for small messages).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from llmdecide.units import BYTES_PER_GB

ALL_REDUCES_PER_LAYER = 2  # after attention and after the MLP


def ring_bytes_share(gpus: ArrayLike) -> NDArray[np.float64]:
    """Share of the message each GPU sends in a ring all-reduce: 2 (g − 1) / g (0 for one GPU)."""
    g = np.asarray(gpus, dtype=float)
    return 2.0 * (g - 1.0) / g


def allreduce_latency_s_per_step(
    gpus: ArrayLike, layers: ArrayLike, hop_latency_s: ArrayLike
) -> NDArray[np.float64]:
    """Latency part of a step's all-reduces: 2 per layer × 2 log2(g) steps × hop latency."""
    g = np.asarray(gpus, dtype=float)
    hops = 2.0 * np.log2(np.maximum(g, 1.0))
    return (
        ALL_REDUCES_PER_LAYER
        * np.asarray(layers, dtype=float)
        * hops
        * np.asarray(hop_latency_s, dtype=float)
    )


def allreduce_s_per_token(
    gpus: ArrayLike,
    layers: ArrayLike,
    hidden_size: ArrayLike,
    activation_bytes: ArrayLike,
    link_gb_s_per_direction: ArrayLike,
    link_efficiency: ArrayLike,
) -> NDArray[np.float64]:
    """Volume part per token of the step: 2 per layer × hidden × bytes × 2 (g − 1) / g over the
    achieved one-direction link bandwidth."""
    message_bytes = np.asarray(hidden_size, dtype=float) * np.asarray(activation_bytes, float)
    per_layer = ALL_REDUCES_PER_LAYER * message_bytes * ring_bytes_share(gpus)
    bandwidth = (
        np.asarray(link_gb_s_per_direction, float) * BYTES_PER_GB * np.asarray(link_efficiency)
    )
    return np.asarray(layers, dtype=float) * per_layer / bandwidth
