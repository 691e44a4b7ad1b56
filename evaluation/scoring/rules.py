"""Scoring rules (statutory-rules.md 44-54): the template, the price formulas, means, ranking and deviations.

Pure functions over Decimals; the services feed them stored scores and opened prices.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any

from core.errors import InvalidInput, RuleViolation
from trading.tenders.scoring_template import (
    PRICE_WEIGHT_MIN,
    Benchmark,
    Criterion,
    PriceFormula,
    Template,
    non_negative,
    parse_template,
)

__all__ = ["PRICE_WEIGHT_MIN", "Benchmark", "Criterion", "PriceFormula", "Template", "parse_template"]

CENT = Decimal("0.01")
HUNDRED = Decimal(100)


class ChangeReason(StrEnum):
    """Rule 53: the only reasons a locked score may be changed (87号令 Art 64)."""

    SUM_ERROR = "sum_error"
    OUT_OF_RANGE = "out_of_range"
    INCONSISTENT_OBJECTIVE = "inconsistent_objective"
    ABNORMAL_SCORE = "abnormal_score"


class RejectionGround(StrEnum):
    """Rule 50 (条例 Art 51) grounds for rejecting a bid, plus not responsive to the procurement documents."""

    NO_SEAL_OR_SIGNATURE = "no_seal_or_signature"
    NOT_QUALIFIED = "not_qualified"
    MULTIPLE_BIDS = "multiple_bids"
    ABOVE_CEILING = "above_ceiling"
    BELOW_COST = "below_cost"
    NOT_RESPONSIVE = "not_responsive"
    COLLUSION = "collusion"


def q(value: Decimal) -> Decimal:
    """Two decimals, half up: the precision of every published score."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def price_scores_lowest_base(prices: Mapping[str, Decimal], points: Decimal) -> dict[str, Decimal]:
    """Rule 45: base = lowest compliant price; score = base / price × 100 × weight (weight = points / 100)."""
    if not prices:
        return {}
    base = min(prices.values())
    return {key: q(base / price * HUNDRED * (points / HUNDRED)) for key, price in prices.items()}


def price_scores_benchmark(prices: Mapping[str, Decimal], points: Decimal, bench: Benchmark) -> dict[str, Decimal]:
    """工程: benchmark = mean compliant price × factor; deduct per percent of deviation, never below zero."""
    if not prices:
        return {}
    benchmark = sum(prices.values(), Decimal(0)) / len(prices) * bench.factor
    scores = {}
    for key, price in prices.items():
        percent = abs(price - benchmark) / benchmark * HUNDRED
        rate = bench.deduct_above if price > benchmark else bench.deduct_below
        scores[key] = q(max(Decimal(0), points - percent * rate))
    return scores


def price_scores(prices: Mapping[str, Decimal], template: Template) -> dict[str, Decimal]:
    """The objective price score of every compliant bid under the template's formula."""
    if template.formula is PriceFormula.BENCHMARK:
        return price_scores_benchmark(prices, template.price_points, template.benchmark)
    return price_scores_lowest_base(prices, template.price_points)


def abnormally_low(prices: Mapping[str, Decimal], ratio: Decimal) -> set[str]:
    """Rule 49: bids priced below `ratio` × the mean of the other compliant prices must explain themselves."""
    flagged = set()
    for key, price in prices.items():
        others = [p for k, p in prices.items() if k != key]
        if others and price < sum(others, Decimal(0)) / len(others) * ratio:
            flagged.add(key)
    return flagged


def check_criteria(template: Template, given: Mapping[str, Any]) -> dict[str, Decimal]:
    """Every criterion scored once, within its range; returns the parsed scores."""
    expected = {c.id: c for c in template.criteria}
    if set(given) != set(expected):
        raise InvalidInput(f"criteria: score exactly {sorted(expected)}")
    parsed = {}
    for key, value in given.items():
        score = non_negative(value, f"criterion {key}")
        if score > expected[key].max:
            raise RuleViolation(53, f"criterion {key}: {score} is above its maximum {expected[key].max}")
        parsed[key] = score
    return parsed


@dataclass(frozen=True)
class Ranked:
    """A bid's place in the ranking with the numbers that put it there."""

    bidder: str
    price: Decimal
    price_score: Decimal
    subjective_mean: Decimal
    final: Decimal
    rank: int


TIE_BREAKS = "higher final score; then lower price; then higher mean subjective score; then bidder id ascending"
"""Documented tie-breaks, applied in this order (the last makes the order total and reproducible)."""


def mean(values: Sequence[Decimal]) -> Decimal:
    """Plain arithmetic mean: no score is dropped (rule 45: do not drop the highest or lowest)."""
    return sum(values, Decimal(0)) / len(values)


def rank_bids(
    prices: Mapping[str, Decimal], member_totals: Mapping[str, Sequence[Decimal]], template: Template
) -> list[Ranked]:
    """Final = price score + mean of the members' subjective totals; lowest-price methods rank by price alone."""
    objective = price_scores(prices, template)
    rows = []
    for bidder, price in prices.items():
        subjective = q(mean(member_totals[bidder])) if member_totals.get(bidder) else Decimal(0)
        final = q(objective.get(bidder, Decimal(0)) + subjective)
        rows.append((bidder, price, objective.get(bidder, Decimal(0)), subjective, final))
    if template.lowest_price_method:
        rows.sort(key=lambda r: (r[1], r[0]))
    else:
        rows.sort(key=lambda r: (-r[4], r[1], -r[3], r[0]))
    return [Ranked(b, p, ps, s, f, i) for i, (b, p, ps, s, f) in enumerate(rows, start=1)]


MAX_CANDIDATES = 3
"""Rule 54: at most three ranked candidates."""


@dataclass(frozen=True)
class Deviation:
    """One expert's total for one bid against the panel mean."""

    member: str
    bidder: str
    score: Decimal
    mean: Decimal
    deviation: Decimal
    flagged: bool


def deviations(scores: Mapping[str, Mapping[str, Decimal]], threshold: Decimal) -> list[Deviation]:
    """Per bid and member: deviation from the mean; flagged beyond `threshold` × mean (or points when mean is 0)."""
    out = []
    for bidder, by_member in sorted(scores.items()):
        average = mean(list(by_member.values()))
        limit = threshold * average if average else threshold
        for member, score in sorted(by_member.items()):
            diff = score - average
            out.append(Deviation(member, bidder, score, q(average), q(diff), abs(diff) > limit))
    return out


def committee_composition(size: int, experts: int, representatives: int) -> None:
    """Rules 33 and 38: odd and at least 5; experts at least 2/3; the tenderee's representatives at most 1/3."""
    if size < 5 or size % 2 == 0:
        raise RuleViolation(33, f"the committee must be odd and at least 5; got {size}")
    if experts + representatives != size:
        raise RuleViolation(33, f"{experts} experts and {representatives} representatives do not make {size}")
    if experts * 3 < size * 2:
        raise RuleViolation(33, f"experts must be at least 2/3 of the committee: {experts} of {size}")
