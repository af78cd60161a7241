"""Estimators (SPEC §1.3): hand-computed values, edge cases and monotonicity over grids.

Every expected figure is worked out by hand in the comment beside it, from catalog-like inputs
(llama-3.1-8b: 8.03 B parameters, 32 layers, 8 KV heads, head dim 128; llama-3.1-70b: 70.55 B,
80 layers; H100-SXM: 80 GB, 3 350 GB/s, 989.5 dense BF16 TFLOPS; L4: 24 GB). No mocks: the API
estimators call the pinned genai-prices 0.2.3 and EcoLogits 0.11.3 on their bundled data, offline.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from datetime import datetime

import pytest

from llmdecide.estimators import api, cost, energy, memory, precision, roofline, sizing

REL = 1e-9
AS_OF = datetime(2026, 11, 1)

# llama-3.1-8b and llama-3.1-70b (config.json), H100-SXM and L4 (data sheets)
L8_PARAMS_B, L8_LAYERS, L8_KV_HEADS, L8_HEAD_DIM = 8.03, 32, 8, 128
L70_PARAMS_B, L70_LAYERS = 70.55, 80
H100_GB, H100_BW, H100_TFLOPS = 80.0, 3350.0, 989.5
L4_GB = 24.0
HEADROOM = 0.1


def approx(value: float) -> object:
    return pytest.approx(value, rel=REL)


def non_decreasing(values: list[float]) -> bool:
    return all(b >= a for a, b in itertools.pairwise(values))


def non_increasing(values: list[float]) -> bool:
    return all(b <= a for a, b in itertools.pairwise(values))


# --------------------------------------------------------------------------------------------
# memory.py


@pytest.mark.parametrize(
    ("params_b", "bits", "expected_gb"),
    [
        (8.03, 16, 16.06),  # 8.03e9 × 16 / 8 = 16.06e9 B = 16.06 GB
        (8.03, 8, 8.03),  # 8.03e9 × 8 / 8 = 8.03 GB
        (8.03, 4, 4.015),  # 8.03e9 × 4 / 8 = 4.015 GB
        (70.55, 16, 141.1),  # 70.55e9 × 2 B = 141.1 GB
    ],
)
def test_weights_gb(params_b: float, bits: int, expected_gb: float) -> None:
    assert memory.weights_gb(params_b, bits) == approx(expected_gb)


def test_kv_bytes_per_token_llama_8b_and_70b() -> None:
    # 2 (K, V) × 32 layers × 8 KV heads × 128 head dim × 16 bits / 8 = 131 072 B
    assert memory.kv_bytes_per_token(L8_LAYERS, L8_KV_HEADS, L8_HEAD_DIM, 16) == 131_072
    # 8-bit KV cache halves it: 2 × 32 × 8 × 128 × 1 = 65 536 B
    assert memory.kv_bytes_per_token(L8_LAYERS, L8_KV_HEADS, L8_HEAD_DIM, 8) == 65_536
    # llama-3.1-70b: 2 × 80 × 8 × 128 × 2 = 327 680 B
    assert memory.kv_bytes_per_token(L70_LAYERS, 8, 128, 16) == 327_680


def test_kv_cache_gb() -> None:
    # 131 072 B × 1 200 tokens (1 000 in + 200 out) = 157 286 400 B = 0.1572864 GB
    assert memory.kv_cache_gb(131_072, 1_200) == approx(0.1572864)
    # a batch of 32 such sequences: 32 × 0.1572864 = 5.0331648 GB
    assert memory.kv_cache_gb(131_072, 32 * 1_200) == approx(5.0331648)
    assert memory.kv_cache_gb(131_072, 0) == 0.0


def test_usable_memory_gb() -> None:
    # 80 GB × 1 GPU × (1 − 0.1) = 72 GB; × 8 GPUs = 576 GB; L4: 24 × 0.9 = 21.6 GB
    assert memory.usable_memory_gb(H100_GB, 1, HEADROOM) == approx(72.0)
    assert memory.usable_memory_gb(H100_GB, 8, HEADROOM) == approx(576.0)
    assert memory.usable_memory_gb(L4_GB, 1, HEADROOM) == approx(21.6)
    assert memory.usable_memory_gb(H100_GB, 2, 0.0) == approx(160.0)


def test_gpus_per_replica_llama_8b_fits_one_h100() -> None:
    # need = 16.06 + 0.1572864 = 16.2172864 GB ≤ 72 GB usable on one GPU
    assert memory.gpus_per_replica(16.06, 0.1572864, H100_GB, HEADROOM, 8) == 1
    # on one L4: 16.2172864 ≤ 21.6 → 1
    assert memory.gpus_per_replica(16.06, 0.1572864, L4_GB, HEADROOM, 8) == 1


@pytest.mark.parametrize(
    ("gpu_gb", "context_tokens", "max_gpus", "expected"),
    [
        # llama-3.1-70b fp16, 141.1 GB of weights, KV 327 680 B/token.
        # 8 192 tokens: 141.1 + 2.68435456 = 143.78 GB; H100 1 × 72 < 143.78 ≤ 2 × 72 = 144 → 2
        (H100_GB, 8_192, 8, 2),
        # 32 768 tokens: 141.1 + 10.73741824 = 151.84 GB; 144 < 151.84 ≤ 4 × 72 = 288 → 4
        (H100_GB, 32_768, 8, 4),
        # L4 21.6 GB usable: 4 × 21.6 = 86.4 < 143.78 ≤ 8 × 21.6 = 172.8 → 8
        (L4_GB, 8_192, 8, 8),
        # same on L4 with at most 4 GPUs: does not fit → None
        (L4_GB, 8_192, 4, None),
        # 131 072 tokens: 141.1 + 42.95 = 184.05 GB > 172.8 on 8 L4 → None
        (L4_GB, 131_072, 8, None),
    ],
)
def test_gpus_per_replica_tensor_parallel_llama_70b(
    gpu_gb: float, context_tokens: int, max_gpus: int, expected: int | None
) -> None:
    kv_seq = memory.kv_cache_gb(327_680, context_tokens)
    assert memory.gpus_per_replica(141.1, kv_seq, gpu_gb, HEADROOM, max_gpus) == expected


@pytest.mark.parametrize(
    ("weights", "expected"),
    # 72 GB usable per H100: ≤ 72 → 1, ≤ 144 → 2, ≤ 288 → 4, ≤ 576 → 8, above → None
    [
        (72.0, 1),
        (72.5, 2),
        (144.0, 2),
        (200.0, 4),
        (288.0, 4),
        (400.0, 8),
        (576.0, 8),
        (577.0, None),
    ],
)
def test_gpus_per_replica_powers_of_two(weights: float, expected: int | None) -> None:
    assert memory.gpus_per_replica(weights, 0.0, H100_GB, HEADROOM, 8) == expected


def test_gpus_per_replica_never_exceeds_max_and_skips_non_powers() -> None:
    # max 6: tries 1, 2, 4 only (4 × 72 = 288 < 300 and 8 > 6) → None; max 0 → None
    assert memory.gpus_per_replica(300.0, 0.0, H100_GB, HEADROOM, 6) is None
    assert memory.gpus_per_replica(1.0, 0.0, H100_GB, HEADROOM, 0) is None


def test_max_batch_by_memory_llama_8b_on_h100() -> None:
    # (72 − 16.06) / 0.1572864 = 55.94 / 0.1572864 = 355.66 → 355 sequences
    assert memory.max_batch_by_memory(72.0, 16.06, 0.1572864) == 355
    # L4: (21.6 − 16.06) / 0.1572864 = 5.54 / 0.1572864 = 35.22 → 35
    assert memory.max_batch_by_memory(21.6, 16.06, 0.1572864) == 35


@pytest.mark.parametrize(
    ("usable", "weights", "kv_seq"),
    [
        (72.0, 72.0, 0.1),  # weights fill the memory exactly: free = 0
        (72.0, 141.1, 0.1),  # weights larger than the memory: free < 0
        (72.0, 71.95, 0.1),  # 0.05 GB free < one sequence of 0.1 GB
        (72.0, 16.06, 0.0),  # no KV cache figure: nothing to size on
    ],
)
def test_max_batch_by_memory_zero(usable: float, weights: float, kv_seq: float) -> None:
    assert memory.max_batch_by_memory(usable, weights, kv_seq) == 0


# --------------------------------------------------------------------------------------------
# roofline.py


def test_decode_memory_s_llama_8b_batch_1() -> None:
    # weights only: 16.06 GB / (3 350 GB/s × 0.8) = 16.06 / 2 680 = 5.9925 ms
    assert roofline.decode_memory_s(16.06, 0.0, H100_BW, 0.8, 1) == approx(16.06 / 2680)
    assert roofline.decode_memory_s(16.06, 0.0, H100_BW, 0.8, 1) * 1000 == pytest.approx(
        5.9925, abs=1e-4
    )
    # plus one sequence's KV: 16.2172864 / 2 680 = 6.0512 ms
    assert roofline.decode_memory_s(16.06, 0.1572864, H100_BW, 0.8, 1) == approx(16.2172864 / 2680)
    # tensor parallel over 2 GPUs doubles the bandwidth: 16.06 / 5 360 = 2.996 ms
    assert roofline.decode_memory_s(16.06, 0.0, H100_BW, 0.8, 2) == approx(16.06 / 5360)


def test_decode_compute_s() -> None:
    # 2 × 8.03e9 × 1 = 16.06e9 FLOPs / (989.5e12 × 0.35) = 16.06e9 / 346.325e12 = 46.37 µs
    assert roofline.decode_compute_s(8.03, 1, H100_TFLOPS, 0.35, 1) == approx(16.06e9 / 346.325e12)
    # batch 256: 256 × 46.37 µs = 11.871 ms
    assert roofline.decode_compute_s(8.03, 256, H100_TFLOPS, 0.35, 1) == approx(
        256 * 16.06e9 / 346.325e12
    )
    # two GPUs halve it
    assert roofline.decode_compute_s(8.03, 256, H100_TFLOPS, 0.35, 2) == approx(
        128 * 16.06e9 / 346.325e12
    )


def test_decode_step_s_takes_the_longer_bound() -> None:
    args = {"bandwidth_gb_s": H100_BW, "bandwidth_efficiency": 0.8, "active_params_b": 8.03}
    gpu = {"tflops": H100_TFLOPS, "mfu": 0.35, "gpus": 1}
    # batch 1: memory 5.9925 ms > compute 0.046 ms → memory bound
    step1 = roofline.decode_step_s(16.06, 0.0, batch=1, **args, **gpu)
    assert step1 == approx(16.06 / 2680)
    # batch 256 (KV left out): compute 11.871 ms > memory 5.9925 ms → compute bound
    step256 = roofline.decode_step_s(16.06, 0.0, batch=256, **args, **gpu)
    assert step256 == approx(256 * 16.06e9 / 346.325e12)
    assert step256 > roofline.decode_memory_s(16.06, 0.0, H100_BW, 0.8, 1)


def test_decode_ms_per_token() -> None:
    # 5.9925 ms step → 5.9925 ms per token of one sequence
    assert roofline.decode_ms_per_token(16.06 / 2680) == approx(16.06 / 2.68)
    assert roofline.decode_ms_per_token(0.25) == approx(250.0)


def test_prefill_s() -> None:
    # 2 × 8.03e9 × 1 000 tokens = 16.06e12 FLOPs / (989.5e12 × 0.55 = 544.225e12) = 29.51 ms
    assert roofline.prefill_s(8.03, 1_000, H100_TFLOPS, 0.55, 1) == approx(16.06 / 544.225)
    assert roofline.prefill_s(8.03, 1_000, H100_TFLOPS, 0.55, 1) == pytest.approx(0.02951, abs=1e-5)
    # 4 GPUs: a quarter
    assert roofline.prefill_s(8.03, 1_000, H100_TFLOPS, 0.55, 4) == approx(16.06 / 544.225 / 4)
    assert roofline.prefill_s(8.03, 0, H100_TFLOPS, 0.55, 1) == 0.0


def test_max_tokens_per_s_per_gpu() -> None:
    # 1 600 tokens/s per replica of 4 GPUs = 400 tokens/s per GPU
    assert roofline.max_tokens_per_s_per_gpu(1_600.0, 4) == approx(400.0)
    assert roofline.max_tokens_per_s_per_gpu(1_600.0, 1) == approx(1_600.0)


# --------------------------------------------------------------------------------------------
# sizing.py


def test_mean_and_p95_latency() -> None:
    # 0.0295 s prefill + 200 tokens × 0.006 s = 1.2295 s
    assert sizing.mean_latency_s(0.0295, 200, 0.006) == approx(1.2295)
    # p95 = 1.2295 × 1.5 + 0.05 (network) + 0.1 (retrieval) = 1.99425 s
    assert sizing.p95_latency_s(1.2295, 1.5, 0.15) == approx(1.99425)
    # factor 1, nothing fixed: the mean itself
    assert sizing.p95_latency_s(2.0, 1.0, 0.0) == approx(2.0)


BATCHES = [1, 2, 4, 8, 16, 32, 64, 128, 256]


def _latency(batch: int) -> float:
    return 1.0 + 0.01 * batch  # 1.01 s at batch 1 … 3.56 s at batch 256


def test_largest_batch_meeting_the_limit() -> None:
    # limit 1.5 s: 1 + 0.01 × 32 = 1.32 ≤ 1.5 < 1 + 0.64 = 1.64 → 32
    assert sizing.largest_batch_meeting(BATCHES, 355, _latency, 1.5) == 32
    # a limit met exactly (1 + 0.01 × 64 = 1.64) keeps 64
    assert sizing.largest_batch_meeting(BATCHES, 355, _latency, 1 + 0.01 * 64) == 64


def test_largest_batch_meeting_memory_caps_it() -> None:
    # memory allows 35 sequences: candidates 1 … 32; no limit → 32
    assert sizing.largest_batch_meeting(BATCHES, 35, _latency, None) == 32
    # no limit, memory 355 → the largest candidate, 256
    assert sizing.largest_batch_meeting(BATCHES, 355, _latency, None) == 256
    # the candidates need not be sorted
    assert sizing.largest_batch_meeting([64, 1, 16, 4], 20, _latency, None) == 16


def test_largest_batch_meeting_falls_back_to_the_smallest() -> None:
    # limit 0.5 s: even batch 1 takes 1.01 s → the smallest fitting candidate, 1
    assert sizing.largest_batch_meeting(BATCHES, 355, _latency, 0.5) == 1
    assert sizing.largest_batch_meeting([8, 4, 16], 355, _latency, 0.5) == 4


def test_largest_batch_meeting_zero_when_nothing_fits() -> None:
    assert sizing.largest_batch_meeting(BATCHES, 0, _latency, 1.5) == 0
    assert sizing.largest_batch_meeting([2, 4], 1, _latency, None) == 0


REPLICAS_AT = {1: 50, 2: 25, 4: 13, 8: 7, 16: 4, 32: 4, 64: 4, 128: 2, 256: 1}


def test_smallest_batch_with_replicas_keeps_the_fleet() -> None:
    # up to 64 the fleet is 4 replicas; 16 is the smallest batch that needs no more than 4
    assert sizing.smallest_batch_with_replicas(BATCHES, 64, REPLICAS_AT.__getitem__) == 16
    # up to 8: 7 replicas, and no smaller batch manages with 7 → 8 itself
    assert sizing.smallest_batch_with_replicas(BATCHES, 8, REPLICAS_AT.__getitem__) == 8
    # a single replica whatever the batch → the smallest candidate
    assert sizing.smallest_batch_with_replicas(BATCHES, 256, lambda b: 1) == 1


def test_smallest_batch_with_replicas_upto_off_the_grid() -> None:
    # upto 50 is not a candidate: 50 needs 1 replica, every candidate ≤ 50 needs 2 → 50
    assert sizing.smallest_batch_with_replicas(BATCHES, 50, lambda b: 1 if b >= 50 else 2) == 50
    # candidates above upto are never chosen even when they need fewer replicas
    assert sizing.smallest_batch_with_replicas([64, 128], 32, lambda b: 1 if b > 32 else 9) == 32


@pytest.mark.parametrize("upto", BATCHES)
def test_smallest_batch_with_replicas_never_more_batch_nor_replicas(upto: int) -> None:
    chosen = sizing.smallest_batch_with_replicas(BATCHES, upto, REPLICAS_AT.__getitem__)
    assert chosen <= upto
    assert REPLICAS_AT[chosen] <= REPLICAS_AT[upto]


def test_capacity_and_tokens_per_replica() -> None:
    # Little's law: 32 in flight / 4 s each = 8 requests/s
    assert sizing.capacity_rps(32, 4.0) == approx(8.0)
    # 8 requests/s × 200 output tokens = 1 600 tokens/s
    assert sizing.tokens_per_s_per_replica(8.0, 200) == approx(1_600.0)


@pytest.mark.parametrize(
    ("rps", "capacity", "expected"),
    [
        (20.0, 8.0, 3),  # ceil(2.5) = 3
        (16.0, 8.0, 2),  # exactly 2 replicas' worth → 2, not 3
        (0.3, 0.1, 3),  # 0.3 / 0.1 = 2.9999999999999996 in floats → 3
        (2.1, 0.3, 7),  # 2.1 / 0.3 = 7.000000000000001 in floats: 7 replicas, not 8
        (0.7, 0.1, 7),  # 0.7 / 0.1 = 6.999999999999999 → 7
        (0.1, 8.0, 1),  # light traffic → 1
        (0.0, 8.0, 1),  # no traffic still keeps one replica
    ],
)
def test_replicas_for(rps: float, capacity: float, expected: int) -> None:
    assert sizing.replicas_for(rps, capacity) == expected


def test_active_rps_and_utilisation() -> None:
    # 86 400 requests over 8 active hours = 86 400 / 28 800 s = 3 requests/s
    assert sizing.active_rps(86_400, 8) == approx(3.0)
    # 3 rps on 3 replicas × 8 rps = 3 / 24 = 0.125
    assert sizing.utilisation(3.0, 3, 8.0) == approx(0.125)
    # more demand than capacity: capped at 1
    assert sizing.utilisation(30.0, 3, 8.0) == 1.0


def test_gpu_hours_per_month_real_time() -> None:
    # 2 GPUs × (3 peak replicas × 8 h + 1 minimum × 16 h = 40 replica-h/day) × 30 days = 2 400
    assert sizing.gpu_hours_per_month_real_time(2, 3, 1, 8, 30) == approx(2_400.0)
    # active all day: 1 GPU × 2 replicas × 24 h × 30.4 days = 1 459.2
    assert sizing.gpu_hours_per_month_real_time(1, 2, 1, 24, 30.4) == approx(1_459.2)


def test_batch_mode_backlog() -> None:
    # 86 400 requests / 8 rps = 10 800 s = 3 replica-hours per day
    assert sizing.batch_processing_h_per_day(86_400, 8.0) == approx(3.0)
    # 4 runs a day every 6 h: 3 / 4 = 0.75 h per run ≤ 6 h → 1 replica
    assert sizing.batch_replicas(3.0, 4, 6.0) == 1
    # 60 h/day: 15 h per run / 6 h = 2.5 → 3 replicas
    assert sizing.batch_replicas(60.0, 4, 6.0) == 3
    # exactly one interval's worth: 24 / 4 / 6 = 1 → 1
    assert sizing.batch_replicas(24.0, 4, 6.0) == 1
    # worst-case turnaround: wait 6 h + run 3 / 4 / 1 = 0.75 h → 6.75 h
    assert sizing.batch_turnaround_h(6.0, 3.0, 4, 1) == approx(6.75)
    # 60 h/day on 3 replicas: 6 + 60 / 4 / 3 = 11 h
    assert sizing.batch_turnaround_h(6.0, 60.0, 4, 3) == approx(11.0)
    # GPU-hours: 2 GPUs × 3 h × 30 days = 180
    assert sizing.gpu_hours_per_month_batch(2, 3.0, 30) == approx(180.0)


def test_sizing_chain_llama_8b_on_h100() -> None:
    """The estimators chained as configurations.py chains them, checked against hand figures."""
    w = memory.weights_gb(8.03, 16)  # 16.06 GB
    kv_token = memory.kv_bytes_per_token(32, 8, 128, 16)  # 131 072 B
    kv_seq = memory.kv_cache_gb(kv_token, 1_200)  # 0.1572864 GB
    gpr = memory.gpus_per_replica(w, kv_seq, H100_GB, HEADROOM, 8)
    assert gpr == 1
    max_batch = memory.max_batch_by_memory(memory.usable_memory_gb(H100_GB, 1, HEADROOM), w, kv_seq)
    assert max_batch == 355
    prefill = roofline.prefill_s(8.03, 1_000, H100_TFLOPS, 0.55, 1)  # 29.51 ms

    def p95_at(batch: int) -> float:
        kv = memory.kv_cache_gb(kv_token, batch * 1_200)
        step = roofline.decode_step_s(w, kv, H100_BW, 0.8, 8.03, batch, H100_TFLOPS, 0.35, 1)
        return sizing.p95_latency_s(sizing.mean_latency_s(prefill, 200, step), 1.5, 0.05)

    # batch 64: memory (16.06 + 64 × 0.1572864 = 26.1263) / 2 680 = 9.7486 ms; compute 2.968 ms
    # mean = 0.02951 + 200 × 0.0097486 = 1.97923 s; p95 = 1.97923 × 1.5 + 0.05 = 3.0188 s
    # batch 128: (16.06 + 20.1327) / 2 680 = 13.505 ms → mean 2.7305 s, p95 4.1457 s > 4 s
    assert p95_at(64) == pytest.approx(3.0188, abs=1e-3)
    assert p95_at(128) == pytest.approx(4.1457, abs=1e-3)
    batch = sizing.largest_batch_meeting(BATCHES, max_batch, p95_at, 4.0)
    assert batch == 64
    # capacity 64 / 1.97923 s = 32.336 rps; peak 100 rps → ceil(3.09) = 4 replicas
    mean_s = (p95_at(64) - 0.05) / 1.5
    capacity = sizing.capacity_rps(batch, mean_s)
    assert capacity == pytest.approx(32.336, abs=1e-2)
    assert sizing.replicas_for(100.0, capacity) == 4

    def replicas_at(peak_rps: float) -> Callable[[int], int]:
        def at(b: int) -> int:
            kv = memory.kv_cache_gb(kv_token, b * 1_200)
            step = roofline.decode_step_s(w, kv, H100_BW, 0.8, 8.03, b, H100_TFLOPS, 0.35, 1)
            return sizing.replicas_for(peak_rps, sizing.capacity_rps(b, prefill + 200 * step))

        return at

    # peak 100 rps: batch 32 (capacity 32 / 1.60363 s = 19.955 rps → ⌈5.01⌉ = 6 replicas > 4)
    # does not keep the fleet → 64 stays
    assert sizing.smallest_batch_with_replicas(BATCHES, 64, replicas_at(100.0)) == 64
    # peak 10 rps: 64, 32 and 16 (16 / 1.41582 s = 11.30 rps) need 1 replica; 8 (6.05 rps) needs 2
    assert sizing.smallest_batch_with_replicas(BATCHES, 64, replicas_at(10.0)) == 16


# --------------------------------------------------------------------------------------------
# cost.py


def test_cloud_and_on_premise_costs() -> None:
    # 2 400 GPU-h × 2.50 USD × region factor 1.1 = 6 600 USD/month
    assert cost.cloud_compute_usd_per_month(2_400, 2.5, 1.1) == approx(6_600.0)
    # 8 GPUs × 40 000 USD / 36 months = 8 888.89 USD/month; up front 320 000 USD
    assert cost.capex_usd_per_month(8, 40_000, 36) == approx(320_000 / 36)
    assert cost.capex_usd(8, 40_000) == approx(320_000.0)
    # 3 398.88 kWh × 0.20 USD/kWh = 679.776 USD
    assert cost.energy_usd_per_month(3_398.88, 0.2) == approx(679.776)
    # 8 GPUs × 150 USD/GPU-month = 1 200 USD
    assert cost.operations_usd_per_month(8, 150.0) == approx(1_200.0)


def test_api_and_rag_costs() -> None:
    # 0.00045 USD/request × 100 000 requests = 45 USD
    assert cost.api_usd_per_month(0.00045, 100_000) == approx(45.0)
    # 10 GB × 0.33 USD/GB-month = 3.30 USD
    assert cost.vector_store_usd_per_month(10, 0.33) == approx(3.3)
    # 5 000 000 tokens / 1e6 × 0.02 USD = 0.10 USD; 10 GB × 50 M tokens/GB → 500 M × 0.02 = 10 USD
    assert cost.embedding_usd(5_000_000, 0.02) == approx(0.1)
    assert cost.embedding_usd(10 * 50_000_000, 0.02) == approx(10.0)


def test_to_currency() -> None:
    # 116 USD at 1.16 USD per EUR = 100 EUR; USD to USD unchanged
    assert cost.to_currency(116.0, 1.16) == approx(100.0)
    assert cost.to_currency(42.0, 1.0) == 42.0


VOLUMES = [100.0, 1_000.0, 10_000.0, 100_000.0]
API_COST = [10.0, 100.0, 1_000.0, 10_000.0]  # 0.10 USD per daily request


def test_break_even_interpolates_between_samples() -> None:
    # own 500 flat: above the API at 1 000 (gap 400), below at 10 000 (gap −500)
    # → 1 000 + 9 000 × 400 / (400 + 500) = 5 000 (where 0.1 × v = 500)
    own = [500.0, 500.0, 500.0, 500.0]
    assert cost.break_even_requests_per_day(VOLUMES, API_COST, own) == approx(5_000.0)
    # own 2 000 + 0.05 × v: gap −ve first at 100 000 (7 000 vs 10 000); at 10 000 gap 1 500
    # → 10 000 + 90 000 × 1 500 / (1 500 + 3 000) = 40 000 (2 000 + 0.05 v = 0.1 v)
    own = [2_000 + 0.05 * v for v in VOLUMES]
    assert cost.break_even_requests_per_day(VOLUMES, API_COST, own) == approx(40_000.0)


def test_break_even_at_a_sample_and_from_the_start() -> None:
    # equal at 10 000 (1 000 = 1 000): gap 0 there → exactly 10 000
    own = [1_000.0, 1_000.0, 1_000.0, 1_000.0]
    assert cost.break_even_requests_per_day(VOLUMES, API_COST, own) == approx(10_000.0)
    # cheaper from the first volume → the first volume
    assert cost.break_even_requests_per_day(VOLUMES, API_COST, [1.0, 1.0, 1.0, 1.0]) == 100.0


def test_break_even_none_when_never_cheaper() -> None:
    own = [20_000.0] * 4
    assert cost.break_even_requests_per_day(VOLUMES, API_COST, own) is None
    assert cost.break_even_requests_per_day([], [], []) is None


def test_break_even_skips_a_missing_sample() -> None:
    # self-hosted cost unknown at 100, cheaper from 1 000 on → expected 1 000 (first finite crossing)
    own = [math.nan, 50.0, 50.0, 50.0]
    assert cost.break_even_requests_per_day(VOLUMES, API_COST, own) == 1_000.0


def test_break_even_rejects_mismatched_curves() -> None:
    with pytest.raises(ValueError):
        cost.break_even_requests_per_day(VOLUMES, API_COST, [1.0])


# --------------------------------------------------------------------------------------------
# energy.py


def test_gpu_power_w() -> None:
    # H100-SXM: 70 + (700 − 70) × 0.5 = 385 W; idle at 0, TDP at 1
    assert energy.gpu_power_w(700, 70, 0.5) == approx(385.0)
    assert energy.gpu_power_w(700, 70, 0.0) == approx(70.0)
    assert energy.gpu_power_w(700, 70, 1.0) == approx(700.0)


def test_energy_kwh() -> None:
    # 8 GPUs × (385 W + 100 W server share) × 730 h × PUE 1.2 / 1 000 = 3 398.88 kWh
    assert energy.energy_kwh(8, 385, 100, 730, 1.2) == approx(3_398.88)
    # idle floor: 1 GPU × 70 W × 16 h × 30 days × 1.0 = 33.6 kWh
    assert energy.energy_kwh(1, 70, 0, 16 * 30, 1.0) == approx(33.6)
    assert energy.energy_kwh(0, 385, 100, 730, 1.2) == 0.0


def test_wh_per_1k_output_tokens() -> None:
    # 3 398.88 kWh = 3 398 880 Wh over 1e8 tokens = 1e5 thousands → 33.9888 Wh per 1 000 tokens
    assert energy.wh_per_1k_output_tokens(3_398.88, 1e8) == approx(33.9888)
    assert math.isnan(energy.wh_per_1k_output_tokens(math.nan, 1e8))


# --------------------------------------------------------------------------------------------
# precision.py


@pytest.mark.parametrize(
    ("base", "deltas", "expected"),
    [
        (0.8, [], 0.8),  # no delta
        (0.8, [-0.02, 0.05], 0.83),  # 0.8 − 0.02 + 0.05 = 0.83
        (0.694, [-0.01, -0.03], 0.654),  # llama-3.1-8b proxy, int8 −1 pt, uploads −3 pts
        (0.98, [0.05], 1.0),  # 1.03 clipped to 1
        (0.01, [-0.05], 0.0),  # −0.04 clipped to 0
    ],
)
def test_accuracy(base: float, deltas: list[float], expected: float) -> None:
    assert precision.accuracy(base, deltas) == pytest.approx(expected, abs=1e-12)


def test_accuracy_takes_any_iterable() -> None:
    assert precision.accuracy(0.5, (d for d in (0.1, 0.1))) == pytest.approx(0.7)
    assert {precision.MEASURED, precision.PROXY} == {"measured", "proxy"}


# --------------------------------------------------------------------------------------------
# api.py (genai-prices 0.2.3 and EcoLogits 0.11.3, bundled data, offline)


def test_api_latency_s() -> None:
    # 0.54 s TTFT + 500 tokens / 79 tokens/s (6.3291 s) + 0.05 s network = 6.9191 s
    assert api.api_latency_s(0.54, 500, 79, 0.05) == approx(0.54 + 500 / 79 + 0.05)
    assert api.api_latency_s(0.54, 500, 79, 0.05) == pytest.approx(6.9191, abs=1e-4)
    # no output: TTFT + fixed
    assert api.api_latency_s(0.6, 0, 70, 0.15) == approx(0.75)


def test_api_usd_per_request_gpt_4o_mini() -> None:
    # gpt-4o-mini: 0.15 USD per M input, 0.60 per M output → 1 M + 1 M = 0.15 + 0.60 = 0.75 USD
    assert api.api_usd_per_request(
        "gpt-4o-mini", "openai", 1_000_000, 1_000_000, False, AS_OF
    ) == pytest.approx(0.75)
    # batch API: half price → 0.375 USD
    assert api.api_usd_per_request(
        "gpt-4o-mini", "openai", 1_000_000, 1_000_000, True, AS_OF
    ) == pytest.approx(0.375)
    # 1 000 in + 500 out: 1 000 × 0.15e-6 + 500 × 0.60e-6 = 0.00015 + 0.0003 = 0.00045 USD
    assert api.api_usd_per_request("gpt-4o-mini", "openai", 1_000, 500, False, AS_OF) == (
        pytest.approx(0.00045)
    )
    assert api.api_usd_per_request("gpt-4o-mini", "openai", 1_000, 500, True, AS_OF) == (
        pytest.approx(0.000225)
    )


def test_api_usd_per_request_gpt_4o() -> None:
    # gpt-4o: 2.50 USD per M input + 10 per M output = 12.50 USD; batch 6.25 USD
    assert api.api_usd_per_request(
        "gpt-4o", "openai", 1_000_000, 1_000_000, False, AS_OF
    ) == pytest.approx(12.5)
    assert api.api_usd_per_request(
        "gpt-4o", "openai", 1_000_000, 1_000_000, True, AS_OF
    ) == pytest.approx(6.25)


def test_ecologits_deployment_gpt_4o_mini() -> None:
    found = api.ecologits_deployment("openai", "gpt-4o-mini")
    assert found is not None
    ttft, tps = found
    assert ttft > 0 and tps > 0
    assert ttft < 5 and tps < 1_000  # seconds and tokens per second, not ms or tokens per minute
    assert api.ecologits_deployment("openai", "no-such-model-xyz") is None


def test_ecologits_datacenter_zone() -> None:
    zone = api.ecologits_datacenter_zone("openai")
    assert isinstance(zone, str) and zone
    assert api.ecologits_datacenter_zone("no-such-provider-xyz") is None


def test_api_impacts_per_request_gpt_4o_mini() -> None:
    zone = api.ecologits_datacenter_zone("openai")
    impacts = api.api_impacts_per_request("openai", "gpt-4o-mini", 500, 7.0, zone)
    assert impacts is not None
    assert 0 < impacts.energy_kwh_low <= impacts.energy_kwh_high
    assert 0 < impacts.gwp_kg_low <= impacts.gwp_kg_high
    assert impacts.energy_kwh == approx((impacts.energy_kwh_low + impacts.energy_kwh_high) / 2)
    assert impacts.gwp_kg == approx((impacts.gwp_kg_low + impacts.gwp_kg_high) / 2)
    assert impacts.zone == zone
    assert isinstance(impacts.warnings, tuple)
    # a few hundred tokens of a small model: well under 0.01 kWh per request
    assert impacts.energy_kwh_high < 0.01


def test_api_impacts_per_request_unknown() -> None:
    assert api.api_impacts_per_request("openai", "no-such-model-xyz", 500, 7.0, "USA") is None
    # an electricity-mix zone EcoLogits does not know
    assert api.api_impacts_per_request("openai", "gpt-4o-mini", 500, 7.0, "XYZ") is None


def test_api_impacts_without_zone_reports_empty_zone() -> None:
    impacts = api.api_impacts_per_request("openai", "gpt-4o-mini", 500, 7.0, None)
    assert impacts is not None and impacts.zone == ""


# --------------------------------------------------------------------------------------------
# Monotonicity over grids


@pytest.mark.parametrize("params_b", [0.5, 8.03, 70.55, 405.0])
def test_more_bits_never_lower_weights(params_b: float) -> None:
    assert non_decreasing([memory.weights_gb(params_b, b) for b in (4, 8, 16, 32)])


@pytest.mark.parametrize(
    ("layers", "kv_heads", "head_dim"), [(32, 8, 128), (80, 8, 128), (28, 4, 64)]
)
def test_more_kv_bits_and_longer_context_never_lower_kv(
    layers: int, kv_heads: int, head_dim: int
) -> None:
    per_token = [memory.kv_bytes_per_token(layers, kv_heads, head_dim, b) for b in (4, 8, 16)]
    assert non_decreasing(per_token)
    contexts = [0, 1, 512, 1_200, 8_192, 131_072]
    for kv in per_token:
        assert non_decreasing([memory.kv_cache_gb(kv, t) for t in contexts])


@pytest.mark.parametrize("kv_seq", [0.01, 0.1572864, 2.68435456, 42.9])
def test_more_weights_or_context_never_fewer_gpus(kv_seq: float) -> None:
    big = math.inf
    counts = [
        memory.gpus_per_replica(w, kv_seq, H100_GB, HEADROOM, 8) for w in (4, 16, 70, 141, 300, 600)
    ]
    assert non_decreasing([big if c is None else c for c in counts])


@pytest.mark.parametrize("weights", [4.015, 16.06, 60.0])
def test_longer_sequences_never_raise_max_batch(weights: float) -> None:
    batches = [memory.max_batch_by_memory(72.0, weights, kv) for kv in (0.01, 0.1, 0.5, 2, 10, 80)]
    assert non_increasing(batches)


@pytest.mark.parametrize(
    ("bandwidth", "tflops", "gpus"),
    [(H100_BW, H100_TFLOPS, 1), (H100_BW, H100_TFLOPS, 2), (300.0, 121.0, 1), (2039.0, 312.0, 4)],
)
@pytest.mark.parametrize("params_b", [8.03, 70.55])
def test_larger_batch_never_lowers_decode_step(
    bandwidth: float, tflops: float, gpus: int, params_b: float
) -> None:
    w = memory.weights_gb(params_b, 16)
    kv_token = memory.kv_bytes_per_token(32, 8, 128, 16)
    steps = [
        roofline.decode_step_s(
            w,
            memory.kv_cache_gb(kv_token, b * 1_200),
            bandwidth,
            0.65,
            params_b,
            b,
            tflops,
            0.35,
            gpus,
        )
        for b in BATCHES
    ]
    assert non_decreasing(steps)
    assert non_decreasing(
        [sizing.p95_latency_s(sizing.mean_latency_s(0.03, 200, s), 1.5, 0.05) for s in steps]
    )


@pytest.mark.parametrize("gpus", [1, 2, 4])
def test_more_gpus_never_slow_a_step(gpus: int) -> None:
    one = roofline.decode_step_s(16.06, 1.0, H100_BW, 0.65, 8.03, 64, H100_TFLOPS, 0.35, gpus)
    two = roofline.decode_step_s(16.06, 1.0, H100_BW, 0.65, 8.03, 64, H100_TFLOPS, 0.35, gpus * 2)
    assert two <= one


@pytest.mark.parametrize("capacity", [0.1, 2.5, 8.0, 32.336])
@pytest.mark.parametrize("mode", ["real_time", "batch"])
def test_more_traffic_never_lowers_replicas_gpu_hours_or_energy(capacity: float, mode: str) -> None:
    """Requests per day → replicas → GPU-hours → energy, chained as configurations.py does."""
    replicas, gpu_hours, kwh = [], [], []
    for per_day in (0.0, 100.0, 10_000.0, 86_400.0, 1e6, 1e7):
        busy_rps = sizing.active_rps(per_day, 8)
        if mode == "real_time":
            peak = 3 * busy_rps
            r = sizing.replicas_for(peak, capacity)
            hours = sizing.gpu_hours_per_month_real_time(2, r, 1, 8, 30.4)
            load = sizing.utilisation(busy_rps, r, capacity)
            e = energy.energy_kwh(2 * r, energy.gpu_power_w(700, 70, load), 100, 8 * 30.4, 1.2)
            e += energy.energy_kwh(2 * 1, 70, 100, 16 * 30.4, 1.2)
        else:
            processing_h = sizing.batch_processing_h_per_day(per_day, capacity)
            r = sizing.batch_replicas(processing_h, 4, 6.0)
            hours = sizing.gpu_hours_per_month_batch(2, processing_h, 30.4)
            e = energy.energy_kwh(2, 700, 100, processing_h * 30.4, 1.2)
        replicas.append(r)
        gpu_hours.append(hours)
        kwh.append(e)
    assert non_decreasing(replicas)
    assert non_decreasing(gpu_hours)
    assert non_decreasing(kwh)


@pytest.mark.parametrize("output_tokens", [50, 500])
def test_more_traffic_or_tokens_never_lowers_api_cost(output_tokens: int) -> None:
    per_request = [
        api.api_usd_per_request("gpt-4o-mini", "openai", n, output_tokens, False, AS_OF)
        for n in (0, 100, 1_000, 10_000)
    ]
    assert non_decreasing(per_request)
    per_month = [cost.api_usd_per_month(per_request[-1], n) for n in (0, 1e3, 1e5, 1e7)]
    assert non_decreasing(per_month)
    # the batch price is never above the real-time one
    batch = api.api_usd_per_request("gpt-4o-mini", "openai", 1_000, output_tokens, True, AS_OF)
    assert batch <= per_request[2]


def test_more_output_tokens_never_lower_api_energy() -> None:
    zone = api.ecologits_datacenter_zone("openai")
    found = api.ecologits_deployment("openai", "gpt-4o-mini")
    assert found is not None
    ttft, tps = found
    rows = [
        api.api_impacts_per_request("openai", "gpt-4o-mini", n, round(ttft + n / tps, 3), zone)
        for n in (10, 100, 500, 2_000)
    ]
    assert all(r is not None for r in rows)
    assert non_decreasing([r.energy_kwh for r in rows if r is not None])
    assert non_decreasing([r.gwp_kg for r in rows if r is not None])


@pytest.mark.parametrize(("tdp", "idle"), [(700, 70), (350, 45), (72, 16), (100, 100)])
def test_more_utilisation_never_lowers_power(tdp: float, idle: float) -> None:
    powers = [energy.gpu_power_w(tdp, idle, u) for u in (0.0, 0.1, 0.25, 0.5, 0.9, 1.0)]
    assert non_decreasing(powers)
    assert powers[0] == approx(idle) and powers[-1] == approx(tdp)


@pytest.mark.parametrize("hours", [1.0, 730.0])
def test_more_gpus_hours_or_pue_never_lower_energy(hours: float) -> None:
    assert non_decreasing([energy.energy_kwh(g, 385, 100, hours, 1.2) for g in (0, 1, 2, 8)])
    assert non_decreasing([energy.energy_kwh(8, 385, 100, h, 1.2) for h in (0, hours, 2 * hours)])
    assert non_decreasing([energy.energy_kwh(8, 385, 100, hours, p) for p in (1.0, 1.1, 1.56, 2)])


PRICES = [0.0, 0.01, 0.2, 2.5, 40_000.0]


@pytest.mark.parametrize(
    "cost_at",
    [
        lambda p: cost.cloud_compute_usd_per_month(2_400, p, 1.1),
        lambda p: cost.cloud_compute_usd_per_month(2_400, 2.5, 1 + p),
        lambda p: cost.capex_usd_per_month(8, p, 36),
        lambda p: cost.capex_usd(8, p),
        lambda p: cost.energy_usd_per_month(3_398.88, p),
        lambda p: cost.operations_usd_per_month(8, p),
        lambda p: cost.api_usd_per_month(p, 100_000),
        lambda p: cost.vector_store_usd_per_month(10, p),
        lambda p: cost.embedding_usd(5e6, p),
    ],
    ids=[
        "cloud-price",
        "cloud-factor",
        "capex-month",
        "capex",
        "electricity",
        "operations",
        "api",
        "vector-store",
        "embedding",
    ],
)
def test_higher_price_never_lowers_cost(cost_at: Callable[[float], float]) -> None:
    assert non_decreasing([cost_at(p) for p in PRICES])


@pytest.mark.parametrize("horizon", [12.0, 36.0, 60.0])
def test_longer_horizon_never_raises_monthly_capex(horizon: float) -> None:
    assert cost.capex_usd_per_month(8, 40_000, 2 * horizon) <= cost.capex_usd_per_month(
        8, 40_000, horizon
    )


@pytest.mark.parametrize(
    "deltas", [[], [-0.01], [-0.01, -0.03], [0.05, -0.02, -0.1], [0.5], [-0.9]]
)
def test_accuracy_stays_within_0_and_1_and_grows_with_base(deltas: list[float]) -> None:
    values = [precision.accuracy(b, deltas) for b in (0.0, 0.3, 0.694, 0.82, 1.0)]
    assert all(0.0 <= v <= 1.0 for v in values)
    assert non_decreasing(values)
