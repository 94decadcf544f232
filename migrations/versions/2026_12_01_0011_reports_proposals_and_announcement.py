"""reports: proposals take the self-report's chain; the decision's income and line; 公告

Revision ID: 0011_proposals
Revises: 0010_registered_on
Create Date: 2026-12-01 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_proposals"
down_revision: str | Sequence[str] | None = "0010_registered_on"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("self_report", schema=None) as batch_op:
        # Every report made so far is a farmer's (or 代报) self-report.
        batch_op.add_column(
            sa.Column("kind", sa.String(length=32), nullable=False, server_default="self_report")
        )
        batch_op.add_column(sa.Column("proposal_visit_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("decision_income", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("decision_income_basis", sa.String(length=16), nullable=True)
        )
        batch_op.add_column(sa.Column("decision_line_year", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("decision_line_amount", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("announced_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("announcement_days", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_self_report_kind"), ["kind"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_self_report_proposal_visit_id_visit"),
            "visit",
            ["proposal_visit_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("self_report", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_self_report_proposal_visit_id_visit"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_self_report_kind"))
        for name in (
            "announcement_days",
            "announced_on",
            "decision_line_amount",
            "decision_line_year",
            "decision_income_basis",
            "decision_income",
            "proposal_visit_id",
            "kind",
        ):
            batch_op.drop_column(name)
