"""channel_messages_seen: inbound message ids taken from a channel's webhook (WhatsApp), processed once

Revision ID: 0029
Revises: 0017
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = '0029'
down_revision: str | None = '0027'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'channel_messages_seen',
        sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('provider_id', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column('seen_at', storage.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('channel', 'provider_id'),
    )
    with op.batch_alter_table('channel_messages_seen', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_channel_messages_seen_seen_at'), ['seen_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('channel_messages_seen', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_channel_messages_seen_seen_at'))
    op.drop_table('channel_messages_seen')
