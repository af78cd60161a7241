"""``usage``: the volume and shape of the traffic at project start, and its optional phases."""

from __future__ import annotations

from pydantic import (
    Field,
    model_validator,
)

from llmdecide.params.fields import (
    Integer,
    Line,
    Number,
    _custom,
    _Section,
)
from llmdecide.units import per_active_second


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
        return per_active_second(self.requests_per_day, self.active_hours_per_day)

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
            average = per_active_second(phase.requests_per_day, self.active_hours_per_day)
            if phase.peak_requests_per_second < average * (1 - 1e-9):
                raise _custom(
                    f"the peak ({phase.peak_requests_per_second:g} requests/s) is below the "
                    f"average over the active hours ({phase.requests_per_day:g} requests / "
                    f"({self.active_hours_per_day:g} h × 3600 s) = {average:.3g} requests/s); "
                    "raise the peak or lower requests_per_day",
                    f"phases[{i}].peak_requests_per_second",
                )
        return self
