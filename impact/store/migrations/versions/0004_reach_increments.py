"""Reach pre-aggregated: each counting reading's increment over the one before it, and an index holding what the
reach pages sum (see impact/store/increments.py); indexes for a project's latest update.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 00:40:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0004'
down_revision: Union[str, Sequence[str], None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# The rule of impact.store.increments.recount as it stands in this revision (a migration keeps its own copy).
BACKFILL = """
UPDATE reach_readings SET counted_increment = increments.increment
FROM (
    SELECT r.id, r.value - LAG(r.value, 1, 0) OVER (
        PARTITION BY r.project_id, r.metric_id ORDER BY r.as_of, r.recorded_at, r.id) AS increment
    FROM reach_readings r
    WHERE r.review_state = 'approved' AND NOT EXISTS (
        SELECT 1 FROM reach_readings c WHERE c.supersedes_id = r.id AND c.review_state = 'approved')
) AS increments
WHERE reach_readings.id = increments.id
"""


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('reach_readings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('counted_increment', sa.BigInteger(), nullable=True))
    op.execute(BACKFILL)
    with op.batch_alter_table('reach_readings', schema=None) as batch_op:
        batch_op.create_index('ix_reach_readings_counted', ['metric_id', 'as_of', 'project_id', 'counted_increment'],
                              unique=False)
        batch_op.create_index('ix_reach_readings_updates', ['project_id', 'review_state', 'recorded_at'], unique=False)
    with op.batch_alter_table('status_events', schema=None) as batch_op:
        batch_op.create_index('ix_status_events_updates', ['project_id', 'review_state', 'recorded_at'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('status_events', schema=None) as batch_op:
        batch_op.drop_index('ix_status_events_updates')
    with op.batch_alter_table('reach_readings', schema=None) as batch_op:
        batch_op.drop_index('ix_reach_readings_updates')
        batch_op.drop_index('ix_reach_readings_counted')
        batch_op.drop_column('counted_increment')
