"""A notebook written for a test: a parameters cell tagged as papermill wants it, then code cells,
for the runner's kernel."""

from __future__ import annotations

from pathlib import Path

import nbformat

from llmdecide import notebook_run


def write_notebook(path: Path, parameters: str, *cells: str) -> Path:
    """Write ``path``: the ``parameters`` cell (its source), then one code cell per ``cells``."""
    nb = nbformat.v4.new_notebook()
    tagged = nbformat.v4.new_code_cell(parameters)
    tagged.metadata["tags"] = ["parameters"]
    nb.cells = [tagged, *(nbformat.v4.new_code_cell(code) for code in cells)]
    nb.metadata["kernelspec"] = {
        "name": notebook_run.KERNEL_NAME,
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)
    return path
