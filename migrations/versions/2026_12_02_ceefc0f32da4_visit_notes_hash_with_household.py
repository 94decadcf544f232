"""visit: the notes-hash index carries household_id, so "is this text pasted?" reads a hash's
first few distinct households in order and stops (PostgreSQL sorted every visit of the hash:
a template text has 18,000)

Revision ID: ceefc0f32da4
Revises: e41bd060422a
Create Date: 2026-12-02 12:33:12.521141
"""

from collections.abc import Sequence

from alembic import op

revision: str = "ceefc0f32da4"
down_revision: str | Sequence[str] | None = "e41bd060422a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain CREATE and DROP INDEX, not a batch: the table itself is not copied. The new index
    # first, so look-ups by notes_hash always have one.
    op.create_index("ix_visit_notes_hash_household", "visit", ["notes_hash", "household_id"])
    op.drop_index(op.f("ix_visit_notes_hash"), table_name="visit")


def downgrade() -> None:
    op.create_index(op.f("ix_visit_notes_hash"), "visit", ["notes_hash"], unique=False)
    op.drop_index("ix_visit_notes_hash_household", table_name="visit")
