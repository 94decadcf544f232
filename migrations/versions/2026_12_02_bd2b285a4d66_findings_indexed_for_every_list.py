"""findings indexed for every list: all of an area's findings, and by severity, are counted
and paged from an index like the lists by status and by check; the count by status from a
narrow one

Revision ID: bd2b285a4d66
Revises: d1ab5cf8e59c
Create Date: 2026-12-02 09:30:09.593379
"""

from collections.abc import Sequence

from alembic import op

revision: str = "bd2b285a4d66"
down_revision: str | Sequence[str] | None = "d1ab5cf8e59c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # (area_code) alone is the first column of the new (area_code, first_seen_at, id).
    op.drop_index("ix_finding_area_code", table_name="finding")
    op.create_index(
        "ix_finding_area_first_seen", "finding", ["area_code", "first_seen_at", "id"], unique=False
    )
    op.drop_index("ix_finding_status_area", table_name="finding")
    op.create_index(
        "ix_finding_status_area_severity",
        "finding",
        ["status", "area_code", "first_seen_at", "id", "severity"],
        unique=False,
    )
    # The count by status alone, a quarter of the wide index's pages.
    op.create_index(
        "ix_finding_status_area_count", "finding", ["status", "area_code"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_finding_status_area_count", table_name="finding")
    op.drop_index("ix_finding_status_area_severity", table_name="finding")
    op.create_index(
        "ix_finding_status_area",
        "finding",
        ["status", "area_code", "first_seen_at", "id"],
        unique=False,
    )
    op.drop_index("ix_finding_area_first_seen", table_name="finding")
    op.create_index("ix_finding_area_code", "finding", ["area_code"], unique=False)
