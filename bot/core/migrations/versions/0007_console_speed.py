"""The console's pages within 200 ms with 10,000 applications: covering indexes for what is due
or overdue (by 经办人 and 乡镇), the dashboard's counts over a date range and each application's
first 受理; single-column indexes they make redundant are dropped.

Revision ID: 0007_console_speed
Revises: 0006_standards
Create Date: 2026-12-03

"""
from typing import Sequence, Union

from alembic import op

revision: str = '0007_console_speed'
down_revision: Union[str, None] = '0006_standards'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.drop_index('ix_applications_due_status', table_name='applications')
    op.drop_index('ix_applications_district', table_name='applications')
    op.drop_index('ix_applications_created_at', table_name='applications')
    op.drop_index('ix_applications_assignee_id', table_name='applications')
    op.drop_index('ix_status_changes_application_id', table_name='status_changes')
    op.create_index('ix_applications_due_open', 'applications',
                    ['due_date', 'status', 'district', 'assignee_id', 'created_at', 'updated_at'], unique=False)
    op.create_index('ix_applications_district_open', 'applications',
                    ['district', 'status', 'due_date', 'assignee_id'], unique=False)
    op.create_index('ix_applications_assignee_open', 'applications',
                    ['assignee_id', 'status', 'due_date', 'district'], unique=False)
    op.create_index('ix_applications_created_district', 'applications', ['created_at', 'district'], unique=False)
    op.create_index('ix_status_changes_created', 'status_changes',
                    ['created_at', 'to_status', 'from_status', 'application_id', 'actor_id'], unique=False)
    op.create_index('ix_status_changes_first_accept', 'status_changes',
                    ['application_id', 'to_status', 'created_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_status_changes_first_accept', table_name='status_changes')
    op.drop_index('ix_status_changes_created', table_name='status_changes')
    op.drop_index('ix_applications_created_district', table_name='applications')
    op.drop_index('ix_applications_assignee_open', table_name='applications')
    op.drop_index('ix_applications_district_open', table_name='applications')
    op.drop_index('ix_applications_due_open', table_name='applications')
    op.create_index('ix_status_changes_application_id', 'status_changes', ['application_id'], unique=False)
    op.create_index('ix_applications_created_at', 'applications', ['created_at'], unique=False)
    op.create_index('ix_applications_district', 'applications', ['district'], unique=False)
    op.create_index('ix_applications_assignee_id', 'applications', ['assignee_id'], unique=False)
    op.create_index('ix_applications_due_status', 'applications', ['due_date', 'status'], unique=False)
