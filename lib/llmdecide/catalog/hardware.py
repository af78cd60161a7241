"""Hardware records: GPUs (with their in-server interconnect), on-premise ownership costs, and
the inference engines' efficiencies against the data-sheet peaks."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from llmdecide.catalog.records import (
    BaseRecord,
    NonNegative,
    Positive,
    Range,
    _fraction,
    _Strict,
)


class Interconnect(_Strict):
    """How the GPUs of one server talk to each other (the tensor-parallel all-reduce path).

    ``bandwidth_gb_s`` is per GPU, both directions added, as data sheets print it (900 for H100
    SXM NVLink 4, 128 for a PCIe Gen5 x16 slot); ``latency_us`` is the latency of one hop (one
    step) of a ring all-reduce among the GPUs of the server: an all-reduce over g GPUs takes
    2 (g − 1) hops, whatever the message size. A range from NCCL's latency model (per-hop
    hardware latency; its per-all-reduce base latency spread over the hops for the value and
    high end), sourced or argued in the GPU's ``note``.
    """

    kind: Literal["nvlink", "infinity_fabric", "pcie"]
    bandwidth_gb_s: float = Positive
    latency_us: Range

    @model_validator(mode="after")
    def _positive_latency(self) -> Interconnect:
        if self.latency_us.low <= 0:
            raise ValueError(f"latency_us must be positive; got low={self.latency_us.low:g}")
        return self


class Gpu(BaseRecord):
    """One accelerator (data-sheet figures; compute figures are DENSE, without sparsity).

    NVIDIA data sheets print the 2:4-sparsity figure (twice the dense one) with an asterisk: the
    catalog halves it. AMD prints dense and sparse separately: the catalog takes the dense one.
    ``fp4_tflops`` is null where the GPU has no FP4 tensor cores (before Blackwell, CDNA 3);
    ``gpus_per_server`` is the GPUs of one server or board (8 for HGX/OAM boards): tensor
    parallelism stays within one server.
    """

    memory_gb: float = Positive
    bandwidth_gb_s: float = Positive
    bf16_tflops: float = Positive
    int8_tops: float = Positive
    fp8_tflops: float | None = Field(None, gt=0, description="null: no FP8 tensor cores")
    fp4_tflops: float | None = Field(None, gt=0, description="null: no FP4 tensor cores")
    tdp_w: float = Positive
    idle_w: float = NonNegative
    embodied_kgco2e: Range | None = None
    purchase_price_usd: float | None = Field(
        None, gt=0, description="indicative price per GPU; null: no published or reported price"
    )
    form_factor: str = Field(min_length=1)
    interconnect: Interconnect
    gpus_per_server: int = Field(ge=1, le=16, description="GPUs in one server or board")
    gemm_efficiency: Range | None = Field(
        None,
        description="share of the dense peak that measured GEMMs reach on this GPU; null: as the "
        "engine's reference GPU (efficiencies.*.reference_gemm_efficiency)",
    )

    @model_validator(mode="after")
    def _consistent(self) -> Gpu:
        if self.idle_w > self.tdp_w:
            raise ValueError(f"idle_w ({self.idle_w:g}) must not exceed tdp_w ({self.tdp_w:g})")
        for name in ("fp8_tflops", "fp4_tflops", "int8_tops"):
            value = getattr(self, name)
            if value is not None and value < self.bf16_tflops:
                raise ValueError(
                    f"{name} ({value:g}) is below bf16_tflops ({self.bf16_tflops:g}): a lower "
                    "precision never computes slower; check that both figures are dense (a "
                    "sparse bf16 figure is twice the dense one)"
                )
        return self


class OnPremOffer(BaseRecord):
    """Owning the hardware: per-GPU share of a server, its power and its running costs."""

    server_price_usd_per_gpu: float = Positive
    server_power_w_per_gpu: float = NonNegative
    life_years: float = Positive
    operations_usd_per_gpu_month: float = NonNegative
    server_embodied_kgco2e_per_gpu: Range | None = None


class Efficiency(BaseRecord):
    """How much of the data-sheet peaks an inference engine class achieves, and its defaults."""

    bandwidth_efficiency: Range
    mfu_decode: Range
    mfu_prefill: Range
    step_overhead_ms: Range
    interconnect_efficiency: Range
    power_fraction_memory_bound: Range
    power_fraction_compute_bound: Range
    reference_gemm_efficiency: Range
    moe_layer_latency_us: Range | None = Field(
        None,
        description="fixed time of one mixture-of-experts layer per step (routing, permutation, "
        "launches), microseconds; null: not modelled",
    )
    moe_routed_token_ns: Range | None = Field(
        None,
        description="time per routed (token, expert) pair of a MoE layer when its small grouped "
        "GEMMs are dispatch-bound, nanoseconds; null: not modelled",
    )
    token_budget_large_gpu: int = Positive
    token_budget_small_gpu: int = Positive
    max_seqs_large_gpu: int = Positive
    max_seqs_small_gpu: int = Positive
    large_gpu_memory_gb: float = Positive

    @model_validator(mode="after")
    def _fractions(self) -> Efficiency:
        for name in (
            "bandwidth_efficiency",
            "mfu_decode",
            "mfu_prefill",
            "interconnect_efficiency",
            "power_fraction_memory_bound",
            "power_fraction_compute_bound",
        ):
            _fraction(getattr(self, name), name, positive=True)
        for name in ("step_overhead_ms", "moe_layer_latency_us", "moe_routed_token_ns"):
            r = getattr(self, name)
            if r is not None and r.low < 0:
                raise ValueError(f"{name} must be >= 0; got low={r.low:g}")
        return self

    def compute_scale(self, gpu: Any, scenario_pick: Any = None) -> float:
        """How a GPU's measured GEMM efficiency compares with the reference GPU the MFUs were
        measured on (1 when the GPU record gives none)."""
        own = getattr(gpu, "gemm_efficiency", None)
        if own is None:
            return 1.0
        return float(own.value) / float(self.reference_gemm_efficiency.value)

    def token_budget(self, memory_gb: float) -> int:
        """The engine's default token budget per step (max_num_batched_tokens) on a GPU."""
        large = memory_gb >= self.large_gpu_memory_gb
        return self.token_budget_large_gpu if large else self.token_budget_small_gpu

    def max_seqs(self, memory_gb: float) -> int:
        """The engine's default cap on running sequences (max_num_seqs) on a GPU."""
        large = memory_gb >= self.large_gpu_memory_gb
        return self.max_seqs_large_gpu if large else self.max_seqs_small_gpu
