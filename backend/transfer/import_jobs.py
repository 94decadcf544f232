"""The worker's side of a background household import: the kept file read chunk by chunk
(households/imports.py), the progress written after each chunk, the account kept at the end.

A worker that dies mid-import (kill -9, a restart) leaves the job running until its lease
runs out; the next worker runs the file again from the top. The import is idempotent on
户编号, so the chunks already written read as unchanged and nothing is doubled: the
database ends as one uninterrupted run leaves it, and the account counts those households
as unchanged (it says the run was resumed)."""

import uuid
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from backend.accounts.models import User
from backend.core import clock
from backend.core.errors import AppError
from backend.households import import_sheet as reading
from backend.households import imports
from backend.transfer import service
from backend.transfer.models import HouseholdImport, ImportStatus
from backend.worker import service as worker_service
from backend.worker.registry import Policy, Retry, handler
from backend.worker.runner import lease

# The account kept for the API: every row's outcome for a file up to this size, the first
# issues up to MAX_KEPT_ISSUES (their total is the import's `issues_total`).
OUTCOME_ROWS = 20_000
MAX_KEPT_ISSUES = 2_000
MAX_ATTEMPTS = 3


@handler(service.IMPORT_JOB, policy=Policy(max_attempts=MAX_ATTEMPTS))
def run_import(*, session: Session, payload: dict[str, Any]) -> None:
    import_id = uuid.UUID(payload["import_id"])
    row = session.get(HouseholdImport, import_id)
    if row is None or row.status in (ImportStatus.done, ImportStatus.failed):
        return
    resumed = row.status == ImportStatus.running
    row.status = ImportStatus.running
    row.attempts += 1
    row.rows_done = 0
    row.started_at = row.started_at or clock.now()
    session.commit()
    actor = session.get(User, row.created_by)
    path = service.upload_path(import_id)
    done = 0

    def progress(rows: int) -> None:
        nonlocal done
        done += rows
        save_progress(session, import_id, row.job_id, done)

    try:
        if actor is None or not actor.is_active:
            raise AppError("发起导入的账号已停用", code="actor_inactive")
        sheet = reading.open_upload(path.read_bytes(), row.filename)
        account = imports.import_households(
            session=session,
            sheet=sheet,
            scope=row.area_code,
            actor=actor,
            dry_run=row.dry_run,
            keep_outcomes=row.rows_total <= OUTCOME_ROWS,
            progress=progress,
        )
    except AppError as exc:
        # The file itself is refused (a column missing, no rows): the import failed, the
        # job did its work.
        session.rollback()
        _end(session, import_id, status=ImportStatus.failed, message=exc.message)
        return
    except Exception as exc:
        session.rollback()
        last = row.attempts >= MAX_ATTEMPTS
        _end(
            session,
            import_id,
            status=ImportStatus.failed if last else ImportStatus.queued,
            message=f"导入出错{'' if last else ',稍后重试'}:{exc.__class__.__name__}",
            keep_file=not last,
        )
        raise Retry(f"{exc.__class__.__name__}: {exc}") from exc
    issues_total = len(account.issues)
    account.issues = account.issues[:MAX_KEPT_ISSUES]
    _end(
        session,
        import_id,
        status=ImportStatus.done,
        message="中途中断后重新导入,已导入的农户计为未变" if resumed else "",
        account=account.model_dump(mode="json"),
        issues_total=issues_total,
        rows_done=account.rows,
    )


def save_progress(
    session: Session, import_id: uuid.UUID, job_id: uuid.UUID | None, done: int
) -> None:
    """Rows read so far, committed after each chunk; the worker's lease on the job is
    renewed with it, so a long import is not taken by a second worker."""
    session.execute(
        sa.update(HouseholdImport)
        .where(col(HouseholdImport.id) == import_id)
        .values(rows_done=done)
        .execution_options(synchronize_session=False)
    )
    if job_id is not None:
        worker_service.renew(session=session, job_id=job_id, lease=lease())
    session.commit()


def _end(
    session: Session,
    import_id: uuid.UUID,
    *,
    status: str,
    message: str,
    keep_file: bool = False,
    **values: Any,
) -> None:
    row = session.get(HouseholdImport, import_id)
    assert row is not None
    row.status = status
    row.message = message[:500]
    for key, value in values.items():
        setattr(row, key, value)
    if status in (ImportStatus.done, ImportStatus.failed):
        row.finished_at = clock.now()
    session.commit()
    if not keep_file:
        service.upload_path(import_id).unlink(missing_ok=True)
