"""The demo's share of what inspectors find, planted in 会宁县 so that a county officer who
runs the checks there sees every check with at least one finding: income falling, heavy
medical costs outside monitoring, a clearance too soon, a household due for review, 单人保,
a household nobody visited, and the data faults (an ID number mistyped, a sex that disagrees
with it, a student of 35, a member who died still counted, a ledger far from the declared
income). Notes pasted across households and a village that never reports are there already."""

import uuid
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import Session

from backend.accounts.models import User
from backend.core import clock, security
from backend.demo.context import DemoContext
from backend.households import incomes, members, plans
from backend.households import service as households_service
from backend.households.models import (
    Category,
    Health,
    Household,
    Labour,
    Member,
    MonitoringStatus,
    RiskType,
    id_number_verdict,
)
from backend.households.schemas import (
    HouseholdCreate,
    IncomeInput,
    MeasureCreate,
    MemberCreate,
    MemberUpdate,
)
from backend.households.workflow import WORKING_AGE
from backend.visits import recording as visits_recording
from backend.visits.schemas import LedgerInput, VisitCreate

VILLAGES = ("gaojiazhuang", "nanshilipu", "hongbaozi")
HELPER = "helper_wang"
OFFICER = "huining_county"


def _month_end(year: int, month: int) -> datetime:
    """The month's last day, 20:00 China time: later than any other demo visit that month."""
    first_next = date(year + month // 12, month % 12 + 1, 1)
    last = first_next - timedelta(days=1)
    return datetime(last.year, last.month, last.day, 20, tzinfo=clock.CHINA)


def _months_back(today: date, count: int) -> list[tuple[int, int]]:
    total = today.year * 12 + today.month - 1
    return [((total - k) // 12, (total - k) % 12 + 1) for k in range(count, 0, -1)]


def _visit(session: Session, ctx: DemoContext, h: Household, at: datetime, **ledger: int) -> None:
    data = VisitCreate(
        id=uuid.UUID(int=ctx.rng.getrandbits(128), version=4),
        household_id=h.id,
        kind="home",
        visited_at=min(at, clock.now() - timedelta(minutes=1)),
        checklist={"food": {"ok": True}, "housing": {"ok": True}, "medical": {"ok": True}},
        ledger=LedgerInput(**ledger),
        help_given="登记当月收支",
        notes=f"{h.address}:登记本月收支,了解家庭生产生活情况",
        family_agrees=True,
        agreed_by="户主",
    )
    visits_recording.store(session=session, actor=ctx.users[HELPER], data=data)


def _works(member: Member, today: date) -> bool:
    low, high = WORKING_AGE
    return low <= today.year - member.birth_date.year <= high and member.labour != Labour.none


def _pick(households: list[Household], **want: object) -> list[Household]:
    return [h for h in households if all(getattr(h, k) == v for k, v in want.items())]


def seed(*, session: Session, ctx: DemoContext) -> None:
    officer = ctx.users[OFFICER]
    homes = [h for key in VILLAGES for h in ctx.households[key]]
    lifted = _pick(
        homes, category=Category.lifted, monitoring_status=MonitoringStatus.not_monitored
    )
    monitored = _pick(homes, monitoring_status=MonitoringStatus.monitored)
    cleared = _pick(homes, monitoring_status=MonitoringStatus.risk_cleared)
    people = {
        h.id: households_service.members_of(session=session, household_id=h.id, active_only=True)
        for h in homes
    }
    _income_drop(session=session, household=lifted[0], officer=officer)

    # missed_enrollment: this month's visit recorded 26,000 yuan of self-paid medical costs.
    _visit(session, ctx, lifted[1], clock.now(), wage=1500, medical_spending=26_000)

    # premature_clearance: cleared three months after enrolment.
    soon = cleared[0]
    if soon.enrolled_on:
        soon.risk_cleared_on = soon.enrolled_on + timedelta(days=90)
        session.add(soon)

    due = _overdue_clearance(
        session=session, ctx=ctx, monitored=monitored, people=people, officer=officer
    )
    _single_person_dibao(session=session, monitored=monitored, people=people, officer=officer)
    _missed_visit(session=session, ctx=ctx, officer=officer)

    # ledger_mismatch: six months of last year's ledger far above the declared income.
    apart = lifted[2]
    declared = households_service.incomes_of(session=session, household_id=apart.id)[0]
    for month in range(1, 7):
        _visit(session, ctx, apart, _month_end(declared.year, month), wage=9000)

    _data_faults(
        session=session,
        lifted=lifted,
        others=[h for h in monitored if h is not due],
        people=people,
        officer=officer,
    )
    session.commit()


# Each household's active members, as households_service.members_of gives them.
People = dict[uuid.UUID, list[Any]]


def _income_drop(*, session: Session, household: Household, officer: User) -> None:
    """income_drop: the year before last declared higher than last year."""
    latest = households_service.incomes_of(session=session, household_id=household.id)[0]
    higher = IncomeInput(
        wage=latest.wage + 4000,
        business=latest.business,
        property=latest.property,
        transfer=latest.transfer,
        business_cost=latest.business_cost,
        household_size=latest.household_size,
    )
    incomes.put(
        session=session, household=household, year=latest.year - 1, data=higher, actor=officer
    )


def _overdue_clearance(
    *,
    session: Session,
    ctx: DemoContext,
    monitored: list[Household],
    people: People,
    officer: User,
) -> Household:
    """overdue_clearance: monitored for over a year, six good months in the ledger, the cause
    gone (the patient it was enrolled for has recovered), and nothing the clear-risk guards
    refuse: someone of working age able to work, a measure carried out. Returns that
    household."""
    today = clock.today()
    risks = households_service.risk_types_of(
        session=session, household_ids=[h.id for h in monitored]
    )
    due = next(
        h
        for h in monitored
        if risks[h.id] == [RiskType.illness]
        and any(_works(m, today) and m.health != Health.serious_illness for m in people[h.id])
    )
    for patient in (m for m in people[due.id] if m.health == Health.serious_illness):
        members.update(
            session=session,
            household=due,
            member_id=patient.id,
            data=MemberUpdate(health=Health.healthy),
            actor=officer,
        )
    due.basic_needs = dict.fromkeys(due.basic_needs, True)
    due.enrolled_on = today - timedelta(days=420)
    session.add(due)
    for year, month in _months_back(today, 6):
        _visit(session, ctx, due, _month_end(year, month), wage=4500, transfer=300)
    return due


def _single_person_dibao(
    *, session: Session, monitored: list[Household], people: People, officer: User
) -> None:
    """single_person_dibao: 低保 for the seriously ill member only."""
    ill_home = next(
        h
        for h in monitored
        if any(m.health == Health.serious_illness for m in people[h.id]) and len(people[h.id]) > 1
    )
    patient = next(m for m in people[ill_home.id] if m.health == Health.serious_illness)
    plans.add_measure(
        session=session,
        household=ill_home,
        data=MeasureCreate(
            kind="dibao",
            description="纳入低保(仅患者本人)",
            start_on=clock.today() - timedelta(days=60),
            status="in_progress",
            amount=4200,
            member_ids=[patient.id],
        ),
        actor=officer,
    )


def _missed_visit(*, session: Session, ctx: DemoContext, officer: User) -> None:
    """missed_visit: a lifted household registered long ago that nobody visited last month."""
    forgotten = households_service.create(
        session=session,
        data=HouseholdCreate(
            area_code=ctx.households["hongbaozi"][0].area_code,
            address="红堡子村七社",
            category=Category.lifted,
            helper_id=ctx.users[HELPER].id,
            members=[
                MemberCreate(
                    name="赵有福", relation="head", birth_date=date(1958, 4, 2), sex="male"
                )
            ],
        ),
        actor=officer,
    )
    forgotten.created_at = clock.now() - timedelta(days=800)
    session.add(forgotten)


def _data_faults(
    *,
    session: Session,
    lifted: list[Household],
    others: list[Household],
    people: People,
    officer: User,
) -> None:
    """The data faults, as imported records carry them (the forms refuse these): an ID number
    mistyped, a sex that disagrees with it, a student of 35, a member who died still counted
    (in one of `others`, monitored households)."""
    today = clock.today()
    a, b = (m for h in lifted[3:5] for m in people[h.id][:1])
    if a.id_number_cipher:
        number = security.decrypt_id_number(a.id_number_cipher)
        wrong = "0" if number[17] != "0" else "1"
        a.id_number_cipher = security.encrypt_id_number(number[:17] + wrong)
        a.sqlmodel_update(id_number_verdict(number[:17] + wrong))
        session.add(a)
    b.sex = "female" if b.sex == "male" else "male"
    session.add(b)
    older = next(
        (h, m)
        for h in lifted[5:]
        for m in people[h.id]
        if today.year - m.birth_date.year > 35 and m.relation != "head"
    )
    members.update(
        session=session,
        household=older[0],
        member_id=older[1].id,
        data=MemberUpdate(schooling="higher"),
        actor=officer,
    )
    gone = next(h for h in others if len(people[h.id]) > 2)
    members.update(
        session=session,
        household=gone,
        member_id=people[gone.id][-1].id,
        data=MemberUpdate(died_on=today - timedelta(days=40)),
        actor=officer,
    )
