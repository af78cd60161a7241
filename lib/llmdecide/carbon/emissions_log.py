"""A client's codecarbon ``emissions.csv`` files (from a pilot): read, checked, totalled, projected.

``read_emissions_logs(...)`` sums the runs of one or more logs per project and per day and
projects them to a month; a file that is not a readable codecarbon log raises ``MeasurementError``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llmdecide.errors import MeasurementError, Problem
from llmdecide.units import DAYS_PER_WEEK

if TYPE_CHECKING:
    import pandas as pd

EMISSIONS_REQUIRED_COLUMNS = ("timestamp", "duration", "emissions", "energy_consumed")
EMISSIONS_OPTIONAL_COLUMNS = (
    "project_name",
    "run_id",
    "country_iso_code",
    "country_name",
    "codecarbon_version",
    "cpu_energy",
    "gpu_energy",
    "ram_energy",
    "tracking_mode",
)
_EXPECTED = (
    "expected a CSV written by codecarbon's tracker (emissions.csv, any 2.x/3.x version), with at "
    f"least the columns {', '.join(EMISSIONS_REQUIRED_COLUMNS)} (usually also project_name, "
    "run_id, country_iso_code)"
)
UNNAMED_PROJECT = "(no project_name)"


@dataclass(frozen=True, eq=False)
class EmissionsSummary:
    """A client's measured footprint from codecarbon logs, totalled and projected to a month."""

    files: list[str]
    runs: int
    total_kwh: float
    total_kgco2e: float
    total_duration_s: float
    first_day: str
    last_day: str
    days_covered: int
    """Calendar days from the first run's start to the last run's end, inclusive."""
    days_with_data: int
    days_per_month: float
    kwh_per_day: float
    kgco2e_per_day: float
    kwh_per_month: float
    kgco2e_per_month: float
    g_per_kwh: float
    """The intensity the logs imply: total emissions / total energy."""
    countries: list[str]
    codecarbon_versions: list[str]
    bad_rows: int
    duplicate_rows: int
    per_project: pd.DataFrame
    per_day: pd.DataFrame
    notes: list[str]

    def as_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if k not in ("per_project", "per_day")}
        out["per_project"] = self.per_project.to_dict(orient="records")
        out["per_day"] = self.per_day.to_dict(orient="records")
        return out


class _BadLog(Exception):
    pass


def _read_one_log(path: Path) -> tuple[pd.DataFrame, int, list[int]]:
    """Rows of one emissions.csv with parsed columns, plus its bad rows (count, file lines)."""
    # lazy: pandas is kept out of kernel start-up (stages imports this module)
    import pandas as pd

    if not path.exists():
        raise _BadLog(f"{path}: file not found; check the path (relative to the params file)")
    if path.is_dir():
        raise _BadLog(f"{path} is a folder; give the emissions.csv file(s) inside it")
    try:
        frame = pd.read_csv(
            path, dtype=str, keep_default_na=False, encoding="utf-8-sig", skipinitialspace=True
        )
    except pd.errors.EmptyDataError:
        raise _BadLog(f"{path} is empty; {_EXPECTED}") from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise _BadLog(f"{path} is not a readable CSV ({first}); {_EXPECTED}") from None
    except OSError as exc:
        raise _BadLog(f"{path} cannot be read ({exc.strerror or exc})") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = [c for c in EMISSIONS_REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise _BadLog(
            f"{path} is not a codecarbon emissions log: missing column(s) {', '.join(missing)} "
            f"(found: {', '.join(frame.columns[:8])}{', …' if len(frame.columns) > 8 else ''}); "
            f"{_EXPECTED}"
        )
    if frame.empty:
        raise _BadLog(f"{path} has a header but no rows; {_EXPECTED}")
    for column in EMISSIONS_OPTIONAL_COLUMNS:
        if column not in frame.columns:
            frame[column] = ""
    out = pd.DataFrame(
        {
            "end": pd.to_datetime(frame["timestamp"], errors="coerce", utc=True, format="ISO8601"),
            "duration_s": pd.to_numeric(frame["duration"], errors="coerce"),
            "kgco2e": pd.to_numeric(frame["emissions"], errors="coerce"),
            "energy_kwh": pd.to_numeric(frame["energy_consumed"], errors="coerce"),
            "project_name": frame["project_name"].str.strip().replace("", UNNAMED_PROJECT),
            "run_id": frame["run_id"].str.strip(),
            "country_iso_code": frame["country_iso_code"].str.strip().str.upper(),
            "codecarbon_version": frame["codecarbon_version"].str.strip(),
            "file": str(path),
        }
    )
    out["end"] = out["end"].dt.tz_localize(None)
    numbers = out[["duration_s", "kgco2e", "energy_kwh"]]
    good = (
        out["end"].notna()
        & numbers.notna().all(axis=1)
        & (numbers >= 0).all(axis=1)
        & numbers.apply(lambda col: col.map(math.isfinite)).all(axis=1)
    )
    bad_lines = [int(i) + 2 for i in out.index[~good]]  # +1 header, +1 one-based
    if not good.any():
        raise _BadLog(
            f"{path}: none of its {len(out)} row(s) has a readable timestamp, duration, emissions "
            f"and energy_consumed (non-negative numbers); {_EXPECTED}"
        )
    return out[good], len(bad_lines), bad_lines


def read_emissions_logs(
    paths: Sequence[Path | str] | Path | str,
    file_for_errors: str,
    key_path: str,
    *,
    hours_per_month: float,
) -> EmissionsSummary:
    """Sum codecarbon ``emissions.csv`` files per project and per day, and project them to a month.

    * Rows are runs: each row holds a run's totals (codecarbon writes cumulative figures). Rows
      sharing a ``run_id`` are intermediate flushes of one run: only its longest row counts.
    * A run is counted on the day of its ``timestamp`` (when codecarbon wrote it, local time).
    * ``days_covered`` runs from the first run's start (timestamp − duration) to the last run's
      end, calendar days inclusive; days without rows count as days without energy.
    * Monthly projection: (total / days_covered) × ``hours_per_month`` / 24.
    * A file that is missing, empty, unreadable or not a codecarbon log, or whose rows are all
      unreadable, raises ``MeasurementError`` (one problem per file); unreadable rows of an
      otherwise good file are skipped, counted in ``bad_rows`` and named in ``notes``.
    """
    files = [Path(paths)] if isinstance(paths, str | Path) else [Path(p) for p in paths]
    if not files:
        raise MeasurementError.single(
            file_for_errors, key_path, "no emissions log given; give a codecarbon emissions.csv"
        )
    if not (hours_per_month > 0):
        raise MeasurementError.single(
            file_for_errors, key_path, f"hours_per_month must be > 0, got {hours_per_month!r}"
        )
    rows, bad_rows, notes = _read_logs(files, file_for_errors, key_path)
    dedup, duplicates = _one_row_per_run(rows)
    if duplicates:
        notes.append(
            f"{duplicates} row(s) were intermediate writes of a run already counted (same run_id); "
            "only each run's last total is summed"
        )
    days_per_month = hours_per_month / 24.0
    return _summary(files, dedup, days_per_month, bad_rows, duplicates, notes)


def _read_logs(
    files: list[Path], file_for_errors: str, key_path: str
) -> tuple[pd.DataFrame, int, list[str]]:
    """The readable rows of every file, their count of skipped rows and a note per such file;
    ``MeasurementError`` with one problem per file that cannot be read at all."""
    # lazy: pandas is kept out of kernel start-up (stages imports this module)
    import pandas as pd

    frames, problems, notes = [], [], []
    bad_rows = 0
    for i, path in enumerate(files):
        where = f"{key_path}[{i}]" if len(files) > 1 else key_path
        try:
            rows, bad, lines = _read_one_log(path)
        except _BadLog as exc:
            problems.append(Problem(file_for_errors, where, str(exc)))
            continue
        frames.append(rows)
        if bad:
            bad_rows += bad
            shown = ", ".join(map(str, lines[:10])) + (", …" if len(lines) > 10 else "")
            notes.append(
                f"{path}: {bad} row(s) skipped (unreadable timestamp or negative/non-numeric "
                f"duration, emissions or energy_consumed) at line(s) {shown}"
            )
    if problems:
        raise MeasurementError(problems)
    return pd.concat(frames, ignore_index=True), bad_rows, notes


def _one_row_per_run(rows: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Each run's longest row (its last total) and the rows without a run_id, in time order;
    plus how many intermediate rows were dropped."""
    # lazy: pandas is kept out of kernel start-up (stages imports this module)
    import pandas as pd

    with_id = rows[rows["run_id"] != ""]
    keep = with_id.sort_values("duration_s").drop_duplicates("run_id", keep="last")
    dedup = pd.concat([keep, rows[rows["run_id"] == ""]]).sort_values(["end", "file"])
    return dedup, len(rows) - len(dedup)


def _totals_by(runs: pd.DataFrame, by: str) -> pd.DataFrame:
    """Runs, kWh, kgCO2e and seconds per value of column ``by``."""
    grouped = (
        runs.groupby(by, sort=True)
        .agg(
            runs=("energy_kwh", "size"),
            energy_kwh=("energy_kwh", "sum"),
            kgco2e=("kgco2e", "sum"),
            duration_s=("duration_s", "sum"),
        )
        .reset_index()
    )
    grouped["runs"] = grouped["runs"].astype(int)
    return grouped


def _summary(
    files: list[Path],
    dedup: pd.DataFrame,
    days_per_month: float,
    bad_rows: int,
    duplicates: int,
    notes: list[str],
) -> EmissionsSummary:
    """Totals, per-day means and the monthly projection of the counted runs."""
    # lazy: pandas is kept out of kernel start-up (stages imports this module)
    import pandas as pd

    dedup = dedup.reset_index(drop=True)
    dedup["day"] = dedup["end"].dt.date.map(lambda d: d.isoformat())
    start = (dedup["end"] - pd.to_timedelta(dedup["duration_s"], unit="s")).min()
    first_day, last_day = start.date(), dedup["end"].max().date()
    days_covered = (last_day - first_day).days + 1
    total_kwh = float(dedup["energy_kwh"].sum())
    total_kg = float(dedup["kgco2e"].sum())
    countries = sorted({c for c in dedup["country_iso_code"] if c})
    versions = sorted({v for v in dedup["codecarbon_version"] if v})
    if len(countries) > 1:
        notes.append(
            f"rows from several countries ({', '.join(countries)}): each row's emissions use "
            "that row's country intensity"
        )
    if days_covered < DAYS_PER_WEEK:
        notes.append(
            f"the logs cover {days_covered} day(s): the monthly projection assumes every day "
            "of the month looks like these; a pilot of a week or more sees the weekly cycle"
        )
    return EmissionsSummary(
        files=[str(p) for p in files],
        runs=len(dedup),
        total_kwh=total_kwh,
        total_kgco2e=total_kg,
        total_duration_s=float(dedup["duration_s"].sum()),
        first_day=first_day.isoformat(),
        last_day=last_day.isoformat(),
        days_covered=days_covered,
        days_with_data=int(dedup["day"].nunique()),
        days_per_month=days_per_month,
        kwh_per_day=total_kwh / days_covered,
        kgco2e_per_day=total_kg / days_covered,
        kwh_per_month=total_kwh / days_covered * days_per_month,
        kgco2e_per_month=total_kg / days_covered * days_per_month,
        g_per_kwh=total_kg / total_kwh * 1000 if total_kwh > 0 else math.nan,
        countries=countries,
        codecarbon_versions=versions,
        bad_rows=bad_rows,
        duplicate_rows=duplicates,
        per_project=_totals_by(dedup, "project_name"),
        per_day=_totals_by(dedup, "day"),
        notes=notes,
    )
