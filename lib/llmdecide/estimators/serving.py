"""A replica served by continuous batching with chunked prefill (vLLM V1 / TensorRT-LLM style).

Every function is pure and vectorised: the arguments may be floats or numpy arrays of one shape
(one element per configuration), so that the sizing search runs over every configuration at once.

**One engine step** carries the decodes of the running batch (one token each) and up to the
token budget of prompt tokens (a chunk of a prefill). Its duration (``StepModel.step_s``):

    memory_s  = dense weights read + routed experts read × share touched + KV cache read
    compute_s = decode tokens × decode cost + prefill tokens × prefill cost + attention pairs
    step_s    = max(memory_s, compute_s) + MoE routing + TP communication + per-step overhead

where a mixture-of-experts layer reads only the experts the step's tokens route to: with E experts
and k per token, n tokens touch E · (1 − (1 − k/E)ⁿ) distinct experts on average (uniform routing).
The routed tokens' own work (routing, permutation, the grouped expert GEMMs, un-permutation) runs
as its own kernels after the dense ones: a fixed latency per step plus a time per token, added
outside the roofline (``moe_s_per_step``, ``moe_s_per_token``; docs/method.md).

**At a load** of λ requests/s (Poisson) a replica alternates decode-only steps (s_d) and
mixed steps that also carry a chunk of a prompt (s_p; a prompt needs k of them). Every step gives
one token to each running sequence, so the steps per second are R = λ·k + (1 − λ·k·s_p) / s_d and
the time per output token is 1 / R; with Little's law n = λ·O / R the rate that holds n decoding
sequences is explicit, λ(n) = n / (O·s_d + n·k·(s_p − s_d)), with s_d and s_p evaluated at n
(an arriving request sees n others: arrival theorem). The replica's **load curve** λ(n) over
n ∈ [0, slots] gives everything: its top is the **capacity** (bounded by compute, the token
budget — the chunk is what the budget leaves beside the decodes — and the slots of
``max_num_seqs`` and the KV cache), and the n that meets a rate is found on it by regula falsi.
Averaging the two kinds of step (rather than one averaged step) is what the seeded simulation
showed matters: a prompt's compute-bound step delays every running decode.

**Latency under load** (``replica_latency``): TTFT = wait for a slot (M/G/c) + wait for the
mixed steps (M/G/1 at their time share λ·k·s_p) + half a running step + the request's own k
chunk steps; TPOT = 1 / R at the mean concurrency, and at its occupancy quantile (Poisson
occupancy, normal approximation) for the p95; end-to-end = means + deviations in quadrature.
See docs/method.md for the derivation, tests/test_serving.py and the simulation cross-check.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from llmdecide.estimators import distinct, queueing, steps

Array = NDArray[np.float64]


def _f(x: ArrayLike) -> Array:
    return np.asarray(x, dtype=float)


def distinct_share(tokens: ArrayLike, experts: ArrayLike, experts_per_token: ArrayLike) -> Array:
    """Expected share of a layer's routed experts that ``tokens`` tokens touch, k of E each, with
    uniform independent routing: 1 − (1 − k/E)^tokens (1 for a dense model, E = 0)."""
    e = _f(experts)
    if not np.any(e > 0):
        return np.ones(np.broadcast_shapes(e.shape, np.shape(tokens)))
    k = _f(experts_per_token)
    n = np.maximum(_f(tokens), 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_miss = np.where(e > 0, np.log1p(-np.clip(k / np.where(e > 0, e, 1.0), 0.0, 1.0)), 0.0)
        share = -np.expm1(n * log_miss)  # 1 − (1 − k/E)ⁿ
    return np.where(e > 0, share, 1.0)


@dataclass(frozen=True)
class StepModel:
    """Time components of one engine step of one replica (seconds; floats or arrays).

    ``dense_read_s``: the non-expert weights streamed once; ``experts_read_s``: all routed experts
    streamed once (0 for a dense model); ``kv_read_s_per_token``: one cached token's keys and
    values (all layers); ``*_compute_s_per_token``: linear-layer FLOPs of one token at the achieved
    throughput; ``attention_s_per_pair``: attention FLOPs of one (query, cached key) pair;
    ``comm_s_per_step`` / ``comm_s_per_token``: tensor-parallel all-reduce latency and volume;
    ``moe_s_per_step`` / ``moe_s_per_token``: the mixture-of-experts layers' fixed latency per
    step (routing and launches) and routed-token time (dispatch or grouped GEMM, whichever is
    longer; 0 for a dense model); ``overhead_s``: scheduling and launch time per step."""

    dense_read_s: ArrayLike
    kv_read_s_per_token: ArrayLike
    decode_compute_s_per_token: ArrayLike
    prefill_compute_s_per_token: ArrayLike
    experts_read_s: ArrayLike = 0.0
    experts: ArrayLike = 0.0
    experts_per_token: ArrayLike = 0.0
    attention_s_per_pair: ArrayLike = 0.0
    comm_s_per_step: ArrayLike = 0.0
    comm_s_per_token: ArrayLike = 0.0
    moe_s_per_step: ArrayLike = 0.0
    moe_s_per_token: ArrayLike = 0.0
    overhead_s: ArrayLike = 0.0

    def memory_s(self, tokens: ArrayLike, context_tokens: ArrayLike) -> Array:
        """Bytes a step streams / achieved bandwidth: weights (experts as routed) + KV cache."""
        kv = _f(self.kv_read_s_per_token) * _f(context_tokens)
        if _all_zero(self.experts_read_s):  # dense: the same sum without its zero term
            return _f(self.dense_read_s) + kv
        share = distinct_share(tokens, self.experts, self.experts_per_token)
        return _f(self.dense_read_s) + _f(self.experts_read_s) * share + kv

    def compute_s(
        self, decode_seqs: ArrayLike, prefill_tokens: ArrayLike, attention_pairs: ArrayLike
    ) -> Array:
        """FLOPs of the step / achieved throughput: linear layers per token + attention pairs."""
        return (
            _f(self.decode_compute_s_per_token) * _f(decode_seqs)
            + _f(self.prefill_compute_s_per_token) * _f(prefill_tokens)
            + _f(self.attention_s_per_pair) * _f(attention_pairs)
        )

    def step_s(
        self,
        decode_seqs: ArrayLike,
        decode_context_tokens: ArrayLike,
        prefill_tokens: ArrayLike = 0.0,
        prefill_attention_pairs: ArrayLike = 0.0,
    ) -> Array:
        """One step: max(memory, compute) + MoE routing + communication + overhead."""
        tokens = _f(decode_seqs) + _f(prefill_tokens)
        memory = self.memory_s(tokens, decode_context_tokens)
        compute = self.compute_s(
            decode_seqs, prefill_tokens, _f(decode_context_tokens) + _f(prefill_attention_pairs)
        )
        step = np.maximum(memory, compute)
        # terms that are zero for every row (a dense model, one GPU) are left out: adding 0.0
        # changes no value, and the sizing evaluates this over rows × concurrencies many times
        if not (_all_zero(self.moe_s_per_step) and _all_zero(self.moe_s_per_token)):
            step = step + self.moe_s(tokens)
        if not (_all_zero(self.comm_s_per_step) and _all_zero(self.comm_s_per_token)):
            step = step + _f(self.comm_s_per_step) + _f(self.comm_s_per_token) * tokens
        return step + _f(self.overhead_s)

    def moe_s(self, tokens: ArrayLike) -> Array:
        """Routed-token work of the MoE layers: fixed latency + time per token (0 when dense)."""
        return _f(self.moe_s_per_step) + _f(self.moe_s_per_token) * _f(tokens)


def _all_zero(x: ArrayLike) -> bool:
    return not np.any(_f(x))


@dataclass(frozen=True)
class Workload:
    """One request on average: ``context_tokens`` in the KV cache while decoding (whole prompt,
    cached prefix included), ``prefill_tokens`` computed at prefill (prompt minus a prefix-cache
    hit), ``output_tokens`` generated; squared coefficients of variation of the service time and of
    the prompt (1 = exponential-like; 0 = fixed lengths). ``prompt_extra_q`` / ``output_extra_q``:
    the tokens the quantile request has beyond the mean (a usage log's p95 − mean; 0: every
    request at the mean length, the latency quantile is then the load's only)."""

    context_tokens: ArrayLike
    prefill_tokens: ArrayLike
    output_tokens: ArrayLike
    service_cv2: ArrayLike = 1.0
    prompt_cv2: ArrayLike = 1.0
    prompt_extra_q: ArrayLike = 0.0
    output_extra_q: ArrayLike = 0.0

    @property
    def mean_context_while_decoding(self) -> Array:
        """Prompt + half the output: the mean KV length of a sequence over its decode."""
        return _f(self.context_tokens) + _f(self.output_tokens) / 2.0


@dataclass(frozen=True)
class Engine:
    """Engine limits of a replica: ``max_seqs`` (``max_num_seqs``), the token budget of a step
    (``max_num_batched_tokens``) and the KV cache capacity in tokens."""

    max_seqs: ArrayLike
    token_budget: ArrayLike
    kv_capacity_tokens: ArrayLike

    def slots(self, w: Workload) -> Array:
        """Sequences that can be in service at once: the cap, and the KV cache holding each one's
        full context (prompt + output)."""
        per_seq = _f(w.context_tokens) + _f(w.output_tokens)
        return np.minimum(_f(self.max_seqs), np.floor(_f(self.kv_capacity_tokens) / per_seq))


def prefill_chunks(prefill_tokens: ArrayLike, chunk_tokens: ArrayLike) -> Array:
    """Steps a prompt needs when at most ``chunk_tokens`` of it go in each step (at least 1)."""
    return np.maximum(1.0, np.ceil(_f(prefill_tokens) / np.maximum(_f(chunk_tokens), 1.0)))


def prefill_time_s(
    m: StepModel, w: Workload, decode_seqs: ArrayLike, engine: Engine, step_context: ArrayLike
) -> Array:
    """The request's own prefill, in chunks of what the budget leaves beside ``decode_seqs``
    decodes; each chunk step also carries those decodes (their ``step_context`` cached tokens)."""
    room = np.maximum(_f(engine.token_budget) - _f(decode_seqs), 1.0)
    chunks = prefill_chunks(w.prefill_tokens, room)
    chunk = _f(w.prefill_tokens) / chunks
    # attention of a chunk: its queries over the prompt so far (half the context on average)
    pairs = chunk * (_f(w.context_tokens) - _f(w.prefill_tokens) + _f(w.prefill_tokens) / 2.0)
    return chunks * m.step_s(decode_seqs, step_context, chunk, pairs)


def zero_load_ttft_s(m: StepModel, w: Workload, engine: Engine) -> Array:
    """TTFT with an empty replica: the prompt's prefill chunks alone (network not included)."""
    return prefill_time_s(m, w, 0.0, engine, 0.0)


def zero_load_tpot_s(m: StepModel, w: Workload) -> Array:
    """Time per output token of a lone sequence: one decode step at batch 1."""
    return m.step_s(1.0, w.mean_context_while_decoding)


GRID_POINTS = 32  # decoding-concurrency grid of a replica (geometric, up to its slots)


def _col(x: ArrayLike) -> Array:
    """A per-row figure as a column, to broadcast against the concurrency grid."""
    a = _f(x)
    return a[..., None] if a.ndim else a


def _fixed(m: StepModel, w: Workload, engine: Engine) -> steps.Fixed:
    mm = StepModel(**{key: _col(v) for key, v in vars(m).items()})
    prompt, p = _col(w.context_tokens), _col(w.prefill_tokens)
    e, k = _f(mm.experts), _f(mm.experts_per_token)
    log_miss = None
    if not _all_zero(
        mm.experts_read_s
    ):  # as distinct_share: 1 − (1 − k/E)ⁿ = −expm1(n·ln(1 − k/E))
        with np.errstate(divide="ignore", invalid="ignore"):
            miss = np.log1p(-np.clip(k / np.where(e > 0, e, 1.0), 0.0, 1.0))
            log_miss = np.where(e > 0, miss, 0.0)
    return steps.Fixed(
        m=mm,
        ctx=_col(w.mean_context_while_decoding),
        p=p,
        o=_col(w.output_tokens),
        budget=_col(engine.token_budget),
        slots=_col(engine.slots(w)),
        tail=prompt - p + p / 2.0,
        prefill_zero=_f(mm.prefill_compute_s_per_token) * _f(0.0),
        log_miss=log_miss,
        routed=e > 0,
        moe=not (_all_zero(mm.moe_s_per_step) and _all_zero(mm.moe_s_per_token)),
        comm=not (_all_zero(mm.comm_s_per_step) and _all_zero(mm.comm_s_per_token)),
    )


def _mixed_steps(f: steps.Fixed, n: Array) -> tuple[Array, Array, Array, Array]:
    """For ``n`` other decoding sequences (rows × grid): the decode-only step ``s_d``, the step
    that also carries one prompt chunk ``s_p``, the chunks per prompt ``k`` and the arrival
    rate ``λ(n)`` at which a replica holds n decoding sequences on average.

    Every step, decode-only or mixed, gives one token to each running sequence. Prompts arrive
    at λ and each needs k mixed steps, so mixed steps take λ·k·s_p of each second and
    decode-only steps the rest: steps per second R = λ·k + (1 − λ·k·s_p) / s_d, and a sequence
    advances one token per step: TPOT = 1 / R. With Little's law n = λ·O·TPOT this gives λ
    explicitly: λ(n) = n / (O·s_d + n·k·(s_p − s_d)). The share of mixed steps is n·k / O; it
    must stay below 1."""
    p = f.p
    seqs = 1.0 + n  # the tagged sequence and the n others (arrival theorem)
    room = np.maximum(f.budget - seqs, 1.0)
    k = np.where(p > 0, prefill_chunks(p, room), 0.0)  # a fully cached prompt needs no step
    chunk = np.where(k > 0, p / np.maximum(k, 1.0), 0.0)
    s_d, s_p = steps.step_pair(f, seqs, chunk, chunk * f.tail)
    nk = n * k
    with np.errstate(divide="ignore", invalid="ignore"):
        lam = n / (f.o * s_d + nk * (s_p - s_d))
    # the slots hold the decoding sequences and those being prefilled (λ × k chunk steps)
    lam = np.where((nk < f.o) & (lam >= 0) & (n + lam * k * s_p <= f.slots), lam, np.nan)
    return s_d, s_p, k, lam


def _grid(engine: Engine, w: Workload) -> Array:
    """Decoding concurrencies from 0 to the most a replica can hold (rows × grid): its slots,
    and O / k — mixed steps cannot outnumber the steps of a sequence's decode."""
    slots = np.maximum(_col(engine.slots(w)), 1.0)
    p = _col(w.prefill_tokens)
    k0 = np.where(p > 0, prefill_chunks(p, _col(engine.token_budget)), 0.0)
    with np.errstate(divide="ignore"):
        by_steps = np.where(k0 > 0, _col(w.output_tokens) / np.maximum(k0, 1e-12), np.inf)
    top = np.minimum(slots, by_steps)
    # geometric from a hundredth of a sequence to the top (at least 1e-6 of it)
    low = np.minimum(np.maximum(top * 1e-6, 1e-2), top)
    ratio = np.log(top / low)
    steps = np.linspace(0.0, 1.0, GRID_POINTS - 1)
    grid = low * np.exp(ratio * steps)
    zeros = np.zeros((*np.shape(grid)[:-1], 1))
    return np.concatenate([zeros, grid], axis=-1)


@dataclass(frozen=True)
class LoadCurve:
    """A replica's concurrency grid and the arrival rate that yields each point (NaN beyond
    what the replica can hold); ``capacity_rps`` is the largest rate on the increasing part."""

    n: Array
    lam: Array
    s_d: Array
    s_p: Array
    k: Array
    capacity_rps: Array

    def rows(self, idx: NDArray[np.intp]) -> LoadCurve:
        """The curves of rows ``idx`` (a curve of one replica applies to every row)."""
        if not self.capacity_rps.ndim:
            return self
        return LoadCurve(*(np.asarray(v)[idx] for v in vars(self).values()))


def load_curve(m: StepModel, w: Workload, engine: Engine) -> LoadCurve:
    """λ(n) over the concurrency grid, cut where it stops increasing (compute saturated);
    computed once per distinct row of inputs (``distinct``: the same values, fewer rows)."""
    found = distinct.distinct_rows((m, w, engine))
    if found is None:
        return _load_curve(m, w, engine)
    first, inverse = found
    take = distinct.take
    return _load_curve(take(m, first), take(w, first), take(engine, first)).rows(inverse)


def _load_curve(m: StepModel, w: Workload, engine: Engine) -> LoadCurve:
    n = _grid(engine, w)
    fixed = _fixed(m, w, engine)
    s_d, s_p, k, lam = _mixed_steps(fixed, n)
    lam = np.where(np.isnan(lam), -np.inf, lam)
    lam[..., 0] = 0.0
    running = np.maximum.accumulate(lam, axis=-1)
    increasing = lam >= running - 1e-15
    first_drop = np.argmin(increasing, axis=-1)
    first_drop = np.where(increasing.all(axis=-1), lam.shape[-1], first_drop)
    idx = np.arange(lam.shape[-1])
    valid = idx < first_drop[..., None]
    lam = np.where(valid, lam, np.nan)
    capacity = np.nanmax(np.where(valid, lam, -np.inf), axis=-1)
    capacity = np.maximum(capacity, _refined_top(fixed, n, lam))
    return LoadCurve(n, lam, s_d, s_p, k, np.maximum(capacity, 0.0))


PEAK_STEPS = 14  # golden-section steps on the top of the load curve


def _refined_top(f: steps.Fixed, n: Array, lam: Array) -> Array:
    """The top of λ(n) between the grid points around its largest sample (golden section):
    the grid alone would undershoot the capacity by up to a grid step."""
    filled = np.where(np.isnan(lam), -np.inf, lam)
    j = np.argmax(filled, axis=-1)
    last = filled.shape[-1] - 1
    rows = tuple(np.indices(j.shape))
    a = n[(*rows, np.clip(j - 1, 0, last))]
    b = n[(*rows, np.clip(j + 1, 0, last))]
    best = filled[(*rows, j)]
    ratio = (np.sqrt(5.0) - 1.0) / 2.0
    for _ in range(PEAK_STEPS):
        c = b - ratio * (b - a)
        d = a + ratio * (b - a)
        fc = np.nan_to_num(_flat_steps(f, c)[3], nan=-np.inf)
        fd = np.nan_to_num(_flat_steps(f, d)[3], nan=-np.inf)
        best = np.maximum(best, np.maximum(fc, fd))
        left = fc >= fd
        b = np.where(left, d, b)
        a = np.where(left, a, c)
    return best


REFINE_STEPS = 16  # Illinois regula falsi on λ(n) = rate inside the grid bracket


def _at_rate(
    m: StepModel, w: Workload, engine: Engine, curve: LoadCurve, rate_rps: ArrayLike
) -> tuple[Array, Array, Array, Array]:
    """(n, s_d, s_p, k) where the replica's load curve meets ``rate_rps`` (n = inf beyond the
    capacity): the grid brackets the root, regula falsi (Illinois) refines it."""
    shape = np.broadcast_shapes(curve.capacity_rps.shape, np.shape(rate_rps))
    rate = np.broadcast_to(_f(rate_rps), shape).astype(float)
    grid_n = np.broadcast_to(curve.n, (*shape, curve.n.shape[-1]))
    grid_lam = np.broadcast_to(curve.lam, (*shape, curve.lam.shape[-1]))
    lam = np.where(np.isnan(grid_lam), np.inf, grid_lam)
    above = lam >= rate[..., None]
    j = np.clip(np.argmax(above, axis=-1), 1, lam.shape[-1] - 1)
    rows = tuple(np.indices(j.shape))
    lo, hi = (*rows, j - 1), (*rows, j)
    n0, n1 = grid_n[lo], grid_n[hi]
    f0 = grid_lam[lo] - rate
    f1 = np.where(np.isfinite(grid_lam[hi]), grid_lam[hi] - rate, 0.0)
    beyond = rate > curve.capacity_rps * (1 + 1e-12)
    side = np.zeros(rate.shape)
    fixed = _fixed(m, w, engine)
    for _ in range(REFINE_STEPS):
        with np.errstate(divide="ignore", invalid="ignore"):
            n_new = np.where(f1 != f0, n1 - f1 * (n1 - n0) / (f1 - f0), n1)
        n_new = np.clip(np.nan_to_num(n_new, nan=n1), np.minimum(n0, n1), np.maximum(n0, n1))
        *_, lam_new = _flat_steps(fixed, n_new)
        f_new = np.nan_to_num(lam_new, nan=np.inf) - rate
        same = np.sign(f_new) == np.sign(f1)
        # Illinois: halve the retained end's value when the same end is kept twice
        f0 = np.where(same & (side == 1), f0 / 2.0, np.where(same, f0, f1))
        n0 = np.where(same, n0, n1)
        side = np.where(same, 1.0, -1.0)
        n1, f1 = n_new, np.where(np.isfinite(f_new), f_new, 0.0)
    n = np.where(beyond, np.inf, np.maximum(n1, 0.0))
    s_d, s_p, k, _ = _flat_steps(fixed, np.where(np.isfinite(n), n, 0.0))
    return n, s_d, s_p, k


def _flat_steps(f: steps.Fixed, n: Array) -> tuple[Array, Array, Array, Array]:
    """``_mixed_steps`` at one concurrency per row (no grid axis)."""
    s_d, s_p, k, lam = _mixed_steps(f, n[..., None])
    return s_d[..., 0], s_p[..., 0], k[..., 0], lam[..., 0]


def _tpot(rate: Array, s_d: Array, s_p: Array, k: Array) -> Array:
    """Time per output token from the mixed-step rate: 1 / (λ·k + (1 − λ·k·s_p) / s_d)."""
    share = np.clip(rate * k * s_p, 0.0, 1.0)
    return 1.0 / (rate * k + (1.0 - share) / s_d)


def loaded_step_s(
    m: StepModel, w: Workload, rate_rps: ArrayLike, engine: Engine | None = None
) -> Array:
    """Mean time per output token of a sequence at ``rate_rps`` arrivals per second (inf when
    the replica cannot keep up). Without an engine, the slots are unbounded and the budget is
    the whole prompt."""
    if engine is None:
        big = np.full(np.shape(_f(w.output_tokens)) or (), 1e9)
        engine = Engine(max_seqs=big, token_budget=big, kv_capacity_tokens=big * 1e3)
    curve = load_curve(m, w, engine)
    n, s_d, s_p, k = _at_rate(m, w, engine, curve, rate_rps)
    rate = np.broadcast_to(_f(rate_rps), n.shape)
    return np.where(np.isfinite(n), _tpot(rate, s_d, s_p, k), np.inf)


def capacity_rps(m: StepModel, w: Workload, engine: Engine) -> Array:
    """Highest arrival rate one replica sustains: the top of its load curve (compute, token
    budget and slots all bound it)."""
    return load_curve(m, w, engine).capacity_rps


OperatingPoint = tuple[Array, Array, Array, Array]
"""(decoding sequences n, decode-only step s_d, mixed step s_p, chunks per prompt k) of a replica
at a rate: where its load curve meets the rate."""


def operating_point(
    m: StepModel,
    w: Workload,
    engine: Engine,
    rate_rps: ArrayLike,
    curve: LoadCurve | None = None,
) -> OperatingPoint:
    """Where the replica's load curve meets ``rate_rps`` (``_at_rate``): what ``replica_latency``
    and ``step_shares`` start from, computed once when a caller needs both at one rate."""
    curve = curve if curve is not None else load_curve(m, w, engine)
    return _at_rate(m, w, engine, curve, rate_rps)


@dataclass(frozen=True)
class Latency:
    """A replica's latencies at a load (seconds; arrays): quantile ``q`` and means."""

    ttft_q_s: Array
    tpot_q_s: Array
    e2e_q_s: Array
    ttft_mean_s: Array
    tpot_mean_s: Array
    e2e_mean_s: Array
    decode_seqs_mean: Array
    memory_share: Array
    busy_share: Array


# 82 lines, 8 of them the docstring: the queueing formulas read top to bottom
def replica_latency(
    m: StepModel,
    w: Workload,
    engine: Engine,
    rate_rps: ArrayLike,
    quantile: float = 0.95,
    curve: LoadCurve | None = None,
    point: OperatingPoint | None = None,
) -> Latency:
    """Latencies of one replica receiving ``rate_rps`` Poisson arrivals (network excluded).

    TPOT = the mixed-step time per token at the mean concurrency, and at its occupancy quantile
    for the p95; TTFT = slot wait (M/G/c) + wait for the prefill steps (M/G/1 at their time
    share) + the residual of the running step + the request's own k chunk steps; end-to-end:
    TTFT + O·TPOT for the means, the deviations added in quadrature for the quantile. ``curve``:
    the replica's load curve when the caller has it (it does not depend on the rate); ``point``:
    its ``operating_point`` at ``rate_rps`` when the caller has it."""
    if point is None:
        point = operating_point(m, w, engine, rate_rps, curve)
    n, s_d, s_p, k = point
    lam = np.broadcast_to(_f(rate_rps), n.shape).astype(float)
    o = _f(w.output_tokens) * np.ones_like(n)
    finite = np.isfinite(n)
    n_f = np.where(finite, n, 0.0)
    tau = np.where(finite, _tpot(lam, s_d, s_p, k), 0.0)
    own_prefill = np.where(k > 0, k * s_p, 0.0)
    service = own_prefill + o * tau
    slots = engine.slots(w) * np.ones_like(n)
    slot_q = queueing.slot_wait_quantile_s(slots, lam, service, w.service_cv2, quantile)
    slot_mean = queueing.slot_wait_quantile_s(slots, lam, service, w.service_cv2, 0.5)
    rho_p = np.clip(lam * k * s_p, 0.0, 1.0)
    wait_q = queueing.mg1_wait_quantile_s(rho_p, own_prefill, w.prompt_cv2, quantile)
    wait_mean = queueing.mg1_wait_mean_s(rho_p, own_prefill, w.prompt_cv2)
    busy = 1.0 - np.exp(-lam * service)
    ttft_mean = slot_mean + wait_mean + busy * tau / 2.0 + own_prefill
    ttft_q = slot_q + wait_q + busy * tau + own_prefill
    # TPOT at the occupancy quantile (Poisson occupancy of the decoding sequences)
    n_q = np.minimum(queueing.occupancy_quantile(n_f, quantile), np.maximum(slots - 1.0, 0.0))
    mm = StepModel(**{key: _f(v) for key, v in vars(m).items()})
    ctx = w.mean_context_while_decoding
    seqs_q = 1.0 + n_q
    room = np.maximum(_f(engine.token_budget) - seqs_q, 1.0)
    k_q = prefill_chunks(w.prefill_tokens, room)
    chunk_q = _f(w.prefill_tokens) / k_q
    pairs_q = chunk_q * (_f(w.context_tokens) - _f(w.prefill_tokens) / 2.0)
    s_d_q = mm.step_s(seqs_q, seqs_q * ctx)
    s_p_q = mm.step_s(seqs_q, seqs_q * ctx, chunk_q, pairs_q)
    by_occupancy = np.maximum(_tpot(lam, s_d_q, s_p_q, k_q), tau) - tau
    # a request's O steps include a Poisson number of mixed steps, mean O·λ·k·TPOT: the p95
    # request meets more of them than the mean
    mixed = o * np.clip(lam * k * tau, 0.0, 1.0)
    extra = np.minimum(queueing.occupancy_quantile(mixed, quantile), o) - mixed
    with np.errstate(divide="ignore", invalid="ignore"):
        by_prompts = np.where(o > 0, extra * np.maximum(s_p - s_d, 0.0) / o, 0.0)
    tpot_q = tau + np.sqrt(by_occupancy**2 + by_prompts**2)
    # the lengths' spread (a usage log's p95 request): its extra prompt tokens lengthen its own
    # prefill in proportion, its extra output tokens take a TPOT each; independent of the load's
    # deviations, so added in quadrature (0 extra tokens: the figures are unchanged, bit for bit)
    dp = _f(w.prompt_extra_q) * np.ones_like(n)
    do = _f(w.output_extra_q) * np.ones_like(n)
    with np.errstate(divide="ignore", invalid="ignore"):
        prefill_extra = np.nan_to_num(own_prefill * dp / np.maximum(_f(w.prefill_tokens), 1.0))
        spread_ttft = ttft_mean + np.hypot(ttft_q - ttft_mean, prefill_extra)
    ttft_q = np.where(dp > 0, spread_ttft, ttft_q)
    e2e_mean = ttft_mean + o * tau
    with np.errstate(invalid="ignore"):
        e2e_q = e2e_mean + np.sqrt(
            (ttft_q - ttft_mean) ** 2 + (o * (tpot_q - tau)) ** 2 + (do * tau) ** 2
        )
    inf = np.where(finite, 0.0, np.inf)
    memory = mm.memory_s(1.0 + n_f, (1.0 + n_f) * ctx)
    return Latency(
        ttft_q_s=ttft_q + inf,
        tpot_q_s=tpot_q + inf,
        e2e_q_s=e2e_q + inf,
        ttft_mean_s=ttft_mean + inf,
        tpot_mean_s=tau + inf,
        e2e_mean_s=e2e_mean + inf,
        decode_seqs_mean=n_f,
        memory_share=np.clip(memory / np.maximum(s_d, 1e-12), 0.0, 1.0),
        busy_share=np.where(finite, busy, 1.0),
    )


def tokens_per_s(rate_rps: ArrayLike, output_tokens: ArrayLike) -> Array:
    """Generated tokens per second of a replica receiving ``rate_rps`` requests per second."""
    return _f(rate_rps) * _f(output_tokens)


def utilisation(
    m: StepModel,
    w: Workload,
    engine: Engine,
    rate_rps: ArrayLike,
    curve: LoadCurve | None = None,
) -> Array:
    """Share of the replica's capacity in use at ``rate_rps`` (λ / capacity; inf beyond it)."""
    cap = (curve if curve is not None else load_curve(m, w, engine)).capacity_rps
    with np.errstate(divide="ignore", invalid="ignore"):
        rho = _f(rate_rps) / cap
    return np.where(cap > 0, rho, np.inf)


def step_shares(
    m: StepModel,
    w: Workload,
    engine: Engine,
    rate_rps: ArrayLike,
    curve: LoadCurve | None = None,
    point: OperatingPoint | None = None,
) -> tuple[Array, Array]:
    """(memory share, compute share) of the replica's time at ``rate_rps``: how busy HBM and the
    tensor cores are over the mix of decode-only and mixed steps (each ≤ 1); the energy model
    weighs them. ``curve``, ``point``: as for ``replica_latency``."""
    if point is None:
        point = operating_point(m, w, engine, rate_rps, curve)
    n, s_d, s_p, k = point
    lam = np.broadcast_to(_f(rate_rps), n.shape).astype(float)
    n = np.where(np.isfinite(n), n, np.nan)
    mm = StepModel(**{key: _f(v) for key, v in vars(m).items()})
    ctx = w.mean_context_while_decoding
    seqs = 1.0 + n
    chunk = _f(w.prefill_tokens) / k
    pairs = chunk * (_f(w.context_tokens) - _f(w.prefill_tokens) / 2.0)
    share_p = np.clip(lam * k * s_p, 0.0, 1.0)
    memory = (1 - share_p) * mm.memory_s(seqs, seqs * ctx) / s_d + share_p * mm.memory_s(
        seqs + chunk, seqs * ctx
    ) / s_p
    compute = (1 - share_p) * mm.compute_s(seqs, 0.0, seqs * ctx) / s_d + share_p * mm.compute_s(
        seqs, chunk, seqs * ctx + pairs
    ) / s_p
    return np.clip(memory, 0.0, 1.0), np.clip(compute, 0.0, 1.0)
