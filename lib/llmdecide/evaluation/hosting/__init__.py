"""Hosting types: one module each, one small interface.

A self-hosted type (``cloud``, ``on_premise``) is a module with ``bill(ctx, rows, fleet,
scenario) -> columns``: its monthly cost parts, set-up cost, energy and emissions for the fleet
the sizing chose. ``api`` evaluates its own rows (no fleet: a price per request). ``tco`` holds
what they share for the total cost of ownership (staff, availability, commitments, client
quotes); ``fleet`` the GPU-hours, energy and embodied carbon of a fleet. Adding a hosting type
is one module here and one entry below.
"""

from __future__ import annotations

from types import ModuleType

from llmdecide.evaluation.hosting import cloud, on_premise

SELF_HOSTED: dict[str, ModuleType] = {"cloud": cloud, "on_premise": on_premise}
