"""HTTP for households: parse, call the service, shape the answer."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query

from backend.accounts.deps import CurrentUser
from backend.core.deps import PagingDep, SessionDep
from backend.core.idempotency import Idempotent
from backend.households import incomes, lines, members, plans, reading, service, workflow
from backend.households.deps import GuardedHousehold, TaggedHousehold
from backend.households.schemas import (
    ClearRiskInput,
    EnrollInput,
    HouseholdCreate,
    HouseholdFilters,
    HouseholdPublic,
    HouseholdsPublic,
    HouseholdUpdate,
    IncomeInput,
    MeasureCreate,
    MeasureUpdate,
    MemberCreate,
    MemberUpdate,
    MonitoringLineInput,
    MonitoringLinePublic,
    PlanInput,
    RevertInput,
)

router = APIRouter(prefix="/api/v1", tags=["households"])


@router.get("/households", response_model=HouseholdsPublic, operation_id="list_households")
def list_households(
    session: SessionDep,
    user: CurrentUser,
    paging: PagingDep,
    filters: Annotated[HouseholdFilters, Query()],
) -> HouseholdsPublic:
    """Households in the caller's reach, filtered and paginated."""
    rows, count = reading.list_households(
        session=session, user=user, filters=filters, offset=paging.offset, limit=paging.limit
    )
    return HouseholdsPublic(
        data=service.summaries(session=session, households=rows, viewer=user), count=count
    )


@router.post(
    "/households", response_model=HouseholdPublic, status_code=201, operation_id="create_household"
)
def create_household(
    session: SessionDep, user: CurrentUser, _: Idempotent, data: HouseholdCreate
) -> HouseholdPublic:
    """Register a household with its members (and, optionally, past incomes)."""
    household = service.create(session=session, data=data, actor=user)
    return reading.detail(session=session, household=household, viewer=user)


@router.get(
    "/households/{household_id}", response_model=HouseholdPublic, operation_id="get_household"
)
def get_household(
    session: SessionDep, user: CurrentUser, household: TaggedHousehold
) -> HouseholdPublic:
    """One household with members, incomes and plan."""
    return reading.detail(session=session, household=household, viewer=user)


@router.patch(
    "/households/{household_id}", response_model=HouseholdPublic, operation_id="update_household"
)
def update_household(
    session: SessionDep, user: CurrentUser, household: GuardedHousehold, data: HouseholdUpdate
) -> HouseholdPublic:
    """Change a household's address, phone, category, helper or basic-needs status."""
    service.update(session=session, household=household, data=data, actor=user)
    return reading.detail(session=session, household=household, viewer=user)


@router.post(
    "/households/{household_id}/members",
    response_model=HouseholdPublic,
    status_code=201,
    operation_id="add_member",
)
def add_member(
    session: SessionDep,
    user: CurrentUser,
    _: Idempotent,
    household: GuardedHousehold,
    data: MemberCreate,
) -> HouseholdPublic:
    """Add a member to a household."""
    members.add(session=session, household=household, data=data, actor=user)
    return reading.detail(session=session, household=household, viewer=user)


@router.patch(
    "/households/{household_id}/members/{member_id}",
    response_model=HouseholdPublic,
    operation_id="update_member",
)
def update_member(
    session: SessionDep,
    user: CurrentUser,
    household: GuardedHousehold,
    member_id: uuid.UUID,
    data: MemberUpdate,
) -> HouseholdPublic:
    """Change a member's details, or mark them as having left (active: false)."""
    members.update(session=session, household=household, member_id=member_id, data=data, actor=user)
    return reading.detail(session=session, household=household, viewer=user)


@router.put(
    "/households/{household_id}/incomes/{year}",
    response_model=HouseholdPublic,
    operation_id="put_income",
)
def put_income(
    session: SessionDep,
    user: CurrentUser,
    household: GuardedHousehold,
    year: Annotated[int, Path(ge=2014, le=2100)],
    data: IncomeInput,
) -> HouseholdPublic:
    """Record or correct a year's income by component (integer yuan)."""
    incomes.put(session=session, household=household, year=year, data=data, actor=user)
    return reading.detail(session=session, household=household, viewer=user)


@router.put(
    "/households/{household_id}/plan", response_model=HouseholdPublic, operation_id="put_plan"
)
def put_plan(
    session: SessionDep, user: CurrentUser, household: GuardedHousehold, data: PlanInput
) -> HouseholdPublic:
    """Write the monitored household's assistance plan (一户一策)."""
    plans.put(session=session, household=household, data=data, actor=user)
    return reading.detail(session=session, household=household, viewer=user)


@router.post(
    "/households/{household_id}/plan/measures",
    response_model=HouseholdPublic,
    status_code=201,
    operation_id="add_measure",
)
def add_measure(
    session: SessionDep,
    user: CurrentUser,
    _: Idempotent,
    household: GuardedHousehold,
    data: MeasureCreate,
) -> HouseholdPublic:
    """Add an assistance measure to the plan."""
    plans.add_measure(session=session, household=household, data=data, actor=user)
    return reading.detail(session=session, household=household, viewer=user)


@router.patch(
    "/households/{household_id}/plan/measures/{measure_id}",
    response_model=HouseholdPublic,
    operation_id="update_measure",
)
def update_measure(
    session: SessionDep,
    user: CurrentUser,
    household: GuardedHousehold,
    measure_id: uuid.UUID,
    data: MeasureUpdate,
) -> HouseholdPublic:
    """Update a measure's status, amount or description."""
    plans.update_measure(
        session=session, household=household, measure_id=measure_id, data=data, actor=user
    )
    return reading.detail(session=session, household=household, viewer=user)


@router.post(
    "/households/{household_id}/enroll", response_model=HouseholdPublic, operation_id="enroll"
)
def enroll(
    session: SessionDep, user: CurrentUser, household: GuardedHousehold, data: EnrollInput
) -> HouseholdPublic:
    """County correction: enroll directly (the chain is POST …/proposals)."""
    workflow.require_direct(user)
    workflow.enroll(
        session=session,
        household=household,
        monitoring_type=data.monitoring_type,
        risk_types=data.risk_types,
        actor=user,
        enrolled_on=data.enrolled_on,
        plan_due_on=data.plan_due_on,
        reason=f"县级直接更正:{data.reason}",
    )
    return reading.detail(session=session, household=household, viewer=user)


@router.post(
    "/households/{household_id}/clear-risk",
    response_model=HouseholdPublic,
    operation_id="clear_risk",
)
def clear_risk(
    session: SessionDep, user: CurrentUser, household: GuardedHousehold, data: ClearRiskInput
) -> HouseholdPublic:
    """County correction: clear risk directly; 409 with every guard rule that still holds."""
    workflow.require_direct(user)
    workflow.clear_risk(
        session=session,
        household=household,
        actor=user,
        reason=f"县级直接更正:{data.reason}",
        cleared_on=data.cleared_on,
    )
    return reading.detail(session=session, household=household, viewer=user)


@router.post(
    "/households/{household_id}/revert", response_model=HouseholdPublic, operation_id="revert"
)
def revert(
    session: SessionDep, user: CurrentUser, household: GuardedHousehold, data: RevertInput
) -> HouseholdPublic:
    """County correction: 回退 directly, a cleared household back under monitoring."""
    workflow.require_direct(user)
    workflow.revert(
        session=session,
        household=household,
        actor=user,
        monitoring_type=data.monitoring_type,
        risk_types=data.risk_types,
        reason=f"县级直接更正:{data.reason}",
    )
    return reading.detail(session=session, household=household, viewer=user)


@router.get(
    "/monitoring-lines",
    response_model=list[MonitoringLinePublic],
    operation_id="list_monitoring_lines",
)
def list_lines(
    session: SessionDep, _: CurrentUser, province: str | None = None
) -> list[MonitoringLinePublic]:
    """监测收入标准 by province and year."""
    return [
        MonitoringLinePublic.model_validate(x)
        for x in workflow.lines(session=session, province_code=province)
    ]


@router.put(
    "/monitoring-lines/{province_code}/{year}",
    response_model=MonitoringLinePublic,
    operation_id="set_monitoring_line",
)
def set_line(
    session: SessionDep,
    user: CurrentUser,
    province_code: Annotated[str, Path(pattern=r"^\d{2}$", description="省级地区代码(2 位)")],
    year: Annotated[int, Path(ge=2000, le=2100, description="年度")],
    data: MonitoringLineInput,
) -> MonitoringLinePublic:
    """Set a province's 监测收入标准 for a year, with its basis document and 文号."""
    line = lines.put(session=session, province_code=province_code, year=year, data=data, actor=user)
    return MonitoringLinePublic.model_validate(line)
