"""Configurations as ``results.json`` records them: plain Python values (NaN, NA and empty
strings become ``None``, numpy scalars Python ones), the recommendation's choices and estimates,
and the version-2 decision keys read from a ``scoring.run`` result.

Shapes only: every figure is the configuration table's or the scoring's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from llmdecide.columns import CHOICES, CRITERIA_COLUMNS, UNCERTAIN

if TYPE_CHECKING:
    import pandas as pd

RECOMMENDATION_KEYS = CHOICES
RANGED_ESTIMATES = UNCERTAIN
"""The estimates given with their ``_low`` / ``_high`` in results.json: every ranged column
(``columns.UNCERTAIN``), as docs/outputs.md says ("each uncertain one")."""
ESTIMATE_KEYS = (
    *CRITERIA_COLUMNS,
    "energy_kwh_per_month",
    "wh_per_1k_output_tokens",
    "probability_meets_limits",
)


def plain(value: Any) -> Any:
    """NaN / NA / empty string → None (n/a); numpy scalars → Python."""
    # pandas (~1.5 s to import): `llmdecide validate` and the runner import stages without it
    import pandas as pd

    if value is None:
        return None
    if isinstance(value, str):
        return value or None
    if not isinstance(value, (list, dict, tuple)) and pd.isna(value):
        return None
    return value.item() if hasattr(value, "item") else value


def recommendation_of(row: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if row is None:
        return None
    out = {k: plain(row.get(k)) for k in RECOMMENDATION_KEYS}
    for k in ("gpus_per_replica", "replicas"):
        if out[k] is not None:
            out[k] = int(out[k])
    return out


def estimates_of(row: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if row is None:
        return None
    out = {k: plain(row.get(k)) for k in ESTIMATE_KEYS}
    for k in RANGED_ESTIMATES:
        for end in ("low", "high"):
            out[f"{k}_{end}"] = plain(row.get(f"{k}_{end}"))
    return out


def records(frame: pd.DataFrame, columns: tuple[str, ...] | list[str] | None = None) -> list[dict]:
    cols = list(columns) if columns else list(frame.columns)
    return [
        {c: plain(v) for c, v in zip(cols, row, strict=True)}
        for row in frame[cols].itertuples(index=False)
    ]


def _labelled(row: Mapping[str, Any] | None, labels: Mapping[str, str]) -> dict[str, Any] | None:
    """A configuration as results.json shows one beside the recommendation."""
    if row is None:
        return None
    return {
        **(recommendation_of(row) or {}),
        "label": labels.get(row["config_id"], row["config_id"]),
        "config_id": row["config_id"],
        "estimates": estimates_of(row),
    }


def decision_data(scored: Any, labels: Mapping[str, str]) -> dict[str, Any]:
    """The version-2 decision keys (docs/method.md §9, docs/outputs.md): ``fragile``, ``most_robust``,
    ``min_probability_meets_limits``, ``variants``, ``limit_sensitivity`` (moves labelled, with
    the winner's monthly and set-up costs) and ``whatif`` (the data the HTML what-if embeds)."""
    rec = scored.recommendation
    by_id = scored.frame.set_index("config_id")

    def costs(config_id: str | None) -> dict[str, Any]:
        if config_id is None or config_id not in by_id.index:
            return {"winner_label": None, "winner_monthly_cost": None, "winner_setup_cost": None}
        row = by_id.loc[config_id]
        return {
            "winner_label": labels.get(config_id, config_id),
            "winner_monthly_cost": plain(row.get("monthly_cost")),
            "winner_setup_cost": plain(row.get("setup_cost")),
        }

    sensitivity = []
    for item in scored.limit_sensitivity:
        entry = dict(item)
        for move in ("tighten", "relax", "step"):
            if entry.get(move) is not None:
                entry[move] = {**entry[move], **costs(entry[move]["winner"])}
        rec_id = entry.get("recommendation")
        entry["value"] = (
            plain(by_id.loc[rec_id].get(entry["column"])) if rec_id in by_id.index else None
        )
        sensitivity.append(entry)
    return {
        "fragile": bool(rec.fragile) if rec.best is not None else False,
        "min_probability_meets_limits": rec.min_probability,
        "most_robust": _labelled(rec.most_robust, labels),
        "variants": [
            {**(_labelled(v, labels) or {}), "differs_in": v.get("differs_in", [])}
            for v in rec.variants
        ],
        "limit_sensitivity": sensitivity,
        "whatif": scored.whatif,
    }


def per_choice_records(scored: Any, labels: Mapping[str, str]) -> dict[str, list[dict[str, Any]]]:
    """Each choice's options with the other five held at the recommendation, labelled."""
    per_choice = {}
    for choice, rows in scored.per_choice.items():
        # "n/a" (an API configuration has no GPU or region) is an option only when recommended
        rows = [r for r in rows if r.get("option") or r.get("is_recommended")]
        per_choice[choice] = [
            {
                **{
                    k: plain(r.get(k))
                    for k in (
                        "option",
                        "config_id",
                        *CRITERIA_COLUMNS,
                        "score",
                        "feasible",
                        "rejected_because",
                        "is_recommended",
                        "match",
                    )
                },
                "label": labels.get(r.get("config_id"), ""),
                "moved": r.get("moved") or [],
            }
            for r in rows
        ]
    return per_choice


def runner_up_of(rec: Any) -> dict[str, Any] | None:
    """The runner-up as results.json shows it: when to prefer it, at the cost of what."""
    runner = rec.runner_up
    if runner is None:
        return None
    return {
        **(recommendation_of(runner) or {}),
        "label": runner["label"],
        "config_id": runner["config_id"],
        "estimates": estimates_of(runner),
        "prefer_when": rec.prefer_runner_up_when,
        "at_the_cost_of": rec.runner_up_worse_in,
        "differs_in": rec.runner_up_differs_in,
    }


def sensitivity_of(scored: Any, labels: Mapping[str, str]) -> dict[str, Any]:
    sens = dict(scored.sensitivity)
    nearest = sens.get("nearest_winner")
    sens["nearest_winner_label"] = labels.get(nearest, nearest) if nearest else None
    return sens


def method_checks(scored: Any, method: Mapping[str, Any], labels: Mapping[str, str]) -> dict:
    """``closest`` (when nothing is feasible), ``topsis`` (does TOPSIS agree?) and
    ``monte_carlo`` (the samples and seed of the ranges)."""
    rec = scored.recommendation
    return {
        "closest": [
            {**c, "label": labels.get(c["config_id"], c["config_id"])} for c in scored.closest
        ]
        if rec.best is None
        else [],
        "topsis": {
            "agree": rec.methods_agree,
            "topsis_best": rec.topsis_best,
            "topsis_best_label": labels.get(rec.topsis_best) if rec.topsis_best else None,
        },
        "monte_carlo": {
            "samples": int(method["monte_carlo_samples"]),
            "seed": int(method["monte_carlo_seed"]),
        },
    }


def pareto_records(frame: pd.DataFrame, best: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """The Pareto front's configurations, the recommendation marked."""
    return [
        {**r, "is_recommended": best is not None and r["config_id"] == best["config_id"]}
        for r in records(
            frame[frame["pareto"].astype(bool)].sort_values("config_id"),
            ["config_id", "label", "hosting", *CRITERIA_COLUMNS],
        )
    ]


def projection_of(frame: pd.DataFrame, best_id: str | None) -> dict[str, Any] | None:
    """The recommendation's projected emissions with their range (None when nothing is
    feasible)."""
    if best_id is None:
        return None
    best = frame[frame["config_id"] == best_id].iloc[0]
    return {
        "monthly_kgco2e": float(best["monthly_kgco2e"]),
        "low": float(best["monthly_kgco2e_low"]),
        "high": float(best["monthly_kgco2e_high"]),
        "operational_kgco2e": float(best["operational_kgco2e"]),
        "embodied_kgco2e": float(best["embodied_kgco2e"]),
        "energy_kwh_per_month": float(best["energy_kwh_per_month"]),
        "wh_per_1k_output_tokens": float(best["wh_per_1k_output_tokens"]),
        "method": "ecologits" if best["hosting"] == "api" else "roofline",
    }


def measured_of(e: Any | None) -> dict[str, Any] | None:
    """The client's pilot emissions logs (``measurements.emissions_log``), summed
    (``carbon.emissions_log.read_emissions_logs``)."""
    if e is None:
        return None
    return {
        **e.as_dict(),
        "energy_kwh": e.total_kwh,
        "emissions_kg": e.total_kgco2e,
        "duration_h": e.total_duration_s / 3600,
        "kgco2e_per_month_rate": e.kgco2e_per_month,
    }
