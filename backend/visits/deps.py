"""Visits loaded with their access check, for routers (404 when missing or out of reach)."""

import uuid
from typing import Annotated

from fastapi import Depends, Path

from backend.accounts.deps import CurrentUser
from backend.core.deps import SessionDep
from backend.visits import service
from backend.visits.models import Visit

VisitId = Annotated[uuid.UUID, Path(description="走访记录编号")]


def _visible(session: SessionDep, user: CurrentUser, visit_id: VisitId) -> Visit:
    return service.get_visible(session=session, user=user, visit_id=visit_id)


VisibleVisit = Annotated[Visit, Depends(_visible)]
