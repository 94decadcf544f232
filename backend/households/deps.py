"""Households loaded with their access check, for routers (404 when out of reach), and
locked when the request will change them."""

import uuid
from typing import Annotated

from fastapi import Depends, Path

from backend.accounts.deps import CurrentUser
from backend.core.deps import SessionDep
from backend.households import service
from backend.households.models import Household

HouseholdId = Annotated[uuid.UUID, Path(description="户的编号(UUID)")]


def _visible(session: SessionDep, user: CurrentUser, household_id: HouseholdId) -> Household:
    return service.get_visible(session=session, user=user, household_id=household_id)


def _locked(session: SessionDep, user: CurrentUser, household_id: HouseholdId) -> Household:
    return service.get_visible(session=session, user=user, household_id=household_id, lock=True)


VisibleHousehold = Annotated[Household, Depends(_visible)]
LockedHousehold = Annotated[Household, Depends(_locked)]
