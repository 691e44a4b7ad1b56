"""The case table: one objection, challenge, inquiry or complaint, with its answer or decision and due times."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, IdMixin, TimestampMixin
from supervision.cases.states import CaseKind, CaseStatus, Matter, Outcome

_KINDS = tuple(k.value for k in CaseKind)
_MATTERS = tuple(m.value for m in Matter)
_STATUSES = tuple(s.value for s in CaseStatus)
_OUTCOMES = tuple(o.value for o in Outcome)


class Case(IdMixin, TimestampMixin, Base):
    """A filed case; `holds_suspension` / `holds_contract_lock` while it keeps the tender suspended / unsignable."""

    __tablename__ = "supervision_cases"
    __table_args__ = (
        CheckConstraint(f"kind in {_KINDS!r}", name="kind_known"),
        CheckConstraint(f"matter in {_MATTERS!r}", name="matter_known"),
        CheckConstraint(f"status in {_STATUSES!r}", name="status_known"),
        CheckConstraint(f"outcome is null or outcome in {_OUTCOMES!r}", name="outcome_known"),
    )

    kind: Mapped[str] = mapped_column(String(20), index=True)
    matter: Mapped[str] = mapped_column(String(20))
    tender_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenders.id"), index=True)
    complainant_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"), index=True)
    filed_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    respondent_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"), index=True)
    prior_case_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("supervision_cases.id"))
    title: Mapped[str] = mapped_column(String(300))
    grounds: Mapped[str] = mapped_column(Text)
    known_on: Mapped[date] = mapped_column(Date)
    filed_at: Mapped[datetime] = mapped_column()
    status: Mapped[str] = mapped_column(String(20), index=True)
    answer_due_at: Mapped[datetime | None] = mapped_column()
    answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column()
    answered_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    acceptance_due_at: Mapped[datetime | None] = mapped_column()
    accepted_at: Mapped[datetime | None] = mapped_column()
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    decision_due_at: Mapped[datetime | None] = mapped_column()
    outcome: Mapped[str | None] = mapped_column(String(20))
    decision: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None] = mapped_column()
    decided_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    published_at: Mapped[datetime | None] = mapped_column()
    holds_suspension: Mapped[bool] = mapped_column(server_default=text("false"))
    holds_contract_lock: Mapped[bool] = mapped_column(server_default=text("false"))
    papers_due_at: Mapped[datetime | None] = mapped_column()
    papers_sent_at: Mapped[datetime | None] = mapped_column()
    reply_due_at: Mapped[datetime | None] = mapped_column()
    reply: Mapped[str | None] = mapped_column(Text)
    replied_at: Mapped[datetime | None] = mapped_column()
    replied_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    withdrawn_at: Mapped[datetime | None] = mapped_column()
