"""Accounts, funder grants, team update keys, sign-in throttling, free-text updates, review decisions and
project revisions (for concurrent edits).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 21:28:37.060404

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0003'
down_revision: Union[str, Sequence[str], None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('accounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('password_hash', sa.Text(), nullable=True),
    sa.Column('disabled', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.CheckConstraint("role IN ('staff', 'funder')", name=op.f('ck_accounts_role')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_accounts')),
    sa.UniqueConstraint('email', name=op.f('uq_accounts_email'))
    )
    op.create_table('sign_in_failures',
    sa.Column('scope', sa.String(length=400), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_failed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('scope', name=op.f('pk_sign_in_failures'))
    )
    op.create_table('grants',
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_grants_account_id_accounts')),
    sa.ForeignKeyConstraint(['programme_id'], ['programmes.id'], name=op.f('fk_grants_programme_id_programmes')),
    sa.PrimaryKeyConstraint('account_id', 'programme_id', name=op.f('pk_grants'))
    )
    op.create_table('project_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by', sa.String(length=200), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('evidence_url', sa.Text(), nullable=False),
    sa.Column('review_state', sa.String(length=20), nullable=False),
    sa.Column('review_note', sa.Text(), server_default='', nullable=False),
    sa.Column('reviewed_by', sa.String(length=200), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("review_state IN ('pending', 'approved', 'returned')", name=op.f('ck_project_notes_review_state')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_project_notes_project_id_projects')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_project_notes'))
    )
    with op.batch_alter_table('project_notes', schema=None) as batch_op:
        batch_op.create_index('ix_project_notes_pending', ['id'], unique=False, sqlite_where=sa.text("review_state = 'pending'"), postgresql_where=sa.text("review_state = 'pending'"))
        batch_op.create_index(batch_op.f('ix_project_notes_project_id'), ['project_id'], unique=False)

    op.create_table('update_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('hint', sa.String(length=12), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('expires_on', sa.Date(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_update_keys_project_id_projects')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_update_keys')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_update_keys_key_hash'))
    )
    with op.batch_alter_table('update_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_update_keys_project_id'), ['project_id'], unique=False)

    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revision', sa.Integer(), server_default=sa.text('0'), nullable=False))

    with op.batch_alter_table('reach_readings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('review_note', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('reviewed_by', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_reach_readings_pending', ['id'], unique=False, sqlite_where=sa.text("review_state = 'pending'"), postgresql_where=sa.text("review_state = 'pending'"))

    with op.batch_alter_table('status_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('review_note', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('reviewed_by', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_status_events_pending', ['id'], unique=False, sqlite_where=sa.text("review_state = 'pending'"), postgresql_where=sa.text("review_state = 'pending'"))



def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('status_events', schema=None) as batch_op:
        batch_op.drop_index('ix_status_events_pending', sqlite_where=sa.text("review_state = 'pending'"), postgresql_where=sa.text("review_state = 'pending'"))
        batch_op.drop_column('reviewed_at')
        batch_op.drop_column('reviewed_by')
        batch_op.drop_column('review_note')

    with op.batch_alter_table('reach_readings', schema=None) as batch_op:
        batch_op.drop_index('ix_reach_readings_pending', sqlite_where=sa.text("review_state = 'pending'"), postgresql_where=sa.text("review_state = 'pending'"))
        batch_op.drop_column('reviewed_at')
        batch_op.drop_column('reviewed_by')
        batch_op.drop_column('review_note')

    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.drop_column('revision')

    with op.batch_alter_table('update_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_update_keys_project_id'))

    op.drop_table('update_keys')
    with op.batch_alter_table('project_notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_project_notes_project_id'))
        batch_op.drop_index('ix_project_notes_pending', sqlite_where=sa.text("review_state = 'pending'"), postgresql_where=sa.text("review_state = 'pending'"))

    op.drop_table('project_notes')
    op.drop_table('grants')
    op.drop_table('sign_in_failures')
    op.drop_table('accounts')
