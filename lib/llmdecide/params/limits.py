"""``critical_performance``: the limits (hard thresholds) and the priorities (direct weights or
AHP pairwise judgements) of the Critical Performance Triangle, plus carbon.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    Field,
    field_validator,
    model_validator,
)

from llmdecide import priorities as _priorities
from llmdecide.params.fields import (
    Judgement,
    Number,
    _custom,
    _fraction_schema,
    _Section,
    _show,
)

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
