"""Loading one row by id together with its access check: the same 404 whether it is missing
or out of the caller's reach, and locked (FOR UPDATE) when the use case will change it."""

from collections.abc import Callable
from typing import Any, TypeVar

from sqlmodel import Session

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
    """The row, if it exists and `sees` it; else NotFound(`missing`). With `lock`, the row is
    read FOR UPDATE on PostgreSQL, so nothing else changes it until the use case commits (on
    SQLite the process write lock already serializes writers, and FOR UPDATE is not emitted)."""
    row = session.get(model, row_id, with_for_update=True if lock else None)
    if row is None or not sees(row):
        raise NotFound(missing)
    return row
