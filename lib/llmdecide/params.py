"""The client parameters file (SPEC §2): pydantic models, a safe loader, catalog checks, JSON Schema.

``load(path)`` reads ``params/clients/<slug>.yaml`` and either returns a validated ``ClientParams``
or raises one ``ParamsError`` holding one ``Problem`` per problem found, each naming the file, the
key path (``usage.requests_per_day``, ``options.gpus[1]``) and what is expected instead::

    params/clients/acme.yaml: usage.requests_per_dya: unknown key. Did you mean usage.requests_per_day?

YAML is loaded with PyYAML's safe loader only (Python object tags are refused), aliases are refused
(no "billion laughs"), duplicate keys are reported instead of silently keeping the last one.
``check_against_catalog`` then checks the names (GPUs, models, regions) against the catalog and
the contradictions between options and constraints.
"""

from __future__ import annotations

import re
import stat
import types
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import annotated_types
import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from llmdecide import priorities as _priorities
from llmdecide.errors import ParamsError, Problem, did_you_mean

__all__ = [
    "Carbon",
    "Client",
    "ClientParams",
    "Constraints",
    "CriticalPerformance",
    "Evaluation",
    "Measurements",
    "Operations",
    "Options",
    "Pairwise",
    "Phase",
    "Pilot",
    "Probe",
    "Quote",
    "Report",
    "Usage",
    "UseCase",
    "check_against_catalog",
    "json_schema",
    "load",
    "resolve_path",
    "tco_warnings",
    "write_schema",
]

MAX_FILE_BYTES = 1024 * 1024
TEMPLATE_HINT = "start from params/clients/_template.yaml (llmdecide new <slug>)"

HOSTINGS = ("api", "cloud", "on_premise")
OPTIMISATIONS = ("fp16", "fp8", "int8", "int4")
RAG_MODES = ("none", "rag")
OUTPUT_FORMATS = ("text", "structured", "multimodal")
DEPLOYMENT_MODES = ("real_time", "batch")
PERFORMANCE_METRICS = ("p95_latency_s", "ttft_p95_s", "turnaround_h")
CRITERIA = _priorities.CRITERIA

# --------------------------------------------------------------------------------------------
# Small reusable field types


def _custom(message: str, key: str = "") -> PydanticCustomError:
    """A validation error with a ready-made message; ``key`` extends the key path (dotted)."""
    return PydanticCustomError("llmdecide", "{message}", {"message": message, "key": key})


def _show(value: Any) -> str:
    """A short, readable rendering of a bad value for a message."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "nothing (null)"
    if isinstance(value, str):
        return repr(value if len(value) <= 60 else value[:57] + "...")
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    return type(value).__name__


def _no_bool(value: Any) -> Any:
    # pydantic's lax mode reads true as 1; in a params file that is always a mistake
    if isinstance(value, bool):
        raise _custom(f"expected a number, got {_show(value)}")
    return value


def _as_list(value: Any) -> Any:
    """Accept one value where a list is expected (``output_format: text``)."""
    return (
        [value] if isinstance(value, str | int | float) and not isinstance(value, bool) else value
    )


def _dedupe(values: list[Any] | None) -> list[Any] | None:
    return None if values is None else list(dict.fromkeys(values))


def _iso3(value: Any) -> Any:
    if isinstance(value, str) and re.fullmatch(r"[A-Za-z]{3}", value.strip()):
        return value.strip().upper()
    raise _custom(
        f"expected an ISO-3 country code (three letters such as FRA, IRL, USA), got {_show(value)}"
    )


def _name(value: Any) -> Any:
    if isinstance(value, str) and value.strip():
        return value.strip()
    raise _custom(f"expected a name (text), got {_show(value)}")


def _one_line(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        if "\n" in value or "\r" in value:
            raise _custom("expected a single line of text")
    return value


_FRACTION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*/\s*(\d+(?:\.\d+)?)\s*$")


def _fraction(value: Any) -> Any:
    """AHP judgements may be written as Saaty fractions: ``1/3``."""
    if isinstance(value, str):
        match = _FRACTION.fullmatch(value)
        if match and float(match.group(2)) > 0:
            return float(match.group(1)) / float(match.group(2))
    return value


def _one_or_many(schema: dict[str, Any]) -> None:
    """JSON Schema of a one-or-many field: the list, or a single item."""
    for option in schema.get("anyOf", [schema]):
        if option.get("type") == "array" and "items" in option:
            array = {k: option.pop(k) for k in ("type", "items", "minItems") if k in option}
            option["anyOf"] = [array, array["items"]]
            return


def _fraction_schema(schema: dict[str, Any]) -> None:
    """A judgement is a number or a fraction written as text ("1/3")."""
    schema["anyOf"] = [*schema.get("anyOf", []), {"type": "string", "pattern": _FRACTION.pattern}]


Number = Annotated[float, BeforeValidator(_no_bool)]
Integer = Annotated[int, BeforeValidator(_no_bool)]
Iso3 = Annotated[str, Field(pattern=r"^[A-Za-z]{3}$"), BeforeValidator(_iso3)]
Name = Annotated[str, BeforeValidator(_name)]
Line = Annotated[str, BeforeValidator(_one_line), Field(min_length=1, max_length=200)]
Judgement = Annotated[
    float,
    Field(ge=_priorities.JUDGEMENT_MIN, le=_priorities.JUDGEMENT_MAX),
    BeforeValidator(_no_bool),
    BeforeValidator(_fraction),
]


class _Section(BaseModel):
    """Every section: unknown keys rejected, no NaN/inf, a number where text is expected is text."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, coerce_numbers_to_str=True)


# --------------------------------------------------------------------------------------------
# The sections of SPEC §2


class Client(_Section):
    """Who the report is for."""

    name: Line = Field(description="client name shown on the report")
    language: Literal["fr", "en"] = Field(description="report language")
    currency: Literal["EUR", "USD"] = Field(description="currency of costs and limits")


class UseCase(_Section):
    """What the LLM application does."""

    title: Line = Field(description="short title of the use case")
    description: str = Field("", max_length=5000, description="one paragraph for the report")


LatencyMetric = Literal["p95_latency_s", "ttft_p95_s", "tpot_p95_ms", "turnaround_h"]


class PerformanceLimit(_Section):
    metric: LatencyMetric = Field(
        description="p95 end-to-end latency (s), p95 time to first token (s), p95 time per "
        "output token (ms) or batch turnaround (h)"
    )
    limit: Number = Field(gt=0, le=10_000, description="the worst acceptable value of the metric")


class PrecisionLimit(_Section):
    metric: Literal["accuracy"] = Field("accuracy", description="share of correct answers")
    limit: Number = Field(
        gt=0, lt=1, description="the lowest acceptable accuracy, a share (0.9 for 90 %)"
    )

    @field_validator("limit", mode="before")
    @classmethod
    def _percent_hint(cls, value: Any) -> Any:
        if isinstance(value, int | float) and not isinstance(value, bool) and 1 < value < 100:
            raise _custom(
                f"expected a share between 0 and 1, got {_show(value)}; "
                f"write {value / 100:g} for {value:g} %"
            )
        return value


class CostLimit(_Section):
    metric: Literal["monthly_cost"] = Field(
        "monthly_cost", description="monthly total cost of ownership"
    )
    limit: Number = Field(gt=0, le=1e9, description="the highest acceptable monthly cost")


class CarbonLimit(_Section):
    metric: Literal["monthly_kgco2e"] = Field(
        "monthly_kgco2e", description="monthly emissions in kgCO2e"
    )
    limit: Number = Field(gt=0, le=1e9, description="the highest acceptable monthly kgCO2e")


class DirectPriorities(_Section):
    """Relative weights of the criteria, normalised to sum 1 by ``priorities.normalised_weights``."""

    performance: Number = Field(ge=0, le=1000, description="weight of performance")
    precision: Number = Field(ge=0, le=1000, description="weight of precision")
    cost: Number = Field(ge=0, le=1000, description="weight of cost")
    carbon: Number = Field(0.0, ge=0, le=1000, description="weight of carbon (optional)")

    @model_validator(mode="after")
    def _not_all_zero(self) -> DirectPriorities:
        if self.performance + self.precision + self.cost + self.carbon <= 0:
            raise _custom(
                "the priorities are all zero; give at least one criterion a positive weight"
            )
        return self


def _judgement(a: str, b: str) -> Any:
    return Field(
        None,
        json_schema_extra=_fraction_schema,
        description=f"how much more {a} matters than {b} (Saaty scale 1/9..9; >1: {a})",
    )


class Pairwise(_Section):
    """AHP judgements: one per pair of criteria, ``<a>_vs_<b>: value`` with value > 1 when a
    matters more (Saaty scale 1/9..9; fractions such as ``1/3`` accepted)."""

    performance_vs_precision: Judgement | None = _judgement("performance", "precision")
    performance_vs_cost: Judgement | None = _judgement("performance", "cost")
    performance_vs_carbon: Judgement | None = _judgement("performance", "carbon")
    precision_vs_performance: Judgement | None = _judgement("precision", "performance")
    precision_vs_cost: Judgement | None = _judgement("precision", "cost")
    precision_vs_carbon: Judgement | None = _judgement("precision", "carbon")
    cost_vs_performance: Judgement | None = _judgement("cost", "performance")
    cost_vs_precision: Judgement | None = _judgement("cost", "precision")
    cost_vs_carbon: Judgement | None = _judgement("cost", "carbon")
    carbon_vs_performance: Judgement | None = _judgement("carbon", "performance")
    carbon_vs_precision: Judgement | None = _judgement("carbon", "precision")
    carbon_vs_cost: Judgement | None = _judgement("carbon", "cost")

    @model_validator(mode="after")
    def _complete(self) -> Pairwise:
        problems = _priorities.pairwise_problems(self.judgements())
        if problems:
            raise _custom("; ".join(problems))
        return self

    def judgements(self) -> dict[str, float]:
        """The judgements given, as ``{'<a>_vs_<b>': value}``."""
        return {k: v for k, v in self.model_dump().items() if v is not None}


class CriticalPerformance(_Section):
    """Limits (hard thresholds) and priorities of the Critical Performance Triangle (+ carbon)."""

    performance: PerformanceLimit
    precision: PrecisionLimit
    cost: CostLimit
    carbon: CarbonLimit | None = None
    extra_limits: dict[LatencyMetric, Annotated[float, Field(gt=0, le=1e6)]] = Field(
        default_factory=dict,
        description="further hard limits on latency metrics, e.g. {tpot_p95_ms: 200} beside a "
        "TTFT limit (MLPerf's pair); each must hold for a configuration to be feasible",
    )
    priorities: DirectPriorities | None = None
    pairwise: Pairwise | None = None

    @model_validator(mode="after")
    def _one_way_of_weighting(self) -> CriticalPerformance:
        if self.priorities is None and self.pairwise is None:
            raise _custom(
                "give the priorities (e.g. {performance: 1, precision: 1, cost: 3}) or pairwise "
                "judgements for AHP (e.g. {cost_vs_performance: 3, ...})",
                "priorities",
            )
        if self.priorities is not None and self.pairwise is not None:
            raise _custom(
                "give either priorities or pairwise, not both (remove one of them)", "pairwise"
            )
        return self


class Phase(_Section):
    """One project phase (experimentation, deployment, industrialisation…) and its volume."""

    name: Line = Field(description="phase name shown on the report")
    months: Number = Field(gt=0, le=120, description="how long the phase lasts (months)")
    requests_per_day: Number = Field(gt=0, le=1e10, description="mean requests per day")
    peak_requests_per_second: Number = Field(
        gt=0, le=1e6, description="requests per second at the daily peak"
    )


class Usage(_Section):
    """Usage hypotheses at project start (replaced by measurements when they arrive)."""

    requests_per_day: Number = Field(gt=0, le=1e10, description="mean requests per day")
    peak_requests_per_second: Number = Field(
        gt=0, le=1e6, description="requests per second at the daily peak"
    )
    input_tokens: Integer = Field(
        gt=0, le=1_000_000, description="mean input tokens per request, before retrieval context"
    )
    output_tokens: Integer = Field(gt=0, le=1_000_000, description="mean output tokens per request")
    active_hours_per_day: Number = Field(
        24.0, gt=0, le=24, description="hours per day the application is used"
    )
    horizon_months: Integer = Field(
        36, ge=1, le=120, description="decision horizon (amortisation of set-up costs)"
    )
    cached_prefix_tokens: Integer = Field(
        0,
        ge=0,
        le=1_000_000,
        description="part of each prompt shared by every request (system prompt, tools): "
        "cacheable by prompt caching",
    )
    phases: list[Phase] | None = Field(
        None,
        description="optional project phases, each with its own volume: the report recommends "
        "a configuration per phase and says when to switch",
    )

    @property
    def average_requests_per_second(self) -> float:
        """Mean request rate over the active hours."""
        return self.requests_per_day / (self.active_hours_per_day * 3600)

    @model_validator(mode="after")
    def _prefix_within_prompt(self) -> Usage:
        if self.cached_prefix_tokens > self.input_tokens:
            raise _custom(
                f"the cached prefix ({self.cached_prefix_tokens} tokens) is longer than the "
                f"prompt ({self.input_tokens} input tokens); it is part of the input: lower it "
                "or raise input_tokens",
                "cached_prefix_tokens",
            )
        return self

    @model_validator(mode="after")
    def _peak_above_average(self) -> Usage:
        average = self.average_requests_per_second
        if self.peak_requests_per_second < average * (1 - 1e-9):
            raise _custom(
                f"the peak ({self.peak_requests_per_second:g} requests/s) is below the average over "
                f"the active hours ({self.requests_per_day:g} requests / "
                f"({self.active_hours_per_day:g} h × 3600 s) = {average:.3g} requests/s); raise "
                "the peak, or lower requests_per_day, or raise active_hours_per_day",
                "peak_requests_per_second",
            )
        return self

    @model_validator(mode="after")
    def _phases_coherent(self) -> Usage:
        seen: dict[str, int] = {}
        for i, phase in enumerate(self.phases or []):
            if phase.name in seen:
                raise _custom(
                    f"the phase name {phase.name!r} is already used by phases[{seen[phase.name]}]; "
                    "give each phase its own name",
                    f"phases[{i}].name",
                )
            seen[phase.name] = i
            average = phase.requests_per_day / (self.active_hours_per_day * 3600)
            if phase.peak_requests_per_second < average * (1 - 1e-9):
                raise _custom(
                    f"the peak ({phase.peak_requests_per_second:g} requests/s) is below the "
                    f"average over the active hours ({phase.requests_per_day:g} requests / "
                    f"({self.active_hours_per_day:g} h × 3600 s) = {average:.3g} requests/s); "
                    "raise the peak or lower requests_per_day",
                    f"phases[{i}].peak_requests_per_second",
                )
        return self


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

    hosting: list[Literal["api", "cloud", "on_premise"]] | None = Field(
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
            # YAML 1.1 reads a bare on / off as true / false: the SPEC writes [off, on]
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


COMMITMENT_MONTHS = {"on_demand": 0, "1y": 12, "3y": 36}
QUOTE_KINDS = ("cloud_gpu_hour", "server", "electricity", "api_discount")
QUOTE_FIELDS = {
    "cloud_gpu_hour": ("gpu", "price"),
    "server": ("gpu", "price_per_gpu"),
    "electricity": ("price_per_kwh",),
    "api_discount": ("discount",),
}
QUOTE_ALLOWED = {
    "cloud_gpu_hour": {"gpu", "region", "commitment", "price"},
    "server": {"gpu", "price_per_gpu"},
    "electricity": {"region", "price_per_kwh"},
    "api_discount": {"model", "discount"},
}


def _sites(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool) and value < 1:
        raise _custom(
            f"expected 1 site or more (1: one site; 2: a second site running the whole fleet), "
            f"got {value}; write 1 for a single site"
        )
    return value


def _price(unit: str) -> Any:
    def check(value: Any) -> Any:
        if isinstance(value, int | float) and not isinstance(value, bool) and value <= 0:
            raise _custom(
                f"a price is a positive number ({unit}, client currency), got {_show(value)}; "
                "write the price the client was quoted"
            )
        return value

    return BeforeValidator(check)


class Availability(_Section):
    """Spare replicas (N + k) and sites (each site runs the whole fleet)."""

    sites: Annotated[int, BeforeValidator(_sites), BeforeValidator(_no_bool)] = Field(
        1, ge=1, le=10, description="sites that each run the whole fleet (2: a second site)"
    )
    spare_replicas: Integer = Field(
        0, ge=0, le=100, description="replicas kept beyond the sizing at each site (N + k)"
    )


StaffFte = Annotated[float, Field(ge=0, le=100), BeforeValidator(_no_bool)]


class StaffByHosting(_Section):
    """People running the service, per hosting type (default: the catalog's assumption)."""

    api: StaffFte | None = Field(None, description="FTE for an API configuration")
    cloud: StaffFte | None = Field(None, description="FTE for a cloud configuration")
    on_premise: StaffFte | None = Field(None, description="FTE for an on-premise configuration")


def _staff_shape(value: Any) -> Any:
    """A single number applies to the self-hosted types (the API keeps its own share)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        if not 0 <= value <= 100:
            raise _custom(f"expected a number of people >= 0 and <= 100, got {_show(value)}")
        return {"cloud": value, "on_premise": value}
    return value


class Operations(_Section):
    """Self-hosted total cost of ownership: staff and availability."""

    staff_fte: Annotated[StaffByHosting, BeforeValidator(_staff_shape)] = Field(
        default_factory=lambda: StaffByHosting.model_validate({}),
        description="people running the service: one number (cloud and on premise) or "
        "{api, cloud, on_premise} (default: catalog assumption by hosting)",
    )
    staff_cost_per_fte_month: (
        Annotated[float, Field(gt=0, le=1e7), BeforeValidator(_no_bool)] | None
    ) = Field(None, description="loaded monthly cost of one FTE (client currency)")
    availability: Availability = Field(
        default_factory=lambda: Availability.model_validate({}),
        description="spare replicas and sites of the self-hosted fleet",
    )


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


class Quote(_Section):
    """A client's own price; it overrides the catalog's and the report labels it "client quote".
    Prices are in the client currency."""

    kind: Literal["cloud_gpu_hour", "server", "electricity", "api_discount"] = Field(
        description="what is quoted"
    )
    gpu: Name | None = Field(None, description="GPU (cloud_gpu_hour, server)")
    region: Iso3 | None = Field(
        None, description="ISO-3 region (cloud_gpu_hour, electricity; default: every region)"
    )
    commitment: Literal["on_demand", "1y", "3y"] = Field(
        "on_demand", description="commitment the cloud price is for"
    )
    model: Name | None = Field(None, description="API model (api_discount; default: every one)")
    price: (
        Annotated[float, Field(gt=0, le=1e4), _price("per GPU-hour"), BeforeValidator(_no_bool)]
        | None
    ) = Field(None, description="price per GPU-hour (cloud_gpu_hour), client currency")
    price_per_gpu: (
        Annotated[float, Field(gt=0, le=1e7), _price("per GPU"), BeforeValidator(_no_bool)] | None
    ) = Field(None, description="server price per GPU, its server share included (server)")
    price_per_kwh: (
        Annotated[float, Field(gt=0, le=10), _price("per kWh"), BeforeValidator(_no_bool)] | None
    ) = Field(None, description="electricity price per kWh (electricity)")
    discount: Annotated[float, Field(ge=0, lt=1), BeforeValidator(_no_bool)] | None = Field(
        None, description="share taken off the API price list (api_discount): 0.2 for 20 %"
    )
    note: str | None = Field(None, max_length=2000, description="who quoted it, when")

    @model_validator(mode="after")
    def _fields_of_kind(self) -> Quote:
        for name in QUOTE_FIELDS[self.kind]:
            if getattr(self, name) is None:
                raise _custom(f"{_article(self.kind)} {self.kind} quote needs {name}; add it", name)
        allowed = QUOTE_ALLOWED[self.kind] | {"kind", "note"}
        for name in ("gpu", "region", "model", "price", "price_per_gpu", "price_per_kwh"):
            if getattr(self, name) is not None and name not in allowed:
                raise _custom(
                    f"{name} does not apply to {_article(self.kind)} {self.kind} quote (it takes "
                    f"{', '.join(sorted(QUOTE_ALLOWED[self.kind]))}); remove it",
                    name,
                )
        if self.kind != "cloud_gpu_hour" and "commitment" in self.model_fields_set:
            raise _custom(
                "commitment applies to cloud_gpu_hour quotes only; remove it", "commitment"
            )
        return self

    @property
    def target(self) -> tuple[Any, ...]:
        """What the quote prices (two quotes may not price the same thing)."""
        return (self.kind, self.gpu, self.region, self.commitment, self.model)


class Evaluation(_Section):
    """An accuracy the client measured on its own task; it overrides the catalog proxy."""

    model: Name = Field(description="model evaluated (catalog name)")
    rag: Literal["none", "rag"] | None = Field(None, description="with or without retrieval")
    optimisation: Literal["fp16", "fp8", "int8", "int4", "fp4"] | None = Field(
        None, description="weights precision used in the evaluation (self-hosted models)"
    )
    accuracy: Number = Field(ge=0, le=1, description="share of correct answers (0.91 for 91 %)")
    questions: Integer | None = Field(
        None,
        ge=1,
        le=10_000_000,
        description="questions the evaluation had: gives the accuracy its confidence interval",
    )
    note: str | None = Field(None, max_length=2000, description="how it was measured")

    @model_validator(mode="after")
    def _enough_questions(self) -> Evaluation:
        if self.questions is None:
            return self
        from llmdecide.estimators import precision

        decimals = precision.written_decimals(self.accuracy)
        fewest = precision.fewest_questions(self.accuracy, decimals)
        if self.questions < fewest.denominator:
            raise _custom(
                f"{self.questions} questions cannot give an accuracy of {self.accuracy:g} "
                f"(written to {decimals} decimal{'s' if decimals != 1 else ''}): the fewest "
                f"questions that can is {fewest.denominator} ({fewest.numerator}/"
                f"{fewest.denominator} = {float(fewest):.{decimals + 2}f}); give the number of "
                "questions the evaluation really had, or the accuracy it measured "
                "(correct answers / questions)",
                "questions",
            )
        return self


def _path_text(value: Any) -> Any:
    if isinstance(value, str) and "\x00" in value:
        raise _custom("a path cannot contain a NUL character (\\0); write the file's path")
    return value


PathText = Annotated[str, Field(min_length=1), BeforeValidator(_path_text)]


USAGE_LOG_FIELDS = ("timestamp", "input_tokens", "output_tokens", "latency_s", "ttft_s", "tpot_s")


class Pilot(_Section):
    """The configuration the client's pilot ran on (SPEC §2.1 ``measurements.pilot``): a
    self-hosted replica set, or an API model. Names are checked against the catalog."""

    hosting: Literal["api", "cloud", "on_premise"] = Field(description="how the pilot was hosted")
    model: Name = Field(description="the model the pilot served (open or API model name)")
    gpu: Name | None = Field(None, description="GPU of a self-hosted pilot")
    gpus_per_replica: Literal[1, 2, 4, 8] = Field(1, description="tensor-parallel degree")
    replicas: Integer = Field(1, ge=1, le=10_000, description="replicas behind the pilot")
    optimisation: Literal["fp16", "fp8", "int8", "int4", "fp4"] = Field(
        "fp16", description="numeric precision of the weights"
    )
    kv_cache: Literal["fp16", "fp8"] = Field("fp16", description="KV-cache precision")
    max_batch_per_replica: Integer | None = Field(
        None, ge=1, le=4096, description="the engine's max_num_seqs (default: engine default)"
    )

    @model_validator(mode="after")
    def _shape(self) -> Pilot:
        if self.hosting == "api":
            given = [k for k in ("gpu", "max_batch_per_replica") if getattr(self, k) is not None]
            if given:
                raise _custom(
                    f"an API pilot has no {' nor '.join(given)}; remove it, or give hosting "
                    "cloud or on_premise",
                    given[0],
                )
        elif self.gpu is None:
            raise _custom(
                f"a {self.hosting} pilot needs the GPU it ran on (e.g. gpu: H100-SXM)", "gpu"
            )
        return self


class Measurements(_Section):
    """Measured data; paths are relative to the params file (``resolve_path``)."""

    pilot: Pilot | None = Field(
        None, description="the configuration the pilot ran on (calibrates the estimators)"
    )
    columns: dict[Literal[USAGE_LOG_FIELDS], Name] | None = Field(  # type: ignore[valid-type]
        None,
        description="the usage log's own column names: {timestamp: TIMESTAMP, input_tokens: "
        "ContextTokens, ...}",
    )

    usage_log: PathText | None = Field(
        None, description="usage log: CSV, JSON Lines or Parquet, one row per request"
    )
    emissions_log: (
        Annotated[list[PathText], Field(min_length=1), BeforeValidator(_as_list)] | None
    ) = Field(
        None,
        description="codecarbon emissions.csv file(s) from the client's pilot: a path or a list",
        json_schema_extra=_one_or_many,
    )


class Probe(_Section):
    """A client command (e.g. a benchmark of the pilot) run under codecarbon's tracker."""

    command: str | list[str] = Field(
        description="the command: a list of arguments (no shell), or one string"
    )
    shell: bool = Field(False, description="run a string command through the shell")
    timeout_s: Number = Field(600.0, gt=0, le=86_400, description="kill the probe after this")
    requests: Annotated[int, Field(gt=0, le=10**9), BeforeValidator(_no_bool)] | None = Field(
        None, description="requests the probe sends (energy per request)"
    )

    @field_validator("command", mode="before")
    @classmethod
    def _command_shape(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip():
            return value
        if (
            isinstance(value, list)
            and value
            and all(isinstance(v, str | int | float) and not isinstance(v, bool) for v in value)
        ):
            return [str(v) for v in value]
        raise _custom(f"expected a command: a list of arguments or one string, got {_show(value)}")


def _probe_shape(value: Any) -> Any:
    return {"command": value} if isinstance(value, str | list) else value


def _probe_schema(schema: dict[str, Any]) -> None:
    schema["anyOf"] = [*schema.get("anyOf", []), {"type": "string"}]


class Carbon(_Section):
    """Carbon settings of the report (the tracker's country) and of the client's electricity."""

    country: Iso3 | None = Field(
        None, description="where this report is generated (codecarbon); default: first region"
    )
    renewable_share: Number = Field(
        0.0, ge=0, le=1, description="share of the electricity under a low-carbon contract"
    )
    contract_intensity_g_per_kwh: (
        Annotated[float, Field(ge=0, le=2000), BeforeValidator(_no_bool)] | None
    ) = Field(None, description="gCO2e/kWh of that contract (default: catalog figure)")
    probe: Annotated[Probe | None, BeforeValidator(_probe_shape)] = Field(
        None,
        description="optional command measured with codecarbon",
        json_schema_extra=_probe_schema,
    )


class Report(_Section):
    """Report settings."""

    history_keep: Integer = Field(10, ge=0, le=1000, description="older runs kept in history/")


class ClientParams(_Section):
    """llmdecide client parameters (params/clients/<slug>.yaml, SPEC §2)."""

    model_config = ConfigDict(
        title="llmdecide client parameters",
        json_schema_extra={
            "description": (
                "One client of llmdecide: critical performances (limits and priorities), usage "
                "hypotheses, constraints and the candidate options of the six technical choices."
            )
        },
    )

    client: Client
    use_case: UseCase
    critical_performance: CriticalPerformance
    usage: Usage
    constraints: Constraints
    options: Options = Field(default_factory=lambda: Options.model_validate({}))
    evaluations: list[Evaluation] = Field(default_factory=list)
    operations: Operations = Field(default_factory=lambda: Operations.model_validate({}))
    quotes: list[Quote] = Field(default_factory=list)
    measurements: Measurements = Field(default_factory=lambda: Measurements.model_validate({}))
    carbon: Carbon = Field(default_factory=lambda: Carbon.model_validate({}))
    report: Report = Field(default_factory=lambda: Report.model_validate({}))

    _source_path: Path | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _coherent(self) -> ClientParams:
        if self.carbon.country is None:
            self.carbon.country = self.constraints.regions[0]
        metric = self.critical_performance.performance.metric
        modes = self.options.deployment_mode
        if modes == ["batch"] and metric != "turnaround_h":
            raise _custom(
                f"only batch deployment is allowed, whose performance is a turnaround in hours, "
                f"but critical_performance.performance.metric is {metric}; use turnaround_h, "
                "or add real_time",
                "options.deployment_mode",
            )
        seen: dict[tuple[str, str | None, str | None], int] = {}
        for i, ev in enumerate(self.evaluations):
            key = (ev.model, ev.rag, ev.optimisation)
            if key in seen:
                raise _custom(
                    f"the same evaluation (model {ev.model}, rag {ev.rag}, optimisation "
                    f"{ev.optimisation}) is already given as evaluations[{seen[key]}]; keep one",
                    f"evaluations[{i}]",
                )
            seen[key] = i
        priced: dict[tuple[Any, ...], int] = {}
        for i, q in enumerate(self.quotes):
            if q.target in priced:
                what = " ".join(str(x) for x in q.target if x is not None)
                raise _custom(
                    f"quotes[{priced[q.target]}] already prices the same thing ({what}); keep one",
                    f"quotes[{i}]",
                )
            priced[q.target] = i
        return self

    @property
    def source_path(self) -> Path | None:
        """The params file this was loaded from (absolute), or None."""
        return self._source_path

    def measurement_files(self) -> dict[str, list[tuple[str, Path]]]:
        """Per key path (``measurements.usage_log``, ``measurements.emissions_log[1]``): the path
        as written and its absolute form (relative paths start at the params file's folder)."""
        base = self._source_path or Path.cwd() / "params.yaml"
        m = self.measurements
        usage = [("measurements.usage_log", m.usage_log)] if m.usage_log else []
        logs = m.emissions_log or []
        emissions = [
            (f"measurements.emissions_log{f'[{i}]' if len(logs) > 1 else ''}", p)
            for i, p in enumerate(logs)
        ]
        return {
            "usage_log": [(key, resolve_path(base, p)) for key, p in usage],
            "emissions_log": [(key, resolve_path(base, p)) for key, p in emissions],
        }


# --------------------------------------------------------------------------------------------
# Paths


def resolve_path(params_path: str | Path, path: str | Path) -> Path:
    """``path`` as written in a params file, made absolute: relative paths start at its folder."""
    candidate = Path(path).expanduser()
    if not candidate.is_absolute():
        candidate = Path(params_path).resolve().parent / candidate
    return candidate.resolve()


# --------------------------------------------------------------------------------------------
# Loading


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader (no Python objects) that also refuses aliases and duplicate keys."""

    def compose_node(self, parent: Any, index: Any) -> Any:  # type: ignore[override]
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None,
                None,
                "aliases (*name) are not allowed in params files; write the value out in full",
                event.start_mark,
            )
        return super().compose_node(parent, index)

    def construct_object(self, node: Any, deep: bool = False) -> Any:  # type: ignore[override]
        # a scalar the resolver typed but Python cannot build (2025-02-30, !!int abc, a
        # 5000-digit number) raises ValueError & co. without a line: give it one
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, TypeError, AttributeError, OverflowError) as exc:
            if not isinstance(node, yaml.ScalarNode):
                raise
            tag = node.tag.replace("tag:yaml.org,2002:", "!!")
            detail = str(exc).split(";")[0]
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"{_show(node.value)} cannot be read as {tag} ({detail}); fix the value, or put "
                "it in quotes to keep it as text",
                node.start_mark,
            ) from None

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:  # type: ignore[override]
        if isinstance(node, yaml.MappingNode):
            first: dict[Any, Any] = {}
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=True)
                try:
                    hash(key)
                except TypeError:
                    continue  # PyYAML's own error ("unhashable key") follows
                if key in first:
                    raise yaml.constructor.ConstructorError(
                        None,
                        None,
                        f"duplicate key {key!r} (first given on line {first[key].line + 1}); "
                        "keep one",
                        key_node.start_mark,
                    )
                first[key] = key_node.start_mark
        return super().construct_mapping(node, deep=deep)


def _yaml_problem(file: str, text: str, exc: yaml.YAMLError) -> Problem:
    if isinstance(exc, yaml.reader.ReaderError):  # a control character; its str() spans 2 lines
        line = text[: exc.position].count("\n") + 1
        code = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1])
        return Problem(
            file,
            f"line {line}",
            f"the control character U+{code:04X} is not allowed in YAML text; remove it (or, "
            f'if it is meant, write it escaped in double quotes: "\\u{code:04x}")',
        )
    mark = getattr(exc, "problem_mark", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    problem = getattr(exc, "problem", None) or str(exc)
    tag = re.search(r"constructor for the tag '([^']+)'", problem)
    if tag:
        name = tag.group(1).replace("tag:yaml.org,2002:", "!!")
        if "python/" in name:
            expected = (
                f"the tag {name} is not allowed: params files are plain data, loaded with "
                "yaml.safe_load, which refuses !!python/object and every other Python tag; "
                "remove the tag"
            )
        else:
            expected = f"the tag {name} is not allowed: params files are plain data; remove it"
        return Problem(file, where, expected)
    tab_lines = [
        n
        for n, line in enumerate(text.splitlines(), 1)
        if "\t" in line[: len(line) - len(line.lstrip(" \t"))]
    ]
    if tab_lines and isinstance(exc, yaml.MarkedYAMLError):
        also = f" (also on line {', '.join(map(str, tab_lines[1:6]))})" if tab_lines[1:] else ""
        return Problem(
            file,
            f"line {tab_lines[0]}",
            f"tab character in the indentation{also}: YAML indents with spaces only; "
            "replace each tab with spaces",
        )
    hints = {
        "mapping values are not allowed": (
            "a value containing ': ' needs quotes, or the indentation is off"
        ),
        "could not find expected ':'": "each line needs 'key: value' (with a space after ':')",
        "did not find expected key": "check the indentation of this line and the one above",
        "found unhashable key": "a key must be plain text",
        "did not find expected node content": "a value is missing or a bracket is unbalanced",
        "expected ',' or ']'": "a [ ] list is not closed, or two of its items lack a comma",
        "expected ',' or '}'": "a { } mapping is not closed, or two of its entries lack a comma",
    }
    hint = next((h for k, h in hints.items() if k in problem), "")
    context = getattr(exc, "context", None)
    context_mark = getattr(exc, "context_mark", None)
    if context and context_mark is not None and mark is not None and context_mark.line != mark.line:
        context += f" started on line {context_mark.line + 1}"
    expected = f"YAML syntax error: {problem}"
    if context and "duplicate" not in problem and "aliases" not in problem:
        expected += f" ({context})"
    if hint:
        expected += f"; {hint}"
    if "duplicate key" in problem or "aliases" in problem or "cannot be read as" in problem:
        expected = problem
    return Problem(file, where, expected)


def _read_yaml(path: Path, file: str) -> Any:
    try:
        if path.is_dir():
            raise ParamsError(Problem(file, "", "is a folder; give the path of a .yaml file"))
        info = path.stat()
        size = info.st_size
    except FileNotFoundError:
        raise ParamsError(
            Problem(
                file,
                "",
                "no such file; check the path (client files live in params/clients/<slug>.yaml)",
            )
        ) from None
    except OSError as exc:
        raise ParamsError(Problem(file, "", f"cannot be read ({exc.strerror})")) from None
    if not stat.S_ISREG(info.st_mode):
        # a device (/dev/zero) or a pipe would be read forever
        raise ParamsError(
            Problem(
                file,
                "",
                "is not a regular file (a device, a pipe or a socket?); give the path of a .yaml file",
            )
        )
    if size > MAX_FILE_BYTES:
        raise ParamsError(
            Problem(
                file,
                "",
                f"the file is {size:,} bytes; a params file is a few kilobytes (limit 1 MiB): "
                "is this the right file?",
            )
        )
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ParamsError(Problem(file, "", f"cannot be read ({exc.strerror})")) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ParamsError(
            Problem(
                file,
                f"line {line}",
                f"not UTF-8 text (byte 0x{raw[exc.start]:02x}); save the file as UTF-8",
            )
        ) from None
    if not text.strip():
        raise ParamsError(Problem(file, "", f"the file is empty; {TEMPLATE_HINT}"))
    try:
        data = yaml.load(text, Loader=_Loader)  # _Loader is a SafeLoader
    except yaml.YAMLError as exc:
        raise ParamsError(_yaml_problem(file, text, exc)) from None
    except RecursionError:
        raise ParamsError(
            Problem(
                file,
                "",
                "lists or mappings are nested hundreds of levels deep; a params file nests a "
                "few levels: is this the right file?",
            )
        ) from None
    if data is None:
        raise ParamsError(
            Problem(file, "", f"the file holds only comments, no settings; {TEMPLATE_HINT}")
        )
    if not isinstance(data, dict):
        sections = ", ".join(ClientParams.model_fields)
        raise ParamsError(
            Problem(
                file,
                "",
                f"the top level must be a mapping of sections ({sections}), got {_show(data)}",
            )
        )
    return data


def load(
    path: str | Path,
    *,
    display_path: str | None = None,
    display_name: str | None = None,
    check_files: bool = True,
) -> ClientParams:
    """Read and validate a client params file; every problem is reported in one ``ParamsError``.

    ``display_path`` (alias ``display_name``) is the file name used in messages (default: ``path``
    as given). With ``check_files``, measurement files must exist (relative to the params file).
    """
    path = Path(path)
    shown = display_path if display_path is not None else display_name
    file = shown if shown is not None else str(path)
    data = _read_yaml(path, file)
    try:
        client = ClientParams.model_validate(data)
    except ValidationError as exc:
        raise ParamsError(problems_from_validation(exc, file)) from None
    client._source_path = path.resolve()
    if check_files:
        problems = []
        for files in client.measurement_files().values():
            for where, resolved in files:
                if not resolved.is_file():
                    if resolved.is_dir():
                        what = "is a folder, expected a file"
                    elif resolved.exists():
                        what = "is not a regular file (a device, a pipe or a socket?)"
                    else:
                        what = "file not found"
                    problems.append(
                        Problem(
                            file,
                            where,
                            f"{what}: {resolved} (paths are relative to the params file's folder)",
                        )
                    )
        if problems:
            raise ParamsError(problems)
    return client


# --------------------------------------------------------------------------------------------
# From pydantic errors to Problems


def _unwrap(annotation: Any) -> Any:
    """Strip Annotated and Optional; a real union stays a union."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            args = [a for a in get_args(annotation) if a is not type(None)]
            if len(args) != 1:
                return annotation
            annotation = args[0]
        else:
            return annotation


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _walk(
    loc: Sequence[str | int], root: type[BaseModel] | None = None
) -> tuple[list[str | int], Any, Any]:
    """Follow ``loc`` through the models: (clean key path, annotation reached, its FieldInfo).

    Parts that are not keys (union member tags, validator names) are dropped.
    """
    current: Any = root or ClientParams
    info = None
    clean: list[str | int] = []
    for part in loc:
        target = _unwrap(current)
        if isinstance(part, int):
            clean.append(part)
            if get_origin(target) is list:
                current, info = get_args(target)[0], None
            continue
        if _is_model(target):
            clean.append(part)
            if part in target.model_fields:
                info = target.model_fields[part]
                current = info.annotation
            else:
                current, info = None, None
            continue
        if get_origin(target) is dict:
            clean.append(part)
            current, info = get_args(target)[1], None
            continue
        # a union member tag or a validator name: not part of the key path
    return clean, current, info


def _key_path(parts: Iterable[str | int]) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _constraints(info: Any, annotation: Any) -> list[Any]:
    """The constraint objects of a field and of the Annotated type it holds."""
    found = list(getattr(info, "metadata", []) or [])
    pending = [annotation]
    while pending:
        current = pending.pop()
        if get_origin(current) is Annotated:
            inner, *extras = get_args(current)
            pending.append(inner)
            for extra in extras:
                found.extend(getattr(extra, "metadata", []) or [extra])
        elif get_origin(current) in (Union, types.UnionType):
            pending.extend(get_args(current))
    return found


def _bounds(info: Any, annotation: Any = None) -> str:
    """'> 0 and <= 24' from a field's constraints."""
    words = []
    for meta in _constraints(info, annotation):
        for attr, sign in (("gt", ">"), ("ge", ">="), ("lt", "<"), ("le", "<=")):
            value = getattr(meta, attr, None)
            if value is not None and isinstance(meta, annotated_types.BaseMetadata):
                shown = "1/9" if value == _priorities.JUDGEMENT_MIN else _number(value)
                words.append(f"{sign} {shown}")
    return " and ".join(words)


def _number(value: float) -> str:
    """1000000 rather than 1e+06: limits read as people write them."""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _literal_values(annotation: Any) -> list[str]:
    target = _unwrap(annotation)
    if get_origin(target) is Literal:
        return [str(v) for v in get_args(target)]
    return []


def _describe(err: Mapping[str, Any], clean: list[str | int], annotation: Any, info: Any) -> str:
    kind = err["type"]
    value = err.get("input")
    ctx = err.get("ctx") or {}
    got = f", got {_show(value)}"
    if kind == "llmdecide":
        return str(ctx["message"])
    if kind in ("value_error", "assertion_error"):
        return str(ctx.get("error", err["msg"]))
    if kind == "literal_error":
        allowed = _literal_values(annotation) or [ctx.get("expected", "")]
        hint = did_you_mean(str(value), allowed) if isinstance(value, str) else ""
        if not hint and isinstance(value, str):
            lowered = {a.lower(): a for a in allowed}
            if value.strip().lower() in lowered:
                hint = f" Did you mean {lowered[value.strip().lower()]}?"
        return f"expected one of {', '.join(allowed)}{got}.{hint}".replace("..", ".")
    if kind in (
        "greater_than",
        "greater_than_equal",
        "less_than",
        "less_than_equal",
        "int_parsing",
        "int_type",
        "int_from_float",
        "float_parsing",
        "float_type",
        "finite_number",
    ):
        whole = _unwrap(annotation) is int or kind.startswith("int")
        bounds = _bounds(info, annotation)
        number = "a whole number" if whole else "a number"
        return f"expected {number}{' ' + bounds if bounds else ''}{got}"
    if kind in ("bool_type", "bool_parsing"):
        return f"expected true or false{got}"
    if kind in ("string_type", "string_sub_type"):
        return f"expected text{got}"
    if kind == "string_too_short":
        return "expected a non-empty text"
    if kind == "string_too_long":
        return f"too long: at most {ctx.get('max_length')} characters"
    if kind in ("list_type", "tuple_type"):
        return f"expected a list (e.g. [a, b]){got}"
    if kind == "too_short":
        return f"expected at least {ctx.get('min_length', 1)} item(s); give a non-empty list"
    if kind == "too_long":
        return f"expected at most {ctx.get('max_length')} item(s)"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        target = _unwrap(annotation)
        keys = ", ".join(target.model_fields) if _is_model(target) else ""
        return f"expected a mapping of keys{' (' + keys + ')' if keys else ''}{got}"
    if kind == "missing":
        what = "section" if _is_model(_unwrap(annotation)) else "key"
        description = getattr(info, "description", None)
        detail = f" ({description})" if description else ""
        return f"required {what} missing{detail}; add it (see params/clients/_template.yaml)"
    return f"{err['msg']}{got}"


def problems_from_validation(
    exc: ValidationError, file: str, root: type[BaseModel] | None = None
) -> list[Problem]:
    """One ``Problem`` per pydantic error, with key paths, allowed values and did-you-mean hints.

    ``root`` is the model that was validated (default ``ClientParams``).
    """
    problems: list[Problem] = []
    entries: list[tuple[Mapping[str, Any], list[str | int], Any, Any]] = []
    suggested: dict[int, str] = {}  # entry index -> key path of the known key it resembles
    for error in exc.errors(include_url=False):
        loc = list(error["loc"])
        if error["type"] in ("extra_forbidden", "invalid_key"):  # invalid_key: not text (1: x)
            clean, parent, _ = _walk(loc[:-1], root)
            model = _unwrap(parent)
            allowed = list(model.model_fields) if _is_model(model) else []
            hint = did_you_mean(str(loc[-1]), allowed)
            if hint:
                match = hint.removeprefix(" Did you mean ").removesuffix("?")
                suggested[len(entries)] = _key_path([*clean, match])
            entries.append((error, [*clean, _key_text(loc[-1])], allowed, None))
        else:
            clean, annotation, info = _walk(loc, root)
            key = (error.get("ctx") or {}).get("key") if error["type"] == "llmdecide" else None
            if key:
                clean = [*clean, *_parse_key(key)]
            entries.append((error, clean, annotation, info))
    for index, (err, clean, annotation, info) in enumerate(entries):
        path = _key_path(clean)
        if err["type"] == "missing" and path in suggested.values():
            continue  # reported as "unknown key. Did you mean <path>?"
        if err["type"] in ("extra_forbidden", "invalid_key"):
            if index in suggested:
                expected = f"unknown key. Did you mean {suggested[index]}?"
            else:
                expected = f"unknown key; the keys here are {', '.join(annotation)}"
        else:
            expected = _describe(err, clean, annotation, info)
        problems.append(Problem(file, path, expected))
    return _unique(problems)


def _key_text(key: Any) -> str:
    """An unknown key as a message shows it: quoted when blank or not printable on one line."""
    text = str(key)
    if not text.strip() or text != text.strip() or not text.isprintable():
        return repr(text)
    return text


def _parse_key(key: str) -> list[str | int]:
    parts: list[str | int] = []
    for piece in key.split("."):
        name, *indices = re.split(r"\[(\d+)\]", piece)
        if name:
            parts.append(name)
        parts.extend(int(i) for i in indices if i)
    return parts


def _unique(problems: list[Problem]) -> list[Problem]:
    return list(dict.fromkeys(problems))


# --------------------------------------------------------------------------------------------
# Catalog checks


def _suggest(name: str, known: Sequence[str]) -> str:
    lowered = {k.lower(): k for k in known}
    if name.lower() in lowered:
        return f" Did you mean {lowered[name.lower()]}?"
    return did_you_mean(name, known)


def _unknown(file: str, where: str, name: str, known: Sequence[str], what: str) -> Problem:
    return Problem(
        file,
        where,
        f"{name!r} is not in the catalog{what}.{_suggest(name, known)} Known: {', '.join(known)}.",
    )


def check_against_catalog(client: ClientParams, catalog: Any, file: str | Path) -> None:
    """Names must exist in the catalog and options must not contradict the constraints.

    Raises one ``ParamsError`` with one problem per unknown name (with did-you-mean and the known
    names) and per contradiction (e.g. only ``api`` hosting for confidential data).
    """
    file = str(file)
    gpus = list(getattr(catalog, "gpus", {}) or {})
    open_models = list(getattr(catalog, "open_models", {}) or {})
    api_models = list(getattr(catalog, "api_models", {}) or {})
    regions = list(getattr(catalog, "regions", {}) or {})
    models = open_models + [m for m in api_models if m not in open_models]
    problems: list[Problem] = []
    options = client.options

    for i, gpu in enumerate(options.gpus or []):
        if gpu not in gpus:
            problems.append(_unknown(file, f"options.gpus[{i}]", gpu, gpus, ""))
    for i, model in enumerate(options.models or []):
        if model not in models:
            problems.append(_unknown(file, f"options.models[{i}]", model, models, ""))
    for i, ev in enumerate(client.evaluations):
        if ev.model not in models:
            problems.append(_unknown(file, f"evaluations[{i}].model", ev.model, models, ""))
        elif ev.optimisation is not None and ev.model not in open_models:
            problems.append(
                Problem(
                    file,
                    f"evaluations[{i}].optimisation",
                    f"{ev.model} is an API model: optimisation applies to self-hosted models "
                    "only; remove it",
                )
            )
    for i, region in enumerate(client.constraints.regions):
        if region not in regions:
            problems.append(
                _unknown(file, f"constraints.regions[{i}]", region, regions, " of regions")
            )
    country = client.carbon.country
    if (
        country is not None
        and regions
        and country not in regions
        and (country not in client.constraints.regions)
    ):
        problems.append(_unknown(file, "carbon.country", country, regions, " of regions"))

    problems.extend(_quote_problems(client, file, gpus, regions, api_models))
    problems.extend(_parallelism_problems(client, catalog, file))
    problems.extend(_pilot_problems(client, catalog, file))
    problems.extend(_contradictions(client, file, open_models, api_models))
    if problems:
        raise ParamsError(problems)


def _pilot_problems(client: ClientParams, catalog: Any, file: str) -> list[Problem]:
    """``measurements.pilot``: its names in the catalog (a GPU outside ``options.gpus`` is
    fine: the pilot is predicted on its own), the model of its hosting kind, TP in one server."""
    pilot = client.measurements.pilot
    if pilot is None:
        return []
    key = "measurements.pilot"
    gpus = getattr(catalog, "gpus", {}) or {}
    open_models = list(getattr(catalog, "open_models", {}) or {})
    api_models = list(getattr(catalog, "api_models", {}) or {})
    problems: list[Problem] = []
    if pilot.hosting == "api":
        if pilot.model not in api_models:
            hint = " (an open model: give hosting cloud or on_premise and its gpu)" * (
                pilot.model in open_models
            )
            problems.append(_unknown(file, f"{key}.model", pilot.model, api_models, hint))
        return problems
    if pilot.model not in open_models:
        hint = " of open models (an API model: give hosting api)" * (pilot.model in api_models)
        problems.append(_unknown(file, f"{key}.model", pilot.model, open_models, hint))
    if pilot.gpu not in gpus:
        problems.append(_unknown(file, f"{key}.gpu", str(pilot.gpu), list(gpus), ""))
    else:
        quant = (getattr(catalog, "quantisations", {}) or {}).get(pilot.optimisation)
        compute = str(getattr(quant, "compute", ""))
        path = f"{compute}_{'tops' if compute == 'int8' else 'tflops'}" if compute else ""
        if path and not getattr(gpus[pilot.gpu], path, None):
            problems.append(
                Problem(
                    file,
                    f"{key}.optimisation",
                    f"{pilot.gpu} does not compute {compute} (no {path} in the catalog), so "
                    f"the pilot cannot have run {pilot.optimisation} on it; give the precision "
                    "it ran in",
                )
            )
        if pilot.kv_cache == "fp8" and not getattr(gpus[pilot.gpu], "fp8_tflops", None):
            problems.append(
                Problem(
                    file,
                    f"{key}.kv_cache",
                    f"{pilot.gpu} has no FP8 support for an fp8 KV cache; give fp16",
                )
            )
        server = int(getattr(gpus[pilot.gpu], "gpus_per_server", 8) or 8)
        if pilot.gpus_per_replica > server:
            problems.append(
                Problem(
                    file,
                    f"{key}.gpus_per_replica",
                    f"{pilot.gpus_per_replica} GPUs per replica, but one {pilot.gpu} server holds "
                    f"{server}; give the degree the pilot ran with",
                )
            )
    return problems


def _quote_problems(
    client: ClientParams, file: str, gpus: list[str], regions: list[str], api_models: list[str]
) -> list[Problem]:
    """A quote names a GPU, region or API model of the catalog (validated like the catalog)."""
    problems = []
    for i, q in enumerate(client.quotes):
        if q.gpu is not None and gpus and q.gpu not in gpus:
            problems.append(_unknown(file, f"quotes[{i}].gpu", q.gpu, gpus, " of GPUs"))
        if q.region is not None and regions and q.region not in regions:
            problems.append(_unknown(file, f"quotes[{i}].region", q.region, regions, " of regions"))
        if q.model is not None and api_models and q.model not in api_models:
            problems.append(
                _unknown(file, f"quotes[{i}].model", q.model, api_models, " of API models")
            )
    return problems


def tco_warnings(client: ClientParams, file: str | Path) -> list[str]:
    """Legal but likely wrong cost-of-ownership inputs (warnings, not errors): a quote for a GPU,
    region or model the client's options leave out (it prices nothing), a commitment longer than
    the horizon (not offered)."""
    file = str(file)
    out = []
    options, horizon = client.options, client.usage.horizon_months
    regions = client.constraints.regions
    for i, q in enumerate(client.quotes):
        if q.gpu is not None and options.gpus is not None and q.gpu not in options.gpus:
            out.append(
                f"{file}: quotes[{i}].gpu: {q.gpu} is not in options.gpus: this quote prices "
                "no configuration; add the GPU to options.gpus or remove the quote"
            )
        if q.region is not None and q.region not in regions:
            out.append(
                f"{file}: quotes[{i}].region: {q.region} is not in constraints.regions: this "
                "quote prices no configuration; add the region or remove the quote"
            )
        if q.model is not None and options.models is not None and q.model not in options.models:
            out.append(
                f"{file}: quotes[{i}].model: {q.model} is not in options.models: this quote "
                "prices no configuration; add the model or remove the quote"
            )
        if q.kind == "cloud_gpu_hour" and COMMITMENT_MONTHS[q.commitment] > horizon:
            out.append(
                f"{file}: quotes[{i}].commitment: a {q.commitment} commitment is longer than "
                f"usage.horizon_months ({horizon}): not offered, the quote is unused"
            )
    for i, c in enumerate(options.cloud_commitment or []):
        if COMMITMENT_MONTHS[c] > horizon:
            out.append(
                f"{file}: options.cloud_commitment[{i}]: a {c} commitment ({COMMITMENT_MONTHS[c]} "
                f"months) is longer than usage.horizon_months ({horizon}): not offered; raise the "
                "horizon or remove it"
            )
    return out


def _parallelism_problems(client: ClientParams, catalog: Any, file: str) -> list[Problem]:
    """A tensor-parallel degree no candidate GPU's server can hold (parallelism stays within one
    server) is an error; one that only some GPUs' servers hold applies to those."""
    degrees = client.options.gpus_per_replica
    records = getattr(catalog, "gpus", {}) or {}
    if not degrees or not records:
        return []
    names = [g for g in (client.options.gpus or list(records)) if g in records]
    servers = {g: int(getattr(records[g], "gpus_per_server", 8) or 8) for g in names}
    if not servers:
        return []
    largest = max(servers.values())
    problems = []
    for i, degree in enumerate(degrees):
        if degree > largest:
            held = ", ".join(f"{g}: {n}" for g, n in servers.items())
            fitting = [d for d in (1, 2, 4, 8) if d <= largest]
            problems.append(
                Problem(
                    file,
                    f"options.gpus_per_replica[{i}]",
                    f"{degree} GPUs per replica, but one server of the candidate GPUs holds at "
                    f"most {largest} ({held}); tensor parallelism stays within one server: use "
                    f"{', '.join(map(str, fitting))}",
                )
            )
    return problems


def _contradictions(
    client: ClientParams, file: str, open_models: list[str], api_models: list[str]
) -> list[Problem]:
    problems: list[Problem] = []
    confidential = client.constraints.confidential_data
    hosting = client.options.hosting
    allowed = [h for h in (hosting or HOSTINGS) if not (confidential and h == "api")]
    if hosting is not None and not allowed:
        problems.append(
            Problem(
                file,
                "options.hosting",
                "only api is allowed, but constraints.confidential_data is true and API "
                "hosting is excluded for confidential data; add cloud or on_premise",
            )
        )
        return problems
    models = client.options.models
    if models is None:
        return problems
    self_hosted = any(h in allowed for h in ("cloud", "on_premise"))
    runnable = [
        m
        for m in models
        if (m in api_models and "api" in allowed) or (m in open_models and self_hosted)
    ]
    known = [m for m in models if m in open_models or m in api_models]
    if known and not runnable:
        if "api" not in allowed and all(m in api_models for m in known):
            why = (
                "API hosting is excluded for confidential data"
                if confidential
                else "options.hosting excludes api"
            )
            problems.append(
                Problem(
                    file,
                    "options.models",
                    f"only API models are listed but {why}; add an open model "
                    f"(e.g. {', '.join(open_models[:3])}) or allow api hosting",
                )
            )
        else:
            problems.append(
                Problem(
                    file,
                    "options.models",
                    "only open models are listed but options.hosting allows only api; add "
                    "cloud or on_premise, or an API model",
                )
            )
    return problems


# --------------------------------------------------------------------------------------------
# JSON Schema


def json_schema() -> dict[str, Any]:
    """JSON Schema of client params files (editors complete and check the YAML with it)."""
    schema = ClientParams.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "llmdecide client parameters"
    return schema


def write_schema(path: str | Path) -> Path:
    """Write ``json_schema()`` deterministically (sorted keys, indent 2)."""
    from llmdecide import results

    return results.write_json(Path(path), json_schema())
