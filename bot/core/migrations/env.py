"""Alembic environment of the intake registry, driven by bot.core.migrate (no alembic.ini).

bot.core.migrate passes an open connection in `config.attributes["connection"]`; the revisions
run inside its transaction.
"""
from alembic import context

from bot.core.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run the intake migrations with `python -m bot.core.migrate`")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
