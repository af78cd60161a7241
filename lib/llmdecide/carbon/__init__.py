"""The one module of llmdecide that talks to codecarbon (pinned to an exact version in pyproject).

Four jobs, nothing else:

* **grid intensity** per ISO-3 country and per cloud region, read from codecarbon's bundled data
  through codecarbon's own emission engine (``grid_intensity_g_per_kwh``, ``cloud_region_intensity``);
* **tracking**: ``track(...)`` runs codecarbon's ``OfflineEmissionsTracker`` with every setting passed
  explicitly and codecarbon's config files and ``CODECARBON_*`` variables ignored;
* **emissions logs**: ``read_emissions_logs(...)`` sums a client's codecarbon ``emissions.csv`` files;
* **probe**: ``run_probe(...)`` runs a client command under the tracker, with a timeout.

Two pure helpers close the module: ``operational_kgco2e`` and ``embodied_kgco2e_per_month``.

codecarbon is imported lazily inside the functions (it takes about a second to import and set up),
and only here: an upgrade of codecarbon is one file to review. The codecarbon internals used are
listed in ``docs/carbon.md``.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import math
import os
import shlex
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llmdecide.errors import CarbonError, MeasurementError, Problem, RunError, did_you_mean

if TYPE_CHECKING:
    import pandas as pd

COUNTRY_DATA_FILE = "data/private_infra/global_energy_mix.json"
"""codecarbon's per-country energy mix and carbon intensity (inside the codecarbon package)."""

CLOUD_DATA_FILE = "data/cloud/impact.csv"
"""codecarbon's per-cloud-region carbon intensity (inside the codecarbon package)."""

COUNTRY_DATA_ORIGIN = (
    "Our World in Data, carbon intensity of electricity generation "
    "(https://ourworldindata.org/grapher/carbon-intensity-electricity), as bundled by codecarbon"
)
"""Where codecarbon's methodology page says the per-country ``carbon_intensity`` comes from."""

EMISSIONS_CSV = "emissions.csv"
TRACKING_MODES = ("process", "machine")

# --------------------------------------------------------------------------------------------
# Grid intensity


@dataclass(frozen=True)
class GridIntensity:
    """Carbon intensity of a country's electricity (location-based), as codecarbon computes it."""

    iso3: str
    country_name: str
    g_per_kwh: float
    data_source: str
    year: int | None
    codecarbon_version: str
    method: str
    """``carbon_intensity field`` (the published figure) or ``energy mix`` (codecarbon's weighted
    sum of per-source factors, used when a country has no published figure)."""
    origin: str
    data_sha256: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class CloudRegionIntensity:
    """Carbon intensity of one cloud provider region, as published by the provider via codecarbon."""

    provider: str
    region: str
    iso3: str
    country_name: str
    location: str
    g_per_kwh: float
    data_source: str
    origin: str
    codecarbon_version: str
    data_sha256: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def codecarbon_version() -> str:
    """The installed codecarbon version (recorded beside every figure taken from it)."""
    from codecarbon._version import __version__

    return str(__version__)


@functools.cache
def _data_file(relative: str) -> tuple[Path, str]:
    """Path and sha256 of one of codecarbon's bundled data files."""
    from codecarbon.input import DataSource

    path = Path(DataSource.get_ressource_path("codecarbon", relative))
    return path, hashlib.sha256(path.read_bytes()).hexdigest()


@functools.lru_cache(maxsize=1)
def _energy_mix() -> dict[str, dict[str, Any]]:
    from codecarbon.input import DataSource

    return DataSource().get_global_energy_mix_data()


def known_countries() -> dict[str, str]:
    """ISO-3 code → country name, for every country codecarbon has data for."""
    return {code: str(row.get("country_name", code)) for code, row in sorted(_energy_mix().items())}


def _unknown_country(iso3: object) -> CarbonError:
    countries = known_countries()
    text = str(iso3).strip()
    by_name = {name.casefold(): code for code, name in countries.items()}
    if text.casefold() in by_name:
        hint = f" Did you mean {by_name[text.casefold()]} ({countries[by_name[text.casefold()]]})?"
    else:
        hint = did_you_mean(text.upper(), countries) or did_you_mean(text, countries.values())
    return CarbonError(
        Problem(
            "codecarbon data",
            "country",
            f"{iso3!r} is not an ISO-3 country code codecarbon {codecarbon_version()} has data for "
            f"(its {COUNTRY_DATA_FILE} lists {len(countries)} countries).{hint} "
            "Give a 3-letter ISO 3166-1 alpha-3 code such as FRA, USA or DEU.",
        )
    )


@functools.cache
def grid_intensity_g_per_kwh(iso3: str) -> GridIntensity:
    """gCO2e per kWh of a country's grid electricity, exactly as codecarbon's tracker computes it.

    The figure is codecarbon's own: ``Emissions.get_country_emissions`` for 1 kWh (its offline path
    for a country without a region), which takes the country's ``carbon_intensity`` from
    ``global_energy_mix.json`` and, where that is missing, a weighted sum of the country's
    generation mix × per-source factors (``carbon_intensity_per_source.json``).
    Unknown codes raise ``CarbonError`` (codecarbon itself would silently use a world average).
    """
    code = iso3.strip().upper() if isinstance(iso3, str) else ""
    mix = _energy_mix()
    if code not in mix:
        raise _unknown_country(iso3)
    from codecarbon.core.emissions import Emissions
    from codecarbon.core.units import Energy
    from codecarbon.external.geography import GeoMetadata
    from codecarbon.input import DataSource

    row = mix[code]
    name = str(row.get("country_name", code))
    kg = Emissions(DataSource()).get_country_emissions(
        Energy.from_energy(kWh=1.0), GeoMetadata(country_iso_code=code, country_name=name)
    )
    _, sha = _data_file(COUNTRY_DATA_FILE)
    year = row.get("year")
    return GridIntensity(
        iso3=code,
        country_name=name,
        g_per_kwh=float(kg) * 1000.0,
        data_source=f"codecarbon/{COUNTRY_DATA_FILE}",
        year=int(year) if year is not None else None,
        codecarbon_version=codecarbon_version(),
        method="carbon_intensity field"
        if row.get("carbon_intensity") is not None
        else "energy mix",
        origin=COUNTRY_DATA_ORIGIN,
        data_sha256=sha,
    )


@functools.lru_cache(maxsize=1)
def _cloud_regions() -> tuple[dict[str, Any], ...]:
    from codecarbon.input import DataSource

    frame = DataSource().get_cloud_emissions_data()
    frame = frame.rename(columns=lambda c: str(c).lstrip("\ufeff"))
    return tuple(frame.to_dict(orient="records"))


def cloud_regions() -> dict[str, list[str]]:
    """Provider → its regions that codecarbon has a carbon intensity for."""
    out: dict[str, list[str]] = {}
    for row in _cloud_regions():
        out.setdefault(str(row["provider"]), []).append(str(row["region"]))
    return out


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


@functools.cache
def cloud_region_intensity(provider: str, region: str) -> CloudRegionIntensity:
    """gCO2e per kWh of one cloud region, as codecarbon's tracker computes it for that region.

    codecarbon only ships figures that providers publish (Google Cloud today); for other providers
    use the country's intensity (``grid_intensity_g_per_kwh``).
    """
    regions = cloud_regions()
    prov = provider.strip().lower() if isinstance(provider, str) else ""
    if prov not in regions:
        raise CarbonError.single(
            "codecarbon data",
            "cloud provider",
            f"{provider!r}: codecarbon {codecarbon_version()} has per-region carbon intensities for "
            f"{', '.join(sorted(regions))} only (other providers do not publish them). "
            "Use the region's country instead (an ISO-3 code, e.g. FRA for a Paris region).",
        )
    reg = region.strip() if isinstance(region, str) else ""
    if reg not in regions[prov]:
        raise CarbonError.single(
            "codecarbon data",
            "cloud region",
            f"{region!r} is not a {prov} region in codecarbon's {CLOUD_DATA_FILE}."
            f"{did_you_mean(reg, regions[prov])} Known: {', '.join(sorted(regions[prov]))}.",
        )
    from codecarbon.core.emissions import Emissions
    from codecarbon.core.units import Energy
    from codecarbon.external.geography import CloudMetadata
    from codecarbon.input import DataSource

    row = next(r for r in _cloud_regions() if r["provider"] == prov and r["region"] == reg)
    kg = Emissions(DataSource()).get_cloud_emissions(
        Energy.from_energy(kWh=1.0), CloudMetadata(provider=prov, region=reg)
    )
    _, sha = _data_file(CLOUD_DATA_FILE)
    return CloudRegionIntensity(
        provider=prov,
        region=reg,
        iso3=_text(row.get("countryIsoCode")),
        country_name=_text(row.get("country_name")),
        location=_text(row.get("city")) or _text(row.get("state")),
        g_per_kwh=float(kg) * 1000.0,
        data_source=f"codecarbon/{CLOUD_DATA_FILE}",
        origin=_text(row.get("source")),
        codecarbon_version=codecarbon_version(),
        data_sha256=sha,
    )


# --------------------------------------------------------------------------------------------
# Tracker

_CPU_METHODS = {
    "intel_rapl": "measured: RAPL energy counters",
    "windows_emi": "measured: Windows Energy Meter Interface (RAPL counters)",
    "intel_power_gadget": "measured: Intel Power Gadget",
    "apple_powermetrics": "measured: powermetrics",
    "cpu_load": "estimated: CPU load × TDP (no readable energy counter)",
    "constant": "estimated: constant share of the TDP (no energy counter, no load reading)",
}


@dataclass
class TrackerRun:
    """What one tracked block consumed; the figures are filled when the block exits."""

    project_name: str
    country_iso3: str
    output_dir: Path
    tracking_mode: str
    measure_power_secs: float
    emissions_csv: Path
    codecarbon_version: str = ""
    settings: dict[str, Any] = field(default_factory=dict)
    done: bool = False
    run_id: str = ""
    country_name: str = ""
    duration_s: float = math.nan
    energy_kwh: float = math.nan
    emissions_kg: float = math.nan
    cpu_energy_kwh: float = math.nan
    ram_energy_kwh: float = math.nan
    gpu_energy_kwh: float = math.nan
    cpu_power_w: float = math.nan
    ram_power_w: float = math.nan
    gpu_power_w: float = math.nan
    cpu_model: str = ""
    cpu_method: str = ""
    """codecarbon's CPU mode: ``intel_rapl``, ``cpu_load``, ``constant``, …"""
    cpu_method_detail: str = ""
    cpu_energy_measured: bool = False
    cpu_tdp_w: float | None = None
    ram_method: str = ""
    gpu_count: int = 0
    gpu_model: str = ""
    hardware: list[str] = field(default_factory=list)
    codecarbon_conf: dict[str, Any] = field(default_factory=dict)
    """The configuration codecarbon resolved (its ``_conf``), secrets shown as ``"set"``."""
    start_stop_overhead_s: float = math.nan
    """Wall time spent in codecarbon's set-up, start and stop (not counted in ``duration_s``)."""

    @property
    def emissions_kgco2e(self) -> float:
        return self.emissions_kg

    @property
    def intensity_g_per_kwh(self) -> float:
        """The intensity codecarbon applied: emissions / energy."""
        return self.emissions_kg / self.energy_kwh * 1000 if self.energy_kwh else math.nan

    def footprint(self) -> dict[str, Any]:
        """The few figures a report shows of a measured block."""
        return {
            "energy_kwh": self.energy_kwh,
            "emissions_kg": self.emissions_kg,
            "duration_s": self.duration_s,
            "country": self.country_iso3,
            "cpu_method": self.cpu_method,
        }

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["output_dir"] = str(self.output_dir)
        out["emissions_csv"] = str(self.emissions_csv)
        out["intensity_g_per_kwh"] = self.intensity_g_per_kwh
        return out


class _Collect(logging.Handler):
    """Keeps codecarbon's error messages of one tracker, to put them in our error."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        with contextlib.suppress(Exception):
            self.messages.append(record.getMessage())


_CONSTRUCT_LOCK = threading.Lock()


def _no_external_config() -> dict[str, str]:
    """Stands in for codecarbon's ``get_hierarchical_config`` while our tracker is built."""
    return {}


def tracker_settings(
    country_iso3: str,
    output_dir: Path,
    project_name: str,
    tracking_mode: str,
    measure_power_secs: float,
) -> dict[str, Any]:
    """Every ``OfflineEmissionsTracker`` argument of codecarbon 3.3, set explicitly.

    An argument left out would be read from ``~/.codecarbon.config``, ``./.codecarbon.config`` or
    a ``CODECARBON_*`` variable; we pass them all *and* hide those sources while building.
    """
    from codecarbon import OutputMethod

    return {
        # where and what
        "country_iso_code": country_iso3,
        "region": None,
        "cloud_provider": None,
        "cloud_region": None,
        "country_2letter_iso_code": None,
        "project_name": project_name,
        "experiment_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"llmdecide/{project_name}")),
        "experiment_name": project_name,
        # how to measure
        "tracking_mode": tracking_mode,
        "measure_power_secs": float(measure_power_secs),
        "gpu_ids": None,
        "force_cpu_power": None,
        "force_ram_power": None,
        "force_mode_cpu_load": False,
        "rapl_include_dram": False,
        "rapl_prefer_psys": False,
        "pue": 1.0,
        "wue": 0.0,
        "force_carbon_intensity_g_co2e_kwh": None,
        "electricitymaps_api_token": None,
        "allow_multiple_runs": True,
        # where to write: emissions.csv only (the save_to_file=True / save_to_api=False of 2.x)
        "output_methods": [OutputMethod.CSV],
        "output_dir": str(output_dir),
        "output_file": EMISSIONS_CSV,
        "on_csv_write": "append",
        "output_handlers": [],
        "emissions_endpoint": None,
        "api_endpoint": None,
        "api_key": None,
        "api_call_interval": -1,
        "prometheus_url": None,
        "logging_logger": None,
        "metadata": None,
        "log_level": "error",
        "logger_preamble": "",
    }


def _proc_cpu_model() -> str | None:
    """The CPU's model name from ``/proc/cpuinfo`` (Linux), as py-cpuinfo reports it."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as handle:
            for line in handle:
                if line.startswith("model name") and ":" in line:
                    return line.split(":", 1)[1].strip()
    except OSError:
        return None
    return None


def _fast_cpu_model_lookup() -> None:
    """codecarbon asks py-cpuinfo for the CPU model, which forks a Python subprocess (~1.1 s in
    every kernel). On Linux the same string is the ``model name`` of ``/proc/cpuinfo``: read it
    there, and fall back to codecarbon's own lookup elsewhere. Patched where codecarbon 3.3.2
    imported the function (docs/carbon.md lists it)."""
    import codecarbon.core.cpu as cc_cpu
    import codecarbon.core.resource_tracker as cc_resources
    import codecarbon.core.util as cc_util

    if getattr(cc_cpu.detect_cpu_model, "_llmdecide", False):
        return
    original = cc_util.detect_cpu_model

    @functools.lru_cache(maxsize=1)
    def detect_cpu_model() -> str | None:
        return _proc_cpu_model() or original()

    detect_cpu_model._llmdecide = True  # type: ignore[attr-defined]
    for module in (cc_cpu, cc_resources):
        module.detect_cpu_model = detect_cpu_model  # type: ignore[attr-defined]


def _build_tracker(settings: dict[str, Any]) -> Any:
    import codecarbon.emissions_tracker as cc_tracker
    from codecarbon import OfflineEmissionsTracker

    logging.getLogger("codecarbon").setLevel(logging.ERROR)
    with _CONSTRUCT_LOCK:
        _fast_cpu_model_lookup()
        original = cc_tracker.get_hierarchical_config
        cc_tracker.get_hierarchical_config = _no_external_config
        try:
            return OfflineEmissionsTracker(**settings)
        finally:
            cc_tracker.get_hierarchical_config = original


def _check_built(tracker: Any, settings: dict[str, Any], log: _Collect) -> None:
    """codecarbon swallows exceptions in ``__init__``: check it really built what we asked."""
    ok = (
        hasattr(tracker, "_output_handlers")
        and getattr(tracker, "_country_iso_code", None) == settings["country_iso_code"]
        and getattr(tracker, "_output_dir", None) == settings["output_dir"]
        and getattr(tracker, "_tracking_mode", None) == settings["tracking_mode"]
        and not getattr(tracker, "_cloud_provider", None)
        and getattr(tracker, "_electricitymaps_api_token", None) is None
        and not getattr(tracker, "_emissions_endpoint", None)
    )
    if not ok:
        raise RunError(
            "codecarbon could not set up its tracker"
            + (": " + "; ".join(log.messages) if log.messages else "")
            + f". Check that {settings['output_dir']} is writable and codecarbon "
            f"{codecarbon_version()} is installed as pinned."
        )


_SECRETS = ("api_key", "electricitymaps_api_token", "co2_signal_api_token")


def _describe_hardware(tracker: Any, run: TrackerRun) -> None:
    conf = getattr(tracker, "_conf", {})
    run.codecarbon_conf = {
        k: ("set" if k in _SECRETS and v else v)
        for k, v in sorted(conf.items())
        if not k.startswith("_") and (v is None or isinstance(v, str | int | float | bool))
    }
    run.hardware = [str(h) for h in conf.get("hardware", [])]
    run.cpu_model = _text(conf.get("cpu_model"))
    run.gpu_count = int(conf.get("gpu_count") or 0)
    run.gpu_model = _text(conf.get("gpu_model"))
    for hw in getattr(tracker, "_hardware", []):
        kind = type(hw).__name__
        if kind == "CPU":
            mode = str(getattr(hw, "_mode", ""))
            run.cpu_method = mode
            run.cpu_method_detail = _CPU_METHODS.get(mode, mode)
            run.cpu_energy_measured = mode in ("intel_rapl", "windows_emi", "intel_power_gadget")
            tdp = getattr(hw, "_tdp", None)
            run.cpu_tdp_w = float(tdp) if isinstance(tdp, int | float) else None
        elif kind == "AppleSiliconChip":
            run.cpu_method = "apple_powermetrics"
            run.cpu_method_detail = _CPU_METHODS["apple_powermetrics"]
            run.cpu_energy_measured = True
        elif kind == "RAM":
            forced = getattr(hw, "_force_ram_power", None)
            run.ram_method = (
                f"forced: {forced} W"
                if forced is not None
                else "estimated: codecarbon's RAM model (about 5 W per DIMM, from the memory size)"
            )


@contextlib.contextmanager
def track(
    country_iso3: str,
    output_dir: Path,
    project_name: str,
    *,
    tracking_mode: str = "process",
    measure_power_secs: float = 1.0,
) -> Iterator[TrackerRun]:
    """Measure the enclosed block with codecarbon's ``OfflineEmissionsTracker``.

    Yields a ``TrackerRun`` whose figures (``energy_kwh``, ``emissions_kg``, ``duration_s``,
    ``cpu_power_w``, ``cpu_method``…) are filled when the block exits, also when it raises. A row
    is appended to ``output_dir/emissions.csv`` (created if needed).

    * Offline: the country is the one given (checked against codecarbon's data first), no cloud
      metadata probe, no API, no Electricity Maps token, no network.
    * Isolated: every setting is passed explicitly and codecarbon's config sources
      (``~/.codecarbon.config``, ``./.codecarbon.config``, ``CODECARBON_*``) are not read.
    * ``tracking_mode="process"`` (default) attributes CPU and RAM to this Python process and its
      live children: the report's own generation, not the consultant's other applications.
      ``"machine"`` measures the whole machine (what a probe of a local server wants).
    """
    if tracking_mode not in TRACKING_MODES:
        raise CarbonError.single(
            "tracker", "tracking_mode", f"{tracking_mode!r}: expected one of {TRACKING_MODES}"
        )
    if not (measure_power_secs > 0):
        raise CarbonError.single(
            "tracker", "measure_power_secs", f"{measure_power_secs!r}: expected seconds > 0"
        )
    country = grid_intensity_g_per_kwh(country_iso3).iso3
    output_dir = Path(output_dir).resolve()
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RunError(f"{output_dir}: cannot create the tracker's output folder: {exc}") from exc
    run = TrackerRun(
        project_name=project_name,
        country_iso3=country,
        output_dir=output_dir,
        tracking_mode=tracking_mode,
        measure_power_secs=float(measure_power_secs),
        emissions_csv=output_dir / EMISSIONS_CSV,
        codecarbon_version=codecarbon_version(),
    )
    log = _Collect()
    cc_logger = logging.getLogger("codecarbon")
    cc_logger.addHandler(log)
    try:
        t0 = time.perf_counter()
        settings = tracker_settings(
            country, output_dir, project_name, tracking_mode, measure_power_secs
        )
        run.settings = {
            k: (list(v) if isinstance(v, list) else v)
            for k, v in settings.items()
            if k != "output_methods"
        } | {"output_methods": ["csv"]}
        tracker = _build_tracker(settings)
        _check_built(tracker, settings, log)
        tracker.start()
        if getattr(tracker, "_start_time", None) is None:
            raise RunError(
                "codecarbon's tracker did not start"
                + (": " + "; ".join(log.messages) if log.messages else "")
            )
        started = time.perf_counter()
        try:
            yield run
        except BaseException:
            # the block's own error matters more than a measurement that could not be read
            with contextlib.suppress(RunError):
                _finish(run, tracker, log, started - t0)
            raise
        _finish(run, tracker, log, started - t0)
    finally:
        cc_logger.removeHandler(log)


def _finish(run: TrackerRun, tracker: Any, log: _Collect, setup_s: float) -> None:
    ended = time.perf_counter()
    tracker.stop()
    run.start_stop_overhead_s = setup_s + (time.perf_counter() - ended)
    data = getattr(tracker, "final_emissions_data", None)
    if data is None:
        raise RunError(
            "codecarbon's tracker stopped without a measurement"
            + (": " + "; ".join(log.messages) if log.messages else "")
        )
    run.done = True
    run.run_id = str(data.run_id)
    run.country_name = _text(data.country_name)
    run.duration_s = float(data.duration)
    run.energy_kwh = float(data.energy_consumed)
    run.emissions_kg = float(data.emissions)
    run.cpu_energy_kwh = float(data.cpu_energy)
    run.ram_energy_kwh = float(data.ram_energy)
    run.gpu_energy_kwh = float(data.gpu_energy)
    run.cpu_power_w = float(data.cpu_power)
    run.ram_power_w = float(data.ram_power)
    run.gpu_power_w = float(data.gpu_power)
    _describe_hardware(tracker, run)


# --------------------------------------------------------------------------------------------
# Emissions logs (codecarbon emissions.csv files from a client's pilot)

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
    import pandas as pd

    files = [Path(paths)] if isinstance(paths, str | Path) else [Path(p) for p in paths]
    if not files:
        raise MeasurementError.single(
            file_for_errors, key_path, "no emissions log given; give a codecarbon emissions.csv"
        )
    if not (hours_per_month > 0):
        raise MeasurementError.single(
            file_for_errors, key_path, f"hours_per_month must be > 0, got {hours_per_month!r}"
        )
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

    rows = pd.concat(frames, ignore_index=True)
    with_id = rows[rows["run_id"] != ""]
    keep = with_id.sort_values("duration_s").drop_duplicates("run_id", keep="last")
    dedup = pd.concat([keep, rows[rows["run_id"] == ""]]).sort_values(["end", "file"])
    duplicates = len(rows) - len(dedup)
    if duplicates:
        notes.append(
            f"{duplicates} row(s) were intermediate writes of a run already counted (same run_id); "
            "only each run's last total is summed"
        )
    dedup = dedup.reset_index(drop=True)
    dedup["day"] = dedup["end"].dt.date.map(lambda d: d.isoformat())
    start = (dedup["end"] - pd.to_timedelta(dedup["duration_s"], unit="s")).min()
    first_day, last_day = start.date(), dedup["end"].max().date()
    days_covered = (last_day - first_day).days + 1
    days_per_month = hours_per_month / 24.0
    total_kwh = float(dedup["energy_kwh"].sum())
    total_kg = float(dedup["kgco2e"].sum())

    def _grouped(by: str) -> pd.DataFrame:
        grouped = (
            dedup.groupby(by, sort=True)
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

    countries = sorted({c for c in dedup["country_iso_code"] if c})
    versions = sorted({v for v in dedup["codecarbon_version"] if v})
    if len(countries) > 1:
        notes.append(
            f"rows from several countries ({', '.join(countries)}): each row's emissions use "
            "that row's country intensity"
        )
    if days_covered < 7:
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
        per_project=_grouped("project_name"),
        per_day=_grouped("day"),
        notes=notes,
    )


# --------------------------------------------------------------------------------------------
# Probe: a client command run under the tracker


@dataclass(frozen=True)
class ProbeResult:
    """Energy and emissions of one probe command, in total and per request when known."""

    command: str
    exit_code: int
    requests: int | None
    duration_s: float
    energy_kwh: float
    emissions_kgco2e: float
    kwh_per_request: float | None
    wh_per_request: float | None
    kgco2e_per_request: float | None
    gco2e_per_request: float | None
    stdout_path: str
    stderr_path: str
    measurement: TrackerRun

    @property
    def emissions_kg(self) -> float:
        return self.emissions_kgco2e

    def as_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if k != "measurement"}
        out["measurement"] = self.measurement.as_dict()
        return out


def _probe_argv(
    command: str | Sequence[str], shell: bool, file: str, key_path: str
) -> tuple[str | list[str], str]:
    if isinstance(command, str):
        if not command.strip():
            raise MeasurementError.single(file, key_path, "the probe command is empty")
        if shell:
            return command, command
        try:
            argv = shlex.split(command)
        except ValueError as exc:
            raise MeasurementError.single(
                file,
                key_path,
                f"cannot split {command!r} into arguments ({exc}); give the command as a list "
                "of arguments, or set shell: true to run it through the shell",
            ) from None
        return argv, command
    argv = [str(a) for a in command]
    if not argv or not argv[0]:
        raise MeasurementError.single(file, key_path, "the probe command is empty")
    if shell:
        raise MeasurementError.single(
            file,
            key_path,
            "shell: true applies to a command given as one string; give the command as a string "
            "or remove shell: true",
        )
    return argv, shlex.join(argv)


def _tail(path: Path, lines: int = 15) -> str:
    try:
        text = path.read_text(errors="replace").strip().splitlines()[-lines:]
    except OSError:
        return ""
    return ("\n" + "\n".join("    " + t for t in text)) if text else ""


def _kill(proc: subprocess.Popen[bytes]) -> None:
    """Kill the probe and everything it started (it runs in its own process group)."""
    with contextlib.suppress(ProcessLookupError, PermissionError, OSError):
        if hasattr(os, "killpg"):
            os.killpg(proc.pid, signal.SIGKILL)
        else:  # pragma: no cover - not POSIX
            proc.kill()
    with contextlib.suppress(Exception):
        proc.wait(timeout=10)


def run_probe(
    command: str | list[str],
    timeout_s: float,
    country_iso3: str,
    output_dir: Path,
    requests: int | None,
    shell: bool = False,
    *,
    project_name: str = "llmdecide-probe",
    tracking_mode: str = "machine",
    measure_power_secs: float = 1.0,
    cwd: Path | None = None,
    file_for_errors: str = "params",
    key_path: str = "carbon.probe",
) -> ProbeResult:
    """Run a client command under codecarbon's tracker, with a timeout; energy per request.

    * A list is run as is, without a shell. A string is split like a shell would (``shlex``) and
      run without a shell, unless ``shell=True``: then it goes through ``/bin/sh`` (pipes,
      variables, globbing) — only for a string, never for a list.
    * The command runs in its own process group; on timeout the whole group is killed.
    * Its output goes to ``output_dir/probe.stdout.txt`` and ``probe.stderr.txt``.
    * ``tracking_mode="machine"`` by default: the probe's energy is the machine's while it runs
      (a child that exits between two 1-second samples would be lost by process mode, and a local
      server under test is not our child). Run it on an otherwise quiet machine.
    * A non-zero exit, a timeout or a command that cannot start raises ``MeasurementError``.
    """
    argv, shown = _probe_argv(command, shell, file_for_errors, f"{key_path}.command")
    if requests is not None and (isinstance(requests, bool) or int(requests) <= 0):
        raise MeasurementError.single(
            file_for_errors, f"{key_path}.requests", f"expected a count > 0, got {requests!r}"
        )
    if not (timeout_s > 0):
        raise MeasurementError.single(
            file_for_errors, f"{key_path}.timeout_s", f"expected seconds > 0, got {timeout_s!r}"
        )
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    stdout_path = output_dir / "probe.stdout.txt"
    stderr_path = output_dir / "probe.stderr.txt"
    failure: str | None = None
    exit_code = -1
    with (
        track(
            country_iso3,
            output_dir,
            project_name,
            tracking_mode=tracking_mode,
            measure_power_secs=measure_power_secs,
        ) as run,
        open(stdout_path, "wb") as out,
        open(stderr_path, "wb") as err,
    ):
        try:
            proc = subprocess.Popen(
                argv,
                shell=shell,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                cwd=cwd,
                start_new_session=True,
            )
        except FileNotFoundError:
            failure = (
                f"command not found: {shown!r}"
                + (f" (cwd {cwd})" if cwd else "")
                + "; check the program name and that it is on PATH, or give its full path"
            )
        except PermissionError:
            failure = f"{shown!r} cannot be executed (permission denied); check the program's mode"
        except OSError as exc:
            failure = f"{shown!r} could not start ({exc.strerror or exc})"
        else:
            try:
                exit_code = proc.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                _kill(proc)
                failure = (
                    f"{shown!r} did not finish within {timeout_s:g} s and was stopped; raise "
                    f"{key_path}.timeout_s or make the probe shorter (fewer requests)"
                )
            except BaseException:
                _kill(proc)
                raise
    if failure is None and exit_code != 0:
        failure = (
            f"{shown!r} failed with exit status {exit_code}"
            + (" (command not found by the shell)" if shell and exit_code == 127 else "")
            + f"; fix the command (its error output is in {stderr_path}){_tail(stderr_path)}"
        )
    if failure is not None:
        raise MeasurementError.single(file_for_errors, f"{key_path}.command", failure)

    def per(value: float, scale: float = 1.0) -> float | None:
        return value * scale / requests if requests else None

    return ProbeResult(
        command=shown,
        exit_code=exit_code,
        requests=int(requests) if requests else None,
        duration_s=run.duration_s,
        energy_kwh=run.energy_kwh,
        emissions_kgco2e=run.emissions_kg,
        kwh_per_request=per(run.energy_kwh),
        wh_per_request=per(run.energy_kwh, 1000.0),
        kgco2e_per_request=per(run.emissions_kg),
        gco2e_per_request=per(run.emissions_kg, 1000.0),
        stdout_path=str(stdout_path),
        stderr_path=str(stderr_path),
        measurement=run,
    )


# --------------------------------------------------------------------------------------------
# Pure helpers


def operational_kgco2e(
    energy_kwh: float,
    intensity_g_per_kwh: float,
    renewable_share: float = 0.0,
    contract_intensity_g_per_kwh: float | None = None,
) -> float:
    """kgCO2e of electricity use, market-based when part of it is under a low-carbon contract.

    (1 − s) × E × I_grid + s × E × I_contract, over 1000 (g → kg), with E the energy in kWh,
    I_grid the grid's location-based intensity, s the contracted share and I_contract the
    contract's intensity (0 gCO2e/kWh when not given, as the GHG Protocol's market-based method
    counts a renewable certificate). With s = 0 this is the location-based figure.
    """
    contract = 0.0 if contract_intensity_g_per_kwh is None else contract_intensity_g_per_kwh
    for name, value in (
        ("energy_kwh", energy_kwh),
        ("intensity_g_per_kwh", intensity_g_per_kwh),
        ("contract_intensity_g_per_kwh", contract),
    ):
        if not (value >= 0) or not math.isfinite(value):
            raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    if not (0.0 <= renewable_share <= 1.0):
        raise ValueError(f"renewable_share must be within 0..1, got {renewable_share!r}")
    grid_g = (1.0 - renewable_share) * energy_kwh * intensity_g_per_kwh
    contract_g = renewable_share * energy_kwh * contract
    return (grid_g + contract_g) / 1000.0


def embodied_kgco2e_per_month(
    embodied_kgco2e_per_gpu: float, gpus: float, life_years: float
) -> float:
    """Manufacturing emissions of the GPUs (with their server share) spread evenly over their life:
    per-GPU kgCO2e × GPUs / (life in years × 12 months)."""
    if not (embodied_kgco2e_per_gpu >= 0) or not math.isfinite(embodied_kgco2e_per_gpu):
        raise ValueError(f"embodied_kgco2e_per_gpu must be >= 0, got {embodied_kgco2e_per_gpu!r}")
    if not (gpus >= 0) or not math.isfinite(gpus):
        raise ValueError(f"gpus must be >= 0, got {gpus!r}")
    if not (life_years > 0) or not math.isfinite(life_years):
        raise ValueError(f"life_years must be > 0, got {life_years!r}")
    return embodied_kgco2e_per_gpu * gpus / (life_years * 12.0)
