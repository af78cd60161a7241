"""Notebook hygiene: thin, stored without outputs, one parameters cell, in sync with their .py twin."""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import pytest

from llmdecide.notebook_run import NOTEBOOK_PARAMETERS, NOTEBOOKS, NOTEBOOKS_DIR

PATHS = [NOTEBOOKS_DIR / f"{name}.ipynb" for name in NOTEBOOKS]


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.stem)
def test_stored_without_outputs(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name}: a cell has outputs; strip them"
            assert cell.execution_count is None, f"{path.name}: a cell has an execution count"


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.stem)
def test_thin_no_def_or_class(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        tree = ast.parse(cell.source)
        defined = [
            n.name
            for n in ast.walk(tree)
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        ]
        assert not defined, f"{path.name} defines {defined}: move it into lib/ with a test"


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.stem)
def test_one_parameters_cell_with_the_runner_parameters(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    assigned = {
        t.id
        for node in ast.parse(tagged[0].source).body
        if isinstance(node, ast.Assign)
        for t in node.targets
        if isinstance(t, ast.Name)
    }
    assert assigned == set(NOTEBOOK_PARAMETERS)


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.stem)
def test_in_sync_with_jupytext_twin(path: Path) -> None:
    import jupytext  # the dev extra: missing, the suite fails instead of skipping the check

    twin = jupytext.read(path.with_suffix(".py"))
    nb = nbformat.read(path, as_version=4)
    assert [(c.cell_type, c.source) for c in nb.cells] == [
        (c.cell_type, c.source) for c in twin.cells
    ], f"{path.name} and its .py differ: run `jupytext --sync {path}`"


@pytest.mark.timeout(900)  # three real notebooks, one after the other
def test_the_notebooks_run_on_the_example_client_by_default(tmp_path: Path) -> None:
    """As in JupyterLab: the parameters cell's own params_path (the example client), in order
    (03 reads what 02 wrote); only the output folder is redirected to a temporary one."""
    from llmdecide import notebook_run

    for name in notebook_run.NOTEBOOKS:
        notebook_run.execute_notebook(
            notebook_run.NOTEBOOKS_DIR / f"{name}.ipynb",
            tmp_path / "executed" / f"{name}.ipynb",
            {"output_dir": str(tmp_path / "out")},
        )
    assert (tmp_path / "out" / "configurations.csv").is_file()
    assert (tmp_path / "out" / "data" / "carbon.json").is_file()
    assert (tmp_path / "out" / "emissions.csv").is_file()
