"""The catalog's method settings that library calls take as arguments (read, never restated)."""

from __future__ import annotations

from llmdecide import catalog

METHOD = catalog.load().method
LOG: dict[str, float] = {
    "peak_quantile": float(METHOD["peak_quantile"]),
    "active_hour_share": float(METHOD["active_hour_share"]),
}
"""Keyword arguments of ``measurements.read_usage_log`` besides the peak window."""
