"""Reading the catalog folder: safe YAML, one record kind per file, every record validated and
cross-checked, every problem gathered into one :class:`~llmdecide.errors.CatalogError`; the
result cached per folder and file state (name, size, mtime)."""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from llmdecide.catalog.container import _KEYED, KINDS, REQUIRED, Catalog, _display
from llmdecide.catalog.method import MethodSettings
from llmdecide.catalog.offers import CloudOffer
from llmdecide.catalog.records import BaseRecord
from llmdecide.errors import CatalogError, Problem, did_you_mean

DEFAULT_FOLDER = Path(__file__).resolve().parents[3] / "params" / "catalog"
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
        data = _read_yaml(_display(path), data_bytes, problems)
        if data is not None:
            _collect_kinds(path, data, raw, problems)

    tables, files = _validate_kinds(folder, raw, problems)
    if not problems:
        _cross_check(tables, files, folder, problems)
    if problems:
        raise CatalogError(problems)
    return _assemble(tables, files, folder, digest.hexdigest())


def _read_yaml(file: str, data_bytes: bytes, problems: list[Problem]) -> dict[Any, Any] | None:
    """The file's mapping of record kinds, or ``None`` (empty, or a problem appended)."""
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
        return None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else ""
        detail = getattr(exc, "problem", None) or str(exc).splitlines()[0]  # one line
        problems.append(Problem(file, where, f"valid YAML is expected ({detail})"))
        return None
    if data is None:
        return None
    if not isinstance(data, dict):
        problems.append(Problem(file, "", "a mapping of record kinds is expected"))
        return None
    return data


def _collect_kinds(
    path: Path, data: dict[Any, Any], raw: dict[str, tuple[Path, Any]], problems: list[Problem]
) -> None:
    """Add the file's record kinds to ``raw`` (kind -> (file, body)): a kind lives in one file."""
    file = _display(path)
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


def _validate_kinds(
    folder: Path, raw: dict[str, tuple[Path, Any]], problems: list[Problem]
) -> tuple[dict[str, Any], dict[str, str]]:
    """Every kind's records validated (kind -> table), and the file each kind came from."""
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
    return tables, files


def _assemble(tables: dict[str, Any], files: dict[str, str], folder: Path, sha256: str) -> Catalog:
    """The ``Catalog`` of validated tables; API model ids default to the catalog key."""
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
        sha256=sha256,
        files=files,
    )


_PROVENANCE = {
    "source": (
        "required: every record says where its figures come from; add source: <URL or "
        "document reference> (say 'secondary' in note when it is not the primary source)"
    ),
    "retrieved": "required: add retrieved: <ISO date the source was read, e.g. 2026-12-01>",
}


def _errors(file: str, prefix: str, exc: ValidationError) -> Iterator[Problem]:
    for err in exc.errors(include_url=False):
        loc = [str(p) for p in err["loc"] if p not in ("function-after", "function-before")]
        # pydantic puts union/model-validator tags in loc; keep field names only
        loc = [p for p in loc if not p.startswith(("float", "int", "Range", "none", "list["))]
        key_path = ".".join([prefix, *loc])
        msg = err["msg"]
        if err["type"] == "missing" and loc and loc[-1] in _PROVENANCE:
            msg = _PROVENANCE[loc[-1]]
        elif err["type"] == "missing":
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
    engine = tables["method"].engine
    if engine not in tables["efficiencies"]:
        problems.append(
            Problem(
                file("method"),
                "method.engine",
                f"{engine!r} has no record in efficiencies."
                f"{did_you_mean(engine, tables['efficiencies'])}",
            )
        )
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
