"""The monthly income-and-spending ledger (收支登记): the entry a visit writes for its month,
superseding the month's earlier one, and a household's year of entries beside its declared
income."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import Any, Protocol

from sqlalchemy import Row, bindparam, insert, update
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from backend.accounts.models import User
from backend.core import clock
from backend.core.scope import within
from backend.households import service as households_service
from backend.households.models import Household, IncomeParts, net_income_of
from backend.visits.models import LedgerEntry
from backend.visits.schemas import LedgerPublic, LedgerYear

LEDGER_NAMESPACE = uuid.UUID("6f1d2c1e-7b9a-4c55-9f1e-2f6b8a1d0c44")
INCOME_PARTS = tuple(IncomeParts.model_fields)


class Home(Protocol):
    """What the ledger needs of a visit's household."""

    @property
    def id(self) -> uuid.UUID: ...

    @property
    def area_code(self) -> str: ...


@dataclass
class Taken:
    """The figures one stored visit brings to its household's month."""

    household: Home
    household_size: int  # active members, read with the visit's checks
    visit: dict[str, Any]  # the visit's row as inserted
    figures: dict[str, int]


AuditChange = tuple[str, Any, str, str, dict[str, Any]]


def _last_year(month: str) -> str:
    return f"{int(month[:4]) - 1:04d}{month[4:]}"


_LEDGER = LedgerEntry.__table__  # type: ignore[attr-defined]
# Built once (the write path's statements: recording.py).
_STORED = core_select(
    _LEDGER.c.id,
    _LEDGER.c.household_id,
    _LEDGER.c.month,
    _LEDGER.c.as_of,
    _LEDGER.c.area_code,
    *(_LEDGER.c[k] for k in INCOME_PARTS),
).where(
    _LEDGER.c.household_id.in_(bindparam("households", expanding=True)),
    _LEDGER.c.month.in_(bindparam("months", expanding=True)),
    _LEDGER.c.superseded_at.is_(None),
)
_SUPERSEDE = (
    update(_LEDGER)
    .where(_LEDGER.c.id == bindparam("held_id"))
    .values(superseded_at=bindparam("at"), superseded_by=bindparam("by"))
)
_INSERT = insert(_LEDGER)


def _stored(*, session: Session, taken: list[Taken]) -> dict[tuple[uuid.UUID, str], dict[str, Any]]:
    """The stored current entry of each (household, month) the visits are for, and of the
    same month last year (for the copy-paste sign): one read, from the one-current-entry
    index."""
    months = {t.visit["month"] for t in taken}
    rows = session.connection().execute(
        _STORED,
        {
            "households": list({t.household.id for t in taken}),
            "months": sorted(months | {_last_year(m) for m in months}),
        },
    )
    return {(row.household_id, row.month): {**row._mapping, "stored": True} for row in rows}


def _copied(figures: dict[str, int], before: dict[str, Any] | None) -> bool:
    """The same income as the same month last year, part by part (the seed-000 sign)."""
    return (
        before is not None
        and any(figures.get(k) for k in INCOME_PARTS)
        and all(before[k] == figures.get(k, 0) for k in INCOME_PARTS)
    )


def _entry(t: Taken, now: datetime, copied: bool) -> dict[str, Any]:
    """The ledger row a stored visit makes, current until something supersedes it."""
    visit, month = t.visit, t.visit["month"]
    return {
        **t.figures,
        "id": uuid.uuid5(LEDGER_NAMESPACE, str(visit["id"])),
        "household_id": t.household.id,
        "area_code": t.household.area_code,
        "month": month,
        "year": int(month[:4]),
        "household_size": max(t.household_size, 1),
        "copied_from_last_year": copied,
        "visit_id": visit["id"],
        "recorded_by": visit["visitor_id"],
        "as_of": visit["visited_at"],
        "superseded_at": None,
        "superseded_by": None,
        "created_at": now,
    }


def record(
    *, session: Session, taken: list[Taken]
) -> tuple[list[AuditChange], dict[uuid.UUID, dict[str, Any]]]:
    """The entries of stored visits, in the order given (a step of recording them): each
    supersedes its month's current entry, unless that one was taken later than the visit
    (then the new one is kept, already superseded). A few statements for any number of
    visits. The caller holds the households' locks (households_service.lock), so the
    current entries read here stay current until it commits. Returns the audit rows it owes,
    for the caller to write with its own (audit.record_many), and the entries written by
    visit id (a phone's answer is made from them, not read back)."""
    if not taken:
        return [], {}
    stored = _stored(session=session, taken=taken)
    current = dict(stored)
    now = clock.now()
    entries: list[dict[str, Any]] = []
    superseded: list[dict[str, Any]] = []  # stored entries that a new one supersedes
    audits: list[AuditChange] = []
    for t in taken:
        household, figures = t.household, t.figures
        copied = _copied(figures, stored.get((household.id, _last_year(t.visit["month"]))))
        entry = _entry(t, now, copied)
        month = entry["month"]
        key = (household.id, month)
        held = current.get(key)
        if held is not None and held["as_of"] > entry["as_of"]:
            # Sent late from a phone that was offline: an older visit does not override a
            # newer figure. It is kept, already superseded, so nothing is lost.
            entry["superseded_at"], entry["superseded_by"] = now, held["id"]
        else:
            if held is not None:
                held["superseded_at"], held["superseded_by"] = now, entry["id"]
                if held.get("stored"):  # an entry from before this call: updated below
                    superseded.append(held)
                change = {"superseded_by": [None, entry["id"]], "month": month}
                audits.append(("ledger_entry", held["id"], held["area_code"], "supersede", change))
            current[key] = entry
        entries.append(entry)
        audits.append(
            (
                "ledger_entry",
                entry["id"],
                entry["area_code"],
                "create",
                {
                    "household_id": [None, household.id],
                    "month": month,
                    **{k: [None, v] for k, v in figures.items()},
                    "copied_from_last_year": [None, copied],
                    "superseded": [None, entry["superseded_at"] is not None],
                },
            )
        )
    conn = session.connection()
    if superseded:
        # First free each month's "one current entry" slot, then insert.
        conn.execute(
            _SUPERSEDE,
            [
                {"held_id": h["id"], "at": h["superseded_at"], "by": h["superseded_by"]}
                for h in superseded
            ],
        )
    conn.execute(_INSERT, entries)
    return audits, {e["visit_id"]: e for e in entries}


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


def public_of_row(entry: dict[str, Any]) -> LedgerPublic:
    """The answer for an entry as `record` inserted it."""
    return LedgerPublic.model_validate(
        {**entry, "net_income": net_income_of(SimpleNamespace(**entry))}
    )


def of_visits(*, session: Session, visit_ids: list[uuid.UUID]) -> dict[uuid.UUID, LedgerEntry]:
    """The entry each of these visits wrote, by visit id."""
    if not visit_ids:
        return {}
    rows = session.exec(select(LedgerEntry).where(col(LedgerEntry.visit_id).in_(visit_ids)))
    return {e.visit_id: e for e in rows if e.visit_id}


def current_in_year(
    *, session: Session, household_ids: list[uuid.UUID], year: int
) -> dict[uuid.UUID, list[Row[Any]]]:
    """Each household's current entries of the year, by month: the month, its figures
    (INCOME_PARTS and the spending), net_income, household_size and copied_from_last_year,
    as rows, not whole entries (a 200-household phone reads 2,000 of them: loaded as
    entries, a fifth of its answer's time)."""
    out: dict[uuid.UUID, list[Row[Any]]] = {}
    if not household_ids:
        return out
    e = LedgerEntry
    net = net_income_of(e)
    for row in session.exec(
        select(  # type: ignore[call-overload]
            e.household_id,
            e.month,
            *(getattr(e, part) for part in INCOME_PARTS),
            e.medical_spending,
            e.schooling_spending,
            e.other_spending,
            net.label("net_income"),
            e.household_size,
            e.copied_from_last_year,
        ).where(
            col(e.household_id).in_(household_ids),
            e.year == year,
            col(e.superseded_at).is_(None),
        )
    ):
        out.setdefault(row.household_id, []).append(row)
    return {hid: sorted(rows, key=lambda r: r.month) for hid, rows in out.items()}


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
