"""The break-even's re-sizing (``breakeven``): batching the shortlist changes no figure."""

from __future__ import annotations

from pathlib import Path

from llmdecide import breakeven, stages
from llmdecide import configurations as conf
from llmdecide.evaluation.self_hosted import serving_key

REPO = Path(__file__).resolve().parents[1]


def test_self_hosted_costs_in_one_evaluation_equal_one_per_candidate() -> None:
    """Every (candidate, volume) row in one column-wise evaluation gives, bit for bit, what
    evaluating each candidate on its own gives (the sizing is row by row); among the candidates
    two share their serving (same sizing, another region or hosting)."""
    inputs = stages.load_inputs(REPO / "params/clients/example-retail.yaml")
    client, cat = inputs.client, inputs.catalog
    intensity = {r: g.g_per_kwh for r, g in stages.intensities(inputs).items()}
    ctx = conf.make_context(client, cat, inputs.usage, intensity, measured_usage=False)
    own = [c for c in conf.space(client, cat).candidates if c.hosting != "api"]
    first = own[0]
    twin = next(c for c in own[1:] if serving_key(c) == serving_key(first))
    other = next(c for c in own if c.model != first.model)
    cands = [first, twin, other]
    assert (twin.hosting, twin.region) != (first.hosting, first.region)
    factors = [0.05, 1.0, 20.0]
    batched = breakeven._self_hosted_costs(ctx, cands, factors)
    alone = [breakeven._self_hosted_costs(ctx, [c], factors)[0] for c in cands]
    assert len(batched) == 3 and all(len(per) == 3 for per in batched)
    assert repr(batched) == repr(alone)  # repr: NaN compares equal to NaN, floats exactly
