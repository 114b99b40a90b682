"""Programme targets: a programme's plan for its total reach of a metric, or for its funnel (funded, launched).

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 10:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0011'
down_revision: Union[str, Sequence[str], None] = '0010'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'programme_targets',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('programme_id', sa.Integer(), nullable=False),
        sa.Column('metric_id', sa.Integer(), nullable=True),
        sa.Column('stage', sa.String(length=20), nullable=True),
        sa.Column('set_on', sa.Date(), nullable=False),
        sa.Column('due_on', sa.Date(), nullable=False),
        sa.Column('value', sa.BigInteger(), nullable=False),
        sa.Column('baseline_on', sa.Date(), nullable=False),
        sa.Column('baseline_value', sa.BigInteger(), nullable=False),
        sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('recorded_by', sa.String(length=200), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('evidence_url', sa.Text(), nullable=False),
        sa.Column('review_state', sa.String(length=20), nullable=False),
        sa.Column('review_note', sa.Text(), server_default='', nullable=False),
        sa.Column('reviewed_by', sa.String(length=200), nullable=True),
        sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint('value >= 0 AND baseline_value >= 0',
                           name=op.f('ck_programme_targets_values_not_negative')),
        sa.CheckConstraint('baseline_on < due_on', name=op.f('ck_programme_targets_baseline_before_due')),
        sa.CheckConstraint("review_state IN ('pending', 'approved', 'returned')",
                           name=op.f('ck_programme_targets_review_state')),
        sa.CheckConstraint("(metric_id IS NULL AND stage IN ('funded', 'launched')) OR "
                           "(metric_id IS NOT NULL AND stage IS NULL)",
                           name=op.f('ck_programme_targets_metric_or_stage')),
        sa.ForeignKeyConstraint(['metric_id'], ['metrics.id'], name=op.f('fk_programme_targets_metric_id_metrics')),
        sa.ForeignKeyConstraint(['programme_id'], ['programmes.id'],
                                name=op.f('fk_programme_targets_programme_id_programmes')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_programme_targets')),
    )
    op.create_index('ix_programme_targets_programme', 'programme_targets', ['programme_id', 'due_on'])
    op.create_index(op.f('ix_programme_targets_metric_id'), 'programme_targets', ['metric_id'])


def downgrade() -> None:
    op.drop_table('programme_targets')
