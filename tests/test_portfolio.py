"""The portfolio page: one row per client, escaped, sortable, self-contained, fr/en."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest

from llmdecide import portfolio
from llmdecide.errors import InputError
from llmdecide.portfolio import BatchStatus

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)> & "Co"'

RESULTS: dict[str, Any] = {
    "client": {"name": "Acme Retail", "language": "fr", "currency": "EUR", "slug": "acme"},
    "recommendation": {
        "hosting": "cloud",
        "region": "FRA",
        "gpu": "L40S",
        "gpus_per_replica": 1,
        "replicas": 2,
        "model": "llama-3.1-8b",
        "optimisation": "int8",
        "rag": "none",
        "output_format": "text",
        "deployment_mode": "real_time",
    },
    "estimates": {
        "p95_latency_s": 2.4,
        "ttft_s": 0.35,
        "accuracy": 0.91,
        "accuracy_source": "measured",
        "monthly_cost": 4210.4,
        "setup_cost": 12000,
        "monthly_kgco2e": 123.45,
        "probability_meets_limits": 0.87,
    },
    "feasible": True,
    "runner_up": {"recommendation": {"hosting": "api", "model": "gpt-4o-mini"}},
    "limits": {
        "performance": {"metric": "p95_latency_s", "limit": 3.0},
        "precision": {"metric": "accuracy", "limit": 0.9},
        "cost": {"metric": "monthly_cost", "limit": 6000},
        "carbon": {"metric": "monthly_kgco2e", "limit": 300},
    },
    "priorities": {"performance": 0.18, "precision": 0.18, "cost": 0.55, "carbon": 0.09},
    "inputs_sha256": "0" * 64,
}


def _publish(root: Path, slug: str, results: dict[str, Any], finished: str) -> Path:
    folder = root / slug
    folder.mkdir(parents=True)
    (folder / "results.json").write_text(json.dumps(results), encoding="utf-8")
    (folder / "run.json").write_text(json.dumps({"run_id": "x", "finished": finished}))
    (folder / "report.html").write_text("<html></html>")
    (folder / "report.pdf").write_bytes(b"%PDF-1.7")
    return folder


@pytest.fixture
def reports(tmp_path: Path) -> Path:
    root = tmp_path / "reports"
    _publish(root, "acme", RESULTS, "2026-03-12T13:05:00+00:00")
    law = copy.deepcopy(RESULTS)
    law["client"] = {"name": "Cabinet Juris", "currency": "USD", "slug": "law"}
    law["recommendation"] = {
        "hosting": "api",
        "region": "n/a",
        "gpu": "",
        "gpus_per_replica": None,
        "replicas": None,
        "model": "gpt-4o-mini",
        "optimisation": "n/a",
        "rag": "rag",
        "output_format": "text",
        "deployment_mode": "batch",
    }
    law["feasible"] = False
    law["estimates"]["monthly_cost"] = 7100.0
    _publish(root, "law", law, "2026-02-01T08:00:00+00:00")
    hostile = copy.deepcopy(RESULTS)
    hostile["client"]["name"] = HOSTILE
    _publish(root, "hostile", hostile, "2026-01-01T00:00:00+00:00")
    (root / ".acme.tmp-20260101T000000Z-aaaa").mkdir()  # a run being built: not a client
    (root / "acme" / "history").mkdir()
    (root / "notes").mkdir()  # no results.json: not a client
    return root


def _plain(text: str) -> str:
    """Babel uses no-break spaces; compare with ordinary ones."""
    return text.replace("\u202f", " ").replace("\xa0", " ")


def _rows(html: str) -> list[str]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r"<tr.*?</tr>", body, flags=re.S)


def test_short_recommendation() -> None:
    assert (
        portfolio.short_recommendation(RESULTS["recommendation"], "en")
        == "cloud · L40S ×2 · llama-3.1-8b int8 · FRA"
    )
    assert portfolio.short_recommendation({"hosting": "api", "model": "gpt-4o-mini"}) == (
        "API · gpt-4o-mini"
    )
    on_prem = dict(RESULTS["recommendation"], hosting="on_premise", optimisation="fp16", rag="rag")
    assert portfolio.short_recommendation(on_prem, "fr") == (
        "sur site · L40S ×2 · llama-3.1-8b fp16 · FRA · RAG"
    )
    assert portfolio.short_recommendation(None) == ""


def test_one_row_per_client_in_french(reports: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(portfolio.LANGUAGE_ENV, raising=False)
    index = portfolio.write_portfolio(reports)
    assert index == reports.resolve() / "index.html"
    html = _plain(index.read_text(encoding="utf-8"))
    assert '<html lang="fr">' in html
    rows = _rows(html)
    assert len(rows) == 3
    acme = next(r for r in rows if "Acme Retail" in r)
    assert "cloud · L40S ×2 · llama-3.1-8b int8 · FRA" in acme
    assert ">oui<" in acme
    assert "4 210 € / 6 000 €" in acme
    assert "123,4" in acme
    assert "87 %" in acme
    assert "2026" in acme and "mars" in acme
    assert 'href="acme/report.html"' in acme and 'href="acme/report.pdf"' in acme
    law = next(r for r in rows if "Cabinet Juris" in r)
    assert "API · gpt-4o-mini · RAG · différé" in law
    assert ">non<" in law
    assert "7 100 $US / 6 000 $US" in law
    assert 'class="num bad"' in law  # over the cost limit


def test_english_by_setting(reports: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(portfolio.LANGUAGE_ENV, "en")
    html = _plain(portfolio.write_portfolio(reports).read_text(encoding="utf-8"))
    assert '<html lang="en">' in html
    assert "Client portfolio" in html
    acme = next(r for r in _rows(html) if "Acme Retail" in r)
    assert "€4,210 / €6,000" in acme and "87%" in acme and ">yes<" in acme
    # the argument wins over the setting
    html_fr = portfolio.write_portfolio(reports, "fr").read_text(encoding="utf-8")
    assert "Portefeuille clients" in html_fr


def test_unknown_language_is_an_input_error(reports: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(portfolio.LANGUAGE_ENV, "de")
    with pytest.raises(InputError, match=portfolio.LANGUAGE_ENV):
        portfolio.write_portfolio(reports)


def test_hostile_client_name_is_escaped(reports: Path) -> None:
    html = portfolio.write_portfolio(reports, "en").read_text(encoding="utf-8")
    assert HOSTILE not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "<img" not in html
    assert html.count("<script") == 1  # ours: the sorting script


def test_sortable_and_self_contained(reports: Path) -> None:
    html = portfolio.write_portfolio(reports, "en").read_text(encoding="utf-8")
    assert 'class="sortable"' in html
    assert "addEventListener" in html and "aria-sort" in html
    assert html.count("<button") == len(portfolio.COLUMNS)
    assert "<style>" in html
    assert not re.search(r"(https?:)?//[a-z0-9]", html, flags=re.I)  # no external URL at all
    # real tags, with attribute values blanked (escaped client text may mention "src=")
    tags = [re.sub(r'"[^"]*"', '""', t) for t in re.findall(r"<[a-z][^>]*>", html)]
    assert not [t for t in tags if t.startswith("<link") or " src=" in t or "@import" in t]
    # every row sorts by raw values, not by formatted text
    acme = next(r for r in _rows(html) if "Acme Retail" in r)
    assert 'data-sort="4210.4"' in acme and 'data-sort="0.87"' in acme
    assert 'data-sort="2026-03-12T13:05:00+00:00"' in acme


def test_batch_statuses(reports: Path) -> None:
    statuses = {
        "acme": BatchStatus("ok"),
        "law": BatchStatus("failed", "params/clients/law.yaml: usage: unknown key"),
        "hostile": BatchStatus("skipped"),
        "newco": BatchStatus("failed", "params/clients/newco.yaml: bad <file>", name="NewCo"),
    }
    html = portfolio.write_portfolio(reports, "en", statuses).read_text(encoding="utf-8")
    rows = _rows(html)
    assert len(rows) == 4
    law = next(r for r in rows if "Cabinet Juris" in r)
    assert 'class="failed"' in law
    assert "failed: params/clients/law.yaml: usage: unknown key" in law
    assert "showing the previous report" in law
    assert 'href="law/report.html"' in law  # the previous report is still linked
    newco = next(r for r in rows if "NewCo" in r)
    assert "no report yet" in newco and "bad &lt;file&gt;" in newco
    assert "href=" not in newco
    assert "unchanged (skipped)" in next(r for r in rows if "&lt;script" in r)
    assert "1 failed" not in html and "2 failed in the last batch" in html


def test_empty_reports_folder(tmp_path: Path) -> None:
    html = portfolio.write_portfolio(tmp_path / "reports", "en").read_text(encoding="utf-8")
    assert "No client report yet" in html
    assert "<tbody>" not in html


def test_rows_sorted_by_client_name(reports: Path) -> None:
    rows = portfolio.collect_rows(reports, None, "en")
    assert [r.slug for r in rows] == ["hostile", "acme", "law"]  # "<" sorts before letters


def test_message_catalogs_have_the_same_keys() -> None:
    def keys(d: dict[str, Any], prefix: str = "") -> set[str]:
        out: set[str] = set()
        for k, v in d.items():
            out |= keys(v, f"{prefix}{k}.") if isinstance(v, dict) else {f"{prefix}{k}"}
        return out

    assert keys(portfolio.messages("fr")) == keys(portfolio.messages("en"))
