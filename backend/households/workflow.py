"""Monitoring state machine: enroll, clear risk (only when no guard rule holds), revert."""

from collections.abc import Sequence
from datetime import date, timedelta

from sqlmodel import Session, col, select

from backend.accounts.models import User
from backend.audit import service as audit
from backend.core import clock
from backend.core.errors import Conflict
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
from backend.households.schemas import ClearRiskRefusal

MIN_MONITORED_DAYS = 183  # half a year
WORKING_AGE = (16, 60)


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
    """Put the household under monitoring from `enrolled_on`, with its audit row."""
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
    return household


def clear_risk_refusals(
    *, session: Session, household: Household, on: date
) -> list[ClearRiskRefusal]:
    """Every guard rule that forbids clearing this household's risk today (风险“七不消”)."""
    refusals: list[ClearRiskRefusal] = []

    def refuse(rule: str, message: str) -> None:
        refusals.append(ClearRiskRefusal(rule=rule, message=message))

    if household.enrolled_on and (on - household.enrolled_on).days < MIN_MONITORED_DAYS:
        refuse("monitored_too_short", "纳入监测不满半年")

    incomes = service.incomes_of(session=session, household_id=household.id)
    latest = incomes[0] if incomes else None
    if latest is None:
        refuse("no_income_record", "没有收入登记,无法判断收入是否稳定超过监测收入标准")
    else:
        line = monitoring_line(session=session, area_code=household.area_code, year=latest.year)
        if line is None:
            refuse("no_income_line", f"{latest.year} 年的监测收入标准尚未设置")
        elif latest.per_capita_net_income < line.amount:
            refuse(
                "income_below_line",
                f"{latest.year} 年人均纯收入 {latest.per_capita_net_income} 元,"
                f"低于监测收入标准 {line.amount} 元",
            )

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
    refusals = clear_risk_refusals(session=session, household=household, on=on)
    if refusals:
        raise Conflict(
            "不能标注风险消除:" + ";".join(r.message for r in refusals),
            code="clear_risk_refused",
            detail=[r.model_dump() for r in refusals],
        )
    before = service.snapshot(household)
    household.monitoring_status = MonitoringStatus.risk_cleared
    household.risk_cleared_on = on
    household.updated_at = clock.now()
    session.add(household)
    changes = {**audit.diff(before, service.snapshot(household)), "reason": [None, reason]}
    audit.record_change(
        session=session, row=household, actor=actor, action="clear_risk", changes=changes
    )
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
