"""Hotline calls (12345): the calls, their utterances and the suggestions computed from them.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0003'
down_revision: Union[str, None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('hotline_calls',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('call_id', sa.String(length=64), nullable=False),
        sa.Column('operator_id', sa.String(length=64), nullable=False),
        sa.Column('caller_number', sa.String(length=20), nullable=True),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('started_at', sa.DateTime(), nullable=False),
        sa.Column('ended_at', sa.DateTime(), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('utterance_count', sa.Integer(), nullable=False),
        sa.Column('state', sa.JSON(), nullable=True),
        sa.Column('state_revision', sa.Integer(), nullable=False),
        sa.Column('outcome', sa.String(length=16), nullable=True),
        sa.Column('outcome_note', sa.Text(), nullable=True),
        sa.Column('application_id', sa.Integer(), nullable=True),
        sa.Column('ticket_id', sa.Integer(), nullable=True),
        sa.Column('closed_by_id', sa.Integer(), nullable=True),
        sa.Column('closed_at', sa.DateTime(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['application_id'], ['applications.id'], ),
        sa.ForeignKeyConstraint(['closed_by_id'], ['staff_users.id'], ),
        sa.ForeignKeyConstraint(['ticket_id'], ['handoff_tickets.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('call_id')
    )
    op.create_index(op.f('ix_hotline_calls_operator_id'), 'hotline_calls', ['operator_id'], unique=False)
    op.create_index(op.f('ix_hotline_calls_status'), 'hotline_calls', ['status'], unique=False)
    op.create_index(op.f('ix_hotline_calls_updated_at'), 'hotline_calls', ['updated_at'], unique=False)
    op.create_table('hotline_utterances',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('call_pk', sa.Integer(), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('utterance_key', sa.String(length=64), nullable=False),
        sa.Column('speaker', sa.String(length=8), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('spoken_at', sa.DateTime(), nullable=False),
        sa.Column('received_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['call_pk'], ['hotline_calls.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('call_pk', 'utterance_key', name='uq_hotline_utterance')
    )
    op.create_index(op.f('ix_hotline_utterances_call_pk'), 'hotline_utterances', ['call_pk'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_hotline_utterances_call_pk'), table_name='hotline_utterances')
    op.drop_table('hotline_utterances')
    op.drop_index(op.f('ix_hotline_calls_updated_at'), table_name='hotline_calls')
    op.drop_index(op.f('ix_hotline_calls_status'), table_name='hotline_calls')
    op.drop_index(op.f('ix_hotline_calls_operator_id'), table_name='hotline_calls')
    op.drop_table('hotline_calls')
