"""The village's proposals: enrolling a household outside a self-report, clearing its risk,
or 回退. Each is a case of the self-report's own chain (workflow.py), opened already
verified by the visit it names: 民主评议 and 公示 → township review → county decision → 公告."""

from datetime import timedelta

from sqlmodel import Session, col, select

from backend.accounts.access import VILLAGE_UP
from backend.accounts.models import User
from backend.audit import service as audit
from backend.core import clock
from backend.core.errors import Conflict, Forbidden, Invalid, NotFound
from backend.core.usecase import use_case
from backend.households import service as households_service
from backend.households import workflow as households_workflow
from backend.households.models import Household, MonitoringStatus
from backend.reports import deadlines, service
from backend.reports.models import KIND_NAMES, OPEN, ReportKind, ReportStatus, SelfReport
from backend.reports.schemas import ProposalCreate
from backend.visits import service as visits_service

K = ReportKind
# The monitoring state each proposal starts from.
FROM_STATUS = {
    K.enrolment_proposal: MonitoringStatus.not_monitored,
    K.clearance_proposal: MonitoringStatus.monitored,
    K.revert_proposal: MonitoringStatus.risk_cleared,
}
WRONG_STATUS = {
    K.enrolment_proposal: "该户已在监测中或风险已消除,不能申请纳入(风险已消除的请申请回退)",
    K.clearance_proposal: "只有监测户才能申请风险消除",
    K.revert_proposal: "只有风险已消除的户才能申请回退",
}
# The visit that verified a proposal is recent: what it saw still holds.
VISIT_FRESH_DAYS = 30


def _open_case(*, session: Session, household: Household) -> SelfReport | None:
    stmt = select(SelfReport).where(
        SelfReport.household_id == household.id, col(SelfReport.status).in_(OPEN)
    )
    return session.exec(stmt).first()


def _check(*, session: Session, household: Household, actor: User, data: ProposalCreate) -> None:
    """Every refusal before anything is written."""
    if actor.role not in VILLAGE_UP:
        raise Forbidden("申请由村干部(或乡镇、县级干部)提出", code="role_forbidden")
    kind = ReportKind(data.kind)
    if household.monitoring_status != FROM_STATUS[kind]:
        raise Conflict(WRONG_STATUS[kind], code="wrong_household_state")
    try:
        visit = visits_service.get_visible(session=session, user=actor, visit_id=data.visit_id)
    except NotFound as exc:
        raise Invalid("visit_id", "没有这条走访记录") from exc
    if visit.household_id != household.id:
        raise Invalid("visit_id", "核实的走访记录不是这一户的")
    if visit.kind != "home":
        raise Invalid("visit_id", "申请须以入户走访核实,电话走访不能作为核实依据")
    visited = visit.visited_at.astimezone(clock.CHINA).date()
    if visited < clock.today() - timedelta(days=VISIT_FRESH_DAYS):
        raise Invalid("visit_id", f"核实走访须在 {VISIT_FRESH_DAYS} 天内,这条走访是 {visited}")
    other = _open_case(session=session, household=household)
    if other is not None:
        raise Conflict(
            f"该户已有办理中的{KIND_NAMES[other.kind]}(受理编号 {other.receipt_code})",
            code="open_case_exists",
            detail={"report_id": str(other.id)},
        )
    if kind == K.clearance_proposal:
        # Told now, not after a 公示: a household the guard rules still hold cannot be cleared.
        refusals = households_workflow.clear_risk_refusals(
            session=session, household=household, on=clock.today()
        )
        if refusals:
            raise Conflict(
                "不能申请风险消除:" + ";".join(r.message for r in refusals),
                code="clear_risk_refused",
                detail=[r.model_dump() for r in refusals],
            )


@use_case
def propose(
    *, session: Session, household: Household, actor: User, data: ProposalCreate
) -> SelfReport:
    """The case, in township review with its visit as verification: the village records
    民主评议 and 公示 on it next, then the township forwards it."""
    _check(session=session, household=household, actor=actor, data=data)
    kind = ReportKind(data.kind)
    visit = visits_service.get_visible(session=session, user=actor, visit_id=data.visit_id)
    risks = [r.value for r in data.risk_types] or households_service.risk_types_of(
        session=session, household_ids=[household.id]
    ).get(household.id, [])
    income = households_workflow.income_basis(
        session=session, household=household, on=clock.today()
    )
    report = SelfReport(
        **service.on_behalf_fields(session=session, household=household, actor=actor),
        status=ReportStatus.township_review,
        kind=kind,
        risk_types=[str(r) for r in risks],
        note=data.reason,
        proposal_visit_id=visit.id,
        risk_confirmed=True,
        income_estimate=income.per_capita_net_income,
        findings=data.reason,
        verified_at=visit.visited_at,
        verified_by=visit.visitor_id,
    )
    deadlines.refresh_step_due(report)
    session.add(report)
    session.flush()
    service.add_event(
        session=session,
        report=report,
        action="propose",
        actor=actor,
        note=f"{KIND_NAMES[kind]}:{data.reason}",
        data={"visit_id": str(visit.id), "income_basis": income.model_dump()},
    )
    audit.record_change(
        session=session,
        row=report,
        actor=actor,
        action="propose",
        changes={
            "kind": [None, kind],
            "status": [None, report.status],
            "household_id": [None, household.id],
            "proposal_visit_id": [None, visit.id],
            "risk_types": [None, report.risk_types],
            "reason": [None, data.reason],
        },
    )
    return report
