"""Usage measured on the client's pilot: read a usage log and summarise it like the hypotheses.

A usage log has one row per request, as CSV (``.csv``, ``.csv.gz``), JSON Lines (``.jsonl``,
``.ndjson``, optionally ``.gz``) or Parquet (``.parquet``). Columns, by our names or their aliases:

============== ======================================================= ========
field          accepted column names (exactly one per field)           required
============== ======================================================= ========
timestamp      ``timestamp``, ``time``, ``start_time``                 yes
input_tokens   ``input_tokens``, ``gen_ai.usage.input_tokens``,         yes
               ``gen_ai.usage.prompt_tokens``
output_tokens  ``output_tokens``, ``gen_ai.usage.output_tokens``,       yes
               ``gen_ai.usage.completion_tokens``
latency_s      ``latency_s``, ``gen_ai.client.operation.duration``,     no
               ``gen_ai.latency.e2e``
ttft_s         ``ttft_s``, ``gen_ai.server.time_to_first_token``,      no
               ``gen_ai.latency.time_to_first_token``
tpot_s         ``tpot_s``, ``gen_ai.server.time_per_output_token``     no
============== ======================================================= ========

The ``gen_ai.*`` names are the OpenTelemetry GenAI semantic conventions (durations in seconds);
``gen_ai.usage.prompt_tokens``, ``gen_ai.usage.completion_tokens``, ``gen_ai.latency.e2e`` and
``gen_ai.latency.time_to_first_token`` are the span attributes vLLM's OpenTelemetry tracing
writes per request (``vllm/tracing.py`` ``SpanAttributes``), so a span export reads as it is.
A foreign log (say the Azure LLM inference trace: ``TIMESTAMP``, ``ContextTokens``,
``GeneratedTokens``) is read through ``measurements.columns``, a map from our field names to the
log's own column names: a mapped field is read from that column only. An
alias is used only when it is unambiguous: a file with two accepted names for the same field (say
``timestamp`` and ``start_time``) is refused with a message naming both. JSON Lines keys and Parquet
columns are flat names (``"gen_ai.usage.input_tokens": 812``), not nested objects.

The summary (``UsageMeasured``) replaces the ``usage`` hypotheses of the params file through
``UsageMeasured.as_usage_override()``; the method choices are listed in ``read_usage_log``.
"""

from __future__ import annotations

import gzip
import json
import math
import re
import warnings
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from llmdecide.errors import MeasurementError, Problem, did_you_mean

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "ACCEPTED_EXTENSIONS",
    "BAD_ROW_REASONS",
    "COLUMN_NAMES",
    "REQUIRED_FIELDS",
    "UsageMeasured",
    "read_usage_log",
]

COLUMN_NAMES: dict[str, tuple[str, ...]] = {
    "timestamp": ("timestamp", "time", "start_time"),
    "input_tokens": ("input_tokens", "gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens"),
    "output_tokens": (
        "output_tokens",
        "gen_ai.usage.output_tokens",
        "gen_ai.usage.completion_tokens",
    ),
    "latency_s": ("latency_s", "gen_ai.client.operation.duration", "gen_ai.latency.e2e"),
    "ttft_s": (
        "ttft_s",
        "gen_ai.server.time_to_first_token",
        "gen_ai.latency.time_to_first_token",
    ),
    "tpot_s": ("tpot_s", "gen_ai.server.time_per_output_token"),
}
"""Per field, the column names accepted for it (ours first, then the aliases)."""

REQUIRED_FIELDS = ("timestamp", "input_tokens", "output_tokens")
OPTIONAL_FIELDS = ("latency_s", "ttft_s", "tpot_s")

ACCEPTED_EXTENSIONS: dict[str, str] = {
    ".csv": "csv",
    ".csv.gz": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".jsonl.gz": "jsonl",
    ".ndjson.gz": "jsonl",
    ".parquet": "parquet",
}
"""File name ending → format read. Longest endings are matched first."""

BAD_ROW_REASONS = (
    "malformed_line",
    "missing_field",
    "unparsable_timestamp",
    "non_numeric_tokens",
    "negative_tokens",
    "non_numeric_latency",
    "negative_latency",
)
"""Why a row is not used, in the order they are tested: a row is counted once, under its first."""

EPOCH_SECONDS_MAX = 1e11
"""Numeric timestamps at or above this (year 5138) are not epoch seconds (ms, µs or ns)."""

PERCENTILES = (50, 95)

_EXPECTED_COLUMNS = (
    "one row per request with columns timestamp (ISO 8601 or epoch seconds), input_tokens, "
    "output_tokens, optional latency_s and ttft_s (seconds); the OpenTelemetry GenAI names "
    "gen_ai.usage.input_tokens, gen_ai.usage.output_tokens, gen_ai.client.operation.duration and "
    "gen_ai.server.time_to_first_token are accepted, and time or start_time for timestamp"
)


@dataclass(frozen=True)
class UsageMeasured:
    """A usage log summarised: the figures that replace the ``usage`` hypotheses, and their basis.

    Token figures are per request; latency and ttft percentiles are ``None`` when the log has no
    such column or no value in it. Timestamps are UTC, ISO 8601 with a ``Z``.
    """

    source_file: str
    format: str
    """``csv``, ``jsonl`` or ``parquet``."""
    columns: dict[str, str]
    """Field → the column of the file it was read from (shows which aliases were used)."""
    rows_total: int
    """Data rows in the file (header and blank lines excluded)."""
    rows_used: int
    bad_rows: dict[str, int]
    """Rows not used, per reason (``BAD_ROW_REASONS``, in that order; reasons with 0 left out)."""
    bad_row_examples: dict[str, list[int]]
    """Per reason, the first (at most 5) data-row numbers, 1-based, header not counted."""
    first_timestamp: str
    last_timestamp: str
    days_covered: float
    """(last − first timestamp) in days, at least 1.0."""
    requests_per_day: float
    peak_window_s: int | float
    peak_requests_per_second: float
    """The sizing peak: the ``peak_quantile`` of the request rates of the tumbling windows of
    ``peak_window_s`` seconds over the period (empty windows included), never below the mean
    rate over the active hours (``peak_basis`` says which)."""
    input_tokens_mean: float
    input_tokens_p50: float
    input_tokens_p95: float
    output_tokens_mean: float
    output_tokens_p50: float
    output_tokens_p95: float
    latency_s_count: int
    latency_s_p50: float | None
    latency_s_p95: float | None
    ttft_s_count: int
    ttft_s_p50: float | None
    ttft_s_p95: float | None
    active_hour_share: float
    active_hours_per_day: int
    """Hours of the day (UTC) whose volume is ≥ ``active_hour_share`` × the busiest hour's."""
    requests_by_hour: tuple[int, ...] = field(default_factory=tuple)
    """Used requests per hour of the day (UTC, 0–23), summed over the period."""
    peak_quantile: float = math.nan
    max_requests_per_second: float = 0.0
    """Most requests in any sliding window of ``peak_window_s`` seconds, ÷ ``peak_window_s``:
    the busiest window seen (shown beside the sizing peak, not sized for)."""
    peak_basis: str = "quantile"
    """``quantile``: the peak is the window quantile; ``active_hours_mean``: a sparse log whose
    quantile window is below the mean rate over the active hours, which is taken instead."""
    input_tokens_cv2: float = 1.0
    output_tokens_cv2: float = 1.0
    """Squared coefficients of variation (variance / mean²) of the token counts: the queues'
    service-time variability (1 = exponential-like, the default without a log)."""

    @property
    def bad_rows_total(self) -> int:
        return sum(self.bad_rows.values())

    def as_usage_override(self) -> dict[str, float | int]:
        """The ``usage`` keys the measurements replace, in the units of the params file.

        Token counts are the means rounded half up to whole tokens; ``horizon_months`` is not
        measured and stays the hypothesis.
        """
        return {
            "requests_per_day": self.requests_per_day,
            "peak_requests_per_second": self.peak_requests_per_second,
            "input_tokens": _half_up(self.input_tokens_mean),
            "output_tokens": _half_up(self.output_tokens_mean),
            "active_hours_per_day": float(self.active_hours_per_day),
        }

    def token_distribution(self) -> dict[str, float]:
        """What the sizing reads of the token distributions beside the means (added to the
        ``usage`` of a run, not in the params file): the p95 request's tokens and the squared
        coefficients of variation (docs/method.md §3.1 "Token distributions from a usage log")."""
        return {
            "input_tokens_p95": self.input_tokens_p95,
            "output_tokens_p95": self.output_tokens_p95,
            "input_tokens_cv2": self.input_tokens_cv2,
            "output_tokens_cv2": self.output_tokens_cv2,
        }

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly and deterministic: every field, ``bad_rows_total`` and ``usage_override``
        (the figures comparable with the hypotheses, under the ``usage`` key names)."""
        out = asdict(self)
        out["requests_by_hour"] = list(self.requests_by_hour)
        out["bad_rows"] = dict(self.bad_rows)
        out["bad_row_examples"] = {k: list(v) for k, v in self.bad_row_examples.items()}
        out["bad_rows_total"] = self.bad_rows_total
        out["usage_override"] = self.as_usage_override()
        return out


def _half_up(value: float) -> int:
    return math.floor(value + 0.5)


class _Refused(Exception):
    """The file cannot be read at all: the message says why and what to do."""


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
    """Read a usage log (one row per request) and summarise it; see the module doc for columns.

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


# --------------------------------------------------------------------------------------- reading


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


# ----------------------------------------------------------------------------------- parsing


def _blank(series: pd.Series, rows: np.ndarray) -> np.ndarray:
    """Which of ``rows`` (a mask) hold blank text: treated as missing, not as unparsable."""
    out = np.zeros(len(series), dtype=bool)
    if rows.any():
        picked = series[rows]
        out[rows] = picked.map(lambda v: isinstance(v, str) and not v.strip()).to_numpy(bool)
    return out


def _numbers(series: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(values as float with NaN, missing mask, non-numeric mask) of one column."""

    if pd.api.types.is_bool_dtype(series.dtype):
        missing = np.zeros(len(series), dtype=bool)
        return np.full(len(series), np.nan), missing, ~missing
    if pd.api.types.is_numeric_dtype(series.dtype):
        values = series.to_numpy(dtype=float, na_value=np.nan, copy=True)
        missing = np.isnan(values)
        non_numeric = np.isinf(values)
        values[non_numeric] = np.nan
        return values, missing, non_numeric
    missing = series.isna().to_numpy(copy=True)
    values = pd.to_numeric(series, errors="coerce").to_numpy(
        dtype=float, na_value=np.nan, copy=True
    )
    failed = (np.isnan(values) | np.isinf(values)) & ~missing
    blank = _blank(series, failed)
    missing |= blank
    non_numeric = failed & ~blank
    values[failed] = np.nan
    return values, missing, non_numeric


def _epoch_seconds(series: pd.Series) -> tuple[np.ndarray, np.ndarray, int]:
    """(epoch seconds with NaN, missing mask, count of numbers too large to be epoch seconds)."""

    if isinstance(series.dtype, pd.DatetimeTZDtype):
        return _to_epoch(series), series.isna().to_numpy(copy=True), 0
    if pd.api.types.is_datetime64_dtype(series.dtype):
        return _to_epoch(series.dt.tz_localize("UTC")), series.isna().to_numpy(copy=True), 0
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
        values, missing, _ = _numbers(series)
        values, too_large = _epoch_range(values)
        return values, missing, too_large
    fast = _arrow_iso(series)
    if fast is not None:
        return fast, np.zeros(len(series), dtype=bool), 0
    missing = series.isna().to_numpy(copy=True)
    out = np.full(len(series), np.nan)
    present = series[~missing]
    if present.empty:
        return out, missing, 0
    first = present.iloc[0]
    try:
        numeric_first = not isinstance(first, bool) and math.isfinite(float(first))
    except (TypeError, ValueError):
        numeric_first = False
    # the first value picks the parser tried on every row; the other one gets the failures
    too_large = 0
    if numeric_first:
        numbers, too_large = _epoch_range(_to_float(present))
        rest = np.isnan(numbers)
        if rest.any():
            numbers[rest] = _iso(present[rest])
    else:
        numbers = _iso(present)
        rest = np.isnan(numbers)
        if rest.any():
            numbers[rest], too_large = _epoch_range(_to_float(present[rest]))
    out[~missing] = numbers
    failed = np.isnan(out) & ~missing
    blank = _blank(series, failed)
    return out, missing | blank, too_large


def _arrow_iso(series: pd.Series) -> np.ndarray | None:
    """Epoch seconds when every value is an ISO 8601 string with a zone, or every one without
    (read as UTC); else ``None`` and the slower row-by-row parse decides. Arrow's cast is ~10×
    faster than pandas' and fails as a whole on one odd value, hence the fallback."""
    # pyarrow (~0.6 s): only Parquet logs need it
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        strings = pa.array(series.array, from_pandas=True)
    except (pa.ArrowException, TypeError, ValueError):
        return None
    if not pa.types.is_string(strings.type) and not pa.types.is_large_string(strings.type):
        return None
    if strings.null_count:
        return None
    for target in (pa.timestamp("us", tz="UTC"), pa.timestamp("us")):
        try:
            stamps = pc.cast(strings, target)
        except (pa.ArrowException, ValueError):
            continue
        seconds = stamps.cast(pa.int64()).to_numpy(zero_copy_only=False) / 1e6
        if ((seconds < 0) | (seconds >= EPOCH_SECONDS_MAX)).any():
            return None  # out of range: the row-by-row parse marks those rows unparsable
        return seconds
    return None


def _to_float(values: pd.Series) -> np.ndarray:
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan, copy=True)


def _epoch_range(values: np.ndarray) -> tuple[np.ndarray, int]:
    """Epoch seconds in [0, ``EPOCH_SECONDS_MAX``), others NaN; and how many were too large."""
    values = values.copy()
    too_large = values >= EPOCH_SECONDS_MAX
    values[too_large | (values < 0) | np.isinf(values)] = np.nan
    return values, int(too_large.sum())


def _iso(strings: pd.Series) -> np.ndarray:
    text = strings
    if strings.dtype == object:  # JSON: numbers, booleans, lists may sit among the strings
        text = strings.map(lambda v: v if isinstance(v, str) else None, na_action="ignore")
    stamps = pd.to_datetime(text, format="ISO8601", utc=True, errors="coerce")
    return _to_epoch(stamps)


def _to_epoch(stamps: pd.Series) -> np.ndarray:
    # in microseconds: a date after 2262 (a typo, a placeholder) overflows nanoseconds, the unit
    # pandas would cast both sides of the subtraction to
    stamps = stamps.dt.tz_convert("UTC").dt.as_unit("us")
    seconds = (stamps - pd.Timestamp(0, tz="UTC").as_unit("us")).dt.total_seconds()
    values = seconds.to_numpy(dtype=float, na_value=np.nan, copy=True)
    # the range of numeric epochs: a date before 1970 or after 5138 is not a request time
    # (ISO 8601 also reads "-1" as the year -1, which no datetime can show)
    values[(values < 0) | (values >= EPOCH_SECONDS_MAX)] = np.nan
    return values


def _iso_utc(epoch: float) -> str:
    text = datetime.fromtimestamp(epoch, UTC).isoformat()
    return text.removesuffix("+00:00") + "Z"


# --------------------------------------------------------------------------------- summary


def _peak_count(t: np.ndarray, window: float) -> int:
    """Most requests in a window ``[t_i, t_i + window)`` starting at a request (``t`` sorted)."""
    ends = np.searchsorted(t, t + window, side="left")
    return int((ends - np.arange(len(t))).max())


def window_rate_quantile_rps(t: np.ndarray, window_s: float, quantile: float) -> float:
    """The ``quantile`` of the request rates of the tumbling windows ``[t₀ + k·w, t₀ + (k+1)·w)``
    from the first request t₀ to the window of the last, empty windows included (``t`` sorted
    epoch seconds): the windows of the pilot calibration's peak (``estimators.calibration``).

    Linear interpolation between order statistics, as ``numpy.percentile``; the empty windows
    are counted, not built, so a log whose timestamps lie years apart costs no more."""
    k = np.floor((t - t[0]) / window_s).astype(np.int64)
    starts = np.flatnonzero(np.diff(k)) + 1  # t sorted → k sorted: runs of equal windows
    counts = np.diff(np.concatenate(([0], starts, [len(k)])))
    windows = int(k[-1] - k[0]) + 1
    zeros = windows - len(counts)
    counts = np.sort(counts)
    position = quantile * (windows - 1)
    lo = math.floor(position)
    hi = min(lo + 1, windows - 1)

    def at(i: int) -> float:
        return 0.0 if i < zeros else float(counts[i - zeros])

    return (at(lo) + (position - lo) * (at(hi) - at(lo))) / window_s


def _cv2(values: np.ndarray) -> float:
    mean = float(values.mean())
    return float(values.var() / (mean * mean)) if mean > 0 else 0.0


def _requests_by_hour(t: np.ndarray) -> np.ndarray:
    """Requests per hour of the day (UTC), from sorted epoch seconds: counted per clock hour of
    the period by binary search on the hour boundaries, then folded onto 0–23. A log spanning
    more clock hours than it has requests (timestamps years apart: a typo, a placeholder) is
    folded request by request instead, so the work never grows with the span."""
    first_hour = math.floor(t[0] / 3600.0)
    last_hour = math.floor(t[-1] / 3600.0)
    if last_hour - first_hour + 1 > len(t):
        return np.bincount(np.floor(t / 3600.0).astype(np.int64) % 24, minlength=24).astype(int)
    boundaries = np.arange(first_hour, last_hour + 2) * 3600.0
    per_hour = np.diff(np.searchsorted(t, boundaries, side="left"))
    return np.bincount((first_hour + np.arange(len(per_hour))) % 24, per_hour, 24).astype(int)


def _percentiles(values: np.ndarray) -> tuple[float, float] | tuple[None, None]:
    if len(values) == 0:
        return None, None
    p50, p95 = np.percentile(values, PERCENTILES)
    return float(p50), float(p95)


def _summarise(
    frame: pd.DataFrame,
    *,
    columns: dict[str, str],
    rows_total: int,
    malformed: np.ndarray,
    source_file: str,
    fmt: str,
    peak_window_s: float,
    active_hour_share: float,
    refuse: Any,
    peak_quantile: float,
    requests: dict[str, np.ndarray] | None = None,
) -> UsageMeasured:
    if rows_total == 0:
        raise refuse(
            f"{source_file} has a header but no rows; export the usage log again with its "
            "requests, one per row"
        )
    epoch, t_missing, too_large = _epoch_seconds(frame["timestamp"])
    tin, in_missing, in_nonnum = _numbers(frame["input_tokens"])
    tout, out_missing, out_nonnum = _numbers(frame["output_tokens"])
    masks: dict[str, np.ndarray] = {
        "malformed_line": malformed,
        "missing_field": t_missing | in_missing | out_missing,
        "unparsable_timestamp": np.isnan(epoch) & ~t_missing,
        "non_numeric_tokens": in_nonnum | out_nonnum,
        "negative_tokens": (tin < 0) | (tout < 0),
        "non_numeric_latency": np.zeros(rows_total, dtype=bool),
        "negative_latency": np.zeros(rows_total, dtype=bool),
    }
    optional: dict[str, np.ndarray] = {}
    for name in OPTIONAL_FIELDS:
        if name in frame.columns:
            values, _, nonnum = _numbers(frame[name])
            optional[name] = values
            masks["non_numeric_latency"] |= nonnum
            masks["negative_latency"] |= values < 0
    bad = np.zeros(rows_total, dtype=bool)
    bad_rows: dict[str, int] = {}
    examples: dict[str, list[int]] = {}
    clean = not any(mask.any() for mask in masks.values())  # the common case: skip the counting
    for reason in () if clean else BAD_ROW_REASONS:
        new = masks[reason] & ~bad
        count = int(new.sum())
        if count:
            bad_rows[reason] = count
            examples[reason] = [int(i) + 1 for i in np.flatnonzero(new)[:5]]
        bad |= new
    good = ~bad
    used = rows_total if clean else int(good.sum())
    if used == 0:
        counts = ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in bad_rows.items())
        hint = ""
        if too_large:
            hint = (
                f" {too_large} timestamp(s) are numbers ≥ {EPOCH_SECONDS_MAX:.0e}: epoch "
                "milliseconds, microseconds or nanoseconds? Give epoch seconds or ISO 8601."
            )
        raise refuse(
            f"{source_file}: no usable row among {rows_total} ({counts}).{hint} Fix the rows: "
            f"{_EXPECTED_COLUMNS}"
        )

    if used < rows_total:
        epoch, tin, tout = epoch[good], tin[good], tout[good]
        optional = {name: values[good] for name, values in optional.items()}
    if requests is not None:
        rows = np.arange(1, rows_total + 1) if used == rows_total else np.flatnonzero(good) + 1
        requests.update(
            timestamp_s=epoch, input_tokens=tin, output_tokens=tout, row=rows, **optional
        )
    t = epoch
    if not bool((t[1:] >= t[:-1]).all()):  # logs are usually in time order already
        t = np.sort(t)
    first, last = float(t[0]), float(t[-1])
    days = max(1.0, (last - first) / 86400.0)
    window = float(peak_window_s)
    by_hour = _requests_by_hour(t)
    active = int((by_hour >= active_hour_share * by_hour.max()).sum())
    samples = {"input_tokens": tin, "output_tokens": tout}
    for name in OPTIONAL_FIELDS:
        if name in optional:
            values = optional[name]
            empty = np.isnan(values)
            samples[name] = values[~empty] if empty.any() else values
    # the sort-like steps release the GIL: two threads use both cores of a small machine
    with ThreadPoolExecutor(max_workers=2) as pool:
        peak_job = pool.submit(_peak_count, t, window)
        pct = dict(zip(samples, pool.map(_percentiles, samples.values()), strict=True))
        peak_count = peak_job.result()
    in50, in95 = (float(v or 0.0) for v in pct["input_tokens"])  # never empty: used > 0
    out50, out95 = (float(v or 0.0) for v in pct["output_tokens"])
    requests_per_day = used / days
    active_mean_rps = requests_per_day / (active * 3600.0)
    quantile_rps = window_rate_quantile_rps(t, window, peak_quantile)
    peak_rps = max(quantile_rps, active_mean_rps)
    lat: dict[str, tuple[int, float | None, float | None]] = {}
    for name in OPTIONAL_FIELDS:
        count = len(samples.get(name, ()))
        lat[name] = (count, *pct[name]) if count else (0, None, None)
    return UsageMeasured(
        source_file=source_file,
        format=fmt,
        columns=dict(columns),
        rows_total=rows_total,
        rows_used=used,
        bad_rows=bad_rows,
        bad_row_examples=examples,
        first_timestamp=_iso_utc(first),
        last_timestamp=_iso_utc(last),
        days_covered=days,
        requests_per_day=requests_per_day,
        peak_window_s=int(peak_window_s) if float(peak_window_s).is_integer() else peak_window_s,
        peak_requests_per_second=peak_rps,
        input_tokens_mean=float(tin.mean()),
        input_tokens_p50=in50,
        input_tokens_p95=in95,
        output_tokens_mean=float(tout.mean()),
        output_tokens_p50=out50,
        output_tokens_p95=out95,
        latency_s_count=lat["latency_s"][0],
        latency_s_p50=lat["latency_s"][1],
        latency_s_p95=lat["latency_s"][2],
        ttft_s_count=lat["ttft_s"][0],
        ttft_s_p50=lat["ttft_s"][1],
        ttft_s_p95=lat["ttft_s"][2],
        active_hour_share=float(active_hour_share),
        active_hours_per_day=active,
        requests_by_hour=tuple(int(c) for c in by_hour),
        peak_quantile=float(peak_quantile),
        max_requests_per_second=peak_count / window,
        peak_basis="quantile" if quantile_rps >= active_mean_rps else "active_hours_mean",
        input_tokens_cv2=_cv2(tin),
        output_tokens_cv2=_cv2(tout),
    )
