"""Personal numbers never rest in clear outside encrypted columns, and per-client attempt counters.

- `rate_counters`: attempts per client and window (bot.core.limits) for staff logins and
  residents' status look-ups.
- The 12345 hotline's utterances, calling number and suggestions are encrypted
  (bot.core.models.EncryptedText / EncryptedJSON); `caller_number` becomes Text to hold the token.
- `handoff_tickets.callback_phone` (encrypted) holds a 12345 caller's number for the call-back;
  the work order on the ticket shows it masked.
- What is kept in clear is masked (bot.core.privacy.redact): residents' messages on tickets,
  tickets' transcripts and work orders, internal notes.

Run it with the same INTAKE_SECRET as the services (`make run` does).

Revision ID: 0008_privacy
Revises: 0007_console_speed
Create Date: 2026-12-03

"""
import json
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from bot.core.privacy import encrypt, redact, redact_value

revision: str = '0008_privacy'
down_revision: Union[str, None] = '0007_console_speed'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

PREFIX = "enc:"  # bot.core.models.ENCRYPTED_PREFIX

utterances = sa.table('hotline_utterances', sa.column('id', sa.Integer), sa.column('text', sa.Text))
calls = sa.table('hotline_calls', sa.column('id', sa.Integer), sa.column('caller_number', sa.Text),
                 sa.column('state', sa.JSON))
tickets = sa.table('handoff_tickets', sa.column('id', sa.Integer), sa.column('transcript', sa.JSON),
                   sa.column('screening_summary', sa.Text))
messages = sa.table('messages', sa.column('id', sa.Integer), sa.column('direction', sa.String),
                    sa.column('text', sa.Text))
notes = sa.table('internal_notes', sa.column('id', sa.Integer), sa.column('text', sa.Text))


def _sealed(value):
    return value if value is None or str(value).startswith(PREFIX) else PREFIX + encrypt(str(value))


def upgrade() -> None:
    op.create_table('rate_counters',
        sa.Column('scope', sa.String(length=32), nullable=False),
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('window_start', sa.DateTime(), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('scope', 'key', 'window_start')
    )
    op.create_index(op.f('ix_rate_counters_expires_at'), 'rate_counters', ['expires_at'], unique=False)
    # caller_number becomes Text by a new column, never by rebuilding the table: on SQLite a rebuild
    # drops the old table, and its ON DELETE CASCADE would take every utterance of every call with it.
    op.add_column('hotline_calls', sa.Column('caller_number_text', sa.Text(), nullable=True))
    op.execute("UPDATE hotline_calls SET caller_number_text = caller_number")
    op.execute("ALTER TABLE hotline_calls DROP COLUMN caller_number")
    op.execute("ALTER TABLE hotline_calls RENAME COLUMN caller_number_text TO caller_number")
    op.add_column('handoff_tickets', sa.Column('callback_phone', sa.Text(), nullable=True))

    connection = op.get_bind()
    for pk, text in connection.execute(sa.select(utterances.c.id, utterances.c.text)).all():
        connection.execute(utterances.update().where(utterances.c.id == pk).values(text=_sealed(text)))
    for pk, number, state in connection.execute(sa.select(calls.c.id, calls.c.caller_number, calls.c.state)).all():
        if isinstance(state, str):
            state = json.loads(state)
        if state is not None and not (isinstance(state, dict) and set(state) == {"encrypted"}):
            state = {"encrypted": encrypt(json.dumps(state, ensure_ascii=False, default=str))}
        connection.execute(calls.update().where(calls.c.id == pk).values(caller_number=_sealed(number), state=state))
    for pk, transcript, summary in connection.execute(
            sa.select(tickets.c.id, tickets.c.transcript, tickets.c.screening_summary)).all():
        if isinstance(transcript, str):
            transcript = json.loads(transcript)
        connection.execute(tickets.update().where(tickets.c.id == pk).values(
            transcript=redact_value(transcript), screening_summary=redact(summary) if summary else summary))
    for table in (messages, notes):
        query = sa.select(table.c.id, table.c.text)
        if table is messages:
            query = query.where(messages.c.direction == "in")
        for pk, text in connection.execute(query).all():
            masked = redact(text)
            if masked != text:
                connection.execute(table.update().where(table.c.id == pk).values(text=masked))


def downgrade() -> None:
    # Masked text stays masked, and encrypted values stay encrypted (the models read both).
    op.execute("ALTER TABLE handoff_tickets DROP COLUMN callback_phone")
    op.drop_index(op.f('ix_rate_counters_expires_at'), table_name='rate_counters')
    op.drop_table('rate_counters')
