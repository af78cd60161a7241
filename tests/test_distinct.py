"""Evaluating the serving model once per distinct row (``estimators.distinct``): the grouping is
exact, and a curve computed on the distinct rows is, bit for bit, the curve of every row."""

from __future__ import annotations

import math

import numpy as np

from llmdecide.estimators import distinct, serving

N = distinct.MIN_ROWS * 2


def _rows(seed: int = 7) -> tuple[serving.StepModel, serving.Workload, serving.Engine]:
    """N rows drawn from 5 step models × 4 prompt lengths × 3 caps (60 distinct rows at most),
    some with a NaN cap (a row the value scenario left unsized)."""
    rng = np.random.default_rng(seed)
    model = rng.integers(0, 5, N)
    prompt = rng.choice([0.0, 500.0, 2000.0, 8000.0], N)
    cap = rng.choice([1.0, 64.0, math.nan], N)
    m = serving.StepModel(
        dense_read_s=0.002 + 0.004 * model,
        kv_read_s_per_token=1e-7,
        decode_compute_s_per_token=1e-4 * (1 + model),
        prefill_compute_s_per_token=5e-5,
        experts_read_s=np.where(model == 4, 0.04, 0.0),
        experts=np.where(model == 4, 8.0, 0.0),
        experts_per_token=np.where(model == 4, 2.0, 0.0),
        attention_s_per_pair=1e-10,
        overhead_s=0.001,
    )
    w = serving.Workload(context_tokens=prompt + 100, prefill_tokens=prompt, output_tokens=200)
    e = serving.Engine(max_seqs=cap, token_budget=4096, kv_capacity_tokens=2e5)
    return m, w, e


def test_distinct_rows_groups_equal_rows_nan_included() -> None:
    m, w, e = _rows()
    found = distinct.distinct_rows((m, w, e))
    assert found is not None
    first, inverse = found
    # 5 models × 4 prompts × 3 caps = 60 combinations, every one drawn among 2 048 rows
    assert first.size == 60
    for field in ("dense_read_s", "decode_compute_s_per_token", "experts"):
        column = np.asarray(getattr(m, field))
        assert np.array_equal(column[first][inverse], column)
    caps = np.asarray(e.max_seqs)
    assert np.array_equal(caps[first][inverse], caps, equal_nan=True)
    # the exact grouping (rows compared as bytes) finds the same groups
    bits = [np.asarray(getattr(m, f)).view(np.uint64) for f in ("dense_read_s", "experts")]
    bits.append(caps.view(np.uint64))
    ex_first, _ = distinct._exact(bits)
    assert ex_first.size == 5 * 3  # the models and caps alone


def test_nothing_to_group_gives_none() -> None:
    m = _rows()[0]
    small = distinct.take(m, np.arange(10))
    assert distinct.distinct_rows((small,)) is None  # below MIN_ROWS
    unique = serving.Workload(context_tokens=np.arange(N) + 1.0, prefill_tokens=0, output_tokens=1)
    assert distinct.distinct_rows((unique,)) is None  # every row differs
    grid = serving.Workload(context_tokens=np.ones((N, 2)), prefill_tokens=0, output_tokens=1)
    assert distinct.distinct_rows((grid,)) is None  # not one value per row


def test_load_curve_of_distinct_rows_is_every_rows_own() -> None:
    m, w, e = _rows()
    assert distinct.distinct_rows((m, w, e)) is not None  # the spread path is the one tested
    curve = serving.load_curve(m, w, e)
    whole = serving._load_curve(m, w, e)  # every row computed, none shared
    for name, value in vars(whole).items():
        assert np.array_equal(getattr(curve, name), value, equal_nan=True), name
