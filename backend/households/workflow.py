"""Monitoring state machine: enroll, clear risk (only when no guard rule holds), revert."""

from collections.abc import Sequence
from datetime import date, timedelta

from sqlmodel import Session, col, select

from backend.accounts.access import COUNTY, EDITS_HOUSEHOLDS, VILLAGE_UP
from backend.accounts.models import User
from backend.audit import service as audit
from backend.core import clock
from backend.core.errors import Conflict, Forbidden, Invalid
from backend.core.usecase import use_case
from backend.households import service
from backend.households.models import (
    BASIC_NEED_NAMES,
    IN_SCHOOL,
    Health,
    Household,
    Labour,
    MeasureStatus,
    MonitoringLine,
    MonitoringStatus,
    MonitoringType,
    RiskType,
)
from backend.households.schemas import ClearRiskRefusal, IncomeBasis
from backend.visits import ledger as visits_ledger
from backend.webhooks import events as webhooks
from backend.webhooks.models import EventKind

MIN_MONITORED_DAYS = 183  # half a year
# Months of the monthly ledger that show income is stable (annualised against the line).
LEDGER_MONTHS = 6
WORKING_AGE = (16, 60)
# The proposal (a self-report kind) that moves a household on from each monitoring state.
PROPOSAL_FROM = {
    MonitoringStatus.not_monitored: "enrolment_proposal",
    MonitoringStatus.monitored: "clearance_proposal",
    MonitoringStatus.risk_cleared: "revert_proposal",
}


def allowed_actions(*, household: Household, viewer: User | None) -> list[str]:
    """What the viewer may start from the household's card, so the screen shows only what
    will work: `edit` (the household, members, incomes, plan) and the one proposal its state
    allows (through the chain: POST …/proposals)."""
    if viewer is None:
        return []
    can = ["edit"] if viewer.role in EDITS_HOUSEHOLDS else []
    if viewer.role in VILLAGE_UP:
        can.append(PROPOSAL_FROM[MonitoringStatus(household.monitoring_status)])
    return can


def monitoring_line(*, session: Session, area_code: str, year: int) -> MonitoringLine | None:
    stmt = select(MonitoringLine).where(
        MonitoringLine.province_code == area_code[:2], MonitoringLine.year == year
    )
    return session.exec(stmt).first()


def _monitor(
    *,
    session: Session,
    household: Household,
    actor: User | None,
    action: str,
    monitoring_type: MonitoringType,
    risk_types: Sequence[RiskType],
    enrolled_on: date,
    plan_due_on: date | None,
    reason: str,
) -> None:
    """Put the household under monitoring from `enrolled_on`, with its audit row (which
    keeps the income figure and the monitoring line the decision saw)."""
    if enrolled_on < household.registered_on:
        raise Invalid("enrolled_on", f"纳入监测日期早于该户建档日期 {household.registered_on}")
    if enrolled_on > clock.today():
        raise Invalid("enrolled_on", "纳入监测日期不能是将来")
    income = income_basis(session=session, household=household, on=clock.today())
    before = service.snapshot(household)
    household.monitoring_status = MonitoringStatus.monitored
    household.monitoring_type = monitoring_type
    household.enrolled_on = enrolled_on
    household.risk_cleared_on = None
    # 一户一策 is due within a month of (re-)enrolment unless the caller sets it.
    household.plan_due_on = plan_due_on or enrolled_on + timedelta(days=30)
    household.updated_at = clock.now()
    session.add(household)
    service.set_risk_types(session=session, household=household, risk_types=risk_types)
    audit.record_change(
        session=session,
        row=household,
        actor=actor,
        action=action,
        changes={
            **audit.diff(before, service.snapshot(household)),
            "risk_types": [None, list(risk_types)],
            "reason": [None, reason],
            "income_basis": [None, income.model_dump()],
        },
    )


@use_case
def enroll(
    *,
    session: Session,
    household: Household,
    monitoring_type: MonitoringType,
    risk_types: Sequence[RiskType],
    actor: User | None,
    enrolled_on: date | None = None,
    plan_due_on: date | None = None,
    reason: str = "",
) -> Household:
    """纳入监测. Refused for a household already monitored; a cleared one goes back via revert."""
    if household.monitoring_status == MonitoringStatus.monitored:
        raise Conflict("该户已是监测户", code="already_monitored")
    if household.monitoring_status == MonitoringStatus.risk_cleared:
        raise Conflict("该户风险已消除,重新纳入请使用“回退”", code="use_revert")
    _monitor(
        session=session,
        household=household,
        actor=actor,
        action="enroll",
        monitoring_type=monitoring_type,
        risk_types=risk_types,
        enrolled_on=enrolled_on or clock.today(),
        plan_due_on=plan_due_on,
        reason=reason,
    )
    service.ensure_plan(session=session, household=household, due_on=household.plan_due_on)
    _event(session=session, household=household, kind=EventKind.household_enrolled)
    return household


def _event(*, session: Session, household: Household, kind: EventKind) -> None:
    webhooks.emit(
        session=session,
        kind=kind,
        area_code=household.area_code,
        data={
            "household_id": str(household.id),
            "monitoring_status": household.monitoring_status,
            "monitoring_type": household.monitoring_type,
            "reference": household.reference,
            "enrolled_on": str(household.enrolled_on) if household.enrolled_on else None,
            "risk_cleared_on": (
                str(household.risk_cleared_on) if household.risk_cleared_on else None
            ),
        },
    )


def _months_before(on: date, n: int) -> list[str]:
    """The `n` calendar months before `on`'s month, oldest first (YYYY-MM)."""
    index = on.year * 12 + on.month - 1
    return [f"{(i // 12):04d}-{(i % 12) + 1:02d}" for i in range(index - n, index)]


def income_basis(*, session: Session, household: Household, on: date) -> IncomeBasis:
    """The household's income as a decision on `on` judges it: the last 6 months of the
    monthly ledger, annualised, when all 6 are recorded; otherwise the latest yearly income
    record. Each with the monitoring line of its year, and a sentence saying which was used."""
    months = _months_before(on, LEDGER_MONTHS)
    entries = visits_ledger.current_months(
        session=session, household_id=household.id, months=months
    )
    if len(entries) == LEDGER_MONTHS:
        size = entries[-1].household_size or 1
        # Six months of net income, doubled to a year, per person.
        per_capita = sum(e.net_income for e in entries) * 12 // LEDGER_MONTHS // size
        year = int(months[-1][:4])
        line = monitoring_line(session=session, area_code=household.area_code, year=year)
        words = (
            f"按收支登记 {months[0]} 至 {months[-1]} 共 {LEDGER_MONTHS} 个月折算,"
            f"人均年纯收入 {per_capita} 元"
        )
        return IncomeBasis(
            basis="ledger",
            per_capita_net_income=per_capita,
            months=months,
            income_year=year,
            line_year=year,
            line_amount=line.amount if line else None,
            description=_against_line(words, per_capita, line),
        )
    fewer = f"收支登记近 {LEDGER_MONTHS} 个月只记了 {len(entries)} 个月"
    incomes = service.incomes_of(session=session, household_id=household.id)
    latest = incomes[0] if incomes else None
    if latest is None:
        return IncomeBasis(
            basis=None,
            per_capita_net_income=None,
            months=[e.month for e in entries],
            description=f"{fewer},也没有年度收入登记,无法判断收入是否稳定超过监测收入标准",
        )
    line = monitoring_line(session=session, area_code=household.area_code, year=latest.year)
    words = f"{fewer},按 {latest.year} 年度收入登记:人均纯收入 {latest.per_capita_net_income} 元"
    return IncomeBasis(
        basis="yearly",
        per_capita_net_income=latest.per_capita_net_income,
        months=[e.month for e in entries],
        income_year=latest.year,
        line_year=latest.year,
        line_amount=line.amount if line else None,
        description=_against_line(words, latest.per_capita_net_income, line),
    )


def _against_line(words: str, income: int, line: MonitoringLine | None) -> str:
    if line is None:
        return words + ",该年监测收入标准尚未设置"
    side = "低于" if income < line.amount else "不低于"
    return words + f",{side}监测收入标准 {line.amount} 元"


def clear_risk_refusals(
    *, session: Session, household: Household, on: date
) -> list[ClearRiskRefusal]:
    """Every guard rule that forbids clearing this household's risk today (风险“七不消”)."""
    refusals: list[ClearRiskRefusal] = []

    def refuse(rule: str, message: str) -> None:
        refusals.append(ClearRiskRefusal(rule=rule, message=message))

    if household.enrolled_on and (on - household.enrolled_on).days < MIN_MONITORED_DAYS:
        refuse("monitored_too_short", "纳入监测不满半年")

    income = income_basis(session=session, household=household, on=on)
    if income.basis is None:
        refuse("no_income_record", income.description)
    elif income.line_amount is None:
        refuse("no_income_line", f"{income.line_year} 年的监测收入标准尚未设置")
    elif (income.per_capita_net_income or 0) < income.line_amount:
        refuse("income_below_line", income.description)

    insecure = [k for k, ok in household.basic_needs.items() if not ok]
    if insecure:
        refuse(
            "basic_needs_insecure",
            "两不愁三保障及饮水安全尚未保障:" + "、".join(BASIC_NEED_NAMES[k] for k in insecure),
        )

    plan = service.plan_of(session=session, household_id=household.id)
    measures = service.measures_of(session=session, plan_id=plan.id) if plan else []
    if not any(m.status in (MeasureStatus.in_progress, MeasureStatus.done) for m in measures):
        refuse("no_measure_carried_out", "没有已落实的帮扶措施")

    members = service.members_of(session=session, household_id=household.id, active_only=True)
    low, high = WORKING_AGE
    working = [
        m
        for m in members
        if low <= (on.year - m.birth_date.year) <= high and m.labour != Labour.none
    ]
    if not working:
        refuse("no_working_labour", "家中没有劳动年龄内有劳动能力的成员,需兜底保障而非消除风险")

    risks = set(service.risk_types_of(session=session, household_ids=[household.id])[household.id])
    if RiskType.schooling in risks and any(m.schooling in IN_SCHOOL for m in members):
        refuse("cause_persists_schooling", "因学纳入监测,家中仍有子女在校就读")
    if RiskType.illness in risks and any(m.health == Health.serious_illness for m in members):
        refuse("cause_persists_illness", "因病纳入监测,家中仍有大病患者")
    return refusals


@use_case
def clear_risk(
    *,
    session: Session,
    household: Household,
    actor: User,
    reason: str,
    cleared_on: date | None = None,
) -> Household:
    """风险消除: refused with every rule that holds, never partly applied."""
    service.require_editor(actor)
    if household.monitoring_status != MonitoringStatus.monitored:
        raise Conflict("只有监测户才能标注风险消除", code="not_monitored")
    on = cleared_on or clock.today()
    # A decision is dated the day it is taken: a back-dated one could meet the half-year
    # rule on paper.
    if on != clock.today():
        raise Invalid("cleared_on", "风险消除日期只能是今天,不能倒签或预签")
    refusals = clear_risk_refusals(session=session, household=household, on=on)
    if refusals:
        raise Conflict(
            "不能标注风险消除:" + ";".join(r.message for r in refusals),
            code="clear_risk_refused",
            detail=[r.model_dump() for r in refusals],
        )
    income = income_basis(session=session, household=household, on=on)
    before = service.snapshot(household)
    household.monitoring_status = MonitoringStatus.risk_cleared
    household.risk_cleared_on = on
    household.updated_at = clock.now()
    session.add(household)
    changes = {
        **audit.diff(before, service.snapshot(household)),
        "reason": [None, reason],
        "income_basis": [None, income.model_dump()],
    }
    audit.record_change(
        session=session, row=household, actor=actor, action="clear_risk", changes=changes
    )
    _event(session=session, household=household, kind=EventKind.household_risk_cleared)
    return household


@use_case
def revert(
    *,
    session: Session,
    household: Household,
    actor: User,
    monitoring_type: MonitoringType,
    risk_types: Sequence[RiskType],
    reason: str,
) -> Household:
    """回退: a cleared household goes back under monitoring (inside a self-report's
    enrolment, that use case commits for both)."""
    service.require_editor(actor)
    if household.monitoring_status != MonitoringStatus.risk_cleared:
        raise Conflict("只有风险已消除的户才能回退", code="not_cleared")
    # Back under monitoring, the plan is due again as on a first enrolment.
    _monitor(
        session=session,
        household=household,
        actor=actor,
        action="revert",
        monitoring_type=monitoring_type,
        risk_types=risk_types,
        enrolled_on=clock.today(),
        plan_due_on=None,
        reason=reason,
    )
    plan = service.ensure_plan(session=session, household=household, due_on=None)
    plan.due_on = household.plan_due_on
    session.add(plan)
    return household


def require_direct(actor: User) -> None:
    """Enrolling, clearing risk and 回退 go through the chain (village proposal with its
    visit → 民主评议, 公示 → township → county → 公告). Done directly on the household, they
    are a county's audited correction only."""
    if actor.role not in COUNTY:
        raise Forbidden(
            "纳入监测、风险消除和回退须由村提出申请,经民主评议和公示、乡镇审核、县级审定;"
            "直接操作仅限县级更正",
            code="use_the_chain",
        )


def lines(*, session: Session, province_code: str | None = None) -> list[MonitoringLine]:
    stmt = select(MonitoringLine).order_by(
        col(MonitoringLine.province_code), col(MonitoringLine.year)
    )
    if province_code:
        stmt = stmt.where(MonitoringLine.province_code == province_code)
    return list(session.exec(stmt))


@use_case
def add_line(
    *, session: Session, province_code: str, year: int, amount: int, basis: str
) -> MonitoringLine:
    """Set a province's 监测收入标准 for a year, unless it is set already (which it keeps)."""
    line = monitoring_line(session=session, area_code=province_code, year=year)
    if line is None:
        line = MonitoringLine(province_code=province_code, year=year, amount=amount, basis=basis)
        session.add(line)
        session.flush()
    return line
