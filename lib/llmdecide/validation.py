"""The serving estimator held against published measurements (docs/validation.md).

``bench/validation_measurements.yaml`` lists published figures (MLPerf results files, the
TensorRT-LLM performance overview, the ML.ENERGY leaderboard data, NVIDIA NIM and ModelOpt
tables, fixed-batch latencies), each with the setting that reproduces it. This module rebuilds
each setting from catalog names with the sizing's own step-model builder
(``evaluation.step.step_inputs`` into ``estimators.replica.step_model``: one code path for
the product and its validation) and the serving model of ``estimators.serving``, and compares:

- ``output_tokens_per_s_per_gpu``: offline = the replica's capacity (``serving.capacity_rps``)
  × output tokens / GPUs of the replica; server/interactive = the highest arrival rate whose p99
  TTFT and p99 TPOT (``serving.replica_latency`` at q = 0.99) meet the MLPerf limits; fixed
  batch or concurrency = the closed loop's output rate;
- ``itl_ms`` / ``tpot_ms``: the closed loop's time per output token (c = 1 at zero load);
- ``ttft_ms``: zero load, ``serving.zero_load_ttft_s``; fixed concurrency, ``closed_loop_ttft_s``;
- ``e2e_s`` of a fixed batch (vLLM ``benchmark_latency``): one prefill of the b prompts, then
  O decode steps of b sequences at the mean context;
- ``gpu_joules_per_output_token``: the closed loop's step power over its output rate;
- ``decode_speedup_vs_fp16``: the fp16 step over the quantised step at the same batch.

A closed loop keeps c requests in flight (a benchmark client with a fixed concurrency, or a
fixed batch with every finished request replaced): ``closed_loop`` applies the serving model's
balance of decode-only and mixed steps at n = c − 1 other sequences.

Nothing here is tuned: the efficiencies come from the catalog. A row whose model or GPU (or a
field the formula needs) is not in the catalog is reported as such and left out of the
statistics; so is a row whose published setting lacks what the estimate needs (a prompt length).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from llmdecide.catalog import Catalog
from llmdecide.errors import MeasurementError, Problem
from llmdecide.estimators import energy, memory, replica, serving
from llmdecide.evaluation.context import VALUE
from llmdecide.evaluation.step import COMPUTE_PATH, step_inputs

RATIO_LOW, RATIO_HIGH = 0.5, 2.0  # every evaluated row within a factor 2 (issue 11)
MEDIAN_LOG_TARGET = math.log(1.4)  # median |ln(ours / measured)| ≤ ln 1.4
MIN_EVALUATED = 20
LATENCY_QUANTILE = 0.99  # MLPerf constrains p99 TTFT and p99 TPOT
BISECTION_STEPS = 40
UNBOUNDED = 1e9  # a limit the source does not publish (no batch cap, no token budget)
KV_BYTES = {"fp16": 2.0, "fp8": 1.0}
ENGINE_EFFICIENCY = {"nim (tensorrt-llm)": "tensorrt-llm"}

Metric = Literal[
    "tokens_per_s_per_gpu",
    "output_tokens_per_s_per_gpu",
    "itl_ms",
    "tpot_ms",
    "ttft_ms",
    "e2e_s",
    "gpu_joules_per_output_token",
    "decode_speedup_vs_fp16",
]

# Published models that are not catalog entries but share a catalog model's architecture
# (layers, hidden size, heads, KV heads): the row is evaluated with the catalog model and says so.
PROXIES: dict[str, tuple[str, str]] = {
    "meta-llama/Llama-2-70b-chat-hf": (
        "llama-3.1-70b",
        "Llama-2-70B: 80 layers, hidden 8192, 8 KV heads as llama-3.1-70b (smaller vocabulary)",
    ),
    "meta-llama/Meta-Llama-3-70B-Instruct": (
        "llama-3.1-70b",
        "Llama-3-70B: the architecture of llama-3.1-70b with an 8k context",
    ),
    "llama-3.3-70b": (
        "llama-3.1-70b",
        "Llama-3.3-70B: same layers, hidden size, heads and KV heads as llama-3.1-70b",
    ),
}


class Limits(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ttft_p99_s: float | None = Field(None, gt=0)
    tpot_p99_ms: float | None = Field(None, gt=0)


class Measurement(BaseModel):
    """One published figure and the setting that reproduces it (one YAML row)."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=1)
    metric: Metric
    measured: float = Field(gt=0)
    model: str = Field(min_length=1)
    gpu: str = Field(min_length=1)
    gpus: int = Field(gt=0)
    tp: int = Field(gt=0)
    pp: int | None = Field(None, gt=0)
    ep: int | None = Field(None, gt=0)
    weights: Literal["fp16", "fp8", "int8", "int4", "fp4"]
    kv_cache: Literal["fp16", "fp8"]
    engine: str = Field(min_length=1)
    scenario: Literal["offline", "server", "interactive", "fixed_batch", "zero_load"]
    batch: int | None = Field(None, gt=0)
    token_budget: int | None = Field(None, gt=0)
    input_tokens: int | None = Field(None, ge=0)
    output_tokens: float | None = Field(None, gt=0)
    limits: Limits | None = None
    source: str = Field(min_length=1)
    retrieved: date
    note: str = Field(min_length=1)


def load(path: Path | str) -> list[Measurement]:
    """The measurements file, validated: one ``MeasurementError`` naming every bad key."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise MeasurementError.single(path, "", f"cannot be read as YAML ({exc})") from exc
    rows = data.get("measurements") if isinstance(data, dict) else None
    if not isinstance(rows, list):
        raise MeasurementError.single(path, "measurements", "expected a list of measurements")
    out: list[Measurement] = []
    problems: list[Problem] = []
    seen: set[str] = set()
    for i, row in enumerate(rows):
        try:
            m = Measurement.model_validate(row)
        except ValidationError as exc:
            for err in exc.errors():
                key = ".".join(str(p) for p in err["loc"])
                problems.append(Problem(str(path), f"measurements[{i}].{key}", err["msg"]))
            continue
        if m.id in seen:
            problems.append(Problem(str(path), f"measurements[{i}].id", f"{m.id!r} is repeated"))
        seen.add(m.id)
        out.append(m)
    if problems:
        raise MeasurementError(problems)
    return out


# --------------------------------------------------------------------------------------------
# From catalog names to the serving model's inputs


def _scalar(x: Any) -> float:
    """A float from a float or a 0-d array (the serving model returns arrays)."""
    return float(np.asarray(x, dtype=float))


def _attr(obj: Any, *names: str) -> Any:
    """The first of ``names`` that ``obj`` (a record or a dict) has and is not None."""
    for name in names:
        value = obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)
        if value is not None:
            return value
    return None


def _num(x: Any) -> float | None:
    """A catalog figure: a float, a Range (its ``value``), or None."""
    if x is None:
        return None
    value = getattr(x, "value", x)
    return None if value is None else float(value)


@dataclass(frozen=True)
class Setting:
    """A measurement's setting rebuilt from the catalog: step model(s), workload, engine."""

    step: serving.StepModel
    step_fp16: serving.StepModel | None
    workload: serving.Workload
    engine: serving.Engine
    gpus_per_replica: int
    model_name: str
    flags: tuple[str, ...]
    power: tuple[float, float, float, float] | None = None  # tdp_w, idle_w, f_memory, f_compute


@dataclass(frozen=True)
class Excluded:
    """Why a row is not evaluated (not in the catalog, or the source lacks a figure)."""

    reason: str


def _model_record(m: Measurement, cat: Catalog) -> tuple[Any, str, list[str]] | Excluded:
    if m.model in cat.open_models:
        return cat.open_models[m.model], m.model, []
    if m.model in PROXIES and PROXIES[m.model][0] in cat.open_models:
        name, why = PROXIES[m.model]
        return cat.open_models[name], name, [f"proxy {name} ({why})"]
    return Excluded(f"not in catalog: model {m.model}")


def _efficiency(m: Measurement, cat: Catalog, flags: list[str]) -> Any:
    """The engine's efficiency record (``vllm``'s, flagged, for an engine the catalog lacks)."""
    name = ENGINE_EFFICIENCY.get(m.engine, m.engine)
    if name not in cat.efficiencies:
        flags.append(f"efficiencies.vllm used for {m.engine}")
        name = "vllm"
    return cat.efficiencies[name]


def _step(
    m: Measurement,
    cat: Catalog,
    rec: Any,
    model_name: str,
    weights: str,
    kv_per_token: float,
    flags: list[str],
) -> serving.StepModel | Excluded:
    """The measurement's step model, built as the sizing builds it
    (``evaluation.step.step_inputs``), or what the catalog lacks for it."""
    gpu = cat.gpus[m.gpu]
    if weights not in cat.quantisations:
        return Excluded(f"not in catalog: quantisations.{weights}")
    compute = cat.quantisations[weights].compute
    peak = _num(_attr(gpu, COMPUTE_PATH.get(compute, "")))
    if peak is None or _num(gpu.bf16_tflops) is None:
        return Excluded(f"gpus.{m.gpu} has no {compute} peak (quantisations.{weights}.compute)")
    experts = _attr(rec, "experts")
    if rec.active_params_b < rec.params_b and (
        not experts or _attr(rec, "expert_params_b") is None
    ):
        return Excluded(f"not in catalog: open_models.{model_name}.experts / expert_params_b")
    if not (_attr(rec, "attention_heads") and _attr(rec, "head_dim")):
        flags.append("attention FLOPs from a default head geometry (heads not in catalog)")
    eff = _efficiency(m, cat, flags)
    link = _attr(gpu, "interconnect")
    if m.tp > 1 and (link is None or _attr(rec, "hidden_size") is None):
        what = f"gpus.{m.gpu}.interconnect" if link is None else f"{model_name}.hidden_size"
        return Excluded(f"not in catalog: {what} (needed for TP{m.tp})")
    inputs = step_inputs(cat, model_name, m.gpu, weights, eff, VALUE)
    return replica.step_model(gpus=m.tp, kv_bytes_per_token=kv_per_token, **inputs)


def setting(m: Measurement, cat: Catalog) -> Setting | Excluded:
    """Rebuild a measurement's replica from catalog names, or say what is missing."""
    if m.gpu not in cat.gpus:
        return Excluded(f"not in catalog: GPU {m.gpu}")
    found = _model_record(m, cat)
    if isinstance(found, Excluded):
        return found
    rec, model_name, flags = found
    if m.pp and m.pp > 1:
        return Excluded("pipeline parallelism is not modelled")
    needs_prompt = m.metric not in ("decode_speedup_vs_fp16",)
    if needs_prompt and m.input_tokens is None:
        return Excluded("prompt length not published at the source")
    if m.metric != "decode_speedup_vs_fp16" and m.output_tokens is None:
        return Excluded("output length not published at the source")
    if m.ep and m.ep > 1:
        flags.append(f"EP{m.ep} modelled as TP{m.tp}")
    if m.weights not in cat.quantisations:
        return Excluded(f"not in catalog: quantisations.{m.weights}")
    prompt = float(m.input_tokens or 0)
    output = float(m.output_tokens or 1.0)
    kv_per_token = _kv_bytes(rec, m.kv_cache, prompt + output)
    if isinstance(kv_per_token, Excluded):
        return kv_per_token
    step = _step(m, cat, rec, model_name, m.weights, kv_per_token, flags)
    if isinstance(step, Excluded):
        return step
    step16: serving.StepModel | None = None
    if m.metric == "decode_speedup_vs_fp16":
        found16 = _step(m, cat, rec, model_name, "fp16", kv_per_token, flags)
        if isinstance(found16, Excluded):
            return found16
        step16 = found16
    if m.input_tokens is None:
        flags.append("sequence lengths not published: weights-only step (no KV read)")
    fixed = m.engine.startswith("tensorrt-llm") and m.scenario == "offline"
    cv2 = 0.0 if fixed or m.scenario in ("fixed_batch", "zero_load") else 1.0
    w = serving.Workload(
        context_tokens=prompt,
        prefill_tokens=prompt,
        output_tokens=output,
        service_cv2=cv2,
        prompt_cv2=cv2,
    )
    gpu = cat.gpus[m.gpu]
    headroom = _num(cat.assumption("kv_memory_headroom").value) or 0.0
    q = cat.quantisations[m.weights]
    weights_gb = rec.params_b * q.bits / 8.0
    free_gb = gpu.memory_gb * m.tp * (1.0 - headroom) - weights_gb
    if free_gb <= 0:
        return Excluded(f"{model_name} {m.weights} does not fit in {m.tp} x {m.gpu}")
    max_seqs, budget = _engine_limits(m, cat, gpu.memory_gb, flags)
    engine = serving.Engine(
        max_seqs=max_seqs,
        token_budget=budget,
        kv_capacity_tokens=free_gb * 1e9 / kv_per_token,
    )
    power = None
    if m.metric == "gpu_joules_per_output_token":
        eff = (
            cat.efficiencies.get(ENGINE_EFFICIENCY.get(m.engine, m.engine))
            or cat.efficiencies["vllm"]
        )
        f_m = _num(_attr(eff, "power_fraction_memory_bound"))
        f_c = _num(_attr(eff, "power_fraction_compute_bound"))
        if f_m is None or f_c is None:
            return Excluded("not in catalog: efficiencies power_fraction_memory/compute_bound")
        power = (float(gpu.tdp_w), float(gpu.idle_w), f_m, f_c)
    return Setting(step, step16, w, engine, m.tp, model_name, tuple(dict.fromkeys(flags)), power)


def _kv_bytes(rec: Any, kv_cache: str, sequence_tokens: float) -> float | Excluded:
    """KV bytes per cached token of a ``sequence_tokens`` sequence: GQA or MLA geometry,
    sliding-window layers keeping at most their window (``memory.kv_bytes_per_context_token``)."""
    if _attr(rec, "attention") == "mla":
        lora, rope = _attr(rec, "kv_lora_rank"), _attr(rec, "qk_rope_head_dim")
        if lora is None or rope is None:
            return Excluded("not in catalog: kv_lora_rank / qk_rope_head_dim of an MLA model")
        elements = float(memory.kv_elements_per_token_layer_mla(lora, rope))
    else:
        elements = float(memory.kv_elements_per_token_layer_gqa(rec.kv_heads, rec.head_dim))
    window_layers = float(_attr(rec, "sliding_window_layers") or 0)
    window = float(_attr(rec, "sliding_window") or 0)
    return _scalar(
        memory.kv_bytes_per_context_token(
            elements,
            rec.layers - window_layers,
            window_layers,
            window,
            max(sequence_tokens, 1.0),
            KV_BYTES[kv_cache] * 8,
        )
    )


def _engine_limits(
    m: Measurement, cat: Catalog, memory_gb: float, flags: list[str]
) -> tuple[float, float]:
    """(max_num_seqs, token budget): as published, else the catalog's engine defaults."""
    eff = cat.efficiencies.get(ENGINE_EFFICIENCY.get(m.engine, m.engine)) or cat.efficiencies.get(
        "vllm"
    )
    default_seqs = getattr(eff, "max_seqs", None)
    default_budget = getattr(eff, "token_budget", None)
    seqs, budget = float(m.batch or 0), float(m.token_budget or 0)
    if not seqs:
        if callable(default_seqs):
            seqs = float(default_seqs(memory_gb))
            flags.append(f"batch cap not published: engine default {seqs:g}")
        else:
            seqs = UNBOUNDED
            flags.append("batch cap not published (KV cache limits it)")
    if not budget:
        if callable(default_budget):
            budget = float(default_budget(memory_gb))
            flags.append(f"token budget not published: engine default {budget:g}")
        else:
            budget = UNBOUNDED
            flags.append("token budget not published (prefill unchunked)")
    return seqs, budget


# --------------------------------------------------------------------------------------------
# The estimator's figure for each metric


@dataclass(frozen=True)
class ClosedLoop:
    """A client keeping c requests in flight on one replica, seen through the serving model's
    mixed-step balance (``serving``: decode-only steps s_d, steps with a prompt chunk s_p)."""

    itl_s: float  # time per output token, 1 / R
    rate_rps: float  # λ(n) of the serving model at n = c − 1 other decoding sequences
    own_prefill_s: float  # the request's own k chunk steps
    tokens_per_s: float  # c × O / (own prefill + O × ITL): the loop's output rate
    memory_share: float  # of the replica's time HBM streams, over both kinds of step
    compute_share: float  # of the replica's time the tensor cores compute
    mixed_share: float  # of the replica's time spent in steps that carry a prompt chunk
    decode_step_s: float  # s_d


def closed_loop(
    m: serving.StepModel, w: serving.Workload, engine: serving.Engine, concurrency: float
) -> ClosedLoop:
    """c sequences in flight: the tagged one and n = c − 1 others (arrival theorem). As in the
    serving model, a prompt of P tokens needs k = ⌈P / (budget − c)⌉ mixed steps; the rate that
    holds n decoding sequences is λ = n / (O·s_d + n·k·(s_p − s_d)), the steps per second
    R = λ·k + (1 − λ·k·s_p) / s_d and the time per output token 1 / R."""
    c = max(concurrency, 1.0)
    n = c - 1.0
    ctx = _scalar(w.mean_context_while_decoding)
    o, p = _scalar(w.output_tokens), _scalar(w.prefill_tokens)
    room = max(_scalar(engine.token_budget) - c, 1.0)
    k = _scalar(serving.prefill_chunks(p, room)) if p > 0 else 0.0
    chunk = p / k if k else 0.0
    pairs = chunk * (_scalar(w.context_tokens) - p + p / 2.0)
    s_d = _scalar(m.step_s(c, c * ctx))
    s_p = _scalar(m.step_s(c, c * ctx, chunk, pairs))
    rate = n / (o * s_d + n * k * (s_p - s_d)) if n > 0 else 0.0
    share = min(max(rate * k * s_p, 0.0), 1.0)
    itl = 1.0 / (rate * k + (1.0 - share) / s_d)
    own = k * s_p
    memory = (1.0 - share) * _scalar(m.memory_s(c, c * ctx)) / s_d + share * _scalar(
        m.memory_s(c + chunk, c * ctx)
    ) / s_p
    compute = (1.0 - share) * _scalar(m.compute_s(c, 0.0, c * ctx)) / s_d + share * _scalar(
        m.compute_s(c, chunk, c * ctx + pairs)
    ) / s_p
    tokens_per_s = c * o / (own + o * itl)
    return ClosedLoop(itl, rate, own, tokens_per_s, min(memory, 1.0), min(compute, 1.0), share, s_d)


def closed_loop_joules_per_token(
    s: Setting, concurrency: float, power: tuple[float, float, float, float]
) -> float:
    """GPU energy per output token of a closed loop: each GPU's power from what its steps do
    (``energy.gpu_power_from_steps_w`` with the memory and compute shares of the loop's mix of
    decode-only and mixed steps, as ``serving.step_shares`` weighs them; always busy) × GPUs /
    the loop's output tokens per second."""
    tdp, idle, f_m, f_c = power
    loop = closed_loop(s.step, s.workload, s.engine, concurrency)
    watts = energy.gpu_power_from_steps_w(
        tdp, idle, 1.0, loop.memory_share, loop.compute_share, f_m, f_c
    )
    return _scalar(watts) * s.gpus_per_replica / loop.tokens_per_s


def closed_loop_ttft_s(s: Setting, concurrency: float) -> float:
    """Mean TTFT of a client keeping ``concurrency`` requests in flight.

    A closed loop is not Poisson: at most c − 1 requests are ahead of a new one, and the loop's
    rate sits close to the replica's capacity (0.99 of it for 5 000-token prompts at 25 in
    flight), where the serving model's Poisson (M/G/1) waits diverge. So, within the slots, a
    new request waits for the residual of the step in progress — half a prompt's chunk steps
    with the mixed-step share q, half a decode step otherwise — then runs its own k chunk steps:
    TTFT = own + q · own / 2 + (1 − q) · s_d / 2. Beyond the slots, n = slots are in service and
    each request cycles through n servers of service time S = own + O × ITL, so by Little's law
    it first waits S × (c / n − 1)."""
    w = s.workload
    n = min(concurrency, _scalar(s.engine.slots(w)))
    loop = closed_loop(s.step, w, s.engine, n)
    own, q = loop.own_prefill_s, loop.mixed_share
    if concurrency > n:
        service = own + _scalar(w.output_tokens) * loop.itl_s
        return service * (concurrency / n - 1.0) + own
    return own + q * own / 2.0 + (1.0 - q) * loop.decode_step_s / 2.0


def _rate_meeting_limits(s: Setting, limits: Limits) -> float:
    """Highest arrival rate (≤ capacity) whose p99 TTFT and p99 TPOT meet the limits."""
    hi = _scalar(serving.capacity_rps(s.step, s.workload, s.engine))
    lo = 0.0

    def ok(rate: float) -> bool:
        lat = serving.replica_latency(s.step, s.workload, s.engine, rate, LATENCY_QUANTILE)
        ttft, tpot = _scalar(lat.ttft_q_s), _scalar(lat.tpot_q_s)
        good = math.isfinite(ttft) and math.isfinite(tpot)
        if limits.ttft_p99_s is not None:
            good = good and ttft <= limits.ttft_p99_s
        if limits.tpot_p99_ms is not None:
            good = good and tpot * 1000 <= limits.tpot_p99_ms
        return good

    if ok(hi):
        return hi
    for _ in range(BISECTION_STEPS):
        mid = (lo + hi) / 2.0
        lo, hi = (mid, hi) if ok(mid) else (lo, mid)
    return lo


def estimate(m: Measurement, s: Setting) -> float:
    """The estimator's figure for the measurement's metric, in the measurement's unit."""
    w = s.workload
    o, p = _scalar(w.output_tokens), _scalar(w.prefill_tokens)
    ctx = _scalar(w.mean_context_while_decoding)
    batch = float(m.batch or 1)
    in_flight = min(batch, _scalar(s.engine.slots(w)))  # a closed loop beyond the slots queues
    if m.metric in ("output_tokens_per_s_per_gpu", "tokens_per_s_per_gpu"):
        per_token = 1.0 if m.metric == "output_tokens_per_s_per_gpu" else (o + p) / o
        if m.scenario == "offline":
            rate = _scalar(serving.capacity_rps(s.step, w, s.engine))
        elif m.scenario in ("server", "interactive"):
            rate = _rate_meeting_limits(s, m.limits or Limits(ttft_p99_s=None, tpot_p99_ms=None))
        else:
            loop = closed_loop(s.step, w, s.engine, in_flight)
            return loop.tokens_per_s * per_token / s.gpus_per_replica
        return rate * o * per_token / s.gpus_per_replica
    if m.metric in ("itl_ms", "tpot_ms"):
        return closed_loop(s.step, w, s.engine, in_flight).itl_s * 1000.0
    if m.metric == "ttft_ms":
        if m.scenario == "fixed_batch":
            return closed_loop_ttft_s(s, batch) * 1000.0
        return _scalar(serving.zero_load_ttft_s(s.step, w, s.engine)) * 1000.0
    if m.metric == "e2e_s":
        prefill = _scalar(s.step.step_s(0.0, 0.0, batch * p, batch * p * p / 2.0))
        decode = _scalar(s.step.step_s(batch, batch * ctx))
        return prefill + o * decode
    if m.metric == "gpu_joules_per_output_token":
        assert s.power is not None
        return closed_loop_joules_per_token(s, in_flight, s.power)
    if m.metric == "decode_speedup_vs_fp16":
        assert s.step_fp16 is not None
        cached = batch * ctx if m.input_tokens is not None else 0.0
        return _scalar(s.step_fp16.step_s(batch, cached)) / _scalar(s.step.step_s(batch, cached))
    raise ValueError(f"no estimate for metric {m.metric}")


# --------------------------------------------------------------------------------------------
# The table and its statistics


@dataclass(frozen=True)
class Row:
    id: str
    metric: str
    setting: str
    measured: float
    ours: float | None
    status: str  # "ok" or the exclusion reason
    flags: tuple[str, ...] = field(default_factory=tuple)

    @property
    def ratio(self) -> float | None:
        return None if self.ours is None else self.ours / self.measured


def describe(m: Measurement) -> str:
    """Short setting label: model, GPUs, precision, scenario, batch, lengths."""
    par = f"TP{m.tp}" + (f" PP{m.pp}" if m.pp else "") + (f" EP{m.ep}" if m.ep else "")
    prompt = "?" if m.input_tokens is None else f"{m.input_tokens}"
    lengths = f"{prompt}/{'?' if m.output_tokens is None else format(m.output_tokens, 'g')}"
    batch = f" b{m.batch}" if m.batch else ""
    return (
        f"{m.model}, {m.gpus}x {m.gpu} {par}, {m.weights}/kv {m.kv_cache}, {m.engine}, "
        f"{m.scenario}{batch}, {lengths}"
    )


def evaluate(measurements: Iterable[Measurement], cat: Catalog) -> list[Row]:
    rows = []
    for m in measurements:
        s = setting(m, cat)
        if isinstance(s, Excluded):
            rows.append(Row(m.id, m.metric, describe(m), m.measured, None, s.reason))
            continue
        rows.append(Row(m.id, m.metric, describe(m), m.measured, estimate(m, s), "ok", s.flags))
    return rows


@dataclass(frozen=True)
class Summary:
    evaluated: int
    within: int
    median_abs_log_ratio: float
    worst: tuple[str, ...]  # ids outside [1/2, 2]

    @property
    def passes(self) -> bool:
        return (
            self.evaluated >= MIN_EVALUATED
            and self.within == self.evaluated
            and self.median_abs_log_ratio <= MEDIAN_LOG_TARGET
        )


def summarise(rows: Sequence[Row]) -> Summary:
    """Rows evaluated, how many within [1/2, 2], median |ln ratio| (nan when none)."""
    ratios = [(r.id, r.ratio) for r in rows if r.status == "ok" and r.ratio is not None]
    logs = [abs(math.log(x)) for _, x in ratios]
    outside = tuple(i for i, x in ratios if not RATIO_LOW <= x <= RATIO_HIGH)
    median = statistics.median(logs) if logs else math.nan
    return Summary(len(ratios), len(ratios) - len(outside), median, outside)
