"""Method inputs: precision deltas, quantisations, named assumptions and the method settings
(choices documented in docs/method.md, not measured figures)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field, field_validator, model_validator

from llmdecide.catalog.records import BaseRecord, NonNegative, Positive, Range, _fraction


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
    engine: str = Field(
        min_length=1,
        description="the serving engine whose efficiency record (efficiencies.<engine>) the "
        "sizing uses",
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
