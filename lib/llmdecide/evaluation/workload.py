"""Tokens and fixed latency of one request of a configuration (retrieval adds prompt tokens)."""

from __future__ import annotations

from llmdecide.evaluation.context import Context


def rag_tokens(ctx: Context, rag: str, scenario: str) -> float:
    """Retrieved passages × tokens per passage (client settings, else catalog assumptions)."""
    if rag != "rag":
        return 0.0
    return ctx.assumption("rag_chunks", scenario, "low") * ctx.assumption(
        "rag_tokens_per_chunk", scenario, "low"
    )


def fixed_latency_s(ctx: Context, rag: str, scenario: str) -> float:
    """Network round trip, plus the retrieval step with RAG."""
    fixed = ctx.assumption("network_rtt_s", scenario, "low")
    if rag == "rag":
        fixed += ctx.assumption("retrieval_latency_s", scenario, "low")
    return fixed
