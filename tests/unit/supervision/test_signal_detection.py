"""Rule-51 detection over opened bids, without a database."""

from __future__ import annotations

from decimal import Decimal

from supervision.signals.detect import OpenedBid, detect


def _bid(bidder: str, price: str, **kw: object) -> OpenedBid:
    return OpenedBid(bidder=bidder, lot=1, price=Decimal(price), **kw)  # type: ignore[arg-type]


def test_identical_prices_and_same_guarantee_applicant_are_flagged() -> None:
    signals = detect(
        [
            _bid("a", "100.00", guarantee_applicant="6222-0001"),
            _bid("b", "100.0", guarantee_applicant="6222-0001"),
            _bid("c", "250", guarantee_applicant="6222-0002"),
        ]
    )
    kinds = {s.kind: s for s in signals}
    assert set(kinds) == {"identical_price", "same_guarantee_applicant"}
    assert kinds["identical_price"].bidders == ("a", "b")


def test_unrelated_bids_raise_nothing() -> None:
    assert detect([_bid("a", "100"), _bid("b", "130"), _bid("c", "170")]) == []


def test_one_bidder_sharing_a_file_with_itself_is_not_a_signal() -> None:
    same = (("x.pdf", "ab" * 32),)
    assert detect([_bid("a", "1", files=same), _bid("b", "5", files=(("y.pdf", "cd" * 32),))]) == []
