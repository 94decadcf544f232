"""visits per village and month: the statistics' trend reads a row per village and month

Revision ID: 59096c277d67
Revises: e3b5a7c9d214
Create Date: 2026-12-02 05:01:01.062761
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "59096c277d67"
down_revision: str | Sequence[str] | None = "e3b5a7c9d214"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# What backend/visits/village_months.py keeps from now on, from the visits stored so far
# (corrections included, as the visit list counts them; ix_visit_area_month answers it).
BACKFILL = """INSERT INTO visit_village_month (area_code, month, visits)
    SELECT area_code, month, count(*) FROM visit GROUP BY area_code, month"""


def upgrade() -> None:
    op.create_table(
        "visit_village_month",
        sa.Column("area_code", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("month", sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
        sa.Column("visits", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["area_code"], ["area.code"], name=op.f("fk_visit_village_month_area_code_area")
        ),
        sa.PrimaryKeyConstraint("area_code", "month", name=op.f("pk_visit_village_month")),
    )
    op.execute(BACKFILL)


def downgrade() -> None:
    op.drop_table("visit_village_month")
