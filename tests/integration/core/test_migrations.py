"""The schema is built by `alembic upgrade head`, and the models and migrations describe the same schema."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine

from core.database import alembic_config, migrate
from sunbid.models import include_object, metadata
from tests.support.db import EmbeddedCluster


async def test_models_and_migrations_do_not_drift(cluster: EmbeddedCluster) -> None:
    name = await cluster.empty()
    try:
        url = cluster.url(name)
        migrate(url, "heads")
        engine = create_engine(url.replace("+asyncpg", "+psycopg"))
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "include_object": include_object, "target_metadata": metadata}
            )
            diff = compare_metadata(context, metadata)
        engine.dispose()
        assert diff == [], f"models and migrations differ: {diff}"
    finally:
        await cluster.drop(name)


def test_there_is_exactly_one_head(cluster: EmbeddedCluster) -> None:
    heads = ScriptDirectory.from_config(alembic_config(cluster.url("postgres"))).get_heads()
    assert len(heads) == 1, f"migrations have several heads, add a merge revision: {heads}"
