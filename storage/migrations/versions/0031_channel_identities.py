"""channel_identities: people on WhatsApp, keyed by (channel, address), with an internal person id

Revision ID: 0031
Revises: 0029
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = '0031'
down_revision: str | None = '0029'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'channel_identities',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('channel', sa.String(length=16), nullable=False),
        sa.Column('address', sa.String(length=64), nullable=False),
        sa.Column('person_id', sa.BigInteger(), nullable=True),
        sa.Column('profile_name', sa.String(length=128), nullable=False),
        sa.Column('created_at', storage.types.UTCDateTime(), nullable=False),
        sa.Column('last_inbound_at', storage.types.UTCDateTime(), nullable=True),
        sa.Column('opt_in_version', sa.String(length=16), nullable=True),
        sa.Column('opted_in_at', storage.types.UTCDateTime(), nullable=True),
        sa.Column('paused_at', storage.types.UTCDateTime(), nullable=True),
        sa.Column('inbound_count', sa.Integer(), nullable=False),
        sa.Column('sent_count', sa.Integer(), nullable=False),
        sa.Column('choices', sa.JSON(), nullable=False),
        sa.Column('pending_text', sa.String(length=1024), nullable=False),
        sa.Column('held', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('channel', 'address', name='uq_channel_identities_address'),
        sa.UniqueConstraint('person_id'),
        sqlite_autoincrement=True,  # never the same id twice (a forgotten person's id is not given out again)
    )


def downgrade() -> None:
    op.drop_table('channel_identities')
