"""One exception family for llmdecide. Every message says what is wrong and how to fix it.

Input problems (a params file, the catalog, a measurement file) exit with status 2;
run failures (a notebook that fails, a publish that cannot complete) exit with status 1.
The CLI prints ``str(error)`` without a traceback.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path


class LlmdecideError(Exception):
    """Base of every error this package raises on purpose."""

    exit_code: int = 1


@dataclass(frozen=True)
class Problem:
    """One problem in one input file: where it is and what is expected instead."""

    file: str
    key_path: str
    expected: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.key_path}" if self.key_path else self.file
        return f"{where}: {self.expected}"


class InputError(LlmdecideError):
    """Bad input: one or more problems, each naming the file, the key path and the fix."""

    exit_code = 2

    def __init__(self, problems: Problem | Sequence[Problem]):
        self.problems: list[Problem] = (
            [problems] if isinstance(problems, Problem) else list(problems)
        )
        super().__init__("\n".join(str(p) for p in self.problems))

    @classmethod
    def single(cls, file: str | Path, key_path: str, expected: str) -> InputError:
        return cls(Problem(str(file), key_path, expected))


class ParamsError(InputError):
    """A client parameters file is invalid."""


class CatalogError(InputError):
    """The catalog (params/catalog/*.yaml) is invalid or lacks a name the client uses."""


class MeasurementError(InputError):
    """A usage log, an emissions log or a probe is unusable."""


class CarbonError(InputError):
    """A region or country unknown to codecarbon's bundled data, or a bad carbon setting."""


class NotebookError(LlmdecideError):
    """A notebook failed while papermill executed it."""

    exit_code = 1

    def __init__(self, notebook: str, cell: str, detail: str, kept: str | Path):
        self.notebook, self.cell, self.detail, self.kept = notebook, cell, detail, str(kept)
        super().__init__(
            f"{notebook}: failed in {cell}: {detail}\n"
            f"Open the executed notebook to see the traceback: {kept}"
        )


class RunError(LlmdecideError):
    """A run could not complete (rendering, publishing); the previous report is untouched."""

    exit_code = 1


class ReportError(RunError):
    """The report could not be rendered (bad context, or a render step failed)."""


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """' Did you mean X?' for the closest candidate, or '' when nothing is close."""
    import difflib

    match = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f" Did you mean {match[0]}?" if match else ""
