"""Imports as the API and the CLI start them: the importer's area, the size an upload may
have, the file opened the right way. A small upload is imported while the request waits; a
large one (or one asked for `background`) is kept on disk and imported by the worker
(transfer/import_jobs.py), its progress read at `GET /imports/{id}`."""

import csv
import errno
import logging
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import IO

from sqlmodel import Session, col

from backend.accounts.access import IMPORTS_HOUSEHOLDS
from backend.accounts.models import User
from backend.areas import service as areas_service
from backend.core.errors import AppError, Forbidden, Invalid, NotFound
from backend.core.paging import equals, page
from backend.core.scope import contains, within
from backend.core.settings import get_settings
from backend.files.service import StorageFull
from backend.households import import_sheet as reading
from backend.households import imports
from backend.households.schemas import ImportAccount
from backend.transfer.models import HouseholdImport
from backend.transfer.schemas import ImportFilters
from backend.worker import service as worker

# Member rows an upload may have (about 50,000 households); more goes through
# `shouwang import-households` on the server. Past BACKGROUND_ROWS the worker imports it.
MAX_API_ROWS = 200_000
MAX_API_BYTES = 100 * 1024 * 1024
BACKGROUND_ROWS = 2_000
IMPORT_JOB = "household_import"

log = logging.getLogger("shouwang.transfer")


class TooLarge(AppError):
    status = 413
    code = "too_large"


def import_upload(
    *,
    session: Session,
    user: User,
    file: IO[bytes],
    filename: str,
    dry_run: bool,
    area: str | None,
    background: bool = False,
) -> ImportAccount | HouseholdImport:
    """The account of a small upload, or the background import a large one became."""
    scope = area or user.scope
    imports.require_importer(user, scope)
    data = file.read(MAX_API_BYTES + 1)
    if len(data) > MAX_API_BYTES:
        raise TooLarge(
            f"文件超过 {MAX_API_BYTES // 1024 // 1024} MB:请分成几个文件上传,或在服务器上用命令行 shouwang import-households 导入",
            detail=[{"field": "file", "message": "文件太大"}],
        )
    if not data:
        raise Invalid("file", "文件是空的")
    # Counted before anything is written: each chunk of households commits on its own.
    try:
        counting = reading.open_upload(data, filename)
        rows = sum(1 for _ in counting.rows)
    except csv.Error as exc:  # a cell past the csv module's 128 KB: not a household sheet
        raise Invalid("file", "无法读取 CSV 文件:有的单元格过长或引号不成对") from exc
    if counting.close is not None:
        counting.close()
    if rows > MAX_API_ROWS:
        raise TooLarge(
            f"一次上传最多 {MAX_API_ROWS} 行(本文件 {rows} 行):请分成几个文件上传,或在服务器上用命令行 shouwang import-households 导入",
            detail=[{"field": "file", "message": "行数太多"}],
        )
    if background or rows > BACKGROUND_ROWS:
        return _queue(
            session=session,
            user=user,
            data=data,
            filename=filename,
            scope=scope,
            dry_run=dry_run,
            rows=rows,
        )
    sheet = reading.open_upload(data, filename)
    return imports.import_households(
        session=session, sheet=sheet, scope=scope, actor=user, dry_run=dry_run
    )


def upload_path(import_id: uuid.UUID) -> Path:
    return get_settings().data_dir / "imports" / str(import_id)


def _queue(
    *,
    session: Session,
    user: User,
    data: bytes,
    filename: str,
    scope: str,
    dry_run: bool,
    rows: int,
) -> HouseholdImport:
    """Keep the file on disk and the import in the job table, committed together (a file
    without its row is removed)."""
    # What import_households checks first, checked here before the file is kept.
    if not scope.isdigit():
        raise Invalid("area", "应为地区代码")
    if areas_service.get(session=session, code=scope) is None:
        raise Invalid("area", f"没有地区代码 {scope}")
    row = HouseholdImport(
        area_code=scope,
        dry_run=dry_run,
        filename=filename[:200],
        rows_total=rows,
        created_by=user.id,
    )
    path = upload_path(row.id)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        session.add(row)
        job = worker.enqueue(session=session, kind=IMPORT_JOB, payload={"import_id": str(row.id)})
        assert job is not None
        row.job_id = job.id
        session.commit()
    except BaseException as exc:
        session.rollback()
        path.unlink(missing_ok=True)  # no half-written file left behind
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            log.error("import directory full: %s not kept (%s)", filename, exc.strerror)
            raise StorageFull(
                "服务器存储空间已满,文件(file)未能保存,请稍后再发",
                detail=[{"field": "file", "message": "服务器存储空间已满"}],
                headers={"Retry-After": "300"},
            ) from exc
        raise
    session.refresh(row)
    return row


def list_imports(
    *, session: Session, user: User, filters: ImportFilters, offset: int, limit: int
) -> tuple[list[HouseholdImport], int]:
    """The household imports of the caller's area (or of `filters.area` inside it), newest
    first: the county's, as importing is (a village or township is refused, 403)."""
    if user.role not in IMPORTS_HOUSEHOLDS:
        raise Forbidden("只有县级可以查看农户导入", code="role_forbidden")
    if filters.area is not None and not contains(user.scope, filters.area):
        raise Forbidden("只能查看本辖区的导入", code="outside_scope")
    cond = [within(col(HouseholdImport.area_code), filters.area or user.scope)]
    cond += equals(HouseholdImport, filters, "status")
    if filters.dry_run is not None:
        cond.append(col(HouseholdImport.dry_run) == filters.dry_run)
    return page(
        session,
        HouseholdImport,
        cond,
        order_by=[col(HouseholdImport.created_at).desc(), col(HouseholdImport.id)],
        offset=offset,
        limit=limit,
    )


def get_import(*, session: Session, user: User, import_id: uuid.UUID) -> HouseholdImport:
    """A background import, read by the one who started it or by an importer (the county)
    whose area holds it; to anyone else it does not exist."""
    row = session.get(HouseholdImport, import_id)
    if (
        row is None
        or not contains(user.scope, row.area_code)
        or (row.created_by != user.id and user.role not in IMPORTS_HOUSEHOLDS)
    ):
        raise NotFound("没有这次导入")
    return row


# The CLI's chunk: fewer, larger commits (the same index pages are rewritten once a chunk)
# while a chunk's write still holds the database for a few seconds at most.
CLI_CHUNK_HOUSEHOLDS = 5000


def import_path(
    *,
    session: Session,
    path: Path,
    scope: str,
    dry_run: bool,
    progress: Callable[[int], None] | None = None,
) -> ImportAccount:
    """The CLI's import: the operator on the server, any area (the whole database by
    default); outcomes are counted, not kept, so memory stays flat for any file."""
    sheet = reading.open_path(path)
    if session.get_bind().dialect.name == "sqlite":
        # A page cache that holds the indexes a county's import touches (random UUID keys
        # reach every page): SQLite's default 2 MB re-reads them from disk for each chunk.
        session.connection().exec_driver_sql("PRAGMA cache_size=-262144")
        session.commit()
    return imports.import_households(
        session=session,
        sheet=sheet,
        scope=scope,
        actor=None,
        dry_run=dry_run,
        keep_outcomes=False,
        progress=progress,
        chunk_households=CLI_CHUNK_HOUSEHOLDS,
    )
