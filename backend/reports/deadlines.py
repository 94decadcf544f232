"""Self-report deadlines: the working-day policies a province or county sets, the dates a
report is given from them, and which step's deadline a report is held to now."""

import time
from datetime import date, datetime

from sqlalchemy import event
from sqlmodel import Session, col, select

from backend.accounts.models import Role, User
from backend.areas import service as areas_service
from backend.audit import service as audit
from backend.core import clock, db
from backend.core.errors import Forbidden, Invalid, NotFound
from backend.core.scope import contains
from backend.core.usecase import use_case
from backend.reports.models import ReportDeadline, ReportStatus, SelfReport
from backend.reports.schemas import DeadlinePolicyInput, DeadlinePolicyPublic
from backend.workdays import service as workdays

# 甘肃省 2023: the village checks within 5 working days, the whole procedure takes 15.
DEFAULT_POLICY = DeadlinePolicyPublic(
    area_code="",
    village_check_days=5,
    total_days=15,
    public_notice_days=5,
    backfill_days=10,
    basis="默认:参照甘肃省 2023 年规定(入户核实 5 个工作日,全流程 15 个工作日)",
    default=True,
)


# Every report received and every workflow step asks for its county's policy, which changes
# perhaps once a year: kept per county for a minute. A change clears this process's copy at
# once; another process (PostgreSQL runs several) follows within POLICY_SECONDS.
POLICY_SECONDS = 60.0
_policies: dict[str, tuple[float, DeadlinePolicyPublic]] = {}
db.forget_on_new_engine(_policies.clear)


def policy_for(*, session: Session, area_code: str) -> DeadlinePolicyPublic:
    """The county's own deadlines if it set them, else its province's, else the default."""
    county = area_code[:6]
    kept = _policies.get(county)
    if kept is not None and kept[0] > time.monotonic():
        return kept[1]
    policy = _load_policy(session=session, county=county)
    _policies[county] = (time.monotonic() + POLICY_SECONDS, policy)
    return policy


def _load_policy(*, session: Session, county: str) -> DeadlinePolicyPublic:
    prefixes = [p for p in (county, county[:2]) if len(p) in (2, 6)]
    rows = {
        r.area_code: r
        for r in session.exec(
            select(ReportDeadline).where(col(ReportDeadline.area_code).in_(prefixes))
        )
    }
    for prefix in prefixes:
        if prefix in rows:
            return DeadlinePolicyPublic.model_validate(rows[prefix])
    return DEFAULT_POLICY.model_copy(update={"area_code": county})


@use_case
def set_policy(
    *, session: Session, area_code: str, data: DeadlinePolicyInput, actor: User
) -> DeadlinePolicyPublic:
    """A county (or, for a province, the administrator) sets its working-day deadlines.
    Reports already received keep the deadlines they were given."""
    if actor.role not in (Role.county_officer, Role.admin):
        raise Forbidden("时限由县级或系统管理员设置", code="role_forbidden")
    if len(area_code) not in (2, 6):
        raise Invalid("area_code", "时限按省(2 位代码)或县(6 位代码)设置")
    if not contains(actor.scope, area_code):
        raise NotFound("没有这个地区")
    areas_service.get_or_404(session=session, code=area_code)
    row = session.get(ReportDeadline, area_code)
    before = row.model_dump(exclude={"updated_at", "updated_by"}) if row else {}
    if row is None:
        row = ReportDeadline(area_code=area_code, **data.model_dump())
    else:
        for key, value in data.model_dump().items():
            setattr(row, key, value)
    row.updated_by, row.updated_at = actor.id, clock.now()
    session.add(row)
    # Forgotten once committed: a request in between would keep the old one again.
    event.listen(session, "after_commit", lambda _: _policies.clear(), once=True)
    audit.record(
        session=session,
        actor=actor,
        entity="report_deadline",
        entity_id=area_code,
        area_code=area_code,
        action="set",
        changes=audit.diff(before, row.model_dump(exclude={"updated_at", "updated_by"})),
    )
    return DeadlinePolicyPublic.model_validate(row)


def list_policies(*, session: Session, scope: str) -> list[DeadlinePolicyPublic]:
    rows = session.exec(select(ReportDeadline).order_by(col(ReportDeadline.area_code))).all()
    # A county sees its own row and the rows above it that apply to it.
    return [
        DeadlinePolicyPublic.model_validate(r)
        for r in rows
        if r.area_code.startswith(scope) or scope.startswith(r.area_code)
    ]


def due_dates(
    *, session: Session, area_code: str, on: date, calendar: workdays.Calendar | None = None
) -> tuple[date, date]:
    """(village check due, decision due) for a report received `on` in `area_code`; the
    area's working-day calendar read once (or the one the caller read already)."""
    policy = policy_for(session=session, area_code=area_code)
    days = calendar or workdays.calendar(session=session, area_code=area_code)
    return days.add(on, policy.village_check_days), days.add(on, policy.total_days)


def refresh_step_due(report: SelfReport) -> None:
    """Point `step_due_on` at the deadline of the step the report is in now."""
    if report.status in (ReportStatus.submitted, ReportStatus.verifying):
        report.step_due_on = report.village_due_on
    elif report.status in (ReportStatus.township_review, ReportStatus.county_approval):
        report.step_due_on = report.decision_due_on
    elif report.status == ReportStatus.enrolled and backfill_pending(report):
        report.step_due_on = report.backfill_due_on
    else:
        report.step_due_on = None


def backfill_pending(report: SelfReport) -> bool:
    """A fast-tracked enrolment still owes its 民主评议 or 公示 record."""
    return report.fast_track and (
        report.community_review_on is None or report.public_notice_start is None
    )


def is_overdue(report: SelfReport, today: date | None = None) -> bool:
    return report.step_due_on is not None and report.step_due_on < (today or clock.today())


def closed_late(
    verified_at: datetime | None,
    village_due: date,
    decision_due: date,
    closed_at: datetime | None,
) -> bool:
    """Whether a report closed at `closed_at` had passed the deadline of the step it was in:
    the village check until it was verified, the whole procedure after."""
    if closed_at is None:
        return False
    due = village_due if verified_at is None else decision_due
    return closed_at.astimezone(clock.CHINA).date() > due
