"""The dashboard counted afresh without computing anything per status change (issue 15): the
columns for each change's local day and days since the application's registration, and each
application's first 受理 and the days to it; the covering index by day. Their values and the
database triggers that keep them come with 0012_dashboard_changes_alone (bot.core.precounted).

A migration that changes applications, status changes or staff accounts raises the dashboard's
`applications` counter (bot.core.versions), as this one does: the web workers' kept figures
were counted from the rows before it.

Revision ID: 0011_dashboard_precount
Revises: 0010_notice_changes
Create Date: 2026-12-03

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from bot.core import versions

revision: str = '0011_dashboard_precount'
down_revision: Union[str, None] = '0010_notice_changes'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.add_column('applications', sa.Column('first_accepted_at', sa.DateTime(), nullable=True))
    op.add_column('applications', sa.Column('accepted_after', sa.Float(), nullable=True))
    op.add_column('status_changes', sa.Column('day', sa.Integer(), nullable=True))
    op.add_column('status_changes', sa.Column('since_registered', sa.Float(), nullable=True))
    connection = op.get_bind()
    # The values and the triggers that keep them are made by 0012_dashboard_changes_alone (it
    # replaces what this revision made on 2026-12-03 where it already ran).
    op.drop_index('ix_status_changes_created', table_name='status_changes')
    op.create_index('ix_status_changes_day', 'status_changes',
                    ['day', 'to_status', 'from_status', 'application_id', 'actor_id', 'since_registered',
                     'created_at'], unique=False)
    versions.bump_in_migration(connection, versions.APPLICATIONS)


def downgrade() -> None:
    connection = op.get_bind()
    op.drop_index('ix_status_changes_day', table_name='status_changes')
    op.create_index('ix_status_changes_created', 'status_changes',
                    ['created_at', 'to_status', 'from_status', 'application_id', 'actor_id'], unique=False)
    with op.batch_alter_table('status_changes') as batch:
        batch.drop_column('since_registered')
        batch.drop_column('day')
    with op.batch_alter_table('applications') as batch:
        batch.drop_column('accepted_after')
        batch.drop_column('first_accepted_at')
    versions.bump_in_migration(connection, versions.APPLICATIONS)
