"""Loading one row by id together with its access check: the same 404 whether it is missing
or out of the caller's reach, and locked (FOR UPDATE) when the use case will change it."""

from collections.abc import Callable
from typing import Any, TypeVar

from sqlmodel import Session

from backend.core import db
from backend.core.errors import NotFound

T = TypeVar("T")


def load_or_404(
    session: Session,
    model: type[T],
    row_id: Any,
    *,
    sees: Callable[[T], bool],
    missing: str,
    lock: bool = False,
) -> T:
    """The row, if it exists and `sees` it; else NotFound(`missing`). With `lock`, nothing
    else changes it until the use case commits: on PostgreSQL the row is read FOR UPDATE, on
    SQLite the process write lock is taken first (db.lock_for_write); either way it is read
    afresh, not taken from what the session read before."""
    if lock:
        db.lock_for_write(session)
    row = session.get(
        model, row_id, with_for_update=True if lock else None, populate_existing=lock or None
    )
    if row is None or not sees(row):
        raise NotFound(missing)
    return row
