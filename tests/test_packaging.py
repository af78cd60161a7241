"""environment.yml carries exactly the pins of pyproject.toml (runtime + lab and dev extras)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]


def test_environment_yml_has_the_pyproject_pins() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    browser = {d for d in extras["dev"] if d.startswith("playwright")}  # the what-if browser test
    assert browser, "playwright belongs to the dev extra (tests/test_whatif_browser.py)"
    wanted = set(project["dependencies"]) | set(extras["lab"]) | set(extras["dev"])
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "python=3.11" in env["dependencies"]
    assert set(pip) - {"-e ."} == wanted


def test_exact_pins_for_libraries_whose_data_changes_results() -> None:
    deps = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    for name in ("codecarbon", "genai-prices", "ecologits"):
        (spec,) = [d for d in deps if d.split("=")[0].split("<")[0].split(">")[0] == name]
        assert "==" in spec, spec


def test_jupyterlab_is_not_a_runtime_dependency() -> None:
    deps = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    assert not any(d.startswith(("jupyterlab", "jupytext")) for d in deps)


def test_the_suite_never_hangs_silently() -> None:
    """A per-test time-out (pytest-timeout, thread method: dumps every thread's stack) is set."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    options = config["tool"]["pytest"]["ini_options"]
    assert 0 < options["timeout"] <= 600 and options["timeout_method"] == "thread"
    dev = config["project"]["optional-dependencies"]["dev"]
    assert any(d.startswith("pytest-timeout") for d in dev)
    assert any(d.startswith("hypothesis") for d in dev)


def test_every_environment_variable_is_documented() -> None:
    """Each ``LLMDECIDE_*`` variable the code or the tests read has its row in
    docs/architecture.md ("Environment variables")."""
    import re

    used = set()
    for folder in ("lib", "tests", "bench", "scripts"):
        for path in (REPO / folder).rglob("*.py"):
            used |= set(re.findall(r"LLMDECIDE_[A-Z_]+", path.read_text(encoding="utf-8")))
    docs = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    section = docs.split("## Environment variables", 1)[1]
    assert used and {v for v in used if f"`{v}`" not in section} == set()
