"""channel_message_statuses: WhatsApp's status callbacks (sent, delivered, read, failed) for what the bot sent

Revision ID: 0033
Revises: 0031
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = '0033'
down_revision: str | None = '0031'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'channel_message_statuses',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('channel', sa.String(length=16), nullable=False),
        sa.Column('provider_message_id', sa.String(length=255), nullable=False),
        sa.Column('person_id', sa.BigInteger(), nullable=True),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('at', storage.types.UTCDateTime(), nullable=False),
        sa.Column('error_code', sa.Integer(), nullable=True),
        sa.Column('error_title', sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('channel_message_statuses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_channel_message_statuses_provider_message_id'), ['provider_message_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_channel_message_statuses_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_channel_message_statuses_at'), ['at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('channel_message_statuses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_channel_message_statuses_at'))
        batch_op.drop_index(batch_op.f('ix_channel_message_statuses_person_id'))
        batch_op.drop_index(batch_op.f('ix_channel_message_statuses_provider_message_id'))
    op.drop_table('channel_message_statuses')
