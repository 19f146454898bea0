"""Alembic environment: runs on the connection handed over by ``ugen.store.db.migrate``."""

from __future__ import annotations

from alembic import context

from ugen.store.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through ugen.store.db.migrate()")
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    version_table="ugen_alembic_version",
    render_as_batch=True,
)
with context.begin_transaction():
    context.run_migrations()
