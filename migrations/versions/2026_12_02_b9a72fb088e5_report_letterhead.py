"""rectification: the report as a 公文 — 发文机关标志, 发文字号, 抄送, 印发机关 on a problem list

Revision ID: b9a72fb088e5
Revises: c4e8f2a91d07
Create Date: 2026-12-02 01:04:53
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "b9a72fb088e5"
down_revision: str | Sequence[str] | None = "c4e8f2a91d07"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (("issuer_mark", 40), ("report_number", 40), ("copy_to", 200), ("printing_office", 80))


def upgrade() -> None:
    # Existing lists get empty fields: the report then derives the mark from the unit.
    with op.batch_alter_table("problem_batch", schema=None) as batch_op:
        for name, length in COLUMNS:
            batch_op.add_column(
                sa.Column(
                    name,
                    sqlmodel.sql.sqltypes.AutoString(length=length),
                    nullable=False,
                    server_default="",
                )
            )


def downgrade() -> None:
    with op.batch_alter_table("problem_batch", schema=None) as batch_op:
        for name, _ in reversed(COLUMNS):
            batch_op.drop_column(name)
