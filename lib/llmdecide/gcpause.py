"""The cyclic garbage collector paused over a computation that allocates much and frees little.

Sizing and scoring 50 000 configurations create millions of short-lived lists, tuples and pandas
objects but no reference cycles worth collecting before the end; with the collector running,
its passes over every live object (a full pass of the catalog, the candidates and the frames
takes 0.2–0.3 s) cost up to a tenth of the run, at times that vary from run to run. Reference
counting still frees everything as it goes; cycles left behind are collected once the
collector is back on. Results do not depend on it.

The report's render is the same shape: WeasyPrint builds and lays out some hundred thousand boxes
for a 20-page PDF, and in a run's process (pandas, the catalog, the results alive) the collector's
passes cost 0.5–0.9 s of its 4 s (measured with the example client, alternating paused and not).
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


@contextmanager
def paused() -> Iterator[None]:
    """The collector off inside the block, back on after it if it was on (nesting is fine)."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def while_paused(fn: Callable[P, R]) -> Callable[P, R]:
    """``fn`` run with the collector ``paused``."""

    @functools.wraps(fn)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        with paused():
            return fn(*args, **kwargs)

    return run
