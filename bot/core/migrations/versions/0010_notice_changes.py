"""Unpublishing a notice and marking it superseded or expired are maker-checker too (issue 13):
one supervisor proposes the change, a second supervisor of the region approves it (it then takes
effect in every worker) or rejects it with a reason. `pending_change` holds the proposal (kind,
reason, date, note, proposer) until then; every step is in the audit log.

Revision ID: 0010_notice_changes
Revises: 0009_notice_review
Create Date: 2026-12-03

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0010_notice_changes'
down_revision: Union[str, None] = '0009_notice_review'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('policy_notices') as batch:
        batch.add_column(sa.Column('pending_change', sa.JSON(none_as_null=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('policy_notices') as batch:
        batch.drop_column('pending_change')
