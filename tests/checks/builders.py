"""Small builders for the records checks read: incomes, ledger months, visits, reports,
monitoring and measures, written straight into the tables (what a run sees is the data)."""

import uuid
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, select

from backend.checks import service as checks_service
from backend.checks.models import CheckRun, Finding, FindingStatus
from backend.core import clock, security
from backend.households.models import (
    AssistancePlan,
    Household,
    HouseholdRisk,
    IncomeRecord,
    Measure,
    Member,
    MonitoringStatus,
    id_number_verdict,
)
from backend.reports.models import SelfReport
from backend.visits import coverage as visits_coverage
from backend.visits.models import LedgerEntry, Visit
from tests.dates import china


def run(session: Session, area: str = "610923") -> CheckRun:
    session.commit()
    done = checks_service.run_now(session=session, area_code=area)
    assert done.status == "done", done.error
    session.expire_all()
    return done


def findings(session: Session, code: str, status: str | None = "open") -> list[Finding]:
    session.rollback()
    stmt = select(Finding).where(Finding.check_code == code)
    if status:
        stmt = stmt.where(Finding.status == status)
    return list(session.exec(stmt))


def subjects(session: Session, code: str) -> set[Any]:
    """The households (or subject keys, for other subjects) with an open finding of `code`."""
    return {f.household_id or f.subject_key for f in findings(session, code)}


def income(
    session: Session, h: Household, year: int, wage: int, size: int = 2, **parts: int
) -> None:
    row = session.exec(
        select(IncomeRecord).where(IncomeRecord.household_id == h.id, IncomeRecord.year == year)
    ).first() or IncomeRecord(household_id=h.id, year=year, household_size=size)
    row.wage, row.household_size = wage, size
    for k, v in parts.items():
        setattr(row, k, v)
    session.add(row)
    session.commit()


def ledger(
    session: Session, h: Household, month: str, wage: int = 1000, size: int = 2, **parts: int
) -> LedgerEntry:
    entry = LedgerEntry(
        id=uuid.uuid4(),
        household_id=h.id,
        area_code=h.area_code,
        month=month,
        year=int(month[:4]),
        wage=wage,
        household_size=size,
        as_of=china(int(month[:4]), int(month[5:]), 15),
        recorded_by=_recorder(session, h),
        **parts,
    )
    session.add(entry)
    session.commit()
    return entry


def _recorder(session: Session, h: Household) -> uuid.UUID:
    from backend.accounts.models import Role
    from tests import factories

    if h.helper_id:
        return h.helper_id
    return factories.user(session, Role.village_cadre, h.area_code).id


def visit(
    session: Session,
    h: Household,
    visitor_id: uuid.UUID,
    at: datetime,
    notes: str = "",
    new_risks: list[str] | None = None,
) -> Visit:
    china_at = at.astimezone(clock.CHINA)
    row = Visit(
        id=uuid.uuid4(),
        household_id=h.id,
        area_code=h.area_code,
        visitor_id=visitor_id,
        kind="home",
        visited_at=at,
        month=f"{china_at:%Y-%m}",
        notes=notes,
        new_risks=new_risks or [],
        family_agrees=True,
        payload_hash="x" * 64,
    )
    session.add(row)
    session.flush()
    # The households' visit months, as recording keeps them (the missed-visit check reads them).
    visits_coverage.recount_visit_months(session=session)
    session.commit()
    return row


def report(
    session: Session,
    area: str,
    *,
    on_behalf: bool = False,
    at: datetime | None = None,
    household_id: uuid.UUID | None = None,
) -> None:
    session.add(
        SelfReport(
            receipt_code=uuid.uuid4().hex[:12],
            area_code=area,
            name="王某",
            on_behalf=on_behalf,
            risk_types=["illness"],
            village_due_on=date(2026, 6, 20),
            decision_due_on=date(2026, 7, 20),
            submitted_at=at or clock.now(),
            household_id=household_id,
        )
    )
    session.commit()


def monitor(
    session: Session,
    h: Household,
    risks: list[str],
    enrolled_on: date,
    *,
    cleared_on: date | None = None,
) -> None:
    h = session.get(Household, h.id)  # type: ignore[assignment]
    h.monitoring_status = (
        MonitoringStatus.risk_cleared if cleared_on else MonitoringStatus.monitored
    )
    h.monitoring_type = "marginal"
    h.enrolled_on, h.risk_cleared_on = enrolled_on, cleared_on
    session.add(h)
    for r in risks:
        session.add(HouseholdRisk(household_id=h.id, risk_type=r))
    session.commit()


def measure(
    session: Session,
    h: Household,
    kind: str,
    status: str = "in_progress",
    member_ids: list[uuid.UUID] | None = None,
) -> Measure:
    plan = session.exec(select(AssistancePlan).where(AssistancePlan.household_id == h.id)).first()
    if plan is None:
        plan = AssistancePlan(household_id=h.id)
        session.add(plan)
        session.flush()
    row = Measure(
        plan_id=plan.id,
        kind=kind,
        description="措施",
        start_on=date(2025, 1, 1),
        status=status,
        member_ids=[str(m) for m in member_ids or []],
    )
    session.add(row)
    session.commit()
    return row


def members(session: Session, h: Household) -> list[Member]:
    return list(session.exec(select(Member).where(Member.household_id == h.id)))


def change(session: Session, row: Any, **fields: Any) -> None:
    row = session.get(type(row), row.id)
    for k, v in fields.items():
        setattr(row, k, v)
    session.add(row)
    session.commit()


def store_id_number(session: Session, member: Member, number: str) -> None:
    """Store `number` as the member's, as every path that writes one does: the cipher, the
    hash and the verdict on it."""
    change(
        session,
        member,
        **security.id_number_columns(number),
        **id_number_verdict(number),
    )


def wrong_check_digit(member: Member) -> str:
    number = security.decrypt_id_number(member.id_number_cipher or "")
    return number[:17] + ("0" if number[17] != "0" else "1")


OPEN, RESOLVED, DISMISSED = FindingStatus.open, FindingStatus.resolved, FindingStatus.dismissed
