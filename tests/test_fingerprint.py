"""The fingerprint changes with every input that determines a report, and with nothing else."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from llmdecide import fingerprint

PARAMS = """\
client: {name: Acme, language: en, currency: EUR}
measurements:
  usage_log: ../measurements/acme/usage.csv
  emissions_log: [../measurements/acme/e1.csv, ../measurements/acme/e2.csv]
"""


@pytest.fixture
def world(tmp_path: Path) -> dict[str, Path]:
    """A client with its measurements, and private copies of the shared folders."""
    clients = tmp_path / "clients"
    clients.mkdir()
    params = clients / "acme.yaml"
    params.write_text(PARAMS)
    (clients / "other.yaml").write_text("client: {name: Other}\n")
    measured = tmp_path / "measurements" / "acme"
    measured.mkdir(parents=True)
    (measured / "usage.csv").write_text("timestamp,input_tokens,output_tokens\n1,10,20\n")
    (measured / "e1.csv").write_text("emissions\n0.1\n")
    catalog = tmp_path / "catalog"
    catalog.mkdir()
    (catalog / "gpus.yaml").write_text("- name: L4\n  memory_gb: 24\n")
    (catalog / "models.yaml").write_text("- name: llama-3.1-8b\n")
    templates = tmp_path / "templates"
    (templates / "messages").mkdir(parents=True)
    (templates / "report.html.j2").write_text("<html>{{ x }}</html>")
    (templates / "messages" / "en.yaml").write_text("title: Report\n")
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    (notebooks / "01.ipynb").write_text("{}")
    package = tmp_path / "package"
    package.mkdir()
    (package / "mod.py").write_text("X = 1\n")
    return {
        "params": params,
        "clients": clients,
        "measured": measured,
        "catalog": catalog,
        "templates": templates,
        "notebooks": notebooks,
        "package": package,
    }


def _compute(w: dict[str, Path]) -> fingerprint.Fingerprint:
    return fingerprint.compute(
        w["params"],
        catalog_dir=w["catalog"],
        templates_dir=w["templates"],
        notebooks_dir=w["notebooks"],
        package_dir=w["package"],
    )


def _rewrite(path: Path, text: str) -> None:
    """Change a file's content; its mtime moves into the past so the per-process cache is used."""
    path.write_text(text)
    old = time.time() - 3600
    os.utime(path, (old, old))


def test_same_inputs_same_fingerprint_and_parts_named(world: dict[str, Path]) -> None:
    first, second = _compute(world), _compute(world)
    assert first == second
    assert len(first.sha256) == 64
    assert {
        "params",
        "measurements.usage_log",
        "measurements.emissions_log[0]",
        "measurements.emissions_log[1]",
        "catalog/gpus.yaml",
        "catalog/models.yaml",
        "templates",
        "notebooks",
        "package",
        "codecarbon",
        "genai-prices",
        "ecologits",
        "python",
    } == set(first.parts)
    # the second emissions log does not exist: named as missing, not an error
    assert first.parts["measurements.emissions_log[1]"].startswith("missing:")
    assert first.parts["codecarbon"] == "3.3.2"


@pytest.mark.parametrize(
    "change",
    [
        "params",
        "usage_log",
        "emissions_log_appears",
        "catalog_file",
        "catalog_new_file",
        "template",
        "message_catalog",
        "notebook",
        "package",
    ],
)
def test_fingerprint_changes_with_each_input(world: dict[str, Path], change: str) -> None:
    before = _compute(world)
    if change == "params":
        _rewrite(world["params"], PARAMS.replace("Acme", "Acme Corp"))
    elif change == "usage_log":
        _rewrite(world["measured"] / "usage.csv", "timestamp,input_tokens,output_tokens\n1,10,21\n")
    elif change == "emissions_log_appears":
        (world["measured"] / "e2.csv").write_text("emissions\n0.2\n")
    elif change == "catalog_file":
        _rewrite(world["catalog"] / "gpus.yaml", "- name: L4\n  memory_gb: 48\n")
    elif change == "catalog_new_file":
        (world["catalog"] / "regions.yaml").write_text("- name: FRA\n")
    elif change == "template":
        _rewrite(world["templates"] / "report.html.j2", "<html>{{ y }}</html>")
    elif change == "message_catalog":
        _rewrite(world["templates"] / "messages" / "en.yaml", "title: Rapport\n")
    elif change == "notebook":
        _rewrite(world["notebooks"] / "01.ipynb", '{"cells": []}')
    elif change == "package":
        (world["package"] / "new.py").write_text("Y = 2\n")
    after = _compute(world)
    assert after.sha256 != before.sha256
    assert after.changed(before.parts)  # and it says which part


def test_fingerprint_ignores_what_does_not_determine_the_report(world: dict[str, Path]) -> None:
    before = _compute(world)
    (world["clients"] / "other.yaml").write_text("client: {name: Someone else}\n")
    (world["catalog"] / "README.md").write_text("notes")  # only *.yaml are catalog files
    (world["notebooks"] / "01.py").write_text("# jupytext pair")  # only *.ipynb run
    (world["package"] / "__pycache__").mkdir()
    (world["package"] / "__pycache__" / "mod.cpython-311.pyc").write_bytes(b"\0")
    (world["templates"] / ".report.html.j2.swp").write_text("editor swap file")
    later = time.time() + 5
    os.utime(world["params"], (later, later))  # touched, same bytes
    after = _compute(world)
    assert after == before
    assert after.changed(before.parts) == []


def test_same_size_rewrite_is_seen_at_once(world: dict[str, Path]) -> None:
    """A file rewritten within the file system's clock tick keeps its mtime: not cached."""
    usage = world["measured"] / "usage.csv"
    before = _compute(world)
    stat = usage.stat()
    usage.write_text(usage.read_text().replace("20", "30"))
    os.utime(usage, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert _compute(world).sha256 != before.sha256


def test_params_that_do_not_parse_still_have_a_fingerprint(world: dict[str, Path]) -> None:
    world["params"].write_text("client: {name: [unclosed\n")
    broken = _compute(world)
    assert "measurements.usage_log" not in broken.parts
    world["params"].write_text("- a list, not a mapping\n")
    assert _compute(world).sha256 != broken.sha256


def test_missing_params_file_is_named(tmp_path: Path) -> None:
    result = fingerprint.compute(tmp_path / "absent.yaml")
    assert result.parts["params"].startswith("missing:")


def test_repository_example_is_served_from_the_hash_cache() -> None:
    # a second fingerprint of the same inputs hashes nothing again: every file older than the
    # racy window is a cache hit (the racy ones bypass the cache and count as neither), so the
    # misses do not grow. Counted, not timed (timings belong to bench/).
    example = fingerprint.REPO_DIR / "params" / "clients" / "example-retail.yaml"
    first = fingerprint.compute(example)
    before = fingerprint._file_sha256_cached.cache_info()
    assert fingerprint.compute(example) == first
    after = fingerprint._file_sha256_cached.cache_info()
    assert after.misses == before.misses
    assert after.hits > before.hits  # the repository's sources and catalog files


def test_relative_reference_resolves_from_the_params_folder(tmp_path: Path) -> None:
    params = tmp_path / "a" / "b.yaml"
    params.parent.mkdir()
    params.write_text("measurements: {usage_log: logs/u.csv}\n")
    (tmp_path / "a" / "logs").mkdir()
    shutil.copyfile(params, tmp_path / "a" / "logs" / "u.csv")
    refs = fingerprint.measurement_references(params, params.read_bytes())
    assert refs == [("measurements.usage_log", (tmp_path / "a" / "logs" / "u.csv").resolve())]
