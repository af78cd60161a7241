"""Self-hosted configurations (cloud and on premise), evaluated column-wise.

The steps, each a small function over the columns of every self-hosted candidate at once:
``fit`` (memory, context window, server) → ``replica_model`` (parallelism, kernels) → ``size``
(engine limits and the sizing search, real time or batch) → ``energy`` → the hosting's bill
(``hosting/cloud.py``, ``hosting/on_premise.py``) → carbon → precision. ``evaluate`` chains them
and returns the columns of ``configurations.csv`` (USD, before conversion).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields, is_dataclass
from operator import attrgetter
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from llmdecide.estimators import energy as energy_est
from llmdecide.estimators import memory, replica, search, serving
from llmdecide.evaluation import precision, workload
from llmdecide.evaluation.context import VALUE, Context, pick
from llmdecide.evaluation.hosting import SELF_HOSTED
from llmdecide.units import BYTES_PER_GB, HOURS_PER_DAY, SECONDS_PER_HOUR

if TYPE_CHECKING:
    from llmdecide.configurations import Candidate

Array = NDArray[np.float64]
KV_BITS = {"fp16": 16, "fp8": 8}
COMPUTE_PATH = {
    "bf16": "bf16_tflops",
    "fp8": "fp8_tflops",
    "int8": "int8_tops",
    "fp4": "fp4_tflops",
}
DEFAULT_LINK: dict[str, float] = {"bandwidth_gb_s": 64.0, "latency_us": 5.0}  # PCIe Gen4 x16


def distinct_codes(values: Sequence[Any]) -> tuple[list[Any], NDArray[np.intp]]:
    """The distinct ``values`` in order of first appearance, and each value's index into them."""
    first = {v: i for i, v in enumerate(dict.fromkeys(values))}
    index = np.fromiter(map(first.__getitem__, values), dtype=np.intp, count=len(values))
    return list(first), index


@dataclass(frozen=True)
class Rows:
    """The self-hosted candidates as columns (one element per candidate). Columns and their
    distinct values are computed once and kept (the chain reads each many times)."""

    cands: Sequence[Candidate]
    _source: tuple[Rows, list[int]] | None = field(default=None, repr=False, compare=False)
    """(rows, indices) these rows were taken from: their columns are sliced from those."""
    _memo: dict[Any, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    @staticmethod
    def of(cands: Sequence[Candidate] | Rows) -> Rows:
        return cands if isinstance(cands, Rows) else Rows(cands)

    def col(self, name: str) -> list[str]:
        key = ("col", name)
        if key not in self._memo:
            names = [f.name for f in fields(self.cands[0])] if self._whole_candidates() else []
            if name in names and len(names) > 1:
                # every field in one pass over the candidates (a pass per field costs more)
                per_field = zip(*map(attrgetter(*names), self.cands), strict=True)
                for n, v in zip(names, per_field, strict=True):
                    self._memo[("col", n)] = list(v)
            elif self._source is None:
                self._memo[key] = list(map(attrgetter(name), self.cands))
            else:
                whole, idx = self._source
                values = whole.col(name)
                self._memo[key] = [values[i] for i in idx]
        out: list[str] = self._memo[key]
        return out

    def _whole_candidates(self) -> bool:
        return self._source is None and bool(self.cands) and is_dataclass(self.cands[0])

    def take(self, idx: Sequence[int]) -> Rows:
        """The rows ``idx``, in that order (kept: taking the same rows again returns them)."""
        key = ("take", tuple(idx))
        if key not in self._memo:
            picked = list(idx)
            self._memo[key] = Rows([self.cands[i] for i in picked], (self, picked))
        out: Rows = self._memo[key]
        return out

    def codes(self, *names: str) -> tuple[list[Any], NDArray[np.intp]]:
        """The distinct values of the columns ``names`` (a tuple per row when several), in order
        of first appearance, and each row's index into them."""
        key = ("codes", names)
        if key not in self._memo:
            if len(names) == 1:
                self._memo[key] = distinct_codes(self.col(names[0]))
            else:
                self._memo[key] = self._joint_codes(names)
        out: tuple[list[Any], NDArray[np.intp]] = self._memo[key]
        return out

    def _joint_codes(self, names: tuple[str, ...]) -> tuple[list[Any], NDArray[np.intp]]:
        """``codes`` of several columns from the codes of each (numpy, not one tuple per row)."""
        parts = [self.codes(name) for name in names]
        if math.prod(max(len(d), 1) for d, _ in parts) >= 2**62:
            return distinct_codes(list(zip(*map(self.col, names), strict=True)))
        joint = np.zeros(len(self.cands), dtype=np.int64)
        for distinct, index in parts:
            joint = joint * len(distinct) + index
        _, first, inverse = np.unique(joint, return_index=True, return_inverse=True)
        order = np.argsort(first, kind="stable")  # the groups in order of first appearance
        rank = np.empty_like(order)
        rank[order] = np.arange(order.size)
        columns = [self.col(name) for name in names]
        distinct_rows = [tuple(c[i] for c in columns) for i in first[order].tolist()]
        return distinct_rows, rank[inverse].astype(np.intp)

    def each(self, names: str | tuple[str, ...], get: Callable[[Any], Any]) -> list[Any]:
        """``get(value)`` of every row, called once per distinct value of the columns."""
        distinct, index = self.codes(*((names,) if isinstance(names, str) else names))
        found = [get(v) for v in distinct]
        return [found[i] for i in index.tolist()]

    def floats(self, names: str | tuple[str, ...], get: Callable[[Any], float]) -> Array:
        """``get(value)`` of every row as floats, called once per distinct value."""
        distinct, index = self.codes(*((names,) if isinstance(names, str) else names))
        return np.array([get(v) for v in distinct], dtype=float)[index]

    @property
    def tp(self) -> Array:
        key = ("tp",)
        if key not in self._memo:
            self._memo[key] = np.array(self.col("gpus_per_replica"), dtype=float)
        out: Array = self._memo[key]
        return out

    def mask(self, name: str, value: str) -> NDArray[np.bool_]:
        distinct, index = self.codes(name)
        return np.array([v == value for v in distinct], dtype=bool)[index]


# --------------------------------------------------------------------------------------------
# Model and GPU figures


def _model_figure(catalog: Any, key: str) -> Callable[[str], float]:
    def get(name: str) -> float:
        m = catalog.open_models[name]
        v = getattr(m, key, None)
        if v is None:
            v = _fallback(m, key)
        return float(v)

    return get


def _fallback(m: Any, key: str) -> float:
    """Figures absent from an older record: dense model defaults derived from its geometry."""
    heads = getattr(m, "attention_heads", None)
    if key == "hidden_size":
        return float((heads or 32) * (m.head_dim or 128))
    if key == "attention_heads":
        return float(getattr(m, "hidden_size", None) or 32 * (m.head_dim or 128)) / (
            m.head_dim or 128
        )
    if key in ("experts", "experts_per_token", "expert_params_b", "sliding_window_layers"):
        return 0.0
    if key == "sliding_window":
        return 0.0
    raise KeyError(key)


def _kv_elements(ctx: Context, name: str) -> float:
    """KV elements per token and layer of a model (GQA or MLA geometry)."""
    m = ctx.catalog.open_models[name]
    if getattr(m, "attention", "gqa") == "mla":
        return float(
            memory.kv_elements_per_token_layer_mla(
                int(m.kv_lora_rank or 0), int(m.qk_rope_head_dim or 0)
            )
        )
    return float(memory.kv_elements_per_token_layer_gqa(int(m.kv_heads or 0), int(m.head_dim or 0)))


def _gpu_figure(catalog: Any, key: str) -> Callable[[str], float]:
    def get(name: str) -> float:
        g = catalog.gpus[name]
        v = getattr(g, key, None)
        return math.nan if v is None else float(v)

    return get


def _link(catalog: Any, gpu: str, scenario: str) -> tuple[float, float]:
    """(one-direction bandwidth in GB/s, hop latency in s) of the GPU's interconnect."""
    link = getattr(catalog.gpus[gpu], "interconnect", None)
    if link is None:
        bw, lat = float(DEFAULT_LINK["bandwidth_gb_s"]), float(DEFAULT_LINK["latency_us"])
    else:
        bw = float(link.bandwidth_gb_s)
        lat = pick(link.latency_us, scenario, "low")
    return bw / 2.0, lat * 1e-6


def gpus_per_server(ctx: Context, gpu: str) -> int:
    """GPUs one server of that GPU holds (tensor parallelism stays within one server)."""
    return int(getattr(ctx.catalog.gpus[gpu], "gpus_per_server", None) or 8)


def compute_tflops(catalog: Any, gpu: str, optimisation: str) -> float | None:
    """Dense peak of the compute path of a quantisation on a GPU (None: not computed there)."""
    path = COMPUTE_PATH[catalog.quantisations[optimisation].compute]
    value = getattr(catalog.gpus[gpu], path, None)
    return float(value) if value else None


# --------------------------------------------------------------------------------------------
# Steps


@dataclass(frozen=True)
class Fit:
    """Memory of each row: weights, KV cache per context token, KV capacity, slots; reasons."""

    weights_gb: Array
    kv_bytes_per_token: Array
    kv_capacity_tokens: Array
    memory_slots: Array
    excluded: list[str]


def fit(ctx: Context, rows: Rows, w: serving.Workload) -> Fit:
    """Weights and KV cache in the replica's memory; the reasons a row cannot run at all."""
    cat = ctx.catalog
    tp = rows.tp
    params = rows.floats("model", _model_figure(ctx.catalog, "params_b"))
    bits = rows.floats("optimisation", lambda q: float(cat.quantisations[q].bits))
    weights = memory.weights_gb(params, bits)  # type: ignore[arg-type]
    elements = rows.floats("model", lambda m: _kv_elements(ctx, m))
    layers = rows.floats("model", _model_figure(ctx.catalog, "layers"))
    window_layers = rows.floats("model", _model_figure(ctx.catalog, "sliding_window_layers"))
    window = rows.floats("model", _model_figure(ctx.catalog, "sliding_window"))
    kv_bits = rows.floats("kv_cache", lambda k: float(KV_BITS[k]))
    seq = np.asarray(w.context_tokens, float) + np.asarray(w.output_tokens, float)
    kv_token = memory.kv_bytes_per_context_token(
        elements, layers - window_layers, window_layers, window, seq, kv_bits
    )
    mem = rows.floats("gpu", _gpu_figure(ctx.catalog, "memory_gb"))
    headroom = ctx.assumption("kv_memory_headroom", VALUE, "low")
    usable = tp * mem * (1.0 - headroom)
    free_gb = usable - weights
    kv_cap = np.maximum(free_gb, 0.0) * BYTES_PER_GB / kv_token
    slots = np.floor(kv_cap / seq)
    window_max = rows.floats("model", _model_figure(ctx.catalog, "context_tokens"))
    server = rows.floats("gpu", lambda g: float(gpus_per_server(ctx, g)))
    bad = (seq > window_max) | (tp > server) | (free_gb <= 0) | (slots < 1)
    excluded = [""] * len(rows.cands)
    for i in np.flatnonzero(bad).tolist():
        c = rows.cands[i]
        why = ""
        if seq[i] > window_max[i]:
            why = f"{c.model} context of {int(window_max[i])} tokens < {seq[i]:.0f} needed"
        elif c.gpus_per_replica > gpus_per_server(ctx, c.gpu):
            why = (
                f"{c.gpus_per_replica} GPUs per replica > {gpus_per_server(ctx, c.gpu)} in one "
                f"{c.gpu} server"
            )
        elif free_gb[i] <= 0:
            why = (
                f"{c.model} {c.optimisation} ({weights[i]:.0f} GB of weights) does not fit on "
                f"{c.gpus_per_replica} × {c.gpu} ({usable[i]:.0f} GB usable)"
            )
        elif slots[i] < 1:
            why = f"no room for the KV cache of one request on {c.gpus_per_replica} × {c.gpu}"
        excluded[i] = why
    return Fit(weights, kv_token, kv_cap, slots, excluded)


def engine_efficiency(catalog: Any, gpu: str) -> Any:
    """The engine's efficiencies on a GPU: a pilot-calibrated record ``vllm@<gpu>`` where the
    catalog holds one (``llmdecide.calibration``), else the engine's own."""
    engine = str(catalog.method["engine"])
    return catalog.efficiencies.get(f"{engine}@{gpu}") or catalog.efficiencies[engine]


STEP_INPUTS = (
    "dense_weights_fp16_gb",
    "expert_weights_fp16_gb",
    "experts",
    "experts_per_token",
    "weight_read_speedup",
    "active_params_b",
    "attention_layers",
    "attention_width",
    "hidden_size",
    "layers",
    "bandwidth_gb_s",
    "bandwidth_efficiency",
    "tflops",
    "bf16_tflops",
    "mfu_decode",
    "mfu_prefill",
    "link_gb_s_per_direction",
    "link_efficiency",
    "hop_latency_s",
    "overhead_s",
    "compute_path_efficiency",
    "moe_layer_latency_s",
    "moe_routed_token_s",
)
"""The arguments of ``replica.step_model`` that ``step_inputs`` gives (all but ``gpus`` and
``kv_bytes_per_token``)."""


def step_inputs(
    catalog: Any, model: str, gpu: str, optimisation: str, efficiency: Any, scenario: str
) -> dict[str, float]:
    """The figures of ``replica.step_model`` for ``model`` on ``gpu`` at ``optimisation``, from
    the catalog and an engine's ``efficiency`` record at the scenario: every argument but the
    GPUs of the replica and the KV bytes per token (the fit decides those). The one builder of
    the step model: the sizing (``replica_model``) and the validation against published
    measurements (``llmdecide.validation``) both call it."""
    m = catalog.open_models[model]
    params = _model_figure(catalog, "params_b")(model)
    experts_b = _model_figure(catalog, "expert_params_b")(model)
    link_gb_s, hop_s = _link(catalog, gpu, scenario)
    layers = _model_figure(catalog, "layers")(model)
    heads = _model_figure(catalog, "attention_heads")(model)
    head_dim = float(m.head_dim or 128)
    # a GPU whose measured GEMMs reach less of their peak than the MFUs' reference GPU
    scale = float(efficiency.compute_scale(catalog.gpus[gpu]))

    def eff(key: str, good: str) -> float:
        return pick(getattr(efficiency, key), scenario, good)

    def optional(key: str) -> float:
        return _pick_or(getattr(efficiency, key, None), scenario, 0.0, "low")

    return {
        "dense_weights_fp16_gb": (params - experts_b) * 2.0,
        "expert_weights_fp16_gb": experts_b * 2.0,
        "experts": _model_figure(catalog, "experts")(model),
        "experts_per_token": _model_figure(catalog, "experts_per_token")(model),
        "weight_read_speedup": pick(
            catalog.quantisations[optimisation].decode_speedup_batch1, scenario, "high"
        ),
        "active_params_b": _model_figure(catalog, "active_params_b")(model),
        "attention_layers": layers,
        "attention_width": heads * head_dim,
        "hidden_size": _model_figure(catalog, "hidden_size")(model),
        "layers": layers,
        "bandwidth_gb_s": _gpu_figure(catalog, "bandwidth_gb_s")(gpu),
        "bandwidth_efficiency": eff("bandwidth_efficiency", "high"),
        "tflops": compute_tflops(catalog, gpu, optimisation) or math.nan,
        "bf16_tflops": _gpu_figure(catalog, "bf16_tflops")(gpu),
        "mfu_decode": eff("mfu_decode", "high") * scale,
        "mfu_prefill": eff("mfu_prefill", "high") * scale,
        "link_gb_s_per_direction": link_gb_s,
        "link_efficiency": eff("interconnect_efficiency", "high"),
        "hop_latency_s": hop_s,
        "overhead_s": eff("step_overhead_ms", "low") / 1000.0,
        "compute_path_efficiency": _pick_or(
            catalog.quantisations[optimisation].compute_efficiency_vs_bf16, scenario, 1.0
        ),
        # optional engine times (null: not modelled, 0)
        "moe_layer_latency_s": optional("moe_layer_latency_us") * 1e-6,
        "moe_routed_token_s": optional("moe_routed_token_ns") * 1e-9,
    }


def replica_model(ctx: Context, rows: Rows, kv_token: Array, scenario: str) -> serving.StepModel:
    """The step model of each row's replica (figures from the catalog at the scenario, through
    ``step_inputs`` once per distinct model, GPU and precision)."""
    cat = ctx.catalog
    distinct, index = rows.codes("model", "gpu", "optimisation")
    inputs = [
        step_inputs(cat, model, gpu, opt, engine_efficiency(cat, gpu), scenario)
        for model, gpu, opt in distinct
    ]
    columns = {k: np.array([d[k] for d in inputs], dtype=float)[index] for k in STEP_INPUTS}
    return replica.step_model(gpus=rows.tp, kv_bytes_per_token=kv_token, **columns)


def _pick_or(r: Any, scenario: str, unknown: float, good: str = "high") -> float:
    """``pick`` of an optional catalog Range; ``unknown`` where the catalog has none."""
    return unknown if r is None else pick(r, scenario, good)


@dataclass(frozen=True)
class Fleet:
    """The sizing of each row: batch cap, replicas (0: none meets the limits) and why not."""

    batch_cap: Array
    replicas: Array
    rejected: list[str]


def _limits(ctx: Context, fixed_s: Array, n: int, hidden: Array) -> search.LatencyLimits:
    """The client's latency limits on the replica (the fixed parts subtracted)."""
    cp = ctx.client.critical_performance
    limits = {cp.performance.metric: float(cp.performance.limit)}
    for metric, value in (cp.extra_limits or {}).items():
        limits[metric] = min(float(value), limits.get(metric, math.inf))
    inf = np.full(n, math.inf)
    e2e = inf.copy()
    if "p95_latency_s" in limits:
        e2e = np.minimum(e2e, limits["p95_latency_s"] - fixed_s)
    if "turnaround_h" in limits:
        e2e = np.minimum(e2e, limits["turnaround_h"] * SECONDS_PER_HOUR - fixed_s)
    ttft = inf.copy()
    if "ttft_p95_s" in limits:
        ttft = limits["ttft_p95_s"] - fixed_s
    tpot = np.full(n, limits.get("tpot_p95_ms", math.inf) / 1000.0)
    return search.LatencyLimits(
        e2e,
        np.broadcast_to(ttft, (n,)).astype(float),
        tpot,
        float(ctx.method("max_peak_utilisation")),
        hidden,
    )


def _subset(x: Any, idx: NDArray[np.intp]) -> Any:
    return np.asarray(x, float)[idx] if np.ndim(x) else x


def _take_model(m: serving.StepModel, idx: NDArray[np.intp]) -> serving.StepModel:
    return serving.StepModel(**{k: _subset(v, idx) for k, v in vars(m).items()})


def _take_w(w: serving.Workload, idx: NDArray[np.intp]) -> serving.Workload:
    return serving.Workload(**{k: _subset(v, idx) for k, v in vars(w).items()})


def _engine(ctx: Context, rows: Rows, fit_: Fit, cap: Array) -> serving.Engine:
    eff = ctx.catalog.efficiencies[ctx.engine]
    mem = _gpu_figure(ctx.catalog, "memory_gb")
    budget = rows.floats("gpu", lambda g: float(eff.token_budget(mem(g))))
    return serving.Engine(
        max_seqs=cap, token_budget=budget, kv_capacity_tokens=fit_.kv_capacity_tokens
    )


def default_cap(ctx: Context, rows: Rows) -> Array:
    """The engine's max_num_seqs for the GPU, or the client's cap."""
    eff = ctx.catalog.efficiencies[ctx.engine]
    mem = _gpu_figure(ctx.catalog, "memory_gb")
    caps = rows.floats("gpu", lambda g: float(eff.max_seqs(mem(g))))
    given = ctx.client.options.max_batch_per_replica
    return np.minimum(caps, float(given)) if given else caps


def size_real_time(
    ctx: Context,
    rows: Rows,
    idx: NDArray[np.intp],
    m: serving.StepModel,
    w: serving.Workload,
    fit_: Fit,
    fixed_s: Array,
    peak_rps: Array,
    hidden_tokens: Array,
) -> tuple[Array, Array]:
    """For rows ``idx``: the (batch cap, replicas) with the fewest GPUs meeting every latency
    limit at the peak, among the engine default cap and the method's smaller caps (replicas 0:
    no count meets them)."""
    quantile = float(ctx.method("latency_quantile"))
    top = np.minimum(default_cap(ctx, rows)[idx], np.maximum(fit_.memory_slots[idx], 1.0))
    caps = [top] + [np.full(idx.size, float(c)) for c in ctx.method("batch_caps_per_replica")]
    best_r = np.zeros(idx.size)
    best_cap = top.copy()
    ms, ws = _take_model(m, idx), _take_w(w, idx)
    eng_all = _engine(ctx, rows, fit_, np.zeros(len(rows.cands)))
    limits = _limits(ctx, fixed_s[idx], idx.size, hidden_tokens[idx])
    budget = _subset(eng_all.token_budget, idx)
    kv_cap = _subset(eng_all.kv_capacity_tokens, idx)
    # a smaller cap is worth a search only where it is smaller than the default (and, below,
    # where the default needs more than one replica or none meets the limits). The searches of
    # every (row, cap) pair run as one stacked search: each row's count is the same as in a
    # search of its own (rows do not interact), in a few numpy passes instead of one series of
    # small ones per cap
    caps = [np.minimum(cap, top) for cap in caps]
    todos = [np.arange(idx.size)] + [np.flatnonzero(cap < top) for cap in caps[1:]]
    stack = np.concatenate(todos)
    stacked_cap = np.concatenate([cap[todo] for cap, todo in zip(caps, todos, strict=True)])
    engine = serving.Engine(
        max_seqs=stacked_cap,
        token_budget=budget[stack] if np.ndim(budget) else budget,
        kv_capacity_tokens=kv_cap[stack] if np.ndim(kv_cap) else kv_cap,
    )
    sub = search.LatencyLimits(
        limits.e2e_s[stack],
        limits.ttft_s[stack],
        limits.tpot_s[stack],
        limits.max_utilisation,
        np.asarray(limits.hidden_tokens, dtype=float)[stack]
        if np.ndim(limits.hidden_tokens)
        else limits.hidden_tokens,
    )
    found = search.fewest_replicas(
        _take_model(ms, stack), _take_w(ws, stack), engine, peak_rps[idx][stack], sub, quantile
    )
    start = 0
    for j, (cap, todo) in enumerate(zip(caps, todos, strict=True)):
        r = found[start : start + todo.size]
        start += todo.size
        if j > 0:  # the default's count is kept where it needs a single replica
            keep = best_r[todo] != 1
            todo, r = todo[keep], r[keep]
        better = (r > 0) & ((best_r[todo] == 0) | (r < best_r[todo]))
        best_r[todo] = np.where(better, r, best_r[todo])
        best_cap[todo] = np.where(better, cap[todo], best_cap[todo])
    return best_cap, best_r


def batch_wait_h(ctx: Context, u: Mapping[str, float]) -> float:
    """Worst-case wait of a batch request for its run: requests arrive over the active hours and
    the backlog is processed ``batch_runs_per_day`` times, so the first request of a window waits
    the window (active hours / runs)."""
    return u["active_hours_per_day"] / float(ctx.client.options.batch_runs_per_day)


def batch_run_limit_h(ctx: Context, u: Mapping[str, float]) -> float:
    """Longest a run may take: the turnaround limit minus the wait, or the interval between
    runs when the client gives no turnaround limit."""
    runs = float(ctx.client.options.batch_runs_per_day)
    interval = HOURS_PER_DAY / runs
    cp = ctx.client.critical_performance
    limits = {cp.performance.metric: float(cp.performance.limit), **(cp.extra_limits or {})}
    if "turnaround_h" in limits:
        return min(interval, float(limits["turnaround_h"]) - batch_wait_h(ctx, u))
    return interval


def _hidden_wait(hidden: Array, tpot_s: Array) -> Array:
    """Time the user waits for the reasoning tokens before the first answer token."""
    with np.errstate(invalid="ignore"):
        return np.where(hidden > 0, hidden * tpot_s, 0.0)


# --------------------------------------------------------------------------------------------
# The chain


@dataclass(frozen=True)
class Sizing:
    """The engine settings chosen in the value scenario, kept in the other scenarios."""

    batch_cap: Array
    replicas: Array


SERVING_KEY = (
    "gpu",
    "gpus_per_replica",
    "model",
    "optimisation",
    "kv_cache",
    "rag",
    "reasoning_effort",
    "prompt_caching",
    "deployment_mode",
)
"""What the sizing of a candidate depends on (not its hosting nor its region)."""


def serving_key(c: Candidate) -> tuple[Any, ...]:
    """The ``SERVING_KEY`` fields of a candidate."""
    return tuple(getattr(c, name) for name in SERVING_KEY)


def physics(
    ctx: Context,
    cands: Sequence[Candidate] | Rows,
    scenario: str,
    sizing: Sizing | None = None,
    volume: Array | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The serving columns and the fleet of distinct serving candidates (see ``serving_key``):
    fit, replica model, sizing search, latency, power. ``volume``: each row's traffic as a
    multiple of the client's (break-even curves), 1 by default."""
    rows = Rows.of(cands)
    cands = rows.cands
    n = len(cands)
    vol = np.ones(n) if volume is None else np.asarray(volume, dtype=float)
    u = ctx.usage_at(scenario)
    days = ctx.days_per_month
    fixed = rows.floats("rag", lambda r: workload.fixed_latency_s(ctx, r, scenario))
    keys = ("model", "reasoning_effort", "prompt_caching", "rag")
    distinct, _ = rows.codes(*keys)
    per_key = {
        (m, e, c, r): workload.tokens(ctx, m, e, c, r, scenario, False) for m, e, c, r in distinct
    }
    prompt = rows.floats(keys, lambda k: per_key[k].prompt)
    hidden = np.nan_to_num(rows.floats(keys, lambda k: per_key[k].reasoning))
    answer = rows.floats(keys, lambda k: per_key[k].output)
    out = hidden + answer  # every generated token is a decode step
    w = serving.Workload(
        context_tokens=prompt,
        prefill_tokens=prompt - rows.floats(keys, lambda k: per_key[k].cached),
        output_tokens=out,
        # a usage log's token distributions (defaults without one: 1, 1, 0, 0)
        service_cv2=rows.floats(keys, lambda k: per_key[k].output_cv2),
        prompt_cv2=rows.floats(keys, lambda k: per_key[k].prompt_cv2),
        prompt_extra_q=rows.floats(keys, lambda k: per_key[k].prompt_extra_q),
        output_extra_q=rows.floats(keys, lambda k: per_key[k].output_extra_q),
    )
    fit_ = fit(ctx, rows, w)
    m = replica_model(ctx, rows, fit_.kv_bytes_per_token, scenario)
    unknown = rows.each(keys, lambda k: per_key[k].unknown)
    excluded = [t or e for t, e in zip(unknown, fit_.excluded, strict=True)]
    ok = np.array([e == "" for e in excluded])
    realtime = rows.mask("deployment_mode", "real_time")
    peak = u["peak_requests_per_second"] * vol
    requests_per_day = u["requests_per_day"] * vol
    active_h = u["active_hours_per_day"]
    caps = np.where(ok, np.minimum(default_cap(ctx, rows), np.maximum(fit_.memory_slots, 1)), 1.0)
    replicas = np.zeros(n)
    if sizing is not None:
        caps, replicas = sizing.batch_cap.copy(), sizing.replicas.copy()
    else:
        idx = np.flatnonzero(ok & realtime)
        if idx.size:
            c, r = size_real_time(ctx, rows, idx, m, w, fit_, fixed, peak, hidden)
            caps[idx], replicas[idx] = c, r
    engine = _engine(ctx, rows, fit_, caps)
    curve = serving.load_curve(m, w, engine)  # independent of the rate: computed once
    capacity = curve.capacity_rps
    quantile = float(ctx.method("latency_quantile"))
    # batch mode: replicas so that a run ends within its limit
    backlog = requests_per_day / float(ctx.client.options.batch_runs_per_day)
    run_limit_h = batch_run_limit_h(ctx, u)
    with np.errstate(divide="ignore", invalid="ignore"):
        replica_h_per_run = backlog / capacity / SECONDS_PER_HOUR
    if sizing is None:
        bidx = np.flatnonzero(ok & ~realtime)
        if run_limit_h <= 0:
            for i in bidx:
                excluded[i] = (
                    f"turnaround limit below the {batch_wait_h(ctx, u):.3g} h wait for the next "
                    "run; raise options.batch_runs_per_day"
                )
        else:
            replicas[bidx] = np.maximum(1.0, np.ceil(replica_h_per_run[bidx] / run_limit_h - 1e-9))
    for row in np.flatnonzero(ok & realtime & (replicas == 0)).tolist():
        excluded[row] = (
            f"no replica count meets the latency limits with {cands[row].gpus_per_replica} × "
            f"{cands[row].gpu} per replica (even at near-zero load)"
        )
    valid = np.array([e == "" for e in excluded]) & (replicas > 0)
    r_safe = np.where(valid, replicas, 1.0)
    rate_peak = peak / r_safe
    lat = serving.replica_latency(m, w, engine, rate_peak, quantile, curve)
    rho = serving.utilisation(m, w, engine, rate_peak, curve)
    # energy at the mean load of the active hours (real time) or saturated (batch runs)
    mean_rate = np.where(
        realtime, requests_per_day / (active_h * SECONDS_PER_HOUR) / r_safe, capacity
    )
    at_mean = serving.operating_point(m, w, engine, mean_rate, curve)
    mean_lat = serving.replica_latency(m, w, engine, mean_rate, quantile, curve, at_mean)
    mem_share, cmp_share = serving.step_shares(m, w, engine, mean_rate, curve, at_mean)
    busy = np.where(realtime, mean_lat.busy_share, 1.0)
    eff = ctx.catalog.efficiencies[ctx.engine]
    tdp = rows.floats("gpu", _gpu_figure(ctx.catalog, "tdp_w"))
    idle = rows.floats("gpu", _gpu_figure(ctx.catalog, "idle_w"))
    power = energy_est.gpu_power_from_steps_w(
        tdp,
        idle,
        busy,
        np.nan_to_num(mem_share),
        np.nan_to_num(cmp_share),
        pick(eff.power_fraction_memory_bound, scenario, "low"),
        pick(eff.power_fraction_compute_bound, scenario, "low"),
    )
    tp = rows.tp
    joules = energy_est.joules_per_token(power * tp, mean_rate * out)
    fleet = {
        "tp": tp,
        "replicas": r_safe,
        "realtime": realtime,
        "active_h": active_h,
        "days": days,
        "replica_h_per_day": replica_h_per_run * float(ctx.client.options.batch_runs_per_day),
        "power_w": power,
        "idle_w": idle,
        "min_replicas": ctx.assumption("min_replicas_off_hours", VALUE, "low"),
        "volume": vol,
    }
    wait_h = batch_wait_h(ctx, u)
    run_h = replica_h_per_run / r_safe
    tokens_rep = capacity * out
    nan = np.full(n, math.nan)

    def rt(x: Array) -> Array:
        return np.where(realtime & valid, x, nan)

    columns: dict[str, Any] = {
        "excluded_because": excluded,
        "gpus_per_replica": tp,
        "replicas": np.where(valid, replicas, nan),
        "batch_per_replica": np.where(valid, caps, nan),
        "gpus_total": np.where(valid, replicas * tp, nan),
        "ttft_s": rt(lat.ttft_q_s + _hidden_wait(hidden, lat.tpot_q_s) + fixed),
        "p95_latency_s": rt(lat.e2e_q_s + fixed),
        "tpot_p95_ms": rt(lat.tpot_q_s * 1000.0),
        "turnaround_h": np.where(
            realtime, (lat.e2e_q_s + fixed) / SECONDS_PER_HOUR, wait_h + run_h
        ),
        "peak_utilisation": np.where(realtime & valid, rho, np.where(valid, 1.0, nan)),
        "decode_ms_per_token_batch1": serving.zero_load_tpot_s(m, w) * 1000.0,
        "tokens_per_s_per_replica": tokens_rep,
        "max_tokens_per_s_per_gpu": tokens_rep / tp,
        "utilisation": np.where(realtime, busy, 1.0),
        "gpu_joules_per_output_token": np.where(valid, joules, nan),
        "generated_tokens": out,
    }
    return columns, fleet


def _take_fleet(fleet: Mapping[str, Any], idx: NDArray[np.intp]) -> dict[str, Any]:
    """The fleet of rows ``idx`` (scalars apply to every row)."""
    return {k: v[idx] if isinstance(v, np.ndarray) and v.ndim else v for k, v in fleet.items()}


def evaluate(
    ctx: Context,
    cands: Sequence[Candidate] | Rows,
    scenario: str,
    sizing: Sizing | None = None,
    volume: Array | None = None,
) -> dict[str, Any]:
    """Every column of the self-hosted rows at the scenario (USD). Rows ruled out by the fit or
    the search keep ``excluded_because`` and NaN figures. The sizing runs once per distinct
    serving candidate (hosting and region only change the bill)."""

    rows = Rows.of(cands)
    cands = rows.cands
    n = len(cands)
    vol = np.ones(n) if volume is None else np.asarray(volume, dtype=float)
    if volume is None:
        _, index = rows.codes(*SERVING_KEY)
    else:
        keys = [(*serving_key(c), float(v)) for c, v in zip(cands, vol, strict=True)]
        _, index = distinct_codes(keys)
    # the first row of each distinct serving candidate (codes number them in that order)
    reps = np.unique(index, return_index=True)[1].tolist()
    sizing_u = None
    if sizing is not None:
        sizing_u = Sizing(sizing.batch_cap[reps], sizing.replicas[reps])
    phys_u, fleet_u = physics(ctx, rows.take(reps), scenario, sizing_u, vol[reps])

    def expand(v: Any) -> Any:
        if isinstance(v, list):
            return [v[j] for j in index]
        if isinstance(v, np.ndarray) and v.ndim:
            return v[index]
        return v

    phys_cols = {k: expand(v) for k, v in phys_u.items()}
    fleet = {k: expand(v) for k, v in fleet_u.items()}
    u = ctx.usage_at(scenario)
    days = ctx.days_per_month
    out = phys_cols.pop("generated_tokens")
    valid = np.array([e == "" for e in phys_cols["excluded_because"]]) & (
        ~np.isnan(phys_cols["replicas"])
    )
    nan = np.full(n, math.nan)
    bills: dict[str, Array] = {}
    for name, hosting in SELF_HOSTED.items():
        sel = np.flatnonzero(rows.mask("hosting", name))
        if sel.size:
            # each hosting type bills its own rows
            sub = rows.take(sel.tolist())
            part = hosting.bill(ctx, sub, _take_fleet(fleet, sel), scenario)
            for k, v in part.items():
                prev = bills.get(k, np.full(n, math.nan))
                filled = prev.astype(np.result_type(v, prev))
                filled[sel] = v
                bills[k] = filled
    acc = rows.each(
        ("hosting", "model", "optimisation", "rag", "output_format", "reasoning_effort"),
        lambda k: precision.accuracy(ctx, k[0], k[1], k[2], k[3], k[4], scenario, k[5]),
    )
    requests_month = u["requests_per_day"] * vol * days
    columns: dict[str, Any] = {
        **phys_cols,
        "accuracy": np.array([a for a, _ in acc]),
        "accuracy_source": [s for _, s in acc],
        "cost_api": np.zeros(n),
        **bills,
    }
    kwh = columns["energy_kwh_per_month"]
    columns["wh_per_1k_output_tokens"] = energy_est.wh_per_1k_output_tokens(
        kwh, out * requests_month
    )
    for col in ("replicas", "gpus_total", "servers", "serving_replicas"):
        if col in columns:
            columns[col] = np.where(valid, columns[col], nan)
    return columns
