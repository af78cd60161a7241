"""What each notebook calls: one function per notebook, each writing its results through ``results``.

The notebooks stay thin (a parameters cell, a call here, displays). Each stage re-reads the params
file and the catalog (cheap, cached), so a notebook can run alone in JupyterLab; notebook 03 reads the
configuration table that notebook 02 wrote into the same ``output_dir``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
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
from llmdecide.columns import CHOICE_TABLES, CHOICES, COST_COLUMNS, CRITERIA_COLUMNS
from llmdecide.errors import InputError, MeasurementError, Problem

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

    hypotheses = client.usage.model_dump(exclude={"phases"})  # phases: stages.plan_data
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
    # scipy: only a pilot's calibration needs it
    from llmdecide import calibration

    pilot = inputs.client.measurements.pilot
    if pilot is None:
        return None
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


def _table(records: Any, columns: list[str] | None = None) -> pd.DataFrame:
    # pandas (~1.5 s to import): `llmdecide validate` and the runner import stages without it
    import pandas as pd

    frame = pd.DataFrame(records)
    if columns is not None and not frame.empty:
        frame = frame[[c for c in columns if c in frame.columns]]
    return frame


# --------------------------------------------------------------------------------------------
# Notebook 01


@dataclass
class CriticalStage:
    data: dict[str, Any]

    @property
    def limits(self) -> pd.DataFrame:
        rows = [
            {"pillar": p, **(v or {"metric": "—", "limit": None})}
            for p, v in self.data["limits"].items()
        ]
        return _table(rows)

    @property
    def priorities(self) -> pd.DataFrame:
        return _table([{"pillar": p, "weight": w} for p, w in self.data["priorities"].items()])

    @property
    def ahp(self) -> dict[str, Any] | None:
        return self.data["ahp"]

    @property
    def usage(self) -> pd.DataFrame:
        return _table([{"key": k, "value": v} for k, v in self.data["usage"].items()])

    @property
    def priorities_chart(self) -> Any:
        # altair (~1.8 s to import): only when a chart is drawn
        from llmdecide import charts

        return charts.priorities_chart(self.data, language=self.data.get("language", "en"))


@kernels.structured_errors
def critical_performance(params_path: Path | str, output_dir: Path | str) -> CriticalStage:
    """Notebook 01: the limits and priorities (direct or AHP) of the client, and the usage."""
    inputs = load_inputs(params_path)
    client = inputs.client
    # Saaty's 0.1 consistency threshold (SPEC §1.1) is priorities.DEFAULT_CR_THRESHOLD.
    p = prio.priorities(client.critical_performance, file=inputs.display_path)
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

RECOMMENDATION_KEYS = CHOICES
ESTIMATE_KEYS = (
    *CRITERIA_COLUMNS,
    "energy_kwh_per_month",
    "wh_per_1k_output_tokens",
    "probability_meets_limits",
)
TOP_N = 10
REJECTED_N = 15


def _na(value: Any) -> Any:
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
    out = {k: _na(row.get(k)) for k in RECOMMENDATION_KEYS}
    for k in ("gpus_per_replica", "replicas"):
        if out[k] is not None:
            out[k] = int(out[k])
    return out


def estimates_of(row: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if row is None:
        return None
    out = {k: _na(row.get(k)) for k in ESTIMATE_KEYS}
    for k in (
        "p95_latency_s",
        "ttft_s",
        "turnaround_h",
        "accuracy",
        "monthly_cost",
        "monthly_kgco2e",
    ):
        for end in ("low", "high"):
            out[f"{k}_{end}"] = _na(row.get(f"{k}_{end}"))
    return out


def records(frame: pd.DataFrame, columns: tuple[str, ...] | list[str] | None = None) -> list[dict]:
    cols = list(columns) if columns else list(frame.columns)
    return [
        {c: _na(v) for c, v in zip(cols, row, strict=True)}
        for row in frame[cols].itertuples(index=False)
    ]


@dataclass
class ChoicesStage:
    data: dict[str, Any]
    frame: pd.DataFrame

    @property
    def space(self) -> pd.DataFrame:
        return _table([self.data["counts"]])

    @property
    def excluded(self) -> pd.DataFrame:
        return _table(self.data["excluded"], ["choice", "option", "reason"])

    @property
    def summary(self) -> pd.DataFrame:
        rec = self.data["recommendation"] or {}
        est = self.data["estimates"] or {}
        return _table([{"key": k, "value": v} for k, v in {**rec, **est}.items()])

    @property
    def top(self) -> pd.DataFrame:
        return _table(self.data["top"])

    @property
    def rejected(self) -> pd.DataFrame:
        return _table(self.data["rejected"], ["label", "rejected_because"])

    @property
    def per_choice(self) -> dict[str, pd.DataFrame]:
        return {k: _table(v) for k, v in self.data["per_choice"].items()}

    @property
    def sensitivity(self) -> dict[str, Any]:
        return self.data["sensitivity"]

    def _kw(self) -> dict[str, str]:
        return {"language": self.data["language"], "currency": self.data["currency"]}

    @property
    def per_choice_charts(self) -> dict[str, Any]:
        """One chart per choice that has more than one option."""
        # altair (~1.8 s to import): only when a chart is drawn
        from llmdecide import charts

        return {
            choice: charts.per_choice_chart(choice, rows, self.data["limits"], **self._kw())
            for choice, rows in self.data["per_choice"].items()
            if len(rows) > 1
        }

    @property
    def pareto_chart(self) -> Any:
        # altair (~1.8 s to import): only when a chart is drawn
        from llmdecide import charts

        return charts.pareto_chart(self.data["pareto"], self.data["limits"], **self._kw())

    @property
    def cost_chart(self) -> Any:
        # altair (~1.8 s to import): only when a chart is drawn
        from llmdecide import charts

        if not self.data["cost_breakdown"]:
            return "nothing is feasible: no cost breakdown"
        return charts.cost_breakdown_chart(self.data["cost_breakdown"], **self._kw())

    @property
    def break_even_chart(self) -> Any:
        # altair (~1.8 s to import): only when a chart is drawn
        from llmdecide import charts

        if not self.data["break_even"]:
            return "no API / self-hosted pair to compare"
        volume = self.data["break_even"]["current_requests_per_day"]
        return charts.break_even_chart(self.data["break_even"], volume, **self._kw())

    @property
    def winner_map_chart(self) -> Any:
        # altair (~1.8 s to import): only when a chart is drawn
        from llmdecide import charts

        return charts.winner_map_chart(
            self.data["winner_map"],
            self.data["client_point"],
            recommended_label=self.data["recommendation_label"],
            **self._kw(),
        )


def _same_except(
    frame: pd.DataFrame, best: Mapping[str, Any], free: tuple[str, ...]
) -> pd.DataFrame:
    """Rows equal to ``best`` on every choice column except ``free``."""
    mask = None
    for col in CHOICE_TABLES:
        if col in free:
            continue
        m = frame[col] == best[col]
        mask = m if mask is None else mask & m
    return frame[mask] if mask is not None else frame


DRIVER_PARTS = {
    "tokens": ("cost_api",),
    "gpus": ("cost_compute", "cost_capex", "cost_energy", "cost_operations"),
    "staff": ("cost_staff",),
    "retrieval": ("cost_rag",),
}
"""What drives a side's cost at the crossing: the cost columns grouped in words."""


def _precision_side(side: pd.DataFrame, limit: float | None) -> tuple[pd.DataFrame, str]:
    """The rows of one side of the break-even of the client's precision: those meeting the limit
    (``"meets_limit"``), else those of the closest precision (``"closest"``); an unknown
    precision never passes (``"no_limit"``: every row, when there is no precision limit)."""
    if limit is None:
        return side, "no_limit"
    acc = side["accuracy"].astype(float)
    meets = side[acc >= limit]
    if not meets.empty:
        return meets, "meets_limit"
    known = side[acc.notna()]
    if known.empty:
        return side, "closest"
    best = known["accuracy"].astype(float).max()
    return known[known["accuracy"].astype(float) >= best - 1e-12], "closest"


def _side_costs(
    base: Any,
    rows: pd.DataFrame,
    make: Any,
    factors: Sequence[float],
) -> list[dict[str, Any]]:
    """Per row: its cost parts (client currency) at every break-even volume, re-sized (and at its
    cheapest commitment) at each: ``[{label, monthly: [...], parts: [{column: value}, ...]}]``."""

    # numpy, pandas (configurations): notebook 01's kernel starts without it
    import numpy as np

    from llmdecide import configurations as conf
    from llmdecide.estimators import cost
    from llmdecide.evaluation import self_hosted

    columns = ("monthly_cost", *COST_COLUMNS)
    out = []
    for _, row in rows.iterrows():
        cand = conf.Candidate.of(row)
        per_volume: list[dict[str, float]] = []
        if cand.hosting != "api":
            cols = self_hosted.evaluate(
                base, [cand] * len(factors), conf.VALUE, volume=np.array(factors, dtype=float)
            )
            for i, excluded in enumerate(cols["excluded_because"]):
                per_volume.append(
                    {
                        k: cost.to_currency(
                            math.nan if excluded else float(cols[k][i]), base.usd_per_unit
                        )
                        for k in columns
                    }
                )
        else:
            for f in factors:
                r = conf.evaluate_one(make(conf.scaled_usage(base.usage, f)), cand, conf.VALUE)
                bad = bool(r.get("excluded_because"))
                per_volume.append(
                    {
                        k: cost.to_currency(
                            math.nan if bad else float(r.get(k, math.nan)), base.usd_per_unit
                        )
                        for k in columns
                    }
                )
        out.append({"label": row["label"], "accuracy": row["accuracy"], "costs": per_volume})
    return out


def _cheapest_line(curves: list[dict[str, Any]], volumes: int) -> tuple[list[float], list[int]]:
    """At each of the ``volumes`` volumes, the cheapest configuration of a side: its monthly
    cost and its index."""

    costs, which = [], []
    for i in range(volumes):
        values = [c["costs"][i]["monthly_cost"] for c in curves]
        finite = [(v, j) for j, v in enumerate(values) if v == v]
        if not finite:
            costs.append(math.nan)
            which.append(0)
            continue
        v, j = min(finite)
        costs.append(v)
        which.append(j)
    return costs, which


def _drivers(parts: Mapping[str, float]) -> dict[str, float]:
    """A side's cost at one volume grouped by what drives it (tokens, GPUs, staff, retrieval)."""
    return {
        name: float(sum(parts.get(c, 0.0) or 0.0 for c in cols if parts.get(c) == parts.get(c)))
        for name, cols in DRIVER_PARTS.items()
    }


def break_even(
    inputs: Inputs,
    frame: pd.DataFrame,
    best: Mapping[str, Any] | None,
    intensity: Mapping[str, float],
) -> dict[str, Any] | None:
    """API vs self-hosted monthly cost over volumes, like with like: on each side the
    configurations that meet the client's precision limit (else the closest in precision, said
    in ``precision``), in the recommendation's mode and output format; the few cheapest at the
    client's volume (and the recommendation on its side) are re-sized at every volume with their
    staff, availability and cheapest commitment, and each side's line is its cheapest at each
    volume. The crossing volume, and what drives each side's cost there."""
    # pandas, configurations: notebook 01's kernel starts without it
    import pandas as pd

    from llmdecide import configurations as conf
    from llmdecide.estimators import cost as cost_mod

    if best is None:
        return None
    mode = best["deployment_mode"]
    pool = frame[(frame["deployment_mode"] == mode) & frame["excluded_because"].fillna("").eq("")]
    alike = pool[pool["output_format"] == best["output_format"]]
    cp = inputs.client.critical_performance
    limit = float(cp.precision.limit) if cp.precision is not None else None
    apis, api_basis = _precision_side(alike[alike["hosting"] == "api"], limit)
    own, own_basis = _precision_side(alike[alike["hosting"] != "api"], limit)
    if apis.empty or own.empty:
        return None

    method = inputs.catalog.method
    factors = [float(f) for f in method["break_even_volume_factors"]]
    candidates = int(method["break_even_candidates"])

    def shortlist(side: pd.DataFrame) -> pd.DataFrame:
        ranked = side.sort_values(["monthly_cost", "config_id"])
        keep = ranked.head(candidates)
        same = side[side["config_id"] == best["config_id"]]
        if not same.empty and best["config_id"] not in set(keep["config_id"]):
            keep = pd.concat([same, keep.head(candidates - 1)])
        return keep

    usage = dict(inputs.usage)
    measured = inputs.usage_measured is not None

    def make(u: Mapping[str, float]) -> conf.Context:
        return conf.make_context(
            inputs.client, inputs.catalog, u, intensity, measured_usage=measured
        )

    base = make(usage)
    api_curves = _side_costs(base, shortlist(apis), make, factors)
    own_curves = _side_costs(base, shortlist(own), make, factors)
    api_cost, api_which = _cheapest_line(api_curves, len(factors))
    own_cost, own_which = _cheapest_line(own_curves, len(factors))
    volumes = [usage["requests_per_day"] * f for f in factors]
    crossing = cost_mod.break_even_requests_per_day(volumes, api_cost, own_cost)
    # the side's configuration at the crossing (else at the client's volume)
    at = factors.index(1.0)
    if crossing is not None:
        at = min(range(len(volumes)), key=lambda i: abs(volumes[i] - crossing))
    api_at, own_at = api_curves[api_which[at]], own_curves[own_which[at]]
    api_drivers = _drivers(api_at["costs"][at])
    own_drivers = _drivers(own_at["costs"][at])
    drivers = {
        "requests_per_day": volumes[at],
        "api": api_drivers,
        "self_hosted": own_drivers,
        "api_main": max(api_drivers, key=api_drivers.__getitem__),
        "self_hosted_main": max(own_drivers, key=own_drivers.__getitem__),
    }
    return {
        "api_label": api_at["label"],
        "self_hosted_label": own_at["label"],
        "requests_per_day": crossing,
        "current_requests_per_day": usage["requests_per_day"],
        "precision": {
            "limit": limit,
            "api_basis": api_basis,
            "self_hosted_basis": own_basis,
            "api_accuracy": _na(api_at["accuracy"]),
            "self_hosted_accuracy": _na(own_at["accuracy"]),
        },
        "drivers": drivers,
        "curve": [
            {
                "requests_per_day": v,
                "api_monthly_cost": a,
                "self_hosted_monthly_cost": s,
                "api_label": api_curves[ia]["label"],
                "self_hosted_label": own_curves[io]["label"],
            }
            for v, a, s, ia, io in zip(
                volumes, api_cost, own_cost, api_which, own_which, strict=True
            )
        ],
    }


def tco_data(inputs: Inputs, frame: pd.DataFrame, best: Mapping[str, Any] | None) -> dict[str, Any]:
    """What the total cost of ownership rests on, for results.json and the report: staff per
    hosting (the client's figure or the catalog's), availability, the commitments offered, the
    client quotes (what each prices, the figures it touches, how many configurations it priced),
    the recommendation's figures that come from a quote, and the warnings on these inputs."""
    # configurations (pandas, scipy): notebook 01's kernel starts without it
    from llmdecide import configurations as conf
    from llmdecide.evaluation.hosting import tco

    client = inputs.client
    ctx = conf.make_context(client, inputs.catalog, dict(inputs.usage), {})
    per_fte = tco.staff_cost_usd_per_fte_month(ctx, conf.VALUE) / ctx.usd_per_unit
    staff = {
        h: {
            "fte": tco.staff_fte(ctx, h, conf.VALUE),
            "cost_per_fte_month": per_fte,
            "fte_source": (
                "client" if getattr(client.operations.staff_fte, h) is not None else "catalog"
            ),
            "cost_source": (
                "client" if client.operations.staff_cost_per_fte_month is not None else "catalog"
            ),
        }
        for h in ("api", "cloud", "on_premise")
    }
    spares, sites = tco.availability(ctx)
    quotes = tco.quotes_used(client, frame)
    quoted: list[str] = []
    if best is not None:
        one = frame[frame["config_id"] == best["config_id"]]
        for q, used in zip(client.quotes, quotes, strict=True):
            rows = tco.rows_priced(q, one)
            if rows is not None and bool(rows.any()):
                quoted.extend(f for f in used["figures"] if f not in quoted)
    return {
        "staff": staff,
        "availability": {
            "sites": sites,
            "spare_replicas": spares,
            # staff per site beyond the first (catalog FTE only), and an API's region pair
            "staff_share_per_extra_site": ctx.assumption(
                "staff_fte_share_per_extra_site", conf.VALUE, "low"
            ),
        },
        "commitments": tco.offered_commitments(ctx),
        "quotes": quotes,
        "recommendation_quoted": quoted,
        "recommendation_commitment": (
            str(best["cloud_commitment"])
            if best is not None and best["hosting"] == "cloud"
            else None
        ),
        "warnings": inputs.tco_warnings,
    }


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
    """The version-2 decision keys (SPEC §1.4, §4): ``fragile``, ``most_robust``,
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
            "winner_monthly_cost": _na(row.get("monthly_cost")),
            "winner_setup_cost": _na(row.get("setup_cost")),
        }

    sensitivity = []
    for item in scored.limit_sensitivity:
        entry = dict(item)
        for move in ("tighten", "relax", "step"):
            if entry.get(move) is not None:
                entry[move] = {**entry[move], **costs(entry[move]["winner"])}
        rec_id = entry.get("recommendation")
        entry["value"] = (
            _na(by_id.loc[rec_id].get(entry["column"])) if rec_id in by_id.index else None
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


def plan_data(
    inputs: Inputs,
    scored: Any,
    frame: pd.DataFrame,
    intensity: Mapping[str, float],
    labels: Mapping[str, str],
) -> dict[str, Any]:
    """The issue-15 plans (items 5-7): ``pilot_plan`` (what the pilot must measure, models to
    evaluate whose proxy straddles the limit), ``risks`` (the CISO / DPO / legal questions of the
    recommendation and the runner-up) and ``phase_plan`` (None without ``usage.phases``)."""
    # scoring (pandas, scipy): notebook 01's kernel starts without it
    from llmdecide import pilot, risks

    client = inputs.client
    rec = scored.recommendation
    designs = {}
    for role, row in (("recommendation", rec.best), ("runner_up", rec.runner_up)):
        if row is not None:
            designs[role] = {
                **(recommendation_of(row) or {}),
                "label": labels.get(row["config_id"], row["config_id"]),
            }
    best_id = rec.best["config_id"] if rec.best is not None else None
    return {
        "pilot_plan": pilot.pilot_plan(
            scored,
            dict(inputs.catalog.method),
            client.constraints.max_setup_cost,
            extra_limits={str(k): v for k, v in client.critical_performance.extra_limits.items()},
        ),
        "risks": risks.risks(designs, inputs.catalog, client),
        "phase_plan": _phase_plan(inputs, frame, intensity, best_id),
    }


def _phase_plan(
    inputs: Inputs, frame: pd.DataFrame, intensity: Mapping[str, float], best_id: str | None
) -> dict[str, Any] | None:
    """``phases.plan`` with each phase's recommended row as its ``results.json`` record."""
    # configurations, scoring (pandas, scipy): notebook 01's kernel starts without it
    from llmdecide import phases

    plan = phases.plan(inputs, frame, intensity, best_id, limits_of(inputs.client))
    for entry in plan["phases"] if plan else []:
        entry["recommendation"] = recommendation_of(entry.pop("row"))
    return plan


@kernels.structured_errors
def technical_choices(params_path: Path | str, output_dir: Path | str) -> ChoicesStage:
    """Notebook 02: enumerate, size, cost and score every configuration; recommend."""
    # configurations, scoring (pandas, scipy): notebook 01's kernel starts without it
    from llmdecide import configurations as conf
    from llmdecide import scoring

    inputs = load_inputs(params_path)
    calib = pilot_calibration(inputs)
    catalog_before = inputs.catalog
    if calib is not None:
        inputs = calibrated_inputs(inputs, calib.data)
    client, cat = inputs.client, inputs.catalog
    grid = intensities(inputs)
    intensity = {r: g.g_per_kwh for r, g in grid.items()}
    space = conf.space(client, cat)
    frame = conf.evaluate(
        client,
        cat,
        inputs.usage,
        intensity,
        measured_usage=inputs.usage_measured is not None,
        candidates=space.candidates,
    )
    weights = dict(prio.priorities(client.critical_performance, file=inputs.display_path).weights)
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
    rec = scored.recommendation
    best = rec.best
    runner = rec.runner_up
    labels = dict(zip(frame["config_id"], frame["label"], strict=True))

    min_probability = float(method.get("min_probability_meets_limits") or 0.0)
    # decision order (scoring.robust_order): robust configurations first, then by score
    feasible = frame[frame["feasible"].astype(bool)]
    feasible = (
        feasible.assign(_weak=feasible["probability_meets_limits"] < min_probability)
        .sort_values(["_weak", "rank", "config_id"])
        .drop(columns="_weak")
    )
    # rejected ones shown first: the closest to the limits (least total violation)
    rejected = frame[~frame["feasible"].astype(bool)].sort_values(["total_violation", "config_id"])
    columns = [
        "config_id",
        "label",
        *conf.CHOICES,
        *CRITERIA_COLUMNS,
        "score",
        "rank",
        "probability_meets_limits",
    ]
    client_weights = {k: weights.get(k, 0.0) for k in ("performance", "precision", "cost")}
    total = sum(client_weights.values()) or 1.0
    winner_map = [
        {**p, "winner_label": labels.get(p["winner"], p["winner"])} for p in scored.winner_map
    ]
    sens = dict(scored.sensitivity)
    nearest = sens.get("nearest_winner")
    sens["nearest_winner_label"] = labels.get(nearest, nearest) if nearest else None
    per_choice = {}
    for choice, rows in scored.per_choice.items():
        # "n/a" (an API configuration has no GPU or region) is an option only when recommended
        rows = [r for r in rows if r.get("option") or r.get("is_recommended")]
        per_choice[choice] = [
            {
                **{
                    k: _na(r.get(k))
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
    cost_breakdown = None
    if best is not None:
        cost_breakdown = {k.removeprefix("cost_"): float(best[k]) for k in COST_COLUMNS}
    runner_up = None
    if runner is not None:
        runner_up = {
            **(recommendation_of(runner) or {}),
            "label": runner["label"],
            "config_id": runner["config_id"],
            "estimates": estimates_of(runner),
            "prefer_when": rec.prefer_runner_up_when,
            "at_the_cost_of": rec.runner_up_worse_in,
            "differs_in": rec.runner_up_differs_in,
        }
    decision = decision_data(scored, labels)
    data = {
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
        **decision,
        "runner_up": runner_up,
        "limits": limits,
        "extra_limits": dict(client.critical_performance.extra_limits),
        "priorities": weights,
        "counts": {
            "configurations": len(frame),
            "excluded": len(space.excluded),
            "feasible": len(feasible),
            "rejected": len(rejected),
        },
        "excluded": space.excluded,
        "per_choice": per_choice,
        "top": records(feasible.head(TOP_N), columns),
        "rejected": records(rejected.head(REJECTED_N), [*columns, "rejected_because"]),
        "pareto": [
            {**r, "is_recommended": best is not None and r["config_id"] == best["config_id"]}
            for r in records(
                frame[frame["pareto"].astype(bool)].sort_values("config_id"),
                ["config_id", "label", "hosting", *CRITERIA_COLUMNS],
            )
        ],
        "winner_map": winner_map,
        "client_point": {k: v / total for k, v in client_weights.items()},
        "sensitivity": sens,
        "break_even": break_even(inputs, frame, best, intensity),
        "tco": tco_data(inputs, frame, best),
        "cost_breakdown": cost_breakdown,
        "closest": [
            {**c, "label": labels.get(c["config_id"], c["config_id"])} for c in scored.closest
        ]
        if best is None
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
        "intensity": {r: g.as_dict() for r, g in grid.items()},
        **plan_data(inputs, scored, frame, intensity, labels),
    }
    if calib is not None:
        data["calibration"] = calibration_section(
            calib.data, inputs, catalog_before, cat, intensity, space.candidates, best, labels
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
    weights = dict(prio.priorities(client.critical_performance, file=inputs.display_path).weights)
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

LEVER_COLUMNS = (
    "config_id",
    "label",
    "monthly_kgco2e",
    "monthly_cost",
    "p95_latency_s",
    "accuracy",
    "feasible",
)


@dataclass
class CarbonStage:
    data: dict[str, Any]

    @property
    def intensity(self) -> pd.DataFrame:
        return _table(self.data["intensity"])

    @property
    def projection(self) -> pd.DataFrame:
        return _table([self.data["projection"]] if self.data["projection"] else [])

    @property
    def levers(self) -> pd.DataFrame:
        return _table(self.data["levers"])

    @property
    def measured(self) -> dict[str, Any] | None:
        return self.data["measured"]

    @property
    def run_footprint(self) -> dict[str, Any] | None:
        return self.data["run_footprint"]

    def _carbon_limit(self) -> float | None:
        limit = self.data.get("carbon_limit")
        return float(limit) if limit is not None else None

    @property
    def projection_chart(self) -> Any:
        # altair (~1.8 s to import): only when a chart is drawn
        from llmdecide import charts

        if not self.data["projection"]:
            return "nothing is feasible: no projection"
        return charts.carbon_projection_chart(
            self.data["projection"],
            limit=self._carbon_limit(),
            measured=self.data["measured"],
            language=self.data["language"],
            currency=self.data["currency"],
        )

    @property
    def region_chart(self) -> Any:
        # altair (~1.8 s to import): only when a chart is drawn
        from llmdecide import charts

        if not self.data["regions"]:
            return "the recommendation has no region choice (API hosting)"
        return charts.region_chart(
            self.data["regions"],
            self.data["intensity"],
            limit=self._carbon_limit(),
            language=self.data["language"],
            currency=self.data["currency"],
        )


def _lever(
    kind: str, row: Mapping[str, Any], best: Mapping[str, Any], **extra: Any
) -> dict[str, Any]:
    out = {k: _na(row.get(k)) for k in LEVER_COLUMNS}
    out["lever"] = kind
    out["saving_kgco2e"] = float(best["monthly_kgco2e"]) - float(row["monthly_kgco2e"])
    out["cost_difference"] = float(row["monthly_cost"]) - float(best["monthly_cost"])
    out.update(extra)
    return out


def levers(
    inputs: Inputs, frame: pd.DataFrame, best_id: str | None, intensity: Mapping[str, float]
) -> tuple[list[dict], list[dict]]:
    """The seed's levers, computed: the same configuration in each allowed region, under a
    low-carbon electricity contract, in batch instead of real time, more quantised, with a smaller
    model; each with its kgCO2e/month saving and what it costs in money, latency and precision."""
    # configurations (pandas, scipy): notebook 01's kernel starts without it
    from llmdecide import configurations as conf

    if best_id is None:
        return [], []
    usable = frame[frame["excluded_because"].fillna("").eq("") & frame["monthly_kgco2e"].notna()]
    best = usable[usable["config_id"] == best_id].iloc[0]
    regions: list[dict] = []
    out: list[dict] = []
    if best["hosting"] != "api":
        same = _same_except(usable, best, ("region",)).sort_values("region")
        for _, row in same.iterrows():
            regions.append(
                {
                    "region": row["region"],
                    "monthly_kgco2e": float(row["monthly_kgco2e"]),
                    "monthly_cost": float(row["monthly_cost"]),
                    "is_recommended": row["config_id"] == best_id,
                }
            )
            if row["config_id"] != best_id:
                out.append(_lever("region", row, best, option=row["region"]))
        # A low-carbon contract covers the client's own electricity (on-premise).
        if best["hosting"] == "on_premise":
            c = conf.Candidate.of(best)
            client = inputs.client.model_copy(deep=True)
            client.carbon.renewable_share = 1.0
            ctx = conf.make_context(
                client,
                inputs.catalog,
                inputs.usage,
                intensity,
                measured_usage=inputs.usage_measured is not None,
            )
            r = conf.evaluate_one(ctx, c, conf.VALUE)
            row = dict(best)
            row["monthly_kgco2e"] = r["monthly_kgco2e"]
            out.append(_lever("contract", row, best, option="renewable_share=1"))
    sizes = {m: r.params_b for m, r in inputs.catalog.open_models.items()}
    for kind, free in (
        ("batch", ("deployment_mode",)),
        ("quantisation", ("optimisation",)),
        ("smaller_model", ("model",)),
    ):
        alts = _same_except(usable, best, free)
        alts = alts[alts["config_id"] != best_id]
        if kind == "batch":
            alts = alts[alts["deployment_mode"] == "batch"]
        if kind == "quantisation" and best["hosting"] != "api":
            alts = alts[alts["optimisation"].isin(["int8", "int4", "fp8"])]
        if kind == "smaller_model":
            mine = sizes.get(best["model"], 0.0)
            alts = alts[alts["model"].map(sizes).fillna(mine).astype(float) < mine]
        alts = alts[alts["monthly_kgco2e"] < best["monthly_kgco2e"]]
        if alts.empty:
            continue
        row = alts.sort_values(["monthly_kgco2e", "config_id"]).iloc[0]
        option = {
            "batch": "batch",
            "quantisation": row["optimisation"],
            "smaller_model": row["model"],
        }[kind]
        out.append(_lever(kind, row, best, option=option))
    return regions, out


@kernels.structured_errors
def carbon_footprint(params_path: Path | str, output_dir: Path | str) -> CarbonStage:
    """Notebook 03: grid intensity, projected emissions with ranges, levers; measured footprint
    (the run itself under codecarbon's tracker, the client's pilot logs and probe)."""
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
        projection = None
        if best_id is not None:
            best = frame[frame["config_id"] == best_id].iloc[0]
            projection = {
                "monthly_kgco2e": float(best["monthly_kgco2e"]),
                "low": float(best["monthly_kgco2e_low"]),
                "high": float(best["monthly_kgco2e_high"]),
                "operational_kgco2e": float(best["operational_kgco2e"]),
                "embodied_kgco2e": float(best["embodied_kgco2e"]),
                "energy_kwh_per_month": float(best["energy_kwh_per_month"]),
                "wh_per_1k_output_tokens": float(best["wh_per_1k_output_tokens"]),
                "method": "ecologits" if best["hosting"] == "api" else "roofline",
            }
        region_rows, lever_rows = levers(inputs, frame, best_id, intensity)
        measured = None
        if inputs.emissions_measured is not None:
            e = inputs.emissions_measured
            measured = {
                **e.as_dict(),
                "energy_kwh": e.total_kwh,
                "emissions_kg": e.total_kgco2e,
                "duration_h": e.total_duration_s / 3600,
                "kgco2e_per_month_rate": e.kgco2e_per_month,
            }
        probe = None
        if client.carbon.probe is not None:
            pr = client.carbon.probe
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
            probe = {**result.as_dict(), "emissions_kg": result.emissions_kgco2e}
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
