"""A replica served by continuous batching with chunked prefill (vLLM V1 / TensorRT-LLM style).

Every function is pure and vectorised: the arguments may be floats or numpy arrays of one shape
(one element per configuration), so that the sizing search runs over every configuration at once.

**One engine step** carries the decodes of the running batch (one token each) and up to the
token budget of prompt tokens (a chunk of a prefill). Its duration (``StepModel.step_s``):

    memory_s  = dense weights read + routed experts read × share touched + KV cache read
    compute_s = decode tokens × decode cost + prefill tokens × prefill cost + attention pairs
    step_s    = max(memory_s, compute_s) + TP communication + per-step overhead

where a mixture-of-experts layer reads only the experts the step's tokens route to: with E experts
and k per token, n tokens touch E · (1 − (1 − k/E)ⁿ) distinct experts on average (uniform routing).

**At a load** of λ requests/s (Poisson), by Little's law the replica holds n̄ = λ·O·τ decoding
sequences and p̄ = λ·P·τ prompt tokens per step (τ the mean step, O output and P prefilled tokens
per request). An arriving request sees n̄ others (arrival theorem), so its step time solves the
fixed point τ = f(τ) of the step above with ``1 + n̄`` sequences; both branches of the max are
linear in τ for a fixed expert share, so the fixed point is the larger of the two branch solutions
``a / (1 − b)``, iterated a few times on the expert share (monotone from below). A slope
``b ≥ 1`` means the replica cannot keep up: the load is beyond its compute (or bandwidth).

**Capacity** (the highest sustainable λ) is bounded by compute and bandwidth (the fixed point
exists), by the token budget (decodes + prefill tokens per step ≤ budget) and by the slots
(``max_num_seqs`` and the KV cache: λ × time in service < slots); found by bisection.

**Latency under load** (``replica_latency``): TTFT = wait for a slot (M/G/c) + wait for the
prefill server (M/G/1 of prompts at the prefill utilisation) + the request's own prefill chunks
(+ half a step of residual); TPOT = the step time with the occupancy quantile of sequences
(Poisson occupancy, normal approximation); end-to-end = means + deviations combined in quadrature.
See docs/method.md for the derivation, tests/test_serving.py and the simulation cross-check.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from llmdecide.estimators import queueing

Array = NDArray[np.float64]
MOE_ITERATIONS = 6  # fixed-point passes on the expert share (converges from below)
BISECTION_STEPS = 40  # capacity: 2⁻⁴⁰ relative precision of the bracket


def _f(x: ArrayLike) -> Array:
    return np.asarray(x, dtype=float)


def distinct_share(tokens: ArrayLike, experts: ArrayLike, experts_per_token: ArrayLike) -> Array:
    """Expected share of a layer's routed experts that ``tokens`` tokens touch, k of E each, with
    uniform independent routing: 1 − (1 − k/E)^tokens (1 for a dense model, E = 0)."""
    e = _f(experts)
    k = _f(experts_per_token)
    n = np.maximum(_f(tokens), 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        miss = np.where(e > 0, 1.0 - k / np.where(e > 0, e, 1.0), 0.0)
    return np.where(e > 0, 1.0 - np.power(np.clip(miss, 0.0, 1.0), n), 1.0)


@dataclass(frozen=True)
class StepModel:
    """Time components of one engine step of one replica (seconds; floats or arrays).

    ``dense_read_s``: the non-expert weights streamed once; ``experts_read_s``: all routed experts
    streamed once (0 for a dense model); ``kv_read_s_per_token``: one cached token's keys and
    values (all layers); ``*_compute_s_per_token``: linear-layer FLOPs of one token at the achieved
    throughput; ``attention_s_per_pair``: attention FLOPs of one (query, cached key) pair;
    ``comm_s_per_step`` / ``comm_s_per_token``: tensor-parallel all-reduce latency and volume;
    ``overhead_s``: scheduling and launch time per step."""

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
    overhead_s: ArrayLike = 0.0

    def memory_s(self, tokens: ArrayLike, context_tokens: ArrayLike) -> Array:
        """Bytes a step streams / achieved bandwidth: weights (experts as routed) + KV cache."""
        share = distinct_share(tokens, self.experts, self.experts_per_token)
        return (
            _f(self.dense_read_s)
            + _f(self.experts_read_s) * share
            + _f(self.kv_read_s_per_token) * _f(context_tokens)
        )

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
        """One step: max(memory, compute) + communication + overhead."""
        tokens = _f(decode_seqs) + _f(prefill_tokens)
        memory = self.memory_s(tokens, decode_context_tokens)
        compute = self.compute_s(
            decode_seqs, prefill_tokens, _f(decode_context_tokens) + _f(prefill_attention_pairs)
        )
        return (
            np.maximum(memory, compute)
            + _f(self.comm_s_per_step)
            + _f(self.comm_s_per_token) * tokens
            + _f(self.overhead_s)
        )


@dataclass(frozen=True)
class Workload:
    """One request on average: ``context_tokens`` in the KV cache while decoding (whole prompt,
    cached prefix included), ``prefill_tokens`` computed at prefill (prompt minus a prefix-cache
    hit), ``output_tokens`` generated; squared coefficients of variation of the service time and of
    the prompt (1 = exponential-like; 0 = fixed lengths)."""

    context_tokens: ArrayLike
    prefill_tokens: ArrayLike
    output_tokens: ArrayLike
    service_cv2: ArrayLike = 1.0
    prompt_cv2: ArrayLike = 1.0

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


def _branches(
    m: StepModel, w: Workload, rate_rps: Array, share: Array
) -> tuple[Array, Array, Array, Array]:
    """Intercepts and slopes (in τ) of the memory and compute branches of the loaded step, for a
    fixed expert share: the tagged sequence plus λ·O·τ others decode, λ·P·τ prompt tokens."""
    ctx = w.mean_context_while_decoding
    o, p = _f(w.output_tokens), _f(w.prefill_tokens)
    pairs_per_prompt_token = _f(w.context_tokens) - p / 2.0
    kv = _f(m.kv_read_s_per_token)
    a_mem = _f(m.dense_read_s) + _f(m.experts_read_s) * share + kv * ctx
    b_mem = kv * rate_rps * o * ctx
    attn = _f(m.attention_s_per_pair)
    a_cmp = _f(m.decode_compute_s_per_token) + attn * ctx
    b_cmp = rate_rps * (
        _f(m.decode_compute_s_per_token) * o
        + _f(m.prefill_compute_s_per_token) * p
        + attn * (o * ctx + p * pairs_per_prompt_token)
    )
    a_ext = _f(m.comm_s_per_step) + _f(m.overhead_s) + _f(m.comm_s_per_token)
    b_ext = _f(m.comm_s_per_token) * rate_rps * (o + p)
    return a_mem + a_ext, b_mem + b_ext, a_cmp + a_ext, b_cmp + b_ext


def loaded_step_s(m: StepModel, w: Workload, rate_rps: ArrayLike) -> Array:
    """Mean step time seen by a sequence at ``rate_rps`` arrivals per second (fixed point; inf
    when the replica cannot keep up)."""
    lam = _f(rate_rps)
    tau = _f(zero_load_tpot_s(m, w)) * np.ones(np.broadcast(lam, _f(w.output_tokens)).shape)
    tokens_per_tau = lam * (_f(w.output_tokens) + _f(w.prefill_tokens))
    for _ in range(MOE_ITERATIONS):
        share = distinct_share(1.0 + tokens_per_tau * tau, m.experts, m.experts_per_token)
        a1, b1, a2, b2 = _branches(m, w, lam, share)
        with np.errstate(divide="ignore", invalid="ignore"):
            t1 = np.where(b1 < 1.0, a1 / (1.0 - b1), np.inf)
            t2 = np.where(b2 < 1.0, a2 / (1.0 - b2), np.inf)
        tau = np.maximum(t1, t2)
        if not np.any(_f(m.experts) > 0):
            break
    return tau


def _stable(m: StepModel, w: Workload, engine: Engine, rate_rps: Array) -> NDArray[np.bool_]:
    """Whether a replica sustains ``rate_rps``: finite step, token budget, slots."""
    tau = loaded_step_s(m, w, rate_rps)
    o, p = _f(w.output_tokens), _f(w.prefill_tokens)
    finite = np.isfinite(tau)
    tau_f = np.where(finite, tau, 0.0)
    budget_ok = rate_rps * (o + p) * tau_f <= _f(engine.token_budget)
    n = rate_rps * o * tau_f
    service = prefill_time_s(m, w, n, engine, n * w.mean_context_while_decoding) + o * tau_f
    slots_ok = rate_rps * service < engine.slots(w)
    return finite & budget_ok & slots_ok


def capacity_rps(m: StepModel, w: Workload, engine: Engine) -> Array:
    """Highest arrival rate one replica sustains (bisection between 0 and a bound every limit
    respects: the compute of the prompt and output tokens, and slots over the zero-load time)."""
    o, p = _f(w.output_tokens), _f(w.prefill_tokens)
    ttft0 = zero_load_ttft_s(m, w, engine)
    tpot0 = zero_load_tpot_s(m, w)
    per_request_compute = (
        _f(m.decode_compute_s_per_token) * o + _f(m.prefill_compute_s_per_token) * p
    )
    slots = engine.slots(w)
    with np.errstate(divide="ignore", invalid="ignore"):
        hi = np.minimum(
            np.where(per_request_compute > 0, 1.0 / per_request_compute, np.inf),
            slots / (ttft0 + o * tpot0),
        )
    hi = np.where(np.isfinite(hi) & (slots >= 1), hi, 0.0)
    lo = np.zeros_like(hi)
    for _ in range(BISECTION_STEPS):
        mid = (lo + hi) / 2.0
        ok = _stable(m, w, engine, mid)
        lo = np.where(ok, mid, lo)
        hi = np.where(ok, hi, mid)
    return lo


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


def replica_latency(
    m: StepModel, w: Workload, engine: Engine, rate_rps: ArrayLike, quantile: float = 0.95
) -> Latency:
    """Latencies of one replica receiving ``rate_rps`` Poisson arrivals (network excluded).

    TTFT = slot wait (M/G/c) + prefill wait (M/G/1 at the prefill utilisation) + half a step of
    residual + the request's own prefill chunks beside the running decodes. TPOT = the loaded step
    at the occupancy quantile of decoding sequences. End-to-end: TTFT + O·TPOT for the means, the
    deviations of the TTFT and of the decode time added in quadrature for the quantile."""
    lam = _f(rate_rps)
    o = _f(w.output_tokens)
    tau = loaded_step_s(m, w, lam)
    finite = np.isfinite(tau)
    tau_f = np.where(finite, tau, 0.0)
    ctx = w.mean_context_while_decoding
    n_mean = lam * o * tau_f
    own_prefill = prefill_time_s(m, w, n_mean, engine, n_mean * ctx)
    service = own_prefill + o * tau_f
    slot_q = queueing.slot_wait_quantile_s(engine.slots(w), lam, service, w.service_cv2, quantile)
    slot_mean = queueing.slot_wait_quantile_s(engine.slots(w), lam, service, w.service_cv2, 0.5)
    room = np.maximum(_f(engine.token_budget) - n_mean, 1.0)
    prefill_rate = room / np.maximum(m.step_s(n_mean, n_mean * ctx, room), 1e-12)
    rho_p = lam * _f(w.prefill_tokens) / prefill_rate
    wait_q = queueing.mg1_wait_quantile_s(rho_p, own_prefill, w.prompt_cv2, quantile)
    wait_mean = queueing.mg1_wait_mean_s(rho_p, own_prefill, w.prompt_cv2)
    # M/G/∞ occupancy: the engine is idle when no request is in service (Poisson, mean λ·S);
    # an arrival at a busy engine waits for the running step to end (residual half a step)
    busy = 1.0 - np.exp(-lam * service)
    ttft_mean = slot_mean + wait_mean + busy * tau_f / 2.0 + own_prefill
    ttft_q = slot_q + wait_q + busy * tau_f + own_prefill
    n_q = queueing.occupancy_quantile(n_mean, quantile)
    tpot_q = m.step_s(1.0 + n_q, (1.0 + n_q) * ctx, lam * _f(w.prefill_tokens) * tau_f)
    tpot_q = np.maximum(tpot_q, tau_f)
    e2e_mean = ttft_mean + o * tau_f
    with np.errstate(invalid="ignore"):
        e2e_q = e2e_mean + np.sqrt((ttft_q - ttft_mean) ** 2 + (o * (tpot_q - tau_f)) ** 2)
    inf = np.where(finite, 0.0, np.inf)
    memory = m.memory_s(1.0 + n_mean, (1.0 + n_mean) * ctx)
    step_busy = np.maximum(tau_f, 1e-12)
    return Latency(
        ttft_q_s=ttft_q + inf,
        tpot_q_s=tpot_q + inf,
        e2e_q_s=e2e_q + inf,
        ttft_mean_s=ttft_mean + inf,
        tpot_mean_s=tau + 0.0,
        e2e_mean_s=e2e_mean + inf,
        decode_seqs_mean=n_mean,
        memory_share=np.clip(memory / step_busy, 0.0, 1.0),
        busy_share=np.where(finite, busy, 1.0),
    )


def tokens_per_s(rate_rps: ArrayLike, output_tokens: ArrayLike) -> Array:
    """Generated tokens per second of a replica receiving ``rate_rps`` requests per second."""
    return _f(rate_rps) * _f(output_tokens)


def utilisation(m: StepModel, w: Workload, engine: Engine, rate_rps: ArrayLike) -> Array:
    """Share in use of the replica's binding resource at ``rate_rps``: the largest of the compute
    and bandwidth slopes of the loaded step (1 = saturated), the token budget share of a step and
    the slots occupied (λ × time in service / slots). Inf beyond capacity."""
    lam = _f(rate_rps)
    tau = loaded_step_s(m, w, lam)
    finite = np.isfinite(tau)
    tau_f = np.where(finite, tau, 0.0)
    tokens_per_tau = lam * (_f(w.output_tokens) + _f(w.prefill_tokens))
    share = distinct_share(1.0 + tokens_per_tau * tau_f, m.experts, m.experts_per_token)
    _, b_mem, _, b_cmp = _branches(m, w, lam, share)
    budget = tokens_per_tau * tau_f / _f(engine.token_budget)
    n = lam * _f(w.output_tokens) * tau_f
    service = (
        prefill_time_s(m, w, n, engine, n * w.mean_context_while_decoding)
        + _f(w.output_tokens) * tau_f
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        slots = lam * service / engine.slots(w)
    rho = np.maximum.reduce([b_mem, b_cmp, budget, slots])
    return np.where(finite, rho, np.inf)


def step_shares(m: StepModel, w: Workload, rate_rps: ArrayLike) -> tuple[Array, Array]:
    """(memory share, compute share) of the loaded step: how much of a step's time the HBM and
    the tensor cores are busy (each ≤ 1); the energy model weighs them."""
    lam = _f(rate_rps)
    tau = loaded_step_s(m, w, lam)
    tau_f = np.where(np.isfinite(tau), tau, np.nan)
    ctx = w.mean_context_while_decoding
    n = 1.0 + lam * _f(w.output_tokens) * tau_f
    p = lam * _f(w.prefill_tokens) * tau_f
    pairs = n * ctx + p * (_f(w.context_tokens) - _f(w.prefill_tokens) / 2.0)
    memory = m.memory_s(n + p, n * ctx)
    compute = m.compute_s(n, p, pairs)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.clip(memory / tau_f, 0.0, 1.0), np.clip(compute / tau_f, 0.0, 1.0)
