"""questions: the kind (a "Tanya bidan" question or a forwarded family message), how many messages joined it
and who wrote them

Revision ID: 0023
Revises: 0017
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0023'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=16), nullable=False, server_default='question'))
        batch_op.add_column(sa.Column('messages', sa.Integer(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('writers', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.drop_column('writers')
        batch_op.drop_column('messages')
        batch_op.drop_column('kind')
