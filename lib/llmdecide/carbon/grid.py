"""Grid carbon intensity per country and per cloud region, from codecarbon's bundled data.

``grid_intensity_g_per_kwh`` and ``cloud_region_intensity`` take their figures through codecarbon's
own emission engine, so that projections and the tracker use the same numbers; unknown codes raise
``CarbonError`` instead of codecarbon's silent world average. ``codecarbon_version`` is recorded
beside every figure taken from codecarbon.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from llmdecide.errors import CarbonError, Problem, did_you_mean

COUNTRY_DATA_FILE = "data/private_infra/global_energy_mix.json"
"""codecarbon's per-country energy mix and carbon intensity (inside the codecarbon package)."""

CLOUD_DATA_FILE = "data/cloud/impact.csv"
"""codecarbon's per-cloud-region carbon intensity (inside the codecarbon package)."""

COUNTRY_DATA_ORIGIN = (
    "Our World in Data, carbon intensity of electricity generation "
    "(https://ourworldindata.org/grapher/carbon-intensity-electricity), as bundled by codecarbon"
)
"""Where codecarbon's methodology page says the per-country ``carbon_intensity`` comes from."""


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
    # lazy: codecarbon takes about a second to import, kept out of kernel start-up
    from codecarbon._version import __version__

    return str(__version__)


@functools.cache
def _data_file(relative: str) -> tuple[Path, str]:
    """Path and sha256 of one of codecarbon's bundled data files."""
    # lazy: codecarbon takes about a second to import, kept out of kernel start-up
    from codecarbon.input import DataSource

    path = Path(DataSource.get_ressource_path("codecarbon", relative))
    return path, hashlib.sha256(path.read_bytes()).hexdigest()


@functools.lru_cache(maxsize=1)
def _energy_mix() -> dict[str, dict[str, Any]]:
    """codecarbon's ``global_energy_mix.json``, read as its ``DataSource`` reads it
    (``json.load``). Not through ``DataSource.get_global_energy_mix_data``: that loads all of
    codecarbon's static data first, two CSVs through pandas among it, 0.3 s of notebook 02's
    stage for tables a country's intensity never reads."""
    path, _ = _data_file(COUNTRY_DATA_FILE)
    with path.open(encoding="utf-8") as file:
        mix: dict[str, dict[str, Any]] = json.load(file)
    return mix


@functools.cache
def _country_data_source() -> Any:
    """codecarbon's ``DataSource`` whose energy mix is :func:`_energy_mix`; every other table is
    codecarbon's own, loaded only if its engine asks (a country without a published intensity
    needs its per-source factors)."""
    # lazy: codecarbon takes about a second to import, kept out of kernel start-up
    from codecarbon.input import DataSource

    class CountryData(DataSource):  # type: ignore[misc]  # codecarbon is untyped
        def get_global_energy_mix_data(self) -> dict[str, dict[str, Any]]:
            return _energy_mix()

    return CountryData()


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
    # lazy: codecarbon takes about a second to import, kept out of kernel start-up
    from codecarbon.core.emissions import Emissions
    from codecarbon.core.units import Energy
    from codecarbon.external.geography import GeoMetadata

    row = mix[code]
    name = str(row.get("country_name", code))
    kg = Emissions(_country_data_source()).get_country_emissions(
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
    # lazy: codecarbon takes about a second to import, kept out of kernel start-up
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


def text_or_empty(value: Any) -> str:
    """A text field read from codecarbon, ``""`` when missing (``None`` or NaN)."""
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
    # lazy: codecarbon takes about a second to import, kept out of kernel start-up
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
        iso3=text_or_empty(row.get("countryIsoCode")),
        country_name=text_or_empty(row.get("country_name")),
        location=text_or_empty(row.get("city")) or text_or_empty(row.get("state")),
        g_per_kwh=float(kg) * 1000.0,
        data_source=f"codecarbon/{CLOUD_DATA_FILE}",
        origin=text_or_empty(row.get("source")),
        codecarbon_version=codecarbon_version(),
        data_sha256=sha,
    )
