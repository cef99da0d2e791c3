"""Notices are published by maker-checker (issue 13): one supervisor proposes a notice for
publication, a second supervisor of the region approves it or sends it back with a reason. The row
keeps the last proposal and the last review; every step is also in the audit log.

Revision ID: 0009_notice_review
Revises: 0008_privacy
Create Date: 2026-12-03

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0009_notice_review'
down_revision: Union[str, None] = '0008_privacy'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('policy_notices') as batch:
        batch.add_column(sa.Column('proposed_by_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('proposed_by', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('proposed_at', sa.DateTime(), nullable=True))
        batch.add_column(sa.Column('reviewed_by_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('reviewed_by', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('reviewed_at', sa.DateTime(), nullable=True))
        batch.add_column(sa.Column('review_note', sa.String(length=1000), nullable=True))
        batch.create_foreign_key('fk_policy_notices_proposed_by_id', 'staff_users', ['proposed_by_id'], ['id'])
        batch.create_foreign_key('fk_policy_notices_reviewed_by_id', 'staff_users', ['reviewed_by_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('policy_notices') as batch:
        batch.drop_constraint('fk_policy_notices_reviewed_by_id', type_='foreignkey')
        batch.drop_constraint('fk_policy_notices_proposed_by_id', type_='foreignkey')
        for column in ('review_note', 'reviewed_at', 'reviewed_by', 'reviewed_by_id', 'proposed_at', 'proposed_by',
                       'proposed_by_id'):
            batch.drop_column(column)
