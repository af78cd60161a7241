"""The client parameters file (docs/params.md): pydantic models, a safe loader, catalog checks, JSON Schema.

This Python package (``lib/llmdecide/params/``) reads the client files; it is not the
repository's top-level data folder ``params/``, which holds the YAML itself: the catalog
(``params/catalog/*.yaml``, read by ``llmdecide.catalog``) and the client files
(``params/clients/<slug>.yaml``, read here).

``load(path)`` reads ``params/clients/<slug>.yaml`` and either returns a validated ``ClientParams``
or raises one ``ParamsError`` holding one ``Problem`` per problem found, each naming the file, the
key path (``usage.requests_per_day``, ``options.gpus[1]``) and what is expected instead::

    params/clients/acme.yaml: usage.requests_per_dya: unknown key. Did you mean usage.requests_per_day?

YAML is loaded with PyYAML's safe loader only (Python object tags are refused), aliases are refused
(no "billion laughs"), duplicate keys are reported instead of silently keeping the last one.
``check_against_catalog`` then checks the names (GPUs, models, regions) against the catalog and
the contradictions between options and constraints.

Modules, each importing only those above it:

- ``fields``: small reusable field types and ``_Section``, the base of every section;
- ``limits`` (``critical_performance``), ``usage``, ``choices`` (``constraints``, ``options``),
  ``operations`` (``operations``, ``quotes``), ``evidence`` (``evaluations``, ``measurements``,
  ``carbon``): the sections;
- ``models``: ``ClientParams`` (the whole file), ``resolve_path``, ``json_schema``;
- ``problems``: pydantic errors translated into ``Problem`` s;
- ``yaml_loader``: the hardened YAML reading and ``load``;
- ``checks``: ``check_against_catalog`` and ``tco_warnings``.

This ``__init__`` re-exports the public API below (``from llmdecide.params import load``); any
other name is imported from its module.
"""

from __future__ import annotations

from llmdecide.params.checks import check_against_catalog, tco_warnings
from llmdecide.params.choices import Constraints, Options
from llmdecide.params.evidence import Carbon, Evaluation, Measurements, Pilot, Probe
from llmdecide.params.limits import CriticalPerformance, Pairwise
from llmdecide.params.models import (
    Client,
    ClientParams,
    Report,
    UseCase,
    json_schema,
    resolve_path,
    write_schema,
)
from llmdecide.params.operations import Operations, Quote
from llmdecide.params.usage import Phase, Usage
from llmdecide.params.yaml_loader import load

__all__ = [
    "Carbon",
    "Client",
    "ClientParams",
    "Constraints",
    "CriticalPerformance",
    "Evaluation",
    "Measurements",
    "Operations",
    "Options",
    "Pairwise",
    "Phase",
    "Pilot",
    "Probe",
    "Quote",
    "Report",
    "Usage",
    "UseCase",
    "check_against_catalog",
    "json_schema",
    "load",
    "resolve_path",
    "tco_warnings",
    "write_schema",
]
