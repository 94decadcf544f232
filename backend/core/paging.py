"""One page of a list, and how many rows the whole list has: two statements, in SQL."""

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import func
from sqlmodel import Session, select

T = TypeVar("T")


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
    and the count of all that meet them."""
    count = session.exec(select(func.count()).select_from(model).where(*conditions)).one()
    stmt = select(model).where(*conditions).order_by(*order_by).offset(offset).limit(limit)
    return list(session.exec(stmt)), count
