"""How long the photos a farmer sent with a report are kept once the report is rejected:
`SHOUWANG_REJECTED_PHOTO_RETENTION_DAYS` (180) after the decision, then the worker deletes
them every night (PIPL: personal data kept no longer than its purpose needs). The report
itself, its decision and the cadre's verification photos stay; the deletion is audited."""

from datetime import time, timedelta
from typing import Any

from sqlalchemy import String, cast, or_
from sqlmodel import Session, col, select

from backend.audit import service as audit_service
from backend.core import clock
from backend.core.settings import get_settings
from backend.files import service as files_service
from backend.reports.models import ReportStatus, SelfReport
from backend.worker.registry import handler, schedule

JOB = "reports.photo_retention"


def _still_used(*, session: Session, file_id: str, purged: set[Any]) -> bool:
    """Whether another report keeps this file (the same photo sent twice is stored once)."""
    stmt = select(SelfReport.id).where(
        or_(
            cast(SelfReport.photo_ids, String).contains(file_id),
            cast(SelfReport.finding_photo_ids, String).contains(file_id),
        )
    )
    return any(rid not in purged for rid in session.exec(stmt))


@handler(JOB)
def purge_rejected_photos(*, session: Session, payload: dict[str, Any]) -> None:
    days = get_settings().rejected_photo_retention_days
    cutoff = clock.now() - timedelta(days=days)
    stmt = select(SelfReport).where(
        SelfReport.status == ReportStatus.rejected, col(SelfReport.decided_at) < cutoff
    )
    reports = [r for r in session.exec(stmt) if r.photo_ids]
    purged = {r.id for r in reports}
    for report in reports:
        ids = list(report.photo_ids)
        files_service.delete(
            session=session,
            file_ids=[i for i in ids if not _still_used(session=session, file_id=i, purged=purged)],
        )
        report.photo_ids = []
        session.add(report)
        audit_service.record_change(
            session=session,
            row=report,
            actor=None,
            action="delete_photos",
            changes={"photo_ids": [ids, []], "retention_days": [None, days]},
        )


# 04:00 China time, after the nightly checks and ANALYZE.
schedule("rejected-photo-retention", kind=JOB, at=time(4, 0))
