"""The configuration space of the six technical choices, and every configuration evaluated.

``space(client, catalog)`` (module ``space``, re-exported here) enumerates the candidates and the
options excluded by a constraint, each with its reason. ``evaluate(...)`` runs the chain of ``evaluation/`` over every
candidate under three scenarios of the uncertain inputs — the catalog's ``value``, the end of every
range that favours the client (optimistic) and the other end (pessimistic); the sizing (batch cap,
replicas) is chosen in the value scenario and kept in the others — and returns the docs/outputs.md table
with ``_low``/``_high`` columns for the Monte Carlo.

Money is computed in USD (the catalog's unit) and converted once to the client's currency.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from llmdecide import gcpause
from llmdecide.estimators import cost
from llmdecide.evaluation import self_hosted
from llmdecide.evaluation.context import (
    OPTIMISTIC,
    PESSIMISTIC,
    SCENARIOS,
    VALUE,
    Context,
    make_context,
    pick,
    spread,
)
from llmdecide.evaluation.estimate import Estimate
from llmdecide.evaluation.hosting import api as api_hosting
from llmdecide.evaluation.rows import Rows, distinct_codes
from llmdecide.evaluation.sizing import Sizing

if TYPE_CHECKING:
    from llmdecide.catalog import Catalog
    from llmdecide.params import ClientParams

from llmdecide.columns import (
    CHOICE_TABLES,
    CHOICES,
    COST_COLUMNS,
    EXTRA_COLUMNS,
    SPEC_COLUMNS,
    UNCERTAIN,
)
from llmdecide.space import Candidate, space

TP_DEGREES = (1, 2, 4, 8)
__all__ = [
    "CHOICES",
    "CHOICE_TABLES",
    "OPTIMISTIC",
    "PESSIMISTIC",
    "SCENARIOS",
    "VALUE",
    "Candidate",
    "Context",
    "Estimate",
    "estimate",
    "evaluate",
    "evaluate_one",
    "make_context",
    "pick",
    "space",
    "spread",
]


# --------------------------------------------------------------------------------------------
# Evaluation


def evaluate_many(
    ctx: Context,
    cands: Sequence[Candidate] | Rows,
    scenario: str,
    sizing: Sizing | None = None,
    columns: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Every candidate at one scenario: one row each, in their order (USD, before conversion).
    ``cands`` as ``Rows``: their columns are read once for every scenario. ``columns``: only
    those (of the ones computed) in the table."""

    rows = Rows.of(cands)
    cands = rows.cands
    hostings = rows.col("hosting")
    api_idx = [i for i, h in enumerate(hostings) if h == "api"]
    own_idx = [i for i, h in enumerate(hostings) if h != "api"]
    parts = []

    def kept(found: dict[str, Any]) -> dict[str, Any]:
        return found if columns is None else {k: found[k] for k in columns if k in found}

    if api_idx:
        parts.append(
            pd.DataFrame(
                [kept(api_hosting.evaluate(ctx, cands[i], scenario)) for i in api_idx],
                index=api_idx,
            )
        )
    if own_idx:
        own = kept(self_hosted.evaluate(ctx, rows.take(own_idx), scenario, sizing))
        parts.append(pd.DataFrame(own, index=own_idx))
    if not parts:
        return pd.DataFrame()
    return pd.concat(parts).sort_index()


def evaluate_one(ctx: Context, c: Candidate, scenario: str) -> dict[str, Any]:
    """One candidate at one scenario (its own sizing search)."""
    if c.hosting == "api":  # its row as a dict: the one-row table costs 30x the evaluation
        return {k: _plain(v) for k, v in api_hosting.evaluate(ctx, c, scenario).items()}
    return {k: _plain(v) for k, v in evaluate_many(ctx, [c], scenario).iloc[0].items()}


def estimate(ctx: Context, c: Candidate) -> Estimate:
    """One candidate as the table has it: evaluated by ``evaluate_candidates`` (the value
    scenario, its own sizing search, money in the client's currency), read back as its frozen
    ``Estimate``. The way to look at one configuration; the table itself stays columnar."""
    return Estimate.of(evaluate_candidates(ctx, [c]).iloc[0])


def _plain(v: Any) -> Any:
    if isinstance(v, np.generic):
        return v.item()
    return v


MONEY = ("monthly_cost", "setup_cost", *COST_COLUMNS)


def _number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not math.isnan(x)


def _head(hosting: str, region: str, gpu: str, gpr: Any, reps: Any) -> list[str]:
    """Label parts of where it runs: hosting, and for self-hosting the region and the GPUs."""
    parts = [hosting.replace("_", "-")]
    if hosting != "api":
        parts.append(region)
        if _number(gpr) and _number(reps):
            parts.append(f"{int(reps)}×{int(gpr)} {gpu}")
        elif _number(gpr):
            parts.append(f"{int(gpr)} {gpu} per replica")
        else:
            parts.append(gpu)
    return parts


def _model_part(model: str, optimisation: Any, kv_cache: Any, effort: Any) -> str:
    text = model + (f" {optimisation}" if optimisation else "")
    if kv_cache == "fp8":
        text += " kv-fp8"
    if effort:
        text += f" ({effort} effort)"
    return text


def _tail(caching: Any, rag: str, output_format: str, mode: str) -> list[str]:
    parts = []
    if caching == "on":
        parts.append("cache")
    if rag == "rag":
        parts.append("RAG")
    if output_format != "text":
        parts.append(output_format)
    parts.append(mode.replace("_", " "))
    return parts


HEAD = ("hosting", "region", "gpu", "gpus_per_replica", "replicas")
MODEL = ("model", "optimisation", "kv_cache", "reasoning_effort")
TAIL = ("prompt_caching", "rag", "output_format", "deployment_mode")


def label(row: Mapping[str, Any]) -> str:
    """A short human label of a configuration (language-neutral: names and numbers only)."""
    return " · ".join(
        [
            *_head(row["hosting"], row["region"], row["gpu"], *map(row.get, HEAD[3:])),
            _model_part(row["model"], *map(row.get, MODEL[1:])),
            *_tail(
                row.get("prompt_caching"), row["rag"], row["output_format"], row["deployment_mode"]
            ),
        ]
    )


@gcpause.while_paused  # allocates much, frees little: gcpause's docstring
def evaluate(
    client: ClientParams,
    catalog: Catalog,
    usage: Mapping[str, float],
    intensity_g_per_kwh: Mapping[str, float],
    *,
    measured_usage: bool = False,
    candidates: Iterable[Candidate] | None = None,
) -> pd.DataFrame:
    """Every candidate under the three scenarios → the docs/outputs.md table (+ extras, ``_low``/``_high``).

    Rows a sizing rule rules out stay in the table with ``excluded_because`` set (the scoring
    rejects them with that reason). Money is in the client's currency.
    """

    ctx = make_context(client, catalog, usage, intensity_g_per_kwh, measured_usage=measured_usage)
    cands = list(candidates) if candidates is not None else space(client, catalog).candidates
    frame = evaluate_candidates(ctx, cands)
    ordered = [*SPEC_COLUMNS, *EXTRA_COLUMNS]
    extras = [f"{c}_{end}" for c in UNCERTAIN for end in ("low", "high")]
    if frame.empty:
        frame = pd.DataFrame(columns=[*ordered, *extras])
    text = ("rejected_because", "excluded_because", "reasoning_effort", "prompt_caching")
    for col in [*ordered, *extras]:
        if col not in frame:
            frame[col] = "" if col in text else math.nan
    return frame[[*ordered, *extras]].sort_values("config_id").reset_index(drop=True)


def evaluate_candidates(ctx: Context, cands: Sequence[Candidate]) -> pd.DataFrame:
    """The rows: the value scenario's figures, the range of the uncertain ones, money converted.
    The sizing chosen in the value scenario is kept in the other two (they vary the inputs, not
    the engine settings)."""

    if not cands:
        return pd.DataFrame()
    rows = Rows(cands)
    value = evaluate_many(ctx, rows, VALUE)
    own = ~rows.mask("hosting", "api")
    sizing = None
    if own.any():
        sizing = Sizing(
            batch_cap=value["batch_per_replica"].to_numpy(dtype=float)[own],
            # the sized replicas, without the spares and sites the bill adds
            replicas=np.nan_to_num(
                value.get("serving_replicas", value["replicas"]).to_numpy(dtype=float)[own]
            ),
        )
    # the other two scenarios give the range of the uncertain columns only
    ends = [evaluate_many(ctx, rows, s, sizing, UNCERTAIN) for s in (OPTIMISTIC, PESSIMISTIC)]
    choices = (
        "hosting",
        "region",
        "gpu",
        "model",
        "optimisation",
        "kv_cache",
        "rag",
        "output_format",
        "deployment_mode",
        "reasoning_effort",
        "prompt_caching",
    )
    frame = pd.DataFrame(
        {**{c: rows.col(c) for c in choices}, "config_id": [c.config_id for c in cands]}
    )
    for col in value.columns:
        # a text column is kept as it is (through numpy it would be converted back to text)
        v = value[col]
        frame[col] = v.array if isinstance(v.dtype, pd.StringDtype) else v.to_numpy()
    excluded = frame["excluded_because"].fillna("").astype(str).ne("").to_numpy()
    rate = ctx.usd_per_unit
    for col in MONEY:
        if col in frame:
            frame[col] = frame[col].astype(float) / rate
    for col in UNCERTAIN:
        stack = np.vstack(
            [
                f[col].to_numpy(dtype=float) if col in f else np.full(len(cands), math.nan)
                for f in (value, *ends)
            ]
        )
        if col in MONEY:
            stack = stack / rate
        with np.errstate(all="ignore"):
            all_nan = np.isnan(stack).all(axis=0)
            low = np.where(
                all_nan, math.nan, np.nanmin(np.where(np.isnan(stack), np.inf, stack), axis=0)
            )
            high = np.where(
                all_nan, math.nan, np.nanmax(np.where(np.isnan(stack), -np.inf, stack), axis=0)
            )
        frame[f"{col}_low"] = np.where(excluded, math.nan, low)
        frame[f"{col}_high"] = np.where(excluded, math.nan, high)
    blank = list(
        dict.fromkeys(
            c
            for c in (*UNCERTAIN, *MONEY, "energy_kwh_per_month")
            if c in frame and c != "accuracy"
        )
    )
    frame.loc[excluded, blank] = math.nan
    for col in LABEL_COLUMNS:
        if col not in frame:
            frame[col] = math.nan  # every row excluded before sizing
    frame["label"] = labels(frame)
    return frame


def _label_codes(col: pd.Series, none_for_nan: bool) -> tuple[NDArray[np.intp], list[Any]]:
    """Each row's index into the distinct values of a label column, and those values as
    ``tolist`` gives them (NaN as None where ``none_for_nan``). A float column or one without a
    missing value is factorised by pandas; otherwise (None beside NaN, which pandas would merge)
    the values are compared as Python compares them."""
    if col.dtype.kind == "f" or not col.isna().any():
        codes, uniques = pd.factorize(col, use_na_sentinel=True)
        values = list(uniques.tolist())
        if (codes < 0).any():  # NaN: one value, as tolist gives it
            codes = np.where(codes < 0, len(values), codes)
            values.append(None if none_for_nan else math.nan)
        return codes.astype(np.intp), values
    values = col.tolist()
    if none_for_nan:
        values = [None if isinstance(v, float) and math.isnan(v) else v for v in values]
    distinct, index = distinct_codes(values)
    return index, distinct


def labels(frame: pd.DataFrame) -> list[str]:
    """``label`` of every row: each of its three parts computed once per distinct value of its
    columns (n/a numbers, NaN, are one value)."""

    def part(columns: tuple[str, ...], make: Callable[..., Any]) -> list[str]:
        coded = [_label_codes(frame[c], c in ("gpus_per_replica", "replicas")) for c in columns]
        joint, size = np.zeros(len(frame), dtype=np.int64), 1
        for codes, values in coded:
            joint, size = joint * max(len(values), 1) + codes, size * max(len(values), 1)
            if size > 2**31:  # renumber the combinations seen before the codes could overflow
                _, joint = np.unique(joint, return_inverse=True)
                joint, size = joint.reshape(-1).astype(np.int64), int(joint.max()) + 1
        _, first, inverse = np.unique(joint, return_index=True, return_inverse=True)
        found = [make(*(values[codes[i]] for codes, values in coded)) for i in first.tolist()]
        return [found[j] for j in inverse.reshape(-1).tolist()]

    heads = part(HEAD, lambda *k: " · ".join(_head(*k)))
    models = part(MODEL, _model_part)
    tails = part(TAIL, lambda *k: " · ".join(_tail(*k)))
    return [f"{h} · {m} · {t}" for h, m, t in zip(heads, models, tails, strict=True)]


LABEL_COLUMNS = CHOICES  # a label names every choice (n/a ones are left out)


def scaled_usage(usage: Mapping[str, float], factor: float) -> dict[str, float]:
    """The same usage profile at ``factor`` × the volume (break-even curves)."""
    out = dict(usage)
    out["requests_per_day"] = usage["requests_per_day"] * factor
    out["peak_requests_per_second"] = usage["peak_requests_per_second"] * factor
    return out


def cost_curve(
    ctx: Context, candidate: Candidate, factors: Iterable[float], make: Callable[..., Context]
) -> list[float]:
    """Monthly cost (client currency) of one candidate at scaled volumes, re-sized at each
    (a self-hosted candidate is sized at every volume in one vectorised pass)."""
    factors = list(factors)
    if candidate.hosting != "api":
        columns = self_hosted.evaluate(
            ctx, [candidate] * len(factors), VALUE, volume=np.array(factors, dtype=float)
        )
        out = []
        for excluded, value in zip(
            columns["excluded_because"], columns["monthly_cost"], strict=True
        ):
            out.append(
                cost.to_currency(float(value) if not excluded else math.nan, ctx.usd_per_unit)
            )
        return out
    out = []
    for f in factors:
        scaled = make(scaled_usage(ctx.usage, f))
        r = evaluate_one(scaled, candidate, VALUE)
        value = r.get("monthly_cost", math.nan) if not r.get("excluded_because") else math.nan
        out.append(cost.to_currency(float(value), ctx.usd_per_unit))
    return out
