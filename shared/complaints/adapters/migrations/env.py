"""Alembic environment of the read-model database (run by `complaints.adapters.readmodel.migrate`)."""

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=None, transactional_ddl=True)
with context.begin_transaction():
    context.run_migrations()
