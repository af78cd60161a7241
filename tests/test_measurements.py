"""Usage logs: hand-computed summaries, formats, aliases, bad rows and every refusal."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from _method import LOG
from llmdecide.errors import MeasurementError
from llmdecide.measurements import (
    ACCEPTED_EXTENSIONS,
    UsageMeasured,
    read_usage_log,
)

REPO = Path(__file__).resolve().parents[1]
SHOWN = "params/clients/acme.yaml"
KEY = "measurements.usage_log"

# Six requests over exactly two days (09:00 Monday to 09:00 Wednesday, UTC).
# seconds after 2025-03-03T09:00:00Z: 0, 20, 50, 70, 5400 (10:30), 172800 (Wednesday 09:00)
ROWS = [
    ("2025-03-03T09:00:00Z", 100, 10, 1.0, 0.2),
    ("2025-03-03T09:00:20Z", 200, 20, 2.0, 0.4),
    ("2025-03-03T09:00:50Z", 300, 30, 3.0, 0.6),
    ("2025-03-03T09:01:10Z", 400, 40, 4.0, 0.8),
    ("2025-03-03T10:30:00Z", 500, 50, 5.0, 1.0),
    ("2025-03-05T09:00:00Z", 600, 60, 6.0, 1.2),
]
COLUMNS = ["timestamp", "input_tokens", "output_tokens", "latency_s", "ttft_s"]
OTEL = {
    "input_tokens": "gen_ai.usage.input_tokens",
    "output_tokens": "gen_ai.usage.output_tokens",
    "latency_s": "gen_ai.client.operation.duration",
    "ttft_s": "gen_ai.server.time_to_first_token",
}
EPOCH_0900 = 1740992400  # 2025-03-03T09:00:00Z


def read(path: Path, window: int = 60, **kwargs) -> UsageMeasured:
    return read_usage_log(path, SHOWN, KEY, window, **{**LOG, **kwargs})


def frame(rows=ROWS, columns=COLUMNS) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns)


def write_csv(path: Path, rows=ROWS, columns=COLUMNS) -> Path:
    frame(rows, columns).to_csv(path, index=False)
    return path


def write_lines(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def comparable(m: UsageMeasured) -> dict:
    out = m.as_dict()
    for key in ("source_file", "format", "columns"):
        out.pop(key)
    return out


def refusal(path: Path, **kwargs) -> str:
    with pytest.raises(MeasurementError) as caught:
        read(path, **kwargs)
    error = caught.value
    assert error.exit_code == 2
    assert error.problems, "one Problem per problem"
    for problem in error.problems:
        assert problem.file == SHOWN
        assert problem.key_path == KEY
        assert problem.expected
    return str(error)


# ------------------------------------------------------------------------- hand-computed figures


def test_hand_computed_summary(tmp_path):
    m = read(write_csv(tmp_path / "usage.csv"))
    assert (m.rows_total, m.rows_used, m.bad_rows) == (6, 6, {})
    assert m.first_timestamp == "2025-03-03T09:00:00Z"
    assert m.last_timestamp == "2025-03-05T09:00:00Z"
    # span 09:00 Monday → 09:00 Wednesday = 2 days; 6 requests / 2 days = 3 per day
    assert m.days_covered == 2.0
    assert m.requests_per_day == 3.0
    # 60 s windows starting at each request: [0,60) holds 0,20,50 → 3; [20,80) holds 20,50,70 → 3;
    # [50,110) → 2; the rest 1. Busiest window = 3 / 60 s = 0.05 requests/s
    assert m.peak_window_s == 60
    assert m.max_requests_per_second == pytest.approx(3 / 60)
    # the sizing peak: 2881 tumbling minutes (172800 s / 60 + 1), 4 of them non-empty (3, 1, 1,
    # 1): the p99 at rank 0.99 × 2880 = 2851.2 is an empty minute → 0; below the mean rate over
    # the 2 active hours, 3 per day / (2 × 3600 s) = 1/2400 requests/s, which is taken instead
    assert m.peak_quantile == 0.99
    assert m.peak_basis == "active_hours_mean"
    assert m.peak_requests_per_second == pytest.approx(1 / 2400)
    # inputs 100…600: mean 2100/6 = 350; p50 between 300 and 400 = 350;
    # p95 at rank 0.95 × (6 − 1) = 4.75 → 500 + 0.75 × (600 − 500) = 575
    assert m.input_tokens_mean == 350
    assert m.input_tokens_p50 == pytest.approx(350)
    assert m.input_tokens_p95 == pytest.approx(575)
    # outputs are inputs / 10: mean 35, p50 35, p95 57.5
    assert (m.output_tokens_mean, m.output_tokens_p50) == (35, pytest.approx(35))
    assert m.output_tokens_p95 == pytest.approx(57.5)
    # latency 1…6 s: p50 3.5, p95 5 + 0.75 × 1 = 5.75; ttft 0.2…1.2: p50 0.7, p95 1.15
    assert (m.latency_s_count, m.ttft_s_count) == (6, 6)
    assert m.latency_s_p50 == pytest.approx(3.5)
    assert m.latency_s_p95 == pytest.approx(5.75)
    assert m.ttft_s_p50 == pytest.approx(0.7)
    assert m.ttft_s_p95 == pytest.approx(1.15)
    # hour 09 holds 5 requests, hour 10 holds 1: 1 ≥ 10 % × 5 = 0.5 → 2 active hours
    assert m.requests_by_hour[9] == 5 and m.requests_by_hour[10] == 1
    assert sum(m.requests_by_hour) == 6
    assert m.active_hour_share == LOG["active_hour_share"] == 0.10
    assert m.active_hours_per_day == 2
    assert m.as_usage_override() == {
        "requests_per_day": 3.0,
        "peak_requests_per_second": pytest.approx(1 / 2400),
        "input_tokens": 350,
        "output_tokens": 35,
        "active_hours_per_day": 2.0,
    }


def test_peak_window_and_active_share_are_parameters(tmp_path):
    path = write_csv(tmp_path / "usage.csv")
    # 30 s: [0,30) → 0,20 = 2; [20,50) → 20 only (half-open); [50,80) → 50,70 = 2 → 2/30
    assert read(path, window=30).max_requests_per_second == pytest.approx(2 / 30)
    # 120 s: [0,120) → 0,20,50,70 = 4 → 4/120
    assert read(path, window=120).max_requests_per_second == pytest.approx(4 / 120)
    # quantile 1: the busiest tumbling minute, [0, 60) with 3 → 3/60
    assert read(path, peak_quantile=1.0).peak_requests_per_second == pytest.approx(3 / 60)
    # 25 % of hour 09's 5 requests = 1.25 > hour 10's 1 → one active hour
    assert read(path, active_hour_share=0.25).active_hours_per_day == 1


def test_peak_is_a_sliding_window_not_a_tumbling_one(tmp_path):
    # 09:00:40, :50, 09:01:10, :20 → clock minutes hold 2 and 2, but [40 s, 100 s) holds all 4
    rows = [(f"2025-03-03T09:0{s // 60}:{s % 60:02d}Z", 10, 1) for s in (40, 50, 70, 80)]
    path = write_csv(tmp_path / "usage.csv", rows, COLUMNS[:3])
    m = read(path, window=60)
    assert m.max_requests_per_second == pytest.approx(4 / 60)
    # tumbling minutes from the first request (09:00:40): [40, 100) holds all 4 too
    assert read(path, peak_quantile=1.0).peak_requests_per_second == pytest.approx(4 / 60)
    assert m.latency_s_p50 is None and m.latency_s_count == 0 and m.ttft_s_p95 is None


def minutes_trace(counts: list[int]) -> list[tuple[float, int, int]]:
    """Minute i (from 09:00 UTC) holds counts[i] requests evenly spaced in it; the tokens are
    a function of the request's rank only, so traces of the same volume share their tokens."""
    rows = []
    for i, c in enumerate(counts):
        for j in range(c):
            n = len(rows)
            rows.append((EPOCH_0900 + 60.0 * i + 60.0 * j / c, 200 + (n * 37) % 800, 50 + n % 300))
    return rows


def bursty_counts(b: int) -> list[int]:
    """100 minutes, 1200 requests: every 10th minute 12 + 9b, the 9 others 12 − b (b ≤ 11)."""
    return [12 + 9 * b if i % 10 == 0 else 12 - b for i in range(100)]


def test_the_sizing_peak_is_the_p99_of_the_one_minute_rates(tmp_path):
    # 98 minutes of 6 requests, minute 50 with 30 and minute 80 with 60: 100 windows, sorted
    # counts 6 (×98), 30, 60; the p99 at rank 0.99 × 99 = 98.01 → 30 + 0.01 × (60 − 30) = 30.3
    # requests in a minute → 30.3 / 60 = 0.505 requests/s
    counts = [6] * 100
    counts[50], counts[80] = 30, 60
    path = write_csv(tmp_path / "u.csv", minutes_trace(counts), COLUMNS[:3])
    m = read(path)
    assert m.peak_requests_per_second == pytest.approx(0.505)
    assert m.peak_basis == "quantile"
    # the busiest window is minute 80 (60 requests, one a second; minute 81's first is at its
    # start, outside the half-open window): 1 request/s, not what the sizing reads
    assert m.max_requests_per_second == pytest.approx(1.0)
    # the mean over the active hours (678 requests in 1 day over hours 09 and 10) is far below:
    # 678 / 7200 = 0.094 requests/s
    assert m.requests_per_day == 678 and m.active_hours_per_day == 2


@pytest.mark.parametrize("b", [0, 1, 4, 11])
def test_a_burstier_trace_of_the_same_volume_has_a_higher_peak(tmp_path, b):
    m = read(write_csv(tmp_path / "u.csv", minutes_trace(bursty_counts(b)), COLUMNS[:3]))
    # 10 burst minutes of 12 + 9b and 90 of 12 − b: ranks 98 and 99 (0.99 × 99 = 98.01) are
    # both burst minutes → (12 + 9b) / 60; volume 1200 a day whatever b
    assert m.peak_requests_per_second == pytest.approx((12 + 9 * b) / 60)
    assert m.requests_per_day == 1200
    assert (
        m.token_distribution()
        == read(
            write_csv(tmp_path / "steady.csv", minutes_trace(bursty_counts(0)), COLUMNS[:3])
        ).token_distribution()
    )


def test_the_token_distribution_gives_the_p95_and_the_spread(tmp_path):
    m = read(write_csv(tmp_path / "usage.csv"))
    # inputs 100…600: mean 350, variance (250² + 150² + 50²) × 2 / 6 = 29166.7 → cv² =
    # 29166.7 / 350² = 0.2381; outputs are inputs / 10: the same cv²
    assert m.token_distribution() == {
        "input_tokens_p95": pytest.approx(575),
        "output_tokens_p95": pytest.approx(57.5),
        "input_tokens_cv2": pytest.approx(29166.667 / 350**2),
        "output_tokens_cv2": pytest.approx(29166.667 / 350**2),
    }


@pytest.mark.parametrize("scale", [1.0, 1e-200, 1e200])
def test_the_spread_survives_token_counts_whose_square_underflows_or_overflows(tmp_path, scale):
    # outputs 0 and x: mean x/2, variance ((x/2)² + (x/2)²) / 2 = x²/4 → cv² = 1 for every x,
    # also where (x/2)² underflows to 0 (x = 1e-200) or overflows to inf (x = 1e200)
    rows = [(EPOCH_0900, 10, 0.0), (EPOCH_0900 + 60, 10, scale)]
    spread = read(write_csv(tmp_path / "u.csv", rows, COLUMNS[:3])).token_distribution()
    assert spread["output_tokens_cv2"] == pytest.approx(1.0)
    assert spread["input_tokens_cv2"] == 0.0  # 10 and 10: no spread


def test_a_log_whose_timestamps_lie_years_apart_counts_its_empty_minutes(tmp_path):
    # two requests 30 years apart: ~15.8 M minutes, 2 non-empty; counted, not built
    rows = [(EPOCH_0900, 10, 1), (EPOCH_0900 + 30 * 365 * 86400.0, 10, 1)]
    m = read(write_csv(tmp_path / "u.csv", rows, COLUMNS[:3]))
    assert m.peak_basis == "active_hours_mean"
    # both at 09:00 of their day: one active hour, 2 requests over 10950 days
    assert m.active_hours_per_day == 1
    assert m.peak_requests_per_second == pytest.approx(2 / m.days_covered / 3600)


def test_a_log_shorter_than_a_day_counts_as_one_day(tmp_path):
    rows = [(f"2025-03-03T09:{m:02d}:00Z", 10, 1) for m in (0, 10, 59)]  # 59 minutes
    m = read(write_csv(tmp_path / "usage.csv", rows, COLUMNS[:3]))
    # span 59 min < 1 day → days_covered 1 → 3 requests / 1 day (not 3 × 24 / 0.98 h)
    assert m.days_covered == 1.0
    assert m.requests_per_day == 3.0
    assert m.active_hours_per_day == 1


def test_token_means_round_half_up(tmp_path):
    rows = [("2025-03-03T09:00:00Z", 1, 2), ("2025-03-03T09:00:01Z", 2, 3)]
    m = read(write_csv(tmp_path / "usage.csv", rows, COLUMNS[:3]))
    # means 1.5 and 2.5 → 2 and 3 (half up, not to even)
    assert (m.as_usage_override()["input_tokens"], m.as_usage_override()["output_tokens"]) == (2, 3)


# ----------------------------------------------------------------------------- formats, aliases


def test_csv_jsonl_parquet_and_gzip_give_identical_summaries(tmp_path):
    data = frame()
    csv = write_csv(tmp_path / "usage.csv")
    jsonl = tmp_path / "usage.jsonl"
    data.to_json(jsonl, orient="records", lines=True)
    ndjson = tmp_path / "usage.ndjson"
    ndjson.write_bytes(jsonl.read_bytes())
    parquet = tmp_path / "usage.parquet"
    data.to_parquet(parquet, index=False)
    gz = tmp_path / "usage.csv.gz"
    gz.write_bytes(gzip.compress(csv.read_bytes()))
    reads = {p.name: read(p) for p in (csv, jsonl, ndjson, parquet, gz)}
    assert {m.format for m in reads.values()} == {"csv", "jsonl", "parquet"}
    assert reads["usage.parquet"].source_file == "usage.parquet"
    first = comparable(reads["usage.csv"])
    for name, m in reads.items():
        assert comparable(m) == first, name


def test_parquet_timestamp_column_naive_and_aware(tmp_path):
    data = frame()
    data["timestamp"] = pd.to_datetime(data["timestamp"], utc=True)
    aware = tmp_path / "aware.parquet"
    data.to_parquet(aware, index=False)
    data["timestamp"] = data["timestamp"].dt.tz_localize(None)  # naive = UTC
    naive = tmp_path / "naive.parquet"
    data.to_parquet(naive, index=False)
    expected = comparable(read(write_csv(tmp_path / "usage.csv")))
    assert comparable(read(aware)) == expected
    assert comparable(read(naive)) == expected


def test_opentelemetry_aliases(tmp_path):
    otel_columns = [OTEL.get(c, c) for c in COLUMNS]
    csv = write_csv(tmp_path / "otel.csv", ROWS, otel_columns)
    jsonl = tmp_path / "otel.jsonl"
    frame(ROWS, otel_columns).to_json(jsonl, orient="records", lines=True)
    parquet = tmp_path / "otel.parquet"
    frame(ROWS, otel_columns).to_parquet(parquet, index=False)
    expected = comparable(read(write_csv(tmp_path / "usage.csv")))
    for path in (csv, jsonl, parquet):
        m = read(path)
        assert comparable(m) == expected
        assert m.columns == {"timestamp": "timestamp", **OTEL}


def test_time_and_start_time_are_timestamp_aliases(tmp_path):
    expected = comparable(read(write_csv(tmp_path / "usage.csv")))
    for name in ("time", "start_time"):
        m = read(write_csv(tmp_path / f"{name}.csv", ROWS, [name, *COLUMNS[1:]]))
        assert comparable(m) == expected
        assert m.columns["timestamp"] == name


def test_two_names_for_one_field_are_refused(tmp_path):
    rows = [(r[0], r[0], *r[1:]) for r in ROWS]
    message = refusal(write_csv(tmp_path / "usage.csv", rows, ["timestamp", "time", *COLUMNS[1:]]))
    assert "timestamp and time both give timestamp" in message
    rows = [(*r, r[1]) for r in ROWS]
    columns = [*COLUMNS, "gen_ai.usage.input_tokens"]
    message = refusal(write_csv(tmp_path / "both.csv", rows, columns))
    assert "input_tokens and gen_ai.usage.input_tokens" in message


def test_epoch_seconds_naive_and_offset_iso_timestamps(tmp_path):
    expected = comparable(read(write_csv(tmp_path / "usage.csv")))
    offsets = [0, 20, 50, 70, 5400, 172800]
    epoch = [(EPOCH_0900 + s, *r[1:]) for s, r in zip(offsets, ROWS, strict=True)]
    assert comparable(read(write_csv(tmp_path / "epoch.csv", epoch))) == expected
    # fractional epoch seconds, in JSON numbers
    jsonl = tmp_path / "epoch.jsonl"
    jsonl.write_text(
        "\n".join(
            json.dumps(dict(zip(COLUMNS, (float(r[0]), *r[1:]), strict=True))) for r in epoch
        ),
        encoding="utf-8",
    )
    assert comparable(read(jsonl)) == expected
    naive = [(r[0].rstrip("Z"), *r[1:]) for r in ROWS]  # no zone: UTC
    assert comparable(read(write_csv(tmp_path / "naive.csv", naive))) == expected
    # 10:00:00+01:00 is 09:00:00Z; a space instead of T is ISO 8601 too
    shifted = [(pd.Timestamp(r[0]).tz_convert("+01:00").isoformat(sep=" "), *r[1:]) for r in ROWS]
    assert shifted[0][0] == "2025-03-03 10:00:00+01:00"
    assert comparable(read(write_csv(tmp_path / "offset.csv", shifted))) == expected
    # one column mixing all of them
    mixed = [epoch[0], naive[1], shifted[2], *ROWS[3:]]
    assert comparable(read(write_csv(tmp_path / "mixed.csv", mixed))) == expected


def test_epoch_milliseconds_are_refused_with_a_hint(tmp_path):
    rows = [((EPOCH_0900 + i) * 1000, 10, 1) for i in range(3)]
    message = refusal(write_csv(tmp_path / "usage.csv", rows, COLUMNS[:3]))
    assert "no usable row among 3" in message
    assert "unparsable timestamp: 3" in message
    assert "epoch milliseconds" in message


# ------------------------------------------------------------------------------------ bad rows


def test_bad_rows_are_counted_by_reason(tmp_path):
    text = (
        "timestamp,input_tokens,output_tokens,latency_s,ttft_s\n"
        "2025-03-03T09:00:00Z,100,10,1.0,0.2\n"  # 1 good
        "2025-03-03T09:00:20Z,,10,1.0,0.2\n"  # 2 missing input_tokens
        ",100,10,1.0,0.2\n"  # 3 missing timestamp
        "03/03/2025 25:61,100,10,1.0,0.2\n"  # 4 unparsable timestamp
        "2025-03-03T09:00:30Z,1.2k,10,1.0,0.2\n"  # 5 non-numeric tokens
        "2025-03-03T09:00:40Z,100,-5,1.0,0.2\n"  # 6 negative tokens
        "2025-03-03T09:00:50Z,100,10,-1.0,0.2\n"  # 7 negative latency
        "2025-03-03T09:01:00Z,100,10,1.0,-0.1\n"  # 8 negative ttft (a latency too)
        "2025-03-03T09:01:10Z,100,10,slow,0.2\n"  # 9 non-numeric latency
        "2025-03-03T09:01:20Z,-1,x,1.0,0.2\n"  # 10 non-numeric AND negative: first reason wins
        "2025-03-03T10:00:00Z,300,30,,\n"  # 11 good: an empty latency is not bad
    )
    m = read(write_lines(tmp_path / "usage.csv", text))
    assert (m.rows_total, m.rows_used) == (11, 2)
    assert m.bad_rows == {
        "missing_field": 2,
        "unparsable_timestamp": 1,
        "non_numeric_tokens": 2,
        "negative_tokens": 1,
        "non_numeric_latency": 1,
        "negative_latency": 2,
    }
    assert list(m.bad_rows) == [  # in BAD_ROW_REASONS order
        "missing_field",
        "unparsable_timestamp",
        "non_numeric_tokens",
        "negative_tokens",
        "non_numeric_latency",
        "negative_latency",
    ]
    assert m.bad_rows_total == 9 == m.rows_total - m.rows_used
    assert m.bad_row_examples["missing_field"] == [2, 3]
    assert m.bad_row_examples["non_numeric_tokens"] == [5, 10]
    # only rows 1 and 11 count: inputs 100 and 300 → mean 200; latency only from row 1
    assert m.input_tokens_mean == 200
    assert (m.latency_s_count, m.latency_s_p50) == (1, 1.0)
    assert m.as_dict()["bad_rows"] == m.bad_rows


def test_malformed_lines_are_counted(tmp_path):
    csv = write_lines(
        tmp_path / "usage.csv",
        "timestamp,input_tokens,output_tokens\n"
        "2025-03-03T09:00:00Z,100,10\n"
        "2025-03-03T09:00:01Z,100,10,oops\n"  # a field too many
        "2025-03-03T09:00:02Z,300,30\n",
    )
    m = read(csv)
    assert (m.rows_total, m.rows_used, m.bad_rows) == (3, 2, {"malformed_line": 1})
    assert m.bad_row_examples == {"malformed_line": [2]}
    assert m.input_tokens_mean == 200
    jsonl = write_lines(
        tmp_path / "usage.jsonl",
        '{"timestamp": "2025-03-03T09:00:00Z", "input_tokens": 100, "output_tokens": 10}\n'
        "{not json\n"
        "\n"  # blank lines are not rows
        "[1, 2]\n"
        '{"timestamp": "2025-03-03T09:00:02Z", "input_tokens": 300, "output_tokens": 30}\n',
    )
    m = read(jsonl)
    assert (m.rows_total, m.rows_used, m.bad_rows) == (4, 2, {"malformed_line": 2})
    assert m.input_tokens_mean == 200


def test_jsonl_missing_keys_and_nulls_are_missing_fields(tmp_path):
    jsonl = write_lines(
        tmp_path / "usage.jsonl",
        '{"timestamp": "2025-03-03T09:00:00Z", "input_tokens": 100, "output_tokens": 10}\n'
        '{"timestamp": "2025-03-03T09:00:01Z", "output_tokens": 10}\n'
        '{"timestamp": null, "input_tokens": 100, "output_tokens": 10}\n'
        '{"timestamp": "", "input_tokens": 100, "output_tokens": 10}\n'
        '{"timestamp": "2025-03-03T09:00:02Z", "input_tokens": "12x", "output_tokens": 10}\n',
    )
    m = read(jsonl)
    assert m.bad_rows == {"missing_field": 3, "non_numeric_tokens": 1}
    assert m.rows_used == 1


# ------------------------------------------------------------------------------------ refusals


def test_missing_file_and_folder(tmp_path):
    assert "file not found" in refusal(tmp_path / "nope.csv")
    assert "is a folder" in refusal(tmp_path)


def test_unknown_extension_lists_the_accepted_ones(tmp_path):
    message = refusal(write_lines(tmp_path / "usage.xlsx", "whatever"))
    assert "unknown file type .xlsx" in message
    for ending in ACCEPTED_EXTENSIONS:
        assert ending in message


def test_not_utf8_says_so_and_suggests_reencoding(tmp_path):
    path = tmp_path / "usage.csv"
    path.write_bytes(b"timestamp,input_tokens,output_tokens,note\nx,1,2,caf\xe9\n")
    message = refusal(path)
    assert "not UTF-8" in message and "re-encode" in message
    jsonl = tmp_path / "usage.jsonl"
    jsonl.write_bytes(b'{"timestamp": "caf\xe9"}\n')
    assert "not UTF-8" in refusal(jsonl)


def test_empty_files(tmp_path):
    for name in ("usage.csv", "usage.jsonl", "usage.parquet"):
        assert "is empty" in refusal(write_lines(tmp_path / name, ""))
    assert "is empty" in refusal(write_lines(tmp_path / "blank.csv", "\n\n"))
    header_only = write_lines(tmp_path / "header.csv", "timestamp,input_tokens,output_tokens\n")
    assert "has a header but no rows" in refusal(header_only)
    assert "no JSON line" in refusal(write_lines(tmp_path / "blank.jsonl", "\n\n"))


def test_missing_columns_list_found_expected_and_suggest(tmp_path):
    path = write_lines(tmp_path / "usage.csv", "Timestamp,input_token,completion_tokens\nx,1,2\n")
    with pytest.raises(MeasurementError) as caught:
        read(path)
    problems = caught.value.problems
    assert len(problems) == 3  # one per missing field
    assert all(p.key_path == KEY and p.file == SHOWN for p in problems)
    first, second, third = (p.expected for p in problems)
    assert "no column for timestamp" in first and "Did you mean Timestamp?" in first
    assert "found columns: Timestamp, input_token, completion_tokens" in first
    assert "gen_ai.usage.input_tokens" in second and "Did you mean input_token?" in second
    assert "no column for output_tokens" in third
    assert "gen_ai.client.operation.duration" in third  # the expected columns, aliases included


def test_no_usable_row_gives_the_counts(tmp_path):
    path = write_lines(
        tmp_path / "usage.csv",
        "timestamp,input_tokens,output_tokens\nyesterday,1,2\n2025-03-03T09:00:00Z,-1,2\n",
    )
    message = refusal(path)
    assert "no usable row among 2" in message
    assert "unparsable timestamp: 1" in message and "negative tokens: 1" in message


def test_a_parquet_file_that_is_not_parquet(tmp_path):
    path = write_lines(tmp_path / "usage.parquet", "timestamp,input_tokens,output_tokens\n")
    message = refusal(path)
    assert "is not a readable Parquet file" in message


def test_a_damaged_gzip(tmp_path):
    path = tmp_path / "usage.csv.gz"
    path.write_bytes(b"\x1f\x8b\x08\x00garbage")
    refusal(path)


def test_bad_settings_are_refused(tmp_path):
    path = write_csv(tmp_path / "usage.csv")
    assert "peak_window_s" in refusal(path, window=0)
    assert "active_hour_share" in refusal(path, active_hour_share=0)


# ------------------------------------------------------------------------------- as_dict, example


def test_as_dict_is_json_friendly_and_deterministic(tmp_path):
    path = write_csv(tmp_path / "usage.csv")
    first = json.dumps(read(path).as_dict(), sort_keys=True)
    assert first == json.dumps(read(path).as_dict(), sort_keys=True)
    data = json.loads(first)
    assert data["usage_override"]["input_tokens"] == 350
    assert data["bad_rows"] == {} and data["bad_rows_total"] == 0
    assert len(data["requests_by_hour"]) == 24


def test_the_synthetic_example_log_reads_and_differs_from_the_hypotheses():
    path = REPO / "measurements" / "example-lawfirm" / "usage.csv"
    assert path.stat().st_size < 2_000_000
    readme = (path.parent / "README.md").read_text(encoding="utf-8")
    assert "SYNTHETIC" in readme and "seed" in readme
    params = yaml.safe_load((REPO / "params/clients/example-lawfirm.yaml").read_text("utf-8"))
    hypotheses = params["usage"]
    m = read(path)
    assert m.columns["input_tokens"] == "gen_ai.usage.input_tokens"
    assert m.columns["latency_s"] == "gen_ai.client.operation.duration"
    assert m.bad_rows == {
        "missing_field": 1,
        "unparsable_timestamp": 1,
        "non_numeric_tokens": 1,
        "negative_tokens": 1,
    }
    assert 13.9 < m.days_covered <= 14
    measured = m.as_usage_override()
    # what a usage log measures; the horizon, the phases and a cached prefix are not in a log
    assert set(measured) == set(hypotheses) - {"horizon_months", "phases", "cached_prefix_tokens"}
    # about 25 % more requests and longer inputs than assumed
    assert 1.15 < measured["requests_per_day"] / hypotheses["requests_per_day"] < 1.35
    assert measured["input_tokens"] > 1.15 * hypotheses["input_tokens"]
    assert measured["active_hours_per_day"] != hypotheses["active_hours_per_day"]
    # the measured peak stays above the mean rate over the active hours (Usage's own check)
    mean_rate = measured["requests_per_day"] / (measured["active_hours_per_day"] * 3600)
    assert measured["peak_requests_per_second"] > mean_rate
    assert m.latency_s_p95 is not None and m.ttft_s_p50 is not None


def test_dates_after_2262_and_before_1970(tmp_path: Path) -> None:
    """Found by tests/test_properties.py: a date after 2262 overflowed pandas' nanoseconds and
    "-1" (read by ISO 8601 as the year -1) reached datetime: both tracebacks. Dates in 1970 to
    year 5138 (the epoch-seconds range) are read; others are unparsable rows."""
    path = write_lines(
        tmp_path / "u.csv",
        "timestamp,input_tokens,output_tokens\n"
        "2025-03-03T09:00:00Z,600,200\n"
        "2263-01-01T10:00:00Z,600,200\n"
        "-1,600,200\n"
        ",600,200\n",  # a blank: the row-by-row parse, not Arrow's, reads the column
    )
    m = read(path)
    assert (m.rows_used, m.bad_rows) == (2, {"missing_field": 1, "unparsable_timestamp": 1})
    assert m.last_timestamp == "2263-01-01T10:00:00Z"


def test_a_log_spanning_millennia_is_read_at_once(tmp_path: Path) -> None:
    """Found by tests/test_properties.py (a hang): requests per hour of the day were counted over
    every clock hour between the first and the last request: 27 million hours for timestamps
    3 000 years apart. Such a log is folded request by request: 09:00 and 10:00 UTC here."""
    import time

    path = write_lines(
        tmp_path / "u.csv",
        "timestamp,input_tokens,output_tokens\n"
        f"{EPOCH_0900},600,200\n"
        f"{EPOCH_0900 + 3600},600,200\n"
        # 27 000 000 hours later (1 125 000 days: 09:00 UTC again), still < 1e11 s
        f"{EPOCH_0900 + 27_000_000 * 3600},600,200\n",
    )
    started = time.perf_counter()
    m = read(path)
    assert time.perf_counter() - started < 5
    assert (m.requests_by_hour[9], m.requests_by_hour[10], sum(m.requests_by_hour)) == (2, 1, 3)
