"""Full ID numbers on request, and a household's personal-data export. Answers show ID
numbers masked; a role that may see one whole (accounts/access.SEES_FULL_ID_NUMBER) asks for
it, and every such view — one number, or a household's whole export — is an audit row in the
same transaction as the answer."""

import uuid
from typing import Any

from sqlmodel import Session

from backend.accounts.access import SEES_FULL_ID_NUMBER
from backend.accounts.models import User
from backend.audit import service as audit_service
from backend.audit.schemas import AuditEntryPublic, AuditFilters
from backend.core import clock, security
from backend.core.errors import Forbidden, NotFound
from backend.core.usecase import use_case
from backend.households import reading as households_reading
from backend.households import service as households_service
from backend.households.models import Household
from backend.privacy.schemas import IdNumberShown, PersonalDataExport
from backend.reports import queries as reports_queries
from backend.reports.models import SelfReport
from backend.visits import service as visits_service

# What an export tells of a report: the farmer's own words and the decision, whole.
REPORT_FIELDS = (
    "id",
    "receipt_code",
    "kind",
    "status",
    "name",
    "phone",
    "on_behalf",
    "reporter_name",
    "reporter_phone",
    "risk_types",
    "note",
    "photo_ids",
    "findings",
    "decision_reason",
    "referred_to",
    "submitted_at",
    "decided_at",
)


def require_full_id_role(user: User) -> None:
    if user.role not in SEES_FULL_ID_NUMBER:
        raise Forbidden(
            "您的角色不能查看完整身份证号(id_number),只能看到打码的号码", code="role_forbidden"
        )


@use_case
def reveal_member_id_number(
    *, session: Session, household: Household, member_id: uuid.UUID, user: User
) -> IdNumberShown:
    """A member's full ID number, for a village cadre, township or county officer in scope;
    the view is recorded (the audit row keeps the number masked, like every audit row)."""
    require_full_id_role(user)
    member = next(
        (
            m
            for m in households_service.members_of(session=session, household_id=household.id)
            if m.id == member_id
        ),
        None,
    )
    if member is None or not member.id_number_cipher:
        raise NotFound("没有这位家庭成员的身份证号(member_id)", code="not_found")
    number = _shown(
        session=session,
        cipher=member.id_number_cipher,
        row=household,
        user=user,
        about={"member_id": [None, str(member.id)]},
    )
    return IdNumberShown(id=member.id, id_number=number)


@use_case
def reveal_report_id_number(*, session: Session, report: SelfReport, user: User) -> IdNumberShown:
    """The ID number a report was sent with, whole, for the roles that may see it; audited."""
    require_full_id_role(user)
    if not report.id_number_cipher:
        raise NotFound("这份报告没有填写身份证号(id_number)", code="not_found")
    number = _shown(session=session, cipher=report.id_number_cipher, row=report, user=user)
    return IdNumberShown(id=report.id, id_number=number)


def _shown(
    *, session: Session, cipher: str, row: Any, user: User, about: dict[str, Any] | None = None
) -> str:
    """The number whole, its view written as an audit row about `row` (which keeps it masked)."""
    number = security.decrypt_id_number(cipher)
    audit_service.record_change(
        session=session,
        row=row,
        actor=user,
        action="view_id_number",
        changes={**(about or {}), "id_number": [None, number]},
    )
    return number


def _audit_of(*, session: Session, user: User, entity: str, ids: list[str]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    scope = user.area_code or ""
    for entity_id in ids:
        entries, _ = audit_service.list_entries(
            session=session,
            scope=scope,
            filters=AuditFilters(entity=entity, entity_id=entity_id),
            limit=10_000,
        )
        rows += [AuditEntryPublic.model_validate(e).model_dump(mode="json") for e in entries]
    return rows


@use_case
def export_household(*, session: Session, household: Household, user: User) -> PersonalDataExport:
    """What the platform holds about a household, as one document for the household itself
    (PIPL art. 45): the record with full ID numbers, visits, reports and the audit trail.
    Village cadres, township and county officers in scope; the export is audited."""
    require_full_id_role(user)
    record = households_reading.detail(
        session=session, household=household, viewer=user, full_ids=True
    )
    visits, _ = visits_service.list_visits(
        session=session, user=user, household_id=household.id, limit=100_000
    )
    reports = reports_queries.of_household(session=session, household_id=household.id)
    shown_reports = []
    for report in reports:
        row = {k: getattr(report, k) for k in REPORT_FIELDS}
        row["id_number"] = (
            security.decrypt_id_number(report.id_number_cipher) if report.id_number_cipher else None
        )
        shown_reports.append(row)
    member_ids = [str(m.id) for m in record.members]
    audit = _audit_of(session=session, user=user, entity="household", ids=[str(household.id)])
    audit += _audit_of(session=session, user=user, entity="member", ids=member_ids)
    audit += _audit_of(
        session=session, user=user, entity="self_report", ids=[str(r.id) for r in reports]
    )
    audit_service.record_change(
        session=session,
        row=household,
        actor=user,
        action="export_personal_data",
        changes={
            "members": [None, len(member_ids)],
            "visits": [None, len(visits)],
            "reports": [None, len(reports)],
        },
    )
    return PersonalDataExport(
        exported_at=clock.now(),
        exported_by=user.full_name,
        household=record.model_dump(mode="json"),
        visits=[
            v.model_dump(mode="json") for v in visits_service.public(session=session, visits=visits)
        ],
        reports=shown_reports,
        audit=sorted(audit, key=lambda e: e["at"]),
    )
