"""The seeded simulation of one replica (estimators/simulation.py), checked against queueing theory,
and the closed form (serving.replica_latency, serving.capacity_rps) held against it.

Table of the comparison and where the closed form is weak: docs/simulation.md."""

from __future__ import annotations

import dataclasses
import functools
import math
import time

import numpy as np
import pytest

from llmdecide.estimators import replica, serving, simulation

# ---------------------------------------------------------------------------------------------
# Realistic replicas. Figures from the catalog: H100-SXM (params/catalog/gpus.yaml: 3 350 GB/s,
# 989.5 dense BF16 TFLOPS, 80 GB, NVLink 900 GB/s both directions = 450 per direction), vLLM
# efficiencies (params/catalog/efficiencies.yaml: bandwidth 0.65, MFU decode 0.35, prefill 0.55),
# Llama-3.1 8B / 70B (params/catalog/open_models.yaml: 8.03 / 70.55 B parameters, 32 / 80 layers,
# 8 KV heads × 128, 32 / 64 query heads × 128). Settings of this test, not sourced figures: no
# per-step overhead, 1 µs per all-reduce hop, link at its data-sheet rate; the KV cache gets 90 %
# of the memory (vLLM's default gpu_memory_utilization) minus the weights; max_num_seqs 256,
# a token budget of 8 192 per step (2 048 for the long-prompt case).
# ---------------------------------------------------------------------------------------------
H100 = dict(
    bandwidth_gb_s=3350,
    bandwidth_efficiency=0.65,
    tflops=989.5,
    bf16_tflops=989.5,
    mfu_decode=0.35,
    mfu_prefill=0.55,
    link_gb_s_per_direction=450,
    link_efficiency=1.0,
    hop_latency_s=1e-6,
    overhead_s=0.0,
)
NO_EXPERTS = dict(expert_weights_fp16_gb=0.0, experts=0, experts_per_token=0)


def llama_8b_h100() -> tuple[serving.StepModel, float]:
    """Llama-3.1-8B, bf16, 1 × H100-SXM. Weights 8.03 B × 2 B = 16.06 GB → 16.06 / (3 350 × 0.65)
    = 7.375 ms per step; KV 2 × 32 layers × 8 × 128 × 2 B = 131 072 B per token → 60.2 ns; decode
    2 × 8.03e9 / (989.5e12 × 0.35) = 46.4 µs per token, prefill (× 0.55) 29.5 µs. KV cache
    0.9 × 80 − 16.06 = 55.94 GB / 131 072 B = 426 789 tokens."""
    m = replica.step_model(
        gpus=1,
        dense_weights_fp16_gb=16.06,
        weight_read_speedup=1.0,
        active_params_b=8.03,
        kv_bytes_per_token=131072,
        attention_layers=32,
        attention_width=4096,
        hidden_size=4096,
        layers=32,
        **NO_EXPERTS,
        **H100,
    )
    return m, (0.9 * 80 - 16.06) * 1e9 / 131072


def llama_70b_h100_tp4() -> tuple[serving.StepModel, float]:
    """Llama-3.1-70B, bf16, 4 × H100-SXM (tensor parallel). Weights 141.1 GB over 4 × 3 350 × 0.65
    GB/s = 16.2 ms per step; KV 2 × 80 × 8 × 128 × 2 B = 327 680 B per token; decode
    2 × 70.55e9 / (4 × 989.5e12 × 0.35) = 102 µs per token; all-reduces 2 × 80 layers × 6 hops ×
    1 µs = 0.96 ms per step. KV cache 0.9 × 320 − 141.1 = 146.9 GB / 327 680 B = 448 303 tokens."""
    m = replica.step_model(
        gpus=4,
        dense_weights_fp16_gb=141.1,
        weight_read_speedup=1.0,
        active_params_b=70.55,
        kv_bytes_per_token=327680,
        attention_layers=80,
        attention_width=8192,
        hidden_size=8192,
        layers=80,
        **NO_EXPERTS,
        **H100,
    )
    return m, (0.9 * 320 - 141.1) * 1e9 / 327680


MODELS = {"8b": llama_8b_h100, "70b-tp4": llama_70b_h100_tp4}
# workloads: (prompt tokens, output tokens, cv² of both, token budget)
WORKLOADS = {
    "decode-heavy": (200, 500, 0.0, 8192),  # short prompts, long answers (fixed lengths)
    "chat": (1000, 200, 0.0, 8192),  # prompt-heavy (fixed lengths)
    "chat-exp": (1000, 200, 1.0, 8192),  # the same, exponential-like lengths (cv² 1)
    "long-prompt": (8000, 200, 0.0, 2048),  # RAG-like: prompts over 4 chunks of a small budget
}
# requests per simulated point (the first 10 % are the warm-up): fewer at low load, where the p95
# settles faster (and each request costs more simulation: every arrival splits a decode block)
REQUESTS = {0.2: 4000, 0.5: 6000, 0.7: 10_000, 0.85: 10_000}


def setting(
    model: str, workload: str
) -> tuple[serving.StepModel, serving.Workload, serving.Engine]:
    m, kv_tokens = MODELS[model]()
    prompt, output, cv2, budget = WORKLOADS[workload]
    w = serving.Workload(
        context_tokens=prompt,
        prefill_tokens=prompt,
        output_tokens=output,
        service_cv2=cv2,
        prompt_cv2=cv2,
    )
    return m, w, serving.Engine(max_seqs=256, token_budget=budget, kv_capacity_tokens=kv_tokens)


@functools.cache
def simulated(model: str, workload: str, utilisation: float) -> simulation.SimulationResult:
    """One simulation per point, shared by the tests of its three metrics."""
    m, w, engine = setting(model, workload)
    rate = utilisation * float(serving.capacity_rps(m, w, engine))
    return simulation.simulate(m, w, engine, rate, requests=REQUESTS[utilisation], seed=11)


@functools.cache
def closed_form(model: str, workload: str, utilisation: float) -> serving.Latency:
    m, w, engine = setting(model, workload)
    rate = utilisation * float(serving.capacity_rps(m, w, engine))
    return serving.replica_latency(m, w, engine, rate)


# ---------------------------------------------------------------------------------------------
# the simulator's own pieces
# ---------------------------------------------------------------------------------------------
def test_float_step_equals_step_model() -> None:
    # the simulation evaluates StepModel.step_s with floats (speed); it must be the same formula:
    # dense, MoE (8 experts, 2 per token) and tensor-parallel step models on a grid of steps
    dense, _ = llama_8b_h100()
    tp, _ = llama_70b_h100_tp4()
    moe = dataclasses.replace(
        dense,
        experts_read_s=0.040,
        experts=8,
        experts_per_token=2,
        moe_s_per_step=1e-3,
        moe_s_per_token=4e-6,
    )
    rng = np.random.default_rng(0)
    for m in (dense, tp, moe):
        fast = simulation._Step.of(m)
        for _ in range(200):
            n, ctx = float(rng.integers(0, 300)), float(rng.integers(0, 400_000))
            pre, pairs = float(rng.integers(0, 8192)), float(rng.integers(0, 10**7))
            assert fast.step_s(n, ctx, pre, pairs) == pytest.approx(
                float(m.step_s(n, ctx, pre, pairs)), rel=1e-12
            )
        blk = fast.decode_block_s(37, 50_000.0, 100)
        want = m.step_s(37.0, 50_000.0 + 37.0 * np.arange(100.0))
        np.testing.assert_allclose(blk, want, rtol=1e-12)


@pytest.mark.parametrize(
    ("n", "ctx", "steps", "until_s"),
    [(10, 1e4, 300, 0.5), (200, 2e5, 50, 1e9), (1, 0.0, 1, 0.0), (250, 3e5, 400, 0.123)],
)
def test_decode_block_is_the_first_step_end_past_the_time(
    n: int, ctx: float, steps: int, until_s: float
) -> None:
    # the closed-form sum of a block of decode steps agrees with summing them one by one
    for make in MODELS.values():
        fast = simulation._Step.of(make()[0])
        ends = np.cumsum(fast.decode_block_s(n, ctx, steps))
        want = min(steps, int(np.searchsorted(ends, until_s)) + 1)
        k, total_s = fast.decode_block(n, ctx, steps, until_s)
        assert k == want
        assert total_s == pytest.approx(float(ends[k - 1]), rel=1e-9)


def test_prompt_chunks_follow_the_budget_the_slots_and_the_cache() -> None:
    # a step after 2 running decodes, budget 100 → 98 prompt tokens left; a cached prefix of 10;
    # three queued prompts of 30, 50 and 40 tokens reserving 300, 300 and 500 KV tokens
    reserve, prefill = [300.0, 300.0, 500.0], [30, 50, 40]

    def limits(max_seqs: int, kv_tokens: float) -> simulation._Limits:
        return simulation._Limits(max_seqs, 100, kv_tokens, 10.0)

    # 4 slots: 2 free, both taken by the first two prompts (30 + 50 tokens; pairs
    # 30 × (10 + 15) + 50 × (10 + 25) = 750 + 1750 = 2500); the third waits for a slot
    assert simulation.prompt_chunks(0, 0, 3, 2, 0.0, limits(4, 1000), reserve, prefill) == (
        2,
        80,
        2500.0,
        600.0,
        0,
    )
    # slots to spare, but 600 + 500 > 1000 KV tokens: the third waits for the cache (no overtaking)
    assert simulation.prompt_chunks(0, 0, 3, 2, 0.0, limits(8, 1000), reserve, prefill) == (
        2,
        80,
        2500.0,
        600.0,
        0,
    )
    # room for all: the third gets the 18 tokens left, 18 × (10 + 9) = 342 pairs, and is partial
    assert simulation.prompt_chunks(0, 0, 3, 2, 0.0, limits(8, 2000), reserve, prefill) == (
        2,
        98,
        2842.0,
        1100.0,
        18,
    )
    # next step (4 decodes): its remaining 22 tokens, 22 × (10 + 18 + 11) = 858 pairs, no new
    # reservation (it holds its slot)
    assert simulation.prompt_chunks(2, 18, 3, 4, 1100.0, limits(8, 2000), reserve, prefill) == (
        3,
        22,
        858.0,
        0.0,
        0,
    )
    # an empty replica admits a prompt whose reservation exceeds the whole cache (no deadlock)
    assert simulation.prompt_chunks(0, 0, 1, 0, 0.0, limits(8, 100), reserve, prefill) == (
        1,
        30,
        750.0,
        300.0,
        0,
    )


def test_lengths_have_the_mean_and_spread_asked() -> None:
    rng = np.random.default_rng(3)
    fixed = simulation.draw_lengths(rng, 200, 0.0, 1000)
    assert set(fixed.tolist()) == {200}
    # geometric of mean 200: cv² = 1 − 1/200 = 0.995 (± sampling error of 200 000 draws)
    geo = simulation.draw_lengths(rng, 200, 1.0, 200_000).astype(float)
    assert geo.min() >= 1
    assert geo.mean() == pytest.approx(200, rel=0.01)
    assert geo.var() / geo.mean() ** 2 == pytest.approx(0.995, rel=0.03)
    half = simulation.draw_lengths(rng, 200, 0.5, 200_000).astype(float)
    assert half.var() / half.mean() ** 2 == pytest.approx(0.5, rel=0.03)


def test_same_seed_same_result() -> None:
    m, w, engine = setting("8b", "chat-exp")
    a = simulation.simulate(m, w, engine, 10.0, requests=3000, seed=5)
    b = simulation.simulate(m, w, engine, 10.0, requests=3000, seed=5)
    c = simulation.simulate(m, w, engine, 10.0, requests=3000, seed=6)
    assert a == b
    assert a != c


def test_bad_arguments_say_what_is_expected() -> None:
    m, w, engine = setting("8b", "chat")
    with pytest.raises(ValueError, match="rate_rps must be > 0"):
        simulation.simulate(m, w, engine, 0.0)
    with pytest.raises(ValueError, match="one number"):
        simulation.simulate(m, w, engine, np.array([1.0, 2.0]))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="must last > 0 s"):
        zero = serving.StepModel(0.0, 0.0, 0.0, 0.0)
        simulation.simulate(zero, w, engine, 1.0)


def test_twenty_thousand_requests_take_well_under_two_seconds() -> None:
    # 0.25-0.4 s measured on the shared 2-core machine; 6 s is the ceiling when it is heavily
    # loaded. The run makes ~122 000 steps over ~34 decoding sequences on average: 4 million
    # sequence-steps, which a Python loop over the sequences of each step would visit one by one
    m, w, engine = setting("8b", "chat-exp")
    start = time.perf_counter()
    r = simulation.simulate(m, w, engine, 12.0, requests=20_000, seed=1)
    assert time.perf_counter() - start < 6.0
    assert r.requests_measured == 18_000


# ---------------------------------------------------------------------------------------------
# 1. sanity: at very low load, the zero-load figures
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("model", list(MODELS))
def test_low_load_is_the_zero_load_ttft_and_tpot(model: str) -> None:
    m, w, engine = setting(model, "chat")
    ttft0 = float(serving.zero_load_ttft_s(m, w, engine))
    tpot0 = float(serving.zero_load_tpot_s(m, w))
    # 1 request every ~1 000 s of service: a request almost never meets another one
    rate = 0.001 / (ttft0 + 200 * tpot0)
    r = simulation.simulate(m, w, engine, rate, requests=400, seed=2)
    # 8B: one 1 000-token chunk: 1 000 × 29.5 µs + attention 1 000 × 500 pairs ≈ 30.0 ms
    assert r.ttft_p50_s == pytest.approx(ttft0, rel=0.02)
    # decode at batch 1 over 1 000 + 100 cached tokens on average: 7.375 + 0.066 ms
    assert r.tpot_p50_s == pytest.approx(tpot0, rel=0.02)
    assert r.e2e_p50_s == pytest.approx(ttft0 + 199 * tpot0, rel=0.02)


# ---------------------------------------------------------------------------------------------
# 2. queueing theory: a replica that is one server is an M/G/1 queue
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("output_cv2", [1.0, 0.0])  # geometric (M/M/1-like), fixed (M/D/1)
@pytest.mark.parametrize("rho", [0.3, 0.6])
def test_single_server_replica_is_pollaczek_khinchine(output_cv2: float, rho: float) -> None:
    # every step lasts δ = 10 ms whatever it carries and max_seqs = 1: a request holds the
    # replica for O steps (its prefill step gives the first token, O − 1 decode steps follow),
    # the next one starts at the step after → M/G/1 with service S = O·δ. Mean sojourn
    # (Pollaczek–Khinchine) E[T] = λ·E[S²] / (2 (1 − ρ)) + E[S]; mean TTFT = the wait + δ.
    delta = 0.010
    m = serving.StepModel(
        dense_read_s=delta,
        kv_read_s_per_token=0.0,
        decode_compute_s_per_token=0.0,
        prefill_compute_s_per_token=0.0,
    )
    w = serving.Workload(
        context_tokens=100, prefill_tokens=100, output_tokens=50, service_cv2=output_cv2
    )
    engine = serving.Engine(max_seqs=1, token_budget=8192, kv_capacity_tokens=1e9)
    requests, warm = 20_000, 2_000
    rate = rho / (50 * delta)  # E[S] = 50 × 10 ms = 0.5 s
    r = simulation.simulate(m, w, engine, rate, requests=requests, seed=7)
    # the realised arrivals and service times of the measured requests (same seed) in the
    # formula: with the nominal ones, the mean sojourn at ρ = 0.7 moved by up to 5.5 % (seeds 0-3)
    drawn = simulation.draw_requests(w, rate, requests + warm, seed=7)
    s = drawn.output_tokens[warm:requests] * delta
    lam = (requests - warm - 1) / (drawn.arrival_s[requests - 1] - drawn.arrival_s[warm])
    rho_hat = lam * s.mean()
    wait = lam * np.mean(s**2) / (2 * (1 - rho_hat))
    assert r.e2e_mean_s == pytest.approx(wait + s.mean(), rel=0.05)
    assert r.ttft_mean_s == pytest.approx(wait + delta, rel=0.05)
    assert r.utilisation == pytest.approx(rho_hat, rel=0.01)
    # and against the textbook values at the nominal λ (geometric O: E[O²] = 50 × 99):
    e_s2 = delta**2 * (50 * 99 if output_cv2 == 1.0 else 50 * 50)
    nominal = rate * e_s2 / (2 * (1 - rho)) + 0.5
    assert r.e2e_mean_s == pytest.approx(nominal, rel=0.08)


# ---------------------------------------------------------------------------------------------
# 3. the closed form against the simulation
# ---------------------------------------------------------------------------------------------
# Tolerance on p95 (closed form / simulation − 1): 25 % up to 0.7 of capacity, 35 % at 0.85.
# Why: the simulated p95 itself varies from seed to seed (coefficient of variation of
# 10 000-request runs, seeds 11-15: <= 3 % at 0.5; at 0.85 <= 5 % for TPOT and e2e, 9-18 % for
# TTFT, whose tail is set by rare long queues); the closed form's occupancy (normal
# approximation of a Poisson count) and its M/G/c / M/G/1 waits (Allen–Cunneen, exponential
# tails) are approximations whose error grows towards saturation. Points outside are marked
# xfail(strict=True) with the reason: they are the closed form's known weaknesses
# (docs/simulation.md), and a strict xfail turns red when a fix makes them pass.
TOLERANCE = {0.2: 0.25, 0.5: 0.25, 0.7: 0.25, 0.85: 0.35}

MIXED_TAIL = (
    "the closed form mixes decode-only and prompt-carrying steps by their time shares (this "
    "closed the 1.4-2.2x mean-TPOT gap the first closed form had), but near saturation the "
    "prompt queue bunches: several prompt steps in a row, and steps packing several prompts, "
    "lengthen the p95 request beyond the Poisson count of mixed steps it models (8B chat at "
    "0.85: p95 TPOT 29.5 ms closed form, 50.3 ms simulated; 70B long prompts with a 2 048 "
    "budget at 0.7: 55.5 vs 109.9 ms)"
)
OWN_LENGTH = (
    "the closed form's p95 takes the mean prompt and the mean output for the request itself: "
    "with exponential-like lengths (cv² 1) the p95 request has ~3× the mean output, so at 0.2 "
    "of capacity (8B) the simulated p95 e2e is 5.63 s for the closed form's 2.00 s, and the "
    "p95 TTFT (its own prompt's prefill) 118 ms for 80 ms"
)
SHORT_OUTPUTS = (
    "with geometric outputs a short answer averages its TPOT over a few steps, one of which may "
    "carry a long prompt: the p95 of per-request TPOT spreads beyond the closed form's "
    "occupancy quantile (8B at 0.7: 21.1 ms closed form, 37.5 ms simulated)"
)
PROMPT_PACKING = (
    "on decode-heavy replicas near saturation the closed form's wait for the prompt steps "
    "(M/G/1 of one prompt per mixed step) exceeds the simulation, whose scheduler packs every "
    "waiting prompt into one step: conservative (8B at 0.85: 42 ms closed form, 31 ms "
    "simulated; 70B TP4 at 0.85: 101 vs 71 ms)"
)
WEAK = {
    "8b-decode-heavy-0.7-ttft": PROMPT_PACKING,
    "8b-decode-heavy-0.85-ttft": PROMPT_PACKING,
    "70b-tp4-decode-heavy-0.7-ttft": PROMPT_PACKING,
    "70b-tp4-decode-heavy-0.85-ttft": PROMPT_PACKING,
    "8b-chat-0.85-tpot": MIXED_TAIL,
    "8b-chat-0.85-e2e": MIXED_TAIL,
    "8b-chat-exp-0.2-ttft": OWN_LENGTH,
    "8b-chat-exp-0.2-e2e": OWN_LENGTH,
    "8b-chat-exp-0.7-tpot": SHORT_OUTPUTS,
    "8b-chat-exp-0.7-e2e": OWN_LENGTH,
    "70b-tp4-long-prompt-0.7-tpot": MIXED_TAIL,
    "70b-tp4-long-prompt-0.7-e2e": MIXED_TAIL,
}
"""Points outside the tolerance, with why (docs/simulation.md): strict xfails."""


def _case(model: str, workload: str, u: float, metric: str) -> object:
    case_id = f"{model}-{workload}-{u}-{metric}"
    reason = WEAK.get(case_id)
    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
    return pytest.param(model, workload, u, metric, marks=marks, id=case_id)


def _cases() -> list[object]:
    out: list[object] = []
    for model in MODELS:
        for u in TOLERANCE:
            for workload in ("decode-heavy", "chat"):
                for metric in ("ttft", "tpot", "e2e"):
                    out.append(_case(model, workload, u, metric))
    for u in (0.2, 0.7):
        for metric in ("ttft", "tpot", "e2e"):
            out.append(_case("8b", "chat-exp", u, metric))
            out.append(_case("70b-tp4", "long-prompt", u, metric))
    return out


@pytest.mark.parametrize(("model", "workload", "u", "metric"), _cases())
def test_closed_form_p95_matches_simulation(
    model: str, workload: str, u: float, metric: str
) -> None:
    sim = simulated(model, workload, u).quantile_s(metric, 0.95)
    lat = closed_form(model, workload, u)
    ours = float({"ttft": lat.ttft_q_s, "tpot": lat.tpot_q_s, "e2e": lat.e2e_q_s}[metric])
    assert ours == pytest.approx(sim, rel=TOLERANCE[u])


@pytest.mark.parametrize("model", list(MODELS))
@pytest.mark.parametrize("workload", ["decode-heavy", "chat", "long-prompt"])
def test_capacity_is_what_a_saturated_replica_serves(model: str, workload: str) -> None:
    # offered 1.3 × the closed form's capacity, the replica serves all it can: its measured
    # rate (generated tokens / s ÷ tokens per request) is its capacity, within 15 %
    m, w, engine = setting(model, workload)
    cap = float(serving.capacity_rps(m, w, engine))
    r = simulation.simulate(m, w, engine, 1.3 * cap, requests=5000, seed=3)
    served_rps = r.throughput_tokens_per_s / float(w.output_tokens)
    assert served_rps == pytest.approx(cap, rel=0.15)
    assert r.utilisation == pytest.approx(1.0, abs=1e-6)


def test_mean_decode_batch_is_littles_law() -> None:
    # time-averaged decoding sequences = λ × time each spends decoding, (O − 1) steps of the
    # mean step (the simulated mean TPOT): a check of the simulator's bookkeeping
    r = simulated("70b-tp4", "decode-heavy", 0.5)
    m, w, engine = setting("70b-tp4", "decode-heavy")
    rate = 0.5 * float(serving.capacity_rps(m, w, engine))
    assert r.decode_seqs_mean == pytest.approx(rate * 499 * r.tpot_mean_s, rel=0.03)
    assert r.throughput_tokens_per_s == pytest.approx(rate * 500, rel=0.03)
    assert math.isfinite(r.e2e_p99_s) and r.e2e_p99_s >= r.e2e_p95_s >= r.e2e_p50_s
