"""Energy of a self-hosted deployment (GPU power by utilisation, idle floor, server share, PUE)."""

from __future__ import annotations

from typing import Any

import numpy as np

from llmdecide.units import TOKENS_PER_K, WH_PER_KWH


def gpu_power_w(tdp_w: float, idle_w: float, utilisation: float) -> float:
    """Linear power model between idle and TDP: idle + (TDP − idle) × utilisation."""
    return idle_w + (tdp_w - idle_w) * utilisation


def energy_kwh(gpus: Any, gpu_w: Any, server_w_per_gpu: Any, hours: Any, pue: Any) -> Any:
    """Facility energy of ``gpus`` GPUs for ``hours``: (GPU + server share) × hours × PUE."""
    return gpus * (gpu_w + server_w_per_gpu) * hours * pue / WH_PER_KWH


def wh_per_1k_output_tokens(energy_kwh_per_month: Any, output_tokens_per_month: Any) -> Any:
    """Energy intensity of generation: Wh per thousand generated tokens."""
    return energy_kwh_per_month * WH_PER_KWH / (output_tokens_per_month / TOKENS_PER_K)


def gpu_power_from_steps_w(
    tdp_w: Any,
    idle_w: Any,
    busy_share: Any,
    memory_share: Any,
    compute_share: Any,
    memory_bound_power_fraction: Any,
    compute_bound_power_fraction: Any,
) -> Any:
    """GPU power from what its steps do: idle + (TDP − idle) × busy × activity, where the
    activity of a step is ``f_m × memory share + f_c × compute share`` (capped at 1): a step that
    streams HBM with idle tensor cores (small-batch decode) draws less than one that keeps both
    busy (large batch, prefill). ``f_m``/``f_c`` are calibrated on published GPU power
    measurements (catalog efficiencies, with their source); ``busy`` is the share of time the
    engine runs steps at all."""
    activity = np.minimum(
        1.0,
        np.asarray(memory_bound_power_fraction) * np.asarray(memory_share)
        + np.asarray(compute_bound_power_fraction) * np.asarray(compute_share),
    )
    return (
        np.asarray(idle_w)
        + (np.asarray(tdp_w) - np.asarray(idle_w)) * np.asarray(busy_share) * activity
    )


def joules_per_token(power_w: Any, tokens_per_s: Any) -> Any:
    """Energy per generated token: power / token rate (J = W × s)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(power_w) / np.asarray(tokens_per_s)
