"""Plausibility warnings: values a params file may hold but that are likely mistakes (docs/params.md).

They are not errors: the run goes on with the values as given, the CLI prints each warning in
yellow (``llmdecide validate`` and ``run``, exit status unchanged) and the report shows them on its
first page. ``warnings_for(client, catalog, file)`` is pure: params and catalog in, a list of
:class:`Warning` out, in the order of the checks below.

- ``latency_in_ms``: a real-time p95 limit (``p95_latency_s`` or ``ttft_p95_s``, the performance
  limit or one of ``extra_limits``) above ``REAL_TIME_LATENCY_MAX_S``: milliseconds typed as
  seconds (8000 for 8 s)?
- ``prompt_beyond_context``: input + output tokens of one request beyond the context window of
  every candidate model whose window the catalog gives: every self-hosted configuration of them
  would be excluded (a size in characters or bytes typed as tokens?).
- ``template_placeholder``: the client name, use-case title or description still holds a
  placeholder of ``params/clients/_template.yaml`` (``__NAME__``) or its sample text.
- ``no_burst``: the peak rate of the usage or of one of its phases at most ``PEAK_TO_MEAN_MIN`` ×
  the mean over the active hours: traffic without any burst is rare for a real-time
  application; the daily mean typed as the peak? A peak below that mean (so also one below the
  mean over the whole day) is not a warning but an error of the validation
  (``params.usage.Usage``: exit 2, tests/bad_inputs/052-peak-below-average).

The thresholds are warning heuristics, not method settings: no figure of the report depends on
them.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from llmdecide.columns import SELF_HOSTED
from llmdecide.units import per_active_second

if TYPE_CHECKING:
    from llmdecide.catalog import Catalog
    from llmdecide.params import ClientParams

__all__ = [
    "PEAK_TO_MEAN_MIN",
    "REAL_TIME_LATENCY_MAX_S",
    "TEMPLATE",
    "Warning",
    "template_texts",
    "warnings_for",
]

REAL_TIME_LATENCY_MAX_S = 120.0
"""Above two minutes nobody waits at a screen: interactive limits are seconds (the examples: 3 s
and 20 s), batch work is a turnaround in hours. 8000 typed for 8 s is the typical slip."""
PEAK_TO_MEAN_MIN = 1.1
"""A peak less than 10 % above the mean over the active hours is a flat load: real traffic has
bursts (the busiest second well above the hour's mean), so the mean was likely typed twice."""
TEMPLATE = Path(__file__).resolve().parents[2] / "params" / "clients" / "_template.yaml"
PLACEHOLDER = re.compile(r"__[A-Z][A-Z0-9_]*__")
SECONDS_METRICS = ("p95_latency_s", "ttft_p95_s")


@dataclass(frozen=True)
class Warning:  # shadows the builtin in this module only: use it as plausibility.Warning
    """One likely mistake: where it is, what looks wrong (English, for the CLI), what to check.

    ``code`` names the report's translated message (``warnings.<code>`` in
    ``templates/messages/report_<lang>.yaml``), filled with ``values``.
    """

    file: str
    key_path: str
    code: str
    message: str
    hint: str
    values: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.file}: {self.key_path}: {self.message}; {self.hint}"

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly, for the report context."""
        return {
            "file": self.file,
            "key_path": self.key_path,
            "code": self.code,
            "message": self.message,
            "hint": self.hint,
            "values": dict(self.values),
        }


def warnings_for(
    client: ClientParams,
    catalog: Catalog,
    file: str,
    template: dict[str, str] | None = None,
) -> list[Warning]:
    """Every plausibility warning of a validated client, checks in the module's order.

    ``template`` holds the template's sample texts (``template_texts()`` by default).
    """
    texts = template_texts() if template is None else template
    return [
        *latency_in_ms(client, file),
        *prompt_beyond_context(client, catalog, file),
        *template_placeholders(client, file, texts),
        *no_burst(client, file),
    ]


def _real_time(client: ClientParams) -> bool:
    modes = client.options.deployment_mode
    return modes is None or "real_time" in modes


def latency_in_ms(client: ClientParams, file: str) -> list[Warning]:
    """A real-time p95 limit in seconds above ``REAL_TIME_LATENCY_MAX_S``: the performance
    limit, and the ``extra_limits`` on second-based metrics."""
    if not _real_time(client):
        return []
    cp = client.critical_performance
    limits = [
        ("critical_performance.performance.limit", cp.performance.metric, cp.performance.limit)
    ]
    extra = getattr(cp, "extra_limits", None) or {}
    limits += [(f"critical_performance.extra_limits.{m}", m, v) for m, v in extra.items()]
    out = []
    for key_path, metric, limit_s in limits:
        if metric not in SECONDS_METRICS or limit_s <= REAL_TIME_LATENCY_MAX_S:
            continue
        out.append(
            Warning(
                file,
                key_path,
                "latency_in_ms",
                f"a {metric} limit of {limit_s:g} s ({limit_s / 60:.0f} min) for a real-time "
                "application: milliseconds typed as seconds?",
                f"write {limit_s / 1000:g} for {limit_s:g} ms; for work that may take minutes, "
                "use metric turnaround_h (hours) with deployment_mode [batch]",
                {"metric": metric, "limit_s": limit_s, "minutes": limit_s / 60},
            )
        )
    return out


def _candidate_models(client: ClientParams, catalog: Catalog) -> list[str]:
    """The models a configuration may use: those listed (or every catalog model), minus API
    models when API hosting is excluded and open models when only API hosting is allowed."""
    hosting = client.allowed_hostings
    api_allowed = "api" in hosting
    self_hosted = any(h in hosting for h in SELF_HOSTED)
    names = client.options.models or [*catalog.open_models, *catalog.api_models]
    return [
        n
        for n in names
        if (n in catalog.open_models and self_hosted) or (n in catalog.api_models and api_allowed)
    ]


def _context_tokens(catalog: Catalog, name: str) -> int | None:
    record = catalog.open_models.get(name) or catalog.api_models.get(name)
    value = getattr(record, "context_tokens", None)  # API models may not give it
    return int(value) if value else None


def prompt_beyond_context(client: ClientParams, catalog: Catalog, file: str) -> list[Warning]:
    """Input + output tokens above the window of every candidate whose window is known."""
    usage = client.usage
    needed = usage.input_tokens + usage.output_tokens
    windows = {n: _context_tokens(catalog, n) for n in _candidate_models(client, catalog)}
    known = {n: w for n, w in windows.items() if w is not None}
    if not known or any(needed <= w for w in known.values()):
        return []
    largest = max(known, key=lambda n: known[n])
    unknown = len(windows) - len(known)
    also = f"; {unknown} candidate(s) publish no window in the catalog" if unknown else ""
    return [
        Warning(
            file,
            "usage.input_tokens",
            "prompt_beyond_context",
            f"one request needs {needed:,} tokens (input {usage.input_tokens:,} + output "
            f"{usage.output_tokens:,}), beyond the context window of every candidate model "
            f"(the largest: {largest}, {known[largest]:,} tokens){also}",
            "check the unit (tokens, not characters or bytes: about 4 characters per token), or "
            "list a model with a larger window in options.models",
            {
                "tokens": needed,
                "input_tokens": usage.input_tokens,
                "output_tokens": usage.output_tokens,
                "model": largest,
                "context_tokens": known[largest],
            },
        )
    ]


@functools.lru_cache(maxsize=4)
def _read_template(path: Path) -> dict[str, str]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    use_case = data.get("use_case") or {}
    return {
        "use_case.title": str(use_case.get("title") or ""),
        "use_case.description": str(use_case.get("description") or ""),
    }


def template_texts(path: Path = TEMPLATE) -> dict[str, str]:
    """The template's sample texts by key path ({} when the template cannot be read)."""

    try:
        return _read_template(path)
    except (OSError, yaml.YAMLError, AttributeError):  # never stops a client's validation
        return {}


def _same_text(a: str, b: str) -> bool:
    return bool(b.strip()) and " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def template_placeholders(
    client: ClientParams, file: str, template: dict[str, str]
) -> list[Warning]:
    """A ``__PLACEHOLDER__`` or the template's sample text left in the name, title, description."""
    fields = {
        "client.name": client.client.name,
        "use_case.title": client.use_case.title,
        "use_case.description": client.use_case.description,
    }
    out = []
    for key_path, text in fields.items():
        found = PLACEHOLDER.search(text)
        if found:
            what = f"the placeholder {found.group(0)} of params/clients/_template.yaml is left"
        elif _same_text(text, template.get(key_path, "")):
            what = "still the sample text of params/clients/_template.yaml"
        else:
            continue
        out.append(
            Warning(
                file,
                key_path,
                "template_placeholder",
                f"{what}: {text[:60]!r}",
                "write the client's own text (it is shown on the report's cover)",
                {"key": key_path, "text": text[:60]},
            )
        )
    return out


def no_burst(client: ClientParams, file: str) -> list[Warning]:
    """A real-time peak rate at most ``PEAK_TO_MEAN_MIN`` × the mean over the active hours: the
    usage's, and each phase's (a phase is sized on its own peak)."""
    if not _real_time(client):
        return []
    usage = client.usage
    rates = [("usage", usage.requests_per_day, usage.peak_requests_per_second)]
    rates += [
        (f"usage.phases[{i}]", phase.requests_per_day, phase.peak_requests_per_second)
        for i, phase in enumerate(usage.phases or [])
    ]
    out = []
    for where, per_day, peak in rates:
        found = _flat_peak(file, where, per_day, peak, usage.active_hours_per_day)
        if found is not None:
            out.append(found)
    return out


def _flat_peak(
    file: str, where: str, requests_per_day: float, peak: float, active_hours_per_day: float
) -> Warning | None:
    """The ``no_burst`` warning of one rate (``where``: ``usage`` or ``usage.phases[i]``)."""
    mean = per_active_second(requests_per_day, active_hours_per_day)
    if peak > mean * PEAK_TO_MEAN_MIN:
        return None
    return Warning(
        file,
        f"{where}.peak_requests_per_second",
        "no_burst",
        f"the peak ({peak:g} requests/s) is only {peak / mean:.2f}× the mean over the active "
        f"hours ({requests_per_day:g} / ({active_hours_per_day:g} h × 3600 s) = "
        f"{mean:.3g} requests/s): real traffic has bursts",
        "give the busiest second's rate (from the access logs or the pilot), or check that "
        "the mean was not typed as the peak",
        {"peak": peak, "mean": mean, "ratio": peak / mean},
    )
