"""``ClientParams``, the whole client params file, its small ``client``, ``use_case`` and
``report`` sections, measurement paths (``resolve_path``) and the JSON Schema of the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import (
    ConfigDict,
    Field,
    PrivateAttr,
    model_validator,
)

from llmdecide import results
from llmdecide.columns import HOSTINGS, Hosting
from llmdecide.params.choices import Constraints, Options
from llmdecide.params.evidence import Carbon, Evaluation, Measurements
from llmdecide.params.fields import (
    Integer,
    Line,
    _custom,
    _Section,
)
from llmdecide.params.limits import CriticalPerformance
from llmdecide.params.operations import Operations, Quote
from llmdecide.params.usage import Usage

# --------------------------------------------------------------------------------------------
# The sections of docs/params.md


class Client(_Section):
    """Who the report is for."""

    name: Line = Field(description="client name shown on the report")
    language: Literal["fr", "en"] = Field(description="report language")
    currency: Literal["EUR", "USD"] = Field(description="currency of costs and limits")


class UseCase(_Section):
    """What the LLM application does."""

    title: Line = Field(description="short title of the use case")
    description: str = Field("", max_length=5000, description="one paragraph for the report")


class Report(_Section):
    """Report settings."""

    history_keep: Integer = Field(10, ge=0, le=1000, description="older runs kept in history/")


class ClientParams(_Section):
    """llmdecide client parameters (params/clients/<slug>.yaml, docs/params.md)."""

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
    def allowed_hostings(self) -> list[Hosting]:
        """The hosting types a configuration may use: ``options.hosting`` (every one when not
        given), without the API when ``constraints.confidential_data`` excludes third parties."""
        confidential = self.constraints.confidential_data
        return [h for h in (self.options.hosting or HOSTINGS) if not (confidential and h == "api")]

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
# JSON Schema


def json_schema() -> dict[str, Any]:
    """JSON Schema of client params files (editors complete and check the YAML with it)."""
    schema = ClientParams.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "llmdecide client parameters"
    return schema


def write_schema(path: str | Path) -> Path:
    """Write ``json_schema()`` deterministically (sorted keys, indent 2)."""
    return results.write_json(Path(path), json_schema())
