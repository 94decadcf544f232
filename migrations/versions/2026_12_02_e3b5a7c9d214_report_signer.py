"""rectification: 签发人 on a problem list, for the report sent upward (上行文)

Revision ID: e3b5a7c9d214
Revises: d9a4c2e7f150
Create Date: 2026-12-02 05:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "e3b5a7c9d214"
down_revision: str | Sequence[str] | None = "d9a4c2e7f150"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing lists have no signer: their report keeps the 下行文 版头 until one is typed.
    with op.batch_alter_table("problem_batch", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "signer",
                sqlmodel.sql.sqltypes.AutoString(length=40),
                nullable=False,
                server_default="",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("problem_batch", schema=None) as batch_op:
        batch_op.drop_column("signer")
