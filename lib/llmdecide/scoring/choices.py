"""The per-choice tables: around the recommendation, each option of one technical choice and its
effect on the criteria (:func:`per_choice`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from llmdecide.scoring.frames import _feasible_mask, _native, _strings, _values_or
from llmdecide.scoring.pillars import CHOICES, CONFIG_COLUMNS, ESTIMATE_COLUMNS
from llmdecide.scoring.robust import moved_with

# --------------------------------------------------------------------------------------------
# Per-choice tables
# --------------------------------------------------------------------------------------------


# 88 lines, 18 of them the docstring (the order of preference of a row); the loop shares the
# arrays computed once above it, so it is moved whole (issue 16: a move changes no result)
def per_choice(
    scored: pd.DataFrame,
    best: Mapping[str, Any] | None,
    choices: Sequence[str] = CHOICES,
) -> dict[str, list[dict[str, Any]]]:
    """For each choice, each of its options with the other choices held at ``best``.

    Options are listed in order of first appearance in ``scored`` ("" = n/a, e.g. no GPU for an
    API). For an option, the row shown is, in this order of preference:

    1. ``match="exact"``: equal to ``best`` on every other choice that applies to both (an n/a
       on either side matches anything) — feasible first, then best score;
    2. ``match="closest"``: else a feasible row with that option, most other choices equal to
       ``best``, then best score;
    3. else the row with that option with the most other choices equal, then least violation.
    Remaining ties: ``config_id``. Each entry: ``option``, ``config_id``, ``match``,
    ``is_recommended``, ``feasible``, ``rejected_because``, ``score``, ``rank``, the estimate
    columns present (``p95_latency_s``, ``ttft_s``, ``turnaround_h``, ``accuracy``,
    ``accuracy_source``, ``monthly_cost``, ``setup_cost``, ``monthly_kgco2e``,
    ``probability_meets_limits``), ``configuration`` (the configuration columns) and ``moved``
    (:func:`moved_with`: the other choices that differ from ``best`` in that row, said in the
    report).
    """
    if best is None or len(scored) == 0:
        return {}
    present = [c for c in choices if c in scored.columns]
    strs = {c: _strings(scored, c) for c in present}
    config_ids = _strings(scored, "config_id")
    best_id = str(best.get("config_id", ""))
    where = np.flatnonzero(config_ids == best_id)
    if where.size:
        best_values = {c: strs[c][where[0]] for c in present}
    else:
        best_values = {c: "" if best.get(c) is None else str(best.get(c)) for c in present}
    feasible = _feasible_mask(scored)
    scores = _values_or(scored, "score", np.nan)
    violation = _values_or(scored, "total_violation", 0.0)
    id_order = np.argsort(np.argsort(config_ids, kind="stable"), kind="stable")
    equal = {c: strs[c] == best_values[c] for c in present}
    # each column's array fetched once: indexing it gives the scalar ``.iloc`` gives, ~30x faster
    read = (*ESTIMATE_COLUMNS, *CONFIG_COLUMNS, "rank", "rejected_because")
    cells = {c: scored[c].array for c in dict.fromkeys(read) if c in scored.columns}
    centre_configuration = (
        {c: _native(cells[c][int(where[0])]) for c in CONFIG_COLUMNS if c in scored.columns}
        if where.size
        else {c: best.get(c) for c in CONFIG_COLUMNS}
    )
    wildcard = {c: (strs[c] == "") | (best_values[c] == "") for c in present}
    shown = [c for c in ESTIMATE_COLUMNS if c in scored.columns]

    out: dict[str, list[dict[str, Any]]] = {}
    for choice in present:
        others = [c for c in present if c != choice]
        exact = np.ones(len(scored), dtype=bool)
        matches = np.zeros(len(scored), dtype=int)
        for c in others:
            exact &= equal[c] | wildcard[c]
            matches += equal[c]
        entries = []
        for option in dict.fromkeys(strs[choice].tolist()):  # in order of first appearance
            idx = np.flatnonzero(strs[choice] == option)
            ex, fe = exact[idx], feasible[idx]
            key_score = np.where(np.isnan(scores[idx]), np.inf, -scores[idx])
            order = np.lexsort((id_order[idx], violation[idx], key_score, -matches[idx], ~fe, ~ex))
            i = int(idx[order[0]])
            match = "exact" if exact[i] else "closest"
            entry: dict[str, Any] = {
                "option": str(option),
                "config_id": str(config_ids[i]),
                "match": match,
                "is_recommended": str(config_ids[i]) == best_id,
                "feasible": bool(feasible[i]),
                "rejected_because": _native(cells["rejected_because"][i])
                if "rejected_because" in scored.columns
                else "",
                "score": _native(scores[i]),
                "rank": _native(cells["rank"][i]) if "rank" in scored.columns else None,
            }
            for c in shown:
                entry[c] = _native(cells[c][i])
            entry["configuration"] = {
                c: _native(cells[c][i]) for c in CONFIG_COLUMNS if c in scored.columns
            }
            entry["moved"] = moved_with(entry["configuration"], centre_configuration, choice)
            entries.append(entry)
        out[choice] = entries
    return out
