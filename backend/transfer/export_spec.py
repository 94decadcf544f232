"""What every kind of export shares: the filters it is asked with, the reader of its numbers
and area names, the Spec that names its query and its rows (export_households.py,
export_cases.py), and dates, times and filters written once."""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select
from sqlmodel import Session

from backend.accounts.models import User
from backend.core import clock, security
from backend.core.scope import within


@dataclass(frozen=True)
class ExportFilters:
    """The filters every kind takes (area), and the two each kind reads its own way: `status`
    (the household's monitoring status, the report's, the problem's, the finding's) and
    `year` (of the visit, the ledger month, the report's submission, the problem's deadline)."""

    area: str | None = None
    status: str | None = None
    year: int | None = None
    # Whole ID and phone numbers, asked for by a role that may read them (the export's audit
    # row says so); masked otherwise, as every answer shows them.
    full_ids: bool = False


@dataclass
class Reader:
    """What each row's formatting needs: whether numbers come whole, and the look-ups made
    once per partition."""

    whole: bool
    names: dict[str, str]  # area code → name (every area of the scope, read once)

    def id_number(self, cipher: str | None) -> str:
        if not cipher:
            return ""
        value = security.decrypt_id_number(cipher)
        return value if self.whole else security.mask_id_number(value)

    def phone(self, value: str | None) -> str:
        if not value:
            return ""
        return value if self.whole else security.mask_phone(value)


@dataclass(frozen=True)
class Spec:
    """One kind of export: its sheet's title and headers, its query and its rows."""

    title: str
    headers: Sequence[str]
    query: Callable[[User, ExportFilters], Select]  # type: ignore[type-arg]
    # A partition of result rows → the cells of each, with look-ups for the partition.
    rows: Callable[[Session, Reader, Sequence[Any]], Iterable[list[Any]]]
    statuses: dict[Any, str] | None = None


def date_cell(value: Any) -> str:
    """A date as the sheet shows it (ISO), or nothing."""
    return value.isoformat() if value is not None else ""


def time_cell(value: Any) -> str:
    """A moment in China time, to the minute, or nothing."""
    if value is None:
        return ""
    return value.astimezone(clock.CHINA).strftime("%Y-%m-%d %H:%M")


def area_filter(column: Any, f: ExportFilters) -> list[Any]:
    """The `area` filter on `column` (the caller's own scope is each query's access rule)."""
    return [within(column, f.area)] if f.area else []


def filtered(
    stmt: Select,  # type: ignore[type-arg]
    f: ExportFilters,
    *,
    status: Any = None,
    year: Any = None,
) -> Select:  # type: ignore[type-arg]
    """The `status` and `year` filters as this kind reads them (`status` the column compared,
    `year` the expression); check() has refused the filters a kind does not take."""
    if f.status and status is not None:
        stmt = stmt.where(status == f.status)
    if f.year and year is not None:
        stmt = stmt.where(year == f.year)
    return stmt
