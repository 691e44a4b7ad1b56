"""Alembic environment: a synchronous psycopg connection (multi-statement SQL works), every domain's metadata."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

from sunbid.models import include_object, metadata

config = context.config
target_metadata = metadata


def sync_url(url: str) -> str:
    """The same database through psycopg, whatever async driver the app uses."""
    return url.replace("postgresql+asyncpg://", "postgresql+psycopg://", 1)


def run_migrations_offline() -> None:
    """Emit SQL without a database connection."""
    context.configure(
        url=sync_url(config.get_main_option("sqlalchemy.url") or ""),
        target_metadata=target_metadata,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Apply migrations in one transaction."""
    engine = create_engine(sync_url(config.get_main_option("sqlalchemy.url") or ""), poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            compare_type=True,
            include_object=include_object,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
