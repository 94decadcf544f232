"""Households for other domains' queries: the households a user sees as a subquery to join
or count their own rows against (the access rule inside it), and households by id."""

import uuid
from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import Row, Subquery, and_, case, func, or_
from sqlmodel import Session, col, select

from backend.accounts.models import User
from backend.core import periods
from backend.core.scope import within
from backend.households import service
from backend.households.models import Household, HouseholdRisk, MonitoringStatus

# What `visible` and `in_area` give another domain's query of each household.
_COLUMNS = (
    Household.id,
    Household.reference,
    Household.area_code,
    Household.helper_id,
    Household.category,
    Household.monitoring_status,
    # Kept as visits are stored: coverage counts a month from these (visits/coverage.py).
    Household.last_visited_month,
    Household.helper_visit_month,
    Household.helper_visit_by,
)


def visible(user: User) -> Subquery:
    """The households `user` sees (area scope and the helper rule): id, reference, area_code,
    helper_id, category and monitoring_status, as a subquery another domain's query joins to
    (`.c.id`) or counts over, so it never reads the table itself."""
    return (
        select(*_COLUMNS).where(*service.household_conditions(user)).subquery("visible_household")
    )


def by_ids(*, session: Session, ids: Iterable[uuid.UUID]) -> list[Household]:
    """The households with these ids, in the order given (ids not found are left out)."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return []
    found = {h.id: h for h in session.exec(select(Household).where(col(Household.id).in_(wanted)))}
    return [found[i] for i in wanted if i in found]


# --- for the statistics: every household of an area, counted per village -----------------


def in_area(prefix: str) -> Subquery:
    """Every household inside `prefix`, with the columns of `visible`: the statistics rank a
    village against its whole county, which may reach past the caller's own scope (only
    totals leave this; the rows answered are the caller's)."""
    return select(*_COLUMNS).where(within(Household.area_code, prefix)).subquery("area_household")


def tallies(*, session: Session, prefix: str, year: tuple[date, date]) -> list[Row[Any]]:
    """Per village, category, monitoring status and type: (area_code, category, status, type,
    households, enrolled in `year`, risk cleared in `year`), `year` as (first day, first
    day after). One grouped statement over the area's index range."""

    def inside(column: Any) -> Any:
        return func.sum(case((and_(column >= year[0], column < year[1]), 1), else_=0))

    return list(
        session.exec(
            select(
                Household.area_code,
                Household.category,
                Household.monitoring_status,
                Household.monitoring_type,
                func.count(),
                inside(col(Household.enrolled_on)),
                inside(col(Household.risk_cleared_on)),
            )
            .where(within(Household.area_code, prefix))
            .group_by(
                col(Household.area_code),
                col(Household.category),
                col(Household.monitoring_status),
                col(Household.monitoring_type),
            )
        ).all()
    )


def counts(*, session: Session, prefix: str) -> dict[str, int]:
    """Per village inside `prefix`: its households, from the area code's index alone."""
    rows = session.exec(
        select(Household.area_code, func.count())
        .where(within(Household.area_code, prefix))
        .group_by(col(Household.area_code))
    )
    return dict(rows.all())  # type: ignore[arg-type]


def monitored_risks(*, session: Session, prefix: str) -> list[Row[Any]]:
    """Per village and risk type: how many monitored households carry it."""
    return list(
        session.exec(
            select(Household.area_code, HouseholdRisk.risk_type, func.count())
            .join(HouseholdRisk, col(HouseholdRisk.household_id) == Household.id)
            .where(
                within(Household.area_code, prefix),
                Household.monitoring_status == MonitoringStatus.monitored,
            )
            .group_by(col(Household.area_code), col(HouseholdRisk.risk_type))
        ).all()
    )


def monthly(*, session: Session, prefix: str, starts: list[date]) -> list[Row[Any]]:
    """Per village, for each month beginning at `starts` (and ending where the next begins):
    monitored at the month's end, enrolled in it, risk cleared in it, as one row
    (area_code, m0, e0, c0, m1, e1, c1, …). "Monitored at the end" reads the dates: enrolled
    by then and not cleared by then, of the households monitored or cleared now."""
    ends = [*starts[1:], periods.next_month(starts[-1])]
    enrolled, cleared = col(Household.enrolled_on), col(Household.risk_cleared_on)
    columns: list[Any] = []
    for start, end in zip(starts, ends, strict=True):
        columns += [
            func.sum(
                case((and_(enrolled < end, or_(cleared.is_(None), cleared >= end)), 1), else_=0)
            ),
            func.sum(case((and_(enrolled >= start, enrolled < end), 1), else_=0)),
            func.sum(case((and_(cleared >= start, cleared < end), 1), else_=0)),
        ]
    return list(
        session.exec(
            select(Household.area_code, *columns)
            .where(
                within(Household.area_code, prefix),
                Household.monitoring_status != MonitoringStatus.not_monitored,
            )
            .group_by(col(Household.area_code))
        ).all()
    )


def counties(*, session: Session) -> list[str]:
    """The 6-digit codes of the counties that have households (the nightly checks walk them)."""
    stmt = select(func.substr(Household.area_code, 1, 6)).distinct()
    return sorted(session.exec(stmt))
