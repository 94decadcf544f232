"""Visits counted per village and month as they are stored, so the statistics' trend reads
a row per village and month instead of counting every visit of the year (922,000 at the
bench county)."""

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, delete

from backend.core.scope import within
from backend.visits.models import Visit, VisitVillageMonth


def _count_statement(upsert: Any) -> Any:
    table = VisitVillageMonth.__table__  # type: ignore[attr-defined]
    stmt = upsert(table)
    return stmt.on_conflict_do_update(
        index_elements=["area_code", "month"],
        set_={"visits": table.c.visits + stmt.excluded.visits},
    )


# Built once: `excluded` alone made a copy of the table's columns each time (1 ms a visit).
_COUNT = {"sqlite": _count_statement(sqlite_insert), "postgresql": _count_statement(pg_insert)}


def count_stored(session: Session, rows: Iterable[Mapping[str, Any]]) -> None:
    """Add the visits just stored (rows with area_code and month) to their village-months:
    one upsert, in key order so two writers never take the rows in opposite orders."""
    added = Counter((row["area_code"], row["month"]) for row in rows)
    if not added:
        return
    conn = session.connection()
    conn.execute(
        _COUNT[conn.dialect.name],
        [{"area_code": a, "month": m, "visits": n} for (a, m), n in sorted(added.items())],
    )


def recount(*, session: Session) -> None:
    """Every village-month from the visits stored (what the migration that added the table
    did): for visits loaded in bulk beside the app (the bench county's generator)."""
    session.exec(delete(VisitVillageMonth))  # type: ignore[call-overload]
    table = VisitVillageMonth.__table__  # type: ignore[attr-defined]
    session.execute(
        insert(table).from_select(
            ["area_code", "month", "visits"],
            select(Visit.area_code, Visit.month, func.count()).group_by(
                col(Visit.area_code), col(Visit.month)
            ),
        )
    )


def monthly_counts(*, session: Session, prefix: str, months: list[str]) -> list[Any]:
    """Per village and month inside `prefix`: the visits recorded, rows (area_code, month, n)."""
    return list(
        session.execute(
            select(
                VisitVillageMonth.area_code, VisitVillageMonth.month, VisitVillageMonth.visits
            ).where(
                within(VisitVillageMonth.area_code, prefix),
                col(VisitVillageMonth.month).in_(months),
            )
        ).all()
    )
