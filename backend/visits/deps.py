"""Visits loaded with their access check, for routers (404 when missing or out of reach)."""

import uuid
from typing import Annotated

from fastapi import Depends, Path

from backend.accounts.deps import loader
from backend.visits import service
from backend.visits.models import Visit

VisitId = Annotated[uuid.UUID, Path(description="走访记录编号")]

VisibleVisit = Annotated[Visit, Depends(loader(service.get_visible, "visit_id", VisitId))]
