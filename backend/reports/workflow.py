"""The self-report state machine: submitted → verifying → township_review →
county_approval → enrolled | rejected | referred; also merged and withdrawn, the civic steps
(民主评议, 公示), the fast track (绿色通道) and the 公告 after an approval. The village's
proposals (proposals.py: enrolment, clearance → cleared, 回退) take the same chain from
township_review. Each transition checks role, then kind and state (the table: rules.py),
and is recorded alike (changes.py)."""

import uuid
from datetime import date, timedelta

from sqlmodel import Session

from backend.accounts import service as accounts_service
from backend.accounts.access import VERIFIERS
from backend.accounts.models import User
from backend.audit import service as audit
from backend.core import clock
from backend.core.errors import Conflict, Invalid, NotFound
from backend.core.scope import contains
from backend.files import service as files_service
from backend.households import service as households_service
from backend.households import workflow as households_workflow
from backend.reports import changes, deadlines, enrolment, queries, service
from backend.reports.changes import transition
from backend.reports.models import OPEN, ReportStatus, SelfReport
from backend.reports.rules import allowed_actions
from backend.reports.schemas import (
    AnnounceInput,
    AssignInput,
    ClearanceDecisionInput,
    CommunityReviewInput,
    ForwardInput,
    MergeInput,
    PublicNoticeInput,
    ReferInput,
    RejectInput,
    SelfReportEnrollInput,
    VerifyInput,
    WithdrawInput,
)
from backend.workdays import service as workdays

# The router reads the buttons to show from here, beside the transitions they stand for.
__all__ = [
    "allowed_actions",
    "announce",
    "assign",
    "clear",
    "enroll",
    "fast_track",
    "forward",
    "merge",
    "record_community_review",
    "record_public_notice",
    "refer",
    "reject",
    "verify",
    "withdraw",
]

S = ReportStatus


def _check_files(session: Session, report: SelfReport, ids: list[uuid.UUID], field: str) -> None:
    """Attachments must have been uploaded for this report's village."""
    for i, file_id in enumerate(ids):
        try:
            files_service.get_visible(session=session, scope=report.area_code, file_id=file_id)
        except NotFound as exc:
            raise Invalid(f"{field}.{i}", "没有这个附件,或附件不属于这个村") from exc


@transition("assign")
def assign(
    *, session: Session, report: SelfReport, actor: User, data: AssignInput
) -> tuple[str, None]:
    """安排入户核实: a village cadre, helper or grid worker of the village goes to see."""
    person = accounts_service.get(session=session, user_id=data.assignee_id)
    if (
        person is None
        or not person.is_active
        or person.role not in VERIFIERS
        or not contains(person.scope, report.area_code)
    ):
        raise Invalid("assignee_id", "应指定本村的村干部、帮扶责任人或网格员")
    report.assignee_id = person.id
    report.status = S.verifying
    return f"安排 {person.full_name} 入户核实", None


@transition("verify")
def verify(
    *, session: Session, report: SelfReport, actor: User, data: VerifyInput
) -> tuple[str, None]:
    """入户核实: findings recorded, the report goes to the township."""
    _check_files(session, report, data.photo_ids, "photo_ids")
    report.risk_confirmed = data.risk_confirmed
    report.income_estimate = data.income_estimate
    report.findings = data.findings
    report.finding_photo_ids = [str(i) for i in data.photo_ids]
    report.verified_at, report.verified_by = clock.now(), actor.id
    report.status = S.township_review
    return ("核实:风险属实" if data.risk_confirmed else "核实:风险不属实"), None


@transition("community_review")
def record_community_review(
    *, session: Session, report: SelfReport, actor: User, data: CommunityReviewInput
) -> tuple[str, None]:
    """民主评议: the date and the minutes (or an attachment)."""
    if data.held_on > clock.today():
        raise Invalid("held_on", "评议日期不能是将来")
    if data.held_on < _opened_on(report):
        raise Invalid("held_on", f"民主评议不能早于报告(申请)日期 {_opened_on(report)}")
    if data.file_id is not None:
        _check_files(session, report, [data.file_id], "file_id")
    report.community_review_on = data.held_on
    report.community_review_minutes = data.minutes
    report.community_review_file_id = data.file_id
    return f"民主评议 {data.held_on}", None


def _opened_on(report: SelfReport) -> date:
    """The day the report came in (or the proposal was made), in China time."""
    return report.submitted_at.astimezone(clock.CHINA).date()


@transition("public_notice")
def record_public_notice(
    *, session: Session, report: SelfReport, actor: User, data: PublicNoticeInput
) -> tuple[str, None]:
    """村内公示: start date, length (at least the policy's minimum), objections."""
    minimum = deadlines.policy_for(session=session, area_code=report.area_code).public_notice_days
    if data.days < minimum:
        raise Invalid("days", f"公示期不少于 {minimum} 天")
    if data.start_on < _opened_on(report):
        raise Invalid("start_on", f"公示不能早于报告(申请)日期 {_opened_on(report)}")
    if report.community_review_on is not None and data.start_on < report.community_review_on:
        raise Invalid("start_on", f"公示应在民主评议({report.community_review_on})之后")
    report.public_notice_start = data.start_on
    report.public_notice_days = data.days
    report.public_notice_objections = data.objections
    return f"公示 {data.start_on} 起 {data.days} 天", None


@transition("forward")
def forward(
    *, session: Session, report: SelfReport, actor: User, data: ForwardInput
) -> tuple[str, None]:
    """乡镇审核: passed, with the civic steps done, to the county."""
    if report.risk_confirmed is not True:
        raise Conflict("核实结果为风险不属实,应作不予纳入处理", code="risk_not_confirmed")
    missing = []
    if report.community_review_on is None:
        missing.append("民主评议")
    if report.public_notice_start is None or report.public_notice_days is None:
        missing.append("村内公示")
    if missing:
        raise Conflict(
            "尚未记录" + "、".join(missing) + ",不能报县审定", code="civic_steps_missing"
        )
    ends = report.public_notice_start + timedelta(days=report.public_notice_days)
    if clock.today() < ends:
        raise Conflict(
            f"公示期未满,{ends} 起才能报县审定",
            code="public_notice_running",
            detail={"from": str(ends)},
        )
    report.status = S.county_approval
    return data.note, None


@transition("enroll")
def enroll(
    *, session: Session, report: SelfReport, actor: User, data: SelfReportEnrollInput
) -> tuple[str, str]:
    """县级审定: enrolled; the household is created or found and becomes monitored (a
    回退 proposal's cleared household back under monitoring)."""
    _enroll(session=session, report=report, actor=actor, data=data)
    return data.note or "审定纳入监测", "enrolled"


@transition("clear")
def clear(
    *, session: Session, report: SelfReport, actor: User, data: ClearanceDecisionInput
) -> tuple[str, None]:
    """县级审定风险消除: judged again on today's facts (the guard rules, the ledger's income)."""
    _not_back_dated(data.decided_on)
    household = households_service.get_visible(
        session=session, user=actor, household_id=report.household_id, lock=True
    )
    _record_basis(session=session, report=report, actor=actor)
    households_workflow.clear_risk(
        session=session,
        household=household,
        actor=actor,
        reason=f"风险消除申请 {report.receipt_code}",
    )
    report.status = S.cleared
    report.decided_at, report.decided_by = clock.now(), actor.id
    return data.note or "审定风险消除", None


@transition("announce")
def announce(
    *, session: Session, report: SelfReport, actor: User, data: AnnounceInput
) -> tuple[str, None]:
    """公告: the county's decision posted in the village, from the day of the decision on."""
    decided = report.decided_at.astimezone(clock.CHINA).date() if report.decided_at else None
    if data.announced_on > clock.today():
        raise Invalid("announced_on", "公告日期不能是将来")
    if decided is not None and data.announced_on < decided:
        raise Invalid("announced_on", f"公告不能早于县级审定日期 {decided}")
    report.announced_on = data.announced_on
    report.announcement_days = data.days
    return f"公告 {data.announced_on} 起 {data.days} 天", None


def _not_back_dated(decided_on: date | None) -> None:
    """A decision is dated the day it is taken: a back-dated one could meet the half-year
    rule, or precede its 公示, on paper."""
    if decided_on is not None and decided_on != clock.today():
        raise Invalid("decided_on", "审定日期只能是今天,不能倒签或预签")


def _enroll(
    *, session: Session, report: SelfReport, actor: User, data: SelfReportEnrollInput
) -> None:
    """The county's enrolment, on the day it is decided, with the income it was judged on."""
    _not_back_dated(data.decided_on)
    enrolment.enroll_household(session=session, report=report, actor=actor, data=data)
    _record_basis(session=session, report=report, actor=actor)


def _record_basis(*, session: Session, report: SelfReport, actor: User) -> None:
    """The income and the monitoring line the decision was judged on, kept on the case."""
    if report.household_id is None:
        return
    household = households_service.get_visible(
        session=session, user=actor, household_id=report.household_id
    )
    income = households_workflow.income_basis(
        session=session, household=household, on=clock.today()
    )
    report.decision_income = income.per_capita_net_income
    report.decision_income_basis = income.basis
    report.decision_line_year = income.line_year
    report.decision_line_amount = income.line_amount


@transition("fast_track")
def fast_track(
    *, session: Session, report: SelfReport, actor: User, data: SelfReportEnrollInput
) -> tuple[str, str]:
    """绿色通道: the county enrolls first; 民主评议 and 公示 follow by the backfill deadline."""
    policy = deadlines.policy_for(session=session, area_code=report.area_code)
    report.fast_track = True
    report.backfill_due_on = workdays.add_working_days(
        session=session, area_code=report.area_code, start=clock.today(), days=policy.backfill_days
    )
    _enroll(session=session, report=report, actor=actor, data=data)
    return data.note or "绿色通道先行纳入", "enrolled"


@transition("reject")
def reject(
    *, session: Session, report: SelfReport, actor: User, data: RejectInput
) -> tuple[str, str]:
    """不予纳入, with a reason the farmer reads."""
    report.status = S.rejected
    report.decision_reason = data.reason
    report.decided_at, report.decided_by = clock.now(), actor.id
    return data.reason, "rejected"


@transition("refer")
def refer(
    *, session: Session, report: SelfReport, actor: User, data: ReferInput
) -> tuple[str, str]:
    """转介: another kind of help fits better (低保, 临时救助, 医保 …), named."""
    report.status = S.referred
    report.referred_to = data.referred_to
    report.decision_reason = data.reason
    report.decided_at, report.decided_by = clock.now(), actor.id
    return f"转介:{data.referred_to}", "referred"


def _late_note(report: SelfReport) -> str:
    """Said on the timeline and in the audit row when an overdue report is closed."""
    if not deadlines.is_overdue(report):
        return ""
    return f"(关闭时已逾期 {(clock.today() - report.step_due_on).days} 天)"  # type: ignore[operator]


@transition("withdraw")
def withdraw(
    *, session: Session, report: SelfReport, actor: User, data: WithdrawInput
) -> tuple[str, str]:
    """撤回, at the farmer's wish, recorded by staff with the reason; the farmer is told."""
    late = _late_note(report)
    report.status = S.withdrawn
    report.decision_reason = data.reason
    # When it was closed: numbers tell a report withdrawn after its deadline.
    report.decided_at, report.decided_by = clock.now(), actor.id
    return data.reason + late, "withdrawn"


@transition("merge")
def merge(
    *, session: Session, report: SelfReport, actor: User, data: MergeInput
) -> tuple[str, str]:
    """合并: a report staff recognise as the same household's joins the other open one, of
    the same household or at least the same village. The other keeps the earlier
    deadlines, so an overdue report cannot vanish into a fresher one."""
    other = queries.get_visible(session=session, user=actor, report_id=data.into_id, lock=True)
    if other.id == report.id or other.status not in OPEN:
        raise Conflict("只能并入另一份办理中的报告", code="merge_target_closed")
    same_household = report.household_id is not None and report.household_id == other.household_id
    if not same_household and other.area_code != report.area_code:
        raise Conflict("只能并入同一户或同一村的报告", code="merge_other_village")
    late = _late_note(report)
    _absorb(session=session, report=report, other=other, actor=actor, reason=data.reason)
    report.status = S.merged
    report.merged_into_id = other.id
    report.decision_reason = data.reason
    return f"并入报告 {other.receipt_code}:{data.reason}{late}", "merged"


def _absorb(
    *, session: Session, report: SelfReport, other: SelfReport, actor: User, reason: str
) -> None:
    """`other` takes in the merged report: its risks, words, photos, the earlier deadlines
    and the reports already merged into it; audited and on `other`'s timeline."""
    other_before = audit.snapshot(other, changes.JOINED)
    service.join(session=session, primary=other, risk_types=report.risk_types, note=report.note)
    other.photo_ids = [*other.photo_ids, *report.photo_ids]
    other.village_due_on = min(other.village_due_on, report.village_due_on)
    other.decision_due_on = min(other.decision_due_on, report.decision_due_on)
    # Reports already merged into this one follow it to the other.
    moved = queries.merged_into(session=session, report=report)
    for joined in moved:
        joined.merged_into_id = other.id
        session.add(joined)
    changes.record(
        session=session,
        report=other,
        actor=actor,
        action="joined",
        before=other_before,
        fields=changes.JOINED,
        note=f"报告 {report.receipt_code} 并入本报告:{reason}",
        data={"report_id": str(report.id), "moved": [str(j.id) for j in moved]},
        audited={"merged_report_id": [None, report.id]},
    )
