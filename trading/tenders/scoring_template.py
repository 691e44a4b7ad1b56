"""A tender's scoring template (rules 44-46): part of its terms, checked when the tender is drafted and published and
read again by the evaluation, so a template the evaluation could not use never gets published."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from core.errors import InvalidInput, RuleViolation


class PriceFormula(StrEnum):
    """87号令 Art 55 base-price formula, or a 工程 benchmark-price formula set in the template."""

    LOWEST_BASE = "lowest_base"
    BENCHMARK = "benchmark"


@dataclass(frozen=True)
class Criterion:
    """A scored factor with its range [0, max]."""

    id: str
    name: str
    max: Decimal


@dataclass(frozen=True)
class Benchmark:
    """工程 benchmark price: mean of compliant prices × factor; points off per percent above or below it."""

    factor: Decimal = Decimal(1)
    deduct_above: Decimal = Decimal(1)
    deduct_below: Decimal = Decimal("0.5")


@dataclass(frozen=True)
class Template:
    """A tender's scoring template, normalized and checked."""

    criteria: tuple[Criterion, ...]
    price_points: Decimal
    formula: PriceFormula = PriceFormula.LOWEST_BASE
    benchmark: Benchmark = field(default_factory=Benchmark)
    lowest_price_method: bool = False
    abnormal_low_ratio: Decimal = Decimal("0.8")
    deviation_threshold: Decimal = Decimal("0.2")

    @property
    def total_points(self) -> Decimal:
        """All points the template can award."""
        return self.price_points + sum((c.max for c in self.criteria), Decimal(0))


PRICE_WEIGHT_MIN = {"goods": Decimal("0.30"), "services": Decimal("0.10")}
"""Rule 46 (87号令 Art 55): the least price weight under 综合评分法."""

_TEMPLATE_KEYS = {"criteria", "price", "abnormal_low_ratio", "deviation_threshold"}


MAX_POINTS = 1000
"""No template weight, ratio or score is larger (templates award 100 points in all)."""


def non_negative(value: Any, what: str) -> Decimal:
    """A finite, non-negative number from a template or a score sheet (InvalidInput naming `what` otherwise)."""
    try:
        number = Decimal(str(value))
    except ArithmeticError as exc:
        raise InvalidInput(f"scoring_template: {what} is not a number") from exc
    if not number.is_finite() or not 0 <= number <= MAX_POINTS:
        raise InvalidInput(f"scoring_template: {what} must be a number from 0 to {MAX_POINTS}")
    return number


def parse_template(raw: Mapping[str, Any], *, category: str, legal_basis: str, method: str) -> Template:
    """Normalize {"price": 60, "technical": 30} or {"criteria": [...], "price": {...}} and check rules 44-46."""
    try:
        return _parse_template(raw, category=category, legal_basis=legal_basis, method=method)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InvalidInput(
            'scoring_template: expected {"price": points, "<criterion>": points, ...} or {"criteria": [{"id", '
            f'"name", "max"}}, ...], "price": {{"points", "formula", "benchmark"}}}} ({exc.__class__.__name__}: {exc})'
        ) from exc


def _parse_template(raw: Mapping[str, Any], *, category: str, legal_basis: str, method: str) -> Template:
    lowest = "最低" in method or "lowest" in method.lower()
    if "criteria" not in raw:
        criteria = tuple(Criterion(k, k, non_negative(v, k)) for k, v in raw.items() if k not in _TEMPLATE_KEYS)
        given = raw.get("price", 100 if lowest else 0)
        price: Mapping[str, Any] = given if isinstance(given, Mapping) else {"points": given}
    else:
        criteria = tuple(
            Criterion(str(c["id"]), str(c.get("name", c["id"])), non_negative(c["max"], f"criterion {c['id']}"))
            for c in raw.get("criteria", [])
        )
        given = raw.get("price", {})
        price = given if isinstance(given, Mapping) else {"points": given}
    formula = PriceFormula(price.get("formula", PriceFormula.LOWEST_BASE.value))
    template = Template(
        criteria=criteria,
        price_points=non_negative(price.get("points", 0), "price points"),
        formula=formula,
        benchmark=Benchmark(**{k: non_negative(v, k) for k, v in price.get("benchmark", {}).items()}),
        lowest_price_method=lowest,
        abnormal_low_ratio=non_negative(raw.get("abnormal_low_ratio", "0.8"), "abnormal_low_ratio"),
        deviation_threshold=non_negative(raw.get("deviation_threshold", "0.2"), "deviation_threshold"),
    )
    if len({c.id for c in criteria}) != len(criteria):
        raise InvalidInput("scoring_template: criterion ids must be unique")
    if legal_basis == "procurement_law":
        if formula is not PriceFormula.LOWEST_BASE:
            raise RuleViolation(45, "政府采购 price scores use the base-price formula only (87号令 Art 55)")
        minimum = PRICE_WEIGHT_MIN.get(category)
        total = template.total_points
        if not lowest and minimum is not None and total > 0 and template.price_points / total < minimum:
            raise RuleViolation(46, f"the price weight for {category} must be at least {minimum:%} (87号令 Art 55)")
    return template
