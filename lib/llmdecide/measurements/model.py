"""The fields of a usage log (accepted column names, file endings, bad-row reasons) and
``UsageMeasured``, the summary that replaces the ``usage`` hypotheses."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

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
