"""Lists in SQL: the filters that ask for one value of a column, and one page of the list
with the number of rows the whole list has."""

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import func
from sqlmodel import Session, col, select

T = TypeVar("T")


def equals(model: type[Any], filters: Any, *fields: str) -> list[Any]:
    """`model.<field> == filters.<field>` for each of `fields` that the filters set (a value
    given and not empty): the plain part of a list's filters, as SQL conditions."""
    return [getattr(model, f) == getattr(filters, f) for f in fields if getattr(filters, f)]


def page(
    session: Session,
    model: type[T],
    conditions: Sequence[Any],
    *,
    order_by: Sequence[Any],
    offset: int,
    limit: int,
) -> tuple[list[T], int]:
    """The rows of `model` meeting `conditions`, ordered, from `offset`, at most `limit`;
    and the count of all that meet them. A page that is not full is the list's end, so its
    count is known without counting (a name search scans every member once, not twice)."""
    stmt = select(model).where(*conditions).order_by(*order_by).offset(offset).limit(limit)
    rows = list(session.exec(stmt))
    if len(rows) < limit and (rows or not offset):
        return rows, offset + len(rows)
    count = session.exec(select(func.count()).select_from(model).where(*conditions)).one()
    return rows, count


def newest_first(model: type[Any]) -> list[Any]:
    """The `order_by` of a log-like list: newest first, the id breaking ties so that pages
    never repeat or skip a row made in the same instant."""
    return [col(model.created_at).desc(), col(model.id)]
