"""Where higher layers subscribe to lower layers' journal events and register time-driven steps.

Lower layers never import higher ones; they record journal events, and this module (the assembly) connects them.
"""

from __future__ import annotations

from core import chronograph
from core.journal import subscribe, subscribers
from evaluation.award.services import award_clocks
from evaluation.draws.services import complete_due_draws
from evaluation.scoring.clarifications import lapse_clarifications
from sunbid.opening_wiring import wire_opening
from supervision.clocks.services import raise_due_cards
from supervision.signals.services import OPENED_EVENT, on_bid_opened

_wired = False


def wire_supervision() -> None:
    """Statutory clocks raise cards on each tick; every opened bid re-runs the rule-51 risk signals (idempotent)."""
    chronograph.register("supervision.clocks", raise_due_cards)
    if on_bid_opened not in subscribers(OPENED_EVENT):
        subscribe(OPENED_EVENT, on_bid_opened)


def wire_evaluation() -> None:
    """Draws take their seed once a checkpoint covers them; clarifications lapse; award clocks fall due."""
    chronograph.register("evaluation.draws", complete_due_draws)
    chronograph.register("evaluation.clarifications", lapse_clarifications)
    chronograph.register("evaluation.awards", award_clocks)


def wire() -> None:
    """Register every journal subscription and chronograph handler, once per process."""
    global _wired  # noqa: PLW0603 (a process-wide, idempotent registration flag)
    wire_supervision()
    wire_evaluation()
    wire_opening()
    if _wired:
        return
    _wired = True
