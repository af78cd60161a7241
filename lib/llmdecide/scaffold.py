"""``llmdecide new <slug>``: a params file from the commented template."""

from __future__ import annotations

from pathlib import Path

from llmdecide.errors import InputError, Problem
from llmdecide.publish import check_slug

TEMPLATE = Path(__file__).resolve().parents[2] / "params" / "clients" / "_template.yaml"
LANGUAGES = ("fr", "en")
CURRENCIES = ("EUR", "USD")


def new_client(
    slug: str,
    clients_dir: Path,
    *,
    name: str | None = None,
    language: str = "fr",
    currency: str = "EUR",
    template: Path = TEMPLATE,
) -> Path:
    """Write ``clients_dir/<slug>.yaml``; refuses to overwrite and checks every option."""
    check_slug(slug, "llmdecide new")
    problems = []
    if language not in LANGUAGES:
        problems.append(
            Problem(
                "llmdecide new", "--language", f"{language!r}: use one of {', '.join(LANGUAGES)}"
            )
        )
    if currency not in CURRENCIES:
        problems.append(
            Problem(
                "llmdecide new", "--currency", f"{currency!r}: use one of {', '.join(CURRENCIES)}"
            )
        )
    display_name = name or slug.replace("-", " ").title()
    if any(ch in display_name for ch in "\n\r"):
        problems.append(Problem("llmdecide new", "--name", "a single line of text"))
    if problems:
        raise InputError(problems)
    target = clients_dir / f"{slug}.yaml"
    if target.exists():
        raise InputError(
            Problem(
                str(target),
                "",
                "already exists; edit it, or choose another slug (new never overwrites)",
            )
        )
    text = (
        template.read_text(encoding="utf-8")
        .replace("__NAME__", display_name.replace('"', '\\"'))
        .replace("__LANGUAGE__", language)
        .replace("__CURRENCY__", currency)
        .replace("__SLUG__", slug)
    )
    if clients_dir.exists() and not clients_dir.is_dir():
        raise InputError(
            Problem(str(clients_dir), "--clients-dir", "is a file, not a folder; give a folder")
        )
    clients_dir.mkdir(parents=True, exist_ok=True)
    with open(target, "x", encoding="utf-8") as handle:  # "x": never overwrite, even in a race
        handle.write(text)
    return target
