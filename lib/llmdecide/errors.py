"""One exception family for llmdecide. Every message says what is wrong and how to fix it.

Input problems (a params file, the catalog, a measurement file) exit with status 2;
run failures (a notebook that fails, a publish that cannot complete) exit with status 1.
The CLI prints ``str(error)`` without a traceback.

An error raised in a notebook's kernel crosses to the runner as data: :func:`to_record` gives
its JSON record, :func:`from_record` rebuilds the exception (``kernels`` carries the record).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

RECORD_VERSION = 1


class LlmdecideError(Exception):
    """Base of every error this package raises on purpose."""

    exit_code: int = 1


@dataclass(frozen=True)
class Problem:
    """One problem in one input file: where it is and what is expected instead."""

    file: str
    key_path: str
    expected: str
    hint: str = ""
    """How to fix it, when ``expected`` does not already say so."""

    def __str__(self) -> str:
        where = f"{self.file}: {self.key_path}" if self.key_path else self.file
        return f"{where}: {self.expected}" + (f" {self.hint}" if self.hint else "")


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
    match = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f" Did you mean {match[0]}?" if match else ""


# -- errors as data (from a kernel to the runner) --------------------------------------------------


def to_record(error: LlmdecideError) -> dict[str, Any]:
    """The JSON record of an error: ``{"version": 1, "error": <class name>, "exit_code": <int>,
    "message": str(error), "problems": [{"file", "key_path", "expected", "hint"}, ...]}``
    (``problems`` empty for an error that is not an :class:`InputError`)."""
    problems = error.problems if isinstance(error, InputError) else []
    return {
        "version": RECORD_VERSION,
        "error": type(error).__name__,
        "exit_code": error.exit_code,
        "message": str(error),
        "problems": [asdict(p) for p in problems],
    }


def _input_error_classes() -> dict[str, type[InputError]]:
    """InputError and every subclass defined so far, by class name."""
    found: dict[str, type[InputError]] = {}
    pending: list[type[InputError]] = [InputError]
    while pending:
        cls = pending.pop()
        found.setdefault(cls.__name__, cls)
        pending.extend(cls.__subclasses__())
    return found


def from_record(record: Mapping[str, Any]) -> InputError | None:
    """The input error a record describes, rebuilt from its fields (same class when it is known,
    else ``InputError``; the same message); None for a record of another error, or malformed."""
    if record.get("version") != RECORD_VERSION or record.get("exit_code") != InputError.exit_code:
        return None
    raw = record.get("problems")
    names = {f.name for f in fields(Problem)}
    if not isinstance(raw, list) or not raw:
        return None
    problems = []
    for item in raw:
        if not isinstance(item, Mapping) or not {"file", "key_path", "expected"} <= set(item):
            return None
        problems.append(Problem(**{k: str(v) for k, v in item.items() if k in names}))
    cls = _input_error_classes().get(str(record.get("error")), InputError)
    return cls(problems)
