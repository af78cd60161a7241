"""Plausibility warnings (lib/llmdecide/plausibility.py, docs/params.md): each one triggered by a
hand-made params file, none for the example clients, printed by the CLI without changing the exit
status, shown on the report's first page in both languages."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from llmdecide import catalog, i18n, plausibility, report, stages
from llmdecide.cli import app
from llmdecide.errors import ParamsError
from llmdecide.report import view

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
# the valid client of the bad-input corpus, without its measurement files
BASE = (HERE / "bad_inputs" / "_valid" / "params.yaml").read_text("utf-8").split("measurements:")[0]
EXAMPLES = sorted((REPO / "params" / "clients").glob("example-*.yaml"))


def warnings_of(tmp_path: Path, text: str) -> list[plausibility.Warning]:
    path = tmp_path / "client.yaml"
    path.write_text(text, encoding="utf-8")
    return stages.load_inputs(path, display_path="client.yaml").warnings


def codes(found: list[plausibility.Warning]) -> list[str]:
    return [w.code for w in found]


def edited(old: str, new: str) -> str:
    assert BASE.count(old) == 1, old
    return BASE.replace(old, new)


# -- not triggered -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [*EXAMPLES, HERE / "bad_inputs" / "_valid" / "params.yaml"])
def test_the_example_clients_raise_no_warning(path: Path) -> None:
    assert len(EXAMPLES) >= 2
    assert stages.load_inputs(path).warnings == []


# -- each warning, from a hand-made file ---------------------------------------------------------


def test_a_real_time_latency_limit_of_8000_s(tmp_path: Path) -> None:
    (found,) = warnings_of(tmp_path, edited("limit: 3.0}", "limit: 8000}"))
    assert (found.code, found.key_path, found.file) == (
        "latency_in_ms",
        "critical_performance.performance.limit",
        "client.yaml",
    )
    # 8000 s / 60 = 133 min; 8000 ms = 8 s
    assert "8000 s (133 min)" in found.message and "write 8 for 8000 ms" in found.hint
    assert warnings_of(tmp_path, edited("limit: 3.0}", "limit: 120}")) == []  # the bound itself
    assert codes(warnings_of(tmp_path, edited("limit: 3.0}", "limit: 120.5}"))) == ["latency_in_ms"]
    ttft = edited("metric: p95_latency_s, limit: 3.0}", "metric: ttft_p95_s, limit: 500}")
    assert codes(warnings_of(tmp_path, ttft)) == ["latency_in_ms"]
    # extra limits: a TTFT of 2000 s is warned, a TPOT of 200 ms is what milliseconds look like
    extra = edited(
        "  priorities:", "  extra_limits: {ttft_p95_s: 2000, tpot_p95_ms: 200}\n  priorities:"
    )
    (found,) = warnings_of(tmp_path, extra)
    assert found.key_path == "critical_performance.extra_limits.ttft_p95_s"


def test_batch_work_in_hours_is_not_a_latency_slip(tmp_path: Path) -> None:
    text = edited("{metric: p95_latency_s, limit: 3.0}", "{metric: turnaround_h, limit: 500}")
    text = text.replace("deployment_mode: [real_time, batch]", "deployment_mode: [batch]")
    assert warnings_of(tmp_path, text) == []


def _largest_window(names: list[str]) -> tuple[str, int]:
    real = catalog.load()
    windows = {
        n: getattr(real.open_models.get(n) or real.api_models.get(n), "context_tokens", None)
        for n in names
    }
    known = {n: int(w) for n, w in windows.items() if w}
    name = max(known, key=lambda n: known[n])
    return name, known[name]


def test_a_500000_token_prompt_beyond_every_window(tmp_path: Path) -> None:
    """500 000 + 200 = 500 200 tokens; the largest window of the candidates gpt-4o-mini,
    mistral-small, llama-3.1-8b is llama-3.1-8b's 131 072 (catalog, 2026-12-01)."""
    model, window = _largest_window(["gpt-4o-mini", "mistral-small", "llama-3.1-8b"])
    assert window < 500_200
    (found,) = warnings_of(tmp_path, edited("input_tokens: 600", "input_tokens: 500000"))
    assert (found.code, found.key_path) == ("prompt_beyond_context", "usage.input_tokens")
    assert found.values["tokens"] == 500_200
    assert (found.values["model"], found.values["context_tokens"]) == (model, window)
    assert f"{window:,} tokens" in found.message
    # window - 200 input tokens + 200 output tokens fill the window exactly: no warning
    fits = edited("input_tokens: 600", f"input_tokens: {window - 200}")
    assert warnings_of(tmp_path, fits) == []
    beyond = edited("input_tokens: 600", f"input_tokens: {window - 199}")
    assert codes(warnings_of(tmp_path, beyond)) == ["prompt_beyond_context"]


def test_only_the_candidates_count(tmp_path: Path) -> None:
    """mistral-small alone (32 768 tokens in the catalog): a request one token beyond its
    window is warned, although larger catalog models would take it."""
    _, window = _largest_window(["mistral-small"])
    text = edited("models: [gpt-4o-mini, mistral-small, llama-3.1-8b]", "models: [mistral-small]")
    text = text.replace("evaluations:\n  - {model: llama-3.1-8b, rag: rag, accuracy: 0.91}\n", "")
    text = text.replace("input_tokens: 600", f"input_tokens: {window - 199}")
    assert codes(warnings_of(tmp_path, text)) == ["prompt_beyond_context"]


def test_template_placeholders_and_sample_text(tmp_path: Path) -> None:
    template = plausibility.template_texts()
    assert template["use_case.title"] == "Assistant"  # params/clients/_template.yaml
    text = edited("name: Bad Inputs Retail", 'name: "__NAME__"')
    text = text.replace(
        "  title: Shopping assistant\n",
        f"  title: Assistant\n  description: {json.dumps(template['use_case.description'])}\n",
    )
    found = warnings_of(tmp_path, text)
    assert [(w.code, w.key_path) for w in found] == [
        ("template_placeholder", "client.name"),
        ("template_placeholder", "use_case.title"),
        ("template_placeholder", "use_case.description"),
    ]
    assert "placeholder __NAME__" in found[0].message
    assert "sample text" in found[1].message


def test_a_peak_barely_above_the_mean(tmp_path: Path) -> None:
    """40 000 requests over 16 h: 40 000 / 57 600 s = 0.694 requests/s on average. A peak of
    0.7 is 1.008× that (warned); 0.77 is 1.109× (> 1.1: not warned)."""
    (found,) = warnings_of(
        tmp_path, edited("peak_requests_per_second: 12", "peak_requests_per_second: 0.7")
    )
    assert (found.code, found.key_path) == ("no_burst", "usage.peak_requests_per_second")
    assert found.values["ratio"] == pytest.approx(0.7 / (40000 / 57600))
    assert "1.01×" in found.message
    calm = edited("peak_requests_per_second: 12", "peak_requests_per_second: 0.77")
    assert warnings_of(tmp_path, calm) == []


def test_a_phase_without_burst(tmp_path: Path) -> None:
    """Each phase is sized on its own peak, so each is checked. Over 16 active hours
    (57 600 s): pilot 2 000 / 57 600 = 0.0347 requests/s, peak 1 is 28.8× that (fine); full
    40 000 / 57 600 = 0.694 requests/s, peak 0.7 is 1.008× that (warned)."""
    text = edited(
        "  horizon_months: 36\n",
        "  horizon_months: 36\n  phases:\n"
        "    - {name: pilot, months: 6, requests_per_day: 2000, peak_requests_per_second: 1}\n"
        "    - {name: full, months: 30, requests_per_day: 40000, peak_requests_per_second: 0.7}\n",
    )
    (found,) = warnings_of(tmp_path, text)
    assert (found.code, found.key_path) == ("no_burst", "usage.phases[1].peak_requests_per_second")
    assert found.values["ratio"] == pytest.approx(0.7 / (40000 / 57600))
    assert "1.01×" in found.message and "40000 / (16 h × 3600 s) = 0.694" in found.message
    calm = text.replace("peak_requests_per_second: 0.7}", "peak_requests_per_second: 0.77}")
    assert warnings_of(tmp_path, calm) == []


def test_a_peak_below_the_mean_is_an_error_not_a_warning(tmp_path: Path) -> None:
    """Below the mean over the active hours (so below the daily mean too: 40 000 / 86 400 s =
    0.463 requests/s) the file is refused: 0.3 < 0.694 requests/s."""
    path = tmp_path / "client.yaml"
    path.write_text(edited("peak_requests_per_second: 12", "peak_requests_per_second: 0.3"))
    with pytest.raises(ParamsError) as info:
        stages.load_inputs(path, display_path="client.yaml")
    (problem,) = info.value.problems
    assert problem.key_path == "usage.peak_requests_per_second"
    assert "is below the average over the active hours" in problem.expected


def test_the_function_is_pure_and_ordered() -> None:
    """Same inputs, same warnings; a template given explicitly is used as it is."""
    inputs = stages.load_inputs(EXAMPLES[0])
    client = inputs.client.model_copy(deep=True)
    client.use_case.title = "My own sample"
    found = plausibility.warnings_for(
        client, inputs.catalog, "x.yaml", {"use_case.title": "my OWN  sample"}
    )
    assert [(w.code, w.key_path) for w in found] == [("template_placeholder", "use_case.title")]
    assert found == plausibility.warnings_for(
        client, inputs.catalog, "x.yaml", {"use_case.title": "my OWN  sample"}
    )
    assert str(found[0]).startswith("x.yaml: use_case.title: still the sample text")


# -- the CLI -------------------------------------------------------------------------------------


ORDER = [
    "critical_performance.performance.limit",
    "usage.input_tokens",
    "client.name",
    "usage.peak_requests_per_second",
]
"""Where ``four_mistakes`` is warned, in the order of the checks (plausibility.warnings_for)."""


def four_mistakes() -> str:
    """The four likely mistakes of issue 16.6 in one file: the name left as the template's
    placeholder, a p95 limit of 8000 s, a 500 000-token prompt, a peak at the mean."""
    text = edited("name: Bad Inputs Retail", 'name: "__NAME__"')
    text = text.replace("limit: 3.0}", "limit: 8000}").replace(
        "input_tokens: 600", "input_tokens: 500000"
    )
    return text.replace("peak_requests_per_second: 12", "peak_requests_per_second: 0.7")


def test_validate_prints_warnings_and_exits_0(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "400")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "client.yaml").write_text(four_mistakes(), encoding="utf-8")
    try:
        runner = CliRunner(mix_stderr=False)  # type: ignore[call-arg]  # click < 8.2
    except TypeError:
        runner = CliRunner()
    result = runner.invoke(app, ["validate", "client.yaml"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "ok client.yaml" in result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 4, result.stderr
    # the module's order: latency, prompt, template text, burst
    assert lines[0].startswith(
        "warning: client.yaml: critical_performance.performance.limit: a p95_latency_s limit"
    )
    assert lines[1].startswith("warning: client.yaml: usage.input_tokens: one request needs")
    assert lines[2].startswith("warning: client.yaml: client.name: the placeholder __NAME__")
    assert lines[3].startswith("warning: client.yaml: usage.peak_requests_per_second: the peak")


# -- the report ----------------------------------------------------------------------------------


def _context(language: str, warnings: list[dict[str, Any]]) -> dict[str, Any]:
    context = json.loads((HERE / "fixtures" / "report_context.json").read_text("utf-8"))
    context["client"]["language"] = language
    context["warnings"] = warnings
    return context


ALL = [
    plausibility.Warning(
        "c.yaml",
        "critical_performance.performance.limit",
        "latency_in_ms",
        "m",
        "h",
        {"metric": "p95_latency_s", "limit_s": 8000.0, "minutes": 133.3},
    ),
    plausibility.Warning(
        "c.yaml",
        "usage.input_tokens",
        "prompt_beyond_context",
        "m",
        "h",
        {
            "tokens": 500200,
            "input_tokens": 500000,
            "output_tokens": 200,
            "model": "llama-3.1-8b",
            "context_tokens": 131072,
        },
    ),
    plausibility.Warning(
        "c.yaml",
        "client.name",
        "template_placeholder",
        "m",
        "h",
        {"key": "client.name", "text": "__NAME__"},
    ),
    plausibility.Warning(
        "c.yaml",
        "usage.peak_requests_per_second",
        "no_burst",
        "m",
        "h",
        {"peak": 0.7, "mean": 0.694, "ratio": 1.008},
    ),
]


@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_warning_has_its_report_message(language: str) -> None:
    lines = view.warning_lines(
        _context(language, [w.as_dict() for w in ALL]), i18n.Translator(language)
    )
    assert [line["key_path"] for line in lines] == [w.key_path for w in ALL]
    assert all(line["message"] and line["hint"] for line in lines)
    text = " ".join(line["message"] for line in lines)
    tokens = "500\u202f200" if language == "fr" else "500,200"  # locale thousands separators
    assert tokens in text and "llama-3.1-8b" in text and "__NAME__" in text


def test_the_warnings_are_on_the_first_page() -> None:
    """In the cover (the PDF breaks the page after it), before the table of contents."""
    html = report.render_html(_context("fr", [ALL[0].as_dict()]))
    cover = html[html.index('<header class="cover">') : html.index("</header>")]
    assert "Données à vérifier" in cover
    assert "critical_performance.performance.limit" in cover
    assert "une limite p95 de 8\u202f000\u00a0s (133\u00a0min)" in cover  # French numbers
    assert 'class="input-warnings"' not in report.render_html(_context("fr", []))


@pytest.mark.slow
def test_a_real_run_warns_in_the_terminal_and_on_the_first_page(tmp_path: Path) -> None:
    """``llmdecide run`` in its own process on the four mistakes: each is printed before the
    first notebook starts, the run goes on (exit 0), and the published report's first page (the
    HTML cover, the PDF's page 1) lists each of them; nothing is written outside ``tmp_path``."""
    from pypdf import PdfReader

    (tmp_path / "client.yaml").write_text(four_mistakes(), encoding="utf-8")
    reports = tmp_path / "reports"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "llmdecide.cli",
            "run",
            "client.yaml",
            "--reports-dir",
            str(reports),
        ],
        cwd=tmp_path,
        env={**os.environ, "NO_COLOR": "1", "COLUMNS": "400"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,  # one stream: the order of warnings and steps is kept
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout
    lines = proc.stdout.splitlines()
    warned = [line for line in lines if line.startswith("warning: ")]
    assert [line.split(": ")[2] for line in warned] == ORDER, proc.stdout
    first_notebook = next(i for i, line in enumerate(lines) if "notebook 01" in line)
    assert lines.index(warned[-1]) < first_notebook, proc.stdout

    html = (reports / "client" / "report.html").read_text("utf-8")
    cover = html[html.index('<header class="cover">') : html.index("</header>")]
    assert "Check these inputs" in cover
    for key_path in ORDER:
        assert f"<code>{key_path}</code>" in cover, key_path
    assert "500,200 tokens" in cover and "8,000 s (133 min)" in cover  # 500 000 + 200; 8000/60
    assert html.count('class="input-warnings"') == 1
    pages = PdfReader(reports / "client" / "report.pdf").pages
    first = " ".join((pages[0].extract_text() or "").split())
    assert "Check these inputs" in first
    assert all(key_path in first for key_path in ORDER), first


def test_the_pdf_shows_them_on_page_one(tmp_path: Path) -> None:
    """The PDF's first page (the cover: the page breaks after it) lists the warnings."""
    from pypdf import PdfReader

    _, pdf = report.render(_context("en", [w.as_dict() for w in ALL]), tmp_path)
    first = " ".join((PdfReader(pdf).pages[0].extract_text() or "").split())
    assert "Check these inputs" in first
    assert "usage.peak_requests_per_second" in first
    assert "Check these inputs" not in " ".join(
        p.extract_text() or "" for p in PdfReader(pdf).pages[1:]
    )
