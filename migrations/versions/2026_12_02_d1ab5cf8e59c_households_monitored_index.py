"""households: the monitored households of an area from one index (the statistics' risks)

Revision ID: d1ab5cf8e59c
Revises: 07a42b413ee9
Create Date: 2026-12-02 09:20:06.331819
"""

from collections.abc import Sequence

from alembic import op

revision: str = "d1ab5cf8e59c"
down_revision: str | Sequence[str] | None = "07a42b413ee9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_household_monitored", "household", ["monitoring_status", "area_code", "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_household_monitored", table_name="household")
