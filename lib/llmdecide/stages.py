"""What each notebook calls: one function per notebook, each writing its results through ``results``.

The notebooks stay thin (a parameters cell, a call here, displays). Each stage re-reads the params
file and the catalog (cheap, cached), so a notebook can run alone in JupyterLab; notebook 03 reads the
configuration table that notebook 02 wrote into the same ``output_dir``.

Glue only: the computing is in the method modules (``configurations``, ``scoring``, ``breakeven``,
``carbon_levers``, ``tco_basis``, ``phases``, ``pilot``, ``risks``, ``calibration``), the
``results.json`` shapes in ``records`` and ``plans`` (the pilot, risk and phase plans), what a
notebook shows in ``notebook_views``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llmdecide import catalog as catalog_mod
from llmdecide import kernels, results
from llmdecide import params as params_mod
from llmdecide import priorities as prio
from llmdecide.carbon.emissions_log import read_emissions_logs
from llmdecide.carbon.grid import grid_intensity_g_per_kwh
from llmdecide.carbon.probe import run_probe
from llmdecide.carbon.tracking import track
from llmdecide.columns import CHOICES, COST_COLUMNS, CRITERIA_COLUMNS
from llmdecide.errors import InputError, MeasurementError, Problem
from llmdecide.notebook_views import CarbonStage, ChoicesStage, CriticalStage
from llmdecide.records import (
    decision_data,
    estimates_of,
    measured_of,
    method_checks,
    pareto_records,
    per_choice_records,
    projection_of,
    recommendation_of,
    records,
    runner_up_of,
    sensitivity_of,
)

if TYPE_CHECKING:
    import pandas as pd

    from llmdecide.catalog import Catalog
    from llmdecide.params import ClientParams

DEFAULT_HISTORY_KEEP = 10
CONFIGURATIONS_CSV = "configurations.csv"


@dataclass
class Inputs:
    """Everything a run reads, validated: params, catalog, measurements in effect."""

    params_path: Path
    display_path: str
    client: ClientParams
    catalog: Catalog
    usage: dict[str, float]
    hypotheses: dict[str, float]
    usage_measured: Any | None
    emissions_measured: Any | None
    history_keep: int = DEFAULT_HISTORY_KEEP
    usage_rows: dict[str, Any] | None = None
    """The usage log's requests as arrays, kept when a pilot is declared (calibration)."""

    @cached_property
    def fingerprint(self) -> str:
        """Hash of everything that determines the report (params, measurement files, catalog,
        templates, notebooks, package): needed by the runner, not by the notebooks' kernels."""
        # the runner needs it, not the notebooks' kernels
        from llmdecide import fingerprint

        return fingerprint.compute(self.params_path).sha256

    @cached_property
    def warnings(self) -> list[Any]:
        """Plausibility warnings (``plausibility.Warning``): legal values that look mistaken."""
        # the CLI and the runner need it, not the notebooks' kernels
        from llmdecide import plausibility

        return plausibility.warnings_for(self.client, self.catalog, self.display_path)

    @cached_property
    def priorities(self) -> prio.Priorities:
        """The client's priorities (direct, or AHP judged against the catalog's
        ``method.ahp_consistency_threshold``, Saaty's 0.1)."""
        return prio.priorities(
            self.client.critical_performance,
            cr_threshold=float(self.catalog.method["ahp_consistency_threshold"]),
            file=self.display_path,
        )

    @cached_property
    def tco_warnings(self) -> list[str]:
        """Legal but likely wrong cost-of-ownership inputs (``params.tco_warnings``): what
        ``llmdecide validate`` and ``llmdecide run`` both print, word for word."""
        return params_mod.tco_warnings(self.client, self.display_path)


def load_inputs(params_path: Path | str, display_path: str | None = None) -> Inputs:
    """Validate the params file against its schema and the catalog, and read its measurements.

    Raises ``InputError`` (exit 2) with one message per problem; nothing is written.
    """

    params_path = Path(params_path).resolve()
    display = display_path or _display(params_path)
    client = params_mod.load(params_path, display_name=display)
    cat = catalog_mod.load()
    params_mod.check_against_catalog(client, cat, display)

    hypotheses = client.usage.model_dump(exclude={"phases"})  # phases: plans.plan_data
    usage = dict(hypotheses)
    usage_measured = None
    emissions_measured = None
    m = client.measurements
    problems: list[Any] = []  # every bad measurement file is reported, not only the first
    if m is not None and m.usage_log:
        # pandas, pyarrow: only a client with a usage log needs them
        from llmdecide import measurements

        path = params_mod.resolve_path(params_path, m.usage_log)
        usage_rows: dict[str, Any] | None = {} if m.pilot is not None else None
        try:
            usage_measured = measurements.read_usage_log(
                path,
                file_for_errors=display,
                key_path="measurements.usage_log",
                peak_window_s=int(cat.method["peak_window_s"]),
                peak_quantile=float(cat.method["peak_quantile"]),
                active_hour_share=float(cat.method["active_hour_share"]),
                columns=m.columns,
                requests=usage_rows,
            )
            usage.update(usage_measured.as_usage_override())
            usage.update(usage_measured.token_distribution())  # the sizing's p95 and spread
            if usage_rows is not None:  # a pilot: its log must also be fit for a calibration
                # scipy: only a pilot's calibration needs it
                from llmdecide import calibration

                for text in calibration.log_problems(
                    usage_rows, usage_measured.bad_rows, usage_measured.bad_row_examples
                ):
                    problems.append(
                        Problem(display, "measurements.usage_log", f"{path.name}: {text}")
                    )
        except InputError as exc:
            problems.extend(exc.problems)
    if m is not None and m.emissions_log:
        paths = m.emissions_log if isinstance(m.emissions_log, list) else [m.emissions_log]
        resolved = [params_mod.resolve_path(params_path, p) for p in paths]
        try:
            emissions_measured = read_emissions_logs(
                resolved,
                file_for_errors=display,
                key_path="measurements.emissions_log",
                hours_per_month=cat.assumption("hours_per_month").value.value,
            )
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise MeasurementError(problems)
    keep = client.report.history_keep if getattr(client, "report", None) else DEFAULT_HISTORY_KEEP
    return Inputs(
        params_path=params_path,
        display_path=display,
        client=client,
        catalog=cat,
        usage=usage,
        hypotheses=hypotheses,
        usage_measured=usage_measured,
        emissions_measured=emissions_measured,
        history_keep=keep,
        usage_rows=usage_rows if m is not None and m.usage_log else None,
    )


def pilot_calibration(inputs: Inputs) -> Any | None:
    """The pilot calibration (``llmdecide.calibration``) when ``measurements.pilot`` is declared:
    ``None`` without a pilot; a refused one (``data["refused"]``) without a usage log."""
    pilot = inputs.client.measurements.pilot
    if pilot is None:
        return None
    # scipy: only a pilot's calibration needs it
    from llmdecide import calibration

    if not inputs.usage_rows:
        data = {
            "pilot": calibration.pilot_dict(pilot),
            "measured": None,
            "predicted_before": None,
            "predicted_after": None,
            "factors": {},
            "refused": "no usage log (measurements.usage_log) to measure the pilot",
        }
        return calibration.Calibration(data, None)
    return calibration.calibrate(inputs.client, inputs.catalog, inputs.usage, inputs.usage_rows)


def calibrated_inputs(inputs: Inputs, data: Mapping[str, Any] | None) -> Inputs:
    """``inputs`` with the catalog calibrated by ``data`` (the stage's ``calibration``)."""

    # scipy: only a pilot's calibration needs it
    from llmdecide import calibration

    if not data:
        return inputs
    return dataclasses.replace(inputs, catalog=calibration.calibrated_catalog(inputs.catalog, data))


def _display(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def configurations_frame(output_dir: Path | str) -> pd.DataFrame:
    # pandas (~1.5 s to import): `llmdecide validate` and the runner import stages without it
    import pandas as pd

    return pd.read_csv(Path(output_dir) / CONFIGURATIONS_CSV, keep_default_na=True)


def write_configurations(frame: pd.DataFrame, output_dir: Path | str) -> Path:
    return results.write_csv(frame, Path(output_dir) / CONFIGURATIONS_CSV)


# --------------------------------------------------------------------------------------------
# Shared pieces


def limits_of(client: ClientParams) -> dict[str, dict[str, Any] | None]:
    """The client's limits per pillar (carbon may be absent)."""
    cp = client.critical_performance
    out: dict[str, dict[str, Any] | None] = {}
    for pillar in ("performance", "precision", "cost", "carbon"):
        section = getattr(cp, pillar, None)
        out[pillar] = (
            None if section is None else {"metric": section.metric, "limit": section.limit}
        )
    return out


def intensities(inputs: Inputs) -> dict[str, Any]:
    """Grid intensity (codecarbon bundled data) of every allowed region."""
    return {r: grid_intensity_g_per_kwh(r) for r in inputs.client.constraints.regions}


# --------------------------------------------------------------------------------------------
# Notebook 01


@kernels.structured_errors
def critical_performance(params_path: Path | str, output_dir: Path | str) -> CriticalStage:
    """Notebook 01: the limits and priorities (direct or AHP) of the client, and the usage."""
    inputs = load_inputs(params_path)
    client = inputs.client
    p = inputs.priorities
    data = {
        "limits": limits_of(client),
        "priorities": dict(p.weights),
        "method": p.method,
        "ahp": p.ahp(),
        "usage": dict(inputs.usage),
        "hypotheses": dict(inputs.hypotheses),
        "language": client.client.language,
    }
    results.write_stage(output_dir, "critical_performance", data)
    return CriticalStage(data)


# --------------------------------------------------------------------------------------------
# Notebook 02

TOP_N = 10
REJECTED_N = 15
SHOWN_COLUMNS = (
    "config_id",
    "label",
    *CHOICES,
    *CRITERIA_COLUMNS,
    "score",
    "rank",
    "probability_meets_limits",
)
"""The columns of the top and rejected configurations in ``results.json``."""


def _scored(inputs: Inputs, intensity: Mapping[str, float]) -> tuple[Any, Any, pd.DataFrame, dict]:
    """Enumerate, size, cost and score every configuration: the space, the scoring's result, the
    configuration table as ``configurations.csv`` holds it, and the client's weights."""
    # configurations, scoring (pandas, scipy): notebook 01's kernel starts without it
    from llmdecide import configurations as conf
    from llmdecide import scoring

    client, cat = inputs.client, inputs.catalog
    space = conf.space(client, cat)
    frame = conf.evaluate(
        client,
        cat,
        inputs.usage,
        intensity,
        measured_usage=inputs.usage_measured is not None,
        candidates=space.candidates,
    )
    weights = dict(inputs.priorities.weights)
    limits = limits_of(client)
    method = dict(cat.method)
    scored = scoring.run(
        frame,
        {k: v for k, v in limits.items() if v},
        weights,
        method,
        client.constraints.max_setup_cost,
        extra_limits={
            str(k): float(v) for k, v in client.critical_performance.extra_limits.items()
        },
    )
    base_columns = list(frame.columns)
    frame = scored.frame.sort_values("config_id").reset_index(drop=True)
    added = ["probability_meets_limits", "pareto", "topsis_score", "topsis_rank", "total_violation"]
    frame = frame[[*base_columns, *[c for c in added if c in frame.columns]]]
    return space, scored, frame, weights


def _labels(frame: pd.DataFrame) -> dict[str, str]:
    """config_id → label of every configuration (``tolist`` first: iterating the text columns
    element by element costs 6x)."""
    return dict(zip(frame["config_id"].tolist(), frame["label"].tolist(), strict=True))


def _ranked(frame: pd.DataFrame, min_probability: float) -> tuple[Any, Any]:
    """Row positions of the feasible configurations and of the rejected ones, each in the order
    shown (numpy sorts of the key columns: sorting the whole frame twice cost ~40 ms)."""
    # numpy: pandas is loaded, numpy with it
    import numpy as np

    ok = frame["feasible"].to_numpy(dtype=bool)
    ids = frame["config_id"].to_numpy(dtype=str)  # unique: the last key settles every tie
    # decision order (scoring.robust_order): robust configurations first, then by score; numpy's
    # stable sorts put NaN last, as pandas' sort_values does
    weak = (
        frame["probability_meets_limits"].to_numpy(dtype=float, na_value=np.nan) < min_probability
    )
    rank = frame["rank"].to_numpy(dtype=float, na_value=np.nan)
    feasible = np.flatnonzero(ok)
    feasible = feasible[np.lexsort((ids[feasible], rank[feasible], weak[feasible]))]
    # rejected ones shown first: the closest to the limits (least total violation)
    violation = frame["total_violation"].to_numpy(dtype=float, na_value=np.nan)
    rejected = np.flatnonzero(~ok)
    rejected = rejected[np.lexsort((ids[rejected], violation[rejected]))]
    return feasible, rejected


def _choices_data(
    inputs: Inputs,
    space: Any,
    scored: Any,
    frame: pd.DataFrame,
    weights: Mapping[str, float],
    grid: Mapping[str, Any],
) -> dict[str, Any]:
    """``data/technical_choices.json`` (the calibration's section is added by the caller)."""
    # the break-even, the TCO basis, the plans (pandas, scipy): notebook 01's kernel starts
    # without them
    from llmdecide.breakeven import break_even
    from llmdecide.plans import plan_data
    from llmdecide.tco_basis import tco_data

    client = inputs.client
    intensity = {r: g.g_per_kwh for r, g in grid.items()}
    method = dict(inputs.catalog.method)
    limits = limits_of(client)
    rec = scored.recommendation
    best = rec.best
    labels = _labels(frame)
    min_probability = float(method.get("min_probability_meets_limits") or 0.0)
    feasible, rejected = _ranked(frame, min_probability)
    columns = list(SHOWN_COLUMNS)
    client_weights = {k: weights.get(k, 0.0) for k in ("performance", "precision", "cost")}
    total = sum(client_weights.values()) or 1.0
    measured = inputs.usage_measured is not None
    return {
        "language": client.client.language,
        "currency": client.client.currency,
        "recommendation": recommendation_of(best),
        "recommendation_label": best["label"] if best is not None else None,
        "recommendation_id": best["config_id"] if best is not None else None,
        "estimates": (
            {**(estimates_of(best) or {}), "probability_by_limit": scored.probability_by_limit}
            if best is not None
            else None
        ),
        "feasible": best is not None,
        **decision_data(scored, labels),
        "runner_up": runner_up_of(rec),
        "limits": limits,
        "extra_limits": dict(client.critical_performance.extra_limits),
        "priorities": dict(weights),
        "counts": {
            "configurations": len(frame),
            "excluded": len(space.excluded),
            "feasible": len(feasible),
            "rejected": len(rejected),
        },
        "excluded": space.excluded,
        "per_choice": per_choice_records(scored, labels),
        "top": records(frame.iloc[feasible[:TOP_N]], columns),
        "rejected": records(frame.iloc[rejected[:REJECTED_N]], [*columns, "rejected_because"]),
        "pareto": pareto_records(frame, best),
        "winner_map": [
            {**p, "winner_label": labels.get(p["winner"], p["winner"])} for p in scored.winner_map
        ],
        "client_point": {k: v / total for k, v in client_weights.items()},
        "sensitivity": sensitivity_of(scored, labels),
        "break_even": break_even(
            client, inputs.catalog, inputs.usage, frame, best, intensity, measured_usage=measured
        ),
        "tco": tco_data(
            client, inputs.catalog, inputs.usage, frame, best, warnings=inputs.tco_warnings
        ),
        "cost_breakdown": (
            {k.removeprefix("cost_"): float(best[k]) for k in COST_COLUMNS}
            if best is not None
            else None
        ),
        **method_checks(scored, method, labels),
        "intensity": {r: g.as_dict() for r, g in grid.items()},
        **plan_data(inputs, scored, frame, intensity, labels, limits, space.candidates),
    }


@kernels.structured_errors
def technical_choices(params_path: Path | str, output_dir: Path | str) -> ChoicesStage:
    """Notebook 02: enumerate, size, cost and score every configuration; recommend."""
    inputs = load_inputs(params_path)
    calib = pilot_calibration(inputs)
    catalog_before = inputs.catalog
    if calib is not None:
        inputs = calibrated_inputs(inputs, calib.data)
    grid = intensities(inputs)
    intensity = {r: g.g_per_kwh for r, g in grid.items()}
    space, scored, frame, weights = _scored(inputs, intensity)
    data = _choices_data(inputs, space, scored, frame, weights, grid)
    if calib is not None:
        best = scored.recommendation.best
        labels = _labels(frame)
        data["calibration"] = calibration_section(
            calib.data,
            inputs,
            catalog_before,
            inputs.catalog,
            intensity,
            space.candidates,
            best,
            labels,
        )
    write_configurations(frame, output_dir)
    results.write_stage(output_dir, "technical_choices", data)
    return ChoicesStage(data, frame)


def calibration_section(
    data: Mapping[str, Any],
    inputs: Inputs,
    catalog_before: Any,
    catalog_after: Any,
    intensity: Mapping[str, float],
    candidates: Any,
    best: Any,
    labels: Mapping[str, str],
) -> dict[str, Any]:
    """``results.json`` ``calibration``: the pilot's figures and factors, and what changed in the
    recommendation (the chain re-run on the catalog before calibration, when the fit applied)."""
    # configurations, scoring (pandas, scipy): notebook 01's kernel starts without it
    from llmdecide import configurations as conf
    from llmdecide import scoring

    out = dict(data)
    after_id = best["config_id"] if best is not None else None
    out["recommendation_after"] = labels.get(after_id) if after_id else None
    out["recommendation_before"] = out["recommendation_after"]
    out["recommendation_changed"] = False
    if catalog_after is catalog_before:
        return out
    client = inputs.client
    frame = conf.evaluate(
        client,
        catalog_before,
        inputs.usage,
        intensity,
        measured_usage=inputs.usage_measured is not None,
        candidates=candidates,
    )
    weights = dict(inputs.priorities.weights)
    limits = limits_of(client)
    scored = scoring.run(
        frame,
        {k: v for k, v in limits.items() if v},
        weights,
        dict(catalog_before.method),
        client.constraints.max_setup_cost,
        extra_limits={str(k): v for k, v in client.critical_performance.extra_limits.items()},
    )
    before = scored.recommendation.best
    before_id = before["config_id"] if before is not None else None
    out["recommendation_before"] = before["label"] if before is not None else None
    out["recommendation_changed"] = before_id != after_id
    return out


# --------------------------------------------------------------------------------------------
# Notebook 03


def _probe(inputs: Inputs, country: str, output_dir: Path) -> dict[str, Any] | None:
    """The client's probe (``carbon.probe``) run under codecarbon's tracker."""
    pr = inputs.client.carbon.probe
    if pr is None:
        return None
    result = run_probe(
        pr.command,
        pr.timeout_s,
        country,
        output_dir,
        pr.requests,
        shell=pr.shell,
        cwd=inputs.params_path.parent,
        file_for_errors=inputs.display_path,
    )
    return {**result.as_dict(), "emissions_kg": result.emissions_kgco2e}


KERNEL_MODULES = {
    "03_carbon_footprint": (
        "llmdecide.present",
        "llmdecide.carbon_levers",
        "llmdecide.charts",
        "codecarbon",
    ),
}
"""What a notebook's kernel imports, by notebook, for the runner to load in a kernel it starts
ahead (``kernels.WarmKernel``): 03 waits for 02's outputs, its imports need not."""


@kernels.structured_errors
def carbon_footprint(params_path: Path | str, output_dir: Path | str) -> CarbonStage:
    """Notebook 03: grid intensity, projected emissions with ranges, levers; measured footprint
    (the run itself under codecarbon's tracker, the client's pilot logs and probe)."""
    # the levers re-evaluate through configurations (pandas, scipy): notebook 01 starts without
    from llmdecide import carbon_levers

    output_dir = Path(output_dir)
    inputs = load_inputs(params_path)
    if inputs.client.measurements.pilot is not None:  # the catalog notebook 02 calibrated
        stage = results.read_stage(output_dir, "technical_choices")
        inputs = calibrated_inputs(inputs, stage.get("calibration"))
    client = inputs.client
    country = client.carbon.country or client.constraints.regions[0]  # set by validation
    with track(country, output_dir, "llmdecide-notebook-03") as run:
        choices = results.read_stage(output_dir, "technical_choices")
        frame = configurations_frame(output_dir)
        for col in ("region", "gpu", "optimisation", "excluded_because", "rejected_because"):
            frame[col] = frame[col].astype(object).fillna("")
        intensity = {r: v["g_per_kwh"] for r, v in choices["intensity"].items()}
        best_id = choices["recommendation_id"]
        projection = projection_of(frame, best_id)
        region_rows, lever_rows = carbon_levers.levers(
            client,
            inputs.catalog,
            inputs.usage,
            frame,
            best_id,
            intensity,
            measured_usage=inputs.usage_measured is not None,
        )
        measured = measured_of(inputs.emissions_measured)
        probe = _probe(inputs, country, output_dir)
    carbon_limit = client.critical_performance.carbon
    data = {
        "language": client.client.language,
        "currency": client.client.currency,
        "carbon_limit": carbon_limit.limit if carbon_limit is not None else None,
        "intensity": [{"region": r, **v} for r, v in sorted(choices["intensity"].items())],
        "projection": projection,
        "regions": region_rows,
        "levers": lever_rows,
        "measured": measured,
        "probe": probe,
    }
    results.write_stage(output_dir, "carbon", data)
    # This cell's own measurement, shown in the notebook; a run's report shows the whole run's
    # (runner.run → assemble.add_run_footprint). Both rows are in emissions.csv.
    return CarbonStage({**data, "run_footprint": run.footprint()})
