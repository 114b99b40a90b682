"""Metric definitions, and German and French versions of programme names and descriptions, figure labels and
metric labels and definitions.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 21:20:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0006'
down_revision: Union[str, Sequence[str], None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

COLUMNS = {
    "programmes": [("name_de", sa.String(200)), ("name_fr", sa.String(200)), ("description_de", sa.Text()),
                   ("description_fr", sa.Text())],
    "programme_figures": [("label_de", sa.String(200)), ("label_fr", sa.String(200))],
    "metrics": [("definition", sa.Text()), ("label_de", sa.String(200)), ("label_fr", sa.String(200)),
                ("definition_de", sa.Text()), ("definition_fr", sa.Text())],
}


def upgrade() -> None:
    for table, columns in COLUMNS.items():
        with op.batch_alter_table(table) as batch:
            for name, kind in columns:
                batch.add_column(sa.Column(name, kind, nullable=False, server_default=""))


def downgrade() -> None:
    for table, columns in COLUMNS.items():
        with op.batch_alter_table(table) as batch:
            for name, _kind in reversed(columns):
                batch.drop_column(name)
