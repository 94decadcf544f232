"""households carry their registration date (建档日期)

Revision ID: 0010_registered_on
Revises: a1fc351537bc
Create Date: 2026-12-01 18:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_registered_on"
down_revision: str | Sequence[str] | None = "a1fc351537bc"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("household", schema=None) as batch_op:
        batch_op.add_column(sa.Column("registered_on", sa.Date(), nullable=True))
    # Existing rows: the day they were entered, in China time, is the best date they have.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "UPDATE household SET registered_on = "
            "(created_at AT TIME ZONE 'Asia/Shanghai')::date"
        )
    else:
        op.execute("UPDATE household SET registered_on = date(created_at, '+8 hours')")
    with op.batch_alter_table("household", schema=None) as batch_op:
        batch_op.alter_column("registered_on", existing_type=sa.Date(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("household", schema=None) as batch_op:
        batch_op.drop_column("registered_on")
