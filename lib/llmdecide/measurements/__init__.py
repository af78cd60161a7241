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

Modules, each importing only those before it:

- :mod:`~llmdecide.measurements.model`: the fields and their accepted column names, file endings,
  bad-row reasons, and ``UsageMeasured``;
- :mod:`~llmdecide.measurements.parsing`: a column's values as numbers or epoch seconds, with the
  masks of missing and unparsable values;
- :mod:`~llmdecide.measurements.summary`: bad rows counted, then the statistics;
- :mod:`~llmdecide.measurements.reading`: the file checked and read (CSV, JSON Lines, Parquet),
  columns resolved, and ``read_usage_log``.

This ``__init__`` re-exports the names below (``from llmdecide.measurements import
read_usage_log``); any other name is imported from its module.
"""

from __future__ import annotations

from llmdecide.measurements.model import (
    ACCEPTED_EXTENSIONS,
    BAD_ROW_REASONS,
    COLUMN_NAMES,
    REQUIRED_FIELDS,
    UsageMeasured,
)
from llmdecide.measurements.reading import read_usage_log

__all__ = [
    "ACCEPTED_EXTENSIONS",
    "BAD_ROW_REASONS",
    "COLUMN_NAMES",
    "REQUIRED_FIELDS",
    "UsageMeasured",
    "read_usage_log",
]
