"""Reading a usage log file (CSV, JSON Lines, Parquet): the file checked, its columns resolved
(our names, their aliases, ``measurements.columns``), malformed lines kept as bad rows, and
:func:`read_usage_log`, which reads and summarises."""

from __future__ import annotations

import gzip
import json
import re
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from llmdecide.errors import MeasurementError, Problem, did_you_mean
from llmdecide.measurements.model import (
    _EXPECTED_COLUMNS,
    ACCEPTED_EXTENSIONS,
    COLUMN_NAMES,
    REQUIRED_FIELDS,
    UsageMeasured,
)
from llmdecide.measurements.summary import _summarise


class _Refused(Exception):
    """The file cannot be read at all: the message says why and what to do."""


# 94 lines, 48 of them the docstring: the method choices, kept beside the code they describe
def read_usage_log(
    path: Path | str,
    file_for_errors: str,
    key_path: str,
    peak_window_s: int,
    *,
    peak_quantile: float,
    active_hour_share: float,
    columns: Mapping[str, str] | None = None,
    requests: dict[str, np.ndarray] | None = None,
) -> UsageMeasured:
    """Read a usage log (one row per request) and summarise it (columns: see the package doc).

    Method choices:

    * **Timestamps**: ISO 8601 strings, with or without a zone (a naive time is taken as UTC), or
      numbers of epoch seconds (``0 ≤ x < 1e11``; larger numbers are milliseconds or finer and are
      refused with a hint). A column may mix both. Parquet timestamp columns are read as such.
      Every timestamp must fall in that range (1970 to year 5138): others are unparsable.
    * **Bad rows** are not used and are counted per reason (``BAD_ROW_REASONS``, a row counted once,
      under its first reason in that order), never dropped silently: a missing timestamp or token
      count; an unparsable timestamp; a non-numeric (or infinite) token count; a negative token
      count; a non-numeric or negative ``latency_s``/``ttft_s`` (the latency reasons cover both);
      a JSON line that is not an object (``malformed_line``). An *empty* latency or ttft is not
      bad (a request may lack it): the row is used, the value is left out of the percentiles.
      Fractional token counts are accepted as they are.
    * **Days covered** = (last − first timestamp) in days, **at least 1 day**: a log shorter than a
      day gives its count as the volume of one day, never extrapolates a busy hour to 24 hours.
      A log that starts at the first request of a day and ends at the last of another day covers
      slightly less than the calendar days (14 office days 08:00–19:00 → 13.46 days): give logs of
      whole weeks, the bias is then ≤ 4 % over two weeks.
    * **Requests per day** = used rows ÷ days covered (weekends and nights included: a mean day).
    * **Peak requests per second** (what the sizing reads) = the ``peak_quantile`` (the
      catalog's ``method.peak_quantile``) of the request counts of the *tumbling* windows ``[t₀ + k·w, t₀ + (k + 1)·w)``,
      w = ``peak_window_s``, t₀ the first request, up to the window of the last one, **empty
      windows included**, ÷ w (``numpy.percentile``'s linear interpolation, the empty windows counted
      without being built); never below the mean rate over the active hours (requests per day ÷
      (active hours × 3600)), which a sparse log's quantile window can fall under
      (``peak_basis``). With w = 60 s and 0.99 it is the rate exceeded in 1 % of the minutes.
    * **Max requests per second** = the most requests in any *sliding* window of w,
      ``[t, t + w)`` starting at each request, ÷ w (``numpy.searchsorted`` on the sorted epoch
      seconds): the busiest window, ≥ any tumbling window's, shown beside the sizing peak.
    * **Token means and percentiles**: arithmetic mean, p50 and p95 by ``numpy.percentile`` with
      linear interpolation (the pandas default too). Same for latency and ttft.
    * **Active hours per day** = the number of hours of the day (UTC, 0–23) whose request count,
      summed over the period (so proportional to their mean daily volume), is at least
      ``active_hour_share`` (the catalog's ``method.active_hour_share``) of the busiest hour's.
      The hours need not be consecutive; the time zone does not change the count.

    ``columns`` (``measurements.columns``): field → the log's own column name, read instead of
    the accepted names. ``requests``: a dict that receives the used rows as arrays aligned row by
    row (``timestamp_s`` epoch seconds in file order, the token counts, and each latency field
    present, NaN where empty): what the pilot calibration reads per request.

    Raises ``MeasurementError`` (one ``Problem`` per problem, each with ``file_for_errors`` and
    ``key_path``) when the file is missing, not a file, unreadable, of an unknown extension, not
    UTF-8, empty, not Parquet although named so, without a required column, or without one
    usable row. The message says what to fix.
    """
    path = Path(path)

    def refuse(*messages: str | tuple[str, str]) -> MeasurementError:
        # a message is text (at ``key_path``) or (key path, text) for a column map entry
        return MeasurementError(
            [
                Problem(file_for_errors, *(m if isinstance(m, tuple) else (key_path, m)))
                for m in messages
            ]
        )

    if not (isinstance(peak_window_s, int | float) and peak_window_s > 0):
        raise refuse(f"peak_window_s must be a positive number of seconds, got {peak_window_s!r}")
    if not (0 < peak_quantile <= 1):
        raise refuse(f"peak_quantile must be in (0, 1], got {peak_quantile!r}")
    if not (0 < active_hour_share <= 1):
        raise refuse(f"active_hour_share must be in (0, 1], got {active_hour_share!r}")
    try:
        fmt = _check_file(path)
        frame, used_columns, rows_total, malformed = _read(path, fmt, dict(columns or {}))
    except _Refused as exc:
        raise refuse(*exc.args) from None
    return _summarise(
        frame,
        columns=used_columns,
        rows_total=rows_total,
        malformed=malformed,
        source_file=path.name,
        fmt=fmt,
        peak_window_s=peak_window_s,
        peak_quantile=peak_quantile,
        active_hour_share=active_hour_share,
        refuse=refuse,
        requests=requests,
    )


def _format_of(path: Path) -> str | None:
    name = path.name.lower()
    for ending in sorted(ACCEPTED_EXTENSIONS, key=len, reverse=True):
        if name.endswith(ending):
            return ACCEPTED_EXTENSIONS[ending]
    return None


def _check_file(path: Path) -> str:
    if not path.exists():
        raise _Refused(
            f"{path}: file not found; check the path (relative to the params file) and the name"
        )
    if path.is_dir():
        raise _Refused(f"{path} is a folder; give the usage log file inside it")
    if not path.is_file():
        raise _Refused(f"{path} is not a regular file; give a CSV, JSON Lines or Parquet file")
    fmt = _format_of(path)
    if fmt is None:
        accepted = ", ".join(ACCEPTED_EXTENSIONS)
        raise _Refused(
            f"{path}: unknown file type {''.join(path.suffixes) or '(no extension)'}; "
            f"a usage log must end with one of {accepted} (CSV, JSON Lines or Parquet)"
        )
    try:
        size = path.stat().st_size
        with path.open("rb"):
            pass
    except OSError as exc:
        raise _Refused(
            f"{path} cannot be read ({exc.strerror or exc}); check its permissions"
        ) from None
    if size == 0:
        raise _Refused(f"{path} is empty; export the usage log again: {_EXPECTED_COLUMNS}")
    return fmt


def _not_utf8(path: Path, exc: UnicodeDecodeError) -> _Refused:
    return _Refused(
        f"{path} is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at byte "
        f"{exc.start} of a block cannot be decoded); re-encode it as UTF-8 (e.g. "
        f"`iconv -f latin1 -t utf-8 in.csv > out.csv`) or export it again as UTF-8"
    )


MAP_KEY = "measurements.columns"


def _resolve(
    path: Path, found: list[str], mapping: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Field → column name in the file, or ``_Refused`` with one message per missing/ambiguous.
    A field of ``mapping`` (``measurements.columns``) is read from its mapped column only."""
    columns: dict[str, str] = {}
    messages: list[Any] = []
    stripped = {c.strip(): c for c in found}
    mapping = dict(mapping or {})
    for name, column in mapping.items():
        if name not in COLUMN_NAMES:
            messages.append(
                (
                    f"{MAP_KEY}.{name}",
                    f"{name!r} is not a usage-log field;{did_you_mean(name, COLUMN_NAMES)} "
                    f"map one of {', '.join(COLUMN_NAMES)} to a column of the log",
                )
            )
        elif column.strip() in stripped:
            columns[name] = stripped[column.strip()]
        else:
            shown = ", ".join(found[:12]) + (", …" if len(found) > 12 else "")
            messages.append(
                (
                    f"{MAP_KEY}.{name}",
                    f"{path.name} has no column {column!r} (found: {shown or '(none)'})."
                    f"{did_you_mean(column, stripped)} Name a column of the log, or remove "
                    f"{name} from {MAP_KEY}",
                )
            )
    for name, accepted in COLUMN_NAMES.items():
        if name in mapping:
            continue
        present = [a for a in accepted if a in stripped]
        if len(present) > 1:
            messages.append(
                f"{path}: columns {' and '.join(present)} both give {name}; keep one of them "
                "(rename or drop the other)"
            )
        elif present:
            columns[name] = stripped[present[0]]
        elif name in REQUIRED_FIELDS:
            shown = ", ".join(found[:12]) + (", …" if len(found) > 12 else "")
            hint = ""
            for a in accepted:
                hint = did_you_mean(a, stripped)
                if hint:
                    break
            messages.append(
                f"{path}: no column for {name} (accepted: {', '.join(accepted)}); found columns: "
                f"{shown or '(none)'}.{hint} Expected {_EXPECTED_COLUMNS}"
            )
    if messages:
        raise _Refused(*messages)
    return columns


def _read(
    path: Path, fmt: str, mapping: Mapping[str, str]
) -> tuple[pd.DataFrame, dict[str, str], int, np.ndarray]:
    """(frame with one column per field found, field → file column, rows total, malformed mask)."""
    if fmt == "csv":
        return _read_csv(path, mapping)
    if fmt == "jsonl":
        return _read_jsonl(path, mapping)
    return _read_parquet(path, mapping)


def _read_csv(
    path: Path, mapping: Mapping[str, str]
) -> tuple[pd.DataFrame, dict[str, str], int, np.ndarray]:
    options: dict[str, Any] = {"encoding": "utf-8-sig", "engine": "c"}
    skipped: list[int] = []
    try:
        header = pd.read_csv(path, nrows=0, **options)
        columns = _resolve(path, [str(c) for c in header.columns], mapping)
        # usecols only when it drops something: the C parser is faster without it
        options["usecols"] = None if len(columns) == len(header.columns) else list(columns.values())
        try:
            frame = pd.read_csv(path, **options)
        except pd.errors.ParserError as exc:
            if "Expected" not in str(exc):
                raise
            # lines with too many fields: read again, keeping their line numbers (slower)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                frame = pd.read_csv(path, on_bad_lines="warn", **options)
            skipped = [
                int(n)
                for w in caught
                if issubclass(w.category, pd.errors.ParserWarning)
                for n in re.findall(r"Skipping line (\d+)", str(w.message))
            ]
    except pd.errors.EmptyDataError:
        raise _Refused(
            f"{path} is empty (no header); export the usage log again: {_EXPECTED_COLUMNS}"
        ) from None
    except UnicodeDecodeError as exc:
        raise _not_utf8(path, exc) from None
    except (EOFError, OSError) as exc:  # a damaged .gz, a read error
        detail = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        raise _Refused(f"{path} cannot be read ({detail}); export it again") from None
    except (pd.errors.ParserError, ValueError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise _Refused(f"{path} is not a readable CSV ({first}); {_EXPECTED_COLUMNS}") from None
    frame = frame.rename(columns={v: k for k, v in columns.items()})
    total = len(frame) + len(skipped)
    malformed = np.zeros(total, dtype=bool)
    if skipped:
        # pandas drops malformed lines: put an empty row back where each was (line 2 = row 0)
        malformed[np.clip(np.asarray(skipped) - 2, 0, total - 1)] = True
        if malformed.sum() < len(skipped):  # blank lines shifted the numbers: keep the count
            malformed[:] = False
            malformed[len(frame) :] = True
        take = np.full(total, len(frame))
        take[~malformed] = np.arange(len(frame))
        padded = pd.concat([frame, frame.iloc[:0].reindex([len(frame)])], ignore_index=True)
        frame = padded.iloc[take].reset_index(drop=True)
    return frame, columns, total, malformed


def _read_jsonl(
    path: Path, mapping: Mapping[str, str]
) -> tuple[pd.DataFrame, dict[str, str], int, np.ndarray]:
    malformed: np.ndarray | None = None
    try:
        try:
            with warnings.catch_warnings():  # arrays of mixed lengths: handled just below
                warnings.simplefilter("ignore")
                frame = pd.read_json(
                    path, lines=True, dtype=False, encoding="utf-8", precise_float=True
                )
        except (ValueError, TypeError):  # a line that is not a JSON object: find which
            frame, malformed = _read_jsonl_slowly(path)
        else:
            if not all(isinstance(c, str) for c in frame.columns):  # lines were JSON arrays
                frame, malformed = _read_jsonl_slowly(path)
    except UnicodeDecodeError as exc:
        raise _not_utf8(path, exc) from None
    except (EOFError, OSError) as exc:
        detail = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        raise _Refused(f"{path} cannot be read ({detail}); export it again") from None
    if len(frame) == 0 and (malformed is None or len(malformed) == 0):
        raise _Refused(f"{path} has no JSON line; export the usage log again: {_EXPECTED_COLUMNS}")
    if malformed is not None and len(malformed) and malformed.all():
        n = len(malformed)
        raise _Refused(
            f"{path.name}: no usable row among {n} (malformed line: {n}): every line must be a "
            f"JSON object. Fix the rows: {_EXPECTED_COLUMNS}"
        )
    columns = _resolve(path, [str(c) for c in frame.columns], mapping)
    frame = frame[list(columns.values())].rename(columns={v: k for k, v in columns.items()})
    if malformed is None:
        malformed = np.zeros(len(frame), dtype=bool)
    return frame.reset_index(drop=True), columns, len(frame), malformed


def _read_jsonl_slowly(path: Path) -> tuple[pd.DataFrame, np.ndarray]:
    """Line by line: each non-blank line is a row; one that is not a JSON object is malformed."""

    opener = gzip.open if path.name.lower().endswith(".gz") else open
    records: list[dict[str, Any]] = []
    bad: list[bool] = []
    with opener(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError:
                record = None
            ok = isinstance(record, dict)
            records.append(record if ok else {})
            bad.append(not ok)
    return pd.DataFrame.from_records(records), np.asarray(bad, dtype=bool)


def _read_parquet(
    path: Path, mapping: Mapping[str, str]
) -> tuple[pd.DataFrame, dict[str, str], int, np.ndarray]:
    # pyarrow (~0.6 s): only Parquet logs need it
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(path)
        columns = _resolve(path, list(schema.names), mapping)
        table = pq.read_table(path, columns=list(columns.values()))
    except _Refused:
        raise
    except (pa.ArrowInvalid, pa.ArrowException) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise _Refused(
            f"{path} is not a readable Parquet file ({first}); export it again as Parquet, or "
            "give it the extension of its real format (.csv, .jsonl)"
        ) from None
    except OSError as exc:
        raise _Refused(f"{path} cannot be read ({exc.strerror or exc}); export it again") from None
    frame = table.to_pandas().rename(columns={v: k for k, v in columns.items()})
    if len(frame) == 0:
        raise _Refused(f"{path} has no rows; export the usage log again: {_EXPECTED_COLUMNS}")
    return frame, columns, len(frame), np.zeros(len(frame), dtype=bool)
