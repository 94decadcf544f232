"""Reading households: the filtered list in the caller's reach, and one household whole
(members, incomes, plan), with ID numbers masked for those who may not see them."""

import uuid

from sqlalchemy import ColumnElement, exists, or_
from sqlmodel import Session, col, select

from backend.accounts.models import User
from backend.core import clock, periods, security
from backend.core.paging import equals, page
from backend.core.scope import within
from backend.households import service
from backend.households.models import BASIC_NEEDS, Household, HouseholdRisk, Member
from backend.households.schemas import (
    HouseholdFilters,
    HouseholdPublic,
    IncomePublic,
    MeasurePublic,
    MemberPublic,
    PlanPublic,
)


def _search(q: str) -> ColumnElement[bool]:
    """A household whose reference is `q`, or with a member named (or with the ID number)
    `q`. The member match is resolved first (by the hash index for an ID number), so the
    households are then found by primary key rather than by scanning them all."""
    if len(q) == 18 and security.id_number_problem(security.normalize_id_number(q)) is None:
        person = col(Member.id_number_hash).in_(security.id_number_hashes(q))
    else:
        person = col(Member.name).contains(q)
    return or_(
        Household.reference == q, col(Household.id).in_(select(Member.household_id).where(person))
    )


def list_households(
    *, session: Session, user: User, filters: HouseholdFilters, offset: int = 0, limit: int = 50
) -> tuple[list[Household], int]:
    cond = service.household_conditions(user)
    cond += equals(
        Household, filters, "category", "monitoring_status", "monitoring_type", "helper_id"
    )
    if filters.area:
        cond.append(within(Household.area_code, filters.area))
    if filters.risk_type:
        cond.append(
            exists().where(
                HouseholdRisk.household_id == Household.id,
                HouseholdRisk.risk_type == filters.risk_type,
            )
        )
    for column, period in (
        (Household.enrolled_on, filters.enrolled_in),
        (Household.risk_cleared_on, filters.cleared_in),
    ):
        if period:
            start, end = periods.bounds(period)
            cond += [col(column) >= start, col(column) < end]
    if filters.q:
        cond.append(_search(filters.q.strip()))
    return page(
        session,
        Household,
        cond,
        order_by=[col(Household.area_code), col(Household.reference)],
        offset=offset,
        limit=limit,
    )


def member_public(member: Member, *, full: bool) -> MemberPublic:
    """A member as the answer shows them: age today, the ID number whole only for `full`."""
    number = (
        security.decrypt_id_number(member.id_number_cipher) if member.id_number_cipher else None
    )
    today = clock.today()
    b = member.birth_date
    age = today.year - b.year - ((today.month, today.day) < (b.month, b.day))
    shown = (number if full else security.mask_id_number(number)) if number else None
    stored = {
        k: getattr(member, k) for k in MemberPublic.model_fields.keys() - {"id_number", "age"}
    }
    return MemberPublic(**stored, id_number=shown, age=age)


def _plan_public(*, session: Session, household_id: uuid.UUID) -> PlanPublic | None:
    plan = service.plan_of(session=session, household_id=household_id)
    if plan is None:
        return None
    return PlanPublic(
        id=plan.id,
        summary=plan.summary,
        due_on=plan.due_on,
        measures=[
            MeasurePublic.model_validate(m)
            for m in service.measures_of(session=session, plan_id=plan.id)
        ],
    )


def detail(*, session: Session, household: Household, viewer: User | None) -> HouseholdPublic:
    summary = service.summaries(session=session, households=[household], viewer=viewer)[0]
    full = service.sees_full_id(viewer)
    members = service.members_of(session=session, household_id=household.id)
    incomes = service.incomes_of(session=session, household_id=household.id)
    return HouseholdPublic(
        **summary.model_dump(),
        address=household.address,
        enrolled_on=household.enrolled_on,
        risk_cleared_on=household.risk_cleared_on,
        plan_due_on=household.plan_due_on,
        basic_needs={k: bool(household.basic_needs.get(k, True)) for k in BASIC_NEEDS},
        members=[member_public(m, full=full) for m in members],
        incomes=[IncomePublic.model_validate(i) for i in incomes],
        plan=_plan_public(session=session, household_id=household.id),
        registered_on=household.registered_on,
        created_at=household.created_at,
        updated_at=household.updated_at,
    )
