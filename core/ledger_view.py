"""Read-only access to ledger checkpoints for layers below supervision (a draw takes its seed from one)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True)
class CheckpointView:
    """A signed tree head: its size, root hash and C2SP note."""

    size: int
    root: bytes
    note: str


async def first_checkpoint_covering(session: AsyncSession, event_seq: int) -> CheckpointView | None:
    """The first checkpoint whose tree includes the journal event: necessarily signed after that event."""
    row = (
        await session.execute(
            text(
                "select c.size, c.root, c.note from ledger_entries e "
                "join ledger_checkpoints c on c.size > e.index "
                "where e.event_seq = :seq order by c.size limit 1"
            ),
            {"seq": event_seq},
        )
    ).first()
    if row is None:
        return None
    return CheckpointView(int(row.size), bytes(row.root), str(row.note))
