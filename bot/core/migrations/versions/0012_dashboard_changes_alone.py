"""The dashboard reads a range's 受理 and 办结 from one index of status_changes alone (issue 15):
each change also keeps its application's 乡镇（街道）, the days from registration to the first 受理
and whether it is that first 受理, so no application row (with its screening snapshot, often
several pages) is read per change. Database triggers keep every value (bot.core.precounted),
whoever writes; the rows already there are filled in here. It raises the dashboard's counter.

Revision ID: 0012_dashboard_changes_alone
Revises: 0011_dashboard_precount
Create Date: 2026-12-03

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from bot.core import precounted, versions

revision: str = '0012_dashboard_changes_alone'
down_revision: Union[str, None] = '0011_dashboard_precount'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    connection = op.get_bind()
    precounted.drop_triggers(connection)  # those 0011 made where it ran before it was changed
    op.add_column('status_changes', sa.Column('district', sa.String(length=64), nullable=True))
    op.add_column('status_changes', sa.Column('accepted_after', sa.Float(), nullable=True))
    op.add_column('status_changes', sa.Column('first_accept', sa.Boolean(), nullable=True))
    precounted.backfill(connection)
    precounted.create_triggers(connection)
    op.drop_index('ix_status_changes_day', table_name='status_changes')
    op.create_index('ix_status_changes_day', 'status_changes',
                    ['day', 'to_status', 'from_status', 'first_accept', 'district', 'actor_id', 'since_registered',
                     'accepted_after'], unique=False)
    versions.bump_in_migration(connection, versions.APPLICATIONS)


def downgrade() -> None:
    connection = op.get_bind()
    precounted.drop_triggers(connection)
    op.drop_index('ix_status_changes_day', table_name='status_changes')
    op.create_index('ix_status_changes_day', 'status_changes',
                    ['day', 'to_status', 'from_status', 'application_id', 'actor_id', 'since_registered',
                     'created_at'], unique=False)
    with op.batch_alter_table('status_changes') as batch:
        batch.drop_column('first_accept')
        batch.drop_column('accepted_after')
        batch.drop_column('district')
    versions.bump_in_migration(connection, versions.APPLICATIONS)
