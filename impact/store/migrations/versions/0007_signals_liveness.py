"""Liveness signals: a project's repository, and each automatic check of its website or repository with its time.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 10:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0007'
down_revision: Union[str, Sequence[str], None] = '0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('projects') as batch:
        batch.add_column(sa.Column('repository', sa.Text(), nullable=False, server_default=''))
    op.create_table('signals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ok', sa.Boolean(), nullable=False),
    sa.Column('http_status', sa.Integer(), nullable=True),
    sa.Column('final_url', sa.Text(), nullable=False),
    sa.Column('tls_valid', sa.Boolean(), nullable=True),
    sa.Column('tls_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('response_ms', sa.Integer(), nullable=True),
    sa.Column('parked', sa.Boolean(), nullable=False),
    sa.Column('last_commit_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.CheckConstraint("kind IN ('website', 'repository')", name=op.f('ck_signals_kind')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_signals_project_id_projects')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signals'))
    )
    with op.batch_alter_table('signals') as batch:
        batch.create_index('ix_signals_project_kind_checked', ['project_id', 'kind', 'checked_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('signals') as batch:
        batch.drop_index('ix_signals_project_kind_checked')
    op.drop_table('signals')
    with op.batch_alter_table('projects') as batch:
        batch.drop_column('repository')
