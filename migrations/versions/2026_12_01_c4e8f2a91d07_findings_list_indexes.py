"""checks: the findings lists counted and ordered from an index (status, area, first seen)

Revision ID: c4e8f2a91d07
Revises: 88ddcf2959a0
Create Date: 2026-12-01 22:40:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "c4e8f2a91d07"
down_revision: str | Sequence[str] | None = "88ddcf2959a0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("finding", schema=None) as batch_op:
        batch_op.drop_index("ix_finding_status")
        batch_op.drop_index("ix_finding_check_status_area")
        batch_op.create_index(
            "ix_finding_check_status_area",
            ["check_code", "status", "area_code", "first_seen_at", "id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_finding_status_area",
            ["status", "area_code", "first_seen_at", "id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("finding", schema=None) as batch_op:
        batch_op.drop_index("ix_finding_status_area")
        batch_op.drop_index("ix_finding_check_status_area")
        batch_op.create_index(
            "ix_finding_check_status_area", ["check_code", "status", "area_code"], unique=False
        )
        batch_op.create_index("ix_finding_status", ["status"], unique=False)
