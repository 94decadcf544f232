"""The monthly income-and-spending ledger (收支登记): the entry a visit writes for its month,
superseding the month's earlier one, and a household's year of entries beside its declared
income."""

import uuid

from sqlmodel import Session, col, select

from backend.accounts.models import User
from backend.audit import service as audit
from backend.core import clock
from backend.core.scope import within
from backend.households import service as households_service
from backend.households.models import Household, IncomeParts
from backend.visits.models import LedgerEntry, Visit
from backend.visits.schemas import LedgerPublic, LedgerYear

LEDGER_NAMESPACE = uuid.UUID("6f1d2c1e-7b9a-4c55-9f1e-2f6b8a1d0c44")
INCOME_PARTS = tuple(IncomeParts.model_fields)


def _current(
    *, session: Session, household_id: uuid.UUID, month: str, lock: bool = False
) -> LedgerEntry | None:
    stmt = select(LedgerEntry).where(
        LedgerEntry.household_id == household_id,
        LedgerEntry.month == month,
        col(LedgerEntry.superseded_at).is_(None),
    )
    if lock and session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    return session.exec(stmt).first()


def record(
    *, session: Session, household: Household, visit: Visit, figures: dict[str, int], actor: User
) -> LedgerEntry:
    """The household's entry for the visit's month (a step of recording the visit). It
    supersedes the month's current entry, unless that one was taken later than this visit."""
    month = visit.month
    current = _current(session=session, household_id=household.id, month=month, lock=True)
    last_year = _current(
        session=session, household_id=household.id, month=f"{int(month[:4]) - 1:04d}{month[4:]}"
    )
    copied = (
        last_year is not None
        and any(figures[k] for k in INCOME_PARTS)
        and all(getattr(last_year, k) == figures[k] for k in INCOME_PARTS)
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
        **figures,
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
        changes = {"superseded_by": [None, entry.id], "month": month}
        audit.record_change(
            session=session, row=current, actor=actor, action="supersede", changes=changes
        )
    session.add(entry)
    session.flush()
    changes = {
        "household_id": [None, household.id],
        "month": month,
        **{k: [None, v] for k, v in figures.items()},
        "copied_from_last_year": [None, copied],
        "superseded": [None, entry.superseded_at is not None],
    }
    audit.record_change(session=session, row=entry, actor=actor, action="create", changes=changes)
    return entry


def for_year(*, session: Session, user: User, household: Household, year: int) -> LedgerYear:
    """The year's monthly entries, and per-capita net income from them beside the declared."""
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
    net = sum(e.net_income for e in current)
    size = max((e for e in current), key=lambda e: e.month).household_size if current else None
    declared = next(
        (
            i
            for i in households_service.incomes_of(session=session, household_id=household.id)
            if i.year == year
        ),
        None,
    )
    return LedgerYear(
        household_id=household.id,
        year=year,
        entries=[public(e) for e in entries],
        months_recorded=months,
        months_missing=missing,
        copied_months=sorted(e.month for e in current if e.copied_from_last_year),
        ledger_net_income=net,
        household_size=size,
        ledger_per_capita_net_income=net // size if size else None,
        declared_per_capita_net_income=declared.per_capita_net_income if declared else None,
        declared_net_income=declared.net_income if declared else None,
    )


def public(entry: LedgerEntry) -> LedgerPublic:
    return LedgerPublic.model_validate(entry)


def of_visits(*, session: Session, visit_ids: list[uuid.UUID]) -> dict[uuid.UUID, LedgerEntry]:
    """The entry each of these visits wrote, by visit id."""
    if not visit_ids:
        return {}
    rows = session.exec(select(LedgerEntry).where(col(LedgerEntry.visit_id).in_(visit_ids)))
    return {e.visit_id: e for e in rows if e.visit_id}


def current_in_year(
    *, session: Session, household_ids: list[uuid.UUID], year: int
) -> dict[uuid.UUID, list[LedgerEntry]]:
    """Each household's current entries of the year, by month."""
    out: dict[uuid.UUID, list[LedgerEntry]] = {}
    if not household_ids:
        return out
    for e in session.exec(
        select(LedgerEntry).where(
            col(LedgerEntry.household_id).in_(household_ids),
            LedgerEntry.year == year,
            col(LedgerEntry.superseded_at).is_(None),
        )
    ):
        out.setdefault(e.household_id, []).append(e)
    return {hid: sorted(es, key=lambda e: e.month) for hid, es in out.items()}


def current_months(
    *, session: Session, household_id: uuid.UUID, months: list[str]
) -> list[LedgerEntry]:
    """The household's current entries for these months (YYYY-MM), by month."""
    if not months:
        return []
    rows = session.exec(
        select(LedgerEntry).where(
            LedgerEntry.household_id == household_id,
            col(LedgerEntry.month).in_(months),
            col(LedgerEntry.superseded_at).is_(None),
        )
    )
    return sorted(rows, key=lambda e: e.month)
