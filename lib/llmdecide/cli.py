"""The ``llmdecide`` command: new, validate, schema, run, batch, report.

Every LlmdecideError is printed without a traceback and exits with its code (2 for bad input,
1 for a failed run). Heavy modules are imported inside the commands, so ``--help`` is instant.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from llmdecide.errors import LlmdecideError

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
    from llmdecide import stages

    problems = 0
    for path in params:
        try:
            inputs = stages.load_inputs(path.resolve(), display_path=str(path))
            out.print(f"[green]ok[/green] {escape(str(path))}")
            for warning in inputs.warnings:
                _warn(warning)
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
    from llmdecide import rerender, runner

    try:
        html, pdf = rerender.rerender(slug, reports_dir or runner.default_reports_root())
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
    from llmdecide import batch as batch_mod

    try:
        code = batch_mod.main(targets or [Path("params/clients")], jobs, force, reports_dir)
    except LlmdecideError as exc:
        raise _fail(exc) from None
    raise typer.Exit(code)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)


if __name__ == "__main__":
    main()
