"""From pydantic's validation errors to ``Problem`` s: key paths, allowed values and bounds,
did-you-mean hints for unknown keys.
"""

from __future__ import annotations

import re
import types
from collections.abc import Iterable, Mapping, Sequence
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import annotated_types
from pydantic import (
    BaseModel,
    ValidationError,
)

from llmdecide import priorities as _priorities
from llmdecide.errors import Problem, did_you_mean
from llmdecide.params.fields import (
    _show,
)
from llmdecide.params.models import ClientParams


def _unwrap(annotation: Any) -> Any:
    """Strip Annotated and Optional; a real union stays a union."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            args = [a for a in get_args(annotation) if a is not type(None)]
            if len(args) != 1:
                return annotation
            annotation = args[0]
        else:
            return annotation


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _walk(
    loc: Sequence[str | int], root: type[BaseModel] | None = None
) -> tuple[list[str | int], Any, Any]:
    """Follow ``loc`` through the models: (clean key path, annotation reached, its FieldInfo).

    Parts that are not keys (union member tags, validator names) are dropped.
    """
    current: Any = root or ClientParams
    info = None
    clean: list[str | int] = []
    for part in loc:
        target = _unwrap(current)
        if isinstance(part, int):
            clean.append(part)
            if get_origin(target) is list:
                current, info = get_args(target)[0], None
            continue
        if _is_model(target):
            clean.append(part)
            if part in target.model_fields:
                info = target.model_fields[part]
                current = info.annotation
            else:
                current, info = None, None
            continue
        if get_origin(target) is dict:
            clean.append(part)
            current, info = get_args(target)[1], None
            continue
        # a union member tag or a validator name: not part of the key path
    return clean, current, info


def _key_path(parts: Iterable[str | int]) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _constraints(info: Any, annotation: Any) -> list[Any]:
    """The constraint objects of a field and of the Annotated type it holds."""
    found = list(getattr(info, "metadata", []) or [])
    pending = [annotation]
    while pending:
        current = pending.pop()
        if get_origin(current) is Annotated:
            inner, *extras = get_args(current)
            pending.append(inner)
            for extra in extras:
                found.extend(getattr(extra, "metadata", []) or [extra])
        elif get_origin(current) in (Union, types.UnionType):
            pending.extend(get_args(current))
    return found


def _bounds(info: Any, annotation: Any = None) -> str:
    """'> 0 and <= 24' from a field's constraints."""
    words = []
    for meta in _constraints(info, annotation):
        for attr, sign in (("gt", ">"), ("ge", ">="), ("lt", "<"), ("le", "<=")):
            value = getattr(meta, attr, None)
            if value is not None and isinstance(meta, annotated_types.BaseMetadata):
                shown = "1/9" if value == _priorities.JUDGEMENT_MIN else _number(value)
                words.append(f"{sign} {shown}")
    return " and ".join(words)


def _number(value: float) -> str:
    """1000000 rather than 1e+06: limits read as people write them."""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _literal_values(annotation: Any) -> list[str]:
    target = _unwrap(annotation)
    if get_origin(target) is Literal:
        return [str(v) for v in get_args(target)]
    return []


def _describe(err: Mapping[str, Any], clean: list[str | int], annotation: Any, info: Any) -> str:
    kind = err["type"]
    value = err.get("input")
    ctx = err.get("ctx") or {}
    got = f", got {_show(value)}"
    if kind == "llmdecide":
        return str(ctx["message"])
    if kind in ("value_error", "assertion_error"):
        return str(ctx.get("error", err["msg"]))
    if kind == "literal_error":
        allowed = _literal_values(annotation) or [ctx.get("expected", "")]
        hint = did_you_mean(str(value), allowed) if isinstance(value, str) else ""
        if not hint and isinstance(value, str):
            lowered = {a.lower(): a for a in allowed}
            if value.strip().lower() in lowered:
                hint = f" Did you mean {lowered[value.strip().lower()]}?"
        return f"expected one of {', '.join(allowed)}{got}.{hint}".replace("..", ".")
    if kind in (
        "greater_than",
        "greater_than_equal",
        "less_than",
        "less_than_equal",
        "int_parsing",
        "int_type",
        "int_from_float",
        "float_parsing",
        "float_type",
        "finite_number",
    ):
        whole = _unwrap(annotation) is int or kind.startswith("int")
        bounds = _bounds(info, annotation)
        number = "a whole number" if whole else "a number"
        return f"expected {number}{' ' + bounds if bounds else ''}{got}"
    if kind in ("bool_type", "bool_parsing"):
        return f"expected true or false{got}"
    if kind in ("string_type", "string_sub_type"):
        return f"expected text{got}"
    if kind == "string_too_short":
        return "expected a non-empty text"
    if kind == "string_too_long":
        return f"too long: at most {ctx.get('max_length')} characters"
    if kind in ("list_type", "tuple_type"):
        return f"expected a list (e.g. [a, b]){got}"
    if kind == "too_short":
        return f"expected at least {ctx.get('min_length', 1)} item(s); give a non-empty list"
    if kind == "too_long":
        return f"expected at most {ctx.get('max_length')} item(s)"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        target = _unwrap(annotation)
        keys = ", ".join(target.model_fields) if _is_model(target) else ""
        return f"expected a mapping of keys{' (' + keys + ')' if keys else ''}{got}"
    if kind == "missing":
        what = "section" if _is_model(_unwrap(annotation)) else "key"
        description = getattr(info, "description", None)
        detail = f" ({description})" if description else ""
        return f"required {what} missing{detail}; add it (see params/clients/_template.yaml)"
    return f"{err['msg']}{got}"


def problems_from_validation(
    exc: ValidationError, file: str, root: type[BaseModel] | None = None
) -> list[Problem]:
    """One ``Problem`` per pydantic error, with key paths, allowed values and did-you-mean hints.

    ``root`` is the model that was validated (default ``ClientParams``).
    """
    problems: list[Problem] = []
    entries: list[tuple[Mapping[str, Any], list[str | int], Any, Any]] = []
    suggested: dict[int, str] = {}  # entry index -> key path of the known key it resembles
    for error in exc.errors(include_url=False):
        loc = list(error["loc"])
        if error["type"] in ("extra_forbidden", "invalid_key"):  # invalid_key: not text (1: x)
            clean, parent, _ = _walk(loc[:-1], root)
            model = _unwrap(parent)
            allowed = list(model.model_fields) if _is_model(model) else []
            hint = did_you_mean(str(loc[-1]), allowed)
            if hint:
                match = hint.removeprefix(" Did you mean ").removesuffix("?")
                suggested[len(entries)] = _key_path([*clean, match])
            entries.append((error, [*clean, _key_text(loc[-1])], allowed, None))
        else:
            clean, annotation, info = _walk(loc, root)
            key = (error.get("ctx") or {}).get("key") if error["type"] == "llmdecide" else None
            if key:
                clean = [*clean, *_parse_key(key)]
            entries.append((error, clean, annotation, info))
    for index, (err, clean, annotation, info) in enumerate(entries):
        path = _key_path(clean)
        if err["type"] == "missing" and path in suggested.values():
            continue  # reported as "unknown key. Did you mean <path>?"
        if err["type"] in ("extra_forbidden", "invalid_key"):
            if index in suggested:
                expected = f"unknown key. Did you mean {suggested[index]}?"
            else:
                expected = f"unknown key; the keys here are {', '.join(annotation)}"
        else:
            expected = _describe(err, clean, annotation, info)
        problems.append(Problem(file, path, expected))
    return _unique(problems)


def _key_text(key: Any) -> str:
    """An unknown key as a message shows it: quoted when blank or not printable on one line."""
    text = str(key)
    if not text.strip() or text != text.strip() or not text.isprintable():
        return repr(text)
    return text


def _parse_key(key: str) -> list[str | int]:
    parts: list[str | int] = []
    for piece in key.split("."):
        name, *indices = re.split(r"\[(\d+)\]", piece)
        if name:
            parts.append(name)
        parts.extend(int(i) for i in indices if i)
    return parts


def _unique(problems: list[Problem]) -> list[Problem]:
    return list(dict.fromkeys(problems))
