"""The portfolio page ``reports/index.html``: one row per client, sortable, self-contained.

Each row comes from a client's published ``results.json`` (docs/outputs.md) and ``run.json``, plus the
status of the last batch when the caller has one (``BatchStatus``): a client that failed in the
batch but has a previous report keeps its row, marked with the failure. The page has inline CSS
and a few lines of inline JavaScript to sort by a column; it loads nothing from the network.
Client names are untrusted text: the template autoescapes everything.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from babel.dates import format_date, format_time

from llmdecide import publish
from llmdecide.errors import InputError, Problem
from llmdecide.i18n import (
    LANGUAGES,
    TEMPLATES_DIR,  # Babel formatting shared with the report
    format_money,
    format_number,
    format_percent,
    number_or_none,
    template_environment,
)

TEMPLATE = "portfolio.html.j2"
INDEX = "index.html"
LANGUAGE_ENV = "LLMDECIDE_LANGUAGE"
DEFAULT_LANGUAGE = "fr"
NOT_APPLICABLE = {"", "n/a", "none", "null"}
STATES = ("ok", "skipped", "failed", "cancelled")
NUMERIC_CELLS = ("monthly_cost", "carbon", "probability")


@dataclass(frozen=True)
class BatchStatus:
    """What the last batch did with one client: ``ok``, ``skipped``, ``failed`` or ``cancelled``."""

    state: str
    detail: str = ""
    name: str | None = None


@dataclass
class Cell:
    """A table cell: the text shown and the key it sorts by (number, ISO date or text)."""

    text: str
    sort: str = ""
    css: str = ""
    title: str = ""


@dataclass
class Row:
    slug: str
    name: str
    cells: dict[str, Cell] = field(default_factory=dict)
    html: str | None = None
    pdf: str | None = None
    failed: bool = False
    feasible: bool | None = None


def consultant_language(language: str | None = None) -> str:
    """The portfolio's language: the argument, else ``$LLMDECIDE_LANGUAGE``, else French."""
    chosen = (language or os.environ.get(LANGUAGE_ENV) or DEFAULT_LANGUAGE).strip().lower()
    if chosen not in LANGUAGES:
        raise InputError(
            Problem(
                LANGUAGE_ENV if not language else "--language",
                "",
                f"{chosen!r} is not a supported language: use one of {', '.join(sorted(LANGUAGES))}",
            )
        )
    return chosen


@lru_cache(maxsize=4)
def messages(language: str) -> dict[str, Any]:
    path = TEMPLATES_DIR / "messages" / f"portfolio_{language}.yaml"
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(loaded, dict):
        raise InputError(Problem(str(path), "", "expected a mapping of message keys to texts"))
    return loaded


def _applies(value: Any) -> bool:
    return value is not None and str(value).strip().lower() not in NOT_APPLICABLE


def short_recommendation(recommendation: Mapping[str, Any] | None, language: str = "en") -> str:
    """One line for a configuration, e.g. ``cloud · L40S ×2 · llama-3.1-8b int8 · FRA``
    or ``API · gpt-4o-mini``; RAG and batch mode are appended when chosen."""
    if not recommendation:
        return ""
    t = messages(language)
    rec = dict(recommendation)
    hosting = str(rec.get("hosting") or "")
    parts: list[str] = [t["hosting"].get(hosting, hosting)] if hosting else []
    model = str(rec.get("model") or "")
    if hosting == "api":
        if model:
            parts.append(model)
    else:
        gpu = rec.get("gpu")
        if _applies(gpu):
            count = _gpu_count(rec.get("gpus_per_replica"), rec.get("replicas"))
            parts.append(f"{gpu} ×{count}" if count else str(gpu))
        optimisation = rec.get("optimisation")
        if model:
            parts.append(f"{model} {optimisation}" if _applies(optimisation) else model)
        region = rec.get("region")
        if _applies(region):
            parts.append(str(region))
    if str(rec.get("rag") or "") == "rag":
        parts.append(t["rag"])
    if str(rec.get("deployment_mode") or "") == "batch":
        parts.append(t["batch_mode"])
    return " · ".join(parts)


def _gpu_count(per_replica: Any, replicas: Any) -> int | None:
    """GPUs at peak: GPUs per replica × replicas (either may be missing)."""
    try:
        per = int(per_replica) if _applies(per_replica) else None
        reps = int(replicas) if _applies(replicas) else None
    except (TypeError, ValueError):
        return None
    if per is None and reps is None:
        return None
    return (per or 1) * (reps or 1)


# -- formatting (Babel, see llmdecide.i18n) -------------------------------------------------------


def _number(value: Any) -> float | None:
    return number_or_none(value)


def format_when(moment: datetime, language: str) -> str:
    """Local date and time, e.g. ``12 mars 2026 14:05``."""

    local = moment.astimezone()
    locale = LANGUAGES[language]
    return f"{format_date(local.date(), 'medium', locale=locale)} {format_time(local.time(), 'short', locale=locale)}"


def _parse_when(text: Any) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# -- rows --------------------------------------------------------------------------------------


def section(data: Mapping[str, Any] | None, key: str) -> dict[str, Any]:
    """``data[key]`` when it is a mapping, else ``{}`` (results files are read defensively)."""
    value = data.get(key) if data else None
    return dict(value) if isinstance(value, Mapping) else {}


def read_json(path: Path) -> dict[str, Any] | None:
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return loaded if isinstance(loaded, dict) else None


def _limit(results: Mapping[str, Any], pillar: str) -> float | None:
    return _number(section(section(results, "limits"), pillar).get("limit"))


def feasible_cell(feasible: Any, t: Mapping[str, Any]) -> Cell:
    """Yes / no when ``results.json`` says whether a configuration meets the limits."""
    if not isinstance(feasible, bool):
        return Cell(t["none"])
    return Cell(
        t["feasible_yes"] if feasible else t["feasible_no"],
        "1" if feasible else "0",
        "good" if feasible else "bad",
    )


def monthly_cost_cell(
    cost: float | None, cost_limit: float | None, currency: str, t: Mapping[str, Any], language: str
) -> Cell:
    """The recommendation's monthly cost (``/ limit`` when the client set one), bad when over."""
    if cost is None:
        return Cell(t["none"])
    text = format_money(cost, currency, language)
    if cost_limit is not None:
        text += f" / {format_money(cost_limit, currency, language)}"
    over = cost_limit is not None and cost > cost_limit
    return Cell(text, repr(cost), "bad" if over else "")


def carbon_cell(
    kgco2e: float | None, kgco2e_limit: float | None, t: Mapping[str, Any], language: str
) -> Cell:
    """The recommendation's monthly kgCO2e, the limit in its title, bad when over."""
    if kgco2e is None:
        return Cell(t["none"])
    over = kgco2e_limit is not None and kgco2e > kgco2e_limit
    title = (
        t["limit"].format(limit=format_number(kgco2e_limit, language, "#,##0.#"))
        if kgco2e_limit is not None
        else ""
    )
    return Cell(format_number(kgco2e, language), repr(kgco2e), "bad" if over else "", title)


def probability_cell(probability: float | None, t: Mapping[str, Any], language: str) -> Cell:
    """The probability that the recommendation meets every limit, as a percentage."""
    if probability is None:
        return Cell(t["none"])
    return Cell(format_percent(probability, language), repr(probability))


def last_run_cell(run: Mapping[str, Any], t: Mapping[str, Any], language: str) -> Cell:
    """When the client's last run finished (else started), sorted by its UTC ISO time."""
    when = _parse_when(run.get("finished") or run.get("started"))
    if not when:
        return Cell(t["none"])
    return Cell(format_when(when, language), when.astimezone(UTC).isoformat())


def status_cell(status: BatchStatus | None, has_report: bool, t: Mapping[str, Any]) -> Cell:
    """The last batch's state of the client (with its detail; a failure says whether a
    previous report is still shown), sorted in ``STATES`` order."""
    state = status.state if status else "unknown"
    label = t["status"].get(state, state)
    css = {"ok": "good", "skipped": "muted", "failed": "bad", "cancelled": "bad"}.get(state, "")
    text = (
        t["detail"].format(label=label, detail=status.detail) if status and status.detail else label
    )
    if state in ("failed", "cancelled"):
        text += f" ({t['previous_report'] if has_report else t['no_report']})"
    return Cell(text, f"{STATES.index(state) if state in STATES else 9}", f"status {css}".strip())


def build_row(slug: str, folder: Path | None, status: BatchStatus | None, language: str) -> Row:
    """One client's row from its published folder (may be missing) and its batch status."""
    t = messages(language)
    results = (read_json(folder / "results.json") if folder else None) or {}
    run = (read_json(folder / "run.json") if folder else None) or {}
    client = section(results, "client")
    name = str(client.get("name") or (status.name if status and status.name else slug))
    row = Row(slug=slug, name=name)
    row.cells["client"] = Cell(name, name.casefold())

    rec = section(results, "recommendation")
    short = short_recommendation(rec, language) if rec else ""
    row.cells["recommendation"] = Cell(short or t["none"], short.casefold())

    feasible = results.get("feasible")
    row.feasible = feasible if isinstance(feasible, bool) else None
    row.cells["feasible"] = feasible_cell(feasible, t)
    estimates = section(results, "estimates")
    currency = str(client.get("currency") or "EUR")
    row.cells["monthly_cost"] = monthly_cost_cell(
        _number(estimates.get("monthly_cost")), _limit(results, "cost"), currency, t, language
    )
    row.cells["carbon"] = carbon_cell(
        _number(estimates.get("monthly_kgco2e")), _limit(results, "carbon"), t, language
    )
    row.cells["probability"] = probability_cell(
        _number(estimates.get("probability_meets_limits")), t, language
    )
    row.cells["last_run"] = last_run_cell(run, t, language)
    row.cells["status"] = status_cell(status, bool(results), t)
    row.failed = status is not None and status.state in ("failed", "cancelled")
    for key in NUMERIC_CELLS:
        cell = row.cells[key]
        cell.css = f"num {cell.css}".strip()

    if folder is not None:
        if (folder / "report.html").is_file():
            row.html = f"{slug}/report.html"
        if (folder / "report.pdf").is_file():
            row.pdf = f"{slug}/report.pdf"
    return row


def collect_rows(
    reports_root: Path, statuses: Mapping[str, BatchStatus] | None, language: str
) -> list[Row]:
    """A row per published client folder (with ``results.json``) and per client of the batch."""
    statuses = statuses or {}
    folders: dict[str, Path] = {}
    if reports_root.is_dir():
        for entry in reports_root.iterdir():
            if entry.name.startswith(".") or not entry.is_dir():
                continue
            if (entry / "results.json").is_file():
                folders[entry.name] = entry
    slugs = set(folders) | set(statuses)
    rows = [build_row(s, folders.get(s), statuses.get(s), language) for s in slugs]
    return sorted(rows, key=lambda r: (r.name.casefold(), r.slug))


COLUMNS = (
    ("client", "text"),
    ("recommendation", "text"),
    ("feasible", "number"),
    ("monthly_cost", "number"),
    ("carbon", "number"),
    ("probability", "number"),
    ("last_run", "text"),
    ("status", "number"),
)


def render(rows: list[Row], language: str, generated: datetime | None = None) -> str:
    t = messages(language)
    env = template_environment()
    generated = generated or datetime.now(UTC)
    summary = t["summary"].format(
        clients=len(rows),
        feasible=sum(1 for r in rows if r.feasible),
        failed=sum(1 for r in rows if r.failed),
    )
    return env.get_template(TEMPLATE).render(
        t=t,
        lang=language,
        rows=rows,
        columns=COLUMNS,
        summary=summary,
        generated=t["generated"].format(date=format_when(generated, language)),
    )


def write_portfolio(
    reports_root: Path,
    language: str | None = None,
    statuses: Mapping[str, BatchStatus] | None = None,
) -> Path:
    """Write ``reports_root/index.html`` (atomically) and return its path."""
    language = consultant_language(language)
    reports_root = Path(reports_root).resolve()
    reports_root.mkdir(parents=True, exist_ok=True)
    html = render(collect_rows(reports_root, statuses, language), language)
    target = reports_root / INDEX
    tmp = reports_root / f".{INDEX}.tmp-{os.getpid()}"
    tmp.write_text(html, encoding="utf-8")
    os.replace(tmp, target)
    return target


def main(argv: list[str] | None = None) -> int:
    """``python -m llmdecide.portfolio [REPORTS_DIR] [--language fr|en]``: rewrite the page."""

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("reports_dir", nargs="?", type=Path, default=None)
    parser.add_argument("--language", choices=sorted(LANGUAGES), default=None)
    args = parser.parse_args(argv)
    path = write_portfolio(args.reports_dir or publish.default_reports_root(), args.language)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
