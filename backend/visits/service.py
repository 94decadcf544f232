"""Visit rules: who may record which visit, idempotent storing by the phone's id, the
monthly ledger, what the phone keeps for offline work, and coverage (遍访)."""

import hashlib
import json
import re
import uuid
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Select, case, func, or_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from backend.accounts.models import Role, User
from backend.areas import service as areas_service
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
from backend.core.scope import contains, within
from backend.files import service as files_service
from backend.households import service as households_service
from backend.households.models import (
    AssistancePlan,
    Category,
    Household,
    IncomeRecord,
    Measure,
    Member,
    MonitoringStatus,
    Relation,
)
from backend.reports import service as reports_service
from backend.visits.models import LedgerEntry, Visit
from backend.visits.schemas import (
    BatchItemResult,
    BatchResult,
    CopiedLedger,
    Coverage,
    HelperCoverage,
    HouseholdCard,
    IncomeBrief,
    LedgerBrief,
    LedgerPublic,
    LedgerYear,
    MeasureBrief,
    MemberBrief,
    MyHouseholds,
    NotVisited,
    PastedNotes,
    Position,
    VillageCoverage,
    VisitCreate,
    VisitPublic,
    VisitRef,
    month_of,
)

# Roles that go out and visit households.
VISITS = frozenset(
    {
        Role.helper,
        Role.village_cadre,
        Role.grid_worker,
        Role.township_officer,
        Role.county_officer,
    }
)
# Roles that watch coverage (遍访) over an area.
WATCHES_COVERAGE = frozenset(
    {
        Role.admin,
        Role.county_officer,
        Role.township_officer,
        Role.village_cadre,
        Role.grid_worker,
        Role.inspector,
    }
)
# A phone's clock may run a little fast; more than this ahead is "in the future".
CLOCK_SKEW = timedelta(minutes=10)
# The same notes text for this many households or more is flagged as pasted.
PASTED_MIN_HOUSEHOLDS = 3
# Shorter notes ("正常") repeat honestly; only longer text is compared.
PASTED_MIN_CHARS = 10
# What a phone keeps at most; a village cadre's whole village fits, a county would not.
MY_HOUSEHOLDS_MAX = 2000
LEDGER_NAMESPACE = uuid.UUID("6f1d2c1e-7b9a-4c55-9f1e-2f6b8a1d0c44")
INCOME_PARTS = ("wage", "business", "property", "transfer", "business_cost")


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


def net_income(entry: LedgerEntry) -> int:
    """A month's net income: the four income parts less the business cost."""
    return entry.wage + entry.business + entry.property + entry.transfer - entry.business_cost


def china_month(at: datetime) -> str:
    return month_of(at.astimezone(clock.CHINA).date())


def previous_month(month: str) -> str:
    year, mon = int(month[:4]), int(month[5:])
    return f"{year - 1:04d}-12" if mon == 1 else f"{year:04d}-{mon - 1:02d}"


def require_visitor(user: User) -> None:
    if user.role not in VISITS:
        raise Forbidden("您的角色不做入户走访记录", code="role_forbidden")


def _visible_visits(user: User) -> Select:  # type: ignore[type-arg]
    """Visits of the households the user may see (scope, and a helper's own households)."""
    return (
        select(Visit)
        .join(Household, col(Household.id) == col(Visit.household_id))
        .where(within(Visit.area_code, user.scope), *households_service.visible(user))
    )


def get_visible(*, session: Session, user: User, visit_id: uuid.UUID) -> Visit:
    visit = session.exec(_visible_visits(user).where(Visit.id == visit_id)).first()
    if visit is None:
        raise NotFound("没有找到这条走访记录")
    return visit


# --- recording a visit -------------------------------------------------------------------


def _check(*, session: Session, actor: User, data: VisitCreate) -> Household:
    """Every refusal before anything is written. Returns the household."""
    require_visitor(actor)
    household = households_service.get_visible(
        session=session, user=actor, household_id=data.household_id
    )
    if session.get_bind().dialect.name == "postgresql":
        # One writer per household at a time, so two different visits for the same month
        # cannot both take the month's ledger slot (SQLite's process lock does this there).
        session.exec(
            select(Household.id).where(Household.id == household.id).with_for_update()
        ).one()
    now = clock.now()
    if data.visited_at > now + CLOCK_SKEW:
        raise Invalid("visited_at", "走访时间不能晚于现在,请检查手机时间")
    if (
        data.visited_at.astimezone(clock.CHINA).date()
        < household.created_at.astimezone(clock.CHINA).date()
    ):
        raise Invalid("visited_at", "走访时间早于该户建档时间")
    if data.kind == "phone" and not data.reached:
        raise Invalid("reached", "电话走访请写明接电话的人")
    if data.family_agrees and not data.agreed_by:
        raise Invalid("agreed_by", "请写明是谁认可了走访记录")
    if len(set(data.photo_ids)) != len(data.photo_ids):
        raise Invalid("photo_ids", "同一张照片重复了")
    for i, photo_id in enumerate(data.photo_ids):
        try:
            stored = files_service.get_visible(
                session=session, scope=actor.scope, file_id=photo_id, user=actor
            )
        except NotFound:
            stored = None
        if stored is None or not contains(stored.area_code, household.area_code):
            raise Invalid(f"photo_ids.{i}", "照片还没有上传,或不属于该户所在地区")
        if not stored.content_type.startswith("image/"):
            raise Invalid(f"photo_ids.{i}", "这里只接受照片")
    if data.corrects_id is not None:
        original = session.get(Visit, data.corrects_id)
        if original is None or original.household_id != household.id or original.id == data.id:
            raise Invalid("corrects_id", "要更正的走访记录不存在,或不是这一户的")
        # A correction replaces the record of one visit: it stays in that visit's month, so
        # its ledger figures land in the month they describe and coverage counts nothing new.
        if original.month != china_month(data.visited_at):
            raise Conflict(
                "更正记录的走访时间必须与原记录在同一个月;走访时间写错了月份的,请作废后新建走访记录",
                code="correction_month_differs",
                detail={"field": "visited_at", "month": original.month},
            )
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


def _ledger_values(data: VisitCreate) -> dict[str, int]:
    assert data.ledger is not None
    return data.ledger.model_dump()


def _record_ledger(
    *, session: Session, household: Household, visit: Visit, data: VisitCreate, actor: User
) -> LedgerEntry:
    values = _ledger_values(data)
    month = visit.month
    current_stmt = select(LedgerEntry).where(
        LedgerEntry.household_id == household.id,
        LedgerEntry.month == month,
        col(LedgerEntry.superseded_at).is_(None),
    )
    if session.get_bind().dialect.name == "postgresql":
        current_stmt = current_stmt.with_for_update()
    current = session.exec(current_stmt).first()
    last_year_month = f"{int(month[:4]) - 1:04d}{month[4:]}"
    last_year = session.exec(
        select(LedgerEntry).where(
            LedgerEntry.household_id == household.id,
            LedgerEntry.month == last_year_month,
            col(LedgerEntry.superseded_at).is_(None),
        )
    ).first()
    copied = (
        last_year is not None
        and any(values[k] for k in INCOME_PARTS)
        and all(getattr(last_year, k) == values[k] for k in INCOME_PARTS)
    )
    size = len(
        households_service.members_of(session=session, household_id=household.id, active_only=True)
    )
    entry = LedgerEntry(
        id=uuid.uuid5(LEDGER_NAMESPACE, str(visit.id)),
        household_id=household.id,
        area_code=household.area_code,
        month=month,
        year=int(month[:4]),
        household_size=max(size, 1),
        copied_from_last_year=copied,
        visit_id=visit.id,
        recorded_by=actor.id,
        as_of=visit.visited_at,
        **values,
    )
    now = clock.now()
    if current is not None and current.as_of > entry.as_of:
        # Sent late from a phone that was offline: an older visit does not override a newer
        # figure. It is kept, already superseded, so nothing is lost.
        entry.superseded_at = now
        entry.superseded_by = current.id
    elif current is not None:
        current.superseded_at = now
        current.superseded_by = entry.id
        session.add(current)
        session.flush()  # free the "one current entry per month" slot before the insert
        audit.record(
            session=session,
            actor=actor,
            entity="ledger_entry",
            entity_id=current.id,
            area_code=household.area_code,
            action="supersede",
            changes={"superseded_by": [None, entry.id], "month": month},
        )
    session.add(entry)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        entity="ledger_entry",
        entity_id=entry.id,
        area_code=household.area_code,
        action="create",
        changes={
            "household_id": [None, household.id],
            "month": month,
            **{k: [None, v] for k, v in values.items()},
            "copied_from_last_year": [None, copied],
            "superseded": [None, entry.superseded_at is not None],
        },
    )
    return entry


def store(*, session: Session, actor: User, data: VisitCreate) -> tuple[Visit, bool]:
    """Store a visit made on a phone, or recognise a replay. Returns (visit, created).
    Does not commit. The same id with another payload is a 409."""
    digest = payload_hash(data)
    # A replay is recognised before any check: what was true when it was stored (the
    # household's helper, its scope) may have changed since, and the phone must not be told
    # that a visit the server already has is refused.
    existing = session.get(Visit, data.id)
    if existing is not None and existing.payload_hash == digest and existing.visitor_id == actor.id:
        return existing, False
    household = _check(session=session, actor=actor, data=data)
    fingerprint = notes_fingerprint(data.notes)
    values: dict[str, Any] = {
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
        "notes_hash": fingerprint,
        "photo_ids": [str(p) for p in data.photo_ids],
        "family_agrees": data.family_agrees,
        "agreed_by": data.agreed_by,
        "corrects_id": data.corrects_id,
        "report_id": None,
        "payload_hash": digest,
        "created_at": clock.now(),
    }
    if not _insert_if_new(session, values):
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
    audit.record(
        session=session,
        actor=actor,
        entity="visit",
        entity_id=visit.id,
        area_code=household.area_code,
        action="correct" if data.corrects_id else "create",
        changes={
            "household_id": [None, household.id],
            "kind": [None, visit.kind],
            "visited_at": [None, visit.visited_at],
            "corrects_id": [None, data.corrects_id],
            "new_risks": [None, visit.new_risks],
            "family_agrees": [None, visit.family_agrees],
            "photos": [None, len(visit.photo_ids)],
        },
    )
    if data.ledger is not None:
        _record_ledger(session=session, household=household, visit=visit, data=data, actor=actor)
    if data.new_risks:
        report_id = _open_reports_for_new_risks(
            session=session, visit=visit, household=household, actor=actor
        )
        if report_id is not None:
            visit.report_id = report_id
            session.add(visit)
    session.flush()
    return visit, True


def create(*, session: Session, actor: User, data: VisitCreate) -> tuple[Visit, bool]:
    """One visit, one transaction."""
    try:
        visit, created = store(session=session, actor=actor, data=data)
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        # A race the household lock should prevent; the phone backs off and sends again.
        raise Unavailable("记录同时被修改,请稍后重新发送", code="concurrent_change") from exc
    return visit, created


def _item_id(raw: Any) -> str | None:
    if isinstance(raw, dict) and isinstance(raw.get("id"), str):
        return raw["id"][:64]
    return None


def create_batch(*, session: Session, actor: User, items: list[Any]) -> BatchResult:
    """Up to 200 visits; each in its own savepoint, so a bad one is refused alone."""
    require_visitor(actor)
    results: list[BatchItemResult] = []
    stored = already = refused = 0
    for index, raw in enumerate(items):
        item_id = _item_id(raw)
        try:
            data = VisitCreate.model_validate(raw)
        except ValidationError as exc:
            refused += 1
            message, detail = describe([dict(e) for e in exc.errors()])
            results.append(
                BatchItemResult(
                    id=item_id,
                    status=422,
                    error="invalid",
                    message=f"第 {index + 1} 条:{message}",
                    detail=detail,
                )
            )
            continue
        try:
            with session.begin_nested():
                _, created = store(session=session, actor=actor, data=data)
        except AppError as exc:
            refused += 1
            results.append(
                BatchItemResult(
                    id=item_id,
                    status=exc.status,
                    error=exc.code,
                    message=exc.message,
                    detail=exc.detail,
                )
            )
            continue
        except IntegrityError:
            refused += 1
            results.append(
                BatchItemResult(
                    id=item_id,
                    status=503,
                    error="concurrent_change",
                    message="记录同时被修改,请稍后重新发送",
                )
            )
            continue
        if created:
            stored += 1
        else:
            already += 1
        results.append(BatchItemResult(id=item_id, status=201 if created else 200))
    session.commit()
    return BatchResult(stored=stored, already_had=already, refused=refused, results=results)


# --- reading visits ----------------------------------------------------------------------


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
    stmt = _visible_visits(user)
    if helper_id:
        stmt = stmt.where(Household.helper_id == helper_id)
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


def _pasted(session: Session, hashes: set[str]) -> dict[str, int]:
    """{notes_hash: households} for hashes shared by many households."""
    if not hashes:
        return {}
    rows = session.exec(
        select(Visit.notes_hash, func.count(func.distinct(Visit.household_id)))
        .where(col(Visit.notes_hash).in_(hashes))
        .group_by(col(Visit.notes_hash))
        .having(func.count(func.distinct(Visit.household_id)) >= PASTED_MIN_HOUSEHOLDS)
    )
    return {h: n for h, n in rows if h}


def ledger_public(entry: LedgerEntry) -> LedgerPublic:
    return LedgerPublic(
        **entry.model_dump(
            include={
                "id",
                "household_id",
                "month",
                "wage",
                "business",
                "property",
                "transfer",
                "business_cost",
                "medical_spending",
                "schooling_spending",
                "other_spending",
                "household_size",
                "copied_from_last_year",
                "visit_id",
                "superseded_at",
                "superseded_by",
                "created_at",
            }
        ),
        net_income=net_income(entry),
    )


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


def public(*, session: Session, visits: list[Visit]) -> list[VisitPublic]:
    """Answers for a page of visits: a fixed number of queries for any page size."""
    ids = [v.id for v in visits]
    names: dict[uuid.UUID, str] = {}
    ledgers: dict[uuid.UUID, LedgerEntry] = {}
    corrected: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    if ids:
        visitor_ids = {v.visitor_id for v in visits}
        names = {
            u.id: u.full_name
            for u in session.exec(select(User).where(col(User.id).in_(visitor_ids)))
        }
        ledgers = {
            e.visit_id: e
            for e in session.exec(select(LedgerEntry).where(col(LedgerEntry.visit_id).in_(ids)))
            if e.visit_id
        }
        for vid, orig in session.exec(
            select(Visit.id, Visit.corrects_id).where(col(Visit.corrects_id).in_(ids))
        ):
            if orig:
                corrected[orig].append(vid)
    pasted = _pasted(session, {v.notes_hash for v in visits if v.notes_hash})
    out = []
    for v in visits:
        position = (
            Position(latitude=v.latitude, longitude=v.longitude, accuracy_m=v.accuracy_m)
            if v.latitude is not None and v.longitude is not None
            else None
        )
        ledger = ledgers.get(v.id)
        out.append(
            VisitPublic(
                **{k: getattr(v, k) for k in _VISIT_FIELDS},
                visitor_name=names.get(v.visitor_id),
                position=position,
                corrected_by=corrected.get(v.id, []),
                ledger=ledger_public(ledger) if ledger else None,
                pasted_notes=bool(v.notes_hash and v.notes_hash in pasted),
            )
        )
    return out


# --- the phone's households --------------------------------------------------------------


def _my_households_query(user: User) -> list[Any]:
    if user.role in (Role.helper, Role.village_cadre, Role.grid_worker):
        return households_service.visible(user)
    # Township and county officers visit the households assigned to them.
    return [within(Household.area_code, user.scope), Household.helper_id == user.id]


def my_households(*, session: Session, user: User, month: str | None = None) -> MyHouseholds:
    """The households the user visits, with this month's state, most urgent first."""
    require_visitor(user)
    month = month or month_of(clock.today())
    households = list(
        session.exec(
            select(Household)
            .where(*_my_households_query(user))
            .order_by(col(Household.reference))
            .limit(MY_HOUSEHOLDS_MAX)
        )
    )
    total = len(households)
    if total == MY_HOUSEHOLDS_MAX:
        total = session.exec(
            select(func.count()).select_from(Household).where(*_my_households_query(user))
        ).one()
    ids = [h.id for h in households]
    summaries = {
        s.id: s
        for s in households_service.summaries(session=session, households=households, viewer=user)
    }
    members: dict[uuid.UUID, list[MemberBrief]] = defaultdict(list)
    plans: dict[uuid.UUID, AssistancePlan] = {}
    measures: dict[uuid.UUID, list[MeasureBrief]] = defaultdict(list)
    incomes: dict[uuid.UUID, IncomeBrief] = {}
    recent: dict[uuid.UUID, list[VisitRef]] = defaultdict(list)
    mine_this: set[uuid.UUID] = set()
    mine_last: set[uuid.UUID] = set()
    last_at: dict[uuid.UUID, datetime] = {}
    if ids:
        today = clock.today()
        for m in session.exec(
            select(Member)
            .where(col(Member.household_id).in_(ids), col(Member.active).is_(True))
            .order_by(col(Member.birth_date))
        ):
            b = m.birth_date
            age = today.year - b.year - ((today.month, today.day) < (b.month, b.day))
            brief = MemberBrief(
                name=m.name,
                relation=m.relation,
                age=age,
                health=m.health,
                schooling=m.schooling,
                labour=m.labour,
            )
            if m.relation == Relation.head:
                members[m.household_id].insert(0, brief)
            else:
                members[m.household_id].append(brief)
        plans = {
            p.household_id: p
            for p in session.exec(
                select(AssistancePlan).where(col(AssistancePlan.household_id).in_(ids))
            )
        }
        plan_owner = {p.id: hid for hid, p in plans.items()}
        if plan_owner:
            for ms in session.exec(
                select(Measure)
                .where(col(Measure.plan_id).in_(plan_owner))
                .order_by(col(Measure.start_on))
            ):
                measures[plan_owner[ms.plan_id]].append(
                    MeasureBrief(kind=ms.kind, description=ms.description, status=ms.status)
                )
        for inc in session.exec(
            select(IncomeRecord).where(
                col(IncomeRecord.household_id).in_(ids), IncomeRecord.year == today.year - 1
            )
        ):
            incomes[inc.household_id] = IncomeBrief(
                year=inc.year,
                net_income=inc.net_income,
                per_capita_net_income=inc.per_capita_net_income,
                household_size=inc.household_size,
            )
        since = clock.now() - timedelta(days=400)
        visitor_names: dict[uuid.UUID, str] = {}
        rows = list(
            session.exec(
                select(Visit)
                .where(col(Visit.household_id).in_(ids), col(Visit.visited_at) >= since)
                .order_by(col(Visit.visited_at).desc())
            )
        )
        vids = {v.visitor_id for v in rows}
        if vids:
            visitor_names = {
                u.id: u.full_name for u in session.exec(select(User).where(col(User.id).in_(vids)))
            }
        last_month = previous_month(month)
        pasted = _pasted(session, {v.notes_hash for v in rows if v.notes_hash})
        for v in rows:
            if len(recent[v.household_id]) < 3:
                recent[v.household_id].append(
                    VisitRef(
                        id=v.id,
                        kind=v.kind,
                        visited_at=v.visited_at,
                        visitor_name=visitor_names.get(v.visitor_id),
                        notes=v.notes[:200],
                        pasted_notes=bool(v.notes_hash and v.notes_hash in pasted),
                    )
                )
            # A correction re-records a visit already counted; it is not a visit of its own.
            if v.visitor_id == user.id and v.corrects_id is None:
                last_at.setdefault(v.household_id, v.visited_at)
                if v.month == month:
                    mine_this.add(v.household_id)
                elif v.month == last_month:
                    mine_last.add(v.household_id)
    ledgers: dict[uuid.UUID, list[LedgerEntry]] = defaultdict(list)
    if ids:
        for e in session.exec(
            select(LedgerEntry).where(
                col(LedgerEntry.household_id).in_(ids),
                LedgerEntry.year == int(month[:4]),
                col(LedgerEntry.superseded_at).is_(None),
            )
        ):
            ledgers[e.household_id].append(e)
    cards = []
    for h in households:
        entries = sorted(ledgers.get(h.id, []), key=lambda e: e.month)
        net = sum(net_income(e) for e in entries)
        if h.id in mine_this:
            state = "visited"
        elif h.id in mine_last or china_month(h.created_at) == month:
            state = "due"
        else:
            state = "overdue"  # not visited last month either
        plan = plans.get(h.id)
        cards.append(
            HouseholdCard(
                **summaries[h.id].model_dump(),
                address=h.address,
                basic_needs={k: bool(v) for k, v in h.basic_needs.items()},
                members=members.get(h.id, []),
                plan_summary=plan.summary if plan else None,
                measures=measures.get(h.id, []),
                last_year_income=incomes.get(h.id),
                last_visits=recent.get(h.id, []),
                ledger_months=len(entries),
                ledger_per_capita_net_income=net // entries[-1].household_size if entries else None,
                copied_months=[e.month for e in entries if e.copied_from_last_year],
                latest_ledger=LedgerBrief.model_validate(entries[-1]) if entries else None,
                state=state,
                last_visited_at=last_at.get(h.id),
            )
        )
    urgency = {"overdue": 0, "due": 1, "visited": 2}
    monitored_first = {MonitoringStatus.monitored: 0}
    cards.sort(
        key=lambda c: (
            urgency[c.state],
            monitored_first.get(c.monitoring_status, 1),
            c.last_visited_at.timestamp() if c.last_visited_at else 0,
            c.reference,
        )
    )
    return MyHouseholds(user_id=user.id, month=month, data=cards, count=len(cards), total=total)


# --- ledger ------------------------------------------------------------------------------


def ledger_year(*, session: Session, user: User, household_id: uuid.UUID, year: int) -> LedgerYear:
    """The year's monthly entries, and per-capita net income from them beside the declared."""
    household = households_service.get_visible(
        session=session, user=user, household_id=household_id
    )
    entries = list(
        session.exec(
            select(LedgerEntry)
            .where(
                within(LedgerEntry.area_code, user.scope),
                LedgerEntry.household_id == household.id,
                LedgerEntry.year == year,
            )
            .order_by(col(LedgerEntry.month), col(LedgerEntry.created_at))
        )
    )
    current = [e for e in entries if e.superseded_at is None]
    months = sorted({e.month for e in current})
    today = clock.today()
    last = 12 if year < today.year else (today.month if year == today.year else 0)
    missing = [
        f"{year:04d}-{m:02d}" for m in range(1, last + 1) if f"{year:04d}-{m:02d}" not in months
    ]
    net = sum(net_income(e) for e in current)
    size = max((e for e in current), key=lambda e: e.month).household_size if current else None
    declared = session.exec(
        select(IncomeRecord).where(
            IncomeRecord.household_id == household.id, IncomeRecord.year == year
        )
    ).first()
    return LedgerYear(
        household_id=household.id,
        year=year,
        entries=[ledger_public(e) for e in entries],
        months_recorded=months,
        months_missing=missing,
        copied_months=sorted(e.month for e in current if e.copied_from_last_year),
        ledger_net_income=net,
        household_size=size,
        ledger_per_capita_net_income=net // size if size else None,
        declared_per_capita_net_income=declared.per_capita_net_income if declared else None,
        declared_net_income=declared.net_income if declared else None,
    )


# --- coverage (遍访) ---------------------------------------------------------------------


def _visited_in(month: str, by_helper: bool = False) -> Any:
    """EXISTS a visit (not a correction) of the household in the month; by_helper: one made
    by the household's own helper."""
    stmt = select(Visit.id).where(
        Visit.household_id == Household.id,
        Visit.month == month,
        col(Visit.corrects_id).is_(None),
    )
    if by_helper:
        stmt = stmt.where(Visit.visitor_id == Household.helper_id)
    return stmt.exists()


def _owes_helper_visit() -> list[Any]:
    """Helpers visit every lifted and every monitored household they are assigned, monthly."""
    return [
        col(Household.helper_id).is_not(None),
        or_(
            Household.category == Category.lifted,
            Household.monitoring_status == MonitoringStatus.monitored,
        ),
    ]


def coverage(
    *,
    session: Session,
    user: User,
    area: str | None,
    month: str | None,
    offset: int = 0,
    limit: int = 50,
) -> Coverage:
    """Per helper and per village: due, visited, not visited (counted in SQL); and a page
    of the households not visited, with how many there are in all."""
    if user.role not in WATCHES_COVERAGE:
        raise Forbidden("您的角色不能查看遍访情况", code="role_forbidden")
    area = area or user.scope
    if not area.startswith(user.scope):
        raise NotFound("没有找到这个地区")
    month = month or month_of(clock.today())
    in_area = [within(Household.area_code, user.scope), within(Household.area_code, area)]
    visited = case((_visited_in(month), 1), else_=0)
    villages = list(
        session.exec(
            select(Household.area_code, func.count(), func.sum(visited))
            .where(*in_area)
            .group_by(col(Household.area_code))
            .order_by(col(Household.area_code))
        )
    )
    by_helper = case((_visited_in(month, by_helper=True), 1), else_=0)
    helpers = list(
        session.exec(
            select(Household.helper_id, func.count(), func.sum(by_helper))
            .where(*in_area, *_owes_helper_visit())
            .group_by(col(Household.helper_id))
        )
    )
    names = areas_service.names(session=session, codes={code for code, _, _ in villages})
    helper_ids = {hid for hid, _, _ in helpers}
    users = (
        {u.id: u for u in session.exec(select(User).where(col(User.id).in_(helper_ids)))}
        if helper_ids
        else {}
    )
    missing_where = [*in_area, ~_visited_in(month)]
    missing_total = session.exec(
        select(func.count()).select_from(Household).where(*missing_where)
    ).one()
    missing = list(
        session.exec(
            select(Household)
            .where(*missing_where)
            .order_by(
                case((Household.monitoring_status == MonitoringStatus.monitored, 0), else_=1),
                col(Household.area_code),
                col(Household.reference),
            )
            .offset(offset)
            .limit(limit)
        )
    )
    summaries = {
        s.id: s
        for s in households_service.summaries(session=session, households=missing, viewer=user)
    }
    last_at: dict[uuid.UUID, datetime] = {}
    if missing:
        last_at = dict(
            session.exec(  # type: ignore[arg-type]
                select(Visit.household_id, func.max(Visit.visited_at))
                .where(
                    col(Visit.household_id).in_([h.id for h in missing]),
                    col(Visit.corrects_id).is_(None),
                )
                .group_by(col(Visit.household_id))
            ).all()
        )
    not_visited = [
        NotVisited(
            household_id=h.id,
            reference=h.reference,
            area_code=h.area_code,
            area_name=summaries[h.id].area_name,
            head_name=summaries[h.id].head_name,
            helper_name=summaries[h.id].helper.full_name if summaries[h.id].helper else None,
            category=h.category,
            monitoring_status=h.monitoring_status,
            last_visited_at=_aware(last_at.get(h.id)),
        )
        for h in missing
    ]
    return Coverage(
        area_code=area,
        month=month,
        helpers=sorted(
            (
                HelperCoverage(
                    helper_id=hid,
                    full_name=users[hid].full_name if hid in users else "?",
                    unit=users[hid].unit if hid in users else None,
                    due=due,
                    visited=int(done or 0),
                    not_visited=due - int(done or 0),
                )
                for hid, due, done in helpers
            ),
            key=lambda c: (-c.not_visited, c.full_name),
        ),
        villages=[
            VillageCoverage(
                area_code=code,
                area_name=names.get(code),
                due=due,
                visited=int(done or 0),
                not_visited=due - int(done or 0),
            )
            for code, due, done in villages
        ],
        not_visited=not_visited,
        not_visited_total=missing_total,
        pasted_notes=_pasted_in(session=session, area=area, month=month),
        copied_ledgers=_copied_in(session=session, area=area, month=month),
    )


def _aware(value: datetime | None) -> datetime | None:
    # Aggregates bypass the column type on SQLite, so max() comes back naive there.
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=clock.now().tzinfo)


def _pasted_in(*, session: Session, area: str, month: str) -> list[PastedNotes]:
    groups = list(
        session.exec(
            select(
                Visit.notes_hash,
                func.count(func.distinct(Visit.household_id)),
                func.count(),
            )
            .where(
                within(Visit.area_code, area),
                Visit.month == month,
                col(Visit.notes_hash).is_not(None),
            )
            .group_by(col(Visit.notes_hash))
            .having(func.count(func.distinct(Visit.household_id)) >= PASTED_MIN_HOUSEHOLDS)
        )
    )
    if not groups:
        return []
    texts: dict[str, list[str]] = defaultdict(list)
    visitors: dict[str, set[str]] = defaultdict(set)
    for digest, notes, name in session.exec(
        select(Visit.notes_hash, Visit.notes, User.full_name)
        .join(User, col(User.id) == col(Visit.visitor_id))
        .where(
            col(Visit.notes_hash).in_([g[0] for g in groups]),
            within(Visit.area_code, area),
            Visit.month == month,
        )
    ):
        assert digest is not None
        texts[digest].append(notes)
        visitors[digest].add(name)
    out = [
        PastedNotes(
            excerpt=texts[digest][0][:80] if texts[digest] else "",
            households=households,
            visits=visits,
            visitor_names=sorted(visitors[digest]),
        )
        for digest, households, visits in groups
    ]
    return sorted(out, key=lambda p: -p.households)


def _copied_in(*, session: Session, area: str, month: str) -> list[CopiedLedger]:
    rows = session.exec(
        select(LedgerEntry.household_id, Household.reference, LedgerEntry.month)
        .join(Household, col(Household.id) == col(LedgerEntry.household_id))
        .where(
            within(LedgerEntry.area_code, area),
            LedgerEntry.month == month,
            col(LedgerEntry.copied_from_last_year).is_(True),
            col(LedgerEntry.superseded_at).is_(None),
        )
    )
    return [CopiedLedger(household_id=h, reference=r, month=m) for h, r, m in rows]
