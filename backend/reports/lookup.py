"""The farmer's look-up: where a report stands, for whoever holds its receipt code and the
phone number it was sent with (no login)."""

import hmac

from sqlmodel import Session, col, select

from backend.core import clock
from backend.core.errors import NotFound
from backend.reports.models import (
    DECIDED,
    OPEN,
    STATUS_NAMES,
    ReportEvent,
    ReportKind,
    ReportStatus,
    SelfReport,
)
from backend.reports.schemas import SelfReportLookup, SelfReportStepPublic

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
CLEARED = (
    "县里已审定:您家的返贫风险已经消除",
    "这表示经过入户核实、村里评议公示和乡镇、县里审核,认定您家收入稳定,吃穿和上学、"
    "看病、住房、饮水都有保障,不再作为防止返贫监测对象。村里还会定期回访;"
    "如果家里再遇到困难(生病、受灾、收入下降等),可以随时再报告,重新纳入监测帮扶。",
)
# A village's proposal speaks of what it asks for; steps not named here read as a report's.
_KIND_STEP: dict[ReportKind, dict[ReportStatus, tuple[str, str]]] = {
    ReportKind.clearance_proposal: {
        ReportStatus.township_review: (
            "村里已提出您家风险消除的申请,正在民主评议、公示和乡镇审核",
            "公示期间如有不同意见,可以向村委会或乡镇反映;审核通过后报县里审定",
        ),
        ReportStatus.county_approval: (
            "县里正在审定您家是否标注风险消除",
            "审定后村里会张贴公告",
        ),
        ReportStatus.cleared: CLEARED,
        ReportStatus.rejected: (
            "经审核,暂不标注风险消除",
            "您家继续作为防止返贫监测对象,帮扶干部会继续帮扶",
        ),
        ReportStatus.withdrawn: ("风险消除申请已撤回", "您家仍是防止返贫监测对象,帮扶照常"),
    },
    ReportKind.enrolment_proposal: {
        ReportStatus.township_review: (
            "村里已提出将您家纳入防止返贫监测的申请,正在民主评议、公示和乡镇审核",
            "审核通过后报县里审定",
        ),
    },
    ReportKind.revert_proposal: {
        ReportStatus.township_review: (
            "村里已提出将您家重新纳入防止返贫监测(回退)的申请,正在民主评议、公示和乡镇审核",
            "审核通过后报县里审定",
        ),
        ReportStatus.enrolled: (
            "已重新纳入防止返贫监测帮扶",
            "帮扶干部会联系您,一起制定帮扶计划",
        ),
    },
}


def step_text(report: SelfReport) -> tuple[str, str]:
    """What the farmer reads of where the case stands and what comes next."""
    own = _KIND_STEP.get(ReportKind(report.kind), {})
    if report.status in own:
        return own[report.status]
    if report.status == ReportStatus.cleared:
        return CLEARED
    return _STEP.get(report.status, ("", ""))


MERGED_STEP = "您的报告已与同一户的报告合并办理。"


def lookup(*, session: Session, receipt_code: str, phone: str) -> SelfReportLookup:
    """Where a report stands, for whoever holds its receipt code and phone number. A wrong
    phone answers exactly like an unknown code."""
    code = receipt_code.strip().upper()
    report = session.exec(select(SelfReport).where(SelfReport.receipt_code == code)).first()
    phone = phone.strip()
    known = [p for p in (report.phone, report.reporter_phone) if p] if report else []
    if report is None or not any(hmac.compare_digest(p.encode(), phone.encode()) for p in known):
        raise NotFound("没有找到这份报告,请核对受理编号和手机号", code="report_not_found")
    shown = report
    if report.status == ReportStatus.merged and report.merged_into_id:
        shown = session.get(SelfReport, report.merged_into_id) or report
    due = shown.step_due_on if shown.status in OPEN else None
    decided = shown.status in DECIDED or shown.status == ReportStatus.withdrawn
    if shown is not report:
        # Merged: where the joint handling stands, never the other report's reason or
        # referral, which may be about someone else's family.
        step = f"{MERGED_STEP}目前:{STATUS_NAMES[shown.status]}"
        next_step, reason, referred_to = "如需了解详情,请联系村干部", None, None
    else:
        step, next_step = step_text(shown)
        if shown.status == ReportStatus.referred and shown.referred_to:
            step = f"已转介:{shown.referred_to}"
        reason = shown.decision_reason or None if decided else None
        referred_to = shown.referred_to or None
    return SelfReportLookup(
        receipt_code=report.receipt_code,
        status=shown.status,
        status_name=STATUS_NAMES[shown.status],
        step=step,
        next_step=next_step,
        due_on=due,
        overdue=due is not None and due < clock.today(),
        decision=shown.status if decided else None,
        reason=reason,
        referred_to=referred_to,
        steps=_steps(session, report, shown),
    )


def _steps(session: Session, report: SelfReport, shown: SelfReport) -> list[SelfReportStepPublic]:
    """The dates each status was reached, of the report and the one it was merged into."""
    events = session.exec(
        select(ReportEvent)
        .where(
            col(ReportEvent.report_id).in_({report.id, shown.id}),
            col(ReportEvent.to_status).is_not(None),
        )
        .order_by(col(ReportEvent.at))
    ).all()
    return [
        SelfReportStepPublic(
            status=ReportStatus(e.to_status),
            status_name=STATUS_NAMES[ReportStatus(e.to_status)],
            on=e.at.astimezone(clock.CHINA).date(),
        )
        for e in events
        if e.to_status
    ]
