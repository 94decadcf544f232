"""Households for other domains' queries: the households a user sees as a subquery to join
or count their own rows against (the access rule inside it), and households by id."""

import uuid
from collections.abc import Iterable

from sqlalchemy import Subquery, func
from sqlmodel import Session, col, select

from backend.accounts.models import User
from backend.households import service
from backend.households.models import Household


def visible(user: User) -> Subquery:
    """The households `user` sees (area scope and the helper rule): id, reference, area_code,
    helper_id, category and monitoring_status, as a subquery another domain's query joins to
    (`.c.id`) or counts over, so it never reads the table itself."""
    return (
        select(
            Household.id,
            Household.reference,
            Household.area_code,
            Household.helper_id,
            Household.category,
            Household.monitoring_status,
        )
        .where(*service.household_conditions(user))
        .subquery("visible_household")
    )


def by_ids(*, session: Session, ids: Iterable[uuid.UUID]) -> list[Household]:
    """The households with these ids, in the order given (ids not found are left out)."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return []
    found = {h.id: h for h in session.exec(select(Household).where(col(Household.id).in_(wanted)))}
    return [found[i] for i in wanted if i in found]


def counties(*, session: Session) -> list[str]:
    """The 6-digit codes of the counties that have households (the nightly checks walk them)."""
    stmt = select(func.substr(Household.area_code, 1, 6)).distinct()
    return sorted(session.exec(stmt))
