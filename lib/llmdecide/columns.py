"""The columns of configurations.csv (docs/outputs.md): the choices, the criteria, the cost parts.

A module of names only (no numpy, no pandas): the runner, the stages and the report import it
without paying for the evaluation's imports.
"""

from __future__ import annotations

from typing import Literal, get_args

Hosting = Literal["api", "cloud", "on_premise"]
HOSTINGS: tuple[Hosting, ...] = get_args(Hosting)
"""The hosting types: an API (priced per token), and the self-hosted ones, each a module of
``evaluation/hosting`` registered in its ``SELF_HOSTED`` (docs/extending.md)."""
SELF_HOSTED = HOSTINGS[1:]
"""Hosting types that run a fleet the sizing engine sizes."""

CHOICES = (
    "hosting",
    "region",
    "gpu",
    "gpus_per_replica",
    "replicas",
    "model",
    "optimisation",
    "kv_cache",
    "reasoning_effort",
    "prompt_caching",
    "rag",
    "output_format",
    "deployment_mode",
)
CHOICE_TABLES = tuple(c for c in CHOICES if c != "replicas")
"""The choices with options of their own (per-choice tables; docs/method.md §1 with infrastructure split
into region, GPU and GPUs per replica, optimisation into weights and KV cache); ``CHOICES`` adds
the replicas the sizing search decides."""
SPEC_COLUMNS = (
    *CHOICES,
    "ttft_s",
    "p95_latency_s",
    "decode_ms_per_token_batch1",
    "max_tokens_per_s_per_gpu",
    "tokens_per_s_per_replica",
    "accuracy",
    "accuracy_source",
    "monthly_cost",
    "setup_cost",
    "energy_kwh_per_month",
    "wh_per_1k_output_tokens",
    "monthly_kgco2e",
    "feasible",
    "rejected_because",
    "score",
    "rank",
)
CRITERIA_COLUMNS = (
    "p95_latency_s",
    "ttft_s",
    "tpot_p95_ms",
    "turnaround_h",
    "accuracy",
    "accuracy_source",
    "monthly_cost",
    "setup_cost",
    "monthly_kgco2e",
)
"""What a configuration is judged on (the limits' columns, its precision's source, set-up cost)."""
COST_COLUMNS = (
    "cost_compute",
    "cost_api",
    "cost_staff",
    "cost_rag",
    "cost_energy",
    "cost_operations",
    "cost_capex",
)
"""The parts of ``monthly_cost`` (the report's cost breakdown)."""
EXTRA_COLUMNS = (
    "config_id",
    "label",
    "tpot_p95_ms",
    "turnaround_h",
    "batch_per_replica",
    "peak_utilisation",
    "gpus_total",
    "servers",
    "cloud_commitment",
    "gpu_joules_per_output_token",
    "gpu_hours_per_month",
    "utilisation",
    *COST_COLUMNS,
    "operational_kgco2e",
    "embodied_kgco2e",
    "carbon_method",
    "excluded_because",
)
JUDGED_FIGURES = (
    "p95_latency_s",
    "ttft_s",
    "turnaround_h",
    "accuracy",
    "monthly_cost",
    "setup_cost",
    "monthly_kgco2e",
    "tpot_p95_ms",
)
"""The figures a configuration is judged on (``CRITERIA_COLUMNS`` without ``accuracy_source``, a
label), in the order they were added (``tpot_p95_ms`` came last). That order is the Monte Carlo's
order of random streams (``scoring.UNCERTAIN_COLUMNS``): a new figure goes last so that the others
keep their draws. The lists below are derived from this one."""
UNCERTAIN = tuple(c for c in CRITERIA_COLUMNS if c in JUDGED_FIGURES and c != "setup_cost")
"""The figures the three scenarios give a range (``<col>_low`` / ``<col>_high``, docs/method.md
§2), in ``CRITERIA_COLUMNS`` order (the order of those columns in configurations.csv). Every judged
figure but the set-up cost, a one-off that has no range column (docs/outputs.md): it is checked at
its value against ``constraints.max_setup_cost`` (its Monte Carlo draws have low = high)."""
