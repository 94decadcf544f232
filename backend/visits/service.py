"""Recording and reading visits: who may record which visit, idempotent storing by the
phone's id (one at a time or in a batch), and the visits a caller may read. The ledger a
visit writes is ledger.py; the phone's households phone.py; coverage coverage.py."""

import hashlib
import json
import re
import uuid
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Select, func
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from backend.accounts import service as accounts_service
from backend.accounts.access import VISITORS
from backend.accounts.models import User
from backend.audit import service as audit
from backend.core import clock
from backend.core.errors import (
    AppError,
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    Unavailable,
    describe,
)
from backend.core.loaders import load_or_404
from backend.core.scope import contains, within
from backend.core.usecase import use_case
from backend.files import service as files_service
from backend.households import queries as households_queries
from backend.households import service as households_service
from backend.households.models import Household
from backend.reports import service as reports_service
from backend.visits import ledger, signs
from backend.visits.models import Visit
from backend.visits.schemas import (
    BatchItemResult,
    BatchResult,
    Position,
    VisitCreate,
    VisitPublic,
    month_of,
)

# A phone's clock may run a little fast; more than this ahead is "in the future".
CLOCK_SKEW = timedelta(minutes=10)
# Shorter notes ("正常") repeat honestly; only longer text is compared.
PASTED_MIN_CHARS = 10


# --- helpers -----------------------------------------------------------------------------


def payload_hash(data: VisitCreate) -> str:
    """sha256 of the canonical JSON of what the phone sent (after normalisation). Fields at
    their default are left out, so adding an optional field later does not change the hash
    of visits stored before it (a replay from an old phone stays a replay)."""
    canonical = json.dumps(
        data.model_dump(mode="json", exclude_defaults=True),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def notes_fingerprint(notes: str) -> str | None:
    """Notes without spaces and punctuation, hashed; None for text too short to judge."""
    core = re.sub(r"[\W_]+", "", notes)
    if len(core) < PASTED_MIN_CHARS:
        return None
    return hashlib.sha256(core.encode()).hexdigest()


def china_month(at: datetime) -> str:
    return month_of(at.astimezone(clock.CHINA).date())


def previous_month(month: str) -> str:
    year, mon = int(month[:4]), int(month[5:])
    return f"{year - 1:04d}-12" if mon == 1 else f"{year:04d}-{mon - 1:02d}"


def require_visitor(user: User) -> None:
    if user.role not in VISITORS:
        raise Forbidden("您的角色不做入户走访记录", code="role_forbidden")


# --- recording a visit -------------------------------------------------------------------


def _check_photos(*, session: Session, actor: User, data: VisitCreate, area_code: str) -> None:
    if len(set(data.photo_ids)) != len(data.photo_ids):
        raise Invalid("photo_ids", "同一张照片重复了")
    for i, photo_id in enumerate(data.photo_ids):
        try:
            stored = files_service.get_visible(session=session, file_id=photo_id, user=actor)
        except NotFound:
            stored = None
        if stored is None or not contains(stored.area_code, area_code):
            raise Invalid(f"photo_ids.{i}", "照片还没有上传,或不属于该户所在地区")
        if not stored.content_type.startswith("image/"):
            raise Invalid(f"photo_ids.{i}", "这里只接受照片")


def _check_correction(*, session: Session, data: VisitCreate, household_id: uuid.UUID) -> None:
    assert data.corrects_id is not None
    original = session.get(Visit, data.corrects_id)
    if original is None or original.household_id != household_id or original.id == data.id:
        raise Invalid("corrects_id", "要更正的走访记录不存在,或不是这一户的")
    # A correction replaces the record of one visit: it stays in that visit's month, so
    # its ledger figures land in the month they describe and coverage counts nothing new.
    if original.month != china_month(data.visited_at):
        raise Conflict(
            "更正记录的走访时间必须与原记录在同一个月;走访时间写错了月份的,请作废后新建走访记录",
            code="correction_month_differs",
            detail={"field": "visited_at", "month": original.month},
        )


def _check(*, session: Session, actor: User, data: VisitCreate) -> Household:
    """Every refusal before anything is written. Returns the household, locked: one writer
    per household at a time, so two different visits for the same month cannot both take
    the month's ledger slot (on SQLite the process write lock does this)."""
    require_visitor(actor)
    household = households_service.get_visible(
        session=session, user=actor, household_id=data.household_id, lock=True
    )
    now = clock.now()
    if data.visited_at > now + CLOCK_SKEW:
        raise Invalid("visited_at", "走访时间不能晚于现在,请检查手机时间")
    if data.visited_at.astimezone(clock.CHINA).date() < household.registered_on:
        raise Invalid("visited_at", f"走访时间早于该户建档时间({household.registered_on})")
    if data.kind == "phone" and not data.reached:
        raise Invalid("reached", "电话走访请写明接电话的人")
    if data.family_agrees and not data.agreed_by:
        raise Invalid("agreed_by", "请写明是谁认可了走访记录")
    _check_photos(session=session, actor=actor, data=data, area_code=household.area_code)
    if data.corrects_id is not None:
        _check_correction(session=session, data=data, household_id=household.id)
    return household


def _insert_if_new(session: Session, values: dict[str, Any]) -> bool:
    """INSERT … ON CONFLICT (id) DO NOTHING: True when this call stored the row. Concurrent
    identical posts race here and exactly one wins, with no error for the others."""
    dialect = session.get_bind().dialect.name
    insert = sqlite_insert if dialect == "sqlite" else pg_insert
    table = Visit.__table__  # type: ignore[attr-defined]
    stmt = (insert(table).values(**values).on_conflict_do_nothing(index_elements=["id"])).returning(
        table.c.id
    )
    return session.connection().execute(stmt).first() is not None


def _open_reports_for_new_risks(
    *, session: Session, visit: Visit, household: Household, actor: User
) -> uuid.UUID | None:
    """Open a self-report (代报), already in verifying and assigned to the visitor, for the
    risks first seen on this visit; an open report of the household is joined instead.
    Part of the visit's transaction: a replayed visit opens nothing twice."""
    # A risk the household is already monitored for is not new: it opens nothing.
    known = set(
        households_service.risk_types_of(session=session, household_ids=[household.id])[
            household.id
        ]
    )
    new = [r for r in visit.new_risks if r not in known]
    if not new:
        return None
    note = "入户走访发现新风险" + (f":{visit.notes}" if visit.notes else "")
    report = reports_service.open_on_behalf(
        session=session,
        household=household,
        risk_types=new,
        actor=actor,
        note=note[:500],
    )
    return report.id


def _row(*, data: VisitCreate, household: Household, actor: User, digest: str) -> dict[str, Any]:
    """The visit's row as it is inserted."""
    return {
        "id": data.id,
        "household_id": household.id,
        "area_code": household.area_code,
        "visitor_id": actor.id,
        "kind": str(data.kind),
        "visited_at": data.visited_at,
        "month": china_month(data.visited_at),
        "reached": data.reached,
        "latitude": data.position.latitude if data.position else None,
        "longitude": data.position.longitude if data.position else None,
        "accuracy_m": data.position.accuracy_m if data.position else None,
        "checklist": data.checklist.model_dump(mode="json", exclude_none=True),
        "new_risks": [str(r) for r in data.new_risks],
        "help_given": data.help_given,
        "notes": data.notes,
        "notes_hash": notes_fingerprint(data.notes),
        "photo_ids": [str(p) for p in data.photo_ids],
        "family_agrees": data.family_agrees,
        "agreed_by": data.agreed_by,
        "corrects_id": data.corrects_id,
        "report_id": None,
        "payload_hash": digest,
        "created_at": clock.now(),
    }


def _audit_visit(*, session: Session, visit: Visit, actor: User) -> None:
    audit.record_change(
        session=session,
        row=visit,
        actor=actor,
        action="correct" if visit.corrects_id else "create",
        changes={
            "household_id": [None, visit.household_id],
            "kind": [None, visit.kind],
            "visited_at": [None, visit.visited_at],
            "corrects_id": [None, visit.corrects_id],
            "new_risks": [None, visit.new_risks],
            "family_agrees": [None, visit.family_agrees],
            "photos": [None, len(visit.photo_ids)],
        },
    )


def store(*, session: Session, actor: User, data: VisitCreate) -> tuple[Visit, bool]:
    """Store a visit made on a phone, or recognise a replay: a step that flushes. Returns
    (visit, created). The same id with another payload is a 409."""
    digest = payload_hash(data)
    # A replay is recognised before any check: what was true when it was stored (the
    # household's helper, its scope) may have changed since, and the phone must not be told
    # that a visit the server already has is refused.
    existing = session.get(Visit, data.id)
    if existing is not None and existing.payload_hash == digest and existing.visitor_id == actor.id:
        return existing, False
    household = _check(session=session, actor=actor, data=data)
    if not _insert_if_new(
        session, _row(data=data, household=household, actor=actor, digest=digest)
    ):
        existing = session.get(Visit, data.id, populate_existing=True)
        if existing is None or existing.payload_hash != digest or existing.visitor_id != actor.id:
            raise Conflict(
                "这个编号已用于另一条不同的走访记录;如要更正,请新建一条更正记录",
                code="visit_id_conflict",
                detail={"field": "id"},
            )
        return existing, False
    visit = session.get(Visit, data.id, populate_existing=True)
    assert visit is not None
    _audit_visit(session=session, visit=visit, actor=actor)
    if data.ledger is not None:
        ledger.record(
            session=session,
            household=household,
            visit=visit,
            figures=data.ledger.model_dump(),
            actor=actor,
        )
    if data.new_risks:
        report_id = _open_reports_for_new_risks(
            session=session, visit=visit, household=household, actor=actor
        )
        if report_id is not None:
            visit.report_id = report_id
            session.add(visit)
    session.flush()
    return visit, True


@use_case
def create(*, session: Session, actor: User, data: VisitCreate) -> tuple[Visit, bool]:
    """One visit, one transaction."""
    try:
        return store(session=session, actor=actor, data=data)
    except IntegrityError as exc:
        session.rollback()
        # A race the household lock should prevent; the phone backs off and sends again.
        raise Unavailable("记录同时被修改,请稍后重新发送", code="concurrent_change") from exc


def _item_id(raw: Any) -> str | None:
    if isinstance(raw, dict) and isinstance(raw.get("id"), str):
        return raw["id"][:64]
    return None


def _store_item(*, session: Session, actor: User, index: int, raw: Any) -> BatchItemResult:
    """One batch item in its own savepoint: its result, stored or refused alone."""
    item_id = _item_id(raw)
    try:
        data = VisitCreate.model_validate(raw)
    except ValidationError as exc:
        message, detail = describe([dict(e) for e in exc.errors()])
        return BatchItemResult(
            id=item_id,
            status=422,
            error="invalid",
            message=f"第 {index + 1} 条:{message}",
            detail=detail,
        )
    try:
        with session.begin_nested():
            _, created = store(session=session, actor=actor, data=data)
    except AppError as exc:
        return BatchItemResult(
            id=item_id, status=exc.status, error=exc.code, message=exc.message, detail=exc.detail
        )
    except IntegrityError:
        return BatchItemResult(
            id=item_id,
            status=503,
            error="concurrent_change",
            message="记录同时被修改,请稍后重新发送",
        )
    return BatchItemResult(id=item_id, status=201 if created else 200)


@use_case
def create_batch(*, session: Session, actor: User, items: list[Any]) -> BatchResult:
    """Up to 200 visits; each in its own savepoint, so a bad one is refused alone."""
    require_visitor(actor)
    results = [
        _store_item(session=session, actor=actor, index=index, raw=raw)
        for index, raw in enumerate(items)
    ]
    return BatchResult(
        stored=sum(r.status == 201 for r in results),
        already_had=sum(r.status == 200 for r in results),
        refused=sum(r.status not in (200, 201) for r in results),
        results=results,
    )


# --- reading visits ----------------------------------------------------------------------


def get_visible(*, session: Session, user: User, visit_id: uuid.UUID) -> Visit:
    """The visit, or the same 404 whether it is missing or its household out of reach."""

    def sees(visit: Visit) -> bool:
        return contains(user.scope, visit.area_code) and bool(
            households_service.visible_ids(
                session=session, user=user, household_ids={visit.household_id}
            )
        )

    return load_or_404(session, Visit, visit_id, sees=sees, missing="没有找到这条走访记录")


def _visible_visits(user: User, helper_id: uuid.UUID | None = None) -> Select:  # type: ignore[type-arg]
    """Visits of the households the user may see (scope, and a helper's own households);
    with `helper_id`, of the households that helper is assigned."""
    households = households_queries.visible(user)
    stmt = (
        select(Visit)
        .join(households, households.c.id == col(Visit.household_id))
        .where(within(Visit.area_code, user.scope))
    )
    if helper_id:
        stmt = stmt.where(households.c.helper_id == helper_id)
    return stmt


def list_visits(
    *,
    session: Session,
    user: User,
    household_id: uuid.UUID | None = None,
    visitor_id: uuid.UUID | None = None,
    helper_id: uuid.UUID | None = None,
    area: str | None = None,
    month: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[Visit], int]:
    stmt = _visible_visits(user, helper_id)
    if household_id:
        stmt = stmt.where(Visit.household_id == household_id)
    if visitor_id:
        stmt = stmt.where(Visit.visitor_id == visitor_id)
    if area:
        stmt = stmt.where(within(Visit.area_code, area))
    if month:
        stmt = stmt.where(Visit.month == month)
    count = session.exec(select(func.count()).select_from(stmt.subquery())).one()
    rows = session.exec(
        stmt.order_by(col(Visit.visited_at).desc(), col(Visit.id)).offset(offset).limit(limit)
    )
    return list(rows), count


_VISIT_FIELDS = (
    "id",
    "household_id",
    "area_code",
    "visitor_id",
    "kind",
    "visited_at",
    "month",
    "reached",
    "checklist",
    "new_risks",
    "help_given",
    "notes",
    "photo_ids",
    "family_agrees",
    "agreed_by",
    "corrects_id",
    "report_id",
    "created_at",
)


def visitor_names(*, session: Session, visits: list[Visit]) -> dict[uuid.UUID, str]:
    ids = {v.visitor_id for v in visits}
    return {u.id: u.full_name for u in accounts_service.by_ids(session=session, ids=ids)}


def public(*, session: Session, visits: list[Visit]) -> list[VisitPublic]:
    """Answers for a page of visits: a fixed number of queries for any page size."""
    ids = [v.id for v in visits]
    names = visitor_names(session=session, visits=visits)
    entries = ledger.of_visits(session=session, visit_ids=ids)
    corrected: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    if ids:
        for vid, orig in session.exec(
            select(Visit.id, Visit.corrects_id).where(col(Visit.corrects_id).in_(ids))
        ):
            if orig:
                corrected[orig].append(vid)
    pasted = signs.pasted(session=session, hashes={v.notes_hash for v in visits if v.notes_hash})
    out = []
    for v in visits:
        position = (
            Position(latitude=v.latitude, longitude=v.longitude, accuracy_m=v.accuracy_m)
            if v.latitude is not None and v.longitude is not None
            else None
        )
        entry = entries.get(v.id)
        out.append(
            VisitPublic(
                **{k: getattr(v, k) for k in _VISIT_FIELDS},
                visitor_name=names.get(v.visitor_id),
                position=position,
                corrected_by=corrected.get(v.id, []),
                ledger=ledger.public(entry) if entry else None,
                pasted_notes=bool(v.notes_hash and v.notes_hash in pasted),
            )
        )
    return out
