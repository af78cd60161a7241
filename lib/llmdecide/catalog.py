"""The catalog (SPEC §3): validated records read from ``params/catalog/*.yaml``.

Every figure the method uses lives in the catalog, never in code: GPUs, open models, API models,
cloud offers, on-premise costs, regions, engine efficiencies, precision deltas, quantisations,
currency rates, named assumptions and the method settings. Each record carries ``source`` (a URL or
a document reference) and ``retrieved`` (ISO date); an uncertain number is a :class:`Range`.

Layout of the YAML files: each file is a mapping whose top-level keys are record kinds
(``gpus``, ``open_models``, ``api_models``, ``cloud_offers``, ``on_premise``, ``regions``,
``efficiencies``, ``precision_deltas``, ``quantisations``, ``currency_rates``, ``assumptions``,
``method``); a kind lives in exactly one file. ``cloud_offers`` is a list, ``method`` a single
record, every other kind a mapping keyed by name (GPU name, model name, ISO-3 code, ...).

``load(folder=None)`` validates everything and raises one :class:`CatalogError` listing every
problem (file, key path such as ``gpus.L40S.memory_gb``, what is expected). Results are cached per
folder and per file state (name, size, mtime), so an edited file is read again.

API model ids are genai-prices ids (``calc_price(Usage(...), model_ref=id, provider_id=provider)``,
bundled data, no network) that EcoLogits also resolves
(``ecologits.model_repository.models.find_model(ecologits_provider, id)``), both pinned
(genai-prices 0.2.3, EcoLogits 0.11.3); ``tests/test_api_catalog.py`` resolves every id in both,
offline. The catalog's ``mistral-large`` is Mistral Large 3 (``mistral-large-2512``) in both
packages: EcoLogits 0.11.3 does not know Mistral Large 2, which genai-prices maps plain
``mistral-large`` to. How to add a model or refresh after upgrading the packages:
docs/catalog.md, "API models".

``ApiModel.genai_prices_id`` and ``ApiModel.ecologits_id`` are always filled after loading (with
the catalog key when the YAML omits them).
"""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from llmdecide.errors import CatalogError, Problem, did_you_mean

__all__ = [
    "DEFAULT_FOLDER",
    "REASONING_EFFORTS",
    "ApiModel",
    "Assumption",
    "BaseRecord",
    "Catalog",
    "CatalogError",
    "CloudOffer",
    "CurrencyRate",
    "Efficiency",
    "Gpu",
    "Interconnect",
    "MethodSettings",
    "OnPremOffer",
    "OpenModel",
    "PrecisionDelta",
    "Quantisation",
    "Range",
    "Region",
    "load",
]

DEFAULT_FOLDER = Path(__file__).resolve().parents[2] / "params" / "catalog"
ENV_VAR = "LLMDECIDE_CATALOG"

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _LocatingLoader(yaml.SafeLoader):
    """The safe loader, where a scalar that cannot be built becomes a YAML error with its line."""

    def construct_object(self, node: Any, deep: bool = False) -> Any:  # type: ignore[override]
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, TypeError, AttributeError, OverflowError) as exc:
            raise yaml.constructor.ConstructorError(
                None, None, f"{node.value!r} cannot be read ({exc})", node.start_mark
            ) from None


# --------------------------------------------------------------------------------------------
# Records


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Range(_Strict):
    """An uncertain number: central ``value`` with ``low <= value <= high``.

    A bare number means no spread (``low == high == value``); a mapping may omit ``low`` or
    ``high`` (each then equals ``value``).
    """

    value: float
    low: float
    high: float

    @model_validator(mode="before")
    @classmethod
    def _from_number(cls, data: Any) -> Any:
        if isinstance(data, bool):
            return data  # let pydantic reject it
        if isinstance(data, int | float):
            return {"value": data, "low": data, "high": data}
        if isinstance(data, dict) and "value" in data:
            data = dict(data)
            data.setdefault("low", data["value"])
            data.setdefault("high", data["value"])
        return data

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if not (self.low <= self.value <= self.high):
            raise ValueError(
                f"a range needs low <= value <= high, got low={self.low:g}, "
                f"value={self.value:g}, high={self.high:g}"
            )
        return self

    @property
    def spread(self) -> float:
        return self.high - self.low

    def scaled(self, factor: float) -> Range:
        """The same range multiplied by a positive factor."""
        values = sorted((self.low * factor, self.high * factor))
        return Range(value=self.value * factor, low=values[0], high=values[1])


class BaseRecord(_Strict):
    """What every record has: where the figures come from and when they were read."""

    source: str = Field(min_length=1, description="URL or document reference")
    retrieved: date = Field(description="ISO date the source was read")
    note: str | None = Field(None, description="estimate / proxy / conversion remarks")

    @field_validator("source")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("source must name a URL or a document, not be blank")
        return value.strip()


Positive = Field(gt=0)
NonNegative = Field(ge=0)


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


Effort = Literal["none", "low", "medium", "high"]


class OpenModel(BaseRecord):
    """An open-weight model (config.json / model card figures).

    Attention: ``gqa`` (MHA is GQA with ``kv_heads == attention_heads``) needs ``kv_heads`` and
    ``head_dim``; ``mla`` (multi-head latent attention, DeepSeek) needs ``kv_lora_rank`` and
    ``qk_rope_head_dim``. ``sliding_window_layers`` of the ``layers`` attend only to the last
    ``sliding_window`` tokens. Mixture of experts: ``expert_params_b`` is the parameters of ALL
    routed experts of all layers together; ``params_b - expert_params_b`` is read at every
    decode step, the experts only as routed (``experts_per_token`` of ``experts`` per layer).
    ``accuracy_proxy`` null means no published figure: the precision is unknown, never invented.
    """

    hf_id: str = Field(min_length=1)
    params_b: float = Positive
    active_params_b: float = Positive
    layers: int = Positive
    hidden_size: int = Positive
    attention_heads: int = Field(gt=0, description="query heads")
    attention: Literal["gqa", "mla"] = "gqa"
    kv_heads: int | None = Field(None, gt=0)
    head_dim: int | None = Field(None, gt=0)
    kv_lora_rank: int | None = Field(None, gt=0, description="MLA latent rank")
    qk_rope_head_dim: int | None = Field(None, gt=0, description="MLA decoupled RoPE key dim")
    sliding_window: int | None = Field(None, gt=0, description="tokens a sliding layer sees")
    sliding_window_layers: int = Field(0, ge=0, description="layers using the sliding window")
    experts: int | None = Field(None, gt=0, description="routed experts per MoE layer")
    experts_per_token: int | None = Field(None, gt=0)
    expert_params_b: float | None = Field(None, gt=0, description="all routed experts, billions")
    context_tokens: int = Positive
    licence: str = Field(min_length=1)
    reasoning: bool = False
    accuracy_proxy: Range | None = None
    accuracy_benchmark: str | None = Field(None, min_length=1)
    accuracy_by_effort: dict[Effort, Range] | None = None
    reasoning_efforts: list[Effort] = Field(
        default_factory=list, description="efforts the model card documents (empty: unstated)"
    )
    reasoning_tokens: dict[Effort, Range] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> OpenModel:
        if self.active_params_b > self.params_b:
            raise ValueError(
                f"active_params_b ({self.active_params_b:g}) must not exceed params_b "
                f"({self.params_b:g})"
            )
        has_figure = self.accuracy_proxy is not None or bool(self.accuracy_by_effort)
        if has_figure != (self.accuracy_benchmark is not None):
            raise ValueError(
                "accuracy_proxy (or accuracy_by_effort) and accuracy_benchmark go together: "
                "give a published figure and its benchmark, or neither (precision unknown)"
            )
        if self.accuracy_proxy is not None:
            _fraction(self.accuracy_proxy, "accuracy_proxy")
        for effort, r in (self.accuracy_by_effort or {}).items():
            _fraction(r, f"accuracy_by_effort.{effort}")
        if (
            self.accuracy_by_effort or self.reasoning_tokens or self.reasoning_efforts
        ) and not self.reasoning:
            raise ValueError(
                "accuracy_by_effort, reasoning_efforts and reasoning_tokens need reasoning: true"
            )
        listed = set(self.reasoning_efforts)
        for key in ("accuracy_by_effort", "reasoning_tokens"):
            extra = set(getattr(self, key) or {}) - listed if listed else set()
            if extra:
                raise ValueError(
                    f"{key} has {', '.join(sorted(extra))}, not in reasoning_efforts "
                    f"({', '.join(self.reasoning_efforts)}): list the effort or remove it"
                )
        for effort, tokens in (self.reasoning_tokens or {}).items():
            if tokens.low < 0:
                raise ValueError(f"reasoning_tokens.{effort} must not be negative")
        self._check_attention()
        self._check_experts()
        return self

    def _check_attention(self) -> None:
        if self.attention == "gqa":
            if self.kv_heads is None or self.head_dim is None:
                raise ValueError(
                    "attention gqa needs kv_heads and head_dim (config.json "
                    "num_key_value_heads and head_dim, or hidden_size / num_attention_heads)"
                )
            if self.kv_heads > self.attention_heads:
                raise ValueError(
                    f"kv_heads ({self.kv_heads}) must not exceed attention_heads "
                    f"({self.attention_heads})"
                )
        elif self.kv_lora_rank is None or self.qk_rope_head_dim is None:
            raise ValueError(
                "attention mla needs kv_lora_rank and qk_rope_head_dim (config.json keys of "
                "the same names)"
            )
        if self.sliding_window_layers > self.layers:
            raise ValueError(
                f"sliding_window_layers ({self.sliding_window_layers}) must not exceed layers "
                f"({self.layers})"
            )
        if self.sliding_window_layers and self.sliding_window is None:
            raise ValueError("sliding_window_layers > 0 needs sliding_window (tokens)")

    def _check_experts(self) -> None:
        given = [self.experts, self.experts_per_token, self.expert_params_b]
        if any(v is not None for v in given) and any(v is None for v in given):
            raise ValueError(
                "a mixture of experts gives experts, experts_per_token and expert_params_b "
                "together (a dense model gives none of them)"
            )
        if self.experts is None or self.experts_per_token is None:
            return
        if self.experts_per_token > self.experts:
            raise ValueError(
                f"experts_per_token ({self.experts_per_token}) must not exceed experts "
                f"({self.experts})"
            )
        if self.expert_params_b is not None and self.expert_params_b >= self.params_b:
            raise ValueError(
                f"expert_params_b ({self.expert_params_b:g}) must be below params_b "
                f"({self.params_b:g}): attention and embeddings are not experts"
            )

    @property
    def kv_elements_per_token_layer(self) -> int:
        """Cached elements per token and layer: 2 × kv_heads × head_dim (K and V) for GQA;
        kv_lora_rank + qk_rope_head_dim (one latent shared by K and V, plus the decoupled RoPE
        key) for MLA (DeepSeek-V2 paper, arXiv:2405.04434, section 2.1.2)."""
        if self.attention == "mla":
            assert self.kv_lora_rank is not None and self.qk_rope_head_dim is not None
            return self.kv_lora_rank + self.qk_rope_head_dim
        assert self.kv_heads is not None and self.head_dim is not None
        return 2 * self.kv_heads * self.head_dim

    @property
    def full_attention_layers(self) -> int:
        """Layers whose cache grows with the context (every layer but the sliding ones)."""
        return self.layers - self.sliding_window_layers

    @property
    def kv_bytes_per_token_fp16(self) -> int:
        """KV-cache bytes each further context token adds, at 2 bytes per element:
        ``full_attention_layers × kv_elements_per_token_layer × 2``.

        GQA: 2 (K and V) × kv_heads × head_dim per layer; MLA: kv_lora_rank + qk_rope_head_dim
        per layer. Sliding-window layers are left out: their cache stops growing at
        ``sliding_window`` tokens (see ``kv_window_bytes_fp16`` and ``kv_cache_bytes_fp16``).
        For a model without sliding layers this is the classic
        2 × layers × kv_heads × head_dim × 2 bytes.
        """
        return self.full_attention_layers * self.kv_elements_per_token_layer * 2

    @property
    def kv_window_bytes_fp16(self) -> int:
        """Bytes of the sliding-window layers' cache once full, per sequence, at 2 bytes per
        element: ``sliding_window_layers × sliding_window × kv_elements_per_token_layer × 2``."""
        if not self.sliding_window_layers or self.sliding_window is None:
            return 0
        return (
            self.sliding_window_layers * self.sliding_window * self.kv_elements_per_token_layer * 2
        )

    def kv_cache_bytes_fp16(self, context_tokens: int) -> int:
        """KV-cache bytes of one sequence of ``context_tokens`` at 2 bytes per element:
        full layers × tokens + sliding layers × min(tokens, window), each × elements × 2."""
        per_layer_token = self.kv_elements_per_token_layer * 2
        window = min(context_tokens, self.sliding_window or 0)
        return per_layer_token * (
            self.full_attention_layers * context_tokens + self.sliding_window_layers * window
        )


ReasoningEffort = Literal["none", "low", "medium", "high"]
TokenEffort = Literal["low", "medium", "high"]
REASONING_EFFORTS: tuple[str, ...] = ("none", "low", "medium", "high")


class ApiModel(BaseRecord):
    """A third-party API model; prices come from genai-prices, footprints from EcoLogits.

    Reasoning: ``reasoning_efforts`` lists the efforts the provider accepts (our scale: none,
    low, medium, high); ``reasoning_tokens`` gives, for each accepted effort except ``none``
    (0 tokens by definition), the hidden reasoning tokens per request as a range, or null when
    no figure is published (the effort's cost is then unknown). A non-reasoning model has
    ``reasoning: false``, no efforts and ``reasoning_tokens: null``.

    Precision: ``accuracy_proxy`` only where a figure is published (``accuracy_benchmark`` names
    it); null means unknown, never an invented figure.
    """

    provider: str = Field(min_length=1, description="genai-prices provider id")
    ecologits_provider: str = Field(min_length=1, description="EcoLogits provider id")
    genai_prices_id: str | None = Field(None, description="default: the catalog key")
    ecologits_id: str | None = Field(None, description="default: the catalog key")
    context_tokens: int = Field(gt=0, description="context window: prompt + output tokens")
    reasoning: bool = False
    reasoning_efforts: list[ReasoningEffort] = Field(default_factory=list)
    reasoning_tokens: dict[TokenEffort, Range | None] | None = Field(
        None, description="hidden reasoning tokens per request, by effort; null value: unknown"
    )
    accuracy_proxy: Range | None = Field(None, description="null: no published figure")
    accuracy_benchmark: str | None = Field(None, min_length=1)
    accuracy_by_effort: dict[ReasoningEffort, Range] | None = None
    ttft_s: Range | None = None
    output_tokens_per_s: Range | None = None
    confidential_ok: bool = False

    @model_validator(mode="after")
    def _consistent(self) -> ApiModel:
        if self.accuracy_proxy is not None:
            _fraction(self.accuracy_proxy, "accuracy_proxy")
        if (self.accuracy_proxy is None) != (self.accuracy_benchmark is None):
            raise ValueError(
                "accuracy_proxy and accuracy_benchmark go together: give both (a published "
                "figure and its benchmark) or neither (precision unknown)"
            )
        if len(set(self.reasoning_efforts)) != len(self.reasoning_efforts):
            raise ValueError("reasoning_efforts must not repeat an effort")
        if not self.reasoning:
            if self.reasoning_efforts or self.reasoning_tokens or self.accuracy_by_effort:
                raise ValueError(
                    "a model with reasoning: false has no reasoning_efforts, reasoning_tokens "
                    "or accuracy_by_effort; set reasoning: true or remove them"
                )
            return self
        if not self.reasoning_efforts:
            raise ValueError("a reasoning model lists the reasoning_efforts it accepts")
        expected = {e for e in self.reasoning_efforts if e != "none"}
        given = set(self.reasoning_tokens or {})
        if self.reasoning_tokens is None or given != expected:
            raise ValueError(
                f"reasoning_tokens needs exactly the accepted efforts other than none "
                f"({', '.join(sorted(expected)) or 'none'}), each a range or null (unknown); "
                f"got {', '.join(sorted(given)) or 'nothing'}"
            )
        for effort, tokens in self.reasoning_tokens.items():
            if tokens is not None and tokens.low < 0:
                raise ValueError(f"reasoning_tokens.{effort} must not be negative")
        for by_effort, acc in (self.accuracy_by_effort or {}).items():
            if by_effort not in self.reasoning_efforts:
                raise ValueError(f"accuracy_by_effort.{by_effort} is not an accepted effort")
            _fraction(acc, f"accuracy_by_effort.{by_effort}")
        return self

    def reasoning_tokens_for(self, effort: str) -> Range | None:
        """Hidden reasoning tokens per request at ``effort``.

        A non-reasoning model ignores the option (0 tokens); a reasoning model gives 0 for
        ``none`` where it accepts it, the catalog range otherwise, and ``None`` when it does not
        accept the effort or no figure is published (unknown: the effort cannot be costed).
        """
        zero = Range(value=0, low=0, high=0)
        if not self.reasoning:
            return zero
        if effort not in self.reasoning_efforts:
            return None
        if effort == "none":
            return zero
        tokens = self.reasoning_tokens or {}
        return next((r for e, r in tokens.items() if e == effort), None)


Commitment = Literal["on_demand", "1y", "3y"]


class CloudOffer(BaseRecord):
    """A price per GPU-hour from a public price page: on demand, and the 1-year / 3-year
    commitment prices where the offer publishes them (null: not published)."""

    provider: str = Field(min_length=1)
    gpu: str = Field(min_length=1)
    price_per_gpu_hour_usd: float = Field(gt=0, description="on demand")
    price_per_gpu_hour_usd_1y: float | None = Field(None, gt=0, description="1-year commitment")
    price_per_gpu_hour_usd_3y: float | None = Field(None, gt=0, description="3-year commitment")
    regions: list[str] = Field(default_factory=list, description="ISO-3; empty = any")
    setup_cost_usd: float = Field(0.0, ge=0)
    instance: str | None = None
    gpus_per_instance: int = Field(1, gt=0)

    @field_validator("regions")
    @classmethod
    def _iso3(cls, value: list[str]) -> list[str]:
        for code in value:
            if not (len(code) == 3 and code.isalpha() and code.isupper()):
                raise ValueError(f"regions are ISO-3 codes in capitals (FRA, USA); got {code!r}")
        return value

    @model_validator(mode="after")
    def _commitment_never_dearer(self) -> CloudOffer:
        on_demand, one, three = (
            self.price_per_gpu_hour_usd,
            self.price_per_gpu_hour_usd_1y,
            self.price_per_gpu_hour_usd_3y,
        )
        if one is not None and one > on_demand:
            raise ValueError(
                f"price_per_gpu_hour_usd_1y ({one:g}) must not exceed the on-demand "
                f"price_per_gpu_hour_usd ({on_demand:g}): a commitment never raises the price"
            )
        longest_shorter = one if one is not None else on_demand
        if three is not None and three > longest_shorter:
            raise ValueError(
                f"price_per_gpu_hour_usd_3y ({three:g}) must not exceed the 1-year or on-demand "
                f"price ({longest_shorter:g}): a longer commitment never raises the price"
            )
        return self

    def price_usd(self, commitment: Commitment = "on_demand") -> float | None:
        """Price per GPU-hour for ``commitment`` (on_demand, 1y, 3y); ``None`` if unpublished."""
        return {
            "on_demand": self.price_per_gpu_hour_usd,
            "1y": self.price_per_gpu_hour_usd_1y,
            "3y": self.price_per_gpu_hour_usd_3y,
        }[commitment]


class OnPremOffer(BaseRecord):
    """Owning the hardware: per-GPU share of a server, its power and its running costs."""

    server_price_usd_per_gpu: float = Positive
    server_power_w_per_gpu: float = NonNegative
    life_years: float = Positive
    operations_usd_per_gpu_month: float = NonNegative
    server_embodied_kgco2e_per_gpu: Range | None = None


class Region(BaseRecord):
    """A country (ISO-3 key) where a configuration may run."""

    name: str = Field(min_length=1)
    electricity_price_usd_per_kwh: float = Positive
    cloud_price_factor: float = Field(1.0, gt=0)
    pue: float | None = Field(None, ge=1.0, description="null: assumption pue_default")


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


class PrecisionDelta(BaseRecord):
    """An accuracy adjustment (fraction; negative = loss) for an optimisation or an option."""

    delta: Range
    applies_to: str = Field(min_length=1)


class Quantisation(BaseRecord):
    """Storage bits of the weights, the compute path, and the quantised kernels' measured
    batch-1 speed-up on streaming the weights (vs 16-bit)."""

    bits: Literal[16, 8, 4]
    compute: Literal["bf16", "fp8", "int8", "fp4"]
    decode_speedup_batch1: Range
    compute_efficiency_vs_bf16: Range | None = Field(
        None,
        description="share of its dense peak the compute path's GEMMs reach, relative to the "
        "share bf16 GEMMs reach on the same GPU (measured); null: unknown, taken as 1",
    )

    @model_validator(mode="after")
    def _speedup(self) -> Quantisation:
        if self.compute_efficiency_vs_bf16 is not None:
            _fraction(self.compute_efficiency_vs_bf16, "compute_efficiency_vs_bf16", positive=True)
        ideal = 16 / self.bits
        if self.decode_speedup_batch1.low < 1 or self.decode_speedup_batch1.high > ideal:
            raise ValueError(
                f"decode_speedup_batch1 must lie in [1, {ideal:g}] (16 / bits), got "
                f"{self.decode_speedup_batch1.low:g}..{self.decode_speedup_batch1.high:g}"
            )
        return self


class CurrencyRate(BaseRecord):
    usd_per_unit: float = Positive
    date: date


class Assumption(BaseRecord):
    """A named method input with its unit and source."""

    value: Range
    unit: str = Field(min_length=1)


class MethodSettings(BaseRecord):
    """Method choices (not measured figures); documented in docs/method.md."""

    saturation_performance: float = Positive
    saturation_precision: float = Positive
    saturation_cost: float = Positive
    saturation_carbon: float = Positive
    monte_carlo_samples: int = Positive
    monte_carlo_seed: int = NonNegative
    winner_map_steps: int = Positive
    peak_window_s: float = Positive
    peak_quantile: float = Field(
        0.99,
        gt=0,
        le=1,
        description="a usage log's sizing peak: this quantile of its peak_window_s tumbling-window rates",
    )
    active_hour_share: float = Field(
        gt=0,
        le=1,
        description="a usage log's hour of the day is active when its volume is at least this "
        "share of the busiest hour's",
    )
    calibration_min_requests: int = Field(
        ge=1, description="requests with a measured latency a pilot fit needs at least"
    )
    break_even_volume_factors: list[float] = Field(
        min_length=2,
        description="multiples of the client's requests per day at which API and self-hosting "
        "are costed for the break-even (increasing, 1.0 included)",
    )
    break_even_candidates: int = Field(
        ge=1, description="cheapest configurations per side re-sized at every break-even volume"
    )
    ahp_consistency_threshold: float = Field(0.1, gt=0)
    max_peak_utilisation: float = Field(
        gt=0, lt=1, description="highest share of a replica's binding resource used at peak"
    )
    latency_quantile: float = Field(gt=0.5, lt=1, description="quantile of the latency limits")
    batch_caps_per_replica: list[int] = Field(
        min_length=1, description="max_num_seqs values the sizing search considers"
    )
    prices_as_of: date = Field(description="date at which genai-prices prices are looked up")
    usage_uncertainty_hypothesis: float = Field(ge=0, lt=1, description="± share on hypotheses")
    usage_uncertainty_measured: float = Field(ge=0, lt=1, description="± share on measured usage")
    evaluation_confidence: float = Field(
        0.95, gt=0, lt=1, description="confidence level of a client evaluation's interval"
    )
    stale_after_months: int = Field(
        12, ge=1, le=120, description="a record retrieved longer ago than this is stale"
    )
    min_probability_meets_limits: float = Field(
        ge=0,
        le=1,
        description="a recommendation must meet every limit in at least this share of the Monte "
        "Carlo scenarios, else it is called fragile (a probability: 0 <= x <= 1)",
    )

    @field_validator("break_even_volume_factors")
    @classmethod
    def _factors_around_one(cls, value: list[float]) -> list[float]:
        if any(f <= 0 for f in value) or value != sorted(set(value)) or 1.0 not in value:
            raise ValueError(
                "break_even_volume_factors must be positive, increasing, without repeats, and "
                "include 1.0 (the client's own volume)"
            )
        return value

    @field_validator("batch_caps_per_replica")
    @classmethod
    def _positive_sorted(cls, value: list[int]) -> list[int]:
        if any(b <= 0 for b in value) or value != sorted(set(value)):
            raise ValueError(
                "batch_caps_per_replica must be positive, increasing and without repeats"
            )
        return value


def _fraction(r: Range, name: str, *, positive: bool = False) -> None:
    lowest = 0.0
    if r.low < lowest or r.high > 1.0 or (positive and r.low <= 0):
        bound = "0 < x <= 1" if positive else "0 <= x <= 1"
        raise ValueError(f"{name} is a fraction ({bound}); got low={r.low:g}, high={r.high:g}")


# --------------------------------------------------------------------------------------------
# The catalog


_KEYED: dict[str, type[BaseRecord]] = {
    "gpus": Gpu,
    "open_models": OpenModel,
    "api_models": ApiModel,
    "on_premise": OnPremOffer,
    "regions": Region,
    "efficiencies": Efficiency,
    "precision_deltas": PrecisionDelta,
    "quantisations": Quantisation,
    "currency_rates": CurrencyRate,
    "assumptions": Assumption,
}
KINDS: tuple[str, ...] = (*_KEYED, "cloud_offers", "method")

REQUIRED: dict[str, tuple[str, ...]] = {
    "quantisations": ("fp16", "int8", "int4"),
    "precision_deltas": ("int8", "int4", "fp8", "rag", "user_uploads", "structured", "multimodal"),
    "currency_rates": ("USD", "EUR"),
    "efficiencies": ("vllm",),
    "assumptions": (
        "network_rtt_s",
        "rag_chunks",
        "rag_tokens_per_chunk",
        "retrieval_latency_s",
        "vector_store_usd_per_gb_month",
        "embedding_usd_per_million_tokens",
        "pue_default",
        "hours_per_month",
        "days_per_month",
        "kv_memory_headroom",
        "queueing_factor",
        "setup_cost_self_hosted_usd",
        "setup_cost_api_usd",
        "api_batch_window_h",
        "contract_intensity_g_per_kwh",
        "api_ttft_s",
        "api_output_tokens_per_s",
        "tokens_per_gb_documents",
        "min_replicas_off_hours",
        "api_prompt_cache_hit_rate",
        "prefix_cache_hit_rate",
    ),
}


@dataclass(frozen=True, eq=False)
class Catalog:
    """All catalog records; dicts keyed by name (treat them as read-only: the object is cached)."""

    gpus: dict[str, Gpu]
    open_models: dict[str, OpenModel]
    api_models: dict[str, ApiModel]
    cloud_offers: list[CloudOffer]
    on_premise: dict[str, OnPremOffer]
    regions: dict[str, Region]
    efficiencies: dict[str, Efficiency]
    precision_deltas: dict[str, PrecisionDelta]
    quantisations: dict[str, Quantisation]
    currency_rates: dict[str, CurrencyRate]
    assumptions: dict[str, Assumption]
    method: dict[str, Any]
    method_record: MethodSettings
    folder: Path
    sha256: str
    files: dict[str, str] = field(default_factory=dict)  # kind -> file name

    # -- lookups ------------------------------------------------------------------------------

    def _lookup(self, kind: str, name: str, what: str = "") -> Any:
        table: dict[str, Any] = getattr(self, kind)
        if name in table:
            return table[name]
        lowered = {k.lower(): k for k in table}
        hint = (
            f" Did you mean {lowered[name.lower()]}?"
            if name.lower() in lowered
            else did_you_mean(name, table)
        )
        raise CatalogError(
            Problem(
                self._file(kind),
                f"{kind}.{name}",
                f"{name!r} is not in the catalog{what}.{hint} Known: {', '.join(table)}.",
            )
        )

    def _file(self, kind: str) -> str:
        return _display(self.folder / self.files.get(kind, f"{kind}.yaml"))

    def assumption(self, name: str) -> Assumption:
        return self._lookup("assumptions", name, " of assumptions")

    def gpu(self, name: str) -> Gpu:
        return self._lookup("gpus", name, " of GPUs")

    def open_model(self, name: str) -> OpenModel:
        return self._lookup("open_models", name, " of open models")

    def api_model(self, name: str) -> ApiModel:
        return self._lookup("api_models", name, " of API models")

    def region(self, iso3: str) -> Region:
        return self._lookup("regions", iso3, " of regions")

    def on_premise_offer(self, gpu: str) -> OnPremOffer:
        return self._lookup("on_premise", gpu, " of on-premise offers")

    def efficiency(self, engine: str = "vllm") -> Efficiency:
        return self._lookup("efficiencies", engine, " of efficiencies")

    def precision_delta(self, name: str) -> PrecisionDelta:
        return self._lookup("precision_deltas", name, " of precision deltas")

    def quantisation(self, name: str) -> Quantisation:
        return self._lookup("quantisations", name, " of quantisations")

    def offers_for(self, gpu: str, region: str) -> list[CloudOffer]:
        """Cloud offers of ``gpu`` usable in ``region`` (ISO-3), cheapest first.

        Prices are as published (not multiplied by the region's ``cloud_price_factor``).
        """
        found = [
            o for o in self.cloud_offers if o.gpu == gpu and (not o.regions or region in o.regions)
        ]
        return sorted(found, key=lambda o: (o.price_per_gpu_hour_usd, o.provider))

    def usd_per(self, currency: str) -> float:
        """US dollars per one unit of ``currency`` (ECB reference rate)."""
        return self._lookup("currency_rates", currency.upper(), " of currency rates").usd_per_unit

    def pue(self, iso3: str) -> float:
        """The region's PUE, or the catalog default (``pue_default``)."""
        region = self.region(iso3)
        if region.pue is not None:
            return region.pue
        return self.assumption("pue_default").value.value

    def records(self) -> list[tuple[str, str, BaseRecord]]:
        """(kind, name, record) for every record, in catalog order (for the sources appendix)."""
        out: list[tuple[str, str, BaseRecord]] = []
        for kind in _KEYED:
            out.extend((kind, name, rec) for name, rec in getattr(self, kind).items())
        out.extend(("cloud_offers", _offer_name(o), o) for o in self.cloud_offers)
        out.append(("method", "method", self.method_record))
        return out


def _offer_name(offer: CloudOffer) -> str:
    """``provider instance (regions)``: one price per region set, so the regions tell apart
    the records of one instance sold at different regional prices."""
    base = f"{offer.provider} {offer.instance or offer.gpu}"
    return f"{base} ({', '.join(offer.regions)})" if offer.regions else base


# --------------------------------------------------------------------------------------------
# Loading


def load(folder: Path | str | None = None) -> Catalog:
    """The validated catalog of ``folder`` (default: $LLMDECIDE_CATALOG, else params/catalog).

    Cached per folder and file state; raises ``CatalogError`` listing every problem.
    """
    if folder is None:
        folder = os.environ.get(ENV_VAR) or DEFAULT_FOLDER
    resolved = Path(folder).expanduser().resolve()
    if not resolved.is_dir():
        raise CatalogError(
            Problem(
                _display(resolved),
                "",
                f"the catalog folder does not exist; create it with the *.yaml files or set "
                f"{ENV_VAR} to the folder that holds them",
            )
        )
    files = sorted(resolved.glob("*.yaml"))
    state = tuple((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in files)
    return _load_cached(resolved, state)


def clear_cache() -> None:
    _load_cached.cache_clear()


@functools.lru_cache(maxsize=16)
def _load_cached(folder: Path, state: tuple[tuple[str, int, int], ...]) -> Catalog:
    return _load(folder, [folder / name for name, _, _ in state])


def _display(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _load(folder: Path, paths: list[Path]) -> Catalog:
    problems: list[Problem] = []
    if not paths:
        raise CatalogError(
            Problem(_display(folder), "", "no *.yaml file: the catalog needs its record files")
        )
    digest = hashlib.sha256()
    raw: dict[str, tuple[Path, Any]] = {}
    for path in paths:
        data_bytes = path.read_bytes()
        digest.update(path.name.encode() + b"\0" + data_bytes + b"\0")
        file = _display(path)
        try:
            # safe loading: _Loader is yaml.CSafeLoader (or yaml.SafeLoader without libyaml)
            try:
                data = yaml.load(data_bytes, Loader=_Loader)
            except (ValueError, TypeError, AttributeError, OverflowError):
                # a scalar YAML types but Python cannot build (2026-02-30): read again, slower,
                # to say on which line
                data = yaml.load(data_bytes, Loader=_LocatingLoader)
        except RecursionError:
            problems.append(Problem(file, "", "valid YAML is expected (nested too deep)"))
            continue
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"line {mark.line + 1}" if mark is not None else ""
            detail = getattr(exc, "problem", None) or str(exc).splitlines()[0]  # one line
            problems.append(Problem(file, where, f"valid YAML is expected ({detail})"))
            continue
        if data is None:
            continue
        if not isinstance(data, dict):
            problems.append(Problem(file, "", "a mapping of record kinds is expected"))
            continue
        for kind, body in data.items():
            if kind not in KINDS:
                problems.append(
                    Problem(
                        file,
                        str(kind),
                        f"unknown record kind.{did_you_mean(str(kind), KINDS)} "
                        f"Known: {', '.join(KINDS)}.",
                    )
                )
            elif kind in raw:
                problems.append(
                    Problem(file, kind, f"{kind} is already defined in {_display(raw[kind][0])}")
                )
            else:
                raw[kind] = (path, body)

    tables: dict[str, Any] = {}
    files: dict[str, str] = {}
    for kind in KINDS:
        if kind not in raw:
            problems.append(Problem(_display(folder), kind, f"the record kind {kind} is missing"))
            continue
        path, body = raw[kind]
        files[kind] = path.name
        file = _display(path)
        if kind == "cloud_offers":
            tables[kind] = _validate_list(file, kind, body, CloudOffer, problems)
        elif kind == "method":
            tables[kind] = _validate_one(file, kind, body, MethodSettings, problems)
        else:
            tables[kind] = _validate_keyed(file, kind, body, _KEYED[kind], problems)

    if not problems:
        _cross_check(tables, files, folder, problems)
    if problems:
        raise CatalogError(problems)

    api = {
        name: rec.model_copy(
            update={
                "genai_prices_id": rec.genai_prices_id or name,
                "ecologits_id": rec.ecologits_id or name,
            }
        )
        for name, rec in tables["api_models"].items()
    }
    method_record: MethodSettings = tables["method"]
    method = method_record.model_dump(exclude={"source", "retrieved", "note"})
    return Catalog(
        gpus=tables["gpus"],
        open_models=tables["open_models"],
        api_models=api,
        cloud_offers=tables["cloud_offers"],
        on_premise=tables["on_premise"],
        regions=tables["regions"],
        efficiencies=tables["efficiencies"],
        precision_deltas=tables["precision_deltas"],
        quantisations=tables["quantisations"],
        currency_rates=tables["currency_rates"],
        assumptions=tables["assumptions"],
        method=method,
        method_record=method_record,
        folder=folder,
        sha256=digest.hexdigest(),
        files=files,
    )


_PROVENANCE = {
    "source": (
        "required: every record says where its figures come from; add source: <URL or "
        "document reference> (say 'secondary' in note when it is not the primary source)"
    ),
    "retrieved": "required: add retrieved: <ISO date the source was read, e.g. 2026-12-01>",
}


def _errors(file: str, prefix: str, exc: ValidationError) -> Iterator[Problem]:
    for err in exc.errors(include_url=False):
        loc = [str(p) for p in err["loc"] if p not in ("function-after", "function-before")]
        # pydantic puts union/model-validator tags in loc; keep field names only
        loc = [p for p in loc if not p.startswith(("float", "int", "Range", "none", "list["))]
        key_path = ".".join([prefix, *loc])
        msg = err["msg"]
        if err["type"] == "missing" and loc and loc[-1] in _PROVENANCE:
            msg = _PROVENANCE[loc[-1]]
        elif err["type"] == "missing":
            msg = "this field is required"
        elif err["type"] == "extra_forbidden":
            msg = "unknown field (check the spelling; units belong in the key name)"
        elif msg.startswith("Value error, "):
            msg = msg.removeprefix("Value error, ")
        given = err.get("input")
        if err["type"] not in ("missing", "extra_forbidden") and not isinstance(given, dict):
            msg = f"{msg} (got {given!r})"
        yield Problem(file, key_path, msg)


def _validate_one(
    file: str, key_path: str, body: Any, model: type[BaseRecord], problems: list[Problem]
) -> Any:
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        problems.extend(_errors(file, key_path, exc))
        return None


def _validate_keyed(
    file: str, kind: str, body: Any, model: type[BaseRecord], problems: list[Problem]
) -> dict[str, Any]:
    if not isinstance(body, dict) or not body:
        problems.append(Problem(file, kind, f"a non-empty mapping of name -> {model.__name__}"))
        return {}
    out: dict[str, Any] = {}
    for name, record in body.items():
        rec = _validate_one(file, f"{kind}.{name}", record, model, problems)
        if rec is not None:
            out[str(name)] = rec
    return out


def _validate_list(
    file: str, kind: str, body: Any, model: type[BaseRecord], problems: list[Problem]
) -> list[Any]:
    if not isinstance(body, list) or not body:
        problems.append(Problem(file, kind, f"a non-empty list of {model.__name__} records"))
        return []
    out = []
    for i, record in enumerate(body):
        rec = _validate_one(file, f"{kind}[{i}]", record, model, problems)
        if rec is not None:
            out.append(rec)
    return out


def _cross_check(
    tables: dict[str, Any], files: dict[str, str], folder: Path, problems: list[Problem]
) -> None:
    def file(kind: str) -> str:
        return _display(folder / files[kind])

    for kind, names in REQUIRED.items():
        for name in names:
            if name not in tables[kind]:
                problems.append(Problem(file(kind), f"{kind}.{name}", "this record is required"))
    gpus, regions = tables["gpus"], tables["regions"]
    for iso3 in regions:
        if not (len(iso3) == 3 and iso3.isalpha() and iso3.isupper()):
            problems.append(
                Problem(file("regions"), f"regions.{iso3}", "keys are ISO-3 codes (FRA, USA)")
            )
    for i, offer in enumerate(tables["cloud_offers"]):
        if offer.gpu not in gpus:
            problems.append(
                Problem(
                    file("cloud_offers"),
                    f"cloud_offers[{i}].gpu",
                    f"{offer.gpu!r} is not in gpus.{did_you_mean(offer.gpu, gpus)}",
                )
            )
        for j, code in enumerate(offer.regions):
            if code not in regions:
                problems.append(
                    Problem(
                        file("cloud_offers"),
                        f"cloud_offers[{i}].regions[{j}]",
                        f"{code!r} is not in regions.{did_you_mean(code, regions)}",
                    )
                )
    for name in tables["on_premise"]:
        if name not in gpus:
            problems.append(
                Problem(
                    file("on_premise"),
                    f"on_premise.{name}",
                    f"keys are GPU names; {name!r} is not in gpus.{did_you_mean(name, gpus)}",
                )
            )
    for name in gpus:
        if (
            not any(o.gpu == name for o in tables["cloud_offers"])
            and name not in tables["on_premise"]
        ):
            problems.append(
                Problem(
                    file("gpus"),
                    f"gpus.{name}",
                    "a GPU needs at least one cloud offer or an on_premise record",
                )
            )
    overlap = set(tables["open_models"]) & set(tables["api_models"])
    for name in sorted(overlap):
        problems.append(
            Problem(
                file("api_models"),
                f"api_models.{name}",
                "this name is also an open model; give the API model another key",
            )
        )
    usd = tables["currency_rates"].get("USD")
    if usd is not None and usd.usd_per_unit != 1.0:
        problems.append(
            Problem(file("currency_rates"), "currency_rates.USD.usd_per_unit", "must be 1")
        )
