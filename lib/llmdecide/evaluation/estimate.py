"""The estimate of one configuration as a frozen record: the columns of ``configurations.csv``
the evaluation fills (docs/outputs.md), without the scoring's own columns (``feasible``,
``rejected_because``, ``score``, ``rank``, the Monte Carlo ranges). An API configuration leaves
the sizing columns (GPUs, replicas, servers, utilisation) NaN.

``configurations.estimate(ctx, candidate)`` evaluates one candidate and returns its estimate;
``Estimate.of(row)`` reads one row of the table (``configurations.evaluate`` or the CSV read
back); ``as_row()`` gives its columns back. Money is in the client's currency and figures in
the units their names say, as in the table. A figure the evaluation leaves n/a (the latencies
of a batch row, every figure of an excluded row) is NaN, a text left empty is "".

The table itself is computed column-wise (``evaluation/self_hosted.py``, see
docs/architecture.md): a record per row would cost the sizing of 50 000 configurations its
speed, so this record is the typed view of one row, for code and tests that read
configurations one at a time.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

import pandas as pd


@dataclass(frozen=True)
class Estimate:
    """One configuration: its choices, sizing and estimated figures."""

    # the configuration
    config_id: str
    label: str
    hosting: str
    region: str
    gpu: str
    gpus_per_replica: float
    model: str
    optimisation: str
    kv_cache: str
    reasoning_effort: str
    prompt_caching: str
    rag: str
    output_format: str
    deployment_mode: str
    excluded_because: str
    # the sizing
    replicas: float
    batch_per_replica: float
    gpus_total: float
    servers: float
    peak_utilisation: float
    utilisation: float
    # performance
    ttft_s: float
    p95_latency_s: float
    tpot_p95_ms: float
    turnaround_h: float
    decode_ms_per_token_batch1: float
    max_tokens_per_s_per_gpu: float
    tokens_per_s_per_replica: float
    # precision
    accuracy: float
    accuracy_source: str
    # cost (client currency)
    monthly_cost: float
    setup_cost: float
    cost_compute: float
    cost_api: float
    cost_staff: float
    cost_rag: float
    cost_energy: float
    cost_operations: float
    cost_capex: float
    gpu_hours_per_month: float
    cloud_commitment: str
    # energy and carbon
    energy_kwh_per_month: float
    wh_per_1k_output_tokens: float
    gpu_joules_per_output_token: float
    monthly_kgco2e: float
    operational_kgco2e: float
    embodied_kgco2e: float
    carbon_method: str

    @classmethod
    def of(cls, row: Mapping[str, Any]) -> Estimate:
        """The estimate in a row of the configurations table (missing or n/a cells: NaN, "")."""

        values: dict[str, Any] = {}
        for f in fields(cls):
            v: Any = row.get(f.name)
            absent = v is None or bool(pd.isna(v))
            if f.type == "str":  # the annotations are strings (postponed evaluation)
                values[f.name] = "" if absent else str(v)
            else:
                values[f.name] = math.nan if absent else float(v)
        return cls(**values)

    def as_row(self) -> dict[str, Any]:
        """The columns of the table, by name."""
        return asdict(self)


COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(Estimate))
"""The configurations.csv columns an ``Estimate`` holds, in its order."""
