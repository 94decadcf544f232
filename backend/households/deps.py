"""Households loaded with their access check, for routers (404 when out of reach), and
locked when the request will change them."""

import uuid
from typing import Annotated

from fastapi import Depends, Path

from backend.accounts.deps import loader
from backend.households import service
from backend.households.models import Household

HouseholdId = Annotated[uuid.UUID, Path(description="户的编号(UUID)")]

VisibleHousehold = Annotated[
    Household, Depends(loader(service.get_visible, "household_id", HouseholdId))
]
LockedHousehold = Annotated[
    Household, Depends(loader(service.get_visible, "household_id", HouseholdId, lock=True))
]
