"""The configuration space of the six technical choices: ``space(client, catalog)`` enumerates
the candidates (catalog × the client's options, with the tensor-parallel degree and the KV-cache
precision as choices) and the options excluded by a constraint, each with its reason.

``configurations`` evaluates them (and re-exports ``Candidate`` and ``space`` as its public API).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from llmdecide.columns import HOSTINGS, SELF_HOSTED
from llmdecide.evaluation import step

if TYPE_CHECKING:
    from llmdecide.catalog import Catalog
    from llmdecide.params import ClientParams

TP_DEGREES = (1, 2, 4, 8)


@dataclass(frozen=True)
class Candidate:
    """One point of the space, before sizing (the search decides the batch cap and replicas)."""

    hosting: str
    region: str
    gpu: str
    gpus_per_replica: int
    model: str
    optimisation: str
    kv_cache: str
    rag: str
    output_format: str
    deployment_mode: str
    reasoning_effort: str = ""
    prompt_caching: str = ""

    @classmethod
    def of(cls, row: Mapping[str, Any]) -> Candidate:
        """The candidate a configuration row was evaluated from (n/a cells: empty or NaN)."""

        def text(key: str) -> str:
            v = row.get(key)
            return "" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)

        gpr = row.get("gpus_per_replica")
        degree = 0 if gpr is None or gpr != gpr else int(gpr)
        return cls(
            text("hosting"),
            text("region"),
            text("gpu"),
            degree,
            text("model"),
            text("optimisation"),
            text("kv_cache"),
            text("rag"),
            text("output_format"),
            text("deployment_mode"),
            text("reasoning_effort"),
            text("prompt_caching"),
        )

    @property
    def config_id(self) -> str:
        own = self.hosting != "api"
        return "|".join(
            (
                self.hosting,
                self.region or "-",
                self.gpu or "-",
                f"tp{self.gpus_per_replica}" if own else "-",
                self.model,
                self.optimisation or "-",
                f"kv-{self.kv_cache}" if own else "-",
                self.rag,
                self.output_format,
                self.deployment_mode,
                f"effort-{self.reasoning_effort}" if self.reasoning_effort else "-",
                f"cache-{self.prompt_caching}" if self.prompt_caching else "-",
            )
        )


@dataclass
class Space:
    candidates: list[Candidate]
    excluded: list[dict[str, str]] = field(default_factory=list)

    def exclude(self, choice: str, option: str, reason: str) -> None:
        entry = {"choice": choice, "option": option, "reason": reason}
        if entry not in self.excluded:
            self.excluded.append(entry)


def _options(given: Sequence[Any] | None, every: Iterable[Any]) -> list[Any]:
    return list(given) if given else list(every)


@dataclass(frozen=True)
class _Options:
    """The client's options resolved against the catalog (every catalog entry when not given)."""

    open_models: list[str]
    api_models: list[str]
    gpus: list[str]
    optimisations: list[str]
    rags: list[str]
    formats: list[str]
    modes: list[str]
    degrees: list[int]
    kv_caches: list[str]
    regions: list[str]
    cachings: list[str]


def _resolve(client: ClientParams, catalog: Catalog) -> _Options:
    o = client.options
    models = _options(o.models, [*catalog.open_models, *catalog.api_models])
    return _Options(
        open_models=[m for m in models if m in catalog.open_models],
        api_models=[m for m in models if m in catalog.api_models and m not in catalog.open_models],
        gpus=_options(o.gpus, catalog.gpus),
        optimisations=_options(o.optimisation, catalog.quantisations),
        rags=_options(o.rag, ("none", "rag")),
        formats=_options(o.output_format, ("text",)),
        modes=_options(o.deployment_mode, ("real_time", "batch")),
        degrees=_options(o.gpus_per_replica, TP_DEGREES),
        kv_caches=_options(o.kv_cache, ("fp16",)),
        regions=list(client.constraints.regions),
        cachings=_cachings(client),
    )


def space(client: ClientParams, catalog: Catalog) -> Space:
    """Enumerate the candidates: the client's options (or every catalog entry), minus what a
    constraint or the catalog rules out (each exclusion kept with its reason). Self-hosted
    candidates come at every tensor-parallel degree one server of the GPU holds (or the client's
    ``options.gpus_per_replica``) and every KV-cache precision the GPU stores."""
    result = Space([])
    hostings = _hostings(client, result)
    opts = _resolve(client, catalog)
    if "api" in hostings:
        result.candidates.extend(_api_candidates(client, catalog, opts, result))
    for hosting in (h for h in hostings if h in SELF_HOSTED):
        result.candidates.extend(_self_hosted(hosting, client, catalog, opts, result))
    return result


def _hostings(client: ClientParams, result: Space) -> list[str]:
    """``client.allowed_hostings`` (the one rule); an API asked for (or implied by no
    ``options.hosting``) but left out under confidential data is recorded with its reason."""
    allowed: list[str] = list(client.allowed_hostings)
    if "api" in (client.options.hosting or HOSTINGS) and "api" not in allowed:
        result.exclude("hosting", "api", "confidential data: third-party APIs are excluded")
    return allowed


def _api_candidates(
    client: ClientParams, catalog: Catalog, opts: _Options, result: Space
) -> list[Candidate]:
    if not opts.api_models:
        result.exclude("hosting", "api", "no API model among the candidate models")
    return [
        Candidate("api", "", "", 0, model, "", "", rag, fmt, mode, effort, cache)
        for model in opts.api_models
        for effort, cache, rag, fmt, mode in itertools.product(
            _efforts(client, catalog, model, result),
            opts.cachings,
            opts.rags,
            opts.formats,
            opts.modes,
        )
    ]


def _self_hosted(
    hosting: str, client: ClientParams, catalog: Catalog, opts: _Options, result: Space
) -> list[Candidate]:
    """The candidates of one self-hosted type: every region × GPU the catalog offers it on."""
    if not opts.open_models:
        result.exclude("hosting", hosting, "no open model among the candidate models")
        return []
    out: list[Candidate] = []
    for region in opts.regions:
        for gpu in opts.gpus:
            if _gpu_available(hosting, gpu, region, catalog, result):
                out.extend(_on_gpu(hosting, region, gpu, client, catalog, opts, result))
    return out


def _gpu_available(hosting: str, gpu: str, region: str, catalog: Catalog, result: Space) -> bool:
    """Whether the catalog has the GPU for this hosting type (a cloud offer in the region, a
    purchase record on premise); when not, the reason is recorded."""
    if hosting == "cloud" and not catalog.offers_for(gpu, region):
        result.exclude("gpu", f"{gpu} in {region}", "no cloud offer in the catalog for this region")
        return False
    if hosting == "on_premise" and gpu not in catalog.on_premise:
        result.exclude("gpu", f"{gpu} (on premise)", "no purchase record in the catalog")
        return False
    return True


def _degrees_on(gpu: str, catalog: Catalog, opts: _Options, result: Space) -> list[int]:
    """Tensor-parallel degrees one server of the GPU holds (a replica stays in one server)."""
    server = _gpus_per_server(catalog, gpu)
    for d in opts.degrees:
        if d > server:
            result.exclude(
                "gpus_per_replica", f"{d} × {gpu}", f"one {gpu} server holds {server} GPUs"
            )
    return [d for d in opts.degrees if d <= server]


def _kv_caches_on(gpu: str, catalog: Catalog, opts: _Options, result: Space) -> list[str]:
    """KV-cache precisions the GPU stores (FP8 needs FP8 support)."""
    kvs = []
    for kv in opts.kv_caches:
        if kv == "fp8" and not catalog.gpus[gpu].fp8_tflops:
            result.exclude("kv_cache", f"fp8 on {gpu}", f"{gpu} has no FP8 support")
        else:
            kvs.append(kv)
    return kvs


def _on_gpu(
    hosting: str,
    region: str,
    gpu: str,
    client: ClientParams,
    catalog: Catalog,
    opts: _Options,
    result: Space,
) -> list[Candidate]:
    """The candidates on one GPU in one region: every quantisation it computes × open model ×
    tensor-parallel degree × KV cache × the options that do not depend on the hardware."""
    tps = _degrees_on(gpu, catalog, opts, result)
    kvs = _kv_caches_on(gpu, catalog, opts, result)
    out: list[Candidate] = []
    for opt in opts.optimisations:
        if _compute_tflops(catalog, gpu, opt) is None:
            result.exclude("optimisation", f"{opt} on {gpu}", f"{gpu} has no {opt} tensor cores")
            continue
        for model in opts.open_models:
            efforts = _efforts(client, catalog, model, result)
            out.extend(
                Candidate(hosting, region, gpu, tp, model, opt, kv, rag, fmt, mode, effort, cache)
                for tp, kv, effort, cache, rag, fmt, mode in itertools.product(
                    tps, kvs, efforts, opts.cachings, opts.rags, opts.formats, opts.modes
                )
            )
    return out


def _cachings(client: ClientParams) -> list[str]:
    """Prompt caching options: only with a cached prefix (default on: providers and vLLM's
    automatic prefix caching both cache by default); "" when there is nothing to cache."""
    if not client.usage.cached_prefix_tokens:
        return [""]
    return list(client.options.prompt_caching or ["on"])


def _efforts(client: ClientParams, catalog: Catalog, model: str, result: Space) -> list[str]:
    """Reasoning efforts of a model: "" for a model that does not reason (the option is
    ignored); for a reasoning model the client's efforts it accepts (default: all it accepts)."""
    record = catalog.open_models.get(model) or catalog.api_models[model]
    if not getattr(record, "reasoning", False):
        return [""]
    accepted = list(
        getattr(record, "reasoning_efforts", None)
        or (record.accuracy_by_effort or {})
        or (getattr(record, "reasoning_tokens", None) or {})
        or ["low", "medium", "high"]
    )
    asked = list(client.options.reasoning_effort or accepted)
    for effort in asked:
        if effort not in accepted:
            result.exclude(
                "reasoning_effort",
                f"{effort} on {model}",
                f"{model} accepts {', '.join(accepted)}",
            )
    return [e for e in asked if e in accepted] or [""]


def _gpus_per_server(catalog: Catalog, gpu: str) -> int:
    return int(getattr(catalog.gpus[gpu], "gpus_per_server", None) or 8)


def _compute_tflops(catalog: Catalog, gpu: str, optimisation: str) -> float | None:
    """Peak dense throughput for the arithmetic the quantisation uses."""
    path = step.COMPUTE_PATH[catalog.quantisations[optimisation].compute]
    value = getattr(catalog.gpus[gpu], path, None)
    return float(value) if value else None
