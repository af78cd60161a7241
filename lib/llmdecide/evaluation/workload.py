"""Tokens and fixed latency of one request of a configuration: retrieval adds prompt tokens, a
cached prefix skips prefill (or is billed at cache prices), reasoning adds hidden output tokens
generated before the answer."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from llmdecide.evaluation.context import Context, pick


def rag_tokens(ctx: Context, rag: str, scenario: str) -> float:
    """Retrieved passages × tokens per passage (client settings, else catalog assumptions)."""
    if rag != "rag":
        return 0.0
    o = ctx.client.options
    chunks = o.rag_chunks if o.rag_chunks else ctx.assumption("rag_chunks", scenario, "low")
    per_chunk = (
        o.rag_tokens_per_chunk
        if o.rag_tokens_per_chunk
        else ctx.assumption("rag_tokens_per_chunk", scenario, "low")
    )
    return float(chunks) * float(per_chunk)


def fixed_latency_s(ctx: Context, rag: str, scenario: str) -> float:
    """Network round trip, plus the retrieval step with RAG."""
    fixed = ctx.assumption("network_rtt_s", scenario, "low")
    if rag == "rag":
        fixed += ctx.assumption("retrieval_latency_s", scenario, "low")
    return fixed


@dataclass(frozen=True)
class Tokens:
    """One request on average. ``prompt``: input + retrieval; ``cached``: prompt tokens served
    from a cache (not prefilled; billed at the cache-read price by an API); ``reasoning``: hidden
    tokens generated before the answer (billed as output); ``output``: the answer; ``unknown``:
    why the request cannot be costed (a reasoning effort with no published token figure).

    From a usage log only (else the defaults: every request at the mean, exponential-like
    spread): ``prompt_extra_q`` / ``output_extra_q``, the tokens the p95 request has beyond the
    mean (p95 − mean, ≥ 0); ``prompt_cv2`` / ``output_cv2``, the squared coefficients of
    variation of the log's input and output tokens (docs/method.md §3.1)."""

    prompt: float
    cached: float
    reasoning: float
    output: float
    unknown: str = ""
    prompt_extra_q: float = 0.0
    output_extra_q: float = 0.0
    prompt_cv2: float = 1.0
    output_cv2: float = 1.0

    @property
    def generated(self) -> float:
        return self.reasoning + self.output

    @property
    def context(self) -> float:
        """Tokens the context window must hold: prompt + reasoning + answer."""
        return self.prompt + self.reasoning + self.output


def reasoning_tokens(ctx: Context, model: str, effort: str, scenario: str) -> float | None:
    """Hidden reasoning tokens per request at ``effort`` (None: unknown — no published figure);
    0 for a model that does not reason or the ``none`` effort."""
    record: Any = ctx.catalog.open_models.get(model) or ctx.catalog.api_models[model]
    if not getattr(record, "reasoning", False) or not effort or effort == "none":
        return 0.0
    getter = getattr(record, "reasoning_tokens_for", None)
    r = getter(effort) if getter is not None else (record.reasoning_tokens or {}).get(effort)
    return None if r is None else pick(r, scenario, "low")


def tokens(
    ctx: Context, model: str, effort: str, caching: str, rag: str, scenario: str, api: bool
) -> Tokens:
    """The tokens of one request of a configuration at the scenario."""
    u = ctx.usage_at(scenario)
    prompt = u["input_tokens"] + rag_tokens(ctx, rag, scenario)
    cached = 0.0
    if caching == "on":
        key = "api_prompt_cache_hit_rate" if api else "prefix_cache_hit_rate"
        # the prefix is a share of the prompt: it scales with the prompt's uncertainty
        prefix = float(ctx.client.usage.cached_prefix_tokens)
        prefix *= u["input_tokens"] / max(float(ctx.usage["input_tokens"]), 1.0)
        cached = prefix * ctx.assumption(key, scenario, "high")
    r = reasoning_tokens(ctx, model, effort, scenario)
    unknown = ""
    if r is None:
        unknown = (
            f"{model} at {effort} reasoning effort: reasoning tokens per request unknown (no "
            "published figure); measure them in a pilot"
        )
        r = math.nan
    prefilled = max(prompt - cached, 1.0)
    generated = (0.0 if math.isnan(r) else r) + u["output_tokens"]
    return Tokens(
        prompt, cached, r, u["output_tokens"], unknown, *token_spread(u, prefilled, generated)
    )


def token_spread(
    u: dict[str, float], prefilled: float, generated: float
) -> tuple[float, float, float, float]:
    """(prompt extra, output extra, prompt cv², output cv²) of ``Tokens`` from a scenario's
    usage, where a usage log gave its distributions; else (0, 0, 1, 1).

    Extra = the p95 beyond the mean (0 when the log's p95 is below its mean: the mean request is
    then the longer one). cv² of what is prefilled (input + retrieval − cached) and generated
    (reasoning + answer): the added parts are the same for every request, so the variance is the
    log's and the mean grows: cv² × (log mean / mean)²."""
    if "input_tokens_cv2" not in u:
        return 0.0, 0.0, 1.0, 1.0
    mean_in, mean_out = u["input_tokens"], u["output_tokens"]
    extra_in = max(u.get("input_tokens_p95", mean_in) - mean_in, 0.0)
    extra_out = max(u.get("output_tokens_p95", mean_out) - mean_out, 0.0)
    cv2_in = u["input_tokens_cv2"] * (mean_in / prefilled) ** 2
    cv2_out = u.get("output_tokens_cv2", 1.0) * (mean_out / max(generated, 1.0)) ** 2
    return extra_in, extra_out, cv2_in, cv2_out


def context_problem(ctx: Context, model: str, t: Tokens) -> str:
    """Why a request does not fit the model's context window ("" when it does)."""
    record: Any = ctx.catalog.open_models.get(model) or ctx.catalog.api_models[model]
    window = getattr(record, "context_tokens", None)
    need = t.prompt + (0.0 if math.isnan(t.reasoning) else t.reasoning) + t.output
    if window and need > window:
        return f"{model} context of {int(window)} tokens < {need:.0f} needed"
    return ""
