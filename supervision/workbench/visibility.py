"""Sealed rows (bid and guarantee traffic, early filings) stay hidden until their tender's bid deadline passes."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, or_, select

from bidding.bids.models import Bid
from trading.tenders.models import Tender

NOW = func.sunbid_now()


def _bid_tender(table: Any) -> Any:
    """The tender of the bid in this very row's path: correlated to the row, never a lookup over the whole log."""
    return select(Bid.tender_id).where(Bid.id == table.subject_id).correlate(table).scalar_subquery()


def unsealed(table: Any) -> ColumnElement[bool]:
    """True for rows that are not sealed, or whose tender (named, or found through the bid in the path) has closed."""
    tender_closed = exists(
        select(Tender.id)
        .where(
            Tender.id == func.coalesce(table.tender_id, _bid_tender(table)),
            Tender.bid_deadline <= NOW,
        )
        .correlate(table)
    )
    return or_(table.sealed.is_(False), tender_closed)


def tender_filter(table: Any, tender_id: uuid.UUID | None) -> ColumnElement[bool]:
    """Rows about one tender (named directly or through the bid in the path)."""
    if tender_id is None:
        return and_(True)
    return or_(table.tender_id == tender_id, _bid_tender(table) == tender_id)
