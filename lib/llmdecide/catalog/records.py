"""The shared shapes of catalog records: :class:`Range` (an uncertain number), :class:`BaseRecord`
(``source``, ``retrieved``, ``note``, carried by every record), the strict base without
provenance, the ``Positive`` / ``NonNegative`` field shortcuts and the fraction check the
record validators share.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


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


def _fraction(r: Range, name: str, *, positive: bool = False) -> None:
    lowest = 0.0
    if r.low < lowest or r.high > 1.0 or (positive and r.low <= 0):
        bound = "0 < x <= 1" if positive else "0 <= x <= 1"
        raise ValueError(f"{name} is a fraction ({bound}); got low={r.low:g}, high={r.high:g}")
