"""Households loaded with their access check, for routers (404 when out of reach), and
locked when the request will change them."""

import uuid
from typing import Annotated

from fastapi import Depends, Path

from backend.accounts.deps import loader
from backend.core import versions
from backend.households import service
from backend.households.models import Household

HouseholdId = Annotated[uuid.UUID, Path(description="户的编号(UUID)")]

_visible = loader(service.get_visible, "household_id", HouseholdId)
_locked = loader(service.get_visible, "household_id", HouseholdId, lock=True)

VisibleHousehold = Annotated[Household, Depends(_visible)]
LockedHousehold = Annotated[Household, Depends(_locked)]
# The household endpoints themselves: GET answers the household's ETag; a change is refused
# with 412 when If-Match names an older version, and answers the new ETag.
TaggedHousehold = Annotated[Household, Depends(versions.tagged(_visible), scope="function")]
GuardedHousehold = Annotated[Household, Depends(versions.guarded(_locked), scope="function")]
