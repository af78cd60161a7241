"""The serving model of a replica: step time, loaded fixed point, capacity, queueing closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest

from llmdecide.estimators import parallelism, queueing, replica, serving, steps


def _dense(**over: float) -> serving.StepModel:
    base = dict(
        dense_read_s=0.010,  # 10 ms to stream the weights
        kv_read_s_per_token=1e-7,  # 0.1 µs per cached token
        decode_compute_s_per_token=1e-4,  # 0.1 ms of compute per decoded token
        prefill_compute_s_per_token=5e-5,  # 0.05 ms per prompt token
        overhead_s=0.001,
    )
    base.update(over)
    return serving.StepModel(**base)  # type: ignore[arg-type]


def test_step_is_max_of_memory_and_compute_plus_overhead() -> None:
    m = _dense()
    # 4 decodes over 1 000 cached tokens: memory 10 + 0.1 = 10.1 ms, compute 4 × 0.1 = 0.4 ms
    assert float(m.step_s(4, 1000)) == pytest.approx(0.0101 + 0.001)
    # + 1 000 prompt tokens: compute 0.4 + 50 = 50.4 ms > memory 10.1 ms
    assert float(m.step_s(4, 1000, 1000)) == pytest.approx(0.0504 + 0.001)


def test_moe_step_reads_only_the_experts_routed_to() -> None:
    # 8 experts, 2 per token: one token touches 2/8 = 25 %; two tokens 1 − 0.75² = 43.75 %
    assert float(serving.distinct_share(1, 8, 2)) == pytest.approx(0.25)
    assert float(serving.distinct_share(2, 8, 2)) == pytest.approx(0.4375)
    assert float(serving.distinct_share(5, 0, 0)) == 1.0  # dense
    m = _dense(experts_read_s=0.040, experts=8, experts_per_token=2, dense_read_s=0.002)
    # one decode: 2 ms dense + 40 ms × 25 % = 12 ms, + 0.1 µs × 0 context, + 1 ms overhead
    assert float(m.step_s(1, 0)) == pytest.approx(0.012 + 0.001)


def test_zero_load_ttft_is_the_prefill_alone() -> None:
    m = _dense()
    w = serving.Workload(context_tokens=2000, prefill_tokens=2000, output_tokens=100)
    engine = serving.Engine(max_seqs=256, token_budget=8192, kv_capacity_tokens=1e6)
    # one chunk of 2 000 tokens: compute 2 000 × 0.05 ms = 100 ms > memory 10 ms; + 1 ms overhead
    assert float(serving.zero_load_ttft_s(m, w, engine)) == pytest.approx(0.101)
    small_budget = serving.Engine(max_seqs=256, token_budget=500, kv_capacity_tokens=1e6)
    # four chunks of 500: each max(10 ms, 25 ms) + 1 ms = 26 ms → 104 ms
    assert float(serving.zero_load_ttft_s(m, w, small_budget)) == pytest.approx(0.104)


def test_loaded_step_solves_the_fixed_point() -> None:
    m = _dense(kv_read_s_per_token=0.0, overhead_s=0.0)
    w = serving.Workload(context_tokens=100, prefill_tokens=0, output_tokens=100)
    # memory bound: τ = 10 ms whatever the load while compute λ·O·τ·0.1 ms stays below it
    assert float(serving.loaded_step_s(m, w, 1.0)) == pytest.approx(0.010)
    # compute branch: τ = 0.1 ms (own token) / (1 − λ·O·0.1 ms); λ = 95/s → b = 0.95 → 2 ms < 10
    # λ = 99.5/s → b = 0.995 → τ = 0.1 ms / 0.005 = 20 ms > 10 ms: compute bound
    # (solved numerically on the load curve: regula falsi to a few parts per million)
    assert float(serving.loaded_step_s(m, w, 99.5)) == pytest.approx(0.020, rel=1e-5)
    assert math.isinf(float(serving.loaded_step_s(m, w, 100.0)))


def test_capacity_is_bounded_by_compute_and_slots() -> None:
    m = _dense(kv_read_s_per_token=0.0, overhead_s=0.0)
    w = serving.Workload(context_tokens=100, prefill_tokens=100, output_tokens=100)
    many = serving.Engine(max_seqs=10_000, token_budget=1e9, kv_capacity_tokens=1e12)
    # compute per request: 100 × 0.1 ms + 100 × 0.05 ms = 15 ms → at most 66.7 requests/s
    cap = float(serving.capacity_rps(m, w, many))
    assert cap <= 1 / 0.015 + 1e-9
    assert cap > 0.9 / 0.015
    few = serving.Engine(max_seqs=4, token_budget=1e9, kv_capacity_tokens=1e12)
    # 4 slots, each request ≥ 100 steps of 10 ms = 1 s in service → below 4 requests/s
    assert float(serving.capacity_rps(m, w, few)) < 4.0


def test_latency_rises_with_load_and_steeply_near_capacity() -> None:
    m = _dense()
    w = serving.Workload(context_tokens=1000, prefill_tokens=1000, output_tokens=200)
    engine = serving.Engine(max_seqs=256, token_budget=8192, kv_capacity_tokens=1e6)
    cap = float(serving.capacity_rps(m, w, engine))
    loads = np.array([0.01, 0.3, 0.6, 0.8, 0.9, 0.97]) * cap
    lat = serving.replica_latency(m, w, engine, loads)
    for series in (lat.ttft_q_s, lat.tpot_q_s, lat.e2e_q_s):
        assert np.all(np.diff(series) >= -1e-12)
    # the last 7 % of load costs more p95 than the first 30 %
    assert lat.e2e_q_s[-1] - lat.e2e_q_s[-2] > lat.e2e_q_s[1] - lat.e2e_q_s[0]
    # near zero load the TTFT is the prefill (plus a step of residual at most)
    ttft0 = float(serving.zero_load_ttft_s(m, w, engine))
    assert lat.ttft_q_s[0] == pytest.approx(ttft0, rel=0.2)


def test_the_p95_request_s_extra_tokens_add_in_quadrature() -> None:
    """A usage log's p95 request (issue 14.4): its Δp extra prompt tokens lengthen its prefill
    in proportion, its Δo extra output tokens take a TPOT each; both add in quadrature to the
    load's deviations. Without them the figures are the same, bit for bit."""
    m = _dense()
    engine = serving.Engine(max_seqs=256, token_budget=8192, kv_capacity_tokens=1e6)
    w = serving.Workload(context_tokens=1000, prefill_tokens=1000, output_tokens=200)
    rates = np.array([0.5, 2.0, 5.0])
    base = serving.replica_latency(m, w, engine, rates)
    same = serving.replica_latency(
        m, serving.Workload(1000, 1000, 200, prompt_extra_q=0.0, output_extra_q=0.0), engine, rates
    )
    assert np.array_equal(base.e2e_q_s, same.e2e_q_s)
    assert np.array_equal(base.ttft_q_s, same.ttft_q_s)
    wide = serving.Workload(1000, 1000, 200, prompt_extra_q=500.0, output_extra_q=300.0)
    lat = serving.replica_latency(m, wide, engine, rates)
    tau = base.tpot_mean_s
    # the means and the TPOT do not move: the spread is the quantile request's only
    assert np.array_equal(lat.e2e_mean_s, base.e2e_mean_s)
    assert np.array_equal(lat.tpot_q_s, base.tpot_q_s)
    # own prefill = TTFT mean − the waits; here, by the model's definitions, the request's k
    # chunk steps k·s_p; with 1000 tokens in one chunk, 500 more take half of it again:
    # ΔTTFT = own_prefill × 500 / 1000 in quadrature with the load's deviation
    ttft_dev = base.ttft_q_s - base.ttft_mean_s
    own = lat.ttft_mean_s  # bound: the added deviation is at most half the whole mean TTFT
    added = np.sqrt((lat.ttft_q_s - lat.ttft_mean_s) ** 2 - ttft_dev**2)
    assert np.all(added > 0) and np.all(added <= own * 0.5 + 1e-12)
    # e2e: (e2e_q − mean)² = (TTFT dev)² + (O·(TPOT_q − τ))² + (Δo·τ)², the first with Δp
    decode_dev2 = (base.e2e_q_s - base.e2e_mean_s) ** 2 - ttft_dev**2
    expected = lat.e2e_mean_s + np.sqrt(
        (lat.ttft_q_s - lat.ttft_mean_s) ** 2 + decode_dev2 + (300.0 * tau) ** 2
    )
    assert lat.e2e_q_s == pytest.approx(expected, rel=1e-9)
    assert np.all(lat.e2e_q_s - lat.e2e_mean_s >= 300.0 * tau)  # a hypotenuse ≥ each leg
    assert np.all(lat.e2e_q_s > base.e2e_q_s)


def test_erlang_c_known_values() -> None:
    # M/M/1: P(wait) = ρ; M/M/2 at a = 1: C = 1/3 (Kleinrock 1975, table of Erlang C)
    assert float(queueing.erlang_c(1, 0.5)[0]) == pytest.approx(0.5)
    assert float(queueing.erlang_c(2, 1.0)[0]) == pytest.approx(1 / 3)
    assert float(queueing.erlang_c(3, 3.5)[0]) == 1.0  # unstable


def test_wait_quantile_of_mm1() -> None:
    # M/M/1, ρ = 0.8, S = 1 s: P(W > t) = 0.8 e^{−0.2 t}; p95: t = 5 ln(0.8 / 0.05) = 13.86 s
    q = float(queueing.mg1_wait_quantile_s(0.8, 1.0, 1.0, 0.95))
    assert q == pytest.approx(5 * math.log(16))
    assert float(queueing.mg1_wait_quantile_s(0.01, 1.0, 1.0, 0.95)) == 0.0


def test_tensor_parallel_communication() -> None:
    # one GPU: no all-reduce
    assert float(parallelism.allreduce_latency_s_per_step(1, 80, 1e-6)) == 0.0
    # 8 GPUs, 80 layers, 1 µs hop: 2 all-reduces × 80 layers × 2 log2(8) = 6 steps = 960 µs
    assert float(parallelism.allreduce_latency_s_per_step(8, 80, 1e-6)) == pytest.approx(0.96e-3)
    # 2 GPUs: 2 × 80 × 2 = 320 µs
    assert float(parallelism.allreduce_latency_s_per_step(2, 80, 1e-6)) == pytest.approx(0.32e-3)
    # per token, 8 GPUs: 80 × 2 × 8 192 × 2 B × 1.75 / (450 GB/s × 1.0) = 10.19 µs
    per_token = parallelism.allreduce_s_per_token(8, 80, 8192, 2, 450, 1.0)
    assert float(per_token) == pytest.approx(80 * 2 * 8192 * 2 * 1.75 / 450e9)


def test_step_model_from_figures() -> None:
    m = replica.step_model(
        gpus=2,
        dense_weights_fp16_gb=16.0,
        expert_weights_fp16_gb=0.0,
        experts=0,
        experts_per_token=0,
        weight_read_speedup=2.0,
        active_params_b=8.0,
        kv_bytes_per_token=131072,
        attention_layers=32,
        attention_width=4096,
        hidden_size=4096,
        layers=32,
        bandwidth_gb_s=2000,
        bandwidth_efficiency=0.8,
        tflops=1000,
        bf16_tflops=1000,
        mfu_decode=0.5,
        mfu_prefill=0.5,
        link_gb_s_per_direction=450,
        link_efficiency=1.0,
        hop_latency_s=1e-6,
        overhead_s=0.0,
    )
    # weights: 16 GB / speed-up 2 = 8 GB over 2 × 2 000 × 0.8 GB/s = 2.5 ms
    assert float(m.dense_read_s) == pytest.approx(8 / 3200)
    # compute per token: 2 × 8e9 / (1 000e12 × 0.5 × 2) = 16 µs
    assert float(m.decode_compute_s_per_token) == pytest.approx(16e-6)
    # attention per pair: 4 × 32 × 4 096 / (1e15 × 0.5 × 2) = 0.524 ns
    assert float(m.attention_s_per_pair) == pytest.approx(4 * 32 * 4096 / 1e15)


def _moe_figures(**over: float) -> serving.StepModel:
    """Qwen3-30B-A3B-like figures on one B200-like GPU (round numbers for hand arithmetic)."""
    figures: dict[str, float] = dict(
        gpus=1,
        dense_weights_fp16_gb=3.0,  # 1.5 B non-expert parameters
        expert_weights_fp16_gb=58.0,  # 29 B routed-expert parameters
        experts=128,
        experts_per_token=8,
        weight_read_speedup=1.0,
        active_params_b=3.3125,  # 1.5 + 29 × 8 / 128 = 1.5 + 1.8125
        kv_bytes_per_token=0.0,
        attention_layers=48,
        attention_width=4096,
        hidden_size=2048,
        layers=48,
        bandwidth_gb_s=8000,
        bandwidth_efficiency=0.75,
        tflops=9000,
        bf16_tflops=2250,
        mfu_decode=0.35,
        mfu_prefill=0.5,
        link_gb_s_per_direction=1.0,
        link_efficiency=1.0,
        hop_latency_s=0.0,
        overhead_s=0.0,
        compute_path_efficiency=0.6,
        moe_layer_latency_s=20e-6,
        moe_routed_token_s=10e-9,
    )
    figures.update(over)
    return replica.step_model(**figures)  # type: ignore[arg-type]


def test_moe_routing_is_a_fixed_latency_per_layer_and_a_time_per_routed_token() -> None:
    m = _moe_figures()
    # fixed: 48 layers × 20 µs = 0.96 ms per step
    assert float(m.moe_s_per_step) == pytest.approx(0.96e-3)
    # per token: dispatch 48 × 8 × 10 ns = 3.84 µs; grouped GEMM 2 × 1.8125e9 /
    # (9 000e12 × 0.6 × 0.5) = 1.343 µs: dispatch-bound, the longer one (3.84 µs)
    assert float(m.moe_s_per_token) == pytest.approx(3.84e-6)
    # the routed experts' FLOPs left the roofline: decode compute is the 1.5 B dense part only,
    # 2 × 1.5e9 / (9 000e12 × 0.6 × 0.35) = 1.587 µs (fp4 path at 0.6 of its peak's share)
    assert float(m.decode_compute_s_per_token) == pytest.approx(3e9 / (9000e12 * 0.6 * 0.35))
    # 1 000 decodes, no context: memory 3 GB / 6 000 GB/s + 58 GB × share(1 000 ≈ 1) / 6 000
    # = 0.5 + 9.667 = 10.167 ms > compute 1.587 ms; + MoE 0.96 + 1 000 × 3.84 µs = 4.8 ms
    share = float(serving.distinct_share(1000, 128, 8))
    assert float(m.step_s(1000, 0)) == pytest.approx(
        (3.0 + 58.0 * share) / 6000 + 0.96e-3 + 1000 * 3.84e-6
    )


def test_large_experts_are_gemm_bound_and_dense_models_have_no_routing() -> None:
    # 8 experts of 5.5 B (Mixtral-like), 2 per token: GEMM 2 × 11e9 / (1 000e12 × 1 × 0.5)
    # = 44 µs per token, far above the dispatch 32 × 2 × 10 ns = 0.64 µs
    m = _moe_figures(
        expert_weights_fp16_gb=88.0,
        experts=8,
        experts_per_token=2,
        active_params_b=12.5,
        layers=32,
        tflops=1000,
        compute_path_efficiency=1.0,
    )
    assert float(m.moe_s_per_token) == pytest.approx(2 * 11e9 / (1000e12 * 0.5))
    dense = _moe_figures(expert_weights_fp16_gb=0.0, experts=0, experts_per_token=0)
    assert float(dense.moe_s_per_step) == 0.0 and float(dense.moe_s_per_token) == 0.0
    # and the dense compute keeps every active parameter
    assert float(dense.decode_compute_s_per_token) == pytest.approx(
        2 * 3.3125e9 / (9000e12 * 0.6 * 0.35)
    )


def test_moe_routing_time_rises_with_the_dispatch_time_per_pair() -> None:
    steps = [
        float(_moe_figures(moe_routed_token_s=ns * 1e-9).step_s(256, 0)) for ns in (0, 5, 10, 20)
    ]
    assert steps == sorted(steps) and steps[-1] > steps[0]


def test_step_pair_is_step_s_bit_for_bit() -> None:
    """The load curve's two steps (``steps.step_pair``, fixed terms computed once) are
    ``StepModel.step_s`` of the decode-only and of the mixed step, to the last bit: dense and
    MoE rows, one GPU and tensor parallel, a NaN prefill figure (a GPU without the format)."""
    rows = np.arange(6.0)
    m = serving.StepModel(
        dense_read_s=0.002 + 0.001 * rows,
        kv_read_s_per_token=1e-7 * (1 + rows),
        decode_compute_s_per_token=1e-4 / (1 + rows),
        prefill_compute_s_per_token=np.where(rows == 5, math.nan, 5e-5 * (1 + rows)),
        experts_read_s=np.where(rows % 2 == 1, 0.04, 0.0),
        experts=np.where(rows % 2 == 1, 64.0, 0.0),
        experts_per_token=np.where(rows % 2 == 1, 6.0, 0.0),
        attention_s_per_pair=3e-11,
        comm_s_per_step=np.where(rows > 2, 2e-5, 0.0),
        comm_s_per_token=np.where(rows > 2, 1e-8, 0.0),
        moe_s_per_step=np.where(rows % 2 == 1, 1e-4, 0.0),
        moe_s_per_token=np.where(rows % 2 == 1, 1e-7, 0.0),
        overhead_s=0.001,
    )
    w = serving.Workload(
        context_tokens=3000.0, prefill_tokens=2000.0 - 300 * rows, output_tokens=400
    )
    engine = serving.Engine(max_seqs=256, token_budget=2048, kv_capacity_tokens=5e5)
    fixed = serving._fixed(m, w, engine)
    seqs = 1.0 + np.array([0.0, 0.3, 7.0, 100.0, 255.0])[None, :] * np.ones((6, 1))
    chunk = np.array([0.0, 17.0, 512.0, 2000.0, 1.0])[None, :] * np.ones((6, 1))
    pairs = chunk * np.asarray(fixed.tail)
    s_d, s_p = steps.step_pair(fixed, seqs, chunk, pairs)
    mm = serving.StepModel(**{k: serving._col(v) for k, v in vars(m).items()})
    ctx = serving._col(w.mean_context_while_decoding)
    assert np.array_equal(s_d, mm.step_s(seqs, seqs * ctx), equal_nan=True)
    assert np.array_equal(s_p, mm.step_s(seqs, seqs * ctx, chunk, pairs), equal_nan=True)
    assert np.isnan(s_p[5]).all() and np.isfinite(s_p[:5]).all()
