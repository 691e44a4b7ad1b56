"""Ledger tables: entries with leaf hashes, perfect-subtree nodes, the compact range, checkpoints, sealed slots."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, Integer, LargeBinary, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import NOW_SQL, Base

STATE_ID = 1


class LedgerEntry(Base):
    """Leaf `index` of the one platform ledger; `entry` is the exact leaf data, `leaf_hash` its RFC 9162 hash."""

    __tablename__ = "ledger_entries"

    index: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(10))
    event_seq: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    entry: Mapped[bytes] = mapped_column(LargeBinary)
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    appended_at: Mapped[datetime] = mapped_column(server_default=text(NOW_SQL))


class LedgerNode(Base):
    """Root of the perfect subtree (level >= 1, index); stored once when completed, so proofs read O(log n) rows."""

    __tablename__ = "ledger_nodes"

    level: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    index: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class LedgerState(Base):
    """The single sequencer row: its row lock serializes appends; the watermark is the last sequenced (xid, seq)."""

    __tablename__ = "ledger_state"
    __table_args__ = (CheckConstraint(f"id = {STATE_ID}", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    size: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    compact: Mapped[bytes] = mapped_column(LargeBinary, server_default=text("''::bytea"))
    watermark_xid: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    watermark_seq: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))


class LedgerCheckpoint(Base):
    """A signed C2SP checkpoint note; one per tree size."""

    __tablename__ = "ledger_checkpoints"

    size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    root: Mapped[bytes] = mapped_column(LargeBinary(32))
    note: Mapped[str] = mapped_column(Text)
    signed_at: Mapped[datetime] = mapped_column(server_default=text(NOW_SQL))


class LedgerSlot(Base):
    """A sealed slot of a tender's stream; `salt` stays secret until the tender's reveal."""

    __tablename__ = "ledger_slots"

    tender_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    slot: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    salt: Mapped[bytes] = mapped_column(LargeBinary(32))
    batch: Mapped[bytes] = mapped_column(LargeBinary(32))
    ledger_index: Mapped[int] = mapped_column(BigInteger)
