"""Applicants' mobile and ID numbers encrypted at rest, each with a keyed HMAC for exact look-ups.

The clear columns `mobile` and `id_number` are replaced by `mobile_encrypted` and
`id_number_encrypted` (bot.core.privacy.encrypt, key from INTAKE_SECRET), and `mobile_digest`
joins `id_digest` (both recomputed with bot.core.privacy.lookup_digest). Run it with the same
INTAKE_SECRET as the services (`make run` does).

Revision ID: 0004_registry_encrypted
Revises: 0003
Create Date: 2026-11-29

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from bot.core.privacy import decrypt, encrypt, lookup_digest

revision: str = '0004_registry_encrypted'
down_revision: Union[str, None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

applicants = sa.table(
    'applicants',
    sa.column('id', sa.Integer), sa.column('mobile', sa.String), sa.column('id_number', sa.String),
    sa.column('mobile_encrypted', sa.Text), sa.column('id_number_encrypted', sa.Text),
    sa.column('id_digest', sa.String), sa.column('mobile_digest', sa.String),
)


def upgrade() -> None:
    with op.batch_alter_table('applicants') as batch:
        batch.add_column(sa.Column('mobile_encrypted', sa.Text(), nullable=True))
        batch.add_column(sa.Column('id_number_encrypted', sa.Text(), nullable=True))
        batch.add_column(sa.Column('mobile_digest', sa.String(length=64), nullable=True))
    connection = op.get_bind()
    rows = connection.execute(sa.select(applicants.c.id, applicants.c.mobile, applicants.c.id_number)).all()
    for pk, mobile, id_number in rows:
        connection.execute(applicants.update().where(applicants.c.id == pk).values(
            mobile_encrypted=encrypt(mobile), id_number_encrypted=encrypt(id_number),
            mobile_digest=lookup_digest("mobile", mobile), id_digest=lookup_digest("id", id_number),
        ))
    with op.batch_alter_table('applicants') as batch:
        batch.alter_column('mobile_encrypted', existing_type=sa.Text(), nullable=False)
        batch.alter_column('id_number_encrypted', existing_type=sa.Text(), nullable=False)
        batch.alter_column('mobile_digest', existing_type=sa.String(length=64), nullable=False)
        batch.drop_column('mobile')
        batch.drop_column('id_number')
        batch.create_index(batch.f('ix_applicants_mobile_digest'), ['mobile_digest'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('applicants') as batch:
        batch.add_column(sa.Column('mobile', sa.String(length=11), nullable=True))
        batch.add_column(sa.Column('id_number', sa.String(length=18), nullable=True))
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(applicants.c.id, applicants.c.mobile_encrypted, applicants.c.id_number_encrypted)
    ).all()
    for pk, mobile, id_number in rows:
        connection.execute(applicants.update().where(applicants.c.id == pk).values(
            mobile=decrypt(mobile) or "", id_number=decrypt(id_number) or "",
        ))
    with op.batch_alter_table('applicants') as batch:
        batch.alter_column('mobile', existing_type=sa.String(length=11), nullable=False)
        batch.alter_column('id_number', existing_type=sa.String(length=18), nullable=False)
        batch.drop_index(batch.f('ix_applicants_mobile_digest'))
        batch.drop_column('mobile_digest')
        batch.drop_column('mobile_encrypted')
        batch.drop_column('id_number_encrypted')
