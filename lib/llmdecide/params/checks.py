"""Checks of a validated client against the catalog (names, tensor-parallel degrees, the pilot,
contradictions between options and constraints) and the cost-of-ownership warnings.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from llmdecide.columns import SELF_HOSTED
from llmdecide.errors import ParamsError, Problem, did_you_mean
from llmdecide.params.models import ClientParams
from llmdecide.params.operations import COMMITMENT_MONTHS


def _suggest(name: str, known: Sequence[str]) -> str:
    lowered = {k.lower(): k for k in known}
    if name.lower() in lowered:
        return f" Did you mean {lowered[name.lower()]}?"
    return did_you_mean(name, known)


def _unknown(file: str, where: str, name: str, known: Sequence[str], what: str) -> Problem:
    return Problem(
        file,
        where,
        f"{name!r} is not in the catalog{what}.{_suggest(name, known)} Known: {', '.join(known)}.",
    )


def check_against_catalog(client: ClientParams, catalog: Any, file: str | Path) -> None:
    """Names must exist in the catalog and options must not contradict the constraints.

    Raises one ``ParamsError`` with one problem per unknown name (with did-you-mean and the known
    names) and per contradiction (e.g. only ``api`` hosting for confidential data).
    """
    file = str(file)
    gpus = list(getattr(catalog, "gpus", {}) or {})
    open_models = list(getattr(catalog, "open_models", {}) or {})
    api_models = list(getattr(catalog, "api_models", {}) or {})
    regions = list(getattr(catalog, "regions", {}) or {})
    models = open_models + [m for m in api_models if m not in open_models]
    problems: list[Problem] = []
    options = client.options

    for i, gpu in enumerate(options.gpus or []):
        if gpu not in gpus:
            problems.append(_unknown(file, f"options.gpus[{i}]", gpu, gpus, ""))
    for i, model in enumerate(options.models or []):
        if model not in models:
            problems.append(_unknown(file, f"options.models[{i}]", model, models, ""))
    for i, ev in enumerate(client.evaluations):
        if ev.model not in models:
            problems.append(_unknown(file, f"evaluations[{i}].model", ev.model, models, ""))
        elif ev.optimisation is not None and ev.model not in open_models:
            problems.append(
                Problem(
                    file,
                    f"evaluations[{i}].optimisation",
                    f"{ev.model} is an API model: optimisation applies to self-hosted models "
                    "only; remove it",
                )
            )
    for i, region in enumerate(client.constraints.regions):
        if region not in regions:
            problems.append(
                _unknown(file, f"constraints.regions[{i}]", region, regions, " of regions")
            )
    country = client.carbon.country
    if (
        country is not None
        and regions
        and country not in regions
        and (country not in client.constraints.regions)
    ):
        problems.append(_unknown(file, "carbon.country", country, regions, " of regions"))

    problems.extend(_quote_problems(client, file, gpus, regions, api_models))
    problems.extend(_parallelism_problems(client, catalog, file))
    problems.extend(_pilot_problems(client, catalog, file))
    problems.extend(_contradictions(client, file, open_models, api_models))
    if problems:
        raise ParamsError(problems)


def _pilot_problems(client: ClientParams, catalog: Any, file: str) -> list[Problem]:
    """``measurements.pilot``: its names in the catalog (a GPU outside ``options.gpus`` is
    fine: the pilot is predicted on its own), the model of its hosting kind, TP in one server."""
    pilot = client.measurements.pilot
    if pilot is None:
        return []
    key = "measurements.pilot"
    gpus = getattr(catalog, "gpus", {}) or {}
    open_models = list(getattr(catalog, "open_models", {}) or {})
    api_models = list(getattr(catalog, "api_models", {}) or {})
    problems: list[Problem] = []
    if pilot.hosting == "api":
        if pilot.model not in api_models:
            hint = " (an open model: give hosting cloud or on_premise and its gpu)" * (
                pilot.model in open_models
            )
            problems.append(_unknown(file, f"{key}.model", pilot.model, api_models, hint))
        return problems
    if pilot.model not in open_models:
        hint = " of open models (an API model: give hosting api)" * (pilot.model in api_models)
        problems.append(_unknown(file, f"{key}.model", pilot.model, open_models, hint))
    if pilot.gpu not in gpus:
        problems.append(_unknown(file, f"{key}.gpu", str(pilot.gpu), list(gpus), ""))
    else:
        quant = (getattr(catalog, "quantisations", {}) or {}).get(pilot.optimisation)
        compute = str(getattr(quant, "compute", ""))
        path = f"{compute}_{'tops' if compute == 'int8' else 'tflops'}" if compute else ""
        if path and not getattr(gpus[pilot.gpu], path, None):
            problems.append(
                Problem(
                    file,
                    f"{key}.optimisation",
                    f"{pilot.gpu} does not compute {compute} (no {path} in the catalog), so "
                    f"the pilot cannot have run {pilot.optimisation} on it; give the precision "
                    "it ran in",
                )
            )
        if pilot.kv_cache == "fp8" and not getattr(gpus[pilot.gpu], "fp8_tflops", None):
            problems.append(
                Problem(
                    file,
                    f"{key}.kv_cache",
                    f"{pilot.gpu} has no FP8 support for an fp8 KV cache; give fp16",
                )
            )
        server = int(getattr(gpus[pilot.gpu], "gpus_per_server", 8) or 8)
        if pilot.gpus_per_replica > server:
            problems.append(
                Problem(
                    file,
                    f"{key}.gpus_per_replica",
                    f"{pilot.gpus_per_replica} GPUs per replica, but one {pilot.gpu} server holds "
                    f"{server}; give the degree the pilot ran with",
                )
            )
    return problems


def _quote_problems(
    client: ClientParams, file: str, gpus: list[str], regions: list[str], api_models: list[str]
) -> list[Problem]:
    """A quote names a GPU, region or API model of the catalog (validated like the catalog)."""
    problems = []
    for i, q in enumerate(client.quotes):
        if q.gpu is not None and gpus and q.gpu not in gpus:
            problems.append(_unknown(file, f"quotes[{i}].gpu", q.gpu, gpus, " of GPUs"))
        if q.region is not None and regions and q.region not in regions:
            problems.append(_unknown(file, f"quotes[{i}].region", q.region, regions, " of regions"))
        if q.model is not None and api_models and q.model not in api_models:
            problems.append(
                _unknown(file, f"quotes[{i}].model", q.model, api_models, " of API models")
            )
    return problems


def tco_warnings(client: ClientParams, file: str | Path) -> list[str]:
    """Legal but likely wrong cost-of-ownership inputs (warnings, not errors): a quote for a GPU,
    region or model the client's options leave out (it prices nothing), a commitment longer than
    the horizon (not offered)."""
    file = str(file)
    out = []
    options, horizon = client.options, client.usage.horizon_months
    regions = client.constraints.regions
    for i, q in enumerate(client.quotes):
        if q.gpu is not None and options.gpus is not None and q.gpu not in options.gpus:
            out.append(
                f"{file}: quotes[{i}].gpu: {q.gpu} is not in options.gpus: this quote prices "
                "no configuration; add the GPU to options.gpus or remove the quote"
            )
        if q.region is not None and q.region not in regions:
            out.append(
                f"{file}: quotes[{i}].region: {q.region} is not in constraints.regions: this "
                "quote prices no configuration; add the region or remove the quote"
            )
        if q.model is not None and options.models is not None and q.model not in options.models:
            out.append(
                f"{file}: quotes[{i}].model: {q.model} is not in options.models: this quote "
                "prices no configuration; add the model or remove the quote"
            )
        if q.kind == "cloud_gpu_hour" and COMMITMENT_MONTHS[q.commitment] > horizon:
            out.append(
                f"{file}: quotes[{i}].commitment: a {q.commitment} commitment is longer than "
                f"usage.horizon_months ({horizon}): not offered, the quote is unused"
            )
    for i, c in enumerate(options.cloud_commitment or []):
        if COMMITMENT_MONTHS[c] > horizon:
            out.append(
                f"{file}: options.cloud_commitment[{i}]: a {c} commitment ({COMMITMENT_MONTHS[c]} "
                f"months) is longer than usage.horizon_months ({horizon}): not offered; raise the "
                "horizon or remove it"
            )
    return out


def _parallelism_problems(client: ClientParams, catalog: Any, file: str) -> list[Problem]:
    """A tensor-parallel degree no candidate GPU's server can hold (parallelism stays within one
    server) is an error; one that only some GPUs' servers hold applies to those."""
    degrees = client.options.gpus_per_replica
    records = getattr(catalog, "gpus", {}) or {}
    if not degrees or not records:
        return []
    names = [g for g in (client.options.gpus or list(records)) if g in records]
    servers = {g: int(getattr(records[g], "gpus_per_server", 8) or 8) for g in names}
    if not servers:
        return []
    largest = max(servers.values())
    problems = []
    for i, degree in enumerate(degrees):
        if degree > largest:
            held = ", ".join(f"{g}: {n}" for g, n in servers.items())
            fitting = [d for d in (1, 2, 4, 8) if d <= largest]
            problems.append(
                Problem(
                    file,
                    f"options.gpus_per_replica[{i}]",
                    f"{degree} GPUs per replica, but one server of the candidate GPUs holds at "
                    f"most {largest} ({held}); tensor parallelism stays within one server: use "
                    f"{', '.join(map(str, fitting))}",
                )
            )
    return problems


def _contradictions(
    client: ClientParams, file: str, open_models: list[str], api_models: list[str]
) -> list[Problem]:
    problems: list[Problem] = []
    allowed = client.allowed_hostings
    if client.options.hosting is not None and not allowed:
        problems.append(
            Problem(
                file,
                "options.hosting",
                "only api is allowed, but constraints.confidential_data is true and API "
                "hosting is excluded for confidential data; add cloud or on_premise",
            )
        )
        return problems
    models = client.options.models
    if models is None:
        return problems
    self_hosted = any(h in allowed for h in SELF_HOSTED)
    runnable = [
        m
        for m in models
        if (m in api_models and "api" in allowed) or (m in open_models and self_hosted)
    ]
    known = [m for m in models if m in open_models or m in api_models]
    if known and not runnable:
        if "api" not in allowed and all(m in api_models for m in known):
            why = (
                "API hosting is excluded for confidential data"
                if client.constraints.confidential_data
                else "options.hosting excludes api"
            )
            problems.append(
                Problem(
                    file,
                    "options.models",
                    f"only API models are listed but {why}; add an open model "
                    f"(e.g. {', '.join(open_models[:3])}) or allow api hosting",
                )
            )
        else:
            problems.append(
                Problem(
                    file,
                    "options.models",
                    "only open models are listed but options.hosting allows only api; add "
                    "cloud or on_premise, or an API model",
                )
            )
    return problems
