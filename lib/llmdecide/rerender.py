"""``llmdecide report <slug>``: re-render report.html and report.pdf from the last published run.

No notebook runs: the report context saved with the run (``data/report_context.json``) is rendered
again with the current templates and message catalogs. The client's language and name are re-read
from its params file when it still exists, so a language change needs no re-run. Each file is
written beside its target and renamed over it, so a failed render leaves the previous files intact.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from llmdecide import params, publish, report, results
from llmdecide.errors import InputError, Problem

CONTEXT_STAGE = "report_context"
CLIENTS_DIR = Path("params") / "clients"


def rerender(slug: str, reports_root: Path, clients_dir: Path = CLIENTS_DIR) -> tuple[Path, Path]:
    publish.check_slug(slug, "llmdecide report")
    target = publish.confined(reports_root.resolve(), slug)
    context_path = results.stage_path(target, CONTEXT_STAGE)
    if not context_path.is_file():
        raise InputError(
            Problem(
                str(target),
                "",
                f"no published run with a saved report context ({context_path.relative_to(target)}); "
                f"run it first: llmdecide run {clients_dir / (slug + '.yaml')}",
            )
        )
    context = results.read_json(context_path)
    params_file = clients_dir / f"{slug}.yaml"
    if params_file.is_file():
        client = params.load(params_file).client
        context["client"].update({"name": client.name, "language": client.language})
    with tempfile.TemporaryDirectory(dir=target, prefix=".render-") as tmp:
        html, pdf = report.render(context, Path(tmp), processes=2)  # one client: both cores
        for built in (html, pdf):
            os.replace(built, target / built.name)
    return target / "report.html", target / "report.pdf"
