"""The intake registry's tables, as in bot/core/models.py.

Revision ID: 0001
Revises:
Create Date: 2026-11-23

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0001'
down_revision: Union[str, None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('daily_sequences',
        sa.Column('day', sa.String(length=8), nullable=False),
        sa.Column('last', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('day')
    )
    op.create_table('staff_users',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('username', sa.String(length=64), nullable=False),
        sa.Column('display_name', sa.String(length=64), nullable=False),
        sa.Column('password_hash', sa.String(length=255), nullable=False),
        sa.Column('role', sa.String(length=16), nullable=False),
        sa.Column('district', sa.String(length=64), nullable=True),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('last_login_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('username')
    )
    op.create_table('applications',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('number', sa.String(length=20), nullable=False),
        sa.Column('channel', sa.String(length=16), nullable=False),
        sa.Column('conversation_id', sa.String(length=128), nullable=False),
        sa.Column('request_key', sa.String(length=64), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('region', sa.String(length=64), nullable=True),
        sa.Column('district', sa.String(length=64), nullable=False),
        sa.Column('programs', sa.JSON(), nullable=False),
        sa.Column('screening', sa.JSON(), nullable=True),
        sa.Column('consent', sa.Boolean(), nullable=False),
        sa.Column('consent_at', sa.DateTime(), nullable=True),
        sa.Column('assignee_id', sa.Integer(), nullable=True),
        sa.Column('department', sa.String(length=64), nullable=True),
        sa.Column('transferred_from', sa.String(length=64), nullable=True),
        sa.Column('feedback', sa.Text(), nullable=True),
        sa.Column('due_date', sa.Date(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['assignee_id'], ['staff_users.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('conversation_id', 'request_key', name='uq_application_request'),
        sa.UniqueConstraint('number')
    )
    op.create_index(op.f('ix_applications_assignee_id'), 'applications', ['assignee_id'])
    op.create_index(op.f('ix_applications_conversation_id'), 'applications', ['conversation_id'])
    op.create_index(op.f('ix_applications_created_at'), 'applications', ['created_at'])
    op.create_index(op.f('ix_applications_district'), 'applications', ['district'])
    op.create_index(op.f('ix_applications_due_date'), 'applications', ['due_date'])
    op.create_index(op.f('ix_applications_status'), 'applications', ['status'])
    op.create_table('audit_log',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('actor_name', sa.String(length=64), nullable=False),
        sa.Column('action', sa.String(length=32), nullable=False),
        sa.Column('object_type', sa.String(length=32), nullable=True),
        sa.Column('object_id', sa.String(length=32), nullable=True),
        sa.Column('detail', sa.Text(), nullable=True),
        sa.Column('ip', sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(['actor_id'], ['staff_users.id'], ),
        sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_audit_log_at'), 'audit_log', ['at'])
    op.create_table('staff_sessions',
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('csrf_token', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['staff_users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('token_hash')
    )
    op.create_table('applicants',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('application_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('mobile', sa.String(length=11), nullable=False),
        sa.Column('id_number', sa.String(length=18), nullable=False),
        sa.Column('id_digest', sa.String(length=64), nullable=False),
        sa.Column('address', sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(['application_id'], ['applications.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('application_id')
    )
    op.create_index(op.f('ix_applicants_id_digest'), 'applicants', ['id_digest'])
    op.create_index(op.f('ix_applicants_name'), 'applicants', ['name'])
    op.create_table('handoff_tickets',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('conversation_id', sa.String(length=128), nullable=False),
        sa.Column('channel', sa.String(length=32), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('reason', sa.String(length=16), nullable=False),
        sa.Column('district', sa.String(length=64), nullable=True),
        sa.Column('region', sa.String(length=64), nullable=True),
        sa.Column('transcript', sa.JSON(), nullable=False),
        sa.Column('screening_summary', sa.Text(), nullable=True),
        sa.Column('application_id', sa.Integer(), nullable=True),
        sa.Column('assignee_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('claimed_at', sa.DateTime(), nullable=True),
        sa.Column('closed_at', sa.DateTime(), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['application_id'], ['applications.id'], ),
        sa.ForeignKeyConstraint(['assignee_id'], ['staff_users.id'], ),
        sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_handoff_tickets_conversation_id'), 'handoff_tickets', ['conversation_id'])
    op.create_index(op.f('ix_handoff_tickets_created_at'), 'handoff_tickets', ['created_at'])
    op.create_index(op.f('ix_handoff_tickets_status'), 'handoff_tickets', ['status'])
    op.create_table('status_changes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('application_id', sa.Integer(), nullable=False),
        sa.Column('from_status', sa.String(length=16), nullable=True),
        sa.Column('to_status', sa.String(length=16), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('actor_name', sa.String(length=64), nullable=False),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['actor_id'], ['staff_users.id'], ),
        sa.ForeignKeyConstraint(['application_id'], ['applications.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_status_changes_application_id'), 'status_changes', ['application_id'])
    op.create_table('messages',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('ticket_id', sa.Integer(), nullable=True),
        sa.Column('application_id', sa.Integer(), nullable=True),
        sa.Column('conversation_id', sa.String(length=128), nullable=False),
        sa.Column('direction', sa.String(length=8), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=True),
        sa.Column('author_name', sa.String(length=64), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('channel', sa.String(length=32), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('delivered_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['application_id'], ['applications.id'], ),
        sa.ForeignKeyConstraint(['author_id'], ['staff_users.id'], ),
        sa.ForeignKeyConstraint(['ticket_id'], ['handoff_tickets.id'], ),
        sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_messages_application_id'), 'messages', ['application_id'])
    op.create_index(op.f('ix_messages_conversation_id'), 'messages', ['conversation_id'])
    op.create_index(op.f('ix_messages_ticket_id'), 'messages', ['ticket_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_messages_ticket_id'), table_name='messages')
    op.drop_index(op.f('ix_messages_conversation_id'), table_name='messages')
    op.drop_index(op.f('ix_messages_application_id'), table_name='messages')
    op.drop_table('messages')
    op.drop_index(op.f('ix_status_changes_application_id'), table_name='status_changes')
    op.drop_table('status_changes')
    op.drop_index(op.f('ix_handoff_tickets_status'), table_name='handoff_tickets')
    op.drop_index(op.f('ix_handoff_tickets_created_at'), table_name='handoff_tickets')
    op.drop_index(op.f('ix_handoff_tickets_conversation_id'), table_name='handoff_tickets')
    op.drop_table('handoff_tickets')
    op.drop_index(op.f('ix_applicants_name'), table_name='applicants')
    op.drop_index(op.f('ix_applicants_id_digest'), table_name='applicants')
    op.drop_table('applicants')
    op.drop_table('staff_sessions')
    op.drop_index(op.f('ix_audit_log_at'), table_name='audit_log')
    op.drop_table('audit_log')
    op.drop_index(op.f('ix_applications_status'), table_name='applications')
    op.drop_index(op.f('ix_applications_due_date'), table_name='applications')
    op.drop_index(op.f('ix_applications_district'), table_name='applications')
    op.drop_index(op.f('ix_applications_created_at'), table_name='applications')
    op.drop_index(op.f('ix_applications_conversation_id'), table_name='applications')
    op.drop_index(op.f('ix_applications_assignee_id'), table_name='applications')
    op.drop_table('applications')
    op.drop_table('staff_users')
    op.drop_table('daily_sequences')
