"""Precision of a configuration: the client's evaluation first, else a catalog proxy, each
adjusted by the catalog's deltas (quantisation, RAG, user uploads, output format) for what the
base figure did not cover."""

from __future__ import annotations

import math

from llmdecide.columns import SELF_HOSTED
from llmdecide.estimators import precision
from llmdecide.evaluation.context import Context, pick


class _Range:
    """A (value, low, high) triple read like a catalog Range by ``pick``."""

    def __init__(self, value: float, low: float, high: float) -> None:
        self.value, self.low, self.high = value, low, high


UNKNOWN = "unknown"


def accuracy(
    ctx: Context,
    hosting: str,
    model: str,
    optimisation: str,
    rag: str,
    output_format: str,
    scenario: str,
    effort: str = "",
) -> tuple[float, str]:
    """(accuracy, source) of a configuration at the scenario; a reasoning model's proxy at the
    effort where one is published."""
    cat = ctx.catalog
    opt = optimisation or "fp16"
    best = None
    for ev in ctx.client.evaluations:
        if ev.model != model:
            continue
        ev_rag = ev.rag or "none"
        ev_opt = ev.optimisation or "fp16"
        if ev_rag != rag:
            continue
        exact = ev_opt == opt or hosting == "api"
        if best is None or (exact and not best[1]):
            best = (ev, exact)
    deltas: list[float] = []
    if best is not None:
        low, value, high = precision.evaluation_accuracy_range(
            float(best[0].accuracy),
            getattr(best[0], "questions", None),
            float(ctx.method("evaluation_confidence")),
        )
        # the binomial confidence interval of the client's evaluation is its range
        base = pick(_Range(value, low, high), scenario, "high")
        source = precision.MEASURED
        covered_opt = best[1]
    else:
        record = cat.open_models.get(model) or cat.api_models[model]
        by_effort = getattr(record, "accuracy_by_effort", None) or {}
        proxy = by_effort.get(effort) if effort else None
        proxy = proxy if proxy is not None else record.accuracy_proxy
        if proxy is None:
            # no published figure and no evaluation: unknown, never invented
            return math.nan, UNKNOWN
        base, source = pick(proxy, scenario, "high"), precision.PROXY
        covered_opt = False
        if rag == "rag":
            deltas.append(pick(cat.precision_deltas["rag"].delta, scenario, "high"))
    if hosting in SELF_HOSTED and opt != "fp16" and not covered_opt:
        deltas.append(pick(cat.precision_deltas[opt].delta, scenario, "high"))
    if ctx.client.options.user_uploads:
        deltas.append(pick(cat.precision_deltas["user_uploads"].delta, scenario, "high"))
    if output_format != "text":
        deltas.append(pick(cat.precision_deltas[output_format].delta, scenario, "high"))
    return precision.accuracy(base, deltas), source
