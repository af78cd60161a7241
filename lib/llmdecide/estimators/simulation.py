"""A seeded discrete-step simulation of ONE replica serving by continuous batching with chunked
prefill, driven by the same ``serving.StepModel``, ``serving.Workload`` and ``serving.Engine`` as
the closed form; the tests hold the closed form (``serving.replica_latency``,
``serving.capacity_rps``) against it (docs/simulation.md).

**Requests.** Poisson arrivals at ``rate_rps`` (``numpy.random.default_rng(seed)``); each request
computes ``prefill`` prompt tokens (mean ``Workload.prefill_tokens``) after a cached prefix of
``context_tokens − prefill_tokens`` tokens, and generates ``output`` tokens (mean
``Workload.output_tokens``). Lengths follow the workload's squared coefficients of variation
(``prompt_cv2`` for the prompt, ``service_cv2`` for the output, which sets the service time's):
0 = fixed lengths, 1 = geometric on {1, 2, …} (the discrete exponential, mean exact), other values
a gamma of that cv² rounded to an integer ≥ 1.

**The engine loop** (vLLM V1's scheduler, FCFS): at each step every running decode takes one token
of the ``token_budget``; what is left goes to prompt chunks of the queue in arrival order — first
the request whose prefill is under way, then new ones, each admitted when a slot is free (running
decodes + the one in prefill < ``max_seqs``) and its KV cache fits. Admission reserves the
request's whole context (prompt + output), as ``Engine.slots`` counts it, so no preemption is ever
needed (vLLM allocates blocks as tokens grow and preempts on exhaustion: the reservation is the
closed form's assumption, kept so that both count the same slots). The first admission of a
request longer than the whole cache is let through when the replica is empty (no deadlock).

A step lasts ``StepModel.step_s(decode_seqs, decode_context_tokens, prefill_tokens,
prefill_attention_pairs)``: a decoding sequence reads its prompt and the tokens it has generated;
a chunk of ``c`` tokens starting ``s`` tokens into the context attends ``c · (s + c/2)`` pairs
(a whole prompt thus ``P · (prefix + P/2)``, the closed form's figure). A request's first token
comes at the end of the step that completes its prefill, each further token at the end of each
decode step; an idle replica jumps to the next arrival (the step starts at the arrival).

**Vectorised.** The running batch is numpy arrays, one element per slot: the request in it and
the decode count at which it finishes. A global decode counter advances every sequence at once,
so a step does no per-sequence work; finishing sequences are found by one vector comparison when
the counter reaches the earliest finish. Steps that only decode run as one block up to the next
completion (or the next arrival when the queue is empty): within one branch of the step's max their
durations are linear in the step index and the block's end solves a quadratic, otherwise a numpy
cumulative sum. Prompt chunks are scheduled by a loop over the few prompts one step takes.
20 000 requests take 0.25–0.4 s (shared 2-core machine).

**Measured**: the first ``warmup_share`` of requests is dropped (the replica fills up); arrivals
continue past the measured requests (as many again as the warm-up) so that the last ones see the
same load; the run ends when every measured request has finished. Throughput, utilisation and
mean decode batch are time averages over the arrivals of the measured requests.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from llmdecide.estimators.serving import Engine, StepModel, Workload

Array = NDArray[np.float64]
QUANTILES = (0.50, 0.95, 0.99)
INT_MAX = np.iinfo(np.int64).max


def _scalar(value: object, name: str) -> float:
    a = np.asarray(value, dtype=float)
    if a.size != 1:
        raise ValueError(
            f"simulation: {name} must be one number (one replica), got shape {a.shape}"
        )
    return float(a.reshape(-1)[0])


@dataclass(frozen=True)
class _Step:
    """``StepModel.step_s`` with plain floats (a numpy call costs ~20 µs, the simulation makes
    ~10⁵ steps); tests/test_simulation.py checks it equals ``StepModel.step_s``."""

    dense: float
    experts_read: float
    miss: float  # 1 − k/E of a routed layer; -1 for a dense model
    kv: float
    decode: float
    prefill: float
    attention: float
    comm_step: float  # TP all-reduce latency + MoE fixed latency per step
    comm_token: float  # TP all-reduce volume + MoE routed-token time, per token
    overhead: float

    @classmethod
    def of(cls, m: StepModel) -> _Step:
        e = _scalar(m.experts, "StepModel.experts")
        k = _scalar(m.experts_per_token, "StepModel.experts_per_token")
        return cls(
            dense=_scalar(m.dense_read_s, "StepModel.dense_read_s"),
            experts_read=_scalar(m.experts_read_s, "StepModel.experts_read_s"),
            miss=min(max(1.0 - k / e, 0.0), 1.0) if e > 0 else -1.0,
            kv=_scalar(m.kv_read_s_per_token, "StepModel.kv_read_s_per_token"),
            decode=_scalar(m.decode_compute_s_per_token, "StepModel.decode_compute_s_per_token"),
            prefill=_scalar(m.prefill_compute_s_per_token, "StepModel.prefill_compute_s_per_token"),
            attention=_scalar(m.attention_s_per_pair, "StepModel.attention_s_per_pair"),
            # the MoE routing terms add like communication: per step and per token
            comm_step=_scalar(m.comm_s_per_step, "StepModel.comm_s_per_step")
            + _scalar(m.moe_s_per_step, "StepModel.moe_s_per_step"),
            comm_token=_scalar(m.comm_s_per_token, "StepModel.comm_s_per_token")
            + _scalar(m.moe_s_per_token, "StepModel.moe_s_per_token"),
            overhead=_scalar(m.overhead_s, "StepModel.overhead_s"),
        )

    def _share(self, tokens: float) -> float:
        return 1.0 if self.miss < 0 else 1.0 - self.miss ** max(tokens, 0.0)

    def step_s(self, decode_seqs: float, context: float, prefill: float, pairs: float) -> float:
        """One step (floats): max(memory, compute) + communication + overhead."""
        tokens = decode_seqs + prefill
        memory = self.dense + self.experts_read * self._share(tokens) + self.kv * context
        compute = (
            self.decode * decode_seqs + self.prefill * prefill + self.attention * (context + pairs)
        )
        return max(memory, compute) + self.comm_step + self.comm_token * tokens + self.overhead

    def decode_block_s(self, decode_seqs: int, context: float, steps: int) -> Array:
        """Durations of ``steps`` decode-only steps of a fixed batch whose context grows by one
        token per sequence per step."""
        ctx = context + decode_seqs * np.arange(steps, dtype=float)
        memory = self.dense + self.experts_read * self._share(decode_seqs) + self.kv * ctx
        compute = self.decode * decode_seqs + self.attention * ctx
        extra = self.comm_step + self.comm_token * decode_seqs + self.overhead
        return np.maximum(memory, compute) + extra

    def decode_block(
        self, decode_seqs: int, context: float, max_steps: int, until_s: float
    ) -> tuple[int, float]:
        """Decode-only steps of a fixed batch from time 0: the fewest (≤ ``max_steps``) whose
        end reaches ``until_s`` (all of them if none does), and their total duration. A step's
        duration is linear in its index within one branch of the max: when one branch holds over
        the whole block the sum is a quadratic, solved directly; else summed with numpy."""
        n = float(decode_seqs)
        extra = self.comm_step + self.comm_token * n + self.overhead
        share = 1.0 if self.miss < 0 else 1.0 - self.miss**n
        a_mem = self.dense + self.experts_read * share + self.kv * context
        b_mem = self.kv * n
        a_cmp = self.decode * n + self.attention * context
        b_cmp = self.attention * n
        last = max_steps - 1
        if a_mem >= a_cmp and a_mem + b_mem * last >= a_cmp + b_cmp * last:
            a, b = a_mem + extra, b_mem
        elif a_cmp >= a_mem and a_cmp + b_cmp * last >= a_mem + b_mem * last:
            a, b = a_cmp + extra, b_cmp
        else:
            ends = np.cumsum(self.decode_block_s(decode_seqs, context, max_steps))
            k = min(max_steps, int(np.searchsorted(ends, until_s)) + 1)
            return k, float(ends[k - 1])
        # the k steps j = 0 … k − 1 last k·a + b·k(k − 1)/2 in total
        full = max_steps * a + b * max_steps * last / 2.0
        if full <= until_s:
            return max_steps, full
        # smallest k with b/2 k² + (a − b/2) k ≥ until_s
        half = a - b / 2.0
        root = until_s / a if b == 0 else (-half + math.sqrt(half * half + 2.0 * b * until_s)) / b
        k = min(max(1, math.ceil(root)), max_steps)
        while k > 1 and (k - 1) * a + b * (k - 1) * (k - 2) / 2.0 >= until_s:
            k -= 1
        while k < max_steps and k * a + b * k * (k - 1) / 2.0 < until_s:
            k += 1
        return k, k * a + b * k * (k - 1) / 2.0


def draw_lengths(rng: np.random.Generator, mean: float, cv2: float, n: int) -> NDArray[np.int64]:
    """``n`` token counts ≥ 1 of the given mean: fixed (cv² 0), geometric (cv² 1: mean exact,
    cv² = 1 − 1/mean), otherwise gamma of that cv² rounded to the nearest integer."""
    if mean < 1:
        raise ValueError(f"simulation: a mean length must be at least 1 token, got {mean}")
    if cv2 < 0:
        raise ValueError(f"simulation: a squared coefficient of variation is ≥ 0, got {cv2}")
    if cv2 == 0:
        return np.full(n, max(1, round(mean)), dtype=np.int64)
    if cv2 == 1:
        return rng.geometric(1.0 / mean, n).astype(np.int64)
    x = rng.gamma(1.0 / cv2, mean * cv2, n)
    return np.maximum(1, np.rint(x)).astype(np.int64)


@dataclass(frozen=True)
class Requests:
    """Drawn requests, in arrival order: arrival times (s), prompt tokens to compute, output
    tokens to generate."""

    arrival_s: Array
    prefill_tokens: NDArray[np.int64]
    output_tokens: NDArray[np.int64]


def draw_requests(w: Workload, rate_rps: float, count: int, seed: int) -> Requests:
    """``count`` requests of the workload arriving as a Poisson process of ``rate_rps``, from
    ``numpy.random.default_rng(seed)`` (inter-arrival times, then prompts, then outputs)."""
    rng = np.random.default_rng(seed)
    arrivals = np.cumsum(rng.exponential(1.0 / rate_rps, count))
    prompt_cv2 = _scalar(w.prompt_cv2, "Workload.prompt_cv2")
    service_cv2 = _scalar(w.service_cv2, "Workload.service_cv2")
    prefill = draw_lengths(
        rng, _scalar(w.prefill_tokens, "Workload.prefill_tokens"), prompt_cv2, count
    )
    output = draw_lengths(
        rng, _scalar(w.output_tokens, "Workload.output_tokens"), service_cv2, count
    )
    return Requests(arrivals, prefill, output)


@dataclass(frozen=True)
class SimulationResult:
    """Latencies (seconds) of the measured requests and time averages of the replica."""

    ttft_p50_s: float
    ttft_p95_s: float
    ttft_p99_s: float
    tpot_p50_s: float
    tpot_p95_s: float
    tpot_p99_s: float
    e2e_p50_s: float
    e2e_p95_s: float
    e2e_p99_s: float
    ttft_mean_s: float
    tpot_mean_s: float
    e2e_mean_s: float
    decode_seqs_mean: float  # time average of the sequences decoding (comparable to λ·O·τ)
    throughput_tokens_per_s: float  # generated tokens per second
    completed_rps: float  # requests finished per second
    utilisation: float  # share of the time the replica runs a step
    requests_measured: int
    warmup_requests: int
    steps: int
    simulated_s: float

    def quantile_s(self, metric: str, q: float) -> float:
        """``quantile_s("ttft", 0.95)`` → ``ttft_p95_s``."""
        return float(getattr(self, f"{metric}_p{round(q * 100)}_s"))


def _window_sums(
    start: Array, end: Array, values: list[Array], lo: float, hi: float
) -> list[float]:
    """Sums of per-block ``values`` over [lo, hi], a block counted by the share of it inside."""
    length = np.maximum(end - start, 1e-300)
    inside = np.clip(np.minimum(end, hi) - np.maximum(start, lo), 0.0, None) / length
    return [float(np.sum(v * inside)) for v in values]


@dataclass(frozen=True)
class _Limits:
    """What the engine lets one step hold, and the cached prefix every prompt follows."""

    max_seqs: int
    token_budget: int
    kv_capacity_tokens: float
    prefix_tokens: float


def _checked_setup(
    m: StepModel, w: Workload, engine: Engine, rate_rps: float, requests: int, warmup_share: float
) -> tuple[float, _Step, _Limits]:
    """The arrival rate (requests/s), the float step model and the engine's limits, each checked
    (a ``ValueError`` saying what is expected otherwise)."""
    lam = _scalar(rate_rps, "rate_rps")
    if lam <= 0:
        raise ValueError(f"simulation: rate_rps must be > 0, got {lam}")
    if requests < 10:
        raise ValueError(f"simulation: simulate at least 10 requests, got {requests}")
    if not 0.0 <= warmup_share < 1.0:
        raise ValueError(f"simulation: warmup_share is a share in [0, 1), got {warmup_share}")
    step = _Step.of(m)
    if not step.step_s(1.0, 0.0, 0.0, 0.0) > 0.0:
        raise ValueError("simulation: a step of the StepModel must last > 0 s")
    max_seqs = int(_scalar(engine.max_seqs, "Engine.max_seqs"))
    budget = int(_scalar(engine.token_budget, "Engine.token_budget"))
    kv_capacity = _scalar(engine.kv_capacity_tokens, "Engine.kv_capacity_tokens")
    if max_seqs < 1 or budget < 1:
        raise ValueError("simulation: Engine.max_seqs and Engine.token_budget must be ≥ 1")
    prefix = max(
        _scalar(w.context_tokens, "Workload.context_tokens")
        - _scalar(w.prefill_tokens, "Workload.prefill_tokens"),
        0.0,
    )
    return lam, step, _Limits(max_seqs, budget, kv_capacity, prefix)


def prompt_chunks(
    head: int,
    head_done_tokens: int,
    queue_end: int,
    decode_seqs: int,
    kv_used_tokens: float,
    limits: _Limits,
    reserve_tokens: Sequence[float],
    prefill_tokens: Sequence[int],
) -> tuple[int, int, float, float, int]:
    """Prompt chunks, FCFS, in what the ``decode_seqs`` leave of the budget: the admitted head
    (``head_done_tokens`` > 0) first, then the queue up to ``queue_end`` while a slot is free and
    a request's KV cache fits (stop at the first that does not: no overtaking; an empty replica
    takes even an oversize one). A loop over the few prompts of one step.

    Returns (a plain tuple: this runs at every step) the first request whose prefill the step
    does not complete, the prompt tokens computed, their attention pairs, the KV tokens reserved
    by the requests admitted, and the prompt tokens of that first request computed once the
    step ends (0: none)."""
    left = limits.token_budget - decode_seqs
    free = limits.max_seqs - decode_seqs - (1 if head_done_tokens else 0)
    i, pre, pairs, kv_add, partial = head, 0, 0.0, 0.0, 0
    while i < queue_end and left > 0:
        done_i = head_done_tokens if i == head else 0
        if not done_i:
            r = reserve_tokens[i]
            empty = decode_seqs == 0 and i == head
            if free <= 0 or (kv_used_tokens + kv_add + r > limits.kv_capacity_tokens and not empty):
                break
            kv_add += r
            free -= 1
        need = prefill_tokens[i] - done_i
        c = need if need <= left else left
        pairs += c * (limits.prefix_tokens + done_i + c / 2.0)
        pre += c
        left -= c
        if c < need:
            partial = done_i + c
            break
        i += 1
    return i, pre, pairs, kv_add, partial


class _Batch:
    """The running decodes, one array element per slot: the request decoding in it and the
    decode count at which it finishes (INT_MAX: free slot). A global decode counter advances
    every sequence at once, so a step does no per-sequence work."""

    __slots__ = ("context_tokens", "decoded", "end", "free", "next_end", "request", "size")

    def __init__(self, max_seqs: int) -> None:
        self.request = np.zeros(max_seqs, dtype=np.int64)
        self.end = np.full(max_seqs, INT_MAX, dtype=np.int64)
        self.free = list(range(max_seqs - 1, -1, -1))
        self.size = 0  # sequences decoding
        self.next_end = INT_MAX  # self.end.min()
        self.decoded = 0  # decode steps run so far
        self.context_tokens = 0.0  # KV tokens the decodes read at the next step

    def advance(self, steps: int, reserve_tokens: Sequence[float]) -> Sequence[int]:
        """Run ``steps`` decode steps of the whole batch; the requests finishing at the last
        one (usually one) leave it, their reserved tokens leaving the context."""
        self.decoded += steps
        self.context_tokens += self.size * steps
        if self.decoded != self.next_end:
            return ()
        slots = (self.end == self.decoded).nonzero()[0].tolist()
        done = [int(self.request[slot]) for slot in slots]
        for slot, j in zip(slots, done, strict=True):
            self.context_tokens -= reserve_tokens[j]  # its prompt + output tokens, as reserved
            self.end[slot] = INT_MAX
        self.free.extend(slots)
        self.size -= len(slots)
        self.next_end = int(np.minimum.reduce(self.end))
        if self.size == 0:
            self.context_tokens = 0.0
        return done

    def admit(self, request: int, decode_steps: int, prompt_tokens: float) -> None:
        """A request whose first token came at this step decodes ``decode_steps`` more."""
        slot = self.free.pop()
        self.request[slot] = request
        self.end[slot] = self.decoded + decode_steps
        self.next_end = min(self.next_end, self.decoded + decode_steps)
        self.context_tokens += prompt_tokens + 1.0
        self.size += 1


@dataclass(frozen=True)
class _Trace:
    """What a run recorded: per request its first token and finish times (s, NaN: not reached),
    per loop turn (start, end, tokens generated, decode sequence·seconds), steps and end time."""

    first_s: Array
    finish_s: Array
    blocks: list[tuple[float, float, int, float]]
    steps: int
    end_s: float


def _serve(step: _Step, limits: _Limits, drawn: Requests, warm: int, requests: int) -> _Trace:
    """The engine loop (module docstring) until every measured request has finished."""
    arrivals, prefill = drawn.arrival_s.tolist(), drawn.prefill_tokens.tolist()
    output = drawn.output_tokens.tolist()
    prompt_ctx = limits.prefix_tokens + drawn.prefill_tokens  # KV tokens of the prompt
    reserve = (prompt_ctx + drawn.output_tokens).tolist()  # KV tokens reserved at admission
    prompt = prompt_ctx.tolist()
    total = len(arrivals)
    first, finish = np.full(total, np.nan), np.full(total, np.nan)
    batch = _Batch(limits.max_seqs)
    kv_used, t = 0.0, 0.0
    nxt = 0  # next arrival not yet in the queue
    head = 0  # first request whose prefill is not complete (the queue is head .. nxt − 1)
    head_done = 0  # prompt tokens of `head` already computed (> 0: it holds a slot)
    measured_left = requests - warm
    blocks: list[tuple[float, float, int, float]] = []
    steps = 0
    while measured_left > 0:
        nxt = bisect_right(arrivals, t, nxt)
        n_dec = batch.size
        if n_dec == 0 and head == nxt:
            if nxt >= total:
                break
            t = arrivals[nxt]  # idle: jump to the next arrival
            continue
        if head < nxt:  # prompts wait: the chunks of this step
            i, pre, pairs, kv_add, partial = prompt_chunks(
                head, head_done, nxt, n_dec, kv_used, limits, reserve, prefill
            )
        else:
            i, pre, pairs, kv_add, partial = head, 0, 0.0, 0.0, 0
        if pre > 0:
            n_steps = 1
            end = t + step.step_s(float(n_dec), batch.context_tokens, float(pre), pairs)
            kv_used += kv_add
        else:
            # decode-only steps: to the next completion, or to the next arrival when the queue
            # is empty (a blocked queue waits for a completion anyway)
            arrival = arrivals[nxt] if head == nxt and nxt < total else math.inf
            n_steps, dur = step.decode_block(
                n_dec, batch.context_tokens, batch.next_end - batch.decoded, arrival - t
            )
            end = t + dur
        blocks.append((t, end, n_dec * n_steps + i - head, n_dec * (end - t)))
        steps += n_steps
        t = end
        for j in batch.advance(n_steps, reserve) if n_dec else ():
            finish[j] = t
            kv_used -= reserve[j]
            measured_left -= warm <= j < requests
        # the prompts completed in this step (usually one) emit their first token; those with
        # more to generate take a slot of the running batch
        for j in range(head, i):
            first[j] = t
            if output[j] > 1:
                batch.admit(j, output[j] - 1, prompt[j])
                continue
            finish[j] = t
            kv_used -= reserve[j]
            measured_left -= warm <= j < requests
        head, head_done = i, partial
    return _Trace(first, finish, blocks, steps, t)


def _measured_result(drawn: Requests, trace: _Trace, warm: int, requests: int) -> SimulationResult:
    """Latency quantiles and means of the measured requests, and the replica's time averages
    over their arrivals (module docstring, "Measured")."""
    keep = slice(warm, requests)
    arr = drawn.arrival_s[keep]
    ttft = trace.first_s[keep] - arr
    e2e = trace.finish_s[keep] - arr
    out = drawn.output_tokens[keep]
    multi = out > 1
    tpot = (e2e[multi] - ttft[multi]) / (out[multi] - 1)
    lo, hi_t = float(drawn.arrival_s[warm]), float(drawn.arrival_s[requests - 1])
    b = np.asarray(trace.blocks, dtype=float).reshape(-1, 4)
    busy, tok, seq_s = _window_sums(
        b[:, 0], b[:, 1], [b[:, 1] - b[:, 0], b[:, 2], b[:, 3]], lo, hi_t
    )
    span = max(hi_t - lo, 1e-300)
    finished_in = np.count_nonzero((trace.finish_s >= lo) & (trace.finish_s <= hi_t))
    qt = np.quantile(ttft, QUANTILES)
    qp = np.quantile(tpot, QUANTILES) if tpot.size else np.full(3, np.nan)
    qe = np.quantile(e2e, QUANTILES)
    return SimulationResult(
        ttft_p50_s=float(qt[0]),
        ttft_p95_s=float(qt[1]),
        ttft_p99_s=float(qt[2]),
        tpot_p50_s=float(qp[0]),
        tpot_p95_s=float(qp[1]),
        tpot_p99_s=float(qp[2]),
        e2e_p50_s=float(qe[0]),
        e2e_p95_s=float(qe[1]),
        e2e_p99_s=float(qe[2]),
        ttft_mean_s=float(ttft.mean()),
        tpot_mean_s=float(tpot.mean()) if tpot.size else math.nan,
        e2e_mean_s=float(e2e.mean()),
        decode_seqs_mean=seq_s / span,
        throughput_tokens_per_s=tok / span,
        completed_rps=finished_in / span,
        utilisation=busy / span,
        requests_measured=requests - warm,
        warmup_requests=warm,
        steps=trace.steps,
        simulated_s=trace.end_s,
    )


def simulate(
    m: StepModel,
    w: Workload,
    engine: Engine,
    rate_rps: float,
    *,
    requests: int = 20_000,
    seed: int = 0,
    warmup_share: float = 0.1,
) -> SimulationResult:
    """Simulate one replica receiving ``rate_rps`` Poisson arrivals; ``requests`` arrivals of
    which the first ``warmup_share`` are dropped (see the module docstring)."""
    lam, step, limits = _checked_setup(m, w, engine, rate_rps, requests, warmup_share)
    warm = round(warmup_share * requests)
    drawn = draw_requests(w, lam, requests + warm, seed)
    return _measured_result(drawn, _serve(step, limits, drawn, warm, requests), warm, requests)
