"""consent text version, facility ethics approval, the vital signs a health worker takes before a massage, and
each measurement's class against the baby's day norm

Revision ID: 0025
Revises: 0017
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = '0025'
down_revision: str | None = '0023'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('consent_version', sa.String(length=32), nullable=True))
    with op.batch_alter_table('facilities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ethics_approval', sa.String(length=64), nullable=True))
    with op.batch_alter_table('measurements', schema=None) as batch_op:
        batch_op.add_column(sa.Column('norm_class', sa.String(length=32), nullable=True))
    op.create_table(
        'massage_vitals',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('family_id', sa.Integer(), nullable=False),
        sa.Column('session_id', sa.Integer(), nullable=True),
        sa.Column('recorded_by', sa.Integer(), nullable=True),
        sa.Column('measured_at', storage.types.UTCDateTime(), nullable=False),
        sa.Column('systolic', sa.Integer(), nullable=False),
        sa.Column('diastolic', sa.Integer(), nullable=False),
        sa.Column('pulse', sa.Integer(), nullable=False),
        sa.Column('breathing', sa.Integer(), nullable=False),
        sa.Column('normal', sa.Boolean(), nullable=False),
        sa.Column('outside', sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(['family_id'], ['families.id']),
        sa.ForeignKeyConstraint(['session_id'], ['massage_sessions.id']),
        sa.ForeignKeyConstraint(['recorded_by'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('massage_vitals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_massage_vitals_family_id'), ['family_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('massage_vitals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_massage_vitals_family_id'))
    op.drop_table('massage_vitals')
    with op.batch_alter_table('measurements', schema=None) as batch_op:
        batch_op.drop_column('norm_class')
    with op.batch_alter_table('facilities', schema=None) as batch_op:
        batch_op.drop_column('ethics_approval')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('consent_version')
