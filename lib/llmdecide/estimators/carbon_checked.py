"""Operational and embodied emissions, one figure at a time, with the inputs checked.

The same formulas as ``estimators/carbon.py`` (whose vectorised forms the evaluation uses), for a
caller with plain numbers that wants a ``ValueError`` on a negative, non-finite or out-of-range
input rather than a NaN.
"""

from __future__ import annotations

import math

from llmdecide.units import G_PER_KG


def operational_kgco2e(
    energy_kwh: float,
    intensity_g_per_kwh: float,
    renewable_share: float = 0.0,
    contract_intensity_g_per_kwh: float | None = None,
) -> float:
    """kgCO2e of electricity use, market-based when part of it is under a low-carbon contract.

    (1 − s) × E × I_grid + s × E × I_contract, over 1000 (g → kg), with E the energy in kWh,
    I_grid the grid's location-based intensity, s the contracted share and I_contract the
    contract's intensity (0 gCO2e/kWh when not given, as the GHG Protocol's market-based method
    counts a renewable certificate). With s = 0 this is the location-based figure.
    """
    contract = 0.0 if contract_intensity_g_per_kwh is None else contract_intensity_g_per_kwh
    for name, value in (
        ("energy_kwh", energy_kwh),
        ("intensity_g_per_kwh", intensity_g_per_kwh),
        ("contract_intensity_g_per_kwh", contract),
    ):
        if not (value >= 0) or not math.isfinite(value):
            raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    if not (0.0 <= renewable_share <= 1.0):
        raise ValueError(f"renewable_share must be within 0..1, got {renewable_share!r}")
    grid_g = (1.0 - renewable_share) * energy_kwh * intensity_g_per_kwh
    contract_g = renewable_share * energy_kwh * contract
    return (grid_g + contract_g) / G_PER_KG


def embodied_kgco2e_per_month(
    embodied_kgco2e_per_gpu: float, gpus: float, life_years: float
) -> float:
    """Manufacturing emissions of the GPUs (with their server share) spread evenly over their life:
    per-GPU kgCO2e × GPUs / (life in years × 12 months)."""
    if not (embodied_kgco2e_per_gpu >= 0) or not math.isfinite(embodied_kgco2e_per_gpu):
        raise ValueError(f"embodied_kgco2e_per_gpu must be >= 0, got {embodied_kgco2e_per_gpu!r}")
    if not (gpus >= 0) or not math.isfinite(gpus):
        raise ValueError(f"gpus must be >= 0, got {gpus!r}")
    if not (life_years > 0) or not math.isfinite(life_years):
        raise ValueError(f"life_years must be > 0, got {life_years!r}")
    return embodied_kgco2e_per_gpu * gpus / (life_years * 12.0)
