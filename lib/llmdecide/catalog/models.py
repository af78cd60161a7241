"""Model records: open-weight models (config.json figures, KV-cache sizes) and API models
(genai-prices and EcoLogits ids, reasoning efforts and tokens, published accuracy)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from llmdecide.catalog.records import BaseRecord, Positive, Range, _fraction

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
    it); null means unknown, never an invented figure. ``accuracy_by_effort`` gives the
    published figure at an accepted effort; the precision step uses it for a configuration at
    that effort and falls back to ``accuracy_proxy`` (possibly unknown) at the other efforts.
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
        has_figure = self.accuracy_proxy is not None or bool(self.accuracy_by_effort)
        if has_figure != (self.accuracy_benchmark is not None):
            raise ValueError(
                "accuracy_proxy (or accuracy_by_effort) and accuracy_benchmark go together: "
                "give a published figure and its benchmark, or neither (precision unknown)"
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
