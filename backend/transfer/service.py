"""Imports as the API and the CLI start them: the importer's area, the size an upload may
have, the file opened the right way."""

from collections.abc import Callable
from pathlib import Path
from typing import IO

from sqlmodel import Session

from backend.accounts.models import User
from backend.core.errors import AppError, Invalid
from backend.households import import_sheet as reading
from backend.households import imports
from backend.households.schemas import ImportAccount

# An upload is imported while the request waits: up to this many member rows (about 5,000
# households, a few seconds); a county's whole file goes through `shouwang import-households`.
MAX_API_ROWS = 20_000
MAX_API_BYTES = 20 * 1024 * 1024


class TooLarge(AppError):
    status = 413
    code = "too_large"


def import_upload(
    *, session: Session, user: User, file: IO[bytes], filename: str, dry_run: bool, area: str | None
) -> ImportAccount:
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
    counting = reading.open_upload(data, filename)
    rows = sum(1 for _ in counting.rows)
    if counting.close is not None:
        counting.close()
    if rows > MAX_API_ROWS:
        raise TooLarge(
            f"一次上传最多 {MAX_API_ROWS} 行(本文件 {rows} 行):请分成几个文件上传,或在服务器上用命令行 shouwang import-households 导入",
            detail=[{"field": "file", "message": "行数太多"}],
        )
    sheet = reading.open_upload(data, filename)
    return imports.import_households(
        session=session, sheet=sheet, scope=scope, actor=user, dry_run=dry_run
    )


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
    )
