"""Sizing a self-hosted deployment: latency at a batch, the batch that meets the limit, replicas,
GPU-hours over the day (autoscaling) and batch-mode backlog processing."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

SECONDS_PER_HOUR = 3600.0
HOURS_PER_DAY = 24.0


def mean_latency_s(prefill_s: float, output_tokens: float, step_s: float) -> float:
    """Mean end-to-end generation time of one request: prefill + output tokens × decode step."""
    return prefill_s + output_tokens * step_s


def p95_latency_s(mean_s: float, p95_factor: float, fixed_s: float) -> float:
    """p95 latency seen by the user: the generation time inflated by the queueing factor
    (p95 / mean under load), plus the fixed parts (network round trip, retrieval)."""
    return mean_s * p95_factor + fixed_s


def largest_batch_meeting(
    batch_sizes: Sequence[int],
    max_batch_memory: int,
    latency_at: Callable[[int], float],
    limit_s: float | None,
) -> int:
    """The largest candidate batch that fits in memory and keeps ``latency_at(batch)`` within the
    limit (no limit: the largest that fits). Falls back to the smallest candidate when none meets
    the limit, so the configuration is still sized and then rejected with its latency."""
    fitting = sorted(b for b in batch_sizes if b <= max_batch_memory)
    if not fitting:
        return 0
    if limit_s is None:
        return fitting[-1]
    meeting = [b for b in fitting if latency_at(b) <= limit_s]
    return meeting[-1] if meeting else fitting[0]


def capacity_rps(batch: int, mean_latency_s: float) -> float:
    """Little's law: requests in flight (the batch) / time each spends in the system."""
    return batch / mean_latency_s


def tokens_per_s_per_replica(capacity_rps: float, output_tokens: float) -> float:
    """Generated tokens per second of one replica at full load."""
    return capacity_rps * output_tokens


def replicas_for(rps: float, capacity_rps: float) -> int:
    """Replicas needed to serve ``rps`` requests per second (at least one)."""
    return max(1, math.ceil(rps / capacity_rps - 1e-12))


def active_rps(requests_per_day: float, active_hours_per_day: float) -> float:
    """Mean arrival rate during the active hours (all traffic falls in them)."""
    return requests_per_day / (active_hours_per_day * SECONDS_PER_HOUR)


def utilisation(rps: float, replicas: int, capacity_rps: float) -> float:
    """Share of the deployed capacity in use, capped at 1."""
    return min(1.0, rps / (replicas * capacity_rps))


def gpu_hours_per_month_real_time(
    gpus_per_replica: int,
    peak_replicas: int,
    min_replicas: int,
    active_hours_per_day: float,
    days_per_month: float,
) -> float:
    """Autoscaled real-time service: peak replicas during the active hours, the minimum otherwise."""
    replica_hours_per_day = peak_replicas * active_hours_per_day + min_replicas * (
        HOURS_PER_DAY - active_hours_per_day
    )
    return gpus_per_replica * replica_hours_per_day * days_per_month


def batch_processing_h_per_day(requests_per_day: float, capacity_rps: float) -> float:
    """Replica-hours one day's backlog needs at full batch."""
    return requests_per_day / capacity_rps / SECONDS_PER_HOUR


def batch_replicas(processing_h_per_day: float, runs_per_day: float, interval_h: float) -> int:
    """Replicas so that each run finishes before the next one starts."""
    return max(1, math.ceil(processing_h_per_day / runs_per_day / interval_h - 1e-12))


def batch_turnaround_h(
    interval_h: float, processing_h_per_day: float, runs_per_day: float, replicas: int
) -> float:
    """Worst case: a request waits a whole interval for the next run, then the run's duration."""
    return interval_h + processing_h_per_day / runs_per_day / replicas


def gpu_hours_per_month_batch(
    gpus_per_replica: int, processing_h_per_day: float, days_per_month: float
) -> float:
    """GPU-hours of the backlog runs only (GPUs are released between runs)."""
    return gpus_per_replica * processing_h_per_day * days_per_month


def smallest_batch_with_replicas(
    batch_sizes: Sequence[int], upto: int, replicas_at: Callable[[int], int]
) -> int:
    """The smallest candidate batch (≤ ``upto``) that needs no more replicas than ``upto`` does:
    the same GPUs for the lowest latency (extra batch only adds latency once the fleet is set)."""
    target = replicas_at(upto)
    for b in sorted(b for b in batch_sizes if b <= upto):
        if replicas_at(b) <= target:
            return b
    return upto
