"""Channel receipts: the ids of delivered channel messages, for de-duplicating retries; and
channel tokens: a channel's API credential (WeChat's access token) shared by every worker.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0002'
down_revision: Union[str, None] = '0001'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('channel_receipts',
        sa.Column('channel', sa.String(length=16), nullable=False),
        sa.Column('key', sa.String(length=128), nullable=False),
        sa.Column('received_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('channel', 'key')
    )
    op.create_index(op.f('ix_channel_receipts_received_at'), 'channel_receipts', ['received_at'], unique=False)
    op.create_table('channel_tokens',
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('value', sa.String(length=512), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('name')
    )


def downgrade() -> None:
    op.drop_table('channel_tokens')
    op.drop_index(op.f('ix_channel_receipts_received_at'), table_name='channel_receipts')
    op.drop_table('channel_receipts')
