"""Tables for organizations, users, session tokens and certificates (never private keys)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ARRAY, CheckConstraint, ForeignKey, LargeBinary, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import NOW_SQL, Base, IdMixin, TimestampMixin

ORG_TYPES = ("tenderee", "agency", "bidder", "guarantor", "regulator", "notary", "operator", "expert_pool")


class Organization(IdMixin, TimestampMixin, Base):
    """A party: a company or public body identified by its 统一社会信用代码."""

    __tablename__ = "organizations"
    __table_args__ = (CheckConstraint(f"org_type in {ORG_TYPES!r}", name="org_type_known"),)

    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    org_type: Mapped[str] = mapped_column(String(20))
    region: Mapped[str | None] = mapped_column(String(12))
    debarred_until: Mapped[datetime | None] = mapped_column()

    users: Mapped[list[User]] = relationship(back_populates="organization", lazy="raise")


class User(IdMixin, TimestampMixin, Base):
    """A person acting for an organization with roles scoped to it."""

    __tablename__ = "users"

    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"), index=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(Text)
    roles: Mapped[list[str]] = mapped_column(ARRAY(String(20)))
    active: Mapped[bool] = mapped_column(server_default=text("true"))

    organization: Mapped[Organization] = relationship(back_populates="users", lazy="joined")


class LoginThrottle(Base):
    """Failed sign-ins per account name and source address: a lockout keyed on the account alone would let anyone
    lock a competitor out just before a bid deadline, and one kept only for existing accounts would tell which
    usernames exist."""

    __tablename__ = "login_throttles"

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    source: Mapped[str] = mapped_column(String(45), primary_key=True)
    failures: Mapped[int] = mapped_column(server_default=text("0"))
    locked_until: Mapped[datetime | None] = mapped_column()


class AuthToken(Base):
    """A bearer token; only its SHA-256 is stored, so a database dump yields no usable token."""

    __tablename__ = "auth_tokens"

    token_sha256: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    issued_at: Mapped[datetime] = mapped_column(server_default=text(NOW_SQL))
    expires_at: Mapped[datetime] = mapped_column()
    revoked: Mapped[bool] = mapped_column(server_default=text("false"))


class Certificate(IdMixin, Base):
    """An X.509 certificate issued for a user's client-held key (ECDSA P-256 signing or age recipient record)."""

    __tablename__ = "certificates"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))
    serial_hex: Mapped[str] = mapped_column(String(64), unique=True)
    subject: Mapped[str] = mapped_column(Text)
    certificate_pem: Mapped[str] = mapped_column(Text)
    public_key_sha256: Mapped[str] = mapped_column(String(64), index=True)
    not_before: Mapped[datetime] = mapped_column()
    not_after: Mapped[datetime] = mapped_column()
    issued_at: Mapped[datetime] = mapped_column(server_default=text(NOW_SQL))
    revoked_at: Mapped[datetime | None] = mapped_column()


class AgeRecipient(IdMixin, Base):
    """A custodian's or bidder's age public recipient (age1...); the identity stays on the owner's machine."""

    __tablename__ = "age_recipients"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"), index=True)
    recipient: Mapped[str] = mapped_column(String(100), unique=True)
    label: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(server_default=text(NOW_SQL))
