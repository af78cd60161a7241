"""Precision of a configuration: the client's evaluation first, else a catalog proxy, each adjusted
by the catalog's deltas (quantisation, RAG, user uploads, output format) for what it did not cover."""

from __future__ import annotations

from collections.abc import Iterable

MEASURED = "measured"
PROXY = "proxy"


def accuracy(base: float, deltas: Iterable[float]) -> float:
    """Base accuracy plus the deltas (fractions, negative = loss), kept within [0, 1]."""
    return min(1.0, max(0.0, base + sum(deltas)))
