"""Which clients a batch runs, which it skips, and what became of each (``ClientOutcome``).

A client whose published ``run.json`` holds the fingerprint of its inputs as they are now
(``fingerprint.compute``) is skipped without starting anything. Every batch worker imports this
module (the outcome record, the published summary): it stays free of rich and of the portfolio's
dependencies.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from llmdecide import fingerprint, publish
from llmdecide.errors import InputError, Problem

OK, SKIPPED, FAILED, CANCELLED = "ok", "skipped", "failed", "cancelled"
QUEUED, RUNNING = "queued", "running"
EXIT_INTERRUPTED = 130


@dataclass
class ClientOutcome:
    """What the batch did with one client."""

    slug: str
    params_path: Path
    status: str
    seconds: float = 0.0
    message: str = ""
    exit_code: int = 0
    report_dir: Path | None = None
    recommendation: str = ""
    name: str | None = None
    steps: list[tuple[str, float]] = field(default_factory=list)

    @property
    def first_line(self) -> str:
        return next((line for line in self.message.splitlines() if line.strip()), "")

    @property
    def succeeded(self) -> bool:
        return self.status in (OK, SKIPPED)


# -- which files, which clients -----------------------------------------------------------------


def collect_params_files(targets: Sequence[Path]) -> list[Path]:
    """Params files named, or found as ``*.yaml`` in the folders named (``_*`` names skipped).

    Raises InputError (exit 2) for a target that does not exist or a batch with no client.
    """
    found: list[Path] = []
    problems: list[Problem] = []
    for target in targets:
        if target.is_dir():
            files = sorted(
                p
                for p in target.glob("*.yaml")
                if p.is_file() and not p.name.startswith(("_", "."))
            )
            if not files:
                problems.append(
                    Problem(str(target), "", "no client params file (*.yaml) in this folder")
                )
            found.extend(files)
        elif target.is_file():
            found.append(target)
        else:
            problems.append(
                Problem(str(target), "", "no such file or folder: give params files or folders")
            )
    if problems:
        raise InputError(problems)
    unique: dict[Path, Path] = {}
    for path in found:
        unique.setdefault(path.resolve(), path)
    return list(unique.values())


def published_fingerprint(report_dir: Path) -> str | None:
    """The fingerprint stored in a published ``run.json``, if any."""

    try:
        value = json.loads((report_dir / publish.RUN_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    stored = value.get("fingerprint") if isinstance(value, dict) else None
    if isinstance(stored, dict):  # tolerate {"sha256": ..., "parts": ...}
        stored = stored.get("sha256")
    return stored if isinstance(stored, str) else None


def is_unchanged(params_path: Path, report_dir: Path) -> bool:
    stored = published_fingerprint(report_dir)
    return stored is not None and stored == fingerprint.compute(params_path).sha256


def published_summary(report_dir: Path, language: str) -> tuple[str, str | None]:
    """(recommendation in short, client name) from a published ``results.json``."""
    # portfolio (babel, jinja2): every batch worker imports this module and needs none of it
    from llmdecide import portfolio

    data = portfolio.read_json(report_dir / "results.json")
    client = portfolio.section(data, "client")
    try:
        short = portfolio.short_recommendation(portfolio.section(data, "recommendation"), language)
    except (OSError, KeyError, ValueError):
        short = ""
    return short, (str(client["name"]) if client.get("name") else None)


def valid_slug(slug: str) -> bool:
    try:
        publish.check_slug(slug)
    except InputError:
        return False
    return True
