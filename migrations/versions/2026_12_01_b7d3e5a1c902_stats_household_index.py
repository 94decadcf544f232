"""stats: covering indexes for counting households and visits per village

Revision ID: b7d3e5a1c902
Revises: a1fc351537bc
Create Date: 2026-12-01 19:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = 'b7d3e5a1c902'
down_revision: str | Sequence[str] | None = '0011_proposals'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('household', schema=None) as batch_op:
        batch_op.create_index(
            'ix_household_stats',
            [
                'area_code',
                'category',
                'monitoring_status',
                'monitoring_type',
                'enrolled_on',
                'risk_cleared_on',
            ],
            unique=False,
        )
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.create_index('ix_visit_area_month', ['area_code', 'month'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.drop_index('ix_visit_area_month')
    with op.batch_alter_table('household', schema=None) as batch_op:
        batch_op.drop_index('ix_household_stats')
