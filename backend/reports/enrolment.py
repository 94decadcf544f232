"""What a self-report's enrolment does to the household: which household (named, linked,
found by ID number, or new; only one of the report's own village within the officer's
reach), and how it comes under monitoring, all through the households domain."""

import uuid

from sqlmodel import Session

from backend.accounts.models import User
from backend.core import clock, security
from backend.core.errors import Conflict, Invalid, NotFound
from backend.core.scope import contains
from backend.households import service as households_service
from backend.households import workflow as households_workflow
from backend.households.models import Household, MonitoringStatus, RiskType
from backend.households.schemas import HouseholdCreate, MemberCreate
from backend.reports.models import KIND_NAMES, ReportStatus, SelfReport
from backend.reports.schemas import SelfReportEnrollInput

NOT_HERE = "没有这户,或该户不在报告所在的村"


def _household_in_village(
    *, session: Session, report: SelfReport, actor: User, household_id: uuid.UUID
) -> Household | None:
    """The household, if the actor may see it and it lies in the report's own village."""
    try:
        household = households_service.get_visible(
            session=session, user=actor, household_id=household_id
        )
    except NotFound:
        return None
    return household if household.area_code == report.area_code else None


def _household_for(
    *, session: Session, report: SelfReport, actor: User, data: SelfReportEnrollInput
) -> Household:
    """The household to enroll: named, already linked, found by ID number, or new. Only a
    household of the report's own village, within the actor's reach, is ever changed."""
    if data.household_id is not None:
        household = _household_in_village(
            session=session, report=report, actor=actor, household_id=data.household_id
        )
        if household is None:
            # The same answer whether it is missing, out of reach or in another village.
            raise Invalid("household_id", NOT_HERE)
        return household
    if report.household_id is not None:
        linked = _household_in_village(
            session=session, report=report, actor=actor, household_id=report.household_id
        )
        if linked is not None:
            return linked
    number = (
        security.decrypt_id_number(report.id_number_cipher) if report.id_number_cipher else None
    )
    if number:
        found = households_service.household_of_person(session=session, id_number=number)
        if found is not None:
            if found.area_code != report.area_code or not contains(actor.scope, found.area_code):
                raise Conflict(
                    "报告人的身份证号登记在其他村的农户中,不能在本村纳入;"
                    "请核实身份证号,或请该户所在地办理",
                    code="household_in_other_village",
                    detail={"field": "household_id"},
                )
            return found
    elif data.head_birth_date is None or data.head_sex is None:
        raise Invalid("head_birth_date", "报告没有身份证号,新建户需填写户主出生日期和性别")
    head = MemberCreate(
        name=report.name,
        relation="head",
        id_number=number,
        birth_date=None if number else data.head_birth_date,
        sex=None if number else data.head_sex,
    )
    return households_service.create(
        session=session,
        data=HouseholdCreate(
            area_code=report.area_code,
            phone=report.phone,
            category=data.category,
            members=[head],
        ),
        actor=actor,
    )


def enroll_household(
    *, session: Session, report: SelfReport, actor: User, data: SelfReportEnrollInput
) -> None:
    """Creates or updates the household: a new or unmonitored one is enrolled, a cleared
    one goes back under monitoring (回退), a monitored one gets the report's risk types
    added. Each through the households domain, which writes its own audit row."""
    household = _household_for(session=session, report=report, actor=actor, data=data)
    risks = data.risk_types or [RiskType(r) for r in report.risk_types]
    reason = f"{KIND_NAMES[report.kind]} {report.receipt_code}"
    if household.monitoring_status == MonitoringStatus.monitored:
        households_service.add_risk_types(
            session=session, household=household, risk_types=risks, actor=actor, reason=reason
        )
    elif household.monitoring_status == MonitoringStatus.risk_cleared:
        households_workflow.revert(
            session=session,
            household=household,
            actor=actor,
            monitoring_type=data.monitoring_type,
            risk_types=risks,
            reason=reason,
        )
    else:
        households_workflow.enroll(
            session=session,
            household=household,
            monitoring_type=data.monitoring_type,
            risk_types=risks,
            actor=actor,
            plan_due_on=data.plan_due_on,
            reason=reason,
        )
    report.household_id = household.id
    report.risk_types = [r.value for r in risks]
    report.status = ReportStatus.enrolled
    report.decided_at, report.decided_by = clock.now(), actor.id
