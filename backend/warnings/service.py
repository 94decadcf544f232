"""Receiving a department's warning (idempotent per source, person and period, matched by
the ID number's keyed hash), the township's triage queue, and triage: a report on the
household's behalf, or dismissal with a reason the sender reads."""

import hashlib
import json
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import case
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from backend.accounts.access import TRIAGES_WARNINGS
from backend.accounts.clients import Caller
from backend.accounts.models import User
from backend.areas import service as areas_service
from backend.audit import service as audit
from backend.core import clock, security
from backend.core.errors import Conflict, Forbidden
from backend.core.loaders import load_or_404
from backend.core.paging import page
from backend.core.scope import in_area, within
from backend.core.usecase import use_case
from backend.households import service as households_service
from backend.households.models import RiskType
from backend.reports import queries as reports_queries
from backend.reports import service as reports_service
from backend.warnings.models import SOURCE_NAMES, DepartmentWarning, WarningSource, WarningStatus
from backend.warnings.schemas import (
    WarningCreate,
    WarningFilters,
    WarningPublic,
    WarningReportInput,
)

# The risk each department's warning speaks of, when the township does not choose.
SOURCE_RISKS = {
    WarningSource.medical_insurance: RiskType.illness,
    WarningSource.education: RiskType.schooling,
    WarningSource.disabled_persons: RiskType.disability,
    WarningSource.human_resources: RiskType.unstable_employment,
    WarningSource.civil_affairs: RiskType.other,
}


def _digest(data: WarningCreate) -> str:
    body = data.model_dump(mode="json", exclude={"id_number"})
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def _same_key(
    session: Session, data: WarningCreate, id_hashes: list[str]
) -> DepartmentWarning | None:
    # Under every key in use: during a data key rotation, a warning received before it
    # keeps the old key's hash until `shouwang rotate-data-key` reaches it.
    return session.exec(
        select(DepartmentWarning).where(
            DepartmentWarning.source == data.source,
            col(DepartmentWarning.id_number_hash).in_(id_hashes),
            DepartmentWarning.period == data.period,
        )
    ).first()


def _replay(existing: DepartmentWarning, digest: str) -> DepartmentWarning:
    if existing.payload_hash != digest:
        raise Conflict(
            "同一部门对同一人同一期间的预警已收到,内容不同;如需更正请联系乡镇",
            code="warning_differs",
        )
    return existing


@use_case
def receive(
    *, session: Session, client: Caller, data: WarningCreate
) -> tuple[DepartmentWarning, bool]:
    """Store a warning (created=True), or answer the one already received under the same
    source, person and period (the same content; other content is a 409)."""
    id_hashes = security.id_number_hashes(data.id_number)
    id_hash = id_hashes[0]
    digest = _digest(data)
    existing = _same_key(session, data, id_hashes)
    if existing is not None:
        return _replay(existing, digest), False
    household = households_service.household_of_person(session=session, id_number=data.id_number)
    row = DepartmentWarning(
        client_id=client.id,
        source=data.source,
        id_number_cipher=security.encrypt_id_number(data.id_number),
        id_number_hash=id_hash,
        period=data.period,
        summary=data.summary,
        figures=data.figures,
        payload_hash=digest,
        area_code=household.area_code if household else client.area_code,
        household_id=household.id if household else None,
        status=WarningStatus.pending if household else WarningStatus.unmatched,
    )
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        # The same warning arrived twice at once: the other request stored it first.
        session.rollback()
        existing = _same_key(session, data, id_hashes)
        if existing is None:
            raise
        return _replay(existing, digest), False
    audit.record_change(
        session=session,
        row=row,
        actor=None,
        actor_name=client.name,
        action="receive",
        changes={
            "source": [None, row.source],
            "id_number": [None, data.id_number],
            "period": [None, row.period],
            "status": [None, row.status],
            "household_id": [None, row.household_id],
        },
    )
    return row, True


# --- the sender's view -------------------------------------------------------------------


def sent(
    *, session: Session, client: Caller, filters: WarningFilters, offset: int, limit: int
) -> tuple[list[DepartmentWarning], int]:
    return _list(session, [DepartmentWarning.client_id == client.id], filters, offset, limit)


def get_sent(*, session: Session, client: Caller, warning_id: uuid.UUID) -> DepartmentWarning:
    return load_or_404(
        session,
        DepartmentWarning,
        warning_id,
        sees=lambda w: w.client_id == client.id,
        missing="没有找到这条预警",
    )


# --- the township's queue and triage -----------------------------------------------------


def _require_triager(user: User) -> None:
    if user.role not in TRIAGES_WARNINGS:
        raise Forbidden("只有乡镇干部和县乡村振兴局可以分拣部门预警", code="role_forbidden")


def queue(
    *, session: Session, user: User, filters: WarningFilters, offset: int, limit: int
) -> tuple[list[DepartmentWarning], int]:
    """The warnings in the caller's area, oldest waiting first."""
    _require_triager(user)
    return _list(session, [within(DepartmentWarning.area_code, user.scope)], filters, offset, limit)


def untriaged(*, session: Session, user: User) -> list[tuple[str, int, datetime]]:
    """(source, warnings, the oldest received) still to triage in the caller's area, for
    待办: one grouped count under the same conditions as
    `GET /warnings?status=pending&source=<source>`, so each count is that list's. Empty for a
    role that may not triage."""
    if user.role not in TRIAGES_WARNINGS:
        return []
    cond = _where(
        [within(DepartmentWarning.area_code, user.scope)],
        WarningFilters(status=WarningStatus.pending),
    )
    stmt = (
        select(DepartmentWarning.source, func.count(), func.min(DepartmentWarning.created_at))
        .where(*cond)
        .group_by(col(DepartmentWarning.source))
    )
    return [(source, n, oldest) for source, n, oldest in session.exec(stmt)]


def _list(session, cond, filters, offset, limit):  # type: ignore[no-untyped-def]
    return page(
        session,
        DepartmentWarning,
        _where(cond, filters),
        order_by=[col(DepartmentWarning.created_at), col(DepartmentWarning.id)],
        offset=offset,
        limit=limit,
    )


def _where(cond: list[Any], filters: WarningFilters) -> list[Any]:
    """The filters as SQL conditions, added to `cond` (the caller's reach)."""
    cond = list(cond)
    if filters.matched is not None:
        matched = col(DepartmentWarning.household_id).is_not(None)
        cond.append(matched if filters.matched else ~matched)
    if filters.status is not None:
        cond.append(DepartmentWarning.status == filters.status)
    if filters.source is not None:
        cond.append(DepartmentWarning.source == filters.source)
    if filters.period:
        cond.append(DepartmentWarning.period == filters.period)
    if filters.area_code:
        cond.append(within(DepartmentWarning.area_code, filters.area_code))
    return cond


def get_visible(
    *, session: Session, user: User, warning_id: uuid.UUID, lock: bool = False
) -> DepartmentWarning:
    _require_triager(user)
    return load_or_404(
        session,
        DepartmentWarning,
        warning_id,
        sees=in_area(user.scope),
        missing="没有找到这条预警",
        lock=lock,
    )


def _require_pending(warning: DepartmentWarning) -> None:
    if warning.status == WarningStatus.unmatched:
        raise Conflict(
            "这条预警没有匹配到农户,不能代报;可以排除并说明理由", code="warning_unmatched"
        )
    if warning.status != WarningStatus.pending:
        raise Conflict("这条预警已分拣", code="warning_triaged")


@use_case
def to_report(
    *, session: Session, warning: DepartmentWarning, data: WarningReportInput, actor: User
) -> DepartmentWarning:
    """分拣 → a report on the household's behalf (代报), verifying and assigned to the actor;
    an open report of the household is joined instead."""
    _require_pending(warning)
    assert warning.household_id is not None
    household = households_service.get_visible(
        session=session, user=actor, household_id=warning.household_id
    )
    risks = data.risk_types or [SOURCE_RISKS[WarningSource(warning.source)]]
    source = SOURCE_NAMES[WarningSource(warning.source)]
    report = reports_service.open_on_behalf(
        session=session,
        household=household,
        risk_types=risks,
        actor=actor,
        note=(data.note or f"{source}部门预警({warning.period}):{warning.summary}")[:500],
    )
    _triaged(session=session, warning=warning, actor=actor, status=WarningStatus.reported)
    warning.report_id = report.id
    audit.record_change(
        session=session,
        row=warning,
        actor=actor,
        action="to_report",
        changes={"status": [WarningStatus.pending, warning.status], "report_id": [None, report.id]},
    )
    session.flush()
    return warning


@use_case
def dismiss(
    *, session: Session, warning: DepartmentWarning, reason: str, actor: User
) -> DepartmentWarning:
    """分拣 → 排除, with a reason the sender reads. An unmatched warning may be dismissed."""
    if warning.status not in (WarningStatus.pending, WarningStatus.unmatched):
        raise Conflict("这条预警已分拣", code="warning_triaged")
    before = warning.status
    _triaged(session=session, warning=warning, actor=actor, status=WarningStatus.dismissed)
    warning.dismiss_reason = reason
    audit.record_change(
        session=session,
        row=warning,
        actor=actor,
        action="dismiss",
        changes={"status": [before, warning.status], "reason": [None, reason]},
    )
    session.flush()
    return warning


def _triaged(
    *, session: Session, warning: DepartmentWarning, actor: User, status: WarningStatus
) -> None:
    warning.status = status
    warning.triaged_by = actor.id
    warning.triaged_at = clock.now()
    session.add(warning)


# --- the yield per source (the statistics) ----------------------------------------------


def yield_rows(*, session: Session, prefix: str) -> list[tuple[str, str, str, bool, bool, int]]:
    """(area code, source, status, matched, led to enrolment, warnings) inside `prefix`, in
    one grouped statement: the statistics sum them per area and source. "Led to enrolment":
    the report opened from the warning (or the open one it joined) ended in enrolment."""
    matched = col(DepartmentWarning.household_id).is_not(None)
    enrolled_reports = reports_queries.enrolled_ids()
    enrolled = case((enrolled_reports.c.id.is_not(None), 1), else_=0)
    stmt = (
        select(
            DepartmentWarning.area_code,
            DepartmentWarning.source,
            DepartmentWarning.status,
            matched,
            enrolled,
            func.count(),
        )
        .outerjoin(enrolled_reports, enrolled_reports.c.id == col(DepartmentWarning.report_id))
        .where(within(DepartmentWarning.area_code, prefix))
        .group_by(
            col(DepartmentWarning.area_code),
            col(DepartmentWarning.source),
            col(DepartmentWarning.status),
            matched,
            enrolled,
        )
    )
    return [
        (code, source, status, bool(m), bool(e), n)
        for code, source, status, m, e, n in session.exec(stmt)
    ]


# --- answers -----------------------------------------------------------------------------


def publics(*, session: Session, warnings: list[DepartmentWarning]) -> list[WarningPublic]:
    """Warnings as answered: the ID number masked, the village named, the report's receipt
    code and status."""
    reports = reports_service.codes_and_statuses(
        session=session, ids={w.report_id for w in warnings if w.report_id}
    )
    areas = areas_service.names(session=session, codes={w.area_code for w in warnings})
    out = []
    for w in warnings:
        code, status = reports.get(w.report_id, (None, None)) if w.report_id else (None, None)
        out.append(
            WarningPublic.model_validate(
                {
                    **w.model_dump(),
                    "id_number": security.mask_id_number(
                        security.decrypt_id_number(w.id_number_cipher)
                    ),
                    "matched": w.household_id is not None,
                    "area_name": areas.get(w.area_code),
                    "report_receipt_code": code,
                    "report_status": status,
                }
            )
        )
    return out
