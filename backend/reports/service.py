"""How a self-report comes in: the farmer's report (resends and races included) and the
report a cadre opens on a household's behalf (代报). A second report of the same person or
household in the same village joins the open one. Other domains call `open_on_behalf`."""

import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import bindparam, insert, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from backend.accounts.models import User
from backend.areas import service as areas_service
from backend.audit import service as audit
from backend.core import clock, db, security
from backend.core.errors import Conflict, Invalid
from backend.core.ids import new_id, short_code
from backend.core.usecase import use_case
from backend.files import service as files_service
from backend.households import service as households_service
from backend.households.models import Household, Relation, RiskType
from backend.reports import deadlines, notify, throttle
from backend.reports.models import OPEN, ReportEvent, ReportKind, ReportStatus, SelfReport
from backend.reports.schemas import SelfReportCreate, SelfReportReceipt
from backend.webhooks import events as webhooks
from backend.webhooks.models import EventKind
from backend.workdays import service as workdays

MAX_PHOTOS = 3
FARMER = "农户(一键报贫)"


# --- what every way in shares ------------------------------------------------------------


def _open_report_of(
    *,
    session: Session,
    area_code: str,
    id_hash: str | None,
    household_id: uuid.UUID | None,
    phone: str | None,
    name: str | None,
) -> SelfReport | None:
    """An open report of the same person or household in the same village, which a new one
    joins. Never one of another village: the new report's farmer could then read how
    someone else's report was decided."""
    ways = (bool(id_hash), bool(household_id), bool(phone and name))
    if not any(ways):
        return None
    found = (
        session.connection()
        .execute(
            _open_report_statement(ways),
            {
                "area": area_code,
                "id_hash": id_hash,
                "household": household_id,
                "phone": phone,
                "name": name,
            },
        )
        .first()
    )
    # Loaded whole only when there is one to join (most reports join none).
    return session.get(SelfReport, found[0]) if found is not None else None


@cache
def _open_report_statement(ways: tuple[bool, bool, bool]) -> Any:
    """The open-report look-up for the ways a report names its person, built once each:
    it runs for every report received."""
    by_id, by_household, by_phone = ways
    same = []
    if by_id:
        same.append(SelfReport.id_number_hash == bindparam("id_hash"))
    if by_household:
        same.append(SelfReport.household_id == bindparam("household"))
    if by_phone:
        same.append(
            (SelfReport.phone == bindparam("phone")) & (SelfReport.name == bindparam("name"))
        )
    return (
        select(SelfReport.id)
        .where(
            SelfReport.area_code == bindparam("area"),
            col(SelfReport.status).in_(OPEN),
            # Never a village's proposal: a farmer's report is a case of its own.
            SelfReport.kind == ReportKind.self_report,
            or_(*same),
        )
        .order_by(col(SelfReport.submitted_at))
        .limit(1)
    )


_INSERT_EVENT = insert(ReportEvent.__table__)  # type: ignore[attr-defined]
_CODE_TAKEN = select(SelfReport.id).where(SelfReport.receipt_code == bindparam("code"))
_STORED = select(SelfReport.id).where(SelfReport.id == bindparam("id"))


def new_receipt_code(session: Session) -> str:
    """A receipt code no report has yet (proposals.py numbers its cases with it too)."""
    while True:
        code = short_code(8)
        if session.connection().execute(_CODE_TAKEN, {"code": code}).first() is None:
            return code


def join(*, session: Session, primary: SelfReport, risk_types: Sequence[str], note: str) -> None:
    """A later report's risks and words are added to the open report it joins."""
    primary.risk_types = list(dict.fromkeys([*primary.risk_types, *risk_types]))
    if note:
        primary.note = (primary.note + "\n" + note).strip()[:2000]
    primary.updated_at = clock.now()
    session.add(primary)


def add_event(
    *,
    session: Session,
    report: SelfReport,
    action: str,
    actor: User | None,
    before: ReportStatus | None = None,
    note: str = "",
    data: dict[str, Any] | None = None,
) -> None:
    """A line on the report's timeline (its status change, if any, included)."""
    session.add(ReportEvent(**_event_values(report, action, actor, before, note, data)))


def _event_values(
    report: SelfReport,
    action: str,
    actor: User | None,
    before: ReportStatus | None = None,
    note: str = "",
    data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A timeline line's columns, as `add_event` adds it and the intake inserts it."""
    changed = before is not None and before != report.status
    return {
        "report_id": report.id,
        "action": action,
        "from_status": str(before) if changed and before else None,
        "to_status": str(report.status) if changed or action == "submit" else None,
        "actor_id": actor.id if actor else None,
        "actor_name": actor.full_name if actor else FARMER,
        "note": note[:500],
        "data": data or {},
    }


# --- the farmer's report -----------------------------------------------------------------


@dataclass
class Photo:
    data: bytes
    filename: str = ""


def submit(
    *, session: Session, data: SelfReportCreate, photos: Sequence[Photo], client_address: str
) -> tuple[SelfReportReceipt, bool]:
    """Receive a farmer's report. Returns (its receipt, created); a resend of the same
    report under the same id answers the stored one's receipt. Every check runs before
    anything is written. The receipt's text is queued with the report, for the worker to
    send. The receipt is made in the same transaction, with the working-day calendar the
    deadlines were counted on: nothing is read after the commit."""
    return _receive(session=session, data=data, photos=photos, client_address=client_address)


@use_case
def _receive(
    *, session: Session, data: SelfReportCreate, photos: Sequence[Photo], client_address: str
) -> tuple[SelfReportReceipt, bool]:
    digest = _digest(data, photos)
    if data.id is not None:
        existing = _stored(session, data.id)
        if existing is not None:
            return receipt(session=session, report=_replay(existing, digest)), False
    _admit(session=session, data=data, photos=photos, client_address=client_address)
    days = workdays.calendar(session=session, area_code=data.area_code)
    report = _new_report(session=session, data=data, digest=digest, calendar=days)
    # Everything above read without the write lock (rule 21); what a concurrent report can
    # change, the open report it would join, is read under it (SQLite: the process lock).
    db.lock_for_write(session)
    primary = _open_report_of(
        session=session,
        area_code=data.area_code,
        id_hash=report.id_number_hash,
        household_id=report.household_id,
        phone=data.phone,
        name=data.name,
    )
    if primary is not None and primary.id == report.id:
        # The same id was stored by a request that raced this one past the first check.
        return receipt(session=session, report=_replay(primary, digest)), False
    _store_photos(session=session, report=report, photos=photos)
    if primary is not None:
        report.status = ReportStatus.merged
        report.merged_into_id = primary.id
        join(session=session, primary=primary, risk_types=report.risk_types, note=data.note)
        primary.photo_ids = [*primary.photo_ids, *report.photo_ids]
    deadlines.refresh_step_due(report)
    session.add(report)
    try:
        session.flush()
    except IntegrityError:
        # The same id arrived twice at once: the other request stored it first.
        session.rollback()
        existing = session.get(SelfReport, report.id)
        if existing is None:
            raise
        return receipt(session=session, report=_replay(existing, digest)), False
    _record_submit(session=session, report=report, primary=primary, data=data)
    notify.queue_text(session=session, report=report, kind="receipt")
    submitted(session=session, report=report)
    return receipt(session=session, report=report, calendar=days), True


def submitted(*, session: Session, report: SelfReport) -> None:
    """The webhook event of a new report (a farmer's, or one opened on a household's
    behalf), in the transaction that stores it."""
    webhooks.emit(
        session=session,
        kind=EventKind.self_report_submitted,
        area_code=report.area_code,
        data={
            "self_report_id": str(report.id),
            "receipt_code": report.receipt_code,
            "status": report.status,
            "risk_types": list(report.risk_types),
            "on_behalf": report.on_behalf,
            "household_id": str(report.household_id) if report.household_id else None,
            "merged_into_id": str(report.merged_into_id) if report.merged_into_id else None,
        },
    )


def codes_and_statuses(
    *, session: Session, ids: set[uuid.UUID]
) -> dict[uuid.UUID, tuple[str, str]]:
    """{report id: (receipt code, status)}: what another domain shows of the reports it
    opened (a department warning's outcome), in one query."""
    if not ids:
        return {}
    stmt = select(SelfReport.id, SelfReport.receipt_code, SelfReport.status).where(
        col(SelfReport.id).in_(ids)
    )
    return {rid: (code, status) for rid, code, status in session.exec(stmt)}


def receipt(
    *, session: Session, report: SelfReport, calendar: workdays.Calendar | None = None
) -> SelfReportReceipt:
    """What the farmer's phone is told at once: the receipt code, and by when (and in how
    many working days) the village will come to check."""
    received_on = report.submitted_at.astimezone(clock.CHINA).date()
    days = calendar or workdays.calendar(session=session, area_code=report.area_code)
    return SelfReportReceipt(
        id=report.id,
        receipt_code=report.receipt_code,
        status=report.status,
        village_due_on=report.village_due_on,
        village_check_days=days.working_days_between(received_on, report.village_due_on),
    )


def _digest(data: SelfReportCreate, photos: Sequence[Photo]) -> str:
    body = data.model_dump(mode="json", exclude={"id"})
    body["photos"] = [hashlib.sha256(p.data).hexdigest() for p in photos]
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def _stored(session: Session, report_id: uuid.UUID) -> SelfReport | None:
    # A new report's id is not stored: asked in a prebuilt statement, loaded only if it is.
    if session.connection().execute(_STORED, {"id": report_id}).first() is None:
        return None
    return session.get(SelfReport, report_id)


def _replay(existing: SelfReport, digest: str) -> SelfReport:
    if existing.payload_digest != digest:
        raise Conflict(
            "这个报告编号已用于另一份内容不同的报告",
            code="id_reused",
            detail={"id": str(existing.id)},
        )
    return existing


def _admit(
    *, session: Session, data: SelfReportCreate, photos: Sequence[Photo], client_address: str
) -> None:
    """The village, the photos, then the rate limits: refused before anything is written."""
    areas_service.require_village(session=session, code=data.area_code)
    if len(photos) > MAX_PHOTOS:
        raise Invalid("photos", f"最多 {MAX_PHOTOS} 张照片")
    for i, photo in enumerate(photos):
        files_service.check_and_clean(photo.data, field=f"photos.{i}", allow_pdf=False)
    # Counted against whoever sends it: the neighbour who reports for several households too.
    throttle.admit_report(phone=data.reporter_phone or data.phone, address=client_address)


def _new_report(
    *, session: Session, data: SelfReportCreate, digest: str, calendar: workdays.Calendar
) -> SelfReport:
    """The report as received (not yet added), with its deadlines and household link."""
    household = (
        households_service.household_of_person(session=session, id_number=data.id_number)
        if data.id_number
        else None
    )
    # Linked only to a household of the village reported from: anyone may type any ID
    # number, and a link elsewhere would let the enrolment change another area's household.
    if household is not None and household.area_code != data.area_code:
        household = None
    village_due, decision_due = deadlines.due_dates(
        session=session, area_code=data.area_code, on=clock.today(), calendar=calendar
    )
    return SelfReport(
        id=data.id or uuid.uuid4(),
        receipt_code=new_receipt_code(session),
        area_code=data.area_code,
        name=data.name,
        phone=data.phone,
        **security.id_number_columns(data.id_number),
        on_behalf=data.on_behalf,
        reporter_name=data.reporter_name,
        reporter_phone=data.reporter_phone,
        risk_types=[r.value for r in data.risk_types],
        note=data.note,
        household_id=household.id if household else None,
        payload_digest=digest,
        village_due_on=village_due,
        decision_due_on=decision_due,
    )


def _store_photos(*, session: Session, report: SelfReport, photos: Sequence[Photo]) -> None:
    # Photos reach the disk before the insert may collide with a racing copy. Files are
    # stored by content (sha256), so that copy's identical photos are the same files; at
    # worst a refused different payload leaves an unreferenced file, never a wrong one.
    for i, photo in enumerate(photos):
        stored = files_service.store(
            session=session,
            data=photo.data,
            area_code=report.area_code,
            uploaded_by=None,
            original_name=photo.filename,
            field=f"photos.{i}",
            allow_pdf=False,
        )
        report.photo_ids.append(str(stored.id))


def _record_submit(
    *, session: Session, report: SelfReport, primary: SelfReport | None, data: SelfReportCreate
) -> None:
    """The new report's timeline and audit row, and the joined report's timeline."""
    # The submit line by a prebuilt INSERT (every report has one), not a model flushed.
    session.connection().execute(
        _INSERT_EVENT,
        {"id": new_id(), "at": clock.now(), **_event_values(report, "submit", None)},
    )
    if primary is not None:
        add_event(
            session=session,
            report=primary,
            action="joined",
            actor=None,
            note=f"同一户的新报告 {report.receipt_code} 并入本报告",
            data={"report_id": str(report.id)},
        )
    audit.record_many(
        session=session,
        actor=None,
        actor_name=data.reporter_name or data.name,
        changes=[
            (
                SelfReport.__tablename__,
                report.id,
                report.area_code,
                "submit",
                {
                    "status": [None, report.status],
                    "phone": [None, data.phone],
                    "id_number": [None, data.id_number],
                    "risk_types": [None, report.risk_types],
                    "on_behalf": [None, report.on_behalf],
                    "merged_into_id": [None, report.merged_into_id],
                },
            )
        ],
    )


# --- reports opened on a household's behalf (代报) ---------------------------------------


def open_on_behalf(
    *,
    session: Session,
    household: Household,
    risk_types: Sequence[RiskType],
    actor: User,
    note: str,
) -> SelfReport:
    """A cadre who sees a new risk (on a visit, from a warning) opens a report for the
    household: 代报, reporter the cadre, already verifying and assigned to them. An open
    report of the same household is joined instead. A step of the caller's use case: it
    adds to the caller's transaction, writes the audit row and flushes; the caller commits."""
    risks = [RiskType(r).value for r in risk_types]
    if not risks:
        raise Invalid("risk_types", "至少选择一种风险类型")
    primary = _open_report_of(
        session=session,
        area_code=household.area_code,
        id_hash=None,
        household_id=household.id,
        phone=None,
        name=None,
    )
    if primary is not None:
        _join_on_behalf(session=session, primary=primary, risks=risks, actor=actor, note=note)
        return primary
    report = _new_on_behalf(
        session=session, household=household, risks=risks, actor=actor, note=note
    )
    session.add(report)
    session.flush()
    add_event(session=session, report=report, action="submit", actor=actor, note="代报")
    add_event(
        session=session,
        report=report,
        action="assign",
        actor=actor,
        before=ReportStatus.submitted,
        data={"assignee_id": str(actor.id)},
    )
    audit.record_change(
        session=session,
        row=report,
        actor=actor,
        action="open_on_behalf",
        changes={
            "status": [None, report.status],
            "household_id": [None, household.id],
            "risk_types": [None, risks],
            "assignee_id": [None, actor.id],
        },
    )
    submitted(session=session, report=report)
    session.flush()
    return report


def _join_on_behalf(
    *, session: Session, primary: SelfReport, risks: list[str], actor: User, note: str
) -> None:
    before = list(primary.risk_types)
    join(session=session, primary=primary, risk_types=risks, note=note)
    add_event(
        session=session,
        report=primary,
        action="joined",
        actor=actor,
        note=note or "帮扶干部发现新的风险,并入本报告",
        data={"risk_types": risks},
    )
    audit.record_change(
        session=session,
        row=primary,
        actor=actor,
        action="join_on_behalf",
        changes={"risk_types": [before, primary.risk_types]},
    )
    session.flush()


def on_behalf_fields(*, session: Session, household: Household, actor: User) -> dict[str, Any]:
    """What a case opened by staff for a household takes from it: a new receipt code, the
    head's name and ID number, the actor as the reporter, and the deadlines from today."""
    head = next(
        (
            m
            for m in households_service.members_of(
                session=session, household_id=household.id, active_only=True
            )
            if m.relation == Relation.head
        ),
        None,
    )
    village_due, decision_due = deadlines.due_dates(
        session=session, area_code=household.area_code, on=clock.today()
    )
    return {
        "receipt_code": new_receipt_code(session),
        "area_code": household.area_code,
        "name": head.name if head else household.reference,
        "phone": household.phone,
        "id_number_cipher": head.id_number_cipher if head else None,
        "id_number_hash": head.id_number_hash if head else None,
        "on_behalf": True,
        "reporter_name": actor.full_name,
        "reporter_phone": actor.phone,
        "household_id": household.id,
        "village_due_on": village_due,
        "decision_due_on": decision_due,
    }


def _new_on_behalf(
    *, session: Session, household: Household, risks: list[str], actor: User, note: str
) -> SelfReport:
    """The report, named after the household's head, verifying and assigned to the actor."""
    report = SelfReport(
        **on_behalf_fields(session=session, household=household, actor=actor),
        status=ReportStatus.verifying,
        risk_types=risks,
        note=note[:500],
        assignee_id=actor.id,
    )
    deadlines.refresh_step_due(report)
    return report
