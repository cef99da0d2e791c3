"""Local standards and notices kept in the console: dated standard values with maker-checker,
the supervisor's region, notices uploaded by staff, and version counters that tell every worker
to reload.

Revision ID: 0006_standards
Revises: 0005_console_helpdesk
Create Date: 2026-12-03

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0006_standards'
down_revision: Union[str, None] = '0005_console_helpdesk'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('staff_users') as batch:
        batch.add_column(sa.Column('region', sa.String(length=64), nullable=True))
    op.create_table('standard_values',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('region', sa.String(length=64), nullable=False),
        sa.Column('parameter', sa.String(length=64), nullable=False),
        sa.Column('data', sa.JSON(), nullable=False),
        sa.Column('effective', sa.Date(), nullable=False),
        sa.Column('valid_until', sa.Date(), nullable=True),
        sa.Column('doc_number', sa.String(length=64), nullable=False),
        sa.Column('doc_title', sa.String(length=200), nullable=False),
        sa.Column('doc_issued', sa.Date(), nullable=False),
        sa.Column('clause', sa.String(length=64), nullable=False),
        sa.Column('source', sa.String(length=500), nullable=False),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('pending_key', sa.String(length=140), nullable=True),
        sa.Column('proposed_by_id', sa.Integer(), nullable=False),
        sa.Column('proposed_by', sa.String(length=64), nullable=False),
        sa.Column('proposed_at', sa.DateTime(), nullable=False),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('decided_by', sa.String(length=64), nullable=True),
        sa.Column('decided_at', sa.DateTime(), nullable=True),
        sa.Column('decision_note', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['decided_by_id'], ['staff_users.id'], ),
        sa.ForeignKeyConstraint(['proposed_by_id'], ['staff_users.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('pending_key')
    )
    op.create_index(op.f('ix_standard_values_region'), 'standard_values', ['region'], unique=False)
    op.create_table('registry_versions',
        sa.Column('name', sa.String(length=32), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('changed_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('name')
    )
    op.create_table('policy_notices',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('doc_id', sa.String(length=64), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('document', sa.JSON(), nullable=False),
        sa.Column('source_text', sa.Text(), nullable=False),
        sa.Column('file_name', sa.String(length=200), nullable=False),
        sa.Column('region', sa.String(length=64), nullable=False),
        sa.Column('ended_on', sa.Date(), nullable=True),
        sa.Column('ended_reason', sa.String(length=16), nullable=True),
        sa.Column('ended_note', sa.String(length=200), nullable=True),
        sa.Column('created_by_id', sa.Integer(), nullable=False),
        sa.Column('created_by', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('published_by', sa.String(length=64), nullable=True),
        sa.Column('published_at', sa.DateTime(), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['created_by_id'], ['staff_users.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('doc_id')
    )


def downgrade() -> None:
    op.drop_table('policy_notices')
    op.drop_table('registry_versions')
    op.drop_index(op.f('ix_standard_values_region'), table_name='standard_values')
    op.drop_table('standard_values')
    with op.batch_alter_table('staff_users') as batch:
        batch.drop_column('region')
