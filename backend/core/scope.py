"""Area scope in one place: a caller sees a record when its area code starts with theirs."""

from collections.abc import Callable
from typing import Any

from sqlalchemy import and_, true
from sqlalchemy.sql import ColumnElement


def _successor(prefix: str) -> str | None:
    """The smallest digit string greater than every string starting with `prefix`."""
    digits = prefix.rstrip("9")
    if not digits:
        return None
    return digits[:-1] + str(int(digits[-1]) + 1)


def within(column: Any, prefix: str) -> ColumnElement[bool]:
    """SQL test: `column` lies inside the area `prefix`. Written as a range on the code
    (prefix <= code < successor) rather than LIKE, so SQLite and PostgreSQL both use the
    area_code index whatever the collation."""
    if prefix == "":
        return true()
    if not prefix.isdigit():
        raise ValueError(f"area scope must be digits, got {prefix!r}")
    upper = _successor(prefix)
    if upper is None:
        return column >= prefix
    return and_(column >= prefix, column < upper)


def contains(prefix: str, area_code: str | None) -> bool:
    return area_code is not None and area_code.startswith(prefix)


def in_area(prefix: str) -> Callable[[Any], bool]:
    """The row test of a load by id (core.loaders.load_or_404): its area lies in `prefix`."""
    return lambda row: contains(prefix, row.area_code)
