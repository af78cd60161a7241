"""codecarbon's ``OfflineEmissionsTracker``, with every setting ours and its slow paths patched.

``track(...)`` measures a block of code offline: every tracker argument is passed explicitly
(``tracker_settings``), codecarbon's config files and ``CODECARBON_*`` variables are hidden while the
tracker is built, and its CPU-model lookup is replaced by a read of ``/proc/cpuinfo`` (the patches
are listed in ``docs/carbon.md``). The block's figures come back in a ``TrackerRun``.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import math
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from llmdecide.carbon.grid import codecarbon_version, grid_intensity_g_per_kwh, text_or_empty
from llmdecide.errors import CarbonError, RunError

EMISSIONS_CSV = "emissions.csv"
RUN_PROJECT = "llmdecide-run"
"""codecarbon project name of the whole run's measurement (emissions.csv)."""
TRACKING_MODES = ("process", "machine")

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
    # lazy: codecarbon takes about a second to import, kept out of kernel start-up
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
    # lazy: codecarbon takes about a second to import, kept out of kernel start-up
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
    # lazy: codecarbon takes about a second to import, kept out of kernel start-up
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
    run.cpu_model = text_or_empty(conf.get("cpu_model"))
    run.gpu_count = int(conf.get("gpu_count") or 0)
    run.gpu_model = text_or_empty(conf.get("gpu_model"))
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
    run.country_name = text_or_empty(data.country_name)
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
