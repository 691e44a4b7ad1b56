"""Who is who in a tender's hall: the agency hosts, bidders see their own bids, overseers observe, anyone else
sees the public announcements. Audiences are stored on each hall message, so a replay filters the same way."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum

from core.identity.principal import Principal
from core.identity.roles import Role
from trading.tenders.models import Tender

PUBLIC = "public"
OVERSEERS = "overseers"


def bidder_audience(org_id: uuid.UUID | str) -> str:
    """The audience of messages meant for one bidder only."""
    return f"bidder:{org_id}"


class HallRole(StrEnum):
    """The four seats of the hall."""

    HOST = "host"
    BIDDER = "bidder"
    OBSERVER = "observer"
    PUBLIC = "public"


@dataclass(frozen=True)
class Seat:
    """A caller's seat and the audiences it may read."""

    role: HallRole
    organization_id: uuid.UUID | None
    audiences: frozenset[str]


def seat_of(principal: Principal | None, tender: Tender) -> Seat:
    """The caller's seat in this tender's hall; a bidder's own messages exist only if it has a bid in the opening."""
    if principal is None:
        return Seat(HallRole.PUBLIC, None, frozenset({PUBLIC}))
    org = principal.organization_id
    if principal.has(Role.AGENCY) and org == tender.agency_id:
        return Seat(HallRole.HOST, org, frozenset({PUBLIC, OVERSEERS}))
    if principal.has(Role.REGULATOR, Role.OPERATOR) or (principal.has(Role.TENDEREE) and org == tender.tenderee_id):
        return Seat(HallRole.OBSERVER, org, frozenset({PUBLIC, OVERSEERS}))
    if principal.has(Role.BIDDER):
        return Seat(HallRole.BIDDER, org, frozenset({PUBLIC, bidder_audience(org)}))
    return Seat(HallRole.PUBLIC, org, frozenset({PUBLIC}))
