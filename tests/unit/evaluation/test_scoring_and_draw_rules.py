"""Pure rules: the 87号令 price formula on a table of bids, ranking, deviations, composition, draw, conflicts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from core.errors import RuleViolation
from evaluation.draws.selection import Candidate, draw, eligible_digest, outcome_json, replay
from evaluation.experts.rules import ConflictInput, conflicts, qualifies_for_works
from evaluation.scoring.rules import (
    abnormally_low,
    committee_composition,
    deviations,
    parse_template,
    price_scores_lowest_base,
    rank_bids,
)

D = Decimal


@pytest.mark.parametrize(
    ("prices", "weight", "expected"),
    [
        ({"a": "100", "b": "125", "c": "200"}, "30", {"a": "30.00", "b": "24.00", "c": "15.00"}),
        ({"a": "980000", "b": "1000000", "c": "1200000"}, "60", {"a": "60.00", "b": "58.80", "c": "49.00"}),
        ({"a": "300", "b": "300", "c": "450"}, "10", {"a": "10.00", "b": "10.00", "c": "6.67"}),
    ],
)
def test_87_price_formula_base_over_price_times_100_times_weight(
    prices: dict[str, str], weight: str, expected: dict[str, str]
) -> None:
    scores = price_scores_lowest_base({k: D(v) for k, v in prices.items()}, D(weight))
    assert {k: str(v) for k, v in scores.items()} == expected


def test_procurement_refuses_other_formulas_and_low_price_weights() -> None:
    with pytest.raises(RuleViolation) as formula:
        parse_template(
            {"criteria": [{"id": "t", "max": 70}], "price": {"points": 30, "formula": "benchmark"}},
            category="goods",
            legal_basis="procurement_law",
            method="综合评分法",
        )
    assert formula.value.rule == 45
    with pytest.raises(RuleViolation) as weight:
        parse_template(
            {"price": 20, "technical": 80}, category="goods", legal_basis="procurement_law", method="综合评分法"
        )
    assert weight.value.rule == 46


def test_ranking_uses_plain_means_and_documented_tie_breaks() -> None:
    template = parse_template(
        {"price": 30, "technical": 70}, category="goods", legal_basis="procurement_law", method="综合评分法"
    )
    prices = {"x": D(100), "y": D(100), "z": D(120)}
    totals = {"x": [D(60), D(70), D(0)], "y": [D(40), D(45), D(45)], "z": [D(70), D(70), D(70)]}
    ranked = rank_bids(prices, totals, template)
    assert [r.bidder for r in ranked] == ["z", "x", "y"]
    assert ranked[1].subjective_mean == D("43.33")
    assert abnormally_low({"a": D(50), "b": D(100), "c": D(100)}, D("0.8")) == {"a"}


def test_deviation_flags_the_outlier_only() -> None:
    flags = [
        d
        for d in deviations({"x": {"m1": D(60), "m2": D(62), "m3": D(20), "m4": D(61), "m5": D(59)}}, D("0.2"))
        if d.flagged
    ]
    assert [(d.member, d.bidder) for d in flags] == [("m3", "x")]


def test_composition_rules_33_and_38() -> None:
    committee_composition(5, 5, 0)
    committee_composition(7, 5, 2)
    for size, experts, reps in ((4, 4, 0), (5, 3, 2), (6, 6, 0)):
        with pytest.raises(RuleViolation):
            committee_composition(size, experts, reps)


def test_draw_is_deterministic_and_replayable() -> None:
    candidates = [Candidate(f"e{i}", ("A01",) if i % 3 else ("A01", "B01")) for i in range(12)]
    seed = bytes(range(32))
    first = draw(seed, "d1", candidates, {"A01": 5, "B01": 1}, 2)
    assert first == draw(seed, "d1", list(reversed(candidates)), {"B01": 1, "A01": 5}, 2)
    assert first != draw(bytes(32), "d1", candidates, {"A01": 5, "B01": 1}, 2)
    assert len({p.expert for p in (*first.members, *first.reserves)}) == 9
    record: dict[str, Any] = {
        "seed": seed.hex(),
        "draw_id": "d1",
        "requested": {"A01": 5, "B01": 1},
        "reserves": 2,
        "eligible": [{"id": c.id, "specialties": list(c.specialties)} for c in candidates],
        "eligible_sha256": eligible_digest(candidates),
    }
    assert outcome_json(replay(record)) == outcome_json(first)
    record["eligible"] = record["eligible"][1:]
    with pytest.raises(ValueError, match="committed digest"):
        replay(record)


def test_rule_35_and_rule_37() -> None:
    today = date(2026, 6, 1)
    assert qualifies_for_works("senior", date(2018, 6, 1), today)
    assert not qualifies_for_works("senior", date(2018, 6, 2), today)
    assert not qualifies_for_works("intermediate", date(2000, 1, 1), today)
    parties = {"B": "bidder", "T": "tenderee"}
    assert conflicts(ConflictInput("T", [], []), parties, today) == ["employed by the tenderee"]
    recent = ConflictInput(None, [{"credit_code": "B", "end": "2024-01-01"}], [])
    old = ConflictInput(None, [{"credit_code": "B", "end": "2022-01-01"}], [])
    related = ConflictInput(None, [], [{"credit_code": "B", "relation": "配偶"}])
    assert conflicts(recent, parties, today)
    assert not conflicts(old, parties, today)
    assert "配偶" in conflicts(related, parties, today)[0]
