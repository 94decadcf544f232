"""member id number verdict: the data checks compare columns instead of decrypting members

Revision ID: 07a42b413ee9
Revises: 59096c277d67
Create Date: 2026-12-02 05:02:55.455787
"""

from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa
import sqlmodel
from alembic import op

from backend.core import security

revision: str = "07a42b413ee9"
down_revision: str | Sequence[str] | None = "59096c277d67"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHUNK = 2000


def _verdict(number: str) -> dict[str, object]:
    # What households.models.id_number_verdict stores from now on (written out here so this
    # revision keeps its meaning whatever that function becomes).
    if security.id_number_problem(number, date.max) is not None:
        return {"v": False, "s": None, "b": None}
    return {"v": True, "s": security.sex_of(number), "b": security.birth_date_of(number)}


def _backfill() -> None:
    """Every member with an ID number judged once (decrypted with the current or an old data
    key). A cipher no key opens stays unjudged (NULL): the checks then decrypt it themselves
    and say which key is missing, as before."""
    bind = op.get_bind()
    member = sa.table(
        "member",
        sa.column("id", sa.Uuid()),
        sa.column("id_number_cipher", sa.String()),
        sa.column("id_number_valid", sa.Boolean()),
        sa.column("id_sex", sa.String()),
        sa.column("id_birth_date", sa.Date()),
    )
    rows = bind.execute(
        sa.select(member.c.id, member.c.id_number_cipher).where(
            member.c.id_number_cipher.is_not(None)
        )
    ).all()
    try:
        numbers = list(security.decrypt_id_numbers(cipher for _, cipher in rows))
    except RuntimeError:
        return
    update = (
        sa.update(member)
        .where(member.c.id == sa.bindparam("m"))
        .values(
            id_number_valid=sa.bindparam("v"),
            id_sex=sa.bindparam("s"),
            id_birth_date=sa.bindparam("b"),
        )
    )
    values = [
        {"m": mid, **_verdict(number)} for (mid, _), number in zip(rows, numbers, strict=True)
    ]
    for i in range(0, len(values), CHUNK):
        bind.execute(update, values[i : i + CHUNK])


def upgrade() -> None:
    with op.batch_alter_table("member", schema=None) as batch_op:
        batch_op.add_column(sa.Column("id_number_valid", sa.Boolean(), nullable=True))
        batch_op.add_column(
            sa.Column("id_sex", sqlmodel.sql.sqltypes.AutoString(length=6), nullable=True)
        )
        batch_op.add_column(sa.Column("id_birth_date", sa.Date(), nullable=True))
    _backfill()


def downgrade() -> None:
    with op.batch_alter_table("member", schema=None) as batch_op:
        batch_op.drop_column("id_birth_date")
        batch_op.drop_column("id_sex")
        batch_op.drop_column("id_number_valid")
