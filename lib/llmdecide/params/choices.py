"""``constraints`` and ``options``: the hard constraints and the candidates of each technical
choice.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BeforeValidator,
    Field,
    ValidationInfo,
    field_validator,
)

from llmdecide.columns import Hosting
from llmdecide.params.fields import (
    Integer,
    Iso3,
    Name,
    Number,
    _as_list,
    _dedupe,
    _no_bool,
    _one_or_many,
    _Section,
)


class Constraints(_Section):
    """Hard constraints on every configuration."""

    confidential_data: bool = Field(description="true excludes third-party APIs")
    regions: list[Iso3] = Field(
        min_length=1, description="ISO-3 countries where the application may run"
    )
    max_setup_cost: Annotated[float, Field(ge=0, le=1e10), BeforeValidator(_no_bool)] | None = (
        Field(None, description="highest acceptable one-off set-up cost (client currency)")
    )

    @field_validator("regions")
    @classmethod
    def _no_duplicate_regions(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))


_LIST_OPTIONS = (
    "hosting",
    "gpus",
    "models",
    "optimisation",
    "rag",
    "output_format",
    "deployment_mode",
    "gpus_per_replica",
    "kv_cache",
    "reasoning_effort",
    "prompt_caching",
    "cloud_commitment",
)
"""The options given as a list of candidates (one value is read as a list of one; no repeats)."""


class Options(_Section):
    """Candidates for each technical choice; an omitted key means every catalog entry that fits."""

    hosting: list[Hosting] | None = Field(
        None, min_length=1, description="hosting options", json_schema_extra=_one_or_many
    )
    gpus: list[Name] | None = Field(
        None, min_length=1, description="GPU names", json_schema_extra=_one_or_many
    )
    models: list[Name] | None = Field(
        None, min_length=1, description="API or open model names", json_schema_extra=_one_or_many
    )
    optimisation: list[Literal["fp16", "fp8", "int8", "int4", "fp4"]] | None = Field(
        None,
        min_length=1,
        description="numeric precision of self-hosted weights",
        json_schema_extra=_one_or_many,
    )
    rag: list[Literal["none", "rag"]] | None = Field(
        None, min_length=1, description="retrieval augmentation", json_schema_extra=_one_or_many
    )
    documents_gb: Number = Field(
        0.0, ge=0, le=1e6, description="size of the document store for retrieval (GB)"
    )
    user_uploads: bool = Field(False, description="users may upload their own files")
    output_format: list[Literal["text", "structured", "multimodal"]] | None = Field(
        None,
        min_length=1,
        description="output format(s) the application needs",
        json_schema_extra=_one_or_many,
    )
    deployment_mode: list[Literal["real_time", "batch"]] | None = Field(
        None, min_length=1, description="real time or batch", json_schema_extra=_one_or_many
    )
    gpus_per_replica: list[Literal[1, 2, 4, 8]] | None = Field(
        None,
        min_length=1,
        description="tensor-parallel degrees to consider (default: every degree one server of "
        "the GPU allows)",
        json_schema_extra=_one_or_many,
    )
    max_batch_per_replica: Integer | None = Field(
        None,
        ge=1,
        le=4096,
        description="the engine's cap on running sequences per replica (max_num_seqs; default: "
        "the engine's own default for the GPU)",
    )
    kv_cache: list[Literal["fp16", "fp8"]] | None = Field(
        None,
        min_length=1,
        description="KV-cache precision (fp8 where the GPU computes in fp8; default: fp16)",
        json_schema_extra=_one_or_many,
    )
    reasoning_effort: list[Literal["none", "low", "medium", "high"]] | None = Field(
        None,
        min_length=1,
        description="reasoning effort(s) of reasoning models (API or open; default: every effort "
        "the model accepts); other models ignore it",
        json_schema_extra=_one_or_many,
    )
    prompt_caching: list[Literal["off", "on"]] | None = Field(
        None,
        min_length=1,
        description="prompt caching of usage.cached_prefix_tokens (API cache prices, self-hosted "
        "prefix cache; default: on when a cached prefix is given)",
        json_schema_extra=_one_or_many,
    )
    rag_chunks: Integer | None = Field(
        None, ge=1, le=200, description="retrieved passages per request (default: catalog)"
    )
    rag_tokens_per_chunk: Integer | None = Field(
        None, ge=1, le=20_000, description="tokens per retrieved passage (default: catalog)"
    )
    batch_runs_per_day: Number = Field(
        1.0,
        gt=0,
        le=96,
        description="batch mode: how many times a day the backlog is processed (the worst-case "
        "wait is the active hours divided by it)",
    )
    cloud_commitment: list[Literal["on_demand", "1y", "3y"]] | None = Field(
        None,
        min_length=1,
        description="cloud price commitments to consider, where the offer publishes the price "
        "and usage.horizon_months covers the term (default: every one the horizon covers)",
        json_schema_extra=_one_or_many,
    )

    @field_validator(*_LIST_OPTIONS, mode="before")
    @classmethod
    def _one_value_is_a_list(cls, value: Any, info: ValidationInfo) -> Any:
        if info.field_name == "prompt_caching":
            # YAML 1.1 reads a bare on / off as true / false: docs/params.md writes [off, on]
            def word(v: Any) -> Any:
                return {True: "on", False: "off"}.get(v, v) if isinstance(v, bool) else v

            value = [word(v) for v in value] if isinstance(value, list) else word(value)
        if isinstance(value, bool):
            return value
        return _as_list(value)

    @field_validator(*_LIST_OPTIONS)
    @classmethod
    def _no_duplicates(cls, value: list[Any] | None) -> list[Any] | None:
        return _dedupe(value)
