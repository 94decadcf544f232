"""Exports of households, members, visits, ledger entries, reports, problems and findings as
CSV or XLSX, streamed in constant memory: one query over a server-side cursor read a
partition at a time (with the few look-ups a partition needs), rows written as they come
(CSV to the response, XLSX through openpyxl's write-only sheet into a temporary file).

Every query carries the caller's area scope (and the helper rule where a household is the
subject); ID and phone numbers come whole only to the roles that may read them whole
(accounts/access.py) and ask for them (`full_ids`), masked otherwise. Each export writes one
audit row: who, what, the filters and the row count. What each kind reads, and how its rows
read: export_households.py and export_cases.py; this module checks the request and writes
the file."""

import csv
import io
import os
import tempfile
from collections.abc import Iterator, Sequence
from typing import Any

from openpyxl import Workbook
from sqlmodel import Session

from backend.accounts import access
from backend.accounts.access import SEES_FULL_ID_NUMBER
from backend.accounts.models import User
from backend.areas import service as areas_service
from backend.audit import service as audit
from backend.core import db
from backend.core.errors import Forbidden, Invalid
from backend.core.ids import new_id
from backend.core.scope import contains
from backend.privacy import service as privacy_service
from backend.transfer import export_cases, export_households
from backend.transfer.export_spec import ExportFilters, Reader, Spec
from backend.transfer.schemas import ExportFormat, ExportKind

CSV = "text/csv; charset=utf-8"
# Rows per partition: what one round of look-ups and one write covers.
PARTITION = 1000

SPECS: dict[ExportKind, Spec] = {
    ExportKind.households: export_households.HOUSEHOLDS,
    ExportKind.members: export_households.MEMBERS,
    ExportKind.visits: export_households.VISITS,
    ExportKind.ledger: export_households.LEDGER,
    ExportKind.reports: export_cases.REPORTS,
    ExportKind.problems: export_cases.PROBLEMS,
    ExportKind.findings: export_cases.FINDINGS,
}


# --- checking the request ----------------------------------------------------------------


def check(*, user: User, kind: ExportKind, filters: ExportFilters) -> None:
    """Everything that refuses an export, before the first byte is sent."""
    if user.role not in access.EXPORTS:
        raise Forbidden("您的角色不能导出数据", code="role_forbidden")
    if filters.full_ids:
        privacy_service.require_full_id_role(user)
    if filters.area is not None and not contains(user.scope, filters.area):
        raise Forbidden("只能导出本辖区的数据", code="outside_scope")
    spec = SPECS[kind]
    if filters.status is not None:
        if spec.statuses is None:
            raise Invalid("status", f"{kind.label}的导出不按状态筛选")
        if filters.status not in {str(s) for s in spec.statuses}:
            choices = "、".join(f"{k}({v})" for k, v in spec.statuses.items())
            raise Invalid("status", f"不是可选的状态,可选:{choices}")
    if filters.year is not None and kind in (ExportKind.households, ExportKind.members):
        raise Invalid("year", f"{kind.label}的导出不按年度筛选")


# --- writing -----------------------------------------------------------------------------

_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _safe(value: Any) -> Any:
    """Text a spreadsheet would run as a formula (=HYPERLINK…) is kept as text: typed by
    farmers and cadres, it must not execute on a county officer's desk."""
    if isinstance(value, str) and value.startswith(_FORMULA):
        return "'" + value
    return value


def _rows(
    *, session: Session, user: User, kind: ExportKind, filters: ExportFilters
) -> Iterator[list[Any]]:
    spec = SPECS[kind]
    scope = filters.area or user.scope
    names = {a.code: a.name for a in areas_service.areas_under(session=session, prefix=scope)}
    reader = Reader(whole=filters.full_ids and user.role in SEES_FULL_ID_NUMBER, names=names)
    stmt = spec.query(user, filters).execution_options(yield_per=PARTITION, stream_results=True)
    result = session.execute(stmt)
    for part in result.partitions():
        for row in spec.rows(session, reader, part):
            yield [_safe(v) for v in row]


def stream(
    *, user: User, kind: ExportKind, fmt: ExportFormat, filters: ExportFilters
) -> Iterator[bytes]:
    """The file, piece by piece. Reads in a session of its own (the request's is gone by
    the time a long export ends); audits at the end, with the count of rows sent."""
    sent = 0
    complete = False
    session = Session(db.get_read_engine(), expire_on_commit=False)
    try:
        rows = _rows(session=session, user=user, kind=kind, filters=filters)
        if fmt == ExportFormat.csv:
            for piece, count in _csv(SPECS[kind].headers, rows):
                sent += count
                yield piece
        else:
            path, sent = _xlsx(SPECS[kind].title, SPECS[kind].headers, rows)
            try:
                with open(path, "rb") as fh:
                    while piece := fh.read(256 * 1024):
                        yield piece
            finally:
                os.unlink(path)
        complete = True
    finally:
        session.close()
        _audit(user=user, kind=kind, fmt=fmt, filters=filters, rows=sent, complete=complete)


def _csv(headers: Sequence[str], rows: Iterator[list[Any]]) -> Iterator[tuple[bytes, int]]:
    """UTF-8 with a byte-order mark (so Excel in China opens it as UTF-8, not GBK)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(headers)
    count = 0
    for row in rows:
        writer.writerow(row)
        count += 1
        if count % PARTITION == 0:
            yield buffer.getvalue().encode(), PARTITION
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode(), count % PARTITION


def _xlsx(title: str, headers: Sequence[str], rows: Iterator[list[Any]]) -> tuple[str, int]:
    """A write-only workbook: each row goes to the sheet's temporary file as it is appended,
    so memory stays flat; the zip is made at the end, into a temporary file of our own."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title)
    sheet.append(list(headers))
    count = 0
    for row in rows:
        sheet.append(row)
        count += 1
    fd, path = tempfile.mkstemp(prefix="shouwang-export-", suffix=".xlsx")
    os.close(fd)
    book.save(path)
    return path, count


def _audit(
    *,
    user: User,
    kind: ExportKind,
    fmt: ExportFormat,
    filters: ExportFilters,
    rows: int,
    complete: bool,
) -> None:
    """In a writer session of its own: the export reads through the read-only engine."""
    with db.new_session() as session:
        audit.record(
            session=session,
            actor=user,
            entity="export",
            entity_id=new_id(),
            area_code=filters.area or user.scope,
            action="export",
            changes={
                "kind": kind.value,
                "format": fmt.value,
                "filters": {k: v for k, v in vars(filters).items() if v not in (None, False)},
                "rows": rows,
                "complete": complete,
            },
        )
        session.commit()


def filename(kind: ExportKind, fmt: ExportFormat, area: str) -> str:
    return f"{SPECS[kind].title}{area}.{fmt.value}"
