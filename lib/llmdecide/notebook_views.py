"""What a notebook shows of a stage: the stage's ``data`` (what ``results.json`` gets) as tables
and charts, one class per notebook.

``stages`` returns these; ``present.workbench(stage)`` formats them in the client's language.
Nothing here computes a figure: the tables are the data as they are, the charts are the
report's (:mod:`llmdecide.charts`, imported only when one is drawn).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd


def table(records: Any, columns: list[str] | None = None) -> pd.DataFrame:
    # pandas (~1.5 s to import): `llmdecide validate` and the runner import stages without it
    import pandas as pd

    frame = pd.DataFrame(records)
    if columns is not None and not frame.empty:
        frame = frame[[c for c in columns if c in frame.columns]]
    return frame


@dataclass
class CriticalStage:
    data: dict[str, Any]

    @property
    def limits(self) -> pd.DataFrame:
        rows = [
            {"pillar": p, **(v or {"metric": "—", "limit": None})}
            for p, v in self.data["limits"].items()
        ]
        return table(rows)

    @property
    def priorities(self) -> pd.DataFrame:
        return table([{"pillar": p, "weight": w} for p, w in self.data["priorities"].items()])

    @property
    def ahp(self) -> dict[str, Any] | None:
        return self.data["ahp"]

    @property
    def usage(self) -> pd.DataFrame:
        return table([{"key": k, "value": v} for k, v in self.data["usage"].items()])

    @property
    def priorities_chart(self) -> Any:
        # altair (~1.8 s to import): only when a chart is drawn
        from llmdecide import charts

        return charts.priorities_chart(self.data, language=self.data.get("language", "en"))


@dataclass
class ChoicesStage:
    data: dict[str, Any]
    frame: pd.DataFrame

    @property
    def space(self) -> pd.DataFrame:
        return table([self.data["counts"]])

    @property
    def excluded(self) -> pd.DataFrame:
        return table(self.data["excluded"], ["choice", "option", "reason"])

    @property
    def summary(self) -> pd.DataFrame:
        rec = self.data["recommendation"] or {}
        est = self.data["estimates"] or {}
        return table([{"key": k, "value": v} for k, v in {**rec, **est}.items()])

    @property
    def top(self) -> pd.DataFrame:
        return table(self.data["top"])

    @property
    def rejected(self) -> pd.DataFrame:
        return table(self.data["rejected"], ["label", "rejected_because"])

    @property
    def per_choice(self) -> dict[str, pd.DataFrame]:
        return {k: table(v) for k, v in self.data["per_choice"].items()}

    @property
    def sensitivity(self) -> dict[str, Any]:
        return self.data["sensitivity"]

    def _kw(self) -> dict[str, str]:
        return {"language": self.data["language"], "currency": self.data["currency"]}

    @property
    def per_choice_charts(self) -> dict[str, Any]:
        """One chart per choice that has more than one option."""
        # altair (~1.8 s to import): only when a chart is drawn
        from llmdecide import charts

        return {
            choice: charts.per_choice_chart(choice, rows, self.data["limits"], **self._kw())
            for choice, rows in self.data["per_choice"].items()
            if len(rows) > 1
        }

    @property
    def pareto_chart(self) -> Any:
        # altair (~1.8 s to import): only when a chart is drawn
        from llmdecide import charts

        return charts.pareto_chart(self.data["pareto"], self.data["limits"], **self._kw())

    @property
    def cost_chart(self) -> Any:
        # altair (~1.8 s to import): only when a chart is drawn
        from llmdecide import charts

        if not self.data["cost_breakdown"]:
            return "nothing is feasible: no cost breakdown"
        return charts.cost_breakdown_chart(self.data["cost_breakdown"], **self._kw())

    @property
    def break_even_chart(self) -> Any:
        # altair (~1.8 s to import): only when a chart is drawn
        from llmdecide import charts

        if not self.data["break_even"]:
            return "no API / self-hosted pair to compare"
        volume = self.data["break_even"]["current_requests_per_day"]
        return charts.break_even_chart(self.data["break_even"], volume, **self._kw())

    @property
    def winner_map_chart(self) -> Any:
        # altair (~1.8 s to import): only when a chart is drawn
        from llmdecide import charts

        return charts.winner_map_chart(
            self.data["winner_map"],
            self.data["client_point"],
            recommended_label=self.data["recommendation_label"],
            **self._kw(),
        )


@dataclass
class CarbonStage:
    data: dict[str, Any]

    @property
    def intensity(self) -> pd.DataFrame:
        return table(self.data["intensity"])

    @property
    def projection(self) -> pd.DataFrame:
        return table([self.data["projection"]] if self.data["projection"] else [])

    @property
    def levers(self) -> pd.DataFrame:
        return table(self.data["levers"])

    @property
    def measured(self) -> dict[str, Any] | None:
        return self.data["measured"]

    @property
    def run_footprint(self) -> dict[str, Any] | None:
        return self.data["run_footprint"]

    def _carbon_limit(self) -> float | None:
        limit = self.data.get("carbon_limit")
        return float(limit) if limit is not None else None

    @property
    def projection_chart(self) -> Any:
        # altair (~1.8 s to import): only when a chart is drawn
        from llmdecide import charts

        if not self.data["projection"]:
            return "nothing is feasible: no projection"
        return charts.carbon_projection_chart(
            self.data["projection"],
            limit=self._carbon_limit(),
            measured=self.data["measured"],
            language=self.data["language"],
            currency=self.data["currency"],
        )

    @property
    def region_chart(self) -> Any:
        # altair (~1.8 s to import): only when a chart is drawn
        from llmdecide import charts

        if not self.data["regions"]:
            return "the recommendation has no region choice (API hosting)"
        return charts.region_chart(
            self.data["regions"],
            self.data["intensity"],
            limit=self._carbon_limit(),
            language=self.data["language"],
            currency=self.data["currency"],
        )
