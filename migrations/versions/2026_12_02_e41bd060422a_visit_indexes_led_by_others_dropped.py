"""visit: the indexes on household_id and on area_code alone go, since
ix_visit_household_month and ix_visit_area_month lead with the same columns (every read's plan
is the same without them, and each stored visit writes two index entries fewer)

Revision ID: e41bd060422a
Revises: bd2b285a4d66
Create Date: 2026-12-02 09:39:48.308411
"""

from collections.abc import Sequence

from alembic import op

revision: str = "e41bd060422a"
down_revision: str | Sequence[str] | None = "bd2b285a4d66"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain DROP INDEX, not a batch: nothing about the table changes, so it is not copied.
    op.drop_index(op.f("ix_visit_area_code"), table_name="visit")
    op.drop_index(op.f("ix_visit_household_id"), table_name="visit")


def downgrade() -> None:
    op.create_index(op.f("ix_visit_household_id"), "visit", ["household_id"], unique=False)
    op.create_index(op.f("ix_visit_area_code"), "visit", ["area_code"], unique=False)
