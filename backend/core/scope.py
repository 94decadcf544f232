"""Area scope in one place: a caller sees a record when its area code starts with theirs."""

from typing import Any

from sqlalchemy.sql import ColumnElement

from backend.core.errors import NotFound


def within(column: Any, prefix: str) -> ColumnElement[bool]:
    """SQL test: `column` lies inside the area `prefix` (codes are digits, so LIKE is safe)."""
    if not prefix.isdigit() and prefix != "":
        raise ValueError(f"area scope must be digits, got {prefix!r}")
    return column.like(prefix + "%")


def contains(prefix: str, area_code: str | None) -> bool:
    return area_code is not None and area_code.startswith(prefix)


def visible_or_404(obj: Any, prefix: str, what: str = "记录") -> Any:
    """The object, if it exists and lies in scope; otherwise the same 404 either way."""
    if obj is None or not contains(prefix, getattr(obj, "area_code", None)):
        raise NotFound(f"没有找到这条{what}")
    return obj
