"""Targets per project and metric, and milestones: plan against actual.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 21:40:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0010'
down_revision: Union[str, Sequence[str], None] = '0009'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

STATES = "review_state IN ('pending', 'approved', 'returned')"


def _entry_columns() -> list:
    return [
        sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('recorded_by', sa.String(length=200), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('evidence_url', sa.Text(), nullable=False),
        sa.Column('review_state', sa.String(length=20), nullable=False),
        sa.Column('review_note', sa.Text(), server_default='', nullable=False),
        sa.Column('reviewed_by', sa.String(length=200), nullable=True),
        sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        'targets',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('project_id', sa.Integer(), nullable=False),
        sa.Column('metric_id', sa.Integer(), nullable=False),
        sa.Column('set_on', sa.Date(), nullable=False),
        sa.Column('due_on', sa.Date(), nullable=False),
        sa.Column('value', sa.BigInteger(), nullable=False),
        sa.Column('baseline_on', sa.Date(), nullable=False),
        sa.Column('baseline_value', sa.BigInteger(), nullable=False),
        *_entry_columns(),
        sa.CheckConstraint('value >= 0 AND baseline_value >= 0', name=op.f('ck_targets_values_not_negative')),
        sa.CheckConstraint('baseline_on < due_on', name=op.f('ck_targets_baseline_before_due')),
        sa.CheckConstraint(STATES, name=op.f('ck_targets_review_state')),
        sa.ForeignKeyConstraint(['metric_id'], ['metrics.id'], name=op.f('fk_targets_metric_id_metrics')),
        sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_targets_project_id_projects')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_targets')),
    )
    op.create_index('ix_targets_project_metric', 'targets', ['project_id', 'metric_id', 'due_on'])
    op.create_table(
        'milestones',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('project_id', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('planned_on', sa.Date(), nullable=False),
        sa.Column('done_on', sa.Date(), nullable=True),
        sa.Column('supersedes_id', sa.Integer(), nullable=True),
        *_entry_columns(),
        sa.CheckConstraint(STATES, name=op.f('ck_milestones_review_state')),
        sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_milestones_project_id_projects')),
        sa.ForeignKeyConstraint(['supersedes_id'], ['milestones.id'],
                                name=op.f('fk_milestones_supersedes_id_milestones')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_milestones')),
    )
    op.create_index(op.f('ix_milestones_project_id'), 'milestones', ['project_id'])
    op.create_index(op.f('ix_milestones_supersedes_id'), 'milestones', ['supersedes_id'])


def downgrade() -> None:
    op.drop_table('milestones')
    op.drop_table('targets')
