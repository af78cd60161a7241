"""Energy of a self-hosted deployment (GPU power by utilisation, idle floor, server share, PUE)."""

from __future__ import annotations

WH_PER_KWH = 1000.0
TOKENS_PER_K = 1000.0


def gpu_power_w(tdp_w: float, idle_w: float, utilisation: float) -> float:
    """Linear power model between idle and TDP: idle + (TDP − idle) × utilisation."""
    return idle_w + (tdp_w - idle_w) * utilisation


def energy_kwh(
    gpus: float, gpu_w: float, server_w_per_gpu: float, hours: float, pue: float
) -> float:
    """Facility energy of ``gpus`` GPUs for ``hours``: (GPU + server share) × hours × PUE."""
    return gpus * (gpu_w + server_w_per_gpu) * hours * pue / WH_PER_KWH


def wh_per_1k_output_tokens(energy_kwh_per_month: float, output_tokens_per_month: float) -> float:
    """Energy intensity of generation: Wh per thousand generated tokens."""
    return energy_kwh_per_month * WH_PER_KWH / (output_tokens_per_month / TOKENS_PER_K)
