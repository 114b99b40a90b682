"""A reporting calendar per programme: a cadence or a list of due dates, and the grace days after each.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 10:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0012'
down_revision: Union[str, Sequence[str], None] = '0011'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('programmes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('report_every', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('report_from', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('report_dates', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('report_grace_days', sa.Integer(), server_default=sa.text('7'),
                                      nullable=False))
        batch_op.create_check_constraint('report_every', "report_every IN ('monthly', 'quarterly')")


def downgrade() -> None:
    with op.batch_alter_table('programmes', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_programmes_report_every'), type_='check')
        batch_op.drop_column('report_grace_days')
        batch_op.drop_column('report_dates')
        batch_op.drop_column('report_from')
        batch_op.drop_column('report_every')
