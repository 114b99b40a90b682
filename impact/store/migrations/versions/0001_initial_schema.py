"""Initial schema: programmes with their figures, challenges and metrics; projects; their history; the audit log.

Revision ID: 0001
Revises: 
Create Date: 2026-11-28 17:53:09.304833

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0001'
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('audit_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('subject', sa.Text(), nullable=False),
    sa.Column('before', sa.Text(), nullable=True),
    sa.Column('after', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_entries'))
    )
    op.create_table('programmes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=True),
    sa.Column('starts_on', sa.Date(), nullable=True),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('illustrative_note', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_programmes')),
    sa.UniqueConstraint('slug', name=op.f('uq_programmes_slug'))
    )
    op.create_table('challenges',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.ForeignKeyConstraint(['programme_id'], ['programmes.id'], name=op.f('fk_challenges_programme_id_programmes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_challenges')),
    sa.UniqueConstraint('programme_id', 'slug', name=op.f('uq_challenges_programme_id_slug'))
    )
    op.create_table('metrics',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('unit', sa.String(length=80), nullable=False),
    sa.ForeignKeyConstraint(['programme_id'], ['programmes.id'], name=op.f('fk_metrics_programme_id_programmes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_metrics')),
    sa.UniqueConstraint('programme_id', 'slug', name=op.f('uq_metrics_programme_id_slug'))
    )
    op.create_table('programme_figures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=60), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['programme_id'], ['programmes.id'], name=op.f('fk_programme_figures_programme_id_programmes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_programme_figures')),
    sa.UniqueConstraint('programme_id', 'key', name=op.f('uq_programme_figures_programme_id_key'))
    )
    op.create_table('projects',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=120), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('challenge_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('team', sa.Text(), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('website', sa.Text(), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('illustrative', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['challenge_id'], ['challenges.id'], name=op.f('fk_projects_challenge_id_challenges')),
    sa.ForeignKeyConstraint(['programme_id'], ['programmes.id'], name=op.f('fk_projects_programme_id_programmes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_projects')),
    sa.UniqueConstraint('slug', name=op.f('uq_projects_slug'))
    )
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_projects_challenge_id'), ['challenge_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_projects_programme_id'), ['programme_id'], unique=False)

    op.create_table('reach_readings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('metric_id', sa.Integer(), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.Column('supersedes_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by', sa.String(length=200), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('evidence_url', sa.Text(), nullable=False),
    sa.Column('review_state', sa.String(length=20), nullable=False),
    sa.CheckConstraint("review_state IN ('pending', 'approved', 'returned')", name=op.f('ck_reach_readings_review_state')),
    sa.CheckConstraint('value >= 0', name=op.f('ck_reach_readings_value_not_negative')),
    sa.ForeignKeyConstraint(['metric_id'], ['metrics.id'], name=op.f('fk_reach_readings_metric_id_metrics')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_reach_readings_project_id_projects')),
    sa.ForeignKeyConstraint(['supersedes_id'], ['reach_readings.id'], name=op.f('fk_reach_readings_supersedes_id_reach_readings')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reach_readings'))
    )
    with op.batch_alter_table('reach_readings', schema=None) as batch_op:
        batch_op.create_index('ix_reach_readings_project_metric_as_of', ['project_id', 'metric_id', 'as_of'], unique=False)
        batch_op.create_index(batch_op.f('ix_reach_readings_supersedes_id'), ['supersedes_id'], unique=False)

    op.create_table('status_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('effective_date', sa.Date(), nullable=False),
    sa.Column('supersedes_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by', sa.String(length=200), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('evidence_url', sa.Text(), nullable=False),
    sa.Column('review_state', sa.String(length=20), nullable=False),
    sa.CheckConstraint("review_state IN ('pending', 'approved', 'returned')", name=op.f('ck_status_events_review_state')),
    sa.CheckConstraint("status IN ('idea', 'funded', 'in_development', 'launched', 'discontinued')", name=op.f('ck_status_events_status')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_status_events_project_id_projects')),
    sa.ForeignKeyConstraint(['supersedes_id'], ['status_events.id'], name=op.f('fk_status_events_supersedes_id_status_events')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_status_events'))
    )
    with op.batch_alter_table('status_events', schema=None) as batch_op:
        batch_op.create_index('ix_status_events_project_effective', ['project_id', 'effective_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_status_events_supersedes_id'), ['supersedes_id'], unique=False)



def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('status_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_status_events_supersedes_id'))
        batch_op.drop_index('ix_status_events_project_effective')

    op.drop_table('status_events')
    with op.batch_alter_table('reach_readings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reach_readings_supersedes_id'))
        batch_op.drop_index('ix_reach_readings_project_metric_as_of')

    op.drop_table('reach_readings')
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_projects_programme_id'))
        batch_op.drop_index(batch_op.f('ix_projects_challenge_id'))

    op.drop_table('projects')
    op.drop_table('programme_figures')
    op.drop_table('metrics')
    op.drop_table('challenges')
    op.drop_table('programmes')
    op.drop_table('audit_entries')
