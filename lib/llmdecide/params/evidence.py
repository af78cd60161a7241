"""What the client measured or runs under measurement: ``evaluations`` (its own accuracies),
``measurements`` (pilot, usage log, emissions logs) and ``carbon`` (with its probe command).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BeforeValidator,
    Field,
    field_validator,
    model_validator,
)

from llmdecide.columns import Hosting
from llmdecide.estimators import precision
from llmdecide.params.fields import (
    Integer,
    Iso3,
    Name,
    Number,
    _as_list,
    _custom,
    _no_bool,
    _one_or_many,
    _Section,
    _show,
)


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
    """The configuration the client's pilot ran on (docs/params.md ``measurements.pilot``): a
    self-hosted replica set, or an API model. Names are checked against the catalog."""

    hosting: Hosting = Field(description="how the pilot was hosted")
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
