"""Assembly for the opening: chronograph steps (start at the deadline, end windows) and the events they follow."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bidding.bids.storage import BidBlobs
from bidding.guarantees.settlement import on_bid_withdrawn
from bidding.opening import context
from bidding.opening.announce import DEEMED_WITHDRAWN
from bidding.opening.attendance import add_admission_check
from bidding.opening.context import OpeningContext
from bidding.opening.decrypt import Decryptor
from bidding.opening.services import close_due_windows, start_due_openings
from core import chronograph
from core.journal import subscribe, subscribers
from core.settings import get_settings
from evaluation.draws.opening_bar import refuse_committee_member
from signing.ca import load_or_create_ca
from supervision.ledger.sealed import on_sealed_period_over


def ensure_context() -> None:
    """A worker process (no app lifespan) builds the opening and settlement context from the settings."""
    if context.configured():
        return
    from sunbid.guarantee_wiring import configure_guarantees

    settings = get_settings()
    ca = load_or_create_ca(settings.platform_key_dir / "ca", "Sunbid Development CA")
    configure_guarantees(settings, ca)
    context.configure(
        OpeningContext(BidBlobs(settings.blob_dir / "bids"), settings.blob_dir / "opened", Decryptor(), ca.certificate)
    )


async def start_openings(session: AsyncSession) -> int:
    """Chronograph: open every tender whose bid deadline has passed (rule 24)."""
    return await start_due_openings(session)


async def end_windows(session: AsyncSession) -> int:
    """Chronograph: end decryption windows and escrow periods on the DB clock (rules 26-27)."""
    ensure_context()
    return await close_due_windows(session)


def wire_opening() -> None:
    """Register the opening's chronograph steps, subscriptions and the hall's rule-38 admission check (idempotent)."""
    from sunbid.guarantee_wiring import wire_guarantees

    chronograph.register("opening.start", start_openings)
    chronograph.register("opening.windows", end_windows)
    add_admission_check(refuse_committee_member)
    wire_guarantees()
    if on_sealed_period_over not in subscribers("tender.opening_started"):
        subscribe("tender.opening_started", on_sealed_period_over)
    if on_bid_withdrawn not in subscribers(DEEMED_WITHDRAWN):
        subscribe(DEEMED_WITHDRAWN, on_bid_withdrawn)
