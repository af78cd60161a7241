"""Precision of a configuration: the client's evaluation first, else a catalog proxy, each adjusted
by the catalog's deltas (quantisation, RAG, user uploads, output format) for what it did not cover.

A client evaluation on ``n`` questions is a binomial sample: its accuracy carries a confidence
interval (Wilson score interval, :func:`wilson_interval`), not a point. A model with neither a
sourced proxy nor an evaluation has **unknown** precision: ``accuracy`` NaN with
``accuracy_source == "unknown"`` (:data:`UNKNOWN`); it is never imputed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from decimal import Decimal
from fractions import Fraction
from statistics import NormalDist

MEASURED = "measured"
PROXY = "proxy"
UNKNOWN = "unknown"


def accuracy(base: float, deltas: Iterable[float]) -> float:
    """Base accuracy plus the deltas (fractions, negative = loss), kept within [0, 1].

    An unknown base (NaN) stays unknown: deltas never turn it into a figure."""
    if math.isnan(base):
        return math.nan
    return min(1.0, max(0.0, base + sum(deltas)))


def normal_quantile(confidence: float) -> float:
    """z such that a standard normal lies within ±z with probability ``confidence`` (two-sided).

    0.95 → 1.959964 (``NormalDist().inv_cdf(0.975)``)."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence is a share strictly between 0 and 1, got {confidence!r}")
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def wilson_interval(accuracy: float, questions: int, confidence: float) -> tuple[float, float]:
    """Wilson score interval of a share ``accuracy`` observed on ``questions`` trials.

    With p the observed share, n the questions and z the two-sided normal quantile::

        centre = (p + z²/2n) / (1 + z²/n)
        half   = z / (1 + z²/n) × sqrt(p(1-p)/n + z²/4n²)
        (low, high) = (centre - half, centre + half)

    Wilson (1927), "Probable inference, the law of succession, and statistical inference", JASA
    22:209-212; recommended over the normal (Wald) interval by Brown, Cai & DasGupta (2001),
    "Interval Estimation for a Binomial Proportion", Statistical Science 16(2):101-133, because
    it stays inside [0, 1] and keeps its coverage near 0 and 1 and for small n. The interval
    always contains p.
    """
    if questions < 1:
        raise ValueError(f"questions must be >= 1, got {questions!r}")
    if not 0 <= accuracy <= 1:
        raise ValueError(f"accuracy is a share in [0, 1], got {accuracy!r}")
    z = normal_quantile(confidence)
    n = float(questions)
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (accuracy + z2 / (2 * n)) / denominator
    half = z / denominator * math.sqrt(accuracy * (1 - accuracy) / n + z2 / (4 * n * n))
    return max(0.0, min(accuracy, centre - half)), min(1.0, max(accuracy, centre + half))


def evaluation_accuracy_range(
    accuracy: float, questions: int | None, confidence: float
) -> tuple[float, float, float]:
    """(low, value, high) of a client evaluation: the Wilson interval around the measured share
    when the number of questions is known, else the point (low = value = high)."""
    if questions is None:
        return accuracy, accuracy, accuracy
    low, high = wilson_interval(accuracy, questions, confidence)
    return low, accuracy, high


def written_decimals(value: float) -> int:
    """Decimals of a number as written (its shortest repr): 0.913 → 3, 0.9 → 1, 1 → 0."""
    exponent = Decimal(repr(float(value))).normalize().as_tuple().exponent
    return max(0, -int(exponent))


def _simplest_fraction(low: Fraction, high: Fraction) -> Fraction:
    """The fraction with the smallest denominator in [low, high] (0 <= low <= high).

    Continued-fraction descent of the Stern-Brocot tree: an integer in the interval is the
    answer; else both ends share their integer part f and the answer is f + 1/x, x the simplest
    fraction in [1/(high - f), 1/(low - f)]."""
    whole = math.floor(low)
    if whole == low:
        return Fraction(whole)
    if whole + 1 <= high:
        return Fraction(whole + 1)
    inner = _simplest_fraction(1 / (high - whole), 1 / (low - whole))
    return whole + 1 / inner


def fewest_questions(accuracy: float, decimals: int | None = None) -> Fraction:
    """The fraction k/n with the fewest questions n whose share rounds to ``accuracy`` at the
    precision it is written with (``decimals``, default :func:`written_decimals`).

    "Rounds to" is taken with ties allowed both ways: k/n within half a unit of the last written
    decimal, [a - 0.5·10⁻ᵈ, a + 0.5·10⁻ᵈ]. 0.913 (3 decimals) → 21/23 (0.91304); 0.89 → 8/9;
    0.9 → 6/7 (0.857 rounds to 0.9); 1.0 → 1/1 and 0.0 → 0/1 (one question suffices). Fewer
    questions than n cannot have produced the accuracy as written.
    """
    d = written_decimals(accuracy) if decimals is None else decimals
    value = Fraction(repr(float(accuracy)))
    half_unit = Fraction(1, 2 * 10**d)
    low, high = max(Fraction(0), value - half_unit), min(Fraction(1), value + half_unit)
    return _simplest_fraction(low, high)


def implied_questions(accuracy: float, decimals: int | None = None) -> int:
    """The fewest questions that can give ``accuracy`` as written (see :func:`fewest_questions`)."""
    return fewest_questions(accuracy, decimals).denominator


def base_accuracy(
    measured: tuple[float, int | None] | None,
    proxy: tuple[float, float, float] | None,
    confidence: float,
) -> tuple[float, float, float, str]:
    """(low, value, high, accuracy_source) of the base a configuration's precision starts from.

    ``measured``: the client's evaluation that covers the configuration, as (accuracy, questions
    or None) — its Wilson interval (:func:`evaluation_accuracy_range`), source :data:`MEASURED`;
    else ``proxy``: the catalog's (low, value, high), source :data:`PROXY`; else precision is
    unknown: (NaN, NaN, NaN, :data:`UNKNOWN`) — never imputed.
    """
    if measured is not None:
        low, value, high = evaluation_accuracy_range(measured[0], measured[1], confidence)
        return low, value, high, MEASURED
    if proxy is not None:
        low, value, high = proxy
        return low, value, high, PROXY
    return math.nan, math.nan, math.nan, UNKNOWN
