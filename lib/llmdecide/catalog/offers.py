"""Where and at what price: cloud offers (on-demand and commitment prices per GPU-hour),
regions (electricity price, PUE) and currency rates."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field, field_validator, model_validator

from llmdecide.catalog.records import BaseRecord, Positive

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


class Region(BaseRecord):
    """A country (ISO-3 key) where a configuration may run."""

    name: str = Field(min_length=1)
    electricity_price_usd_per_kwh: float = Positive
    cloud_price_factor: float = Field(1.0, gt=0)
    pue: float | None = Field(None, ge=1.0, description="null: assumption pue_default")


class CurrencyRate(BaseRecord):
    usd_per_unit: float = Positive
    date: date
