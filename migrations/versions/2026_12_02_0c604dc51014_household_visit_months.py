"""household visit months: coverage counts from the households, not a probe per household

Revision ID: 0c604dc51014
Revises: b9a72fb088e5
Create Date: 2026-12-02 00:59:32.563338
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0c604dc51014"
down_revision: str | Sequence[str] | None = "b9a72fb088e5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The same three figures backend/visits/recording.py keeps from now on, from the visits
# stored so far (corrections aside; ix_visit_counted answers each sub-select).
BACKFILL = (
    """UPDATE household SET last_visited_month = (
        SELECT max(v.month) FROM visit v
        WHERE v.household_id = household.id AND v.corrects_id IS NULL)""",
    """UPDATE household SET helper_visit_month = (
        SELECT max(v.month) FROM visit v
        WHERE v.household_id = household.id AND v.corrects_id IS NULL
          AND v.visitor_id = household.helper_id)
    WHERE helper_id IS NOT NULL AND last_visited_month IS NOT NULL""",
    "UPDATE household SET helper_visit_by = helper_id WHERE helper_visit_month IS NOT NULL",
)


def upgrade() -> None:
    with op.batch_alter_table("household", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "last_visited_month", sqlmodel.sql.sqltypes.AutoString(length=7), nullable=True
            )
        )
        batch_op.add_column(
            sa.Column(
                "helper_visit_month", sqlmodel.sql.sqltypes.AutoString(length=7), nullable=True
            )
        )
        batch_op.add_column(sa.Column("helper_visit_by", sa.Uuid(), nullable=True))
        batch_op.drop_index(batch_op.f("ix_household_coverage"))
    for statement in BACKFILL:
        op.execute(statement)
    with op.batch_alter_table("household", schema=None) as batch_op:
        batch_op.create_index(
            "ix_household_visits",
            [
                "area_code",
                "reference",
                "monitoring_status",
                "category",
                "helper_id",
                "id",
                "last_visited_month",
                "helper_visit_month",
                "helper_visit_by",
            ],
            unique=False,
        )


    with op.batch_alter_table("ledger_entry", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ledger_entry_copied",
            ["month", "area_code", "household_id"],
            unique=False,
            sqlite_where=sa.text("copied_from_last_year IS 1 AND superseded_at IS NULL"),
            postgresql_where=sa.text("copied_from_last_year IS true AND superseded_at IS NULL"),
        )


def downgrade() -> None:
    with op.batch_alter_table("ledger_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_ledger_entry_copied")
    with op.batch_alter_table("household", schema=None) as batch_op:
        batch_op.drop_index("ix_household_visits")
        batch_op.create_index(
            batch_op.f("ix_household_coverage"),
            ["area_code", "reference", "monitoring_status", "category", "helper_id", "id"],
            unique=False,
        )
        batch_op.drop_column("helper_visit_by")
        batch_op.drop_column("helper_visit_month")
        batch_op.drop_column("last_visited_month")
