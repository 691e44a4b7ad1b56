"""Card exports in CSV and JSON with the same columns, so a regulator's spreadsheet and a script agree."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

import msgspec

from supervision.clocks.models import ClockCard
from supervision.clocks.schemas import CardOut

COLUMNS = (
    "id",
    "colour",
    "rule",
    "label",
    "tender_id",
    "responsible_org_id",
    "subject_type",
    "subject_id",
    "due_at",
    "raised_at",
    "clock_id",
)


def card_out(card: ClockCard) -> CardOut:
    """The API view of a card."""
    return CardOut(
        id=card.id,
        clock_id=card.clock_id,
        colour=card.colour,
        rule=card.rule,
        label=card.label,
        tender_id=card.tender_id,
        responsible_org_id=card.responsible_org_id,
        subject_type=card.subject_type,
        subject_id=card.subject_id,
        due_at=card.due_at,
        raised_at=card.raised_at,
    )


def cards_csv(cards: Sequence[ClockCard]) -> str:
    """RFC 4180 CSV with a header row; times in ISO 8601 with offset."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for card in cards:
        row = msgspec.to_builtins(card_out(card))
        writer.writerow(["" if row.get(c) is None else row[c] for c in COLUMNS])
    return out.getvalue()


def cards_json(cards: Sequence[ClockCard]) -> bytes:
    """A JSON array of the same records."""
    return msgspec.json.encode([card_out(c) for c in cards])
