"""Small reusable field types of the client params models, and ``_Section``, the base of every
section: unknown keys rejected, no NaN/inf, readable messages for bad values.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
)
from pydantic_core import PydanticCustomError

from llmdecide import priorities as _priorities

OPTIMISATIONS = ("fp16", "fp8", "int8", "int4")
RAG_MODES = ("none", "rag")
OUTPUT_FORMATS = ("text", "structured", "multimodal")
DEPLOYMENT_MODES = ("real_time", "batch")
PERFORMANCE_METRICS = ("p95_latency_s", "ttft_p95_s", "turnaround_h")
CRITERIA = _priorities.CRITERIA

# --------------------------------------------------------------------------------------------
# Small reusable field types


def _custom(message: str, key: str = "") -> PydanticCustomError:
    """A validation error with a ready-made message; ``key`` extends the key path (dotted)."""
    return PydanticCustomError("llmdecide", "{message}", {"message": message, "key": key})


def _show(value: Any) -> str:
    """A short, readable rendering of a bad value for a message."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "nothing (null)"
    if isinstance(value, str):
        return repr(value if len(value) <= 60 else value[:57] + "...")
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    return type(value).__name__


def _no_bool(value: Any) -> Any:
    # pydantic's lax mode reads true as 1; in a params file that is always a mistake
    if isinstance(value, bool):
        raise _custom(f"expected a number, got {_show(value)}")
    return value


def _as_list(value: Any) -> Any:
    """Accept one value where a list is expected (``output_format: text``)."""
    return (
        [value] if isinstance(value, str | int | float) and not isinstance(value, bool) else value
    )


def _dedupe(values: list[Any] | None) -> list[Any] | None:
    return None if values is None else list(dict.fromkeys(values))


def _iso3(value: Any) -> Any:
    if isinstance(value, str) and re.fullmatch(r"[A-Za-z]{3}", value.strip()):
        return value.strip().upper()
    raise _custom(
        f"expected an ISO-3 country code (three letters such as FRA, IRL, USA), got {_show(value)}"
    )


def _name(value: Any) -> Any:
    if isinstance(value, str) and value.strip():
        return value.strip()
    raise _custom(f"expected a name (text), got {_show(value)}")


def _one_line(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        if "\n" in value or "\r" in value:
            raise _custom("expected a single line of text")
    return value


_FRACTION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*/\s*(\d+(?:\.\d+)?)\s*$")


def _fraction(value: Any) -> Any:
    """AHP judgements may be written as Saaty fractions: ``1/3``."""
    if isinstance(value, str):
        match = _FRACTION.fullmatch(value)
        if match and float(match.group(2)) > 0:
            return float(match.group(1)) / float(match.group(2))
    return value


def _one_or_many(schema: dict[str, Any]) -> None:
    """JSON Schema of a one-or-many field: the list, or a single item."""
    for option in schema.get("anyOf", [schema]):
        if option.get("type") == "array" and "items" in option:
            array = {k: option.pop(k) for k in ("type", "items", "minItems") if k in option}
            option["anyOf"] = [array, array["items"]]
            return


def _fraction_schema(schema: dict[str, Any]) -> None:
    """A judgement is a number or a fraction written as text ("1/3")."""
    schema["anyOf"] = [*schema.get("anyOf", []), {"type": "string", "pattern": _FRACTION.pattern}]


Number = Annotated[float, BeforeValidator(_no_bool)]
Integer = Annotated[int, BeforeValidator(_no_bool)]
Iso3 = Annotated[str, Field(pattern=r"^[A-Za-z]{3}$"), BeforeValidator(_iso3)]
Name = Annotated[str, BeforeValidator(_name)]
Line = Annotated[str, BeforeValidator(_one_line), Field(min_length=1, max_length=200)]
Judgement = Annotated[
    float,
    Field(ge=_priorities.JUDGEMENT_MIN, le=_priorities.JUDGEMENT_MAX),
    BeforeValidator(_no_bool),
    BeforeValidator(_fraction),
]


class _Section(BaseModel):
    """Every section: unknown keys rejected, no NaN/inf, a number where text is expected is text."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, coerce_numbers_to_str=True)
