"""household: coverage's count per village from a narrow index of its own (area_code,
monitoring_status, last_visited_month, id), read in village order without the table

Revision ID: a7c3e9d1b254
Revises: ceefc0f32da4
Create Date: 2026-12-02 13:33:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "a7c3e9d1b254"
down_revision: str | Sequence[str] | None = "ceefc0f32da4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_household_village_visits",
        "household",
        ["area_code", "monitoring_status", "last_visited_month", "id"],
    )


def downgrade() -> None:
    op.drop_index("ix_household_village_visits", table_name="household")
