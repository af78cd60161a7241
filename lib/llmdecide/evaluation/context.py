"""What every evaluation of a client needs, resolved once, and the scenario picks.

Three scenarios of the uncertain inputs: the catalog's ``value``; the end of every range that
favours the client (optimistic); the other end (pessimistic). The Monte Carlo of the scoring
draws between the optimistic and pessimistic results.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from llmdecide.units import HOURS_PER_DAY

if TYPE_CHECKING:
    from llmdecide.catalog import Catalog
    from llmdecide.params import ClientParams

VALUE, OPTIMISTIC, PESSIMISTIC = "value", "optimistic", "pessimistic"
SCENARIOS = (VALUE, OPTIMISTIC, PESSIMISTIC)


def pick(r: Any, scenario: str, good: str) -> float:
    """A catalog Range at the scenario: the value, or the end that is good (``"low"`` or
    ``"high"``) for the client in the optimistic scenario, the other end in the pessimistic one."""
    if not hasattr(r, "value"):
        return float(r)
    if scenario == VALUE:
        return float(r.value)
    favourable = scenario == OPTIMISTIC
    low_end = (good == "low") == favourable
    return float(r.low if low_end else r.high)


def spread(value: float, relative: float, scenario: str, good: str) -> float:
    """A point value widened by ± ``relative`` (usage hypotheses) at the scenario."""
    if scenario == VALUE:
        return value
    favourable = scenario == OPTIMISTIC
    low_end = (good == "low") == favourable
    return value * (1 - relative) if low_end else value * (1 + relative)


def method_setting(catalog: Catalog, key: str) -> Any:
    m = catalog.method
    return m[key] if isinstance(m, Mapping) else getattr(m, key)


@dataclass(frozen=True)
class Context:
    """What every evaluation of a client needs, resolved once."""

    client: ClientParams
    catalog: Catalog
    usage: Mapping[str, float]
    usage_relative_range: float
    intensity_g_per_kwh: Mapping[str, float]
    usd_per_unit: float
    prices_as_of: datetime

    def assumption(self, name: str, scenario: str, good: str) -> float:
        """A catalog assumption at the scenario."""
        return pick(self.catalog.assumption(name).value, scenario, good)

    def method(self, key: str) -> Any:
        return method_setting(self.catalog, key)

    def usage_at(self, scenario: str) -> dict[str, float]:
        """The usage hypotheses (or measurements) at the scenario: volumes and tokens ± range."""
        u = self.usage
        rel = self.usage_relative_range
        out = {
            "requests_per_day": spread(float(u["requests_per_day"]), rel, scenario, "low"),
            "peak_requests_per_second": spread(
                float(u["peak_requests_per_second"]), rel, scenario, "low"
            ),
            "input_tokens": spread(float(u["input_tokens"]), rel, scenario, "low"),
            "output_tokens": spread(float(u["output_tokens"]), rel, scenario, "low"),
            "active_hours_per_day": float(u["active_hours_per_day"]),
            "horizon_months": float(u["horizon_months"]),
        }
        # a usage log's token distributions (measurements.token_distribution): the p95
        # request's tokens move with the means, the spread (cv²) is a shape
        for key in ("input_tokens_p95", "output_tokens_p95"):
            if key in u:
                out[key] = spread(float(u[key]), rel, scenario, "low")
        for key in ("input_tokens_cv2", "output_tokens_cv2"):
            if key in u:
                out[key] = float(u[key])
        return out

    @property
    def engine(self) -> str:
        """The serving engine modelled (``method.engine``): its efficiency record's name."""
        return str(self.catalog.method["engine"])

    @property
    def days_per_month(self) -> float:
        """Days in a month: the catalog's ``hours_per_month`` (730, the cloud price pages'
        convention) / 24 — one value for the month, never a second figure."""
        return self.assumption("hours_per_month", VALUE, "low") / HOURS_PER_DAY


def make_context(
    client: ClientParams,
    catalog: Catalog,
    usage: Mapping[str, float],
    intensity_g_per_kwh: Mapping[str, float],
    *,
    measured_usage: bool = False,
) -> Context:
    key = "usage_uncertainty_measured" if measured_usage else "usage_uncertainty_hypothesis"
    as_of = method_setting(catalog, "prices_as_of")
    if not isinstance(as_of, datetime):
        as_of = datetime.fromisoformat(str(as_of))
    return Context(
        client=client,
        catalog=catalog,
        usage=usage,
        usage_relative_range=float(method_setting(catalog, key)),
        intensity_g_per_kwh=intensity_g_per_kwh,
        usd_per_unit=float(catalog.usd_per(client.client.currency)),
        prices_as_of=as_of,
    )
