"""Altair chart builders shared by the notebooks and the report.

Each builder is pure: it takes plain dicts and lists shaped like the report context
(docs/architecture.md, "Report context") and returns an Altair chart with a localised ``title`` and
``description`` (the accessible text of the chart) and ``usermeta.llmdecide`` recording the
language and currency, so :func:`to_svg` and :func:`embed_options` format numbers in the reader's
locale (French: ``4 210 €``, decimal comma). No Jinja or WeasyPrint import here.

- :func:`priorities_chart` — the critical performance triangle: limits at the corners, the client's
  priorities as a point, the weights (carbon included) as bars;
- :func:`per_choice_chart` — one technical choice: each option's effect on the four criteria;
- :func:`pareto_chart` — cost against latency, colour = precision, recommendation highlighted;
- :func:`winner_map_chart` — which configuration wins where in the triangle of priorities;
- :func:`ranges_chart` — the recommendation's estimates with their low/high range against the limits;
- :func:`cost_breakdown_chart`, :func:`break_even_chart` — money;
- :func:`carbon_projection_chart`, :func:`region_chart` — carbon;
- :func:`daily_load_chart` — the usage log's daily load curve.

:class:`Spec` is a chart built as plain Vega-Lite JSON (where Altair's copies were slow); it
answers ``to_dict`` and Jupyter display as an Altair chart does. :func:`to_svg` renders a chart to static SVG (vl-convert, for the PDF); :func:`to_html_spec` gives
the Vega-Lite spec that vega-embed renders interactively in the HTML report.

Modules, each importing only those before it:

- :mod:`~llmdecide.charts.style`: sizes, colours, number formats, the column of each criterion,
  shared data sets and ``_finish`` (title, description, locale metadata, the common look);
- :mod:`~llmdecide.charts.decision`: priorities, per-choice, Pareto, winner map, ranges;
- :mod:`~llmdecide.charts.cost`: cost breakdown, break-even;
- :mod:`~llmdecide.charts.carbon`: carbon projection, regions;
- :mod:`~llmdecide.charts.usage`: the daily load of a usage log;
- :mod:`~llmdecide.charts.render`: Vega-Lite spec, vega-embed options, SVG via vl-convert.

This ``__init__`` re-exports the names below (``from llmdecide import charts;
charts.pareto_chart(...)``); any other name is imported from its module.
"""

from __future__ import annotations

from llmdecide.charts.carbon import carbon_projection_chart, region_chart
from llmdecide.charts.cost import break_even_chart, cost_breakdown_chart
from llmdecide.charts.decision import (
    pareto_chart,
    per_choice_chart,
    priorities_chart,
    ranges_chart,
    ternary_xy,
    winner_map_chart,
)
from llmdecide.charts.render import (
    FINISH_VERSION,
    built_spec,
    convert_request,
    embed_options,
    finish_svg,
    font_directory,
    format_locale,
    svg_request,
    time_format_locale,
    to_html_spec,
    to_svg,
    vegalite_version,
)
from llmdecide.charts.style import Spec, limit_of, performance_column, pillar_column
from llmdecide.charts.usage import daily_load_chart

__all__ = [
    "FINISH_VERSION",
    "Spec",
    "break_even_chart",
    "built_spec",
    "carbon_projection_chart",
    "convert_request",
    "cost_breakdown_chart",
    "daily_load_chart",
    "embed_options",
    "finish_svg",
    "font_directory",
    "format_locale",
    "limit_of",
    "pareto_chart",
    "per_choice_chart",
    "performance_column",
    "pillar_column",
    "priorities_chart",
    "ranges_chart",
    "region_chart",
    "svg_request",
    "ternary_xy",
    "time_format_locale",
    "to_html_spec",
    "to_svg",
    "vegalite_version",
    "winner_map_chart",
]
