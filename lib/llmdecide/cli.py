"""The ``llmdecide`` command: new, validate, schema, run, batch, report, catalog list|show|check.

Every LlmdecideError is printed without a traceback and exits with its code (2 for bad input,
1 for a failed run). Heavy modules are imported inside the commands, so ``--help`` is instant.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from llmdecide.errors import CatalogError, InputError, LlmdecideError, Problem, did_you_mean

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Decide how to deploy an LLM application: latency, precision, cost and carbon.",
)
err = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(highlight=False, soft_wrap=True)

ReportsDir = Annotated[
    Path | None,
    typer.Option(
        "--reports-dir",
        help="Where reports are published (default: ./reports or $LLMDECIDE_REPORTS).",
    ),
]


def _warn(warning: object) -> None:
    """A plausibility warning: printed in yellow, the exit status stays what it is."""
    err.print(f"[yellow]warning:[/yellow] {escape(str(warning))}", highlight=False)


def _fail(exc: LlmdecideError) -> typer.Exit:
    for line in str(exc).splitlines():
        err.print(f"[red]error:[/red] {escape(line)}" if line else "", markup=True, highlight=False)
    return typer.Exit(exc.exit_code)


@app.command()
def validate(
    params: Annotated[list[Path], typer.Argument(help="Client params files to check.")],
) -> None:
    """Check params files against the schema and the catalog (exit 2 on any problem)."""
    # imported by the command that runs it: `llmdecide --help` stays instant
    from llmdecide import stages

    problems = 0
    for path in params:
        try:
            inputs = stages.load_inputs(path.resolve(), display_path=str(path))
            out.print(f"[green]ok[/green] {escape(str(path))}")
            for warning in inputs.warnings:
                _warn(warning)
            # legal but likely wrong cost-of-ownership inputs: warned, not refused (run too)
            for line in inputs.tco_warnings:
                _warn(line)
        except LlmdecideError as exc:
            problems += 1
            for line in str(exc).splitlines():
                err.print(f"[red]error:[/red] {escape(line)}", highlight=False)
    if problems:
        raise typer.Exit(2)


@app.command()
def schema(
    output: Annotated[Path, typer.Argument(help="Where to write the JSON Schema.")] = Path(
        "params/schema.json"
    ),
) -> None:
    """Write the JSON Schema of client params files (editors complete the YAML with it)."""
    # imported by the command that runs it: `llmdecide --help` stays instant
    from llmdecide import params, results

    results.write_json(output, params.json_schema())
    out.print(f"wrote {escape(str(output))}")


@app.command()
def run(
    params: Annotated[Path, typer.Argument(help="The client's params file.")],
    reports_dir: ReportsDir = None,
    keep: Annotated[
        int | None, typer.Option(help="How many older runs to keep in history/.")
    ] = None,
) -> None:
    """Run one client: notebooks, results, HTML and PDF report, published atomically."""
    # imported by the command that runs it: `llmdecide --help` stays instant
    from llmdecide import runner

    def show(step: str, seconds: float) -> None:
        out.print(f"  [green]✓[/green] {step:<40} {seconds:6.1f} s")

    out.print(f"[bold]llmdecide run[/bold] {escape(str(params))}")
    try:
        outcome = runner.run(params, reports_dir, on_step=show, keep=keep, on_warning=_warn)
    except LlmdecideError as exc:
        raise _fail(exc) from None
    for note in outcome.recovered:
        out.print(f"  [yellow]note:[/yellow] {escape(str(note))}")
    out.print(
        f"[bold green]published[/bold green] {outcome.report_dir}/report.html and report.pdf "
        f"(run {outcome.run_id}, {outcome.seconds:.1f} s)"
    )


@app.command()
def report(
    slug: Annotated[str, typer.Argument(help="Client slug (its params file name).")],
    reports_dir: ReportsDir = None,
) -> None:
    """Re-render report.html and report.pdf from the last published results (no notebooks)."""
    # imported by the command that runs it: `llmdecide --help` stays instant
    from llmdecide import publish, rerender

    try:
        html, pdf = rerender.rerender(slug, reports_dir or publish.default_reports_root())
    except LlmdecideError as exc:
        raise _fail(exc) from None
    out.print(f"re-rendered {escape(str(html))} and {escape(str(pdf))}")


@app.command()
def new(
    slug: Annotated[str, typer.Argument(help="Client slug: letters, digits, dashes.")],
    name: Annotated[str | None, typer.Option(help="Client name shown on the report.")] = None,
    language: Annotated[str, typer.Option(help="Report language: fr or en.")] = "fr",
    currency: Annotated[str, typer.Option(help="EUR or USD.")] = "EUR",
    clients_dir: Annotated[Path, typer.Option(help="Where params files live.")] = Path(
        "params/clients"
    ),
) -> None:
    """Scaffold params/clients/<slug>.yaml from the commented template."""
    # imported by the command that runs it: `llmdecide --help` stays instant
    from llmdecide import scaffold

    try:
        path = scaffold.new_client(
            slug, clients_dir, name=name, language=language, currency=currency
        )
    except LlmdecideError as exc:
        raise _fail(exc) from None
    out.print(f"created {escape(str(path))} — edit it, then: llmdecide run {escape(str(path))}")


@app.command()
def batch(
    targets: Annotated[
        list[Path] | None, typer.Argument(help="Folders of params files, or files.")
    ] = None,
    jobs: Annotated[int | None, typer.Option("--jobs", "-j", help="Parallel clients.")] = None,
    force: Annotated[
        bool, typer.Option(help="Re-run clients whose inputs did not change.")
    ] = False,
    reports_dir: ReportsDir = None,
) -> None:
    """Run every client (skipping the unchanged), then write the portfolio page."""
    # imported by the command that runs it: `llmdecide --help` stays instant
    from llmdecide import batch as batch_mod

    try:
        code = batch_mod.main(targets or [Path("params/clients")], jobs, force, reports_dir)
    except LlmdecideError as exc:
        raise _fail(exc) from None
    raise typer.Exit(code)


catalog_app = typer.Typer(
    no_args_is_help=True,
    help="What the catalog holds (list), one record (show), stale or inconsistent records (check).",
)
app.add_typer(catalog_app, name="catalog")

CatalogDir = Annotated[
    Path | None,
    typer.Option(
        "--catalog",
        help="Catalog folder (default: $LLMDECIDE_CATALOG, else params/catalog).",
    ),
]
OnDate = Annotated[
    str | None,
    typer.Option("--on", help="Run date for staleness, YYYY-MM-DD (default: today, UTC)."),
]


def _load_catalog(folder: Path | None) -> Any:
    # imported by the command that runs it: `llmdecide --help` stays instant
    from llmdecide import catalog as catalog_mod

    try:
        return catalog_mod.load(folder)
    except LlmdecideError as exc:
        raise _fail(exc) from None


def _run_date(on: str | None) -> Any:
    if on is None:
        return datetime.now(UTC).date()
    try:
        return date.fromisoformat(on)
    except ValueError:
        raise _fail(
            InputError.single("--on", "", f"expected a date YYYY-MM-DD, got {on!r}")
        ) from None


def _shown(value: Any) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    return "null" if value is None else str(value)


@catalog_app.command("list")
def catalog_list(
    kind: Annotated[
        str | None, typer.Option(help="Only this kind (gpus, api_models, cloud_offers, ...).")
    ] = None,
    folder: CatalogDir = None,
    on: OnDate = None,
) -> None:
    """Every record by kind, with the date its source was read (stale ones marked)."""
    # rich.table and the catalog check: only the catalog commands need them
    from rich.table import Table

    from llmdecide.catalog import check as catalog_check

    cat = _load_catalog(folder)
    day = _run_date(on)
    rows = catalog_check.inventory(cat, day)
    kinds = list(dict.fromkeys(r["kind"] for r in rows))
    if kind is not None and kind not in kinds:
        raise _fail(
            InputError.single(
                "--kind",
                "",
                f"{kind!r} is not a record kind.{did_you_mean(kind, kinds)} "
                f"Known: {', '.join(kinds)}.",
            )
        )
    months = catalog_check.stale_after(cat)
    out.print(
        f"[bold]catalog[/bold] {escape(str(cat.folder))} — {len(rows)} records; stale: retrieved "
        f"more than {months} months before {day.isoformat()}"
    )
    for group in catalog_check.summary(cat, day):
        if kind is not None and group["kind"] != kind:
            continue
        table = Table(
            title=f"{group['kind']} ({group['records']}, {group['stale']} stale)",
            title_justify="left",
        )
        table.add_column("name")
        table.add_column("retrieved")
        table.add_column("file")
        table.add_column("source", overflow="fold")
        for r in rows:
            if r["kind"] != group["kind"]:
                continue
            date_text = r["retrieved"].isoformat() + (" [red]stale[/red]" if r["stale"] else "")
            table.add_row(escape(r["name"]), date_text, escape(r["file"]), escape(r["source"]))
        out.print(table)


@catalog_app.command("show")
def catalog_show(
    name: Annotated[str, typer.Argument(help="Record name: a GPU, a model, an ISO-3 region...")],
    folder: CatalogDir = None,
) -> None:
    """One record: all its fields, its source, and what the pinned libraries say about it."""
    # rich.table and the catalog check: only the catalog commands need them
    from rich.table import Table

    from llmdecide.catalog import check as catalog_check

    cat = _load_catalog(folder)
    found = catalog_check.find(cat, name)
    if not found:
        close = catalog_check.suggestions(cat, name)
        hint = f" Did you mean {' or '.join(close)}?" if close else ""
        raise _fail(
            CatalogError(
                Problem(
                    str(cat.folder),
                    name,
                    f"no record of that name in the catalog.{hint} "
                    "See them all: llmdecide catalog list",
                )
            )
        )
    for kind, record_name, record in found:
        table = Table(
            title=f"{kind}: {record_name} ({catalog_check.catalog_file(cat, kind)})",
            title_justify="left",
        )
        table.add_column("field")
        table.add_column("value", overflow="fold")
        for key, value in catalog_check.fields(record).items():
            table.add_row(key, escape(_shown(value)))
        out.print(table)
        if kind == "api_models":
            view = catalog_check.libraries_view(cat, cat.api_models[record_name])
            for library, data in view.items():
                lib_table = Table(title=f"{library} (pinned) says", title_justify="left")
                lib_table.add_column("field")
                lib_table.add_column("value", overflow="fold")
                if data is None:
                    lib_table.add_row(
                        "[red]unresolved[/red]", "the pinned package does not know this id"
                    )
                else:
                    for key, value in data.items():
                        lib_table.add_row(key, escape(_shown(value)))
                out.print(lib_table)
        if kind == "gpus":
            offers = [o for o in cat.cloud_offers if o.gpu == record_name]
            if offers:
                offer_table = Table(title=f"cloud offers of {record_name}", title_justify="left")
                for column in ("provider", "instance", "USD/GPU-hour", "regions", "retrieved"):
                    offer_table.add_column(column)
                for o in offers:
                    offer_table.add_row(
                        escape(o.provider),
                        escape(o.instance or ""),
                        f"{o.price_per_gpu_hour_usd:g}",
                        ", ".join(o.regions) or "any",
                        o.retrieved.isoformat(),
                    )
                out.print(offer_table)


@catalog_app.command("check")
def catalog_check_command(folder: CatalogDir = None, on: OnDate = None) -> None:
    """Stale records, API ids the pinned libraries do not resolve, inconsistent figures.

    Exit 1 when a problem is found, 0 otherwise (2 when the catalog does not load)."""
    # imported by the command that runs it: `llmdecide --help` stays instant
    from llmdecide.catalog import check as catalog_check

    cat = _load_catalog(folder)
    day = _run_date(on)
    findings = catalog_check.check(cat, day)
    records = len(cat.records())
    if not findings:
        out.print(f"[green]ok[/green] {records} records: none stale, unresolved or inconsistent")
        return
    for finding in findings:
        colour = "yellow" if finding.kind == "stale" else "red"
        out.print(f"[{colour}]{finding.kind}:[/{colour}] {escape(str(finding))}")
    counts = {
        k: sum(f.kind == k for f in findings) for k in ("stale", "unresolved", "inconsistent")
    }
    out.print(
        f"{len(findings)} problem(s) in {records} records: "
        + ", ".join(f"{n} {k}" for k, n in counts.items())
    )
    raise typer.Exit(1)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)


if __name__ == "__main__":
    main()
