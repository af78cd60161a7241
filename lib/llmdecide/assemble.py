"""From the notebooks' stage outputs to ``results.json`` (docs/outputs.md) and the report context.

``results.json`` holds only what the inputs determine (sorted keys, no timestamps, no machine
data): the same inputs give byte-identical files. What varies from run to run (date, run id, the
run's own measured energy) goes to the report context and to ``run.json``.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping
from datetime import UTC, date, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from llmdecide import calibration, results, scoring, stages
from llmdecide.carbon.tracking import RUN_PROJECT
from llmdecide.catalog import check as catalog_check
from llmdecide.columns import JUDGED_FIGURES
from llmdecide.estimators import precision as precision_mod

RESULTS_FILE = "results.json"
CONTEXT_STAGE = "report_context"
PINNED = ("codecarbon", "genai-prices", "ecologits", "pymcdm", "pandas", "altair", "weasyprint")
USAGE_KEYS = (
    "requests_per_day",
    "peak_requests_per_second",
    "input_tokens",
    "output_tokens",
    "active_hours_per_day",
)
CHANGE_ESTIMATES = (
    *(c for c in JUDGED_FIGURES if c != "tpot_p95_ms"),
    "probability_meets_limits",
)
"""The recommendation's estimates that "what changed since the last report" compares: the judged
figures and the probability of meeting the limits. ``tpot_p95_ms`` is not compared: it joined the
figures after this list was written, and adding it would change that section (a behaviour change,
not a clean-up: left to decide)."""


def versions(catalog_sha256: str) -> dict[str, str]:
    """Tool and data versions that determine the results."""
    out = {"llmdecide": _version("llmdecide"), "catalog_sha256": catalog_sha256}
    for dist in PINNED:
        out[dist.replace("-", "_")] = _version(dist)
    return out


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def build_results(
    critical: Mapping[str, Any],
    choices: Mapping[str, Any],
    carbon: Mapping[str, Any],
    inputs_sha256: str,
    catalog_sha256: str,
    usage_source: str = "hypotheses",
    client: Mapping[str, Any] | None = None,
    to_evaluate: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The docs/outputs.md ``results.json`` (plus the client's name, language and currency, which the
    portfolio page reads). ``to_evaluate``: the evaluation plan (:func:`evaluation_plan`)."""
    return {
        "to_evaluate": list(to_evaluate or []),
        "client": dict(client or {}),
        "usage_source": usage_source,
        "recommendation": choices["recommendation"],
        "recommendation_label": choices["recommendation_label"],
        "estimates": choices["estimates"],
        "feasible": choices["feasible"],
        "runner_up": choices["runner_up"],
        # version 2 (docs/method.md §9, docs/outputs.md): the robust decision and the limits' sensitivity
        "fragile": choices.get("fragile", False),
        "most_robust": choices.get("most_robust"),
        "min_probability_meets_limits": choices.get("min_probability_meets_limits"),
        "variants": choices.get("variants", []),
        "limit_sensitivity": choices.get("limit_sensitivity", []),
        # issue 15 items 5-7: the pilot plan, the risk questions, the phases (docs/outputs.md)
        **plans_of(choices),
        "limits": critical["limits"],
        "priorities": critical["priorities"],
        "priorities_method": critical["method"],
        "ahp": critical["ahp"],
        "usage": critical["usage"],
        "counts": choices["counts"],
        "topsis": choices["topsis"],
        "sensitivity": choices["sensitivity"],
        "break_even_requests_per_day": (choices["break_even"] or {}).get("requests_per_day"),
        "carbon": {
            "projection": carbon["projection"],
            "intensity": carbon["intensity"],
            "levers": carbon["levers"],
        },
        "inputs_sha256": inputs_sha256,
        "versions": versions(catalog_sha256),
    }


PHASE_KEYS = (
    "name",
    "months",
    "start_month",
    "requests_per_day",
    "peak_requests_per_second",
    "recommendation",
    "recommendation_label",
    "monthly_cost",
    "setup_cost",
    "probability_meets_limits",
    "fragile",
)


def plans_of(choices: Mapping[str, Any]) -> dict[str, Any]:
    """``pilot_plan``, ``risks``, and — when the params give phases — ``phases`` (one entry per
    phase, docs/outputs.md) and ``phase_path`` (switches, path cost, cost of staying on one design)."""
    out: dict[str, Any] = {
        "pilot_plan": choices.get("pilot_plan"),
        "risks": choices.get("risks"),
    }
    plan = choices.get("phase_plan")
    if plan:
        out["phases"] = [{k: p.get(k) for k in PHASE_KEYS} for p in plan["phases"]]
        out["phase_path"] = {k: v for k, v in plan.items() if k != "phases"}
    return out


EVALUATION_SIZES = (100, 300, 1000)
"""Evaluation sizes the plan shows the confidence interval for (display points, not figures:
the interval is the Wilson formula at the client's limit)."""


def evaluation_plan(
    frame: Any, limits: Mapping[str, Any] | None, confidence: float
) -> list[dict[str, Any]]:
    """``results.json`` ``to_evaluate``: the models of unknown precision among the candidates
    (``scoring.to_evaluate`` over the configurations table), each with the client's precision
    limit, the confidence level of an evaluation's interval and, at the limit, the interval an
    evaluation of :data:`EVALUATION_SIZES` questions would carry (how many questions to ask)."""

    if frame is None:
        return []
    precision = (limits or {}).get("precision") or {}
    limit = precision.get("limit") if isinstance(precision, Mapping) else None
    plan = scoring.to_evaluate(frame, None if limit is None else float(limit))
    sizes = []
    if limit is not None:
        for n in EVALUATION_SIZES:
            low, high = precision_mod.wilson_interval(float(limit), n, confidence)
            sizes.append({"questions": n, "low": low, "high": high})
    return [{**entry, "confidence": confidence, "interval_at_limit": sizes} for entry in plan]


def usable_by(client: Any, kind: str, name: str, rec: Any) -> bool:
    """Whether a catalog record can be a source of a figure for this client: GPUs, models,
    regions and cloud offers outside the client's options, regions and hosting types cannot
    (every other kind -- method, assumptions, efficiencies, quantisations... -- always can)."""
    options, regions = client.options, set(client.constraints.regions)
    hosting = set(client.allowed_hostings)
    if kind == "regions":
        return name in regions or name == client.carbon.country
    if kind == "gpus":
        return options.gpus is None or name in options.gpus
    if kind in ("open_models", "api_models"):
        hosted = "api" in hosting if kind == "api_models" else bool(hosting - {"api"})
        return hosted and (options.models is None or name in options.models)
    if kind == "on_premise":
        return "on_premise" in hosting and (options.gpus is None or name in options.gpus)
    if kind == "cloud_offers":
        return (
            "cloud" in hosting
            and (options.gpus is None or rec.gpu in options.gpus)
            and (not rec.regions or bool(regions & set(rec.regions)))
        )
    return True


def sources_appendix(cat: Any, on: date, client: Any = None) -> list[dict[str, Any]]:
    """The catalog records of the report's sources appendix -- with ``client``, only those that
    can be a source of one of its figures (:func:`usable_by`; the whole catalog: ``llmdecide
    catalog list``) -- ``stale`` when retrieved more than ``method.stale_after_months`` before
    the run date ``on``."""

    months = catalog_check.stale_after(cat)
    return [
        {
            "kind": kind,
            "name": name,
            "source": rec.source,
            "retrieved": str(rec.retrieved),
            "note": getattr(rec, "note", None),
            "stale": catalog_check.is_stale(rec.retrieved, on, months),
            "stale_after_months": months,
        }
        for kind, name, rec in cat.records()
        if client is None or usable_by(client, kind, name, rec)
    ]


def _usage_comparison(
    hypotheses: Mapping[str, Any], measured: Mapping[str, Any] | None
) -> list[dict] | None:
    if not measured:
        return None
    rows = []
    for key in USAGE_KEYS:
        h, m = hypotheses.get(key), measured.get(key)
        if h is None or m is None:
            continue
        diff = (float(m) - float(h)) / float(h) * 100 if h else None
        rows.append({"key": key, "hypothesis": h, "measured": m, "difference_pct": diff})
    return rows


def _changes(previous_dir: Path, results_now: Mapping[str, Any]) -> dict[str, Any] | None:
    """What changed since the previously published report of the same client."""
    before_path = previous_dir / RESULTS_FILE
    if not before_path.is_file():
        return None
    try:
        before = results.read_json(before_path)
        run = results.read_json(previous_dir / "run.json")
    except (OSError, ValueError):
        return None
    since = str(run.get("finished", run.get("started", "")))[:10]
    inputs = []
    sb, sa = before.get("usage_source", "hypotheses"), results_now.get("usage_source")
    if sb != sa:
        inputs.append({"key": "usage_source", "before": sb, "after": sa, "ratio": None})
    for key in USAGE_KEYS:
        b, a = (before.get("usage") or {}).get(key), (results_now.get("usage") or {}).get(key)
        if _differs(b, a):
            ratio = (
                a / b if isinstance(a, (int, float)) and isinstance(b, (int, float)) and b else None
            )
            inputs.append({"key": f"usage.{key}", "before": b, "after": a, "ratio": ratio})
    for pillar, lim in (results_now.get("limits") or {}).items():
        b = (before.get("limits") or {}).get(pillar)
        if b != lim:
            inputs.append({"key": f"limits.{pillar}", "before": b, "after": lim, "ratio": None})
    vb, va = before.get("versions") or {}, results_now.get("versions") or {}
    for key in sorted(set(vb) | set(va)):
        if vb.get(key) != va.get(key):
            inputs.append(
                {
                    "key": f"versions.{key}",
                    "before": vb.get(key),
                    "after": va.get(key),
                    "ratio": None,
                }
            )
    recb, reca = before.get("recommendation") or {}, results_now.get("recommendation") or {}
    rec = [
        {"choice": k, "before": recb.get(k), "after": reca.get(k)}
        for k in sorted(set(recb) | set(reca))
        if recb.get(k) != reca.get(k)
    ]
    eb, ea = before.get("estimates") or {}, results_now.get("estimates") or {}
    est = [
        {"key": k, "before": eb.get(k), "after": ea.get(k)}
        for k in CHANGE_ESTIMATES
        if _differs(eb.get(k), ea.get(k))
    ]
    return {
        "since": since,
        "previous_run_id": run.get("run_id"),
        "inputs": inputs,
        "recommendation": rec,
        "estimates": est,
    }


def _differs(a: Any, b: Any) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return not math.isclose(a, b, rel_tol=1e-6)
    return a != b


def write_results(
    build: Path, params_path: Path, *, slug: str, run_id: str, inputs: Any = None
) -> dict[str, Any]:
    """Write ``results.json`` into the build folder; return the report context (saved, with the
    run's footprint, by :func:`add_run_footprint`). ``inputs`` are the run's validated inputs
    (``stages.load_inputs``); loaded here when not given."""
    if inputs is None:
        inputs = stages.load_inputs(params_path)
    cat = inputs.catalog
    critical = results.read_stage(build, "critical_performance")
    choices = results.read_stage(build, "technical_choices")
    carbon = results.read_stage(build, "carbon")
    source = "measured" if inputs.usage_measured is not None else "hypotheses"
    who = inputs.client.client

    table = build / stages.CONFIGURATIONS_CSV
    frame = stages.configurations_frame(build) if table.is_file() else None
    out = build_results(
        critical,
        choices,
        carbon,
        inputs.fingerprint,
        cat.sha256,
        source,
        {"name": who.name, "language": who.language, "currency": who.currency},
        to_evaluate=evaluation_plan(
            frame, critical.get("limits"), float(cat.method_record.evaluation_confidence)
        ),
    )
    if choices.get("calibration") is not None:  # docs/outputs.md: when a pilot is declared
        out["calibration"] = choices["calibration"]
    results.write_json(build / RESULTS_FILE, out)

    client = inputs.client
    run_date = datetime.now(UTC).date()
    usage_summary = inputs.usage_measured.as_dict() if inputs.usage_measured is not None else None
    context = {
        "client": {
            "slug": slug,
            "name": client.client.name,
            "language": client.client.language,
            "currency": client.client.currency,
            "use_case_title": client.use_case.title,
            "use_case_description": client.use_case.description,
            "confidential_data": client.constraints.confidential_data,
            "regions": list(client.constraints.regions),
        },
        "run": {
            "run_id": run_id,
            "date": run_date.isoformat(),
            "version": out["versions"]["llmdecide"],
            "inputs_sha256": inputs.fingerprint,
        },
        "results": out,
        "critical": critical,
        "choices": choices,
        "carbon": {**carbon, "run_footprint": None},
        "measurements": {
            "usage": _usage_comparison(inputs.hypotheses, inputs.usage if usage_summary else None),
            "usage_summary": usage_summary,
            "emissions": carbon.get("measured"),
        },
        "changes": _changes(build.parent / slug, out),
        "warnings": [w.as_dict() for w in inputs.warnings],
        "assumptions": [
            {
                "name": name,
                "value": a.value.value,
                "low": a.value.low,
                "high": a.value.high,
                "unit": a.unit,
                "source": a.source,
                "retrieved": str(a.retrieved),
                "note": a.note,
            }
            for name, a in sorted(cat.assumptions.items())
        ],
        "sources": sources_appendix(_calibrated(cat, choices), run_date, client),
    }
    return context


def _calibrated(cat: Any, choices: Mapping[str, Any]) -> Any:
    """The catalog the run's figures came from: with the pilot's fitted factors when notebook 02
    calibrated it (their record then appears among the sources, as "pilot calibration")."""
    if not choices.get("calibration"):
        return cat

    return calibration.calibrated_catalog(cat, choices["calibration"])


def add_run_footprint(build: Path, context: dict[str, Any], run: Any) -> dict[str, Any]:
    """Put the run's measured footprint (codecarbon, the whole generation up to the results) into
    the report context and ``data/run_footprint.json``, save the context
    (``data/report_context.json``) and return it as saved, so that this render and a later
    ``llmdecide report`` see the same numbers. results.json is left as it is (it holds nothing that
    varies from run to run)."""
    footprint = {**run.footprint(), "scope": "run"}
    results.write_json(build / "data" / "run_footprint.json", footprint)
    context = {**context, "carbon": {**context["carbon"], "run_footprint": footprint}}
    results.write_stage(build, CONTEXT_STAGE, context)
    return results.read_stage(build, CONTEXT_STAGE)


def run_energy(build: Path) -> dict[str, Any] | None:
    """The run's energy and emissions as codecarbon measured them (``emissions.csv``): the row of
    the whole run when there is one (it includes notebook 03's own row), else the sum of rows."""
    path = build / "emissions.csv"
    if not path.is_file():
        return None
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    whole = [r for r in rows if r.get("project_name") == RUN_PROJECT]
    energy = emissions = duration = 0.0
    for row in whole or rows:
        energy += float(row.get("energy_consumed") or 0)
        emissions += float(row.get("emissions") or 0)
        duration += float(row.get("duration") or 0)
    return {"energy_kwh": energy, "emissions_kg": emissions, "duration_s": duration}
