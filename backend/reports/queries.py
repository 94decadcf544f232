"""What staff see of self-reports: which reports a user may see, one report loaded with that
check, the list (overdue first) and one report's detail."""

import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import case, func, or_
from sqlmodel import Session, col, select

from backend.accounts import access
from backend.accounts import service as accounts_service
from backend.accounts.models import Role, User
from backend.areas import service as areas_service
from backend.core import clock, periods, security
from backend.core.loaders import load_or_404
from backend.core.paging import equals
from backend.core.scope import within
from backend.households.models import RiskType
from backend.reports import contact, deadlines
from backend.reports.models import (
    DECIDED,
    OPEN,
    STATUS_NAMES,
    ReportEvent,
    ReportStatus,
    SelfReport,
)
from backend.reports.schemas import (
    EventPublic,
    ReportStage,
    SelfReportFilters,
    SelfReportPublic,
    SelfReportSummary,
    SelfReportUserRef,
)
from backend.workdays import service as workdays


def visible(user: User) -> list[Any]:
    """Every report query of `user` carries these (the helper rule of accounts/access.py
    over the report's area and assignee)."""
    return access.conditions(user, area_code=SelfReport.area_code, assignee=SelfReport.assignee_id)


def sees(user: User, report: SelfReport) -> bool:
    """The same rule for one report."""
    return access.sees(user, area_code=report.area_code, assignee_id=report.assignee_id)


def get_visible(
    *, session: Session, user: User, report_id: uuid.UUID, lock: bool = False
) -> SelfReport:
    """The report, or the same 404 whether it is missing, outside the caller's area, or (for
    a helper) not assigned to them. `lock` holds its row until the use case commits, so two
    decisions on one report cannot both be taken on the state each read."""
    return load_or_404(
        session,
        SelfReport,
        report_id,
        sees=lambda report: sees(user, report),
        missing="没有找到这条报告",
        lock=lock,
    )


def enrolled_ids() -> Any:
    """A subquery of the ids of reports that ended in enrolment: what another domain joins
    its own rows to (a department warning's yield) without reading this table itself."""
    return select(SelfReport.id).where(SelfReport.status == ReportStatus.enrolled).subquery()


def of_household(*, session: Session, household_id: uuid.UUID) -> list[SelfReport]:
    """Every report and proposal about a household, oldest first (its personal-data export)."""
    stmt = select(SelfReport).where(SelfReport.household_id == household_id)
    return list(session.exec(stmt.order_by(col(SelfReport.submitted_at))).all())


def merged_into(*, session: Session, report: SelfReport) -> list[SelfReport]:
    """The reports that joined this one (merged into it)."""
    stmt = select(SelfReport).where(
        SelfReport.merged_into_id == report.id, SelfReport.status == ReportStatus.merged
    )
    return list(session.exec(stmt.order_by(col(SelfReport.submitted_at))))


def stage_conditions(stage: ReportStage) -> list[Any]:
    """How far a report got, as SQL: received (not merged), verified, decided."""
    cond: list[Any] = [SelfReport.status != ReportStatus.merged]
    if stage == ReportStage.verified:
        cond.append(col(SelfReport.verified_at).is_not(None))
    elif stage == ReportStage.decided:
        cond.append(col(SelfReport.status).in_(DECIDED))
    return cond


def list_reports(
    *,
    session: Session,
    user: User,
    filters: SelfReportFilters | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[SelfReport], int, int]:
    """(page, count, overdue count among the matches). Overdue first, then oldest first."""
    filters = filters or SelfReportFilters()
    today = clock.today()
    late = (col(SelfReport.step_due_on).is_not(None)) & (col(SelfReport.step_due_on) < today)
    cond = visible(user) + equals(SelfReport, filters, "status", "kind", "assignee_id")
    if filters.area:
        cond.append(within(SelfReport.area_code, filters.area))
    if filters.open_only:
        cond.append(col(SelfReport.status).in_(OPEN))
    if filters.q:
        q = filters.q.strip()
        cond.append(
            or_(
                SelfReport.receipt_code == q.upper(),
                col(SelfReport.name).contains(q),
                SelfReport.phone == q,
            )
        )
    if filters.submitted_in:
        start, end = periods.bounds(filters.submitted_in)
        cond += [
            col(SelfReport.submitted_at) >= periods.start_of(start),
            col(SelfReport.submitted_at) < periods.start_of(end),
        ]
    if filters.stage:
        cond += stage_conditions(filters.stage)
    if filters.overdue is True:
        cond.append(late)
    elif filters.overdue is False:
        cond.append(~late | col(SelfReport.step_due_on).is_(None))
    count = session.exec(select(func.count()).select_from(SelfReport).where(*cond)).one()
    late_count = session.exec(select(func.count()).select_from(SelfReport).where(*cond, late)).one()
    stmt = (
        select(SelfReport)
        .where(*cond)
        .order_by(
            case((late, 0), else_=1),
            col(SelfReport.step_due_on).is_(None),
            col(SelfReport.step_due_on),
            col(SelfReport.submitted_at),
        )
        .offset(offset)
        .limit(limit)
    )
    return list(session.exec(stmt)), count, late_count


def _user_refs(session: Session, ids: set[uuid.UUID]) -> dict[uuid.UUID, SelfReportUserRef]:
    if not ids:
        return {}
    rows = accounts_service.by_ids(session=session, ids=ids)
    return {u.id: SelfReportUserRef(id=u.id, full_name=u.full_name, role=str(u.role)) for u in rows}


# A summary's fields read from the report as stored (the rest are masked, looked up or
# judged); a detail adds these.
_AS_STORED = (
    "id",
    "receipt_code",
    "area_code",
    "status",
    "kind",
    "name",
    "on_behalf",
    "submitted_at",
    "step_due_on",
    "fast_track",
    "household_id",
)
_DETAIL_AS_STORED = (
    "reporter_name",
    "note",
    "risk_confirmed",
    "income_estimate",
    "findings",
    "verified_at",
    "community_review_on",
    "community_review_minutes",
    "community_review_file_id",
    "public_notice_start",
    "public_notice_days",
    "public_notice_objections",
    "village_due_on",
    "decision_due_on",
    "backfill_due_on",
    "decision_reason",
    "referred_to",
    "decided_at",
    "merged_into_id",
    "proposal_visit_id",
    "decision_income",
    "decision_income_basis",
    "decision_line_year",
    "decision_line_amount",
    "announced_on",
    "announcement_days",
)


def summaries(
    *, session: Session, reports: Sequence[SelfReport], viewer: User
) -> list[SelfReportSummary]:
    """List rows with village name, assignee and the overdue flag: two queries per page."""
    names = areas_service.names(session=session, codes={r.area_code for r in reports})
    users = _user_refs(session, {r.assignee_id for r in reports if r.assignee_id})
    today = clock.today()
    return [
        SelfReportSummary(
            **{k: getattr(r, k) for k in _AS_STORED},
            area_name=names.get(r.area_code),
            status_name=STATUS_NAMES[r.status],
            phone=security.mask_phone(r.phone) if r.phone else None,
            risk_types=[RiskType(x) for x in r.risk_types],
            assignee=users.get(r.assignee_id) if r.assignee_id else None,
            overdue=deadlines.is_overdue(r, today),
            overdue_days=(today - r.step_due_on).days if deadlines.is_overdue(r, today) else 0,
            closed_overdue=r.status == ReportStatus.withdrawn
            and deadlines.closed_late(
                r.verified_at, r.village_due_on, r.decision_due_on, r.decided_at
            ),
        )
        for r in reports
    ]


def detail(
    *, session: Session, report: SelfReport, viewer: User, actions: list[str]
) -> SelfReportPublic:
    summary = summaries(session=session, reports=[report], viewer=viewer)[0]
    number = (
        security.decrypt_id_number(report.id_number_cipher) if report.id_number_cipher else None
    )
    if number:  # masked for everyone: a full one is asked for and audited (backend/privacy)
        number = security.mask_id_number(number)
    events = session.exec(
        select(ReportEvent).where(ReportEvent.report_id == report.id).order_by(col(ReportEvent.at))
    ).all()
    # Phones stay masked here for everyone; the one handling the report asks for them
    # (reports/contact.py), and that view is audited.
    return SelfReportPublic(
        **summary.model_dump(),
        **{k: getattr(report, k) for k in _DETAIL_AS_STORED},
        id_number=number,
        may_call=contact.handles(viewer, report),
        reporter_phone=security.mask_phone(report.reporter_phone)
        if report.reporter_phone
        else None,
        photo_ids=[uuid.UUID(x) for x in report.photo_ids],
        finding_photo_ids=[uuid.UUID(x) for x in report.finding_photo_ids],
        deadline_basis=workdays.uncovered_basis(
            session=session,
            area_code=report.area_code,
            start=report.submitted_at.astimezone(clock.CHINA).date(),
            end=max(d for d in (report.decision_due_on, report.backfill_due_on) if d),
        ),
        events=[EventPublic.model_validate(e) for e in events],
        actions=actions,
    )


# --- 待办: the reports waiting for one person's action ------------------------------------

# Which stage waits on which role: the village arranges and records the check, the township
# reviews, the county decides. Each is the step's own desk, though higher levels may act too.
WAITS_ON = {
    ReportStatus.submitted: (frozenset({Role.village_cadre}), "assign"),
    ReportStatus.verifying: (frozenset({Role.village_cadre}), "verify"),
    ReportStatus.township_review: (frozenset({Role.township_officer}), "review"),
    ReportStatus.county_approval: (frozenset({Role.county_officer}), "decide"),
}


def awaiting(*, session: Session, user: User, today: Any, notice_days: int = 2) -> list[Any]:
    """(what, report, due date) for the reports waiting on `user`: the stage their role
    works (a field worker only what they were sent to verify), and for a village cadre the
    村内公示 ending within `notice_days` days."""
    stages = [s for s, (roles, _) in WAITS_ON.items() if user.role in roles]
    out: list[Any] = []
    cond = visible(user)
    if user.role in access.FIELD_WORKERS:
        stages = [ReportStatus.verifying]
        cond.append(SelfReport.assignee_id == user.id)
    if stages:
        for r in session.exec(
            select(SelfReport).where(*cond, col(SelfReport.status).in_(stages)).limit(500)
        ):
            out.append((WAITS_ON[r.status][1], r, r.step_due_on))
    if user.role == Role.village_cadre:
        soon = today + timedelta(days=notice_days)
        for r in session.exec(
            select(SelfReport).where(
                *cond,
                col(SelfReport.status).in_(OPEN),
                col(SelfReport.public_notice_start).is_not(None),
                col(SelfReport.public_notice_start) <= soon,
                col(SelfReport.public_notice_start) >= today - timedelta(days=31),
            )
        ):
            end = r.public_notice_start + timedelta(days=(r.public_notice_days or 0))
            if today <= end <= soon:
                out.append(("notice_ending", r, end))
    return out
