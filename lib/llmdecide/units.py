"""Unit conversions: one definition of each, imported wherever a quantity changes unit.

Decimal prefixes throughout (1 GB = 10⁹ bytes, as GPU data sheets and model cards count memory
and bandwidth). Definitions only: no measured figure and no method setting lives here (those are
in ``params/catalog/``: e.g. ``hours_per_month`` is a catalog assumption, not a unit).
"""

from __future__ import annotations

SECONDS_PER_MINUTE = 60.0
SECONDS_PER_HOUR = 3600.0
HOURS_PER_DAY = 24.0
SECONDS_PER_DAY = SECONDS_PER_HOUR * HOURS_PER_DAY
MONTHS_PER_YEAR = 12.0
DAYS_PER_WEEK = 7
MS_PER_S = 1000.0

BITS_PER_BYTE = 8
BYTES_PER_GB = 1e9
PER_BILLION = 1e9
"""Parameters are counted in billions (``params_b``)."""
TERA = 1e12
"""TFLOPS to FLOP/s."""
MILLION = 1e6
"""API prices are per million tokens."""
TOKENS_PER_K = 1000.0

WH_PER_KWH = 1000.0
G_PER_KG = 1000.0


def per_active_second(per_day: float, active_hours_per_day: float) -> float:
    """A daily count as its mean rate per second over the day's active hours."""
    return per_day / (active_hours_per_day * SECONDS_PER_HOUR)


__all__ = [
    "BITS_PER_BYTE",
    "BYTES_PER_GB",
    "DAYS_PER_WEEK",
    "G_PER_KG",
    "HOURS_PER_DAY",
    "MILLION",
    "MONTHS_PER_YEAR",
    "MS_PER_S",
    "PER_BILLION",
    "SECONDS_PER_DAY",
    "SECONDS_PER_HOUR",
    "SECONDS_PER_MINUTE",
    "TERA",
    "TOKENS_PER_K",
    "WH_PER_KWH",
    "per_active_second",
]
