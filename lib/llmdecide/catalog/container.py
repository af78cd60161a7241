"""The :class:`Catalog` container: the record kinds (which class validates each, which records
are required) and the lookups that name the file and suggest a close name when one is missing."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from llmdecide.catalog.hardware import Efficiency, Gpu, OnPremOffer
from llmdecide.catalog.method import Assumption, MethodSettings, PrecisionDelta, Quantisation
from llmdecide.catalog.models import ApiModel, OpenModel
from llmdecide.catalog.offers import CloudOffer, CurrencyRate, Region
from llmdecide.catalog.records import BaseRecord
from llmdecide.errors import CatalogError, Problem, did_you_mean

_KEYED: dict[str, type[BaseRecord]] = {
    "gpus": Gpu,
    "open_models": OpenModel,
    "api_models": ApiModel,
    "on_premise": OnPremOffer,
    "regions": Region,
    "efficiencies": Efficiency,
    "precision_deltas": PrecisionDelta,
    "quantisations": Quantisation,
    "currency_rates": CurrencyRate,
    "assumptions": Assumption,
}
KINDS: tuple[str, ...] = (*_KEYED, "cloud_offers", "method")

REQUIRED: dict[str, tuple[str, ...]] = {
    "quantisations": ("fp16", "int8", "int4"),
    "precision_deltas": ("int8", "int4", "fp8", "rag", "user_uploads", "structured", "multimodal"),
    "currency_rates": ("USD", "EUR"),
    "efficiencies": ("vllm",),
    "assumptions": (
        "network_rtt_s",
        "rag_chunks",
        "rag_tokens_per_chunk",
        "retrieval_latency_s",
        "vector_store_usd_per_gb_month",
        "embedding_usd_per_million_tokens",
        "pue_default",
        "hours_per_month",
        "kv_memory_headroom",
        "queueing_factor",
        "setup_cost_self_hosted_usd",
        "setup_cost_api_usd",
        "api_batch_window_h",
        "contract_intensity_g_per_kwh",
        "api_ttft_s",
        "api_output_tokens_per_s",
        "tokens_per_gb_documents",
        "min_replicas_off_hours",
        "api_prompt_cache_hit_rate",
        "prefix_cache_hit_rate",
    ),
}


@dataclass(frozen=True, eq=False)
class Catalog:
    """All catalog records; dicts keyed by name (treat them as read-only: the object is cached)."""

    gpus: dict[str, Gpu]
    open_models: dict[str, OpenModel]
    api_models: dict[str, ApiModel]
    cloud_offers: list[CloudOffer]
    on_premise: dict[str, OnPremOffer]
    regions: dict[str, Region]
    efficiencies: dict[str, Efficiency]
    precision_deltas: dict[str, PrecisionDelta]
    quantisations: dict[str, Quantisation]
    currency_rates: dict[str, CurrencyRate]
    assumptions: dict[str, Assumption]
    method: dict[str, Any]
    method_record: MethodSettings
    folder: Path
    sha256: str
    files: dict[str, str] = field(default_factory=dict)  # kind -> file name

    # -- lookups ------------------------------------------------------------------------------

    def _lookup(self, kind: str, name: str, what: str = "") -> Any:
        table: dict[str, Any] = getattr(self, kind)
        if name in table:
            return table[name]
        lowered = {k.lower(): k for k in table}
        hint = (
            f" Did you mean {lowered[name.lower()]}?"
            if name.lower() in lowered
            else did_you_mean(name, table)
        )
        raise CatalogError(
            Problem(
                self._file(kind),
                f"{kind}.{name}",
                f"{name!r} is not in the catalog{what}.{hint} Known: {', '.join(table)}.",
            )
        )

    def _file(self, kind: str) -> str:
        return _display(self.folder / self.files.get(kind, f"{kind}.yaml"))

    def assumption(self, name: str) -> Assumption:
        return self._lookup("assumptions", name, " of assumptions")

    def gpu(self, name: str) -> Gpu:
        return self._lookup("gpus", name, " of GPUs")

    def open_model(self, name: str) -> OpenModel:
        return self._lookup("open_models", name, " of open models")

    def api_model(self, name: str) -> ApiModel:
        return self._lookup("api_models", name, " of API models")

    def region(self, iso3: str) -> Region:
        return self._lookup("regions", iso3, " of regions")

    def on_premise_offer(self, gpu: str) -> OnPremOffer:
        return self._lookup("on_premise", gpu, " of on-premise offers")

    def efficiency(self, engine: str = "vllm") -> Efficiency:
        return self._lookup("efficiencies", engine, " of efficiencies")

    def precision_delta(self, name: str) -> PrecisionDelta:
        return self._lookup("precision_deltas", name, " of precision deltas")

    def quantisation(self, name: str) -> Quantisation:
        return self._lookup("quantisations", name, " of quantisations")

    def offers_for(self, gpu: str, region: str) -> list[CloudOffer]:
        """Cloud offers of ``gpu`` usable in ``region`` (ISO-3), cheapest first.

        Prices are as published (not multiplied by the region's ``cloud_price_factor``).
        """
        found = [
            o for o in self.cloud_offers if o.gpu == gpu and (not o.regions or region in o.regions)
        ]
        return sorted(found, key=lambda o: (o.price_per_gpu_hour_usd, o.provider))

    def usd_per(self, currency: str) -> float:
        """US dollars per one unit of ``currency`` (ECB reference rate)."""
        return self._lookup("currency_rates", currency.upper(), " of currency rates").usd_per_unit

    def pue(self, iso3: str) -> float:
        """The region's PUE, or the catalog default (``pue_default``)."""
        region = self.region(iso3)
        if region.pue is not None:
            return region.pue
        return self.assumption("pue_default").value.value

    def records(self) -> list[tuple[str, str, BaseRecord]]:
        """(kind, name, record) for every record, in catalog order (for the sources appendix)."""
        out: list[tuple[str, str, BaseRecord]] = []
        for kind in _KEYED:
            out.extend((kind, name, rec) for name, rec in getattr(self, kind).items())
        out.extend(("cloud_offers", _offer_name(o), o) for o in self.cloud_offers)
        out.append(("method", "method", self.method_record))
        return out


def _offer_name(offer: CloudOffer) -> str:
    """``provider instance (regions)``: one price per region set, so the regions tell apart
    the records of one instance sold at different regional prices."""
    base = f"{offer.provider} {offer.instance or offer.gpu}"
    return f"{base} ({', '.join(offer.regions)})" if offer.regions else base


def _display(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
