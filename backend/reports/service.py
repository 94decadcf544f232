"""Self-report rules: receiving a report, deadlines, who sees what, the farmer's look-up,
reports opened on a household's behalf, texts to the farmer, and the numbers."""

import hashlib
import hmac
import json
import logging
import statistics
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import case, exists, func, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from backend.accounts import access
from backend.accounts import service as accounts_service
from backend.accounts.models import Role, User
from backend.areas import service as areas_service
from backend.areas.models import AreaLevel
from backend.audit import service as audit
from backend.core import clock, security
from backend.core.errors import Conflict, Forbidden, Invalid, NotFound
from backend.core.ids import short_code
from backend.core.scope import contains, within
from backend.files import service as files_service
from backend.households import service as households_service
from backend.households.models import Household, Relation, RiskType
from backend.reports import throttle
from backend.reports.models import (
    DECIDED,
    OPEN,
    STATUS_NAMES,
    ReportDeadline,
    ReportEvent,
    ReportNotice,
    ReportStatus,
    SelfReport,
)
from backend.reports.notify import NotifyError, get_notifier
from backend.reports.schemas import (
    AreaNumbers,
    DeadlinePolicyInput,
    DeadlinePolicyPublic,
    EventPublic,
    ReportNumbers,
    SelfReportCreate,
    SelfReportLookup,
    SelfReportPublic,
    SelfReportSummary,
    StepPublic,
    UserRef,
)
from backend.workdays import service as workdays

log = logging.getLogger("shouwang.reports")

MAX_PHOTOS = 3
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
FARMER = "农户(一键报贫)"


# --- deadlines ---------------------------------------------------------------------------


def policy_for(*, session: Session, area_code: str) -> DeadlinePolicyPublic:
    """The county's own deadlines if it set them, else its province's, else the default."""
    for prefix in (area_code[:6], area_code[:2]):
        row = session.get(ReportDeadline, prefix) if len(prefix) in (2, 6) else None
        if row is not None:
            return DeadlinePolicyPublic.model_validate(row)
    return DEFAULT_POLICY.model_copy(update={"area_code": area_code[:6]})


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
    audit.record(
        session=session,
        actor=actor,
        entity="report_deadline",
        entity_id=area_code,
        area_code=area_code,
        action="set",
        changes=audit.diff(before, row.model_dump(exclude={"updated_at", "updated_by"})),
    )
    session.commit()
    return DeadlinePolicyPublic.model_validate(row)


def list_policies(*, session: Session, scope: str) -> list[DeadlinePolicyPublic]:
    rows = session.exec(select(ReportDeadline).order_by(col(ReportDeadline.area_code))).all()
    # A county sees its own row and the rows above it that apply to it.
    return [
        DeadlinePolicyPublic.model_validate(r)
        for r in rows
        if r.area_code.startswith(scope) or scope.startswith(r.area_code)
    ]


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


# --- the farmer's report -----------------------------------------------------------------


@dataclass
class Photo:
    data: bytes
    filename: str = ""


def _digest(data: SelfReportCreate, photos: Sequence[Photo]) -> str:
    body = data.model_dump(mode="json", exclude={"id"})
    body["photos"] = [hashlib.sha256(p.data).hexdigest() for p in photos]
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def _new_receipt_code(session: Session) -> str:
    while True:
        code = short_code(8)
        if (
            session.exec(select(SelfReport.id).where(SelfReport.receipt_code == code)).first()
            is None
        ):
            return code


def _open_report_of(
    *,
    session: Session,
    area_code: str,
    id_hash: str | None,
    household_id: uuid.UUID | None,
    phone: str | None,
    name: str | None,
) -> SelfReport | None:
    """An open report of the same person or household in the same village, which a new one
    joins. Never one of another village: the new report's farmer could then read how
    someone else's report was decided."""
    same = []
    if id_hash:
        same.append(SelfReport.id_number_hash == id_hash)
    if household_id:
        same.append(SelfReport.household_id == household_id)
    if phone and name:
        same.append((SelfReport.phone == phone) & (SelfReport.name == name))
    if not same:
        return None
    stmt = (
        select(SelfReport)
        .where(SelfReport.area_code == area_code, col(SelfReport.status).in_(OPEN), or_(*same))
        .order_by(col(SelfReport.submitted_at))
    )
    return session.exec(stmt).first()


def add_event(
    *,
    session: Session,
    report: SelfReport,
    action: str,
    actor: User | None,
    before: ReportStatus | None = None,
    note: str = "",
    data: dict[str, Any] | None = None,
) -> None:
    changed = before is not None and before != report.status
    session.add(
        ReportEvent(
            report_id=report.id,
            action=action,
            from_status=str(before) if changed and before else None,
            to_status=str(report.status) if changed or action == "submit" else None,
            actor_id=actor.id if actor else None,
            actor_name=actor.full_name if actor else FARMER,
            note=note[:500],
            data=data or {},
        )
    )


def _join(*, session: Session, primary: SelfReport, risk_types: Sequence[str], note: str) -> None:
    """A later report's risks and words are added to the open report it joins."""
    primary.risk_types = list(dict.fromkeys([*primary.risk_types, *risk_types]))
    if note:
        primary.note = (primary.note + "\n" + note).strip()[:2000]
    primary.updated_at = clock.now()
    session.add(primary)


def _deadlines(*, session: Session, area_code: str, on: date) -> tuple[date, date]:
    policy = policy_for(session=session, area_code=area_code)
    return (
        workdays.add_working_days(
            session=session, area_code=area_code, start=on, days=policy.village_check_days
        ),
        workdays.add_working_days(
            session=session, area_code=area_code, start=on, days=policy.total_days
        ),
    )


def submit(
    *, session: Session, data: SelfReportCreate, photos: Sequence[Photo], client_address: str
) -> tuple[SelfReport, bool]:
    """Receive a farmer's report. Returns (report, created); a resend of the same report
    under the same id returns the stored one. Every check runs before anything is written."""
    digest = _digest(data, photos)
    if data.id is not None:
        existing = _stored(session, data.id)
        if existing is not None:
            return _replay(existing, digest), False
    areas_service.require_village(session=session, code=data.area_code)
    if len(photos) > MAX_PHOTOS:
        raise Invalid("photos", f"最多 {MAX_PHOTOS} 张照片")
    for i, photo in enumerate(photos):
        files_service.check_and_clean(photo.data, field=f"photos.{i}", allow_pdf=False)
    # Counted against whoever sends it: the neighbour who reports for several households too.
    throttle.admit_report(phone=data.reporter_phone or data.phone, address=client_address)

    id_hash = security.id_number_hash(data.id_number) if data.id_number else None
    household = (
        households_service.household_of_person(session=session, id_number=data.id_number)
        if data.id_number
        else None
    )
    # Linked only to a household of the village reported from: anyone may type any ID
    # number, and a link elsewhere would let the enrolment change another area's household.
    if household is not None and household.area_code != data.area_code:
        household = None
    today = clock.today()
    village_due, decision_due = _deadlines(session=session, area_code=data.area_code, on=today)
    report = SelfReport(
        id=data.id or uuid.uuid4(),
        receipt_code=_new_receipt_code(session),
        area_code=data.area_code,
        name=data.name,
        phone=data.phone,
        id_number_cipher=security.encrypt_id_number(data.id_number) if data.id_number else None,
        id_number_hash=id_hash,
        on_behalf=data.on_behalf,
        reporter_name=data.reporter_name,
        reporter_phone=data.reporter_phone,
        risk_types=[r.value for r in data.risk_types],
        note=data.note,
        household_id=household.id if household else None,
        payload_digest=digest,
        village_due_on=village_due,
        decision_due_on=decision_due,
    )
    primary = _open_report_of(
        session=session,
        area_code=data.area_code,
        id_hash=id_hash,
        household_id=report.household_id,
        phone=data.phone,
        name=data.name,
    )
    if primary is not None and primary.id == report.id:
        # The same id was stored by a request that raced this one past the first check.
        return _replay(primary, digest), False
    # Photos reach the disk before the insert below may collide with a racing copy. Files
    # are stored by content (sha256), so that copy's identical photos are the same files;
    # at worst a refused different payload leaves an unreferenced file, never a wrong one.
    for i, photo in enumerate(photos):
        stored = files_service.store(
            session=session,
            data=photo.data,
            area_code=data.area_code,
            uploaded_by=None,
            original_name=photo.filename,
            field=f"photos.{i}",
            allow_pdf=False,
        )
        report.photo_ids.append(str(stored.id))
    if primary is not None:
        report.status = ReportStatus.merged
        report.merged_into_id = primary.id
        _join(session=session, primary=primary, risk_types=report.risk_types, note=data.note)
        primary.photo_ids = [*primary.photo_ids, *report.photo_ids]
    refresh_step_due(report)
    session.add(report)
    try:
        session.flush()
    except IntegrityError:
        # The same id arrived twice at once: the other request stored it first.
        session.rollback()
        existing = session.get(SelfReport, report.id)
        if existing is None:
            raise
        return _replay(existing, digest), False
    add_event(session=session, report=report, action="submit", actor=None)
    if primary is not None:
        add_event(
            session=session,
            report=primary,
            action="joined",
            actor=None,
            note=f"同一户的新报告 {report.receipt_code} 并入本报告",
            data={"report_id": str(report.id)},
        )
    audit.record(
        session=session,
        actor=None,
        actor_name=data.reporter_name or data.name,
        entity="self_report",
        entity_id=report.id,
        area_code=report.area_code,
        action="submit",
        changes={
            "status": [None, report.status],
            "phone": [None, data.phone],
            "id_number": [None, data.id_number],
            "risk_types": [None, report.risk_types],
            "on_behalf": [None, report.on_behalf],
            "merged_into_id": [None, report.merged_into_id],
        },
    )
    session.commit()
    notify(session=session, report=report, kind="receipt")
    return report, True


def _stored(session: Session, report_id: uuid.UUID) -> SelfReport | None:
    return session.get(SelfReport, report_id)


def _replay(existing: SelfReport, digest: str) -> SelfReport:
    if existing.payload_digest != digest:
        raise Conflict(
            "这个报告编号已用于另一份内容不同的报告",
            code="id_reused",
            detail={"id": str(existing.id)},
        )
    return existing


def open_on_behalf(
    *,
    session: Session,
    household: Household,
    risk_types: Sequence[RiskType],
    actor: User,
    note: str,
) -> SelfReport:
    """A cadre who sees a new risk (on a visit, from a warning) opens a report for the
    household: 代报, reporter the cadre, already verifying and assigned to them. An open
    report of the same household is joined instead. Adds to the caller's transaction and
    writes the audit row; the caller commits."""
    risks = [RiskType(r).value for r in risk_types]
    if not risks:
        raise Invalid("risk_types", "至少选择一种风险类型")
    primary = _open_report_of(
        session=session,
        area_code=household.area_code,
        id_hash=None,
        household_id=household.id,
        phone=None,
        name=None,
    )
    if primary is not None:
        before = list(primary.risk_types)
        _join(session=session, primary=primary, risk_types=risks, note=note)
        add_event(
            session=session,
            report=primary,
            action="joined",
            actor=actor,
            note=note or "帮扶干部发现新的风险,并入本报告",
            data={"risk_types": risks},
        )
        audit.record(
            session=session,
            actor=actor,
            entity="self_report",
            entity_id=primary.id,
            area_code=primary.area_code,
            action="join_on_behalf",
            changes={"risk_types": [before, primary.risk_types]},
        )
        session.flush()
        return primary

    head = next(
        (
            m
            for m in households_service.members_of(
                session=session, household_id=household.id, active_only=True
            )
            if m.relation == Relation.head
        ),
        None,
    )
    today = clock.today()
    village_due, decision_due = _deadlines(session=session, area_code=household.area_code, on=today)
    report = SelfReport(
        receipt_code=_new_receipt_code(session),
        area_code=household.area_code,
        status=ReportStatus.verifying,
        name=head.name if head else household.reference,
        phone=household.phone,
        id_number_cipher=head.id_number_cipher if head else None,
        id_number_hash=head.id_number_hash if head else None,
        on_behalf=True,
        reporter_name=actor.full_name,
        reporter_phone=actor.phone,
        risk_types=risks,
        note=note[:500],
        household_id=household.id,
        assignee_id=actor.id,
        village_due_on=village_due,
        decision_due_on=decision_due,
    )
    refresh_step_due(report)
    session.add(report)
    session.flush()
    add_event(session=session, report=report, action="submit", actor=actor, note="代报")
    add_event(
        session=session,
        report=report,
        action="assign",
        actor=actor,
        before=ReportStatus.submitted,
        data={"assignee_id": str(actor.id)},
    )
    audit.record(
        session=session,
        actor=actor,
        entity="self_report",
        entity_id=report.id,
        area_code=report.area_code,
        action="open_on_behalf",
        changes={
            "status": [None, report.status],
            "household_id": [None, household.id],
            "risk_types": [None, risks],
            "assignee_id": [None, actor.id],
        },
    )
    session.flush()
    return report


# --- the farmer's look-up ----------------------------------------------------------------

_STEP = {
    ReportStatus.submitted: (
        "已受理,等待村里安排人员入户核实",
        "村干部或帮扶干部会上门了解情况",
    ),
    ReportStatus.verifying: (
        "村里正在入户核实",
        "核实后经村民主评议和公示,报乡镇审核",
    ),
    ReportStatus.township_review: ("乡镇正在审核", "审核通过后报县里审定"),
    ReportStatus.county_approval: ("县里正在审定", "县里作出是否纳入监测帮扶的决定"),
    ReportStatus.enrolled: (
        "已纳入防止返贫监测帮扶",
        "帮扶干部会联系您,一起制定帮扶计划",
    ),
    ReportStatus.rejected: ("经核实,不予纳入监测帮扶", "如有异议或情况变化,可联系村干部或重新报告"),
    ReportStatus.referred: ("已转介其他帮扶", "请留意相关部门的联系"),
    ReportStatus.withdrawn: ("报告已撤回", "如仍有困难,可以重新报告"),
}


MERGED_STEP = "您的报告已与同一户的报告合并办理。"


def lookup(*, session: Session, receipt_code: str, phone: str) -> SelfReportLookup:
    """Where a report stands, for whoever holds its receipt code and phone number. A wrong
    phone answers exactly like an unknown code."""
    code = receipt_code.strip().upper()
    report = session.exec(select(SelfReport).where(SelfReport.receipt_code == code)).first()
    phone = phone.strip()
    known = [p for p in (report.phone, report.reporter_phone) if p] if report else []
    if report is None or not any(hmac.compare_digest(p, phone) for p in known):
        raise NotFound("没有找到这份报告,请核对受理编号和手机号", code="report_not_found")
    shown = report
    if report.status == ReportStatus.merged and report.merged_into_id:
        shown = session.get(SelfReport, report.merged_into_id) or report
    events = session.exec(
        select(ReportEvent)
        .where(
            col(ReportEvent.report_id).in_({report.id, shown.id}),
            col(ReportEvent.to_status).is_not(None),
        )
        .order_by(col(ReportEvent.at))
    ).all()
    steps = [
        StepPublic(
            status=ReportStatus(e.to_status),
            status_name=STATUS_NAMES[ReportStatus(e.to_status)],
            on=e.at.astimezone(clock.CHINA).date(),
        )
        for e in events
        if e.to_status
    ]
    due = shown.step_due_on if shown.status in OPEN else None
    decided = shown.status in DECIDED or shown.status == ReportStatus.withdrawn
    if shown is not report:
        # Merged: where the joint handling stands, never the other report's reason or
        # referral, which may be about someone else's family.
        return SelfReportLookup(
            receipt_code=report.receipt_code,
            status=shown.status,
            status_name=STATUS_NAMES[shown.status],
            step=f"{MERGED_STEP}目前:{STATUS_NAMES[shown.status]}",
            next_step="如需了解详情,请联系村干部",
            due_on=due,
            overdue=due is not None and due < clock.today(),
            decision=shown.status if decided else None,
            reason=None,
            referred_to=None,
            steps=steps,
        )
    step, next_step = _STEP.get(shown.status, ("", ""))
    if shown.status == ReportStatus.referred and shown.referred_to:
        step = f"已转介:{shown.referred_to}"
    return SelfReportLookup(
        receipt_code=report.receipt_code,
        status=shown.status,
        status_name=STATUS_NAMES[shown.status],
        step=step,
        next_step=next_step,
        due_on=due,
        overdue=due is not None and due < clock.today(),
        decision=shown.status if decided else None,
        reason=shown.decision_reason or None if decided else None,
        referred_to=shown.referred_to or None,
        steps=steps,
    )


# --- texts to the farmer -----------------------------------------------------------------


def _text(report: SelfReport, kind: str, outcome: ReportStatus | None = None) -> str:
    code = report.receipt_code
    if kind == "receipt":
        if report.status == ReportStatus.merged:
            return f"【守望】您的困难报告已收到(编号 {code}),已与同一户先前的报告合并办理。"
        return (
            f"【守望】您的困难报告已受理,受理编号 {code}。村里将在 {report.village_due_on:%m月%d日}"
            "前上门核实。凭编号和手机号可查询办理进度。"
        )
    if kind == "enrolled":
        return f"【守望】您的报告({code})已审定:纳入防止返贫监测帮扶,帮扶干部会联系您。"
    if kind == "rejected":
        return f"【守望】您的报告({code})经核实不予纳入监测,理由:{report.decision_reason}"
    if kind == "referred":
        return f"【守望】您的报告({code})已转介:{report.referred_to}。{report.decision_reason}"
    if kind == "withdrawn":
        return (
            f"【守望】您的报告({code})已撤回,原因:{report.decision_reason}。"
            "如仍有困难,可以重新报告或联系村干部。"
        )
    if kind == "merged":
        return f"【守望】您的报告({code})已与同一户的报告合并办理,凭原编号可继续查询进度。"
    if kind == "merged_outcome" and outcome is not None:
        # The outcome of the report this one joined: its status only, never its reason.
        return (
            f"【守望】您的报告({code})已合并办理,办理结果:{STATUS_NAMES[outcome]}。"
            "详情请联系村干部。"
        )
    return f"【守望】您的报告({code})状态:{STATUS_NAMES[report.status]}"


def notify(
    *, session: Session, report: SelfReport, kind: str, outcome: ReportStatus | None = None
) -> bool:
    """Text the farmer, after the change is committed. A failed send is logged and recorded;
    it never undoes or fails the change it reports."""
    phone = report.reporter_phone if report.on_behalf and report.reporter_phone else report.phone
    if not phone:
        return False
    notifier = get_notifier()
    error = ""
    try:
        notifier.send(phone=phone, text=_text(report, kind, outcome))
    except NotifyError as exc:
        error = str(exc)
    except Exception as exc:  # a broken gateway must never cost the farmer their report
        error = f"unexpected: {exc.__class__.__name__}"
        log.exception("notifier failed")
    if error:
        log.warning("text about report %s (%s) not sent: %s", report.id, kind, error)
    try:
        session.add(
            ReportNotice(
                report_id=report.id,
                kind=kind,
                channel=notifier.channel,
                sent=not error,
                error=error[:300],
            )
        )
        session.commit()
    except Exception:
        session.rollback()
        log.exception("could not record the text about report %s", report.id)
    return not error


# --- staff: seeing -----------------------------------------------------------------------


def visible(user: User) -> list[Any]:
    """Every report query of `user` carries these (the helper rule of accounts/access.py
    over the report's area and assignee)."""
    return access.conditions(user, area_code=SelfReport.area_code, assignee=SelfReport.assignee_id)


def get_visible(*, session: Session, user: User, report_id: uuid.UUID) -> SelfReport:
    """The report, or the same 404 whether it is missing, outside the caller's area, or (for
    a helper) not assigned to them."""
    report = session.get(SelfReport, report_id)
    if report is None or not access.sees(
        user, area_code=report.area_code, assignee_id=report.assignee_id
    ):
        raise NotFound("没有找到这条报告")
    return report


def merged_into(*, session: Session, report: SelfReport) -> list[SelfReport]:
    """The reports that joined this one (merged into it)."""
    stmt = select(SelfReport).where(
        SelfReport.merged_into_id == report.id, SelfReport.status == ReportStatus.merged
    )
    return list(session.exec(stmt.order_by(col(SelfReport.submitted_at))))


def list_reports(
    *,
    session: Session,
    user: User,
    status: ReportStatus | None = None,
    area: str | None = None,
    overdue: bool | None = None,
    assignee_id: uuid.UUID | None = None,
    open_only: bool = False,
    q: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[SelfReport], int, int]:
    """(page, count, overdue count among the matches). Overdue first, then oldest first."""
    today = clock.today()
    late = (col(SelfReport.step_due_on).is_not(None)) & (col(SelfReport.step_due_on) < today)
    cond = visible(user)
    if area:
        cond.append(within(SelfReport.area_code, area))
    if status:
        cond.append(SelfReport.status == status)
    if open_only:
        cond.append(col(SelfReport.status).in_(OPEN))
    if assignee_id:
        cond.append(SelfReport.assignee_id == assignee_id)
    if q:
        q = q.strip()
        cond.append(
            or_(
                SelfReport.receipt_code == q.upper(),
                col(SelfReport.name).contains(q),
                SelfReport.phone == q,
            )
        )
    if overdue is True:
        cond.append(late)
    elif overdue is False:
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


def _user_refs(session: Session, ids: set[uuid.UUID]) -> dict[uuid.UUID, UserRef]:
    if not ids:
        return {}
    rows = accounts_service.by_ids(session=session, ids=ids)
    return {u.id: UserRef(id=u.id, full_name=u.full_name, role=str(u.role)) for u in rows}


def summaries(
    *, session: Session, reports: Sequence[SelfReport], viewer: User
) -> list[SelfReportSummary]:
    """List rows with village name, assignee and the overdue flag: two queries per page."""
    names = areas_service.names(session=session, codes={r.area_code for r in reports})
    users = _user_refs(session, {r.assignee_id for r in reports if r.assignee_id})
    today = clock.today()
    return [
        SelfReportSummary(
            id=r.id,
            receipt_code=r.receipt_code,
            area_code=r.area_code,
            area_name=names.get(r.area_code),
            status=r.status,
            status_name=STATUS_NAMES[r.status],
            name=r.name,
            phone=security.mask_phone(r.phone) if r.phone else None,
            on_behalf=r.on_behalf,
            risk_types=[RiskType(x) for x in r.risk_types],
            submitted_at=r.submitted_at,
            assignee=users.get(r.assignee_id) if r.assignee_id else None,
            step_due_on=r.step_due_on,
            overdue=is_overdue(r, today),
            overdue_days=(today - r.step_due_on).days if is_overdue(r, today) else 0,
            fast_track=r.fast_track,
            household_id=r.household_id,
            closed_overdue=r.status == ReportStatus.withdrawn
            and _closed_late(r.verified_at, r.village_due_on, r.decision_due_on, r.decided_at),
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
    if number and not households_service.sees_full_id(viewer):
        number = security.mask_id_number(number)
    events = session.exec(
        select(ReportEvent).where(ReportEvent.report_id == report.id).order_by(col(ReportEvent.at))
    ).all()
    phone = report.phone if households_service.sees_full_id(viewer) else summary.phone
    return SelfReportPublic(
        **summary.model_dump(exclude={"phone"}),
        phone=phone,
        id_number=number,
        reporter_name=report.reporter_name,
        reporter_phone=security.mask_phone(report.reporter_phone)
        if report.reporter_phone
        else None,
        note=report.note,
        photo_ids=[uuid.UUID(x) for x in report.photo_ids],
        risk_confirmed=report.risk_confirmed,
        income_estimate=report.income_estimate,
        findings=report.findings,
        finding_photo_ids=[uuid.UUID(x) for x in report.finding_photo_ids],
        verified_at=report.verified_at,
        community_review_on=report.community_review_on,
        community_review_minutes=report.community_review_minutes,
        community_review_file_id=report.community_review_file_id,
        public_notice_start=report.public_notice_start,
        public_notice_days=report.public_notice_days,
        public_notice_objections=report.public_notice_objections,
        village_due_on=report.village_due_on,
        decision_due_on=report.decision_due_on,
        backfill_due_on=report.backfill_due_on,
        deadline_basis=workdays.uncovered_basis(
            session=session,
            area_code=report.area_code,
            start=report.submitted_at.astimezone(clock.CHINA).date(),
            end=max(d for d in (report.decision_due_on, report.backfill_due_on) if d),
        ),
        decision_reason=report.decision_reason,
        referred_to=report.referred_to,
        decided_at=report.decided_at,
        merged_into_id=report.merged_into_id,
        events=[EventPublic.model_validate(e) for e in events],
        actions=actions,
    )


# --- numbers -----------------------------------------------------------------------------


def numbers(
    *,
    session: Session,
    user: User,
    area: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> ReportNumbers:
    """Per village and township: received, in progress, overdue, enrolled, rejected and
    the median days to a decision; and each village's uptake against its county's average
    per village, so that silent villages stand out. Merged duplicates are not counted."""
    area = area or user.scope
    if not contains(user.scope, area):
        raise NotFound("没有这个地区")
    county = area[:6] if len(area) >= 6 else None
    # Counts reach over the whole county (or the wider area) so averages are the county's.
    base = area[:6] if len(area) >= 6 else area
    today = clock.today()
    cond = [
        within(SelfReport.area_code, base),
        SelfReport.status != ReportStatus.merged,
    ]
    if since:
        cond.append(SelfReport.submitted_at >= _start_of(since))
    if until:
        cond.append(SelfReport.submitted_at < _start_of(until, plus_days=1))
    late = (col(SelfReport.step_due_on).is_not(None)) & (col(SelfReport.step_due_on) < today)
    by_staff = opened_by_staff()
    rows = session.exec(
        select(
            SelfReport.area_code,
            SelfReport.status,
            by_staff,
            func.count(),
            func.sum(case((late, 1), else_=0)),
        )
        .where(*cond)
        .group_by(col(SelfReport.area_code), col(SelfReport.status), by_staff)
    ).all()
    durations: dict[str, list[float]] = defaultdict(list)
    for code, submitted, decided in session.exec(
        select(SelfReport.area_code, SelfReport.submitted_at, SelfReport.decided_at).where(
            *cond, col(SelfReport.status).in_(DECIDED), col(SelfReport.decided_at).is_not(None)
        )
    ):
        durations[code].append((decided - submitted).total_seconds() / 86400)

    villages = areas_service.villages_under(session=session, prefix=base)
    per: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for code, status, staff_opened, n, n_late in rows:
        c = per[code]
        c["received"] += n
        c["opened_by_staff" if staff_opened else "from_farmers"] += n
        if status == ReportStatus.withdrawn:
            c["withdrawn"] += n
        c["overdue"] += int(n_late or 0)
        if status in OPEN:
            c["in_progress"] += n
        if status == ReportStatus.enrolled:
            c["enrolled"] += n
        if status == ReportStatus.rejected:
            c["rejected"] += n
    # A withdrawal after the deadline still counts as overdue: closing a late report must
    # not make the lateness disappear from the numbers.
    for code, verified_at, village_due, decision_due, closed_at in session.exec(
        select(
            SelfReport.area_code,
            SelfReport.verified_at,
            SelfReport.village_due_on,
            SelfReport.decision_due_on,
            SelfReport.decided_at,
        ).where(*cond, SelfReport.status == ReportStatus.withdrawn)
    ):
        if _closed_late(verified_at, village_due, decision_due, closed_at):
            per[code]["withdrawn_overdue"] += 1
    # Uptake counts the farmers' own reports: a village where only cadres open reports on
    # households' behalf is still one whose farmers are silent.
    county_totals: dict[str, int] = defaultdict(int)
    county_villages: dict[str, int] = defaultdict(int)
    for v in villages:
        county_villages[v.code[:6]] += 1
        county_totals[v.code[:6]] += per[v.code]["from_farmers"]

    def median(values: list[float]) -> float | None:
        return round(statistics.median(values), 1) if values else None

    village_rows = []
    for v in villages:
        if not v.code.startswith(area):
            continue
        c = per[v.code]
        avg = county_totals[v.code[:6]] / county_villages[v.code[:6]]
        uptake = round(c["from_farmers"] / avg, 2) if avg else None
        village_rows.append(
            AreaNumbers(
                area_code=v.code,
                area_name=v.name,
                level="village",
                received=c["received"],
                from_farmers=c["from_farmers"],
                opened_by_staff=c["opened_by_staff"],
                in_progress=c["in_progress"],
                overdue=c["overdue"],
                enrolled=c["enrolled"],
                rejected=c["rejected"],
                withdrawn=c["withdrawn"],
                withdrawn_overdue=c["withdrawn_overdue"],
                median_days_to_decision=median(durations[v.code]),
                uptake=uptake,
                silent=c["from_farmers"] == 0 or (uptake is not None and uptake < 0.5),
            )
        )
    town_codes = sorted({r.area_code[:9] for r in village_rows})
    town_names = areas_service.names(session=session, codes=town_codes)
    townships = []
    for t in town_codes:
        members = [r for r in village_rows if r.area_code.startswith(t)]
        townships.append(
            AreaNumbers(
                area_code=t,
                area_name=town_names.get(t, t),
                level="township",
                received=sum(r.received for r in members),
                from_farmers=sum(r.from_farmers for r in members),
                opened_by_staff=sum(r.opened_by_staff for r in members),
                in_progress=sum(r.in_progress for r in members),
                overdue=sum(r.overdue for r in members),
                enrolled=sum(r.enrolled for r in members),
                rejected=sum(r.rejected for r in members),
                withdrawn=sum(r.withdrawn for r in members),
                withdrawn_overdue=sum(r.withdrawn_overdue for r in members),
                median_days_to_decision=median(
                    [d for r in members for d in durations[r.area_code]]
                ),
            )
        )
    return ReportNumbers(
        county_code=county,
        county_average_per_village=round(county_totals[county] / county_villages[county], 2)
        if county and county_villages.get(county)
        else None,
        villages=village_rows,
        townships=townships,
    )


def opened_by_staff() -> Any:
    """SQL: the report was opened by a cadre on a household's behalf (its submit event has
    an actor), not sent by a farmer or a neighbour from the public form."""
    return (
        exists()
        .where(
            ReportEvent.report_id == SelfReport.id,
            ReportEvent.action == "submit",
            col(ReportEvent.actor_id).is_not(None),
        )
        .label("opened_by_staff")
    )


def _closed_late(
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


def _start_of(day: date, plus_days: int = 0) -> datetime:
    return datetime.combine(day + timedelta(days=plus_days), time(0), tzinfo=clock.CHINA)


# --- posters -----------------------------------------------------------------------------


@dataclass
class PosterInfo:
    code: str
    village: str
    full_name: str
    cadre_name: str | None
    cadre_phone: str | None


def poster(*, session: Session, code: str) -> PosterInfo:
    """What a village's poster shows: its name and its village cadre's phone."""
    area = areas_service.get(session=session, code=code)
    if area is None or area.level != AreaLevel.village:
        raise NotFound("没有这个村(社区)")
    cadre = accounts_service.first_reachable(
        session=session, area_code=code, role=Role.village_cadre
    )
    return PosterInfo(
        code=code,
        village=area.name,
        full_name=areas_service.full_name(session=session, code=code),
        cadre_name=cadre.full_name if cadre else None,
        cadre_phone=cadre.phone if cadre else None,
    )
