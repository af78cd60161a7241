"""Operational and embodied emissions (vectorised: floats or numpy arrays).

The inputs are not checked here but where they enter, with the file and key path: the params
file (``carbon.renewable_share`` within 0..1, ``carbon.contract_intensity_g_per_kwh`` within
0..2000) and the catalog (``life_years`` > 0).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from llmdecide.units import G_PER_KG, MONTHS_PER_YEAR


def operational_kgco2e(
    energy_kwh: Any,
    intensity_g_per_kwh: Any,
    renewable_share: Any = 0.0,
    contract_intensity_g_per_kwh: Any = 0.0,
) -> Any:
    """(1 − s) × E × I_grid + s × E × I_contract, in kg (market-based when s > 0; GHG Protocol)."""
    e = np.asarray(energy_kwh, dtype=float)
    s = np.asarray(renewable_share, dtype=float)
    return (
        e
        * ((1.0 - s) * np.asarray(intensity_g_per_kwh) + s * contract_intensity_g_per_kwh)
        / G_PER_KG
    )


def embodied_kgco2e_per_month(embodied_kgco2e_per_gpu: Any, gpus: Any, life_years: Any) -> Any:
    """Manufacturing emissions spread evenly over the hardware's life: per GPU × GPUs / months."""
    return (
        np.asarray(embodied_kgco2e_per_gpu, dtype=float)
        * np.asarray(gpus, dtype=float)
        / (np.asarray(life_years, dtype=float) * MONTHS_PER_YEAR)
    )
