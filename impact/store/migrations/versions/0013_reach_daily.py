"""Reach per metric and day: the sum of the day's counted increments, its counting readings and the projects
reporting the metric for the first time, so that a programme's reach over time reads its days, not its readings
(see impact/store/increments.py).

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 12:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0013'
down_revision: Union[str, Sequence[str], None] = '0012'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# The rule of impact.store.increments as it stands in this revision (a migration keeps its own copy): per metric
# and day, the counted increments summed and counted, and the series whose first counting reading is that day.
BACKFILL = """
INSERT INTO reach_daily (metric_id, as_of, increment, readings, new_projects)
SELECT days.metric_id, days.as_of, days.increment, days.readings, COALESCE(firsts.projects, 0)
FROM (
    SELECT metric_id, as_of, SUM(counted_increment) AS increment, COUNT(*) AS readings
    FROM reach_readings WHERE counted_increment IS NOT NULL GROUP BY metric_id, as_of
) AS days
LEFT JOIN (
    SELECT metric_id, first_day, COUNT(*) AS projects FROM (
        SELECT metric_id, project_id, MIN(as_of) AS first_day
        FROM reach_readings WHERE counted_increment IS NOT NULL GROUP BY metric_id, project_id
    ) AS series GROUP BY metric_id, first_day
) AS firsts ON firsts.metric_id = days.metric_id AND firsts.first_day = days.as_of
"""


def upgrade() -> None:
    op.create_table(
        'reach_daily',
        sa.Column('metric_id', sa.Integer(), nullable=False),
        sa.Column('as_of', sa.Date(), nullable=False),
        sa.Column('increment', sa.BigInteger(), nullable=False),
        sa.Column('readings', sa.Integer(), nullable=False),
        sa.Column('new_projects', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['metric_id'], ['metrics.id'], name=op.f('fk_reach_daily_metric_id_metrics')),
        sa.PrimaryKeyConstraint('metric_id', 'as_of', name=op.f('pk_reach_daily')),
    )
    op.execute(BACKFILL)


def downgrade() -> None:
    op.drop_table('reach_daily')
