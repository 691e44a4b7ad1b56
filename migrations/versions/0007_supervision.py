"""supervision: cases, statutory clocks and cards, risk signals, accountability, operation log and rule alerts

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 05:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "operation_log",
        sa.Column("rule", sa.Integer(), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), server_default=sa.text("sunbid_now()"), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("route", sa.String(length=300), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("status", sa.SmallInteger(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=True),
        sa.Column("organization_id", sa.UUID(), nullable=True),
        sa.Column("ip", sa.String(length=45), nullable=True),
        sa.Column("user_agent", sa.String(length=300), nullable=True),
        sa.Column("sealed", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("tender_id", sa.UUID(), nullable=True),
        sa.Column("subject_id", sa.UUID(), nullable=True),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operation_log")),
    )
    op.create_index(op.f("ix_operation_log_occurred_at"), "operation_log", ["occurred_at"], unique=False)
    op.create_index(op.f("ix_operation_log_organization_id"), "operation_log", ["organization_id"], unique=False)
    op.create_index(op.f("ix_operation_log_subject_id"), "operation_log", ["subject_id"], unique=False)
    op.create_index(op.f("ix_operation_log_tender_id"), "operation_log", ["tender_id"], unique=False)
    op.create_index(op.f("ix_operation_log_user_id"), "operation_log", ["user_id"], unique=False)
    op.create_table(
        "risk_signals",
        sa.Column("tender_id", sa.UUID(), nullable=False),
        sa.Column("lot", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("rule", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(length=200), nullable=False),
        sa.Column("bidder_org_ids", sa.ARRAY(sa.UUID()), nullable=False),
        sa.Column("evidence", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), server_default=sa.text("sunbid_now()"), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_signals")),
        sa.UniqueConstraint("tender_id", "kind", "fingerprint", name="uq_risk_signals_pattern"),
    )
    op.create_index(op.f("ix_risk_signals_kind"), "risk_signals", ["kind"], unique=False)
    op.create_index(op.f("ix_risk_signals_tender_id"), "risk_signals", ["tender_id"], unique=False)
    op.create_table(
        "rule_alerts",
        sa.Column("rule", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=80), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), server_default=sa.text("sunbid_now()"), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("route", sa.String(length=300), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("status", sa.SmallInteger(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=True),
        sa.Column("organization_id", sa.UUID(), nullable=True),
        sa.Column("ip", sa.String(length=45), nullable=True),
        sa.Column("user_agent", sa.String(length=300), nullable=True),
        sa.Column("sealed", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("tender_id", sa.UUID(), nullable=True),
        sa.Column("subject_id", sa.UUID(), nullable=True),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rule_alerts")),
    )
    op.create_index(op.f("ix_rule_alerts_occurred_at"), "rule_alerts", ["occurred_at"], unique=False)
    op.create_index(op.f("ix_rule_alerts_organization_id"), "rule_alerts", ["organization_id"], unique=False)
    op.create_index(op.f("ix_rule_alerts_rule"), "rule_alerts", ["rule"], unique=False)
    op.create_index(op.f("ix_rule_alerts_subject_id"), "rule_alerts", ["subject_id"], unique=False)
    op.create_index(op.f("ix_rule_alerts_tender_id"), "rule_alerts", ["tender_id"], unique=False)
    op.create_index(op.f("ix_rule_alerts_user_id"), "rule_alerts", ["user_id"], unique=False)
    op.create_table(
        "supervision_cases",
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("matter", sa.String(length=20), nullable=False),
        sa.Column("tender_id", sa.UUID(), nullable=False),
        sa.Column("complainant_org_id", sa.UUID(), nullable=False),
        sa.Column("filed_by", sa.UUID(), nullable=False),
        sa.Column("respondent_org_id", sa.UUID(), nullable=False),
        sa.Column("prior_case_id", sa.UUID(), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("grounds", sa.Text(), nullable=False),
        sa.Column("known_on", sa.Date(), nullable=False),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("answer_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_by", sa.UUID(), nullable=True),
        sa.Column("acceptance_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rejection_reason", sa.Text(), nullable=True),
        sa.Column("decision_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("decision", sa.Text(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.UUID(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("holds_suspension", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("sunbid_now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("sunbid_now()"), nullable=False),
        sa.CheckConstraint(
            "kind in ('objection', 'challenge', 'inquiry', 'complaint')", name=op.f("ck_supervision_cases_kind_known")
        ),
        sa.CheckConstraint(
            "matter in ('documents', 'opening', 'result', 'process', 'other')",
            name=op.f("ck_supervision_cases_matter_known"),
        ),
        sa.CheckConstraint(
            "outcome is null or outcome in ('upheld', 'partly_upheld', 'dismissed')",
            name=op.f("ck_supervision_cases_outcome_known"),
        ),
        sa.CheckConstraint(
            "status in ('filed', 'answered', 'accepted', 'rejected', 'decided', 'withdrawn')",
            name=op.f("ck_supervision_cases_status_known"),
        ),
        sa.ForeignKeyConstraint(["answered_by"], ["users.id"], name=op.f("fk_supervision_cases_answered_by_users")),
        sa.ForeignKeyConstraint(
            ["complainant_org_id"],
            ["organizations.id"],
            name=op.f("fk_supervision_cases_complainant_org_id_organizations"),
        ),
        sa.ForeignKeyConstraint(["decided_by"], ["users.id"], name=op.f("fk_supervision_cases_decided_by_users")),
        sa.ForeignKeyConstraint(["filed_by"], ["users.id"], name=op.f("fk_supervision_cases_filed_by_users")),
        sa.ForeignKeyConstraint(
            ["prior_case_id"],
            ["supervision_cases.id"],
            name=op.f("fk_supervision_cases_prior_case_id_supervision_cases"),
        ),
        sa.ForeignKeyConstraint(
            ["respondent_org_id"],
            ["organizations.id"],
            name=op.f("fk_supervision_cases_respondent_org_id_organizations"),
        ),
        sa.ForeignKeyConstraint(["tender_id"], ["tenders.id"], name=op.f("fk_supervision_cases_tender_id_tenders")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervision_cases")),
    )
    op.create_index(
        op.f("ix_supervision_cases_complainant_org_id"), "supervision_cases", ["complainant_org_id"], unique=False
    )
    op.create_index(op.f("ix_supervision_cases_kind"), "supervision_cases", ["kind"], unique=False)
    op.create_index(
        op.f("ix_supervision_cases_respondent_org_id"), "supervision_cases", ["respondent_org_id"], unique=False
    )
    op.create_index(op.f("ix_supervision_cases_status"), "supervision_cases", ["status"], unique=False)
    op.create_index(op.f("ix_supervision_cases_tender_id"), "supervision_cases", ["tender_id"], unique=False)
    op.create_table(
        "supervision_clocks",
        sa.Column("subject_type", sa.String(length=30), nullable=False),
        sa.Column("subject_id", sa.UUID(), nullable=False),
        sa.Column("purpose", sa.String(length=30), nullable=False),
        sa.Column("tender_id", sa.UUID(), nullable=True),
        sa.Column("rule", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("responsible_org_id", sa.UUID(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("yellow_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=10), server_default=sa.text("'running'"), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.CheckConstraint(
            "state in ('running', 'yellow', 'red', 'met', 'cancelled')", name=op.f("ck_supervision_clocks_state_known")
        ),
        sa.CheckConstraint(
            "yellow_at <= due_at and started_at <= yellow_at", name=op.f("ck_supervision_clocks_times_ordered")
        ),
        sa.ForeignKeyConstraint(
            ["responsible_org_id"],
            ["organizations.id"],
            name=op.f("fk_supervision_clocks_responsible_org_id_organizations"),
        ),
        sa.ForeignKeyConstraint(["tender_id"], ["tenders.id"], name=op.f("fk_supervision_clocks_tender_id_tenders")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervision_clocks")),
    )
    op.create_index("ix_supervision_clocks_open_due", "supervision_clocks", ["state", "due_at"], unique=False)
    op.create_index(
        op.f("ix_supervision_clocks_responsible_org_id"), "supervision_clocks", ["responsible_org_id"], unique=False
    )
    op.create_index(op.f("ix_supervision_clocks_subject_id"), "supervision_clocks", ["subject_id"], unique=False)
    op.create_index(op.f("ix_supervision_clocks_tender_id"), "supervision_clocks", ["tender_id"], unique=False)
    op.create_table(
        "accountability_records",
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("target_org_id", sa.UUID(), nullable=False),
        sa.Column("target_user_id", sa.UUID(), nullable=True),
        sa.Column("tender_id", sa.UUID(), nullable=True),
        sa.Column("case_id", sa.UUID(), nullable=True),
        sa.Column("rule", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("issued_by", sa.UUID(), nullable=False),
        sa.Column("issuer_org_id", sa.UUID(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), server_default=sa.text("sunbid_now()"), nullable=False),
        sa.Column("event_id", sa.UUID(), nullable=True),
        sa.Column("event_sha256", sa.String(length=64), nullable=True),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.CheckConstraint(
            "kind in ('warning', 'expert_suspension', 'debarment')", name=op.f("ck_accountability_records_kind_known")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["supervision_cases.id"], name=op.f("fk_accountability_records_case_id_supervision_cases")
        ),
        sa.ForeignKeyConstraint(["issued_by"], ["users.id"], name=op.f("fk_accountability_records_issued_by_users")),
        sa.ForeignKeyConstraint(
            ["issuer_org_id"], ["organizations.id"], name=op.f("fk_accountability_records_issuer_org_id_organizations")
        ),
        sa.ForeignKeyConstraint(
            ["target_org_id"], ["organizations.id"], name=op.f("fk_accountability_records_target_org_id_organizations")
        ),
        sa.ForeignKeyConstraint(
            ["target_user_id"], ["users.id"], name=op.f("fk_accountability_records_target_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["tender_id"], ["tenders.id"], name=op.f("fk_accountability_records_tender_id_tenders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accountability_records")),
    )
    op.create_index(op.f("ix_accountability_records_kind"), "accountability_records", ["kind"], unique=False)
    op.create_index(
        op.f("ix_accountability_records_target_org_id"), "accountability_records", ["target_org_id"], unique=False
    )
    op.create_index(op.f("ix_accountability_records_tender_id"), "accountability_records", ["tender_id"], unique=False)
    op.create_table(
        "supervision_cards",
        sa.Column("clock_id", sa.UUID(), nullable=False),
        sa.Column("colour", sa.String(length=10), nullable=False),
        sa.Column("rule", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("tender_id", sa.UUID(), nullable=True),
        sa.Column("responsible_org_id", sa.UUID(), nullable=False),
        sa.Column("subject_type", sa.String(length=30), nullable=False),
        sa.Column("subject_id", sa.UUID(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), server_default=sa.text("sunbid_now()"), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.CheckConstraint("colour in ('yellow', 'red')", name=op.f("ck_supervision_cards_colour_known")),
        sa.ForeignKeyConstraint(
            ["clock_id"],
            ["supervision_clocks.id"],
            name=op.f("fk_supervision_cards_clock_id_supervision_clocks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervision_cards")),
        sa.UniqueConstraint("clock_id", "colour", name="uq_supervision_cards_clock_colour"),
    )
    op.create_index(op.f("ix_supervision_cards_colour"), "supervision_cards", ["colour"], unique=False)
    op.create_index(op.f("ix_supervision_cards_raised_at"), "supervision_cards", ["raised_at"], unique=False)
    op.create_index(
        op.f("ix_supervision_cards_responsible_org_id"), "supervision_cards", ["responsible_org_id"], unique=False
    )
    op.create_index(op.f("ix_supervision_cards_rule"), "supervision_cards", ["rule"], unique=False)
    op.create_index(op.f("ix_supervision_cards_tender_id"), "supervision_cards", ["tender_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_supervision_cards_tender_id"), table_name="supervision_cards")
    op.drop_index(op.f("ix_supervision_cards_rule"), table_name="supervision_cards")
    op.drop_index(op.f("ix_supervision_cards_responsible_org_id"), table_name="supervision_cards")
    op.drop_index(op.f("ix_supervision_cards_raised_at"), table_name="supervision_cards")
    op.drop_index(op.f("ix_supervision_cards_colour"), table_name="supervision_cards")
    op.drop_table("supervision_cards")
    op.drop_index(op.f("ix_accountability_records_tender_id"), table_name="accountability_records")
    op.drop_index(op.f("ix_accountability_records_target_org_id"), table_name="accountability_records")
    op.drop_index(op.f("ix_accountability_records_kind"), table_name="accountability_records")
    op.drop_table("accountability_records")
    op.drop_index(op.f("ix_supervision_clocks_tender_id"), table_name="supervision_clocks")
    op.drop_index(op.f("ix_supervision_clocks_subject_id"), table_name="supervision_clocks")
    op.drop_index(op.f("ix_supervision_clocks_responsible_org_id"), table_name="supervision_clocks")
    op.drop_index("ix_supervision_clocks_open_due", table_name="supervision_clocks")
    op.drop_table("supervision_clocks")
    op.drop_index(op.f("ix_supervision_cases_tender_id"), table_name="supervision_cases")
    op.drop_index(op.f("ix_supervision_cases_status"), table_name="supervision_cases")
    op.drop_index(op.f("ix_supervision_cases_respondent_org_id"), table_name="supervision_cases")
    op.drop_index(op.f("ix_supervision_cases_kind"), table_name="supervision_cases")
    op.drop_index(op.f("ix_supervision_cases_complainant_org_id"), table_name="supervision_cases")
    op.drop_table("supervision_cases")
    op.drop_index(op.f("ix_rule_alerts_user_id"), table_name="rule_alerts")
    op.drop_index(op.f("ix_rule_alerts_tender_id"), table_name="rule_alerts")
    op.drop_index(op.f("ix_rule_alerts_subject_id"), table_name="rule_alerts")
    op.drop_index(op.f("ix_rule_alerts_rule"), table_name="rule_alerts")
    op.drop_index(op.f("ix_rule_alerts_organization_id"), table_name="rule_alerts")
    op.drop_index(op.f("ix_rule_alerts_occurred_at"), table_name="rule_alerts")
    op.drop_table("rule_alerts")
    op.drop_index(op.f("ix_risk_signals_tender_id"), table_name="risk_signals")
    op.drop_index(op.f("ix_risk_signals_kind"), table_name="risk_signals")
    op.drop_table("risk_signals")
    op.drop_index(op.f("ix_operation_log_user_id"), table_name="operation_log")
    op.drop_index(op.f("ix_operation_log_tender_id"), table_name="operation_log")
    op.drop_index(op.f("ix_operation_log_subject_id"), table_name="operation_log")
    op.drop_index(op.f("ix_operation_log_organization_id"), table_name="operation_log")
    op.drop_index(op.f("ix_operation_log_occurred_at"), table_name="operation_log")
    op.drop_table("operation_log")
