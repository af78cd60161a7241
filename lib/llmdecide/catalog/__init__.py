"""The catalog (docs/catalog.md): validated records read from ``params/catalog/*.yaml``.

Every figure the method uses lives in the catalog, never in code: GPUs, open models, API models,
cloud offers, on-premise costs, regions, engine efficiencies, precision deltas, quantisations,
currency rates, named assumptions and the method settings. Each record carries ``source`` (a URL or
a document reference) and ``retrieved`` (ISO date); an uncertain number is a :class:`Range`.

Layout of the YAML files: each file is a mapping whose top-level keys are record kinds
(``gpus``, ``open_models``, ``api_models``, ``cloud_offers``, ``on_premise``, ``regions``,
``efficiencies``, ``precision_deltas``, ``quantisations``, ``currency_rates``, ``assumptions``,
``method``); a kind lives in exactly one file. ``cloud_offers`` is a list, ``method`` a single
record, every other kind a mapping keyed by name (GPU name, model name, ISO-3 code, ...).

``load(folder=None)`` validates everything and raises one :class:`CatalogError` listing every
problem (file, key path such as ``gpus.L40S.memory_gb``, what is expected). Results are cached per
folder and per file state (name, size, mtime), so an edited file is read again.

API model ids are genai-prices ids (``calc_price(Usage(...), model_ref=id, provider_id=provider)``,
bundled data, no network) that EcoLogits also resolves
(``ecologits.model_repository.models.find_model(ecologits_provider, id)``), both pinned
(genai-prices 0.2.3, EcoLogits 0.11.3); ``tests/test_api_catalog.py`` resolves every id in both,
offline. The catalog's ``mistral-large`` is Mistral Large 3 (``mistral-large-2512``) in both
packages: EcoLogits 0.11.3 does not know Mistral Large 2, which genai-prices maps plain
``mistral-large`` to. How to add a model or refresh after upgrading the packages:
docs/catalog.md, "API models".

``ApiModel.genai_prices_id`` and ``ApiModel.ecologits_id`` are always filled after loading (with
the catalog key when the YAML omits them).

Modules, each importing only those above it:

- ``records``: ``Range``, ``BaseRecord`` (``source``, ``retrieved``, ``note``) and the shared
  field shortcuts and fraction check;
- ``hardware`` (``Gpu``, ``Interconnect``, ``OnPremOffer``, ``Efficiency``), ``models``
  (``OpenModel``, ``ApiModel``, the reasoning efforts), ``offers`` (``CloudOffer``, ``Region``,
  ``CurrencyRate``), ``method`` (``PrecisionDelta``, ``Quantisation``, ``Assumption``,
  ``MethodSettings``): the records, by what they describe;
- ``container``: ``Catalog`` (the records by kind and their lookups), ``KINDS``, ``REQUIRED``;
- ``loader``: reading and validating the YAML files, ``load``, ``clear_cache``;
- ``check``: what the catalog holds and whether it still holds up (``llmdecide catalog``
  commands); not imported here, ``from llmdecide.catalog import check``.

This ``__init__`` re-exports the public API below (``from llmdecide import catalog;
catalog.load()``); any other name is imported from its module.
"""

from __future__ import annotations

from llmdecide.catalog.container import KINDS, Catalog
from llmdecide.catalog.hardware import Efficiency, Gpu, Interconnect, OnPremOffer
from llmdecide.catalog.loader import DEFAULT_FOLDER, ENV_VAR, clear_cache, load
from llmdecide.catalog.method import Assumption, MethodSettings, PrecisionDelta, Quantisation
from llmdecide.catalog.models import REASONING_EFFORTS, ApiModel, OpenModel
from llmdecide.catalog.offers import CloudOffer, Commitment, CurrencyRate, Region
from llmdecide.catalog.records import BaseRecord, Range
from llmdecide.errors import CatalogError

__all__ = [
    "DEFAULT_FOLDER",
    "ENV_VAR",
    "KINDS",
    "REASONING_EFFORTS",
    "ApiModel",
    "Assumption",
    "BaseRecord",
    "Catalog",
    "CatalogError",
    "CloudOffer",
    "Commitment",
    "CurrencyRate",
    "Efficiency",
    "Gpu",
    "Interconnect",
    "MethodSettings",
    "OnPremOffer",
    "OpenModel",
    "PrecisionDelta",
    "Quantisation",
    "Range",
    "Region",
    "clear_cache",
    "load",
]
