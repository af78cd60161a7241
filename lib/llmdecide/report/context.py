"""The report context (docs/architecture.md, "Report context"): its sections, the four pillars and
the order of the per-choice sections. A JSON-only dict, checked before anything is rendered."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from llmdecide.columns import CHOICE_TABLES
from llmdecide.errors import ReportError

CHOICE_ORDER = CHOICE_TABLES
PILLARS = ("performance", "precision", "cost", "carbon")
CONTEXT_KEYS = (
    "client",
    "run",
    "results",
    "critical",
    "choices",
    "carbon",
    "measurements",
    "changes",
    "assumptions",
    "sources",
)


def check_context(context: Mapping[str, Any]) -> None:
    missing = [key for key in CONTEXT_KEYS if key not in context]
    if missing:
        raise ReportError(f"report context lacks {', '.join(missing)} (docs/architecture.md)")


def ordered_choices(per_choice: Mapping[str, Any]) -> list[str]:
    known = [c for c in CHOICE_ORDER if per_choice.get(c)]
    return known + sorted(c for c in per_choice if c not in CHOICE_ORDER and per_choice[c])
