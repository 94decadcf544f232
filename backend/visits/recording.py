"""Recording visits made on phones, one or a batch of up to 200 at once, idempotently by the
phone's id: every item is answered on its own (stored, already had, or refused and why) and a
good one is stored once, however often it is sent.

In two phases (STYLE rule 21). First every item is checked on what the database holds now,
without the write lock: a few queries for the whole batch (replays, households, corrected
visits). Then the writes, together: the batch's households locked once, in id order (so
phones syncing the same village queue instead of deadlocking), the visits inserted in one
statement that skips an id stored meanwhile (a replay racing its original: re-checked then),
their ledger entries and audit rows in a few more."""

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import ValidationError
from sqlalchemy import and_, bindparam, case, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from backend.accounts.models import User
from backend.audit import service as audit
from backend.core import clock
from backend.core.errors import AppError, Conflict, Invalid, NotFound, Unavailable, describe
from backend.core.usecase import use_case
from backend.households import service as households_service
from backend.households.models import Household
from backend.visits import ledger, signs, village_months
from backend.visits.models import Visit
from backend.visits.schemas import BatchItemResult, BatchResult, VisitCreate, VisitPublic
from backend.visits.service import (
    CLOCK_SKEW,
    answer,
    check_photos,
    china_month,
    notes_fingerprint,
    open_reports_for_new_risks,
    payload_hash,
    public,
    require_visitor,
)
from backend.webhooks import events as webhooks
from backend.webhooks.models import EventKind


@dataclass
class _Known:
    """What the checks need of a visit already stored, or accepted earlier in the batch."""

    household_id: uuid.UUID
    month: str
    payload_hash: str
    visitor_id: uuid.UUID


@dataclass(frozen=True)
class _Home:
    """What the checks and the writes need of a visit's household, read as plain columns:
    loading a batch's households as whole ORM rows was a sixth of its time (py-spy)."""

    id: uuid.UUID
    area_code: str
    helper_id: uuid.UUID | None
    registered_on: date
    # Active members: the divisor of the ledger's figures, read with the checks, not under
    # the lock (a member change racing a visit is judged either way).
    size: int


@dataclass
class _Item:
    index: int
    id: str | None  # as sent, for the answer
    data: VisitCreate | None = None
    digest: str = ""
    household: _Home | None = None  # set once the item passed its checks
    same_as: "_Item | None" = None  # the same id and payload earlier in the batch
    status: int = 0  # 200 already had, 201 stored, else refused with `error`
    error: AppError | None = None
    row: dict[str, Any] | None = None  # the visit as inserted, once stored
    entry: dict[str, Any] | None = None  # its ledger entry as inserted

    def refuse(self, error: AppError) -> None:
        self.status, self.error, self.household = error.status, error, None

    def answer(self) -> BatchItemResult:
        if self.same_as is not None:
            earlier = self.same_as.answer()
            return earlier.model_copy(
                update={"status": 200 if earlier.status == 201 else earlier.status}
            )
        e = self.error
        if e is None:
            return BatchItemResult(id=self.id, status=self.status)
        return BatchItemResult(
            id=self.id, status=e.status, error=e.code, message=e.message, detail=e.detail
        )


def _id_conflict() -> Conflict:
    return Conflict(
        "这个编号已用于另一条不同的走访记录;如要更正,请新建一条更正记录",
        code="visit_id_conflict",
        detail={"field": "id"},
    )


def _parse(index: int, raw: Any) -> _Item:
    item_id = raw["id"][:64] if isinstance(raw, dict) and isinstance(raw.get("id"), str) else None
    item = _Item(index=index, id=item_id)
    try:
        item.data = VisitCreate.model_validate(raw)
    except ValidationError as exc:
        message, detail = describe([dict(e) for e in exc.errors()])
        item.refuse(
            AppError(f"第 {index + 1} 条:{message}", code="invalid", status=422, detail=detail)
        )
        return item
    item.digest = payload_hash(item.data)
    return item


# --- first: every check, without the write lock ------------------------------------------


# The write path's statements are built once, as Core statements on the tables, and run on
# the session's connection: building them per request (and the ORM's execution around them)
# was most of a POST visit's CPU, more than SQLite's own work (cProfile, bench/RESULTS.md).
_VISIT = Visit.__table__  # type: ignore[attr-defined]
_HOUSEHOLD = Household.__table__  # type: ignore[attr-defined]
_KNOWN = select(
    _VISIT.c.id, _VISIT.c.household_id, _VISIT.c.month, _VISIT.c.payload_hash, _VISIT.c.visitor_id
).where(_VISIT.c.id.in_(bindparam("ids", expanding=True)))
# INSERT … ON CONFLICT (id) DO NOTHING RETURNING id, per dialect.
_INSERT_NEW = {
    name: insert(_VISIT).on_conflict_do_nothing(index_elements=["id"]).returning(_VISIT.c.id)
    for name, insert in (("sqlite", sqlite_insert), ("postgresql", pg_insert))
}


def _known(*, session: Session, ids: set[uuid.UUID]) -> dict[uuid.UUID, _Known]:
    if not ids:
        return {}
    rows = session.connection().execute(_KNOWN, {"ids": list(ids)})
    return {r[0]: _Known(*r[1:]) for r in rows}


def _check_one(
    *,
    session: Session,
    actor: User,
    data: VisitCreate,
    household: _Home | None,
    known: dict[uuid.UUID, _Known],
) -> _Home:
    """Every refusal of one new visit, before anything is written."""
    # The households' rule, on the columns it reads (area and helper).
    if household is None or not households_service.sees_household(actor, household):  # type: ignore[arg-type]
        raise NotFound("没有找到这户")
    if data.visited_at > clock.now() + CLOCK_SKEW:
        raise Invalid("visited_at", "走访时间不能晚于现在,请检查手机时间")
    if data.visited_at.astimezone(clock.CHINA).date() < household.registered_on:
        raise Invalid("visited_at", f"走访时间早于该户建档时间({household.registered_on})")
    if data.kind == "phone" and not data.reached:
        raise Invalid("reached", "电话走访请写明接电话的人")
    if data.family_agrees and not data.agreed_by:
        raise Invalid("agreed_by", "请写明是谁认可了走访记录")
    if data.photo_ids:
        check_photos(session=session, actor=actor, data=data, area_code=household.area_code)
    if data.corrects_id is not None:
        original = known.get(data.corrects_id)
        if original is None or original.household_id != household.id or data.corrects_id == data.id:
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


def _check(*, session: Session, actor: User, items: list[_Item]) -> None:
    """Decide what can be decided before writing: replays (recognised before any check:
    what was true when a visit was stored may have changed since, and the phone must not be
    told that a visit the server already has is refused), conflicts, and every refusal."""
    parsed = [i for i in items if i.data is not None]
    before = _known(
        session=session,
        ids={i.data.id for i in parsed}
        | {i.data.corrects_id for i in parsed if i.data.corrects_id},  # type: ignore[union-attr]
    )
    households = {
        row[0]: _Home(*row)
        for row in households_service.visit_homes(
            session=session,
            household_ids={i.data.household_id for i in parsed},  # type: ignore[union-attr]
        )
    }
    known = dict(before)  # and the batch's own visits, as they pass
    first: dict[uuid.UUID, _Item] = {}
    for item in parsed:
        data = item.data
        assert data is not None
        stored = before.get(data.id)
        if stored is not None:
            if stored.payload_hash == item.digest and stored.visitor_id == actor.id:
                item.status = 200
            else:
                item.refuse(_id_conflict())
            continue
        earlier = first.setdefault(data.id, item)
        if earlier is not item:  # the same id twice in one batch
            if earlier.digest == item.digest:
                item.same_as = earlier
            else:
                item.refuse(_id_conflict())
            continue
        try:
            item.household = _check_one(
                session=session,
                actor=actor,
                data=data,
                household=households.get(data.household_id),
                known=known,
            )
        except AppError as exc:
            item.refuse(exc)
            continue
        # A later item of the batch may correct this one.
        known[data.id] = _Known(
            data.household_id, china_month(data.visited_at), item.digest, actor.id
        )


# --- then: the writes, together ----------------------------------------------------------


def _row(*, item: _Item, actor: User, now: Any) -> dict[str, Any]:
    data, household = item.data, item.household
    assert data is not None and household is not None
    position = data.position
    return {
        "id": data.id,
        "household_id": household.id,
        "area_code": household.area_code,
        "visitor_id": actor.id,
        "kind": str(data.kind),
        "visited_at": data.visited_at,
        "month": china_month(data.visited_at),
        "reached": data.reached,
        "latitude": position.latitude if position else None,
        "longitude": position.longitude if position else None,
        "accuracy_m": position.accuracy_m if position else None,
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
        "payload_hash": item.digest,
        "created_at": now,
    }


def _insert_new(session: Session, rows: list[dict[str, Any]]) -> set[uuid.UUID]:
    """INSERT … ON CONFLICT (id) DO NOTHING for all rows in one statement: the ids this call
    stored. An id stored meanwhile (the same batch sent twice at once) is skipped, no error."""
    conn = session.connection()
    return set(conn.execute(_INSERT_NEW[conn.dialect.name], rows).scalars())


def _mark_visited(session: Session, rows: list[dict[str, Any]]) -> None:
    """Keep each household's visit months as its visits are stored (the columns coverage
    counts from, Household.last_visited_month and helper_visit_*): a month only moves
    forward, a correction counts for nothing (it stays in its original's month), and the
    helper's month is the visitor's only while the visitor is the household's helper. One
    UPDATE (each column set by its own condition, a row written only when one holds). The
    households are locked (`_write`), so two phones cannot interleave these."""
    latest: dict[tuple[uuid.UUID, uuid.UUID], str] = {}
    for row in rows:
        if row["corrects_id"] is not None:
            continue
        key = (row["household_id"], row["visitor_id"])
        latest[key] = max(latest.get(key, row["month"]), row["month"])
    if not latest:
        return
    session.connection().execute(
        _MARK_VISITED, [{"h": h, "v": v, "m": m} for (h, v), m in latest.items()]
    )


def _mark_visited_statement() -> Any:
    t, month, visitor = _HOUSEHOLD, bindparam("m"), bindparam("v")
    later = or_(t.c.last_visited_month.is_(None), t.c.last_visited_month < month)
    helpers = and_(
        t.c.helper_id == visitor,
        or_(
            t.c.helper_visit_by.is_(None),
            t.c.helper_visit_by != visitor,
            t.c.helper_visit_month < month,
        ),
    )
    return (
        update(t)
        .where(t.c.id == bindparam("h"), or_(later, helpers))
        .values(
            last_visited_month=case((later, month), else_=t.c.last_visited_month),
            helper_visit_month=case((helpers, month), else_=t.c.helper_visit_month),
            helper_visit_by=case((helpers, visitor), else_=t.c.helper_visit_by),
        )
    )


_MARK_VISITED = _mark_visited_statement()


def _audit_changes(row: dict[str, Any]) -> tuple[str, Any, str, str, dict[str, Any]]:
    return (
        "visit",
        row["id"],
        row["area_code"],
        "correct" if row["corrects_id"] else "create",
        {
            "household_id": [None, row["household_id"]],
            "kind": [None, row["kind"]],
            "visited_at": [None, row["visited_at"]],
            "corrects_id": [None, row["corrects_id"]],
            "new_risks": [None, row["new_risks"]],
            "family_agrees": [None, row["family_agrees"]],
            "photos": [None, len(row["photo_ids"])],
        },
    )


def _event(row: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """A visit's webhook event: ids, kind and day, none of what was written."""
    return row["area_code"], {
        "visit_id": str(row["id"]),
        "household_id": str(row["household_id"]),
        "kind": row["kind"],
        "visited_at": row["visited_at"].isoformat(),
        "corrects_id": str(row["corrects_id"]) if row.get("corrects_id") else None,
    }


def _write(*, session: Session, actor: User, items: list[_Item]) -> None:
    new = [i for i in items if i.household is not None]
    if not new:
        return
    households_service.lock(session=session, household_ids={i.household.id for i in new})  # type: ignore[union-attr]
    now = clock.now()
    rows = {i.data.id: _row(item=i, actor=actor, now=now) for i in new}  # type: ignore[union-attr]
    stored = _insert_new(session, list(rows.values()))
    raced = _known(session=session, ids=set(rows) - stored)
    for item in new:
        data = item.data
        assert data is not None
        if data.id in stored:
            item.status = 201
            continue
        other = raced.get(data.id)
        if other is not None and other.payload_hash == item.digest and other.visitor_id == actor.id:
            item.status, item.household = 200, None
        else:
            item.refuse(_id_conflict())
    done = [i for i in new if i.status == 201]
    for item in done:
        item.row = rows[item.data.id]  # type: ignore[union-attr]
    _mark_visited(session, [rows[i.data.id] for i in done])  # type: ignore[union-attr]
    village_months.count_stored(session, [rows[i.data.id] for i in done])  # type: ignore[union-attr]
    owed, entries = ledger.record(
        session=session,
        taken=[
            ledger.Taken(
                i.household,  # type: ignore[arg-type]
                i.household.size,  # type: ignore[union-attr]
                rows[i.data.id],  # type: ignore[union-attr]
                i.data.ledger.model_dump(),  # type: ignore[union-attr]
            )
            for i in done
            if i.data.ledger is not None  # type: ignore[union-attr]
        ],
    )
    for item in done:
        item.entry = entries.get(item.data.id)  # type: ignore[union-attr]
    audit.record_many(
        session=session,
        actor=actor,
        changes=[*(_audit_changes(rows[i.data.id]) for i in done), *owed],  # type: ignore[union-attr]
    )
    webhooks.emit_many(
        session=session,
        kind=EventKind.visit_recorded,
        events=[_event(rows[i.data.id]) for i in done],  # type: ignore[union-attr]
    )
    for item in done:
        data = item.data
        assert data is not None and item.household is not None
        if data.new_risks:
            visit = session.get(Visit, data.id)
            household = session.get(Household, item.household.id)
            assert visit is not None and household is not None
            report_id = open_reports_for_new_risks(
                session=session, visit=visit, household=household, actor=actor
            )
            if report_id is not None:
                visit.report_id = report_id
                session.add(visit)
                assert item.row is not None
                item.row["report_id"] = report_id
    session.flush()


def _record(*, session: Session, actor: User, items: list[_Item]) -> None:
    _check(session=session, actor=actor, items=items)
    _write(session=session, actor=actor, items=items)


# --- the use cases -----------------------------------------------------------------------


def store(*, session: Session, actor: User, data: VisitCreate) -> tuple[VisitPublic, bool]:
    """Store one visit made on a phone, or recognise a replay: a step that flushes. Returns
    (the answer, created); refuses with the item's error (the same id with another payload:
    409). A new visit's answer is made from what was written, with the one read it needs
    (whether its notes are pasted) done with the checks: no read after the writes."""
    require_visitor(actor)
    item = _Item(index=0, id=str(data.id), data=data, digest=payload_hash(data))
    _check(session=session, actor=actor, items=[item])
    pasted = item.household is not None and signs.pasted_with(
        session=session, notes_hash=notes_fingerprint(data.notes), household_id=data.household_id
    )
    _write(session=session, actor=actor, items=[item])
    if item.error is not None:
        raise item.error
    if item.status == 201:
        assert item.row is not None
        return answer(
            item.row,
            visitor_name=actor.full_name,
            corrected_by=[],
            ledger=ledger.public_of_row(item.entry) if item.entry else None,
            pasted_notes=pasted,
        ), True
    visit = session.get(Visit, data.id, populate_existing=True)
    assert visit is not None
    return public(session=session, visits=[visit])[0], False


@use_case
def create(*, session: Session, actor: User, data: VisitCreate) -> tuple[VisitPublic, bool]:
    """One visit, one transaction."""
    try:
        return store(session=session, actor=actor, data=data)
    except IntegrityError as exc:
        session.rollback()
        # A race the household lock should prevent; the phone backs off and sends again.
        raise Unavailable("记录同时被修改,请稍后重新发送", code="concurrent_change") from exc


@use_case
def create_batch(*, session: Session, actor: User, items: list[Any]) -> BatchResult:
    """Up to 200 visits, each answered on its own: a bad one is refused alone."""
    require_visitor(actor)
    parsed = [_parse(index, raw) for index, raw in enumerate(items)]
    try:
        _record(session=session, actor=actor, items=parsed)
    except IntegrityError as exc:
        session.rollback()
        # A race the household locks should prevent; the phone sends the batch again, and
        # what was stored meanwhile is answered as already had.
        raise Unavailable("记录同时被修改,请稍后重新发送", code="concurrent_change") from exc
    results = [i.answer() for i in parsed]
    return BatchResult(
        stored=sum(r.status == 201 for r in results),
        already_had=sum(r.status == 200 for r in results),
        refused=sum(r.status not in (200, 201) for r in results),
        results=results,
    )
