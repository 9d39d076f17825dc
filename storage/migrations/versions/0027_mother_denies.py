"""massage sessions: when the mother answered "not yet" to the question whether she was massaged

Revision ID: 0027
Revises: 0017
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = '0027'
down_revision: str | None = '0025'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('massage_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('denied_by_mother_at', storage.types.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('massage_sessions', schema=None) as batch_op:
        batch_op.drop_column('denied_by_mother_at')
