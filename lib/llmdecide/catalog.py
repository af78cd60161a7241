"""The catalog (SPEC §3): validated records read from ``params/catalog/*.yaml``.

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

API model ids (checked offline against the pinned packages, 2026-11-25; ``tests/test_catalog.py``
checks them again):

- genai-prices 0.2.3 (``calc_price(Usage(...), model_ref=id, provider_id=provider)``, bundled
  data, no network): ``openai``/``gpt-4o`` ($2.50 in / $10 out per Mtok), ``openai``/
  ``gpt-4o-mini`` ($0.15 / $0.60), ``mistral``/``mistral-large`` (matches ``mistral-large``,
  ``-latest``, ``-2407``, ``-2411``: Mistral Large 2, $2 / $6), ``mistral``/``mistral-large-2512``
  (Mistral Large 3, $0.50 / $1.50), ``anthropic``/``claude-haiku-4-5`` ($1 / $5),
  ``mistral``/``mistral-small-latest`` ($0.15 / $0.60). ``mistral-small`` alone is unknown there.
- EcoLogits 0.11.3 (``ecologits.model_repository.models.find_model(provider, name)``):
  ``openai``/``gpt-4o`` (MoE 440B, 44-132B active, tps 74, ttft 0.61 s), ``openai``/
  ``gpt-4o-mini`` (dense 8-28B, tps 79, ttft 0.54 s), ``mistralai``/``mistral-large-2512`` and
  ``mistral-large-latest`` (both Mistral Large 3: MoE 675B, 41B active, tps 52, ttft 0.68 s),
  ``anthropic``/``claude-haiku-4-5`` (no deployment figures). ``mistral-large`` alone, Mistral
  Large 2 (``-2411``) and every ``claude-3-5-*`` id are unknown to EcoLogits 0.11.3.
  Hence the catalog's ``mistral-large`` is Mistral Large 3 (``mistral-large-2512``) in both
  packages, so that price, footprint and accuracy describe the same model.

``ApiModel.genai_prices_id`` and ``ApiModel.ecologits_id`` are always filled after loading (with
the catalog key when the YAML omits them).
"""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from llmdecide.errors import CatalogError, Problem, did_you_mean

__all__ = [
    "DEFAULT_FOLDER",
    "ApiModel",
    "Assumption",
    "BaseRecord",
    "Catalog",
    "CatalogError",
    "CloudOffer",
    "CurrencyRate",
    "Efficiency",
    "Gpu",
    "MethodSettings",
    "OnPremOffer",
    "OpenModel",
    "PrecisionDelta",
    "Quantisation",
    "Range",
    "Region",
    "load",
]

DEFAULT_FOLDER = Path(__file__).resolve().parents[2] / "params" / "catalog"
ENV_VAR = "LLMDECIDE_CATALOG"

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _LocatingLoader(yaml.SafeLoader):
    """The safe loader, where a scalar that cannot be built becomes a YAML error with its line."""

    def construct_object(self, node: Any, deep: bool = False) -> Any:  # type: ignore[override]
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, TypeError, AttributeError, OverflowError) as exc:
            raise yaml.constructor.ConstructorError(
                None, None, f"{node.value!r} cannot be read ({exc})", node.start_mark
            ) from None


# --------------------------------------------------------------------------------------------
# Records


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Range(_Strict):
    """An uncertain number: central ``value`` with ``low <= value <= high``.

    A bare number means no spread (``low == high == value``); a mapping may omit ``low`` or
    ``high`` (each then equals ``value``).
    """

    value: float
    low: float
    high: float

    @model_validator(mode="before")
    @classmethod
    def _from_number(cls, data: Any) -> Any:
        if isinstance(data, bool):
            return data  # let pydantic reject it
        if isinstance(data, int | float):
            return {"value": data, "low": data, "high": data}
        if isinstance(data, dict) and "value" in data:
            data = dict(data)
            data.setdefault("low", data["value"])
            data.setdefault("high", data["value"])
        return data

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if not (self.low <= self.value <= self.high):
            raise ValueError(
                f"a range needs low <= value <= high, got low={self.low:g}, "
                f"value={self.value:g}, high={self.high:g}"
            )
        return self

    @property
    def spread(self) -> float:
        return self.high - self.low

    def scaled(self, factor: float) -> Range:
        """The same range multiplied by a positive factor."""
        values = sorted((self.low * factor, self.high * factor))
        return Range(value=self.value * factor, low=values[0], high=values[1])


class BaseRecord(_Strict):
    """What every record has: where the figures come from and when they were read."""

    source: str = Field(min_length=1, description="URL or document reference")
    retrieved: date = Field(description="ISO date the source was read")
    note: str | None = Field(None, description="estimate / proxy / conversion remarks")

    @field_validator("source")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("source must name a URL or a document, not be blank")
        return value.strip()


Positive = Field(gt=0)
NonNegative = Field(ge=0)


class Gpu(BaseRecord):
    """One accelerator (data-sheet figures; compute figures are DENSE, without sparsity)."""

    memory_gb: float = Positive
    bandwidth_gb_s: float = Positive
    bf16_tflops: float = Positive
    int8_tops: float = Positive
    fp8_tflops: float | None = Field(None, gt=0, description="null: no FP8 tensor cores")
    tdp_w: float = Positive
    idle_w: float = NonNegative
    embodied_kgco2e: Range | None = None
    purchase_price_usd: float = Positive
    form_factor: str = Field(min_length=1)

    @model_validator(mode="after")
    def _idle_below_tdp(self) -> Gpu:
        if self.idle_w > self.tdp_w:
            raise ValueError(f"idle_w ({self.idle_w:g}) must not exceed tdp_w ({self.tdp_w:g})")
        return self


class OpenModel(BaseRecord):
    """An open-weight model (config.json / model card figures)."""

    hf_id: str = Field(min_length=1)
    params_b: float = Positive
    active_params_b: float = Positive
    layers: int = Positive
    kv_heads: int = Positive
    head_dim: int = Positive
    context_tokens: int = Positive
    licence: str = Field(min_length=1)
    accuracy_proxy: Range
    accuracy_benchmark: str = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> OpenModel:
        if self.active_params_b > self.params_b:
            raise ValueError(
                f"active_params_b ({self.active_params_b:g}) must not exceed params_b "
                f"({self.params_b:g})"
            )
        _fraction(self.accuracy_proxy, "accuracy_proxy")
        return self

    @property
    def kv_bytes_per_token_fp16(self) -> int:
        """K and V, every layer, at 2 bytes per element."""
        return 2 * self.layers * self.kv_heads * self.head_dim * 2


class ApiModel(BaseRecord):
    """A third-party API model; prices come from genai-prices, footprints from EcoLogits."""

    provider: str = Field(min_length=1, description="genai-prices provider id")
    ecologits_provider: str = Field(min_length=1, description="EcoLogits provider id")
    genai_prices_id: str | None = Field(None, description="default: the catalog key")
    ecologits_id: str | None = Field(None, description="default: the catalog key")
    accuracy_proxy: Range
    accuracy_benchmark: str = Field(min_length=1)
    ttft_s: Range | None = None
    output_tokens_per_s: Range | None = None
    confidential_ok: bool = False

    @model_validator(mode="after")
    def _consistent(self) -> ApiModel:
        _fraction(self.accuracy_proxy, "accuracy_proxy")
        return self


class CloudOffer(BaseRecord):
    """An on-demand price per GPU-hour from a public price page."""

    provider: str = Field(min_length=1)
    gpu: str = Field(min_length=1)
    price_per_gpu_hour_usd: float = Positive
    regions: list[str] = Field(default_factory=list, description="ISO-3; empty = any")
    setup_cost_usd: float = Field(0.0, ge=0)
    instance: str | None = None
    gpus_per_instance: int = Field(1, gt=0)

    @field_validator("regions")
    @classmethod
    def _iso3(cls, value: list[str]) -> list[str]:
        for code in value:
            if not (len(code) == 3 and code.isalpha() and code.isupper()):
                raise ValueError(f"regions are ISO-3 codes in capitals (FRA, USA); got {code!r}")
        return value


class OnPremOffer(BaseRecord):
    """Owning the hardware: per-GPU share of a server, its power and its running costs."""

    server_price_usd_per_gpu: float = Positive
    server_power_w_per_gpu: float = NonNegative
    life_years: float = Positive
    operations_usd_per_gpu_month: float = NonNegative
    server_embodied_kgco2e_per_gpu: Range | None = None


class Region(BaseRecord):
    """A country (ISO-3 key) where a configuration may run."""

    name: str = Field(min_length=1)
    electricity_price_usd_per_kwh: float = Positive
    cloud_price_factor: float = Field(1.0, gt=0)
    pue: float | None = Field(None, ge=1.0, description="null: assumption pue_default")


class Efficiency(BaseRecord):
    """How much of the data-sheet peak an inference engine class achieves."""

    bandwidth_efficiency: Range
    mfu_decode: Range
    mfu_prefill: Range

    @model_validator(mode="after")
    def _fractions(self) -> Efficiency:
        for name in ("bandwidth_efficiency", "mfu_decode", "mfu_prefill"):
            _fraction(getattr(self, name), name, positive=True)
        return self


class PrecisionDelta(BaseRecord):
    """An accuracy adjustment (fraction; negative = loss) for an optimisation or an option."""

    delta: Range
    applies_to: str = Field(min_length=1)


class Quantisation(BaseRecord):
    """Storage bits of the weights, the compute precision, KV-cache bits."""

    bits: Literal[16, 8, 4]
    compute: Literal["bf16", "fp8", "int8"]
    kv_bits: Literal[16, 8] = 16


class CurrencyRate(BaseRecord):
    usd_per_unit: float = Positive
    date: date


class Assumption(BaseRecord):
    """A named method input with its unit and source."""

    value: Range
    unit: str = Field(min_length=1)


class MethodSettings(BaseRecord):
    """Method choices (not measured figures); documented in docs/method.md."""

    saturation_performance: float = Positive
    saturation_precision: float = Positive
    saturation_cost: float = Positive
    saturation_carbon: float = Positive
    monte_carlo_samples: int = Positive
    monte_carlo_seed: int = NonNegative
    winner_map_steps: int = Positive
    peak_window_s: float = Positive
    batch_sizes: list[int] = Field(min_length=1)
    ahp_consistency_threshold: float = Field(0.1, gt=0)
    batch_interval_h: float = Field(
        gt=0, le=168, description="self-hosted batch runs every N hours"
    )
    prices_as_of: date = Field(description="date at which genai-prices prices are looked up")
    usage_uncertainty_hypothesis: float = Field(ge=0, lt=1, description="± share on hypotheses")
    usage_uncertainty_measured: float = Field(ge=0, lt=1, description="± share on measured usage")

    @field_validator("batch_sizes")
    @classmethod
    def _positive_sorted(cls, value: list[int]) -> list[int]:
        if any(b <= 0 for b in value) or value != sorted(set(value)):
            raise ValueError("batch_sizes must be positive, increasing and without repeats")
        return value


def _fraction(r: Range, name: str, *, positive: bool = False) -> None:
    lowest = 0.0
    if r.low < lowest or r.high > 1.0 or (positive and r.low <= 0):
        bound = "0 < x <= 1" if positive else "0 <= x <= 1"
        raise ValueError(f"{name} is a fraction ({bound}); got low={r.low:g}, high={r.high:g}")


# --------------------------------------------------------------------------------------------
# The catalog


_KEYED: dict[str, type[BaseRecord]] = {
    "gpus": Gpu,
    "open_models": OpenModel,
    "api_models": ApiModel,
    "on_premise": OnPremOffer,
    "regions": Region,
    "efficiencies": Efficiency,
    "precision_deltas": PrecisionDelta,
    "quantisations": Quantisation,
    "currency_rates": CurrencyRate,
    "assumptions": Assumption,
}
KINDS: tuple[str, ...] = (*_KEYED, "cloud_offers", "method")

REQUIRED: dict[str, tuple[str, ...]] = {
    "quantisations": ("fp16", "int8", "int4"),
    "precision_deltas": ("int8", "int4", "fp8", "rag", "user_uploads", "structured", "multimodal"),
    "currency_rates": ("USD", "EUR"),
    "efficiencies": ("vllm",),
    "assumptions": (
        "network_rtt_s",
        "rag_chunks",
        "rag_tokens_per_chunk",
        "retrieval_latency_s",
        "vector_store_usd_per_gb_month",
        "embedding_usd_per_million_tokens",
        "pue_default",
        "hours_per_month",
        "days_per_month",
        "kv_memory_headroom",
        "queueing_factor",
        "setup_cost_self_hosted_usd",
        "setup_cost_api_usd",
        "api_batch_window_h",
        "contract_intensity_g_per_kwh",
        "api_ttft_s",
        "api_output_tokens_per_s",
        "tokens_per_gb_documents",
        "max_gpus_per_replica",
        "batch_max",
    ),
}


@dataclass(frozen=True, eq=False)
class Catalog:
    """All catalog records; dicts keyed by name (treat them as read-only: the object is cached)."""

    gpus: dict[str, Gpu]
    open_models: dict[str, OpenModel]
    api_models: dict[str, ApiModel]
    cloud_offers: list[CloudOffer]
    on_premise: dict[str, OnPremOffer]
    regions: dict[str, Region]
    efficiencies: dict[str, Efficiency]
    precision_deltas: dict[str, PrecisionDelta]
    quantisations: dict[str, Quantisation]
    currency_rates: dict[str, CurrencyRate]
    assumptions: dict[str, Assumption]
    method: dict[str, Any]
    method_record: MethodSettings
    folder: Path
    sha256: str
    files: dict[str, str] = field(default_factory=dict)  # kind -> file name

    # -- lookups ------------------------------------------------------------------------------

    def _lookup(self, kind: str, name: str, what: str = "") -> Any:
        table: dict[str, Any] = getattr(self, kind)
        if name in table:
            return table[name]
        lowered = {k.lower(): k for k in table}
        hint = (
            f" Did you mean {lowered[name.lower()]}?"
            if name.lower() in lowered
            else did_you_mean(name, table)
        )
        raise CatalogError(
            Problem(
                self._file(kind),
                f"{kind}.{name}",
                f"{name!r} is not in the catalog{what}.{hint} Known: {', '.join(table)}.",
            )
        )

    def _file(self, kind: str) -> str:
        return _display(self.folder / self.files.get(kind, f"{kind}.yaml"))

    def assumption(self, name: str) -> Assumption:
        return self._lookup("assumptions", name, " of assumptions")

    def gpu(self, name: str) -> Gpu:
        return self._lookup("gpus", name, " of GPUs")

    def open_model(self, name: str) -> OpenModel:
        return self._lookup("open_models", name, " of open models")

    def api_model(self, name: str) -> ApiModel:
        return self._lookup("api_models", name, " of API models")

    def region(self, iso3: str) -> Region:
        return self._lookup("regions", iso3, " of regions")

    def on_premise_offer(self, gpu: str) -> OnPremOffer:
        return self._lookup("on_premise", gpu, " of on-premise offers")

    def efficiency(self, engine: str = "vllm") -> Efficiency:
        return self._lookup("efficiencies", engine, " of efficiencies")

    def precision_delta(self, name: str) -> PrecisionDelta:
        return self._lookup("precision_deltas", name, " of precision deltas")

    def quantisation(self, name: str) -> Quantisation:
        return self._lookup("quantisations", name, " of quantisations")

    def offers_for(self, gpu: str, region: str) -> list[CloudOffer]:
        """Cloud offers of ``gpu`` usable in ``region`` (ISO-3), cheapest first.

        Prices are as published (not multiplied by the region's ``cloud_price_factor``).
        """
        found = [
            o for o in self.cloud_offers if o.gpu == gpu and (not o.regions or region in o.regions)
        ]
        return sorted(found, key=lambda o: (o.price_per_gpu_hour_usd, o.provider))

    def usd_per(self, currency: str) -> float:
        """US dollars per one unit of ``currency`` (ECB reference rate)."""
        return self._lookup("currency_rates", currency.upper(), " of currency rates").usd_per_unit

    def pue(self, iso3: str) -> float:
        """The region's PUE, or the catalog default (``pue_default``)."""
        region = self.region(iso3)
        if region.pue is not None:
            return region.pue
        return self.assumption("pue_default").value.value

    def records(self) -> list[tuple[str, str, BaseRecord]]:
        """(kind, name, record) for every record, in catalog order (for the sources appendix)."""
        out: list[tuple[str, str, BaseRecord]] = []
        for kind in _KEYED:
            out.extend((kind, name, rec) for name, rec in getattr(self, kind).items())
        out.extend(("cloud_offers", _offer_name(o), o) for o in self.cloud_offers)
        out.append(("method", "method", self.method_record))
        return out


def _offer_name(offer: CloudOffer) -> str:
    return f"{offer.provider} {offer.instance or offer.gpu}"


# --------------------------------------------------------------------------------------------
# Loading


def load(folder: Path | str | None = None) -> Catalog:
    """The validated catalog of ``folder`` (default: $LLMDECIDE_CATALOG, else params/catalog).

    Cached per folder and file state; raises ``CatalogError`` listing every problem.
    """
    if folder is None:
        folder = os.environ.get(ENV_VAR) or DEFAULT_FOLDER
    resolved = Path(folder).expanduser().resolve()
    if not resolved.is_dir():
        raise CatalogError(
            Problem(
                _display(resolved),
                "",
                f"the catalog folder does not exist; create it with the *.yaml files or set "
                f"{ENV_VAR} to the folder that holds them",
            )
        )
    files = sorted(resolved.glob("*.yaml"))
    state = tuple((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in files)
    return _load_cached(resolved, state)


def clear_cache() -> None:
    _load_cached.cache_clear()


@functools.lru_cache(maxsize=16)
def _load_cached(folder: Path, state: tuple[tuple[str, int, int], ...]) -> Catalog:
    return _load(folder, [folder / name for name, _, _ in state])


def _display(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _load(folder: Path, paths: list[Path]) -> Catalog:
    problems: list[Problem] = []
    if not paths:
        raise CatalogError(
            Problem(_display(folder), "", "no *.yaml file: the catalog needs its record files")
        )
    digest = hashlib.sha256()
    raw: dict[str, tuple[Path, Any]] = {}
    for path in paths:
        data_bytes = path.read_bytes()
        digest.update(path.name.encode() + b"\0" + data_bytes + b"\0")
        file = _display(path)
        try:
            # safe loading: _Loader is yaml.CSafeLoader (or yaml.SafeLoader without libyaml)
            try:
                data = yaml.load(data_bytes, Loader=_Loader)
            except (ValueError, TypeError, AttributeError, OverflowError):
                # a scalar YAML types but Python cannot build (2026-02-30): read again, slower,
                # to say on which line
                data = yaml.load(data_bytes, Loader=_LocatingLoader)
        except RecursionError:
            problems.append(Problem(file, "", "valid YAML is expected (nested too deep)"))
            continue
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"line {mark.line + 1}" if mark is not None else ""
            detail = getattr(exc, "problem", None) or str(exc).splitlines()[0]  # one line
            problems.append(Problem(file, where, f"valid YAML is expected ({detail})"))
            continue
        if data is None:
            continue
        if not isinstance(data, dict):
            problems.append(Problem(file, "", "a mapping of record kinds is expected"))
            continue
        for kind, body in data.items():
            if kind not in KINDS:
                problems.append(
                    Problem(
                        file,
                        str(kind),
                        f"unknown record kind.{did_you_mean(str(kind), KINDS)} "
                        f"Known: {', '.join(KINDS)}.",
                    )
                )
            elif kind in raw:
                problems.append(
                    Problem(file, kind, f"{kind} is already defined in {_display(raw[kind][0])}")
                )
            else:
                raw[kind] = (path, body)

    tables: dict[str, Any] = {}
    files: dict[str, str] = {}
    for kind in KINDS:
        if kind not in raw:
            problems.append(Problem(_display(folder), kind, f"the record kind {kind} is missing"))
            continue
        path, body = raw[kind]
        files[kind] = path.name
        file = _display(path)
        if kind == "cloud_offers":
            tables[kind] = _validate_list(file, kind, body, CloudOffer, problems)
        elif kind == "method":
            tables[kind] = _validate_one(file, kind, body, MethodSettings, problems)
        else:
            tables[kind] = _validate_keyed(file, kind, body, _KEYED[kind], problems)

    if not problems:
        _cross_check(tables, files, folder, problems)
    if problems:
        raise CatalogError(problems)

    api = {
        name: rec.model_copy(
            update={
                "genai_prices_id": rec.genai_prices_id or name,
                "ecologits_id": rec.ecologits_id or name,
            }
        )
        for name, rec in tables["api_models"].items()
    }
    method_record: MethodSettings = tables["method"]
    method = method_record.model_dump(exclude={"source", "retrieved", "note"})
    return Catalog(
        gpus=tables["gpus"],
        open_models=tables["open_models"],
        api_models=api,
        cloud_offers=tables["cloud_offers"],
        on_premise=tables["on_premise"],
        regions=tables["regions"],
        efficiencies=tables["efficiencies"],
        precision_deltas=tables["precision_deltas"],
        quantisations=tables["quantisations"],
        currency_rates=tables["currency_rates"],
        assumptions=tables["assumptions"],
        method=method,
        method_record=method_record,
        folder=folder,
        sha256=digest.hexdigest(),
        files=files,
    )


def _errors(file: str, prefix: str, exc: ValidationError) -> Iterator[Problem]:
    for err in exc.errors(include_url=False):
        loc = [str(p) for p in err["loc"] if p not in ("function-after", "function-before")]
        # pydantic puts union/model-validator tags in loc; keep field names only
        loc = [p for p in loc if not p.startswith(("float", "int", "Range", "none", "list["))]
        key_path = ".".join([prefix, *loc])
        msg = err["msg"]
        if err["type"] == "missing":
            msg = "this field is required"
        elif err["type"] == "extra_forbidden":
            msg = "unknown field (check the spelling; units belong in the key name)"
        elif msg.startswith("Value error, "):
            msg = msg.removeprefix("Value error, ")
        given = err.get("input")
        if err["type"] not in ("missing", "extra_forbidden") and not isinstance(given, dict):
            msg = f"{msg} (got {given!r})"
        yield Problem(file, key_path, msg)


def _validate_one(
    file: str, key_path: str, body: Any, model: type[BaseRecord], problems: list[Problem]
) -> Any:
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        problems.extend(_errors(file, key_path, exc))
        return None


def _validate_keyed(
    file: str, kind: str, body: Any, model: type[BaseRecord], problems: list[Problem]
) -> dict[str, Any]:
    if not isinstance(body, dict) or not body:
        problems.append(Problem(file, kind, f"a non-empty mapping of name -> {model.__name__}"))
        return {}
    out: dict[str, Any] = {}
    for name, record in body.items():
        rec = _validate_one(file, f"{kind}.{name}", record, model, problems)
        if rec is not None:
            out[str(name)] = rec
    return out


def _validate_list(
    file: str, kind: str, body: Any, model: type[BaseRecord], problems: list[Problem]
) -> list[Any]:
    if not isinstance(body, list) or not body:
        problems.append(Problem(file, kind, f"a non-empty list of {model.__name__} records"))
        return []
    out = []
    for i, record in enumerate(body):
        rec = _validate_one(file, f"{kind}[{i}]", record, model, problems)
        if rec is not None:
            out.append(rec)
    return out


def _cross_check(
    tables: dict[str, Any], files: dict[str, str], folder: Path, problems: list[Problem]
) -> None:
    def file(kind: str) -> str:
        return _display(folder / files[kind])

    for kind, names in REQUIRED.items():
        for name in names:
            if name not in tables[kind]:
                problems.append(Problem(file(kind), f"{kind}.{name}", "this record is required"))
    gpus, regions = tables["gpus"], tables["regions"]
    for iso3 in regions:
        if not (len(iso3) == 3 and iso3.isalpha() and iso3.isupper()):
            problems.append(
                Problem(file("regions"), f"regions.{iso3}", "keys are ISO-3 codes (FRA, USA)")
            )
    for i, offer in enumerate(tables["cloud_offers"]):
        if offer.gpu not in gpus:
            problems.append(
                Problem(
                    file("cloud_offers"),
                    f"cloud_offers[{i}].gpu",
                    f"{offer.gpu!r} is not in gpus.{did_you_mean(offer.gpu, gpus)}",
                )
            )
        for j, code in enumerate(offer.regions):
            if code not in regions:
                problems.append(
                    Problem(
                        file("cloud_offers"),
                        f"cloud_offers[{i}].regions[{j}]",
                        f"{code!r} is not in regions.{did_you_mean(code, regions)}",
                    )
                )
    for name in tables["on_premise"]:
        if name not in gpus:
            problems.append(
                Problem(
                    file("on_premise"),
                    f"on_premise.{name}",
                    f"keys are GPU names; {name!r} is not in gpus.{did_you_mean(name, gpus)}",
                )
            )
    for name in gpus:
        if (
            not any(o.gpu == name for o in tables["cloud_offers"])
            and name not in tables["on_premise"]
        ):
            problems.append(
                Problem(
                    file("gpus"),
                    f"gpus.{name}",
                    "a GPU needs at least one cloud offer or an on_premise record",
                )
            )
    overlap = set(tables["open_models"]) & set(tables["api_models"])
    for name in sorted(overlap):
        problems.append(
            Problem(
                file("api_models"),
                f"api_models.{name}",
                "this name is also an open model; give the API model another key",
            )
        )
    usd = tables["currency_rates"].get("USD")
    if usd is not None and usd.usd_per_unit != 1.0:
        problems.append(
            Problem(file("currency_rates"), "currency_rates.USD.usd_per_unit", "must be 1")
        )
