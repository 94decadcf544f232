"""Visits: who may record which visit, the rules a recorded visit is checked by, and the
visits a caller may read. Storing them (one or a batch) is recording.py; the ledger a visit
writes ledger.py; the phone's households phone.py; coverage coverage.py."""

import hashlib
import json
import re
import uuid
from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func
from sqlmodel import Session, col, select

from backend.accounts import service as accounts_service
from backend.accounts.access import VISITORS
from backend.accounts.models import User
from backend.core import clock
from backend.core.errors import (
    Forbidden,
    Invalid,
    NotFound,
)
from backend.core.loaders import load_or_404
from backend.core.scope import contains, within
from backend.files import service as files_service
from backend.households import queries as households_queries
from backend.households import service as households_service
from backend.households.models import Household
from backend.reports import service as reports_service
from backend.visits import ledger, signs
from backend.visits.models import Visit
from backend.visits.schemas import (
    LedgerPublic,
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


# --- what recording a visit checks and opens (recording.py stores them) --------------------


def check_photos(*, session: Session, actor: User, data: VisitCreate, area_code: str) -> None:
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


def open_reports_for_new_risks(
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
    return [
        answer(
            {k: getattr(v, k) for k in (*_VISIT_FIELDS, *_POSITION_FIELDS)},
            visitor_name=names.get(v.visitor_id),
            corrected_by=corrected.get(v.id, []),
            ledger=ledger.public(entries[v.id]) if v.id in entries else None,
            pasted_notes=bool(v.notes_hash and v.notes_hash in pasted),
        )
        for v in visits
    ]


_POSITION_FIELDS = ("latitude", "longitude", "accuracy_m")


def answer(
    row: Mapping[str, Any],
    *,
    visitor_name: str | None,
    corrected_by: list[uuid.UUID],
    ledger: LedgerPublic | None,
    pasted_notes: bool,
) -> VisitPublic:
    """One visit's answer from its columns (a stored row, or the row just inserted) and what
    `public` reads beside it."""
    latitude, longitude = row["latitude"], row["longitude"]
    return VisitPublic(
        **{k: row[k] for k in _VISIT_FIELDS},
        visitor_name=visitor_name,
        position=Position(latitude=latitude, longitude=longitude, accuracy_m=row["accuracy_m"])
        if latitude is not None and longitude is not None
        else None,
        corrected_by=corrected_by,
        ledger=ledger,
        pasted_notes=pasted_notes,
    )
