"""Money of retrieval augmentation: the vector store and query embeddings, documents at set-up."""

from __future__ import annotations

from collections.abc import Mapping

from llmdecide.estimators import cost
from llmdecide.evaluation.context import Context


def rag_costs_usd(
    ctx: Context, rag: str, usage: Mapping[str, float], scenario: str
) -> tuple[float, float]:
    """(monthly, set-up) cost of retrieval: the vector store and query embeddings each month,
    embedding the documents once at set-up."""
    if rag != "rag":
        return 0.0, 0.0
    docs_gb = float(ctx.client.options.documents_gb)
    embed_price = ctx.assumption("embedding_usd_per_million_tokens", scenario, "low")
    monthly = cost.vector_store_usd_per_month(
        docs_gb, ctx.assumption("vector_store_usd_per_gb_month", scenario, "low")
    ) + cost.embedding_usd(
        usage["requests_per_day"] * ctx.days_per_month * usage["input_tokens"], embed_price
    )
    setup = cost.embedding_usd(
        docs_gb * ctx.assumption("tokens_per_gb_documents", scenario, "low"), embed_price
    )
    return monthly, setup
