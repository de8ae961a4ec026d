"""Alembic environment: migrations run on the connection winlang hands over (no ini file)."""

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, version_table="winlang_schema_version")
with context.begin_transaction():
    context.run_migrations()
