"""Assembly for guarantees: later stages' events trigger releases and claims, signed with the platform's key."""

from __future__ import annotations

from bidding.guarantees.settlement import HANDLERS, SettlementContext, configure
from core.journal import subscribe, subscribers
from core.settings import Settings
from signing.ca import CertificateAuthority
from signing.platform_signer import load_or_create_platform_signer


def wire_guarantees() -> None:
    """Subscribe the release and claim handlers to their trigger events (idempotent)."""
    for event_type, handler in HANDLERS.items():
        if handler not in subscribers(event_type):
            subscribe(event_type, handler)


def configure_guarantees(settings: Settings, ca: CertificateAuthority) -> None:
    """Give settlement the platform's statement key (created under the platform key dir on first start).

    Release clocks count unknown holiday years by weekends only, with a warning in the journal, rather than refuse:
    a missing holiday table must never block the contract or award event that triggers a release.
    """
    key, cert = load_or_create_platform_signer(settings.platform_key_dir / "statements", ca)
    configure(SettlementContext(key=key, certificate=cert))
