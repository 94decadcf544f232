"""What every transition of a self-report does besides its own change: the checks first, then
the deadline pointer, the timeline entry and the audit row, the texts queued to the farmer
and the webhook of a decision — all in the transition's one transaction (`transition`, the
decorator workflow.py's steps wear)."""

from collections.abc import Callable, Sequence
from typing import Any

from sqlmodel import Session

from backend.accounts.models import User
from backend.audit import service as audit
from backend.core import clock
from backend.core.usecase import use_case
from backend.reports import deadlines, notify, queries, rules, service
from backend.reports.models import DECIDED, ReportKind, ReportStatus, SelfReport
from backend.webhooks import events as webhooks
from backend.webhooks.models import EventKind

# What a transition's audit row compares before and after.
AUDITED = (
    "status",
    "assignee_id",
    "risk_confirmed",
    "income_estimate",
    "community_review_on",
    "public_notice_start",
    "public_notice_days",
    "fast_track",
    "household_id",
    "decision_reason",
    "referred_to",
    "merged_into_id",
    "step_due_on",
    "decision_income",
    "decision_income_basis",
    "decision_line_amount",
    "announced_on",
    "announcement_days",
)
# What joining a merged report changes on the report it joins.
JOINED = ("risk_types", "village_due_on", "decision_due_on", "step_due_on")


def record(
    *,
    session: Session,
    report: SelfReport,
    actor: User,
    action: str,
    before: dict[str, Any],
    fields: Sequence[str] = AUDITED,
    before_status: ReportStatus | None = None,
    note: str = "",
    data: dict[str, Any] | None = None,
    audited: dict[str, Any] | None = None,
) -> None:
    """Deadline pointer, timeline and audit row of a change to a report (flushed by its use
    case). The audit row holds what changed among `fields` since `before`, and `audited`."""
    deadlines.refresh_step_due(report)
    report.updated_at = clock.now()
    session.add(report)
    service.add_event(
        session=session,
        report=report,
        action=action,
        actor=actor,
        before=before_status,
        note=note,
        data=data,
    )
    audit.record_change(
        session=session,
        row=report,
        actor=actor,
        action=action,
        changes={**audit.diff(before, audit.snapshot(report, fields)), **(audited or {})},
    )


def _tell(*, session: Session, report: SelfReport, notice: str | None) -> None:
    """Queue the text to the farmer, and to those whose reports joined this one, in the
    change's transaction; the worker sends them. A village's proposal texts nobody: no
    farmer asked, and the 公示 and 公告 tell the village."""
    if report.kind != ReportKind.self_report:
        return
    if notice:
        notify.queue_text(session=session, report=report, kind=notice)
    if report.status in DECIDED or report.status == ReportStatus.withdrawn:
        # Whoever's report was merged into this one hears the outcome too (status only).
        for joined in queries.merged_into(session=session, report=report):
            notify.queue_text(
                session=session, report=joined, kind="merged_outcome", outcome=report.status
            )


def _decided(*, session: Session, report: SelfReport) -> None:
    webhooks.emit(
        session=session,
        kind=EventKind.self_report_decided,
        area_code=report.area_code,
        data={
            "self_report_id": str(report.id),
            "receipt_code": report.receipt_code,
            "kind": report.kind,
            "status": report.status,
            "household_id": str(report.household_id) if report.household_id else None,
        },
    )


def transition(action: str) -> Callable[..., Any]:
    """Decorator: a use case that checks role and state, snapshots, runs the change and
    records it and queues the texts, committing once."""

    def wrap(change: Callable[..., tuple[str, str | None]]) -> Callable[..., SelfReport]:
        @use_case
        def run(*, session: Session, report: SelfReport, actor: User, data: Any) -> SelfReport:
            rules.check(action, report, actor)
            before, before_status = audit.snapshot(report, AUDITED), report.status
            note, notice = change(session=session, report=report, actor=actor, data=data)
            record(
                session=session,
                report=report,
                actor=actor,
                action=action,
                before=before,
                before_status=before_status,
                note=note,
                audited={"note": [None, note]} if note else None,
            )
            _tell(session=session, report=report, notice=notice)
            if report.status in DECIDED and before_status not in DECIDED:
                _decided(session=session, report=report)
            return report

        run.__name__ = change.__name__
        run.__doc__ = change.__doc__
        return run

    return wrap
