"""Coverage (遍访): in an area and a month, per helper and per village, the households due a
visit, visited and not visited (counted in SQL), a page of those not visited, and the
quality signs."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Subquery, and_, case, func, or_, update
from sqlmodel import Session, col, select

from backend.accounts import service as accounts_service
from backend.accounts.access import WATCHES_COVERAGE
from backend.accounts.models import User
from backend.areas import service as areas_service
from backend.core import clock
from backend.core.errors import Forbidden, NotFound
from backend.core.scope import within
from backend.households import queries as households_queries
from backend.households import service as households_service
from backend.households.models import Category, Household, MonitoringStatus
from backend.visits import signs
from backend.visits.models import Visit
from backend.visits.schemas import (
    Coverage,
    HelperCoverage,
    NotVisited,
    VillageCoverage,
    month_of,
)


def _visited_in(households: Subquery, month: str, by_helper: bool = False) -> Any:
    """EXISTS a visit (not a correction) of the household in the month; by_helper: one made
    by the household's own helper."""
    # household_id, not id: the partial index ix_visit_counted then answers on its own.
    stmt = select(Visit.household_id).where(
        Visit.household_id == households.c.id,
        Visit.month == month,
        col(Visit.corrects_id).is_(None),
    )
    if by_helper:
        stmt = stmt.where(Visit.visitor_id == households.c.helper_id)
    return stmt.exists()


def _visited(households: Subquery, month: str) -> Any:
    """1 if the household was visited in the month (corrections aside), else 0: from its
    last visited month alone, unless a later month hides whether this one had a visit too
    (a past month asked for), where the visits are looked up."""
    last = households.c.last_visited_month
    return case(
        (last == month, 1),
        (and_(last > month, _visited_in(households, month)), 1),
        else_=0,
    )


def _visited_by_helper(households: Subquery, month: str) -> Any:
    """1 if the household's helper visited it in the month, else 0. No visit that month or
    later: 0. The helper's latest month recorded on the household, by this helper, is that
    month: 1. Otherwise (another visitor that month, a helper since replaced, a past month)
    the visits are looked up."""
    last = households.c.last_visited_month
    return case(
        (or_(last.is_(None), last < month), 0),
        (
            and_(
                households.c.helper_visit_by == households.c.helper_id,
                households.c.helper_visit_month == month,
            ),
            1,
        ),
        (_visited_in(households, month, by_helper=True), 1),
        else_=0,
    )


def _owes_helper_visit(households: Subquery) -> list[Any]:
    """Helpers visit every lifted and every monitored household they are assigned, monthly."""
    return [
        households.c.helper_id.is_not(None),
        or_(
            households.c.category == Category.lifted,
            households.c.monitoring_status == MonitoringStatus.monitored,
        ),
    ]


@dataclass
class _Tally:
    """The area's households counted per village and per helper: everything the answer
    counts."""

    villages: dict[str, list[int]]  # area_code → [due, visited]
    helpers: dict[uuid.UUID, list[int]]  # helper_id → [due, visited by the helper]
    helper_names: dict[uuid.UUID, tuple[str, str | None]]  # helper_id → (name, unit)
    not_visited: dict[bool, int]  # monitored? → households not visited


def _village_tally(*, session: Session, households: Subquery, area: str, month: str) -> _Tally:
    """Per village, in the order of the households' index (no sort): due, visited, and how
    many of each are monitored."""
    visited = _visited(households, month)
    monitored = households.c.monitoring_status == MonitoringStatus.monitored
    out = _Tally(villages={}, helpers={}, helper_names={}, not_visited={True: 0, False: 0})
    for code, n, seen, monitored_n, monitored_seen in session.exec(
        select(
            households.c.area_code,
            func.count(),
            func.sum(visited),
            func.sum(case((monitored, 1), else_=0)),
            func.sum(case((monitored, visited), else_=0)),
        )
        .where(within(households.c.area_code, area))
        .group_by(households.c.area_code)
    ):
        seen, monitored_n, monitored_seen = (
            int(x or 0) for x in (seen, monitored_n, monitored_seen)
        )
        out.villages[code] = [n, seen]
        out.not_visited[True] += monitored_n - monitored_seen
        out.not_visited[False] += (n - monitored_n) - (seen - monitored_seen)
    return out


def _tally(*, session: Session, households: Subquery, area: str, month: str) -> _Tally:
    """The villages' figures, then the helpers': over the households their helper owes a
    visit only, grouped by helper, each named in the same statement. Two grouped reads of
    the households' index, each over fewer groups than one by village and helper together
    (9,000 at the county), which sorted every household."""
    out = _village_tally(session=session, households=households, area=area, month=month)
    per_helper = (
        select(
            households.c.helper_id.label("helper_id"),
            func.count().label("due"),
            func.sum(_visited_by_helper(households, month)).label("visited"),
        )
        .where(within(households.c.area_code, area), *_owes_helper_visit(households))
        .group_by(households.c.helper_id)
        .subquery("per_helper")
    )
    person = accounts_service.names_table()
    for helper_id, n, by_helper, name, unit in session.exec(
        select(
            per_helper.c.helper_id,
            per_helper.c.due,
            per_helper.c.visited,
            person.c.full_name,
            person.c.unit,
        ).outerjoin(person, person.c.id == per_helper.c.helper_id)
    ):
        out.helpers[helper_id] = [n, int(by_helper or 0)]
        if name is not None:
            out.helper_names[helper_id] = (name, unit)
    return out


def _villages(*, session: Session, tally: _Tally) -> list[VillageCoverage]:
    names = areas_service.names(session=session, codes=set(tally.villages))
    return [
        VillageCoverage(
            area_code=code,
            area_name=names.get(code),
            due=due,
            visited=done,
            not_visited=due - done,
        )
        for code, (due, done) in sorted(tally.villages.items())
    ]


def _helpers(*, tally: _Tally) -> list[HelperCoverage]:
    people = tally.helper_names
    return sorted(
        (
            HelperCoverage(
                helper_id=hid,
                full_name=people[hid][0] if hid in people else "?",
                unit=people[hid][1] if hid in people else None,
                due=due,
                visited=done,
                not_visited=due - done,
            )
            for hid, (due, done) in tally.helpers.items()
        ),
        key=lambda c: (-c.not_visited, c.full_name),
    )


def _not_visited_ids(
    *,
    session: Session,
    households: Subquery,
    area: str,
    month: str,
    tally: _Tally,
    offset: int,
    limit: int,
) -> list[uuid.UUID]:
    """A page of the households not visited, monitored first, then by village and
    reference: read as two ordered runs (the counts say where the first ends), each stopping
    at the page's end instead of sorting the county."""
    monitored = households.c.monitoring_status == MonitoringStatus.monitored
    ids: list[uuid.UUID] = []
    for first, run in ((True, monitored), (False, ~monitored)):
        available = tally.not_visited[first]
        if offset >= available:
            offset -= available
            continue
        take = min(limit - len(ids), available - offset)
        ids += session.exec(
            select(households.c.id)
            .where(within(households.c.area_code, area), run, _visited(households, month) == 0)
            .order_by(households.c.area_code, households.c.reference)
            .offset(offset)
            .limit(take)
        ).all()
        offset = 0
        if len(ids) >= limit:
            break
    return ids


def _not_visited(*, session: Session, user: User, ids: list[uuid.UUID]) -> list[NotVisited]:
    """The page's rows: head, helper and village names, when each was last visited."""
    missing = households_queries.by_ids(session=session, ids=ids)
    summaries = {
        s.id: s
        for s in households_service.summaries(session=session, households=missing, viewer=user)
    }
    last_at = _last_visited(session=session, household_ids=[h.id for h in missing])
    return [
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


def _last_visited(*, session: Session, household_ids: list[uuid.UUID]) -> dict[uuid.UUID, Any]:
    """When each household was last visited (corrections aside)."""
    if not household_ids:
        return {}
    return dict(
        session.exec(  # type: ignore[arg-type]
            select(Visit.household_id, func.max(Visit.visited_at))
            .where(col(Visit.household_id).in_(household_ids), col(Visit.corrects_id).is_(None))
            .group_by(col(Visit.household_id))
        ).all()
    )


def _aware(value: datetime | None) -> datetime | None:
    # Aggregates bypass the column type on SQLite, so max() comes back naive there.
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=clock.now().tzinfo)


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
    households = households_queries.visible(user)
    tally = _tally(session=session, households=households, area=area, month=month)
    ids = _not_visited_ids(
        session=session,
        households=households,
        area=area,
        month=month,
        tally=tally,
        offset=offset,
        limit=limit,
    )
    pasted = signs.pasted_in(session=session, area=area, month=month)
    return Coverage(
        area_code=area,
        month=month,
        helpers=_helpers(tally=tally),
        villages=_villages(session=session, tally=tally),
        not_visited=_not_visited(session=session, user=user, ids=ids),
        not_visited_total=sum(tally.not_visited.values()),
        pasted_notes=pasted.shown,
        pasted_notes_total=pasted.total,
        pasted_by_village=pasted.by_village,
        copied_ledgers=signs.copied_in(
            session=session, households=households, area=area, month=month
        ),
    )


def by_village(*, session: Session, prefix: str, month: str) -> list[VillageCoverage]:
    """Per village inside `prefix`, every household counted whoever asks: the statistics
    rank villages against their county, which may reach past the caller's scope."""
    households = households_queries.in_area(prefix)
    tally = _village_tally(session=session, households=households, area=prefix, month=month)
    return _villages(session=session, tally=tally)


def recount_visit_months(*, session: Session) -> None:
    """Every household's visit months from the visits stored (what the migration that added
    them did): for visits loaded in bulk beside the app (the bench county's generator), which
    `recording` never saw. One statement per column; ix_visit_counted answers each look-up."""
    counted = and_(Visit.household_id == Household.id, col(Visit.corrects_id).is_(None))
    last = select(func.max(Visit.month)).where(counted).scalar_subquery()
    by_helper = (
        select(func.max(Visit.month))
        .where(counted, Visit.visitor_id == Household.helper_id)
        .scalar_subquery()
    )
    session.exec(update(Household).values(last_visited_month=last))  # type: ignore[call-overload]
    session.exec(
        update(Household)  # type: ignore[call-overload]
        .where(
            col(Household.helper_id).is_not(None), col(Household.last_visited_month).is_not(None)
        )
        .values(helper_visit_month=by_helper)
    )
    session.exec(
        update(Household)  # type: ignore[call-overload]
        .where(col(Household.helper_visit_month).is_not(None))
        .values(helper_visit_by=Household.helper_id)
    )
