"""Alembic environment of the intake registry, driven by bot.intake.migrate (no alembic.ini).

bot.intake.migrate passes an open connection in `config.attributes["connection"]`; the revisions
run inside its transaction.
"""
from alembic import context

from bot.intake.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run the intake migrations with `python -m bot.intake.migrate`")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
