"""Evaluating a vectorised estimator once per distinct input row.

The serving model works element-wise over rows (one per configuration): a row's figures depend on
its own inputs only. Many rows share every input (a batch and a real-time configuration with the
same engine cap, two regions of one fleet…), so the costly parts (the load curve, the operating
point) are computed on the distinct rows and spread back: each row gets the values its own
computation would give, bit for bit (the same operations on the same numbers).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

T = TypeVar("T")
Index = NDArray[np.intp]


def _row_columns(records: Sequence[Any], extra: Sequence[ArrayLike]) -> list[NDArray[Any]] | None:
    """The per-row columns of the records' fields and of ``extra`` (scalars left out); None
    unless they are all one-dimensional of one length."""
    values = [v for r in records for v in vars(r).values()] + list(extra)
    arrays = [np.asarray(v, dtype=float) for v in values if np.ndim(v)]
    if not arrays or {a.shape for a in arrays} != {arrays[0].shape} or arrays[0].ndim != 1:
        return None
    return arrays


MIN_ROWS = 1024  # below, the search for duplicates costs about what it would save
_MIX = np.uint64(0x9E3779B97F4A7C15)  # an odd 64-bit constant (2⁶⁴ / golden ratio)
_SHIFT = np.uint64(29)


def _hashed(bits: Sequence[NDArray[np.uint64]]) -> NDArray[np.uint64]:
    """A 64-bit hash of each row of the columns (multiply and xor-shift mixing)."""
    h = np.zeros(bits[0].shape, dtype=np.uint64)
    for b in bits:
        h ^= b
        h *= _MIX
        h ^= h >> _SHIFT
    return h


def _exact(bits: Sequence[NDArray[np.uint64]]) -> tuple[Index, Index]:
    """``np.unique`` of the rows as byte strings (exact; slower than a hash)."""
    matrix = np.ascontiguousarray(np.column_stack(bits))
    keys = matrix.view(np.dtype((np.void, matrix.dtype.itemsize * matrix.shape[1]))).ravel()
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    return first, inverse.reshape(-1)


def distinct_rows(
    records: Sequence[Any], extra: Sequence[ArrayLike] = ()
) -> tuple[Index, Index] | None:
    """(first, inverse): a row of each distinct combination of the per-row inputs (the fields of
    the dataclass ``records`` and the arrays ``extra``, compared as bits: NaN equals NaN) and
    each row's index into them. None when the inputs are not per-row vectors of one length, when
    they are fewer than ``MIN_ROWS`` or when no two rows are alike (nothing to save).

    Rows are grouped by a hash of their bits, then every row is checked equal to its group's
    first row; on a collision (two different rows with one hash) the rows are compared whole."""
    arrays = _row_columns(records, extra)
    if arrays is None or arrays[0].size < MIN_ROWS:
        return None
    bits = [np.ascontiguousarray(a).view(np.uint64) for a in arrays]
    _, first, inverse = np.unique(_hashed(bits), return_index=True, return_inverse=True)
    rep = first[inverse]
    if not all(np.array_equal(b[rep], b) for b in bits):
        first, inverse = _exact(bits)
    if first.size == inverse.size:
        return None
    return first.astype(np.intp), inverse.reshape(-1).astype(np.intp)


def take(record: T, idx: Index) -> T:
    """The dataclass ``record`` at rows ``idx`` (a scalar field applies to every row)."""
    fields = vars(record).items()
    picked = {k: (np.asarray(v, dtype=float)[idx] if np.ndim(v) else v) for k, v in fields}
    return type(record)(**picked)
