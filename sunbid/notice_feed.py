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
    """Newest public notices first: tender, amendment and cancellation notices."""
    from trading.notices import services
    from trading.notices.pages import local

    async with factory() as session:
        notices = await services.latest_notices(session, limit)
    return [
        NoticeLink(
            title=(n.title_en or n.title) if lang == "en" else n.title,
            url=f"/notices/{n.id}",
            published=local(n.published_at),
        )
        for n in notices
    ]
