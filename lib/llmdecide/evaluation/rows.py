"""The self-hosted candidates as columns: ``Rows`` reads each field of every candidate once and
keeps it, with its distinct values (the chain of ``self_hosted.py`` reads each many times)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields, is_dataclass
from operator import attrgetter
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from llmdecide.space import Candidate

Array = NDArray[np.float64]


def distinct_codes(values: Sequence[Any]) -> tuple[list[Any], NDArray[np.intp]]:
    """The distinct ``values`` in order of first appearance, and each value's index into them."""
    first = {v: i for i, v in enumerate(dict.fromkeys(values))}
    index = np.fromiter(map(first.__getitem__, values), dtype=np.intp, count=len(values))
    return list(first), index


@dataclass(frozen=True)
class Rows:
    """The self-hosted candidates as columns (one element per candidate). Columns and their
    distinct values are computed once and kept (the chain reads each many times)."""

    cands: Sequence[Candidate]
    _source: tuple[Rows, list[int]] | None = field(default=None, repr=False, compare=False)
    """(rows, indices) these rows were taken from: their columns are sliced from those."""
    _memo: dict[Any, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    @staticmethod
    def of(cands: Sequence[Candidate] | Rows) -> Rows:
        return cands if isinstance(cands, Rows) else Rows(cands)

    def col(self, name: str) -> list[str]:
        key = ("col", name)
        if key not in self._memo:
            names = [f.name for f in fields(self.cands[0])] if self._whole_candidates() else []
            if name in names and len(names) > 1:
                # every field in one pass over the candidates (a pass per field costs more)
                per_field = zip(*map(attrgetter(*names), self.cands), strict=True)
                for n, v in zip(names, per_field, strict=True):
                    self._memo[("col", n)] = list(v)
            elif self._source is None:
                self._memo[key] = list(map(attrgetter(name), self.cands))
            else:
                whole, idx = self._source
                values = whole.col(name)
                self._memo[key] = [values[i] for i in idx]
        out: list[str] = self._memo[key]
        return out

    def _whole_candidates(self) -> bool:
        return self._source is None and bool(self.cands) and is_dataclass(self.cands[0])

    def take(self, idx: Sequence[int]) -> Rows:
        """The rows ``idx``, in that order (kept: taking the same rows again returns them)."""
        key = ("take", tuple(idx))
        if key not in self._memo:
            picked = list(idx)
            self._memo[key] = Rows([self.cands[i] for i in picked], (self, picked))
        out: Rows = self._memo[key]
        return out

    def codes(self, *names: str) -> tuple[list[Any], NDArray[np.intp]]:
        """The distinct values of the columns ``names`` (a tuple per row when several), in order
        of first appearance, and each row's index into them."""
        key = ("codes", names)
        if key not in self._memo:
            if len(names) == 1:
                self._memo[key] = distinct_codes(self.col(names[0]))
            else:
                self._memo[key] = self._joint_codes(names)
        out: tuple[list[Any], NDArray[np.intp]] = self._memo[key]
        return out

    def _joint_codes(self, names: tuple[str, ...]) -> tuple[list[Any], NDArray[np.intp]]:
        """``codes`` of several columns from the codes of each (numpy, not one tuple per row)."""
        parts = [self.codes(name) for name in names]
        if math.prod(max(len(d), 1) for d, _ in parts) >= 2**62:
            return distinct_codes(list(zip(*map(self.col, names), strict=True)))
        joint = np.zeros(len(self.cands), dtype=np.int64)
        for distinct, index in parts:
            joint = joint * len(distinct) + index
        _, first, inverse = np.unique(joint, return_index=True, return_inverse=True)
        order = np.argsort(first, kind="stable")  # the groups in order of first appearance
        rank = np.empty_like(order)
        rank[order] = np.arange(order.size)
        columns = [self.col(name) for name in names]
        distinct_rows = [tuple(c[i] for c in columns) for i in first[order].tolist()]
        return distinct_rows, rank[inverse].astype(np.intp)

    def each(self, names: str | tuple[str, ...], get: Callable[[Any], Any]) -> list[Any]:
        """``get(value)`` of every row, called once per distinct value of the columns."""
        distinct, index = self.codes(*((names,) if isinstance(names, str) else names))
        found = [get(v) for v in distinct]
        return [found[i] for i in index.tolist()]

    def floats(self, names: str | tuple[str, ...], get: Callable[[Any], float]) -> Array:
        """``get(value)`` of every row as floats, called once per distinct value."""
        distinct, index = self.codes(*((names,) if isinstance(names, str) else names))
        return np.array([get(v) for v in distinct], dtype=float)[index]

    @property
    def tp(self) -> Array:
        key = ("tp",)
        if key not in self._memo:
            self._memo[key] = np.array(self.col("gpus_per_replica"), dtype=float)
        out: Array = self._memo[key]
        return out

    def mask(self, name: str, value: str) -> NDArray[np.bool_]:
        distinct, index = self.codes(name)
        return np.array([v == value for v in distinct], dtype=bool)[index]
