"""Which bids are valid: a majority of members' verdicts, and a lapsed rule-49 clarification invalidates."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from core.errors import Conflict
from evaluation.draws.models import PanelMember
from evaluation.scoring.models import BidReview
from evaluation.scoring.opened import OpenedBid
from evaluation.scoring.verdicts import lot_verdicts

MEMBERS = [PanelMember(id=uuid.uuid4(), seat=n) for n in range(1, 6)]
BIDS = [OpenedBid(1, uuid.uuid4(), f"投标人{n}", "", Decimal("100"), []) for n in range(3)]


def _reviews(bid: OpenedBid, passes: int) -> list[BidReview]:
    return [
        BidReview(
            member_id=m.id,
            lot_number=1,
            bidder_id=bid.bidder,
            passed=n < passes,
            grounds=[] if n < passes else ["not_responsive"],
        )
        for n, m in enumerate(MEMBERS)
    ]


def test_a_bid_is_valid_when_most_members_pass_it() -> None:
    reviews = [*_reviews(BIDS[0], 5), *_reviews(BIDS[1], 3), *_reviews(BIDS[2], 2)]
    verdicts = lot_verdicts(1, BIDS, reviews, MEMBERS, set())
    assert [b.bidder for b in verdicts.valid] == [BIDS[0].bidder, BIDS[1].bidder]
    assert verdicts.invalid == [
        {"bidder": str(BIDS[2].bidder), "bidder_name": "投标人2", "grounds": ["not_responsive"]}
    ]


def test_a_lapsed_clarification_invalidates_even_a_passed_bid() -> None:
    reviews = [r for b in BIDS for r in _reviews(b, 5)]
    verdicts = lot_verdicts(1, BIDS, reviews, MEMBERS, {(1, BIDS[1].bidder)})
    assert len(verdicts.valid) == 2
    assert verdicts.invalid[0]["grounds"] == ["rule 49: no explanation of an abnormally low price"]


def test_every_member_reviews_every_bid_first() -> None:
    reviews = [*_reviews(BIDS[0], 5), *_reviews(BIDS[1], 5), *_reviews(BIDS[2], 5)[:4]]
    with pytest.raises(Conflict, match="every member must review 投标人2"):
        lot_verdicts(1, BIDS, reviews, MEMBERS, set())


def test_verdicts_of_members_who_left_do_not_count() -> None:
    left = PanelMember(id=uuid.uuid4(), seat=1)
    reviews = [
        *_reviews(BIDS[0], 2),
        *[BidReview(member_id=left.id, lot_number=1, bidder_id=BIDS[0].bidder, passed=True, grounds=[])] * 3,
    ]
    verdicts = lot_verdicts(1, BIDS[:1], reviews, MEMBERS, set())
    assert verdicts.valid == []
