"""What the catalog holds and whether it still holds up (``llmdecide catalog list|show|check``).

Pure functions over a loaded :class:`~llmdecide.catalog.Catalog` (plus the pinned genai-prices
and EcoLogits packages, read offline from their bundled data); the CLI only prints them.

``check`` looks for three kinds of problems (docs/catalog.md):

- **stale** records: ``retrieved`` more than ``method.stale_after_months`` calendar months before
  the run date (prices and model line-ups move within a year);
- **unresolved** API ids: an ``api_models`` record whose ``genai_prices_id`` (with its
  ``provider``) or ``ecologits_id`` (with its ``ecologits_provider``) the pinned packages do not
  know — its cost or its footprint would be missing;
- **inconsistent** figures: fp8 (or fp4, int8) throughput below bf16 (a data-sheet figure read
  in the wrong column), a lower-precision figure at exactly twice the expected dense ratio to
  bf16 (a sparse figure: the data sheets print "with sparsity" numbers twice the dense ones),
  commitment prices above the on-demand price of the same offer, ``low > high`` never happens
  (the loader refuses it).
"""

from __future__ import annotations

import calendar
import difflib
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from llmdecide.catalog.container import Catalog
from llmdecide.catalog.models import ApiModel
from llmdecide.catalog.records import BaseRecord

DENSE_RATIO: dict[str, float] = {"fp8_tflops": 2.0, "int8_tops": 2.0, "fp4_tflops": 4.0}
"""Dense throughput of a precision relative to bf16 on tensor cores that have it: half the bits,
twice the operations per cycle (NVIDIA Hopper/Blackwell and AMD CDNA 3 data sheets). A figure at
exactly twice this ratio is the 2:4 structured-sparsity figure."""
SPARSE_TOLERANCE = 0.02
"""Relative tolerance when comparing a ratio with twice the dense one (data sheets round)."""


@dataclass(frozen=True)
class Finding:
    """One problem found by :func:`check`: where it is, what kind, what to do."""

    kind: str  # "stale" | "unresolved" | "inconsistent"
    file: str
    key_path: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.key_path}: {self.message}"


# --------------------------------------------------------------------------------------------
# Dates


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months, the day clamped to the month's length
    (2026-01-31 + 1 month = 2026-02-28)."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def is_stale(retrieved: date, on: date, stale_after_months: int) -> bool:
    """A record read on ``retrieved`` is stale on ``on`` when more than ``stale_after_months``
    calendar months separate them (read 2025-11-30, 12 months: stale from 2026-12-01)."""
    return on > add_months(retrieved, stale_after_months)


def stale_after(catalog: Catalog) -> int:
    return int(getattr(catalog.method_record, "stale_after_months", 12))


# --------------------------------------------------------------------------------------------
# What the catalog holds


def catalog_file(catalog: Catalog, kind: str) -> str:
    """The file that holds ``kind``, as messages show it (relative to the working folder)."""
    return catalog._file(kind)


def record_key(kind: str, name: str) -> str:
    return f"{kind}.{name}" if kind != "method" else "method"


def inventory(catalog: Catalog, on: date) -> list[dict[str, Any]]:
    """One row per record: kind, name, retrieved, stale (at ``on``), file, source."""
    months = stale_after(catalog)
    return [
        {
            "kind": kind,
            "name": name,
            "retrieved": rec.retrieved,
            "stale": is_stale(rec.retrieved, on, months),
            "file": catalog_file(catalog, kind),
            "source": rec.source,
        }
        for kind, name, rec in catalog.records()
    ]


def summary(catalog: Catalog, on: date) -> list[dict[str, Any]]:
    """Per kind: how many records, the oldest and newest ``retrieved``, how many are stale."""
    rows: dict[str, dict[str, Any]] = {}
    for row in inventory(catalog, on):
        entry = rows.setdefault(
            row["kind"],
            {
                "kind": row["kind"],
                "records": 0,
                "oldest": row["retrieved"],
                "newest": row["retrieved"],
            },
        )
        entry["records"] += 1
        entry["oldest"] = min(entry["oldest"], row["retrieved"])
        entry["newest"] = max(entry["newest"], row["retrieved"])
        entry["stale"] = entry.get("stale", 0) + int(row["stale"])
    return list(rows.values())


def find(catalog: Catalog, name: str) -> list[tuple[str, str, BaseRecord]]:
    """Every record called ``name`` (a GPU and its on-premise offer share a name), exact match
    first, else case-insensitive; cloud offers also match by provider or instance."""
    records = catalog.records()
    exact = [r for r in records if r[1] == name]
    if exact:
        return exact
    lowered = name.lower()
    matches = [r for r in records if r[1].lower() == lowered]
    if matches:
        return matches
    # "aws p5.48xlarge": every region's record of that instance (names end in "(regions)")
    return [r for r in records if r[0] == "cloud_offers" and _offer_base(r[2]).lower() == lowered]


def _offer_base(offer: BaseRecord) -> str:
    return f"{getattr(offer, 'provider', '')} {getattr(offer, 'instance', None) or getattr(offer, 'gpu', '')}"


def suggestions(catalog: Catalog, name: str) -> list[str]:
    names = sorted({n for _, n, _ in catalog.records()})
    return difflib.get_close_matches(name, names, n=3, cutoff=0.6)


def fields(record: BaseRecord) -> dict[str, Any]:
    """The record's fields as plain data (Ranges as ``{value, low, high}``), source fields last."""
    data = record.model_dump(mode="json", exclude_none=False)
    tail: dict[str, Any] = {k: data.pop(k) for k in ("source", "retrieved", "note") if k in data}
    return {**data, **tail}


# --------------------------------------------------------------------------------------------
# What the pinned libraries say


def _price_number(value: Any) -> float | None:
    """A genai-prices price (per Mtok): a number, or tiered prices (their base tier)."""
    if value is None:
        return None
    value = getattr(value, "base", value)  # TieredPrices: the first tier
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


@lru_cache(maxsize=512)
def genai_prices_view(model_ref: str, provider_id: str, as_of: datetime) -> dict[str, Any] | None:
    """genai-prices' record of an API model at ``as_of``: its id, name, context window and the
    prices in USD per million tokens (input, output, cache read, cache write); None when the
    pinned package does not resolve the id."""
    # genai-prices (~1 s to import): only the check of its snapshot needs it
    from genai_prices import data_snapshot

    try:
        provider, model = data_snapshot.get_snapshot().find_provider_model(
            model_ref, None, provider_id, None
        )
    except LookupError:
        return None
    prices = model.get_prices(as_of)
    return {
        "provider": provider.id,
        "id": model.id,
        "name": model.name,
        "context_window": model.context_window,
        "input_usd_per_mtok": _price_number(getattr(prices, "input_mtok", None)),
        "output_usd_per_mtok": _price_number(getattr(prices, "output_mtok", None)),
        "cache_read_usd_per_mtok": _price_number(getattr(prices, "cache_read_mtok", None)),
        "cache_write_usd_per_mtok": _price_number(getattr(prices, "cache_write_mtok", None)),
    }


@lru_cache(maxsize=512)
def ecologits_view(provider: str, model_name: str) -> dict[str, Any] | None:
    """EcoLogits' record of an API model: architecture (dense / MoE, parameters in billions),
    deployment TTFT (s) and output speed (tokens/s); None when the pinned package does not know
    the model."""
    # ecologits (~0.8 s to import): only the check of its model repository needs it
    from ecologits.model_repository import models

    found = models.find_model(provider=provider, model_name=model_name)
    if found is None:
        return None
    arch = found.architecture
    parameters = getattr(arch, "parameters", None)

    def billions(value: Any) -> Any:
        if value is None:
            return None
        low = getattr(value, "min", None)
        if low is not None:
            return {"min": float(low), "max": float(value.max)}
        return float(value)

    deployment = found.deployment
    return {
        "architecture": getattr(getattr(arch, "type", None), "value", None),
        "parameters_b": billions(getattr(parameters, "total", parameters)),
        "active_parameters_b": billions(getattr(parameters, "active", None)),
        "ttft_s": None if deployment is None or deployment.ttft is None else float(deployment.ttft),
        "output_tokens_per_s": None
        if deployment is None or deployment.tps is None
        else float(deployment.tps),
        "warnings": sorted({w.code for w in (found.warnings or [])}),
    }


def libraries_view(catalog: Catalog, record: ApiModel) -> dict[str, Any]:
    """What genai-prices and EcoLogits (pinned) say about an API model record."""
    as_of = catalog.method.get("prices_as_of")
    when = as_of if isinstance(as_of, datetime) else datetime.fromisoformat(str(as_of))
    return {
        "genai_prices": genai_prices_view(str(record.genai_prices_id), record.provider, when),
        "ecologits": ecologits_view(record.ecologits_provider, str(record.ecologits_id)),
    }


# --------------------------------------------------------------------------------------------
# Checks


def _close(a: float, b: float, tolerance: float) -> bool:
    return math.isclose(a, b, rel_tol=tolerance)


def gpu_findings(name: str, gpu: Any, file: str) -> Iterable[Finding]:
    """fp8/int8/fp4 below bf16, or at exactly twice the dense ratio to bf16 (a sparse figure)."""
    bf16 = float(gpu.bf16_tflops)
    for column, ratio in DENSE_RATIO.items():
        raw = getattr(gpu, column, None)
        if raw is None:
            continue
        value = float(raw)
        where = f"gpus.{name}.{column}"
        if value < bf16:
            yield Finding(
                "inconsistent",
                file,
                where,
                f"{value:g} is below bf16_tflops {bf16:g}: a lower precision computes at least "
                "as fast on tensor cores that support it; check the data-sheet column (or set "
                "null when the GPU has no such tensor cores)",
            )
        elif _close(value / bf16, 2 * ratio, SPARSE_TOLERANCE):
            yield Finding(
                "inconsistent",
                file,
                where,
                f"{value:g} is {value / bf16:g}× bf16_tflops {bf16:g}, twice the dense ratio "
                f"({ratio:g}×): this looks like the 2:4 sparsity figure; use the dense one "
                f"(about {bf16 * ratio:g})",
            )


def offer_findings(index: int, offer: Any, file: str) -> Iterable[Finding]:
    """A 1-year or 3-year commitment price above the on-demand price, or 3-year above 1-year."""
    on_demand = float(offer.price_per_gpu_hour_usd)
    one = getattr(offer, "price_per_gpu_hour_usd_1y", None)
    three = getattr(offer, "price_per_gpu_hour_usd_3y", None)
    for column, price in (("price_per_gpu_hour_usd_1y", one), ("price_per_gpu_hour_usd_3y", three)):
        if price is not None and float(price) > on_demand:
            yield Finding(
                "inconsistent",
                file,
                f"cloud_offers[{index}].{column}",
                f"{float(price):g} USD is above the on-demand price {on_demand:g}: a commitment "
                "costs less per GPU-hour; check the price page (per GPU, not per instance?)",
            )
    if one is not None and three is not None and float(three) > float(one):
        yield Finding(
            "inconsistent",
            file,
            f"cloud_offers[{index}].price_per_gpu_hour_usd_3y",
            f"{float(three):g} USD is above the 1-year price {float(one):g}: a longer "
            "commitment costs less; check the two columns",
        )


def api_findings(catalog: Catalog, name: str, record: ApiModel, file: str) -> Iterable[Finding]:
    """API ids the pinned libraries do not resolve."""
    view = libraries_view(catalog, record)
    if view["genai_prices"] is None:
        yield Finding(
            "unresolved",
            file,
            f"api_models.{name}.genai_prices_id",
            f"genai-prices does not know {record.provider}/{record.genai_prices_id}: no price "
            "for this model; fix the id (see its data in genai_prices' data snapshot) or upgrade "
            "genai-prices",
        )
    if view["ecologits"] is None:
        yield Finding(
            "unresolved",
            file,
            f"api_models.{name}.ecologits_id",
            f"EcoLogits does not know {record.ecologits_provider}/{record.ecologits_id}: no "
            "footprint for this model; fix the id (ecologits.model_repository.models."
            "find_model) or upgrade EcoLogits",
        )


def check(catalog: Catalog, on: date) -> list[Finding]:
    """Every problem of the catalog at date ``on``: stale, unresolved, inconsistent records."""
    out: list[Finding] = []
    months = stale_after(catalog)
    keyed = [(k, n, r) for k, n, r in catalog.records() if k != "cloud_offers"]
    offers = [("cloud_offers", f"[{i}]", o) for i, o in enumerate(catalog.cloud_offers)]
    for kind, name, rec in [*keyed, *offers]:
        if is_stale(rec.retrieved, on, months):
            key = f"cloud_offers{name}" if kind == "cloud_offers" else record_key(kind, name)
            out.append(
                Finding(
                    "stale",
                    catalog_file(catalog, kind),
                    f"{key}.retrieved",
                    f"retrieved {rec.retrieved.isoformat()}, more than {months} months before "
                    f"{on.isoformat()}: read the source again and update the figures and the "
                    "date",
                )
            )
    gpus_file = catalog_file(catalog, "gpus")
    for name, gpu in catalog.gpus.items():
        out.extend(gpu_findings(name, gpu, gpus_file))
    offers_file = catalog_file(catalog, "cloud_offers")
    for i, offer in enumerate(catalog.cloud_offers):
        out.extend(offer_findings(i, offer, offers_file))
    api_file = catalog_file(catalog, "api_models")
    for name, record in catalog.api_models.items():
        out.extend(api_findings(catalog, name, record, api_file))
    return out


def stale_flags(
    sources: Iterable[Mapping[str, Any]], on: date, stale_after_months: int
) -> list[dict[str, Any]]:
    """The sources appendix rows with ``stale`` (bool) added, at the run date ``on``."""
    out = []
    for row in sources:
        retrieved = row["retrieved"]
        day = retrieved if isinstance(retrieved, date) else date.fromisoformat(str(retrieved))
        out.append({**row, "stale": is_stale(day, on, stale_after_months)})
    return out
