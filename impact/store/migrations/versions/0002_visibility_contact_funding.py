"""Programme visibility and silence threshold; project contact and funding (for the portfolio and review).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 17:56:44.760509

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0002'
down_revision: Union[str, Sequence[str], None] = '0001'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('programmes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('public', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('silent_after_days', sa.Integer(), server_default=sa.text('90'), nullable=False))

    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contact_email', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('funding_amount', sa.Numeric(precision=14, scale=2), nullable=True))
        batch_op.add_column(sa.Column('funding_currency', sa.String(length=3), server_default='', nullable=False))
        batch_op.add_column(sa.Column('funder', sa.Text(), server_default='', nullable=False))



def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.drop_column('funder')
        batch_op.drop_column('funding_currency')
        batch_op.drop_column('funding_amount')
        batch_op.drop_column('contact_email')

    with op.batch_alter_table('programmes', schema=None) as batch_op:
        batch_op.drop_column('silent_after_days')
        batch_op.drop_column('public')

