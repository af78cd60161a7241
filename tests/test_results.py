"""Deterministic artefacts: the same values always give the same bytes."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from llmdecide import results


def test_json_is_sorted_rounded_and_nan_free(tmp_path: Path) -> None:
    path = results.write_json(
        tmp_path / "r.json", {"b": 0.1 + 0.2, "a": [np.float64(1.5), math.nan], "c": np.int64(3)}
    )
    # 0.1 + 0.2 = 0.30000000000000004; 10 significant digits give 0.3
    assert path.read_text() == '{\n  "a": [\n    1.5,\n    null\n  ],\n  "b": 0.3,\n  "c": 3\n}\n'


def test_csv_is_byte_identical_across_writes(tmp_path: Path) -> None:
    frame = pd.DataFrame({"x": [1 / 3, np.nan], "y": ["a", None]})
    first = results.write_csv(frame, tmp_path / "a.csv").read_bytes()
    second = results.write_csv(frame.copy(), tmp_path / "b.csv").read_bytes()
    assert first == second == b"x,y\n0.3333333333,a\n,\n"


def _pandas_csv(frame: pd.DataFrame) -> bytes:
    """What ``write_csv`` promises to write: pandas' own ``to_csv`` with its settings."""
    text = frame.to_csv(
        index=False, float_format=results.FLOAT_FORMAT, na_rep="", lineterminator="\n"
    )
    return text.encode("utf-8")


def test_csv_fast_path_writes_pandas_bytes_on_edge_values(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            # -0.0 and 0.0 are equal but written "-0" and "0"; inf is written, NaN is empty
            "f": [0.0, -0.0, math.inf, -math.inf, math.nan, 1e-300, 123456789012.5, 0.1 + 0.2],
            "i": np.arange(8, dtype=np.int64) - 3,
            "b": [True, False] * 4,
            "n": pd.array([1, None, -2, 3, None, 0, 7, 8], dtype="Int64"),
            "s": pd.array(["a,b", 'say "hi"', "two\nlines", None, "", "é", " x", "y"], dtype="str"),
            # objects: strings (a lone carriage return too), a float (written by repr), a bool
            "o": pd.Series(["r", None, math.nan, "a\rb", "", 0.1 + 0.2, True, 7], dtype=object),
        }
    )
    written = results.write_csv(frame, tmp_path / "c.csv").read_bytes()
    assert written == _pandas_csv(frame)
    assert written.splitlines()[1] == b'0,-3,True,1,"a,b",r'
    assert written.splitlines()[2] == b'-0,-2,False,,"say ""hi""",'
    assert "\n1e-300,2,False,0,é,0.30000000000000004\n".encode() in written
    assert b'\ninf,-1,True,-2,"two\nlines",\n' in written  # (a lone \r: as this Python's csv does)


def test_csv_falls_back_to_pandas_for_other_types(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {"t": pd.to_datetime(["2026-12-02", None]), "c": pd.Categorical(["a", None]), "x": [1.5, 2]}
    )
    assert results.write_csv(frame, tmp_path / "d.csv").read_bytes() == _pandas_csv(frame)
    empty = frame.iloc[:0, 2:]
    assert results.write_csv(empty, tmp_path / "e.csv").read_bytes() == _pandas_csv(empty) == b"x\n"


@pytest.mark.parametrize(
    "frame",
    [
        # categories of dates and durations: pandas writes them as their own array would
        pd.DataFrame(
            {"a": pd.Categorical(pd.to_datetime(["2024-01-01", "2024-01-02"])), "b": [1, 2]}
        ),
        pd.DataFrame({"a": pd.Categorical(pd.to_timedelta(["1D", "2D"])), "b": [1, 2]}),
        # headers that are not plain strings: numbers, n/a, two levels
        pd.DataFrame([[1.0, 2.0]], columns=[0, 1.5]),
        pd.DataFrame([[1.0, 2.0]], columns=[None, "x"]),
        pd.DataFrame([[1.0, 2.0]], columns=pd.MultiIndex.from_tuples([("a", "b"), ("a", "c")])),
    ],
    ids=["categorical-dates", "categorical-durations", "number-header", "na-header", "two-levels"],
)
def test_csv_writes_pandas_bytes_for_the_frames_review_found(
    tmp_path: Path, frame: pd.DataFrame
) -> None:
    assert results.write_csv(frame, tmp_path / "f.csv").read_bytes() == _pandas_csv(frame)
