"""study design: facility default protocol, protocol version and Table 1 on the family, measurement window

Revision ID: 0014
Revises: 0013 (chained after main's danger-sign migration when main was merged)
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FAMILY = (
    ('protocol_version', sa.Integer()),
    ('birth_time', sqlmodel.sql.sqltypes.AutoString(length=5)),
    ('mother_age', sa.Integer()),
    ('parity', sa.Integer()),
    ('education', sqlmodel.sql.sqltypes.AutoString(length=16)),
    ('work', sqlmodel.sql.sqltypes.AutoString(length=16)),
    ('birth_mode', sqlmodel.sql.sqltypes.AutoString(length=16)),
    ('characteristics_skipped', sa.Boolean()),
)


def upgrade() -> None:
    with op.batch_alter_table('facilities') as batch:
        batch.add_column(sa.Column('default_protocol', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
    with op.batch_alter_table('families') as batch:
        for name, kind in _FAMILY:
            batch.add_column(sa.Column(name, kind, nullable=True))
    with op.batch_alter_table('measurements') as batch:
        batch.add_column(sa.Column('window', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('measurements') as batch:
        batch.drop_column('window')
    with op.batch_alter_table('families') as batch:
        for name, _ in reversed(_FAMILY):
            batch.drop_column(name)
    with op.batch_alter_table('facilities') as batch:
        batch.drop_column('default_protocol')
