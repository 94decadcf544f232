"""Coverage (遍访): in an area and a month, per helper and per village, the households due a
visit, visited and not visited (counted in SQL), a page of those not visited, and the
quality signs."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Subquery, case, func, or_
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
from backend.households.models import Category, MonitoringStatus
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
    stmt = select(Visit.id).where(
        Visit.household_id == households.c.id,
        Visit.month == month,
        col(Visit.corrects_id).is_(None),
    )
    if by_helper:
        stmt = stmt.where(Visit.visitor_id == households.c.helper_id)
    return stmt.exists()


def _owes_helper_visit(households: Subquery) -> list[Any]:
    """Helpers visit every lifted and every monitored household they are assigned, monthly."""
    return [
        households.c.helper_id.is_not(None),
        or_(
            households.c.category == Category.lifted,
            households.c.monitoring_status == MonitoringStatus.monitored,
        ),
    ]


def _villages(
    *, session: Session, households: Subquery, area: str, month: str
) -> list[VillageCoverage]:
    visited = case((_visited_in(households, month), 1), else_=0)
    rows = list(
        session.exec(
            select(households.c.area_code, func.count(), func.sum(visited))
            .where(within(households.c.area_code, area))
            .group_by(households.c.area_code)
            .order_by(households.c.area_code)
        )
    )
    names = areas_service.names(session=session, codes={code for code, _, _ in rows})
    return [
        VillageCoverage(
            area_code=code,
            area_name=names.get(code),
            due=due,
            visited=int(done or 0),
            not_visited=due - int(done or 0),
        )
        for code, due, done in rows
    ]


def _helpers(
    *, session: Session, households: Subquery, area: str, month: str
) -> list[HelperCoverage]:
    by_helper = case((_visited_in(households, month, by_helper=True), 1), else_=0)
    rows = list(
        session.exec(
            select(households.c.helper_id, func.count(), func.sum(by_helper))
            .where(within(households.c.area_code, area), *_owes_helper_visit(households))
            .group_by(households.c.helper_id)
        )
    )
    users = {
        u.id: u for u in accounts_service.by_ids(session=session, ids={hid for hid, _, _ in rows})
    }
    return sorted(
        (
            HelperCoverage(
                helper_id=hid,
                full_name=users[hid].full_name if hid in users else "?",
                unit=users[hid].unit if hid in users else None,
                due=due,
                visited=int(done or 0),
                not_visited=due - int(done or 0),
            )
            for hid, due, done in rows
        ),
        key=lambda c: (-c.not_visited, c.full_name),
    )


def _not_visited(
    *,
    session: Session,
    user: User,
    households: Subquery,
    area: str,
    month: str,
    offset: int,
    limit: int,
) -> tuple[list[NotVisited], int]:
    """A page of the households not visited in the month (monitored first), and how many."""
    where = [within(households.c.area_code, area), ~_visited_in(households, month)]
    total = session.exec(select(func.count()).select_from(households).where(*where)).one()
    page = session.exec(
        select(households.c.id)
        .where(*where)
        .order_by(
            case((households.c.monitoring_status == MonitoringStatus.monitored, 0), else_=1),
            households.c.area_code,
            households.c.reference,
        )
        .offset(offset)
        .limit(limit)
    )
    missing = households_queries.by_ids(session=session, ids=list(page))
    summaries = {
        s.id: s
        for s in households_service.summaries(session=session, households=missing, viewer=user)
    }
    last_at = _last_visited(session=session, household_ids=[h.id for h in missing])
    rows = [
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
    return rows, total


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
    villages = _villages(session=session, households=households, area=area, month=month)
    helpers = _helpers(session=session, households=households, area=area, month=month)
    not_visited, not_visited_total = _not_visited(
        session=session,
        user=user,
        households=households,
        area=area,
        month=month,
        offset=offset,
        limit=limit,
    )
    return Coverage(
        area_code=area,
        month=month,
        helpers=helpers,
        villages=villages,
        not_visited=not_visited,
        not_visited_total=not_visited_total,
        pasted_notes=signs.pasted_in(session=session, area=area, month=month),
        copied_ledgers=signs.copied_in(
            session=session, households=households, area=area, month=month
        ),
    )


def by_village(*, session: Session, prefix: str, month: str) -> list[VillageCoverage]:
    """Per village inside `prefix`, every household counted whoever asks: the statistics
    rank villages against their county, which may reach past the caller's scope."""
    households = households_queries.in_area(prefix)
    return _villages(session=session, households=households, area=prefix, month=month)
