"""The two engine steps of ``serving``'s load curve at a concurrency, with what does not depend
on the concurrency computed once (``Fixed``): the sizing evaluates them at every point of a
replica's load curve and at every step of its searches.

``step_pair`` is ``StepModel.step_s`` of the decode-only step and of the mixed step, operation
for operation (the same values, bit for bit: tests/test_serving.py checks them against
``step_s``); ``serving._fixed`` builds the ``Fixed`` columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

if TYPE_CHECKING:
    from llmdecide.estimators.serving import StepModel

Array = NDArray[np.float64]


def _f(x: ArrayLike) -> Array:
    return np.asarray(x, dtype=float)


@dataclass(frozen=True)
class Fixed:
    """What ``_mixed_steps`` needs of the rows that does not depend on the concurrency, as
    columns: computed once per load curve or search instead of at each of its steps."""

    m: StepModel  # every field a column
    ctx: Array  # mean KV length of a sequence while decoding
    p: Array  # prefill tokens
    o: Array  # output tokens
    budget: Array
    slots: Array
    tail: Array  # prompt − p + p/2: attention pairs of a chunk per token of it
    prefill_zero: Array  # prefill compute × 0 tokens (NaN where that figure is not finite)
    log_miss: Array | None  # ln(1 − k/E) (None: no routed experts read, the dense sum)
    routed: NDArray[np.bool_]  # E > 0
    moe: bool  # MoE routing time in the step
    comm: bool  # tensor-parallel communication in the step


def memory_s(f: Fixed, tokens: Array, kv: Array) -> Array:
    """``StepModel.memory_s`` from the fixed columns (the same operations)."""
    m = f.m
    if f.log_miss is None:
        return _f(m.dense_read_s) + kv
    with np.errstate(invalid="ignore"):
        share = np.where(f.routed, -np.expm1(np.maximum(tokens, 0.0) * f.log_miss), 1.0)
    return _f(m.dense_read_s) + _f(m.experts_read_s) * share + kv


def step_pair(f: Fixed, seqs: Array, chunk: Array, pairs: Array) -> tuple[Array, Array]:
    """``StepModel.step_s`` of the decode-only step (``seqs`` decodes) and of the step that also
    carries ``chunk`` prompt tokens: the same operations, their common terms computed once."""
    m = f.m
    ct = seqs * f.ctx  # the decodes' cached tokens
    kv = _f(m.kv_read_s_per_token) * ct
    decode = _f(m.decode_compute_s_per_token) * seqs
    att = _f(m.attention_s_per_pair)
    tokens_p = seqs + chunk
    s_d = np.maximum(memory_s(f, seqs, kv), decode + f.prefill_zero + att * ct)
    compute_p = decode + _f(m.prefill_compute_s_per_token) * chunk + att * (ct + pairs)
    s_p = np.maximum(memory_s(f, tokens_p, kv), compute_p)
    out = []
    for step, tokens in ((s_d, seqs), (s_p, tokens_p)):
        if f.moe:
            step = step + (_f(m.moe_s_per_step) + _f(m.moe_s_per_token) * tokens)
        if f.comm:
            step = step + _f(m.comm_s_per_step) + _f(m.comm_s_per_token) * tokens
        out.append(step + _f(m.overhead_s))
    return out[0], out[1]
