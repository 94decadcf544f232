"""What the phone keeps for offline work: the households the caller visits, each card with
the household (households/cards.py), its last visits, this year's ledger and this month's
state for the caller, most urgent first."""

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, case, func
from sqlmodel import Session, col, select

from backend.accounts import service as accounts_service
from backend.accounts.access import VISITS_ALL_THEY_SEE
from backend.accounts.models import User
from backend.core import clock
from backend.households import cards as households_cards
from backend.households import queries as households_queries
from backend.households.models import Household, MonitoringStatus
from backend.households.schemas import HouseholdCardBase
from backend.visits import ledger, service, signs
from backend.visits.models import Visit
from backend.visits.schemas import HouseholdCard, LedgerBrief, MyHouseholds, VisitRef, month_of

# What a phone keeps at most; a village cadre's whole village fits, a county would not.
MY_HOUSEHOLDS_MAX = 2000
# The visits a card shows, and how far back they are looked for.
RECENT_VISITS = 3
RECENT_DAYS = 400
URGENCY = {"overdue": 0, "due": 1, "visited": 2}


@dataclass
class _Visits:
    """What the cards need of the households' visits since RECENT_DAYS ago."""

    recent: dict[uuid.UUID, list[VisitRef]] = field(default_factory=lambda: defaultdict(list))
    # The caller's own visits (corrections aside): this month, last month, the latest.
    mine_this_month: set[uuid.UUID] = field(default_factory=set)
    mine_last_month: set[uuid.UUID] = field(default_factory=set)
    mine_last_at: dict[uuid.UUID, datetime] = field(default_factory=dict)


def _households(*, session: Session, user: User) -> tuple[list[Household], int]:
    """The households the user visits, by reference, at most MY_HOUSEHOLDS_MAX; and how
    many there are in all."""
    households = households_queries.visible(user)
    where = [] if user.role in VISITS_ALL_THEY_SEE else [households.c.helper_id == user.id]
    ids = session.exec(
        select(households.c.id)
        .where(*where)
        .order_by(households.c.reference)
        .limit(MY_HOUSEHOLDS_MAX)
    ).all()
    total = len(ids)
    if total == MY_HOUSEHOLDS_MAX:
        total = session.exec(select(func.count()).select_from(households).where(*where)).one()
    return households_queries.by_ids(session=session, ids=ids), total


def _visits(*, session: Session, user: User, household_ids: list[uuid.UUID], month: str) -> _Visits:
    """Two reads of the households' visits since RECENT_DAYS ago: each one's RECENT_VISITS
    latest (a window over the visits, so a 200-household phone turns 600 rows into cards,
    not its 2,200 visits of the year), and per household the caller's own (corrections
    aside) counted in SQL: the latest, and whether this month and last month had one."""
    out = _Visits()
    if not household_ids:
        return out
    since = col(Visit.visited_at) >= clock.now() - timedelta(days=RECENT_DAYS)
    theirs = col(Visit.household_id).in_(household_ids)
    # The columns the cards use, not whole visits (their checklists, positions, photos).
    numbered = (
        select(
            Visit.id,
            Visit.household_id,
            Visit.visitor_id,
            Visit.kind,
            Visit.visited_at,
            Visit.notes,
            Visit.notes_hash,
            func.row_number()
            .over(partition_by=col(Visit.household_id), order_by=col(Visit.visited_at).desc())
            .label("n"),
        )
        .where(theirs, since)
        .subquery("numbered")
    )
    recent = list(
        session.exec(
            select(*numbered.c)
            .where(numbered.c.n <= RECENT_VISITS)
            .order_by(numbered.c.household_id, numbered.c.n)
        )
    )
    names = {
        uid: name
        for uid, (name, _) in accounts_service.names_and_units(
            session=session, ids={v.visitor_id for v in recent}
        ).items()
    }
    pasted = signs.pasted(session=session, hashes={v.notes_hash for v in recent if v.notes_hash})
    for v in recent:
        out.recent[v.household_id].append(
            VisitRef(
                id=v.id,
                kind=v.kind,
                visited_at=v.visited_at,
                visitor_name=names.get(v.visitor_id),
                notes=v.notes[:200],
                pasted_notes=bool(v.notes_hash and v.notes_hash in pasted),
            )
        )
    last_month = service.previous_month(month)
    # A correction re-records a visit already counted; it is not a visit of its own.
    for household_id, last_at, this, last in session.exec(
        select(
            Visit.household_id,
            func.max(Visit.visited_at),
            func.max(case((Visit.month == month, 1), else_=0)),
            func.max(case((Visit.month == last_month, 1), else_=0)),
        )
        .where(theirs, since, Visit.visitor_id == user.id, col(Visit.corrects_id).is_(None))
        .group_by(col(Visit.household_id))
    ):
        out.mine_last_at[household_id] = last_at
        if this:
            out.mine_this_month.add(household_id)
        if last:
            out.mine_last_month.add(household_id)
    return out


def _card(
    *,
    base: HouseholdCardBase,
    household: Household,
    visits: _Visits,
    entries: list[Row[Any]],
    month: str,
) -> HouseholdCard:
    h = household
    if h.id in visits.mine_this_month:
        state = "visited"
    elif h.id in visits.mine_last_month or service.china_month(h.created_at) == month:
        state = "due"
    else:
        state = "overdue"  # not visited last month either
    net = sum(e.net_income for e in entries)
    return HouseholdCard(
        **dict(base),
        last_visits=visits.recent.get(h.id, []),
        ledger_months=len(entries),
        ledger_per_capita_net_income=net // entries[-1].household_size if entries else None,
        copied_months=[e.month for e in entries if e.copied_from_last_year],
        latest_ledger=LedgerBrief.model_validate(entries[-1]) if entries else None,
        state=state,
        last_visited_at=visits.mine_last_at.get(h.id),
    )


def my_households(*, session: Session, user: User, month: str | None = None) -> MyHouseholds:
    """The households the user visits, with this month's state, most urgent first."""
    service.require_visitor(user)
    month = month or month_of(clock.today())
    households, total = _households(session=session, user=user)
    ids = [h.id for h in households]
    bases = households_cards.cards(session=session, households=households, viewer=user)
    visits = _visits(session=session, user=user, household_ids=ids, month=month)
    entries = ledger.current_in_year(session=session, household_ids=ids, year=int(month[:4]))
    cards = [
        _card(base=base, household=h, visits=visits, entries=entries.get(h.id, []), month=month)
        for base, h in zip(bases, households, strict=True)
    ]
    monitored_first = {MonitoringStatus.monitored: 0}
    cards.sort(
        key=lambda c: (
            URGENCY[c.state],
            monitored_first.get(c.monitoring_status, 1),
            c.last_visited_at.timestamp() if c.last_visited_at else 0,
            c.reference,
        )
    )
    return MyHouseholds(user_id=user.id, month=month, data=cards, count=len(cards), total=total)
