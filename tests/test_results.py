"""Deterministic artefacts: the same values always give the same bytes."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

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
