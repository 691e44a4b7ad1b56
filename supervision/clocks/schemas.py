"""API shapes for clocks and cards."""

from __future__ import annotations

import uuid
from datetime import datetime

from core.schemas import Out


class ClockOut(Out):
    """A statutory clock and where it stands."""

    id: uuid.UUID
    subject_type: str
    subject_id: uuid.UUID
    purpose: str
    tender_id: uuid.UUID | None
    rule: int
    label: str
    unit: str
    days: int
    responsible_org_id: uuid.UUID
    started_at: datetime
    yellow_at: datetime
    due_at: datetime
    state: str
    ended_at: datetime | None


class CardOut(Out):
    """A yellow or red card."""

    id: uuid.UUID
    clock_id: uuid.UUID
    colour: str
    rule: int
    label: str
    tender_id: uuid.UUID | None
    responsible_org_id: uuid.UUID
    subject_type: str
    subject_id: uuid.UUID
    due_at: datetime
    raised_at: datetime
