"""massage sessions: when the hands-free timing ends, and whether the mother was comfortable

Revision ID: 0017
Revises: 0014
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = '0017'
down_revision: str | None = '0016'  # chained after main's 0014 when main was merged in (was '0001')
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('massage_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('paced_until', storage.types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('comfortable', sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('massage_sessions', schema=None) as batch_op:
        batch_op.drop_column('comfortable')
        batch_op.drop_column('paced_until')
