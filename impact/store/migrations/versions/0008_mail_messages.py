"""Mail: every email sent or to send, one-time sign-in links, contacts (language, opt-out, failures) and each
programme's mail switches.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 21:26:24.161025

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0008'
down_revision: Union[str, Sequence[str], None] = '0007'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('mail_contacts',
    sa.Column('address', sa.String(length=320), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=True),
    sa.Column('unsubscribe_token', sa.String(length=64), nullable=False),
    sa.Column('opted_out_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('failed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('failure', sa.Text(), server_default='', nullable=False),
    sa.PrimaryKeyConstraint('address', name=op.f('pk_mail_contacts')),
    sa.UniqueConstraint('unsubscribe_token', name=op.f('uq_mail_contacts_unsubscribe_token'))
    )
    op.create_table('mail_programmes',
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('reminders', sa.Boolean(), nullable=False),
    sa.Column('decisions', sa.Boolean(), nullable=False),
    sa.Column('digest', sa.Boolean(), nullable=False),
    sa.CheckConstraint("language IN ('en', 'fr', 'de')", name=op.f('ck_mail_programmes_language')),
    sa.ForeignKeyConstraint(['programme_id'], ['programmes.id'], name=op.f('fk_mail_programmes_programme_id_programmes')),
    sa.PrimaryKeyConstraint('programme_id', name=op.f('pk_mail_programmes'))
    )
    op.create_table('mail_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=True),
    sa.Column('address', sa.String(length=320), nullable=False),
    sa.Column('dedupe', sa.String(length=400), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('message_id', sa.String(length=250), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('error', sa.Text(), nullable=False),
    sa.CheckConstraint("kind IN ('reminder', 'approved', 'returned', 'digest')", name=op.f('ck_mail_messages_kind')),
    sa.CheckConstraint("state IN ('pending', 'sending', 'sent', 'failed', 'uncertain')", name=op.f('ck_mail_messages_state')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_mail_messages_project_id_projects')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_messages')),
    sa.UniqueConstraint('dedupe', name=op.f('uq_mail_messages_dedupe')),
    sa.UniqueConstraint('message_id', name=op.f('uq_mail_messages_message_id'))
    )
    with op.batch_alter_table('mail_messages', schema=None) as batch_op:
        batch_op.create_index('ix_mail_messages_project_kind', ['project_id', 'kind', 'created_at'], unique=False)
        batch_op.create_index('ix_mail_messages_state', ['state', 'next_attempt_at'], unique=False)

    op.create_table('mail_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('key_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['key_id'], ['update_keys.id'], name=op.f('fk_mail_links_key_id_update_keys')),
    sa.ForeignKeyConstraint(['message_id'], ['mail_messages.id'], name=op.f('fk_mail_links_message_id_mail_messages')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_mail_links_project_id_projects')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_links')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_mail_links_token_hash'))
    )
    with op.batch_alter_table('mail_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mail_links_project_id'), ['project_id'], unique=False)



def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('mail_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mail_links_project_id'))

    op.drop_table('mail_links')
    with op.batch_alter_table('mail_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_mail_messages_state')
        batch_op.drop_index('ix_mail_messages_project_kind')

    op.drop_table('mail_messages')
    op.drop_table('mail_programmes')
    op.drop_table('mail_contacts')
