"""A monitored household's assistance plan (一户一策) and its measures (帮扶措施)."""

import uuid

from sqlmodel import Session

from backend.accounts.models import User
from backend.audit import service as audit
from backend.core import clock
from backend.core.errors import Conflict, Invalid, NotFound
from backend.core.usecase import use_case
from backend.households import service
from backend.households.models import AssistancePlan, Household, Measure, MonitoringStatus
from backend.households.schemas import MeasureCreate, MeasureUpdate, PlanInput


def _monitored_plan(
    *, session: Session, household: Household, actor: User, refusal: str
) -> AssistancePlan:
    """The plan of a monitored household (made if missing); `refusal` for any other."""
    service.require_editor(actor)
    if household.monitoring_status != MonitoringStatus.monitored:
        raise Conflict(refusal, code="not_monitored")
    return service.ensure_plan(session=session, household=household, due_on=None)


@use_case
def put(*, session: Session, household: Household, data: PlanInput, actor: User) -> AssistancePlan:
    """Write the plan's summary and, when given, its due date."""
    plan = _monitored_plan(
        session=session, household=household, actor=actor, refusal="只有监测户才有一户一策帮扶计划"
    )
    before = {"summary": plan.summary, "due_on": plan.due_on}
    plan.summary = data.summary
    if data.due_on is not None:
        plan.due_on = data.due_on
    plan.updated_at = clock.now()
    session.add(plan)
    changes = audit.diff(before, {"summary": plan.summary, "due_on": plan.due_on})
    audit.record_change(session=session, row=household, actor=actor, action="plan", changes=changes)
    return plan


@use_case
def add_measure(
    *, session: Session, household: Household, data: MeasureCreate, actor: User
) -> Measure:
    plan = _monitored_plan(
        session=session, household=household, actor=actor, refusal="只有监测户才能添加帮扶措施"
    )
    members = {m.id for m in service.members_of(session=session, household_id=household.id)}
    for i, member_id in enumerate(data.member_ids):
        if member_id not in members:
            raise Invalid(f"member_ids.{i}", "不是本户的成员")
    measure = Measure(
        plan_id=plan.id,
        **data.model_dump(exclude={"member_ids"}),
        member_ids=[str(m) for m in data.member_ids],
    )
    session.add(measure)
    session.flush()
    changes = {"measure": [None, data.model_dump(mode="json")]}
    audit.record_change(
        session=session, row=household, actor=actor, action="add_measure", changes=changes
    )
    return measure


@use_case
def update_measure(
    *,
    session: Session,
    household: Household,
    measure_id: uuid.UUID,
    data: MeasureUpdate,
    actor: User,
) -> Measure:
    service.require_editor(actor)
    plan = service.plan_of(session=session, household_id=household.id)
    measure = session.get(Measure, measure_id)
    if plan is None or measure is None or measure.plan_id != plan.id:
        raise NotFound("没有找到这项帮扶措施")
    fields = data.model_dump(exclude_unset=True, exclude_none=True)
    before = {k: getattr(measure, k) for k in fields}
    for key, value in fields.items():
        setattr(measure, key, value)
    session.add(measure)
    changes = {"measure_id": [None, measure.id], **audit.diff(before, fields)}
    audit.record_change(
        session=session, row=household, actor=actor, action="update_measure", changes=changes
    )
    return measure
